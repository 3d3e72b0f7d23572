#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a file so that it appears at its destination complete or not at all.
///
/// The bytes go to a temporary file `.<name>.tmp-<pid>-<random>` in the destination's directory
/// (so the final `rename` stays on one file system and is atomic). ``commit()`` flushes, `fsync`s
/// and renames it into place; ``abort()``, or deallocating the writer without committing, removes
/// the temporary file. Readers of the destination path therefore never see a partial file, and an
/// existing file there is replaced only on a successful commit.
///
/// Writes are buffered (1 MiB by default) and reach the kernel as large sequential `write(2)`
/// calls; writes larger than the buffer bypass it.
///
/// ```swift
/// let writer = try AtomicFileWriter(destination: "out/pack.safetensors")
/// try writer.write(header)
/// try writer.write(contentsOf: floats)
/// try writer.commit()
/// ```
///
/// A writer is used from one thread at a time.
public final class AtomicFileWriter {
    /// The path the file will have after ``commit()``.
    public let destinationPath: String
    /// The temporary file being written.
    public let temporaryPath: String
    /// The number of bytes written so far (buffered ones included).
    public private(set) var bytesWritten = 0

    private enum State { case open, committed, aborted }

    private var state = State.open
    private var descriptor: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0

    /// The chunk size for copying file regions when the kernel cannot copy them itself.
    static let copyChunkSize = 4 << 20

    /// Creates the temporary file next to `destination`.
    ///
    /// - Parameters:
    ///   - destination: The final path. Its directory must exist.
    ///   - permissions: Mode bits for the new file, before the process umask is applied.
    ///   - bufferCapacity: Bytes collected in memory before a `write(2)`.
    /// - Throws: ``FileIOError`` if the temporary file cannot be created.
    public init(destination: String, permissions: mode_t = 0o666, bufferCapacity: Int = 1 << 20) throws(FileIOError) {
        precondition(bufferCapacity > 0, "bufferCapacity must be positive")
        destinationPath = destination
        let (directory, name) = Self.split(destination)
        var candidate = ""
        var opened: Int32 = -1
        for _ in 0..<16 {
            let random = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            candidate = "\(directory)/.\(name).tmp-\(getpid())-\(random)"
            opened = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
            if opened >= 0 || errno != EEXIST { break }
        }
        guard opened >= 0 else {
            throw FileIOError.system("create a temporary file for", path: destination)
        }
        temporaryPath = candidate
        descriptor = opened
        buffer = .allocate(byteCount: bufferCapacity, alignment: 64)
    }

    deinit {
        if state == .open { abort() }
        buffer.deallocate()
    }

