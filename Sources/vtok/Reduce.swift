import ArgumentParser
import Foundation
import Pipeline
import Reduction

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

    @Option(help: "Pipeline YAML file; flags given beside it override it.")
    var pipeline: String?

    @Option(help: "Sample this many frames per second of video.")
    var fps: Double?

    @Option(help: "Sample this many frames, evenly spaced (floor(linspace(0, total-1, N))).")
    var frames: Int?

    @Flag(help: "Sample keyframes only (other frames are not decoded).")
    var keyframes = false

    @Option(help: "Sample at most this many frames.")
    var maxFrames: Int?

    @Option(help: "Start of the range, seconds.")
    var start: Double?

    @Option(help: "End of the range, seconds.")
    var end: Double?

    @Option(help: "Model resolution: 512 (square) or WxH, multiples of 16.")
    var size: String?

    @Flag(help: "Resize the long side to --size and keep the aspect ratio (multiples of 16).")
    var keepAspect = false

    @Option(name: .customLong("reduce"), help: "A reducer, name:key=value,... (repeat to chain), e.g. evs:rate=0.7.")
    var reducers: [String] = []

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

    @Flag(help: "Skip rebuilding the video from kept patches (no PSNR).")
    var noFidelity = false

    @Flag(help: "Do not print the report table.")
    var quiet = false

    @Flag(help: "Do not show progress on standard error.")
    var noProgress = false

    func run() throws {
        var flags = PipelineSpec()
        flags.fps = fps
        flags.frames = frames
        flags.keyframes = keyframes ? true : nil
        flags.maxFrames = maxFrames
        flags.start = start
        flags.end = end
        flags.size = size
        flags.keepAspect = keepAspect ? true : nil
        flags.reducers = try reducers.map(ReducerSpec.init(parsing:))
        flags.dtype = dtype
        flags.clipFrames = clipFrames
        let base = try pipeline.map(PipelineSpec.init(contentsOf:)) ?? PipelineSpec()
        let resolved = try base.overlaid(with: flags).resolved()

        let destination = output ?? Self.defaultOutput(for: input)
        let runner = PipelineRunner(pipeline: resolved)
        runner.measuresFidelity = !noFidelity
        runner.showsProgress = !noProgress
        runner.picturePath = reportPng
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
