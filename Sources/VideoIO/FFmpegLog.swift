import CFFmpeg

/// How much FFmpeg itself prints to standard error. The setting is global to the process.
public enum FFmpegLog {
    /// FFmpeg's log levels, from silent to chatty.
    public enum Level: Sendable, Hashable {
        /// Print nothing.
        case quiet
        /// Only errors (e.g. damaged packets).
        case error
        /// Errors and warnings (FFmpeg's default is `.info`).
        case warning
        /// FFmpeg's default.
        case info

        var rawLevel: Int32 {
            switch self {
            case .quiet: AV_LOG_QUIET
            case .error: AV_LOG_ERROR
            case .warning: AV_LOG_WARNING
            case .info: AV_LOG_INFO
            }
        }
    }

    /// Sets the level below which FFmpeg's messages are dropped, for the whole process.
    public static func setLevel(_ level: Level) {
        av_log_set_level(level.rawLevel)
    }
}
