import Foundation

/// Runs the ffmpeg and ffprobe command-line tools, found on `PATH`.
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try locate(name))
        process.arguments = arguments
        // Standard error goes to a file, so a chatty tool cannot block on a full pipe.
        let errorPath = NSTemporaryDirectory() + "vtok-tool-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        let errorFile = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errorFile
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errorFile.close()
        let errorData = FileManager.default.contents(atPath: errorPath) ?? Data()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errorData, as: UTF8.self)
            throw Failure(description: "\(name) \(arguments.joined(separator: " ")) failed: \(message)")
        }
        return outputData
    }

    /// Runs ffmpeg quietly with `arguments`.
    @discardableResult
    static func ffmpeg(_ arguments: [String]) throws -> Data {
        try run("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + arguments)
    }
}
