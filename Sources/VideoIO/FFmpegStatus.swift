import CFFmpeg

/// FFmpeg status codes and timestamps that Swift cannot import directly (they are macros),
/// read once through the C shim.
enum FFmpegStatus {
    /// `AVERROR(EAGAIN)`.
    static let tryAgain = vtok_averror_eagain()
    /// `AVERROR_EOF`.
    static let endOfFile = vtok_averror_eof()
    /// `AVERROR(ENOENT)`.
    static let noSuchFile = vtok_averror_enoent()
    /// `AV_NOPTS_VALUE`.
    static let noTimestamp = vtok_nopts_value()

    /// FFmpeg's own text for an error code, e.g. `Invalid data found when processing input`.
    static func message(for code: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            guard let base = buffer.baseAddress else { return "error \(code)" }
            return String(cString: vtok_error_string(code, base, buffer.count))
        }
    }

    /// Whether `code` is `AVERROR(e)` for the POSIX error number `e`.
    static func code(_ code: Int32, is errorNumber: Int32) -> Bool {
        code == vtok_averror(errorNumber)
    }
}