    /// Appends bytes.
    ///
    /// - Throws: ``FileIOError`` if the write fails (the writer should then be aborted).
    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileIOError) {
        precondition(state == .open, "write after commit() or abort()")
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        bytesWritten += bytes.count
        if buffered + bytes.count <= buffer.count {
            (buffer.baseAddress! + buffered).copyMemory(from: source, byteCount: bytes.count)
            buffered += bytes.count
            return
        }
        try flush()
        if bytes.count >= buffer.count {
            try writeToFile(bytes)
        } else {
            buffer.baseAddress!.copyMemory(from: source, byteCount: bytes.count)
            buffered = bytes.count
        }
    }

    /// Appends bytes.
    ///
    /// - Throws: ``FileIOError`` if the write fails.
    public func write(_ bytes: [UInt8]) throws(FileIOError) {
        try write(contentsOf: bytes)
    }

    /// Appends the in-memory representation of `elements` (little-endian on supported hosts).
    ///
    /// - Throws: ``FileIOError`` if the write fails.
    public func write<Element: BitwiseCopyable>(contentsOf elements: [Element]) throws(FileIOError) {
        // Typed throws cannot pass through withUnsafeBytes' rethrows yet, so carry the error out.
        let result: Result<Void, FileIOError> = elements.withUnsafeBytes { raw in
            do throws(FileIOError) {
                try write(raw)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Appends `count` copies of `byte` (for padding).
    ///
    /// - Throws: ``FileIOError`` if the write fails.
    public func write(repeating byte: UInt8, count: Int) throws(FileIOError) {
        var remaining = count
        let chunk = [UInt8](repeating: byte, count: min(count, 64 << 10))
        while remaining > 0 {
            let size = min(remaining, chunk.count)
            try write(contentsOf: size == chunk.count ? chunk : Array(chunk[..<size]))
            remaining -= size
        }
    }

    /// Appends `length` bytes of the file at `path`, starting at byte `offset`, without holding
    /// them in memory: the kernel copies them (`sendfile(2)`) where it can, otherwise they are
    /// copied in 4 MiB chunks with `pread`/`write`.
    ///
    /// - Throws: ``FileIOError`` if the source cannot be read or is shorter than `offset + length`.
    public func copy(fromFile path: String, offset: Int, length: Int) throws(FileIOError) {
        precondition(state == .open, "write after commit() or abort()")
        precondition(offset >= 0 && length >= 0, "offset and length must not be negative")
        guard length > 0 else { return }
        let source = open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw FileIOError.system("open", path: path) }
        defer { close(source) }
        var status = stat()
        guard fstat(source, &status) == 0 else { throw FileIOError.system("inspect", path: path) }
        guard Int(status.st_size) >= offset + length else {
            throw FileIOError(
                path: path,
                "\(path) is \(status.st_size) bytes, too short for the region \(offset)..<\(offset + length) to copy"
            )
        }
        try flush()
        var position = offset
        var remaining = length
        #if os(Linux)
            while remaining > 0 {
                var kernelOffset = off_t(position)
                let copied = sendfile(descriptor, source, &kernelOffset, min(remaining, 1 << 30))
                if copied > 0 {
                    position += copied
                    remaining -= copied
                    bytesWritten += copied
                } else if copied < 0 && errno == EINTR {
                    continue
                } else if copied < 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
                    break  // fall back to pread/write below
                } else if copied < 0 {
                    throw FileIOError.system("copy a region of \(path) into", path: temporaryPath)
                } else {
                    throw FileIOError(path: path, "\(path) ended while copying from it (was it truncated?)")
                }
            }
        #endif
        guard remaining > 0 else { return }
        do {
            try readFileRegion(path: path, offset: position, length: remaining, chunkSize: Self.copyChunkSize) { chunk in
                try writeToFile(chunk)
                bytesWritten += chunk.count
            }
        } catch let error as FileIOError {
            throw error
        } catch {
            throw FileIOError(path: path, "cannot copy from \(path): \(error)")
        }
    }

    /// Flushes, `fsync`s and renames the temporary file to the destination, replacing any file there.
    ///
    /// After a commit the writer accepts no more writes. If the commit fails the temporary file is
    /// removed and nothing appears at the destination.
    ///
    /// - Throws: ``FileIOError`` if flushing, syncing, closing or renaming fails.
    public func commit() throws(FileIOError) {
        precondition(state == .open, "commit() after commit() or abort()")
        do throws(FileIOError) {
            try flush()
            guard fsync(descriptor) == 0 else { throw FileIOError.system("sync", path: temporaryPath) }
            let closed = close(descriptor)
            descriptor = -1
            guard closed == 0 else { throw FileIOError.system("close", path: temporaryPath) }
            guard rename(temporaryPath, destinationPath) == 0 else {
                throw FileIOError.system("rename \(temporaryPath) to", path: destinationPath)
            }
        } catch {
            abort()
            throw error
        }
        state = .committed
        syncDirectory()
    }

    /// Discards everything written and removes the temporary file. Does nothing after a commit.
    public func abort() {
        guard state == .open else { return }
        state = .aborted
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(temporaryPath)
    }

    // MARK: - Private

    private func flush() throws(FileIOError) {
        guard buffered > 0 else { return }
        let pending = buffered
        buffered = 0
        try writeToFile(UnsafeRawBufferPointer(rebasing: buffer[..<pending]))
    }

    private func writeToFile(_ bytes: UnsafeRawBufferPointer) throws(FileIOError) {
        var offset = 0
        while offset < bytes.count {
            let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileIOError.system("write", path: temporaryPath)
            }
            offset += written
        }
    }

    /// Makes the rename durable; failures are ignored (the data itself is already synced).
    private func syncDirectory() {
        let directory = open(Self.split(destinationPath).directory, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}

/// `write(2)`, named apart from ``AtomicFileWriter``'s own `write` methods.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
