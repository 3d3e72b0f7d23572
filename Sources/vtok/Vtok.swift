import ArgumentParser
import Foundation
import Pipeline
import VideoIO

@main
struct Vtok: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vtok",
        abstract: "Reduce a video to the few visual tokens a VLM needs, and report the compression.",
        version: VtokVersion.current,
        subcommands: [Reduce.self, Inspect.self, ReportCommand.self, Sweep.self, EncoderCommand.self, Bench.self]
    )

    /// Parses and runs, printing every failure as one line on standard error.
    static func main() {
        // FFmpeg's own messages would break the one-line error rule; vtok reports what matters.
        FFmpegLog.setLevel(ProcessInfo.processInfo.environment["VTOK_FFMPEG_LOG"] == nil ? .quiet : .warning)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)  // --help and --version print as ArgumentParser does
            }
            let isUsage = code == .validationFailure
            let message = isUsage ? fullMessage(for: error) : String(describing: error)
            let line = message.split(separator: "\n").first.map(String.init) ?? message
            var text = "vtok: error: " + line.replacingOccurrences(of: "Error: ", with: "")
            if isUsage { text += " (see 'vtok --help')" }
            FileHandle.standardError.write(Data((text + "\n").utf8))
            Foundation.exit(isUsage ? 2 : 1)
        }
    }
}
