import ArgumentParser
import Foundation
import Pipeline

struct Reduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sample, resize and reduce a video into a token pack (safetensors).",
        discussion: """
            Examples:
              vtok reduce samples/bigbuckbunny.mp4 --fps 2 --size 512 --reduce evs:rate=0.7 \\
                   -o out.safetensors --report-json report.json
              vtok reduce clip.mkv --frames 64 --reduce evs:threshold=0.04 --pipeline pipelines/evs.yaml
            """
    )

    @Argument(help: "The video file (any container and codec FFmpeg reads).")
    var input: String

    @OptionGroup var options: PipelineOptions

    @Option(help: "Element type of the tokens: f32, f16 or bf16.")
    var dtype: String?

    @Option(help: "Frames handed to the reducers at a time (bounds memory).")
    var clipFrames: Int?

    @Option(name: [.short, .customLong("output")], help: "Token pack to write (default: <input name>.safetensors here).")
    var output: String?

    @Option(help: "Also write the report as JSON to this file.")
    var reportJson: String?

    @Option(help: "Also draw what was kept (thumbnails with pruned patches dimmed, tokens per frame) as a PNG.")
    var reportPng: String?

    @Flag(help: "Also write AutoGaze's gazing_pos, if_padded_gazing and num_gazing_each_frame tensors.")
    var gazeTensors = false

    @Flag(help: "Skip rebuilding the video from kept patches (no PSNR).")
    var noFidelity = false

    @Flag(help: "Do not print the report table.")
    var quiet = false

    @Flag(help: "Do not show progress on standard error.")
    var noProgress = false

    func run() throws {
        var flags = try options.spec()
        flags.dtype = dtype
        flags.clipFrames = clipFrames
        let resolved = try options.combined(with: flags).resolved()

        if gazeTensors && !resolved.reducers.contains(where: { $0.hasPrefix("autogaze") }) {
            throw ValidationError("--gaze-tensors needs AutoGaze output — add --reduce autogaze:psnr=30 (or l1=, model=)")
        }
        let destination = output ?? Self.defaultOutput(for: input)
        try Destination.check(destination, flag: "-o")
        if let reportJson { try Destination.check(reportJson, flag: "--report-json") }
        if let reportPng { try Destination.check(reportPng, flag: "--report-png") }
        let runner = PipelineRunner(pipeline: resolved)
        runner.measuresFidelity = !noFidelity
        runner.showsProgress = !noProgress
        runner.picturePath = reportPng
        runner.writesGazeTensors = gazeTensors
        let result = try runner.run(input: input, output: destination)
        if let reportJson {
            try ReportFile.write(result.report, to: reportJson)
        }
        if !quiet {
            print(result.report.table())
            print("wrote         \(destination)")
        }
    }

    static func defaultOutput(for input: String) -> String {
        let name = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
        return name + ".safetensors"
    }
}
