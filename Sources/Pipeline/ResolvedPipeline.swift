import Reduction
import TensorCore
import VideoIO

/// A pipeline with every default applied and every value checked; what a token pack records.
public struct ResolvedPipeline: Sendable, Equatable {
    /// Patch side in pixels (C-RADIO and the pixel-space reducers use 16).
    public static let patchSize = 16
    public static let defaultFPS = 2.0
    public static let defaultSize = 512
    public static let defaultClipFrames = 8

    public var sampling: FrameSampling
    public var resize: ResizeMode
    /// The reducer chain, each in resolved `name:key=value` form.
    public var reducers: [String]
    /// Element type of the `tokens` tensor: F32, F16 or BF16.
    public var dtype: DType
    /// Frames handed to the reducers at a time; memory is bounded by this, not by the video.
    public var clipFrames: Int
    /// The pipeline file the spec came from, if any.
    public var specFile: String?
    /// The vision encoder run on the kept tokens, if any.
    public var encoder: EncoderSpec?

    public init(
        sampling: FrameSampling, resize: ResizeMode, reducers: [String], dtype: DType, clipFrames: Int,
        specFile: String? = nil
    ) {
        self.sampling = sampling
        self.resize = resize
        self.reducers = reducers
        self.dtype = dtype
        self.clipFrames = clipFrames
        self.specFile = specFile
    }

    /// Builds the reducer chain.
    public func makeReducers() throws -> [TokenReducer] {
        try reducers.map { try ReducerRegistry.make(ReducerSpec(parsing: $0)) }
    }

    /// A JSON-ready description, written into every token pack.
    public var jsonObject: [String: Any] {
        var sampler: [String: Any] = [:]
        switch sampling.mode {
        case .all: sampler["mode"] = "all"
        case .count(let n):
            sampler["mode"] = "frames"
            sampler["frames"] = n
        case .fps(let f):
            sampler["mode"] = "fps"
            sampler["fps"] = f
        case .keyframes: sampler["mode"] = "keyframes"
        }
        if let v = sampling.maxFrames { sampler["max_frames"] = v }
        if let v = sampling.start { sampler["start"] = v }
        if let v = sampling.end { sampler["end"] = v }
        var resizeObject: [String: Any] = [:]
        switch resize {
        case .exact(let s):
            resizeObject = ["width": s.width, "height": s.height, "keep_aspect": false]
        case .keepAspect(let side, let multiple):
            resizeObject = ["long_side": side, "multiple": multiple, "keep_aspect": true]
        }
        var object: [String: Any] = [
            "sampling": sampler, "resize": resizeObject, "patch_size": Self.patchSize, "reduce": reducers,
            "dtype": dtype.optionName ?? dtype.safetensorsName.lowercased(), "clip_frames": clipFrames,
        ]
        if let specFile { object["spec_file"] = specFile }
        if let encoder { object["encoder"] = encoder.jsonObject }
        return object
    }
}
