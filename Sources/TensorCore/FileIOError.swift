#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed file-system operation, with the path and the system's reason.
public struct FileIOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file or directory involved.
    public let path: String
    /// The `errno` value, or 0 when the failure was not a system-call error (such as a short file).
    public let code: Int32
    /// A one-line explanation, e.g. `cannot create /out/.a.safetensors.tmp-12-9f3c: Permission denied (errno 13)`.
    public let description: String

    init(path: String, code: Int32 = 0, _ message: String) {
        self.path = path
        self.code = code
        self.description = message.oneLine
    }

    /// An error for the system call that just failed, reading `errno`.
    static func system(_ action: String, path: String, code: Int32 = errno) -> FileIOError {
        FileIOError(path: path, code: code, "cannot \(action) \(path): \(errnoDescription(code))")
    }
}
