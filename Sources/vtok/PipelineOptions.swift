import ArgumentParser
import Foundation
import Pipeline
import Reduction

/// Sampling, resizing and reducer flags shared by the commands that read a video.
struct PipelineOptions: ParsableArguments {
    @Option(help: "Pipeline YAML file; flags given beside it override it.")
    var pipeline: String?

    @Option(help: "Sample this many frames per second of video (default 2).")
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

    @Option(help: "Model resolution: 512 (square) or WxH, multiples of 16 (default 512).")
    var size: String?

    @Flag(help: "Resize the long side to --size and keep the aspect ratio (multiples of 16).")
    var keepAspect = false

    @Option(name: .customLong("reduce"), help: "A reducer, name:key=value,... (repeat to chain), e.g. evs:rate=0.7.")
    var reducers: [String] = []

    @Option(help: "Vision encoder run on the kept tokens: c-radio.")
    var encoder: String?

    @Option(help: "Encoder checkpoint: a Hugging Face model folder (config.json + model.safetensors) or the .safetensors file.")
    var weights: String?

    @Option(help: "Override the C-RADIO CPE align_corners flag (true or false; default: from the checkpoint).")
    var alignCorners: Bool?

    @Option(help: "C-RADIO ViTDet window side in patches (0: global attention).")
    var vitdetWindow: Int?

    /// The pipeline file (if any) with `flags` laid over it.
    func combined(with flags: PipelineSpec) throws -> PipelineSpec {
        let base = try pipeline.map(PipelineSpec.init(contentsOf:)) ?? PipelineSpec()
        return base.overlaid(with: flags)
    }

    /// The flags as a pipeline spec to lay over a pipeline file.
    func spec() throws -> PipelineSpec {
        var spec = PipelineSpec()
        spec.fps = fps
        spec.frames = frames
        spec.keyframes = keyframes ? true : nil
        spec.maxFrames = maxFrames
        spec.start = start
        spec.end = end
        spec.size = size
        spec.keepAspect = keepAspect ? true : nil
        spec.reducers = try reducers.map(ReducerSpec.init(parsing:))
        spec.encoder = encoder
        spec.weights = weights.map { ($0 as NSString).expandingTildeInPath }
        spec.alignCorners = alignCorners
        spec.vitdetWindow = vitdetWindow
        return spec
    }
}
