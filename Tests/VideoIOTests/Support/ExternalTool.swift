import Foundation
import TestSupport

/// Runs the ffmpeg and ffprobe command-line tools, found on `PATH`, through `TestSupport.run`.
enum ExternalTool {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The full path of `name` on `PATH`.
    static func locate(_ name: String) throws -> String {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in searchPath.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure(
            description: "\(name) is not on PATH — install FFmpeg's command-line tools (apt-get install ffmpeg)")
    }

    /// Runs `name` with `arguments` and returns its standard output; throws with its standard
    /// error when it exits with a non-zero status.
    @discardableResult
    static func run(_ name: String, _ arguments: [String]) throws -> Data {
        let result = try TestSupport.run(try locate(name), arguments)
        guard result.status == 0 else {
            throw Failure(description: "\(name) \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
        return result.stdoutData
    }

    /// Runs ffmpeg quietly with `arguments`.
    @discardableResult
    static func ffmpeg(_ arguments: [String]) throws -> Data {
        try run("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + arguments)
    }
}
