import Foundation
import Reduction
import TensorCore
import VideoIO
import Yams

/// A pipeline as written in a YAML file or given by flags: every field optional, so a file and
/// the flags beside it can be laid over each other and resolved into one `ResolvedPipeline`.
///
/// ```yaml
/// sampling:
///   fps: 2            # or frames: 64, or keyframes: true
///   max_frames: 128
///   start: 0          # seconds
///   end: 60
/// resize:
///   size: 512         # or 512x288
///   keep_aspect: false
/// reduce:
///   - evs:rate=0.7    # or a mapping: - evs: {rate: 0.7}
/// output:
///   dtype: f32        # f32, f16 or bf16
///   clip_frames: 16
/// ```
public struct PipelineSpec: Sendable, Equatable {
    public var fps: Double?
    public var frames: Int?
    public var keyframes: Bool?
    public var maxFrames: Int?
    public var start: Double?
    public var end: Double?
    /// `512` (square) or `WxH`.
    public var size: String?
    public var keepAspect: Bool?
    public var reducers: [ReducerSpec] = []
    public var dtype: String?
    public var clipFrames: Int?
    /// Encoder name (`c-radio`).
    public var encoder: String?
    /// Encoder checkpoint (folder or safetensors file).
    public var weights: String?
    /// CPE `align_corners` override.
    public var alignCorners: Bool?
    /// ViTDet window side in patches.
    public var vitdetWindow: Int?
    /// GSPN stage the features come from.
    public var stage: Int?
    /// The file this spec came from, if any.
    public var source: String?

    public init() {}

    /// Reads a pipeline file.
    ///
    /// - Throws: `PipelineError` naming the file and the bad key.
    public init(contentsOf path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PipelineError("cannot read pipeline file '\(path)' — check the path")
        }
        try self.init(yaml: text, source: path)
    }

    /// Parses pipeline YAML.
    public init(yaml: String, source: String? = nil) throws {
        let origin = source.map { "'\($0)'" } ?? "pipeline"
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw PipelineError("\(origin) is not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        self.source = source
        guard let root else { return }
        guard let top = root.mapping else { throw PipelineError("\(origin) must be a mapping of sections (sampling, resize, reduce, output)") }
        for (keyNode, value) in top {
            let key = keyNode.string ?? ""
            switch key {
            case "name", "description":
                continue
            case "sampling":
                try Self.fields(value, section: key, file: origin) { k, v in
                    switch k {
                    case "fps": fps = try Self.number(v, "sampling.fps", origin)
                    case "frames": frames = try Self.integer(v, "sampling.frames", origin)
                    case "keyframes": keyframes = try Self.boolean(v, "sampling.keyframes", origin)
                    case "max_frames": maxFrames = try Self.integer(v, "sampling.max_frames", origin)
                    case "start": start = try Self.number(v, "sampling.start", origin)
                    case "end": end = try Self.number(v, "sampling.end", origin)
                    default: throw PipelineError("\(origin): unknown key sampling.\(k) — use fps, frames, keyframes, max_frames, start, end")
                    }
                }
            case "resize":
                try Self.fields(value, section: key, file: origin) { k, v in
                    switch k {
                    case "size": size = v.string
                    case "keep_aspect": keepAspect = try Self.boolean(v, "resize.keep_aspect", origin)
                    default: throw PipelineError("\(origin): unknown key resize.\(k) — use size, keep_aspect")
                    }
                }
            case "reduce":
                guard let items = value.sequence else {
                    throw PipelineError("\(origin): reduce must be a list, e.g. '- evs:rate=0.7'")
                }
                for item in items { reducers.append(try Self.reducer(item, origin)) }
            case "encoder":
                try Self.fields(value, section: key, file: origin) { k, v in
                    switch k {
                    case "name": encoder = v.string
                    case "weights": weights = v.string.map { ($0 as NSString).expandingTildeInPath }
                    case "align_corners": alignCorners = try Self.boolean(v, "encoder.align_corners", origin)
                    case "vitdet_window": vitdetWindow = try Self.integer(v, "encoder.vitdet_window", origin)
                    case "stage": stage = try Self.integer(v, "encoder.stage", origin)
                    default: throw PipelineError("\(origin): unknown key encoder.\(k) — use name, weights, align_corners, vitdet_window, stage")
                    }
                }
            case "output":
                try Self.fields(value, section: key, file: origin) { k, v in
                    switch k {
                    case "dtype": dtype = v.string
                    case "clip_frames": clipFrames = try Self.integer(v, "output.clip_frames", origin)
                    default: throw PipelineError("\(origin): unknown key output.\(k) — use dtype, clip_frames")
                    }
                }
            default:
                throw PipelineError("\(origin): unknown section '\(key)' — use sampling, resize, reduce, encoder, output")
            }
        }
    }

    /// This spec with `flags` laid over it: every field the flags set wins. Choosing a sampling
    /// mode (fps, frames or keyframes) replaces the file's mode; a reducer the file already
    /// names takes the flag's options over its own (choosing EVS `rate` drops the file's
    /// `threshold` and the other way round); other reducers are appended.
    public func overlaid(with flags: PipelineSpec) -> PipelineSpec {
        var out = self
        if flags.fps != nil || flags.frames != nil || flags.keyframes == true {
            out.fps = flags.fps
            out.frames = flags.frames
            out.keyframes = flags.keyframes
        }
        if let v = flags.maxFrames { out.maxFrames = v }
        if let v = flags.start { out.start = v }
        if let v = flags.end { out.end = v }
        if let v = flags.size { out.size = v }
        if let v = flags.keepAspect { out.keepAspect = v }
        if let v = flags.dtype { out.dtype = v }
        if let v = flags.clipFrames { out.clipFrames = v }
        if let v = flags.encoder { out.encoder = v }
        if let v = flags.weights { out.weights = v }
        if let v = flags.alignCorners { out.alignCorners = v }
        if let v = flags.vitdetWindow { out.vitdetWindow = v }
        if let v = flags.stage { out.stage = v }
        for flag in flags.reducers {
            if let i = out.reducers.firstIndex(where: { $0.name == flag.name }) {
                var base = out.reducers[i]
                for group in ReducerRegistry.exclusiveOptions(of: flag.name)
                where flag.options.contains(where: { group.contains($0.key) }) {
                    base.options.removeAll { group.contains($0.key) }
                }
                out.reducers[i] = base.merged(with: flag)
            } else {
                out.reducers.append(flag)
            }
        }
        return out
    }

    /// Applies defaults and checks every value.
    ///
    /// - Throws: `PipelineError` or `ReductionError` with one line saying what to change.
    public func resolved() throws -> ResolvedPipeline {
        let modes = [fps != nil, frames != nil, keyframes == true].filter { $0 }.count
        guard modes <= 1 else {
            throw PipelineError("choose one sampling mode: --fps, --frames or --keyframes")
        }
        let mode: FrameSampling.Mode
        if let fps {
            guard fps > 0, fps.isFinite else { throw PipelineError("--fps \(fps) must be a positive number, e.g. --fps 2") }
            mode = .fps(fps)
        } else if let frames {
            guard frames > 0 else { throw PipelineError("--frames \(frames) must be at least 1") }
            mode = .count(frames)
        } else if keyframes == true {
            mode = .keyframes
        } else {
            mode = .fps(ResolvedPipeline.defaultFPS)
        }
        if let maxFrames, maxFrames < 1 { throw PipelineError("--max-frames \(maxFrames) must be at least 1") }
        if let start, start < 0 || !start.isFinite { throw PipelineError("--start \(start) must be ≥ 0 seconds") }
        if let end {
            guard end > (start ?? 0), end.isFinite else {
                throw PipelineError("--end \(end) must be after --start \(start ?? 0) (seconds)")
            }
        }
        let patch = ResolvedPipeline.patchSize
        let sizeText = size ?? String(ResolvedPipeline.defaultSize)
        let resize: ResizeMode
        let parsed = try Self.parseSize(sizeText)
        if keepAspect == true {
            guard parsed.width == parsed.height else {
                throw PipelineError("--keep-aspect takes one side (--size 512), not \(sizeText)")
            }
            resize = .keepAspect(longSide: parsed.width, multiple: patch)
        } else {
            resize = .exact(parsed)
        }
        let dtypeText = dtype ?? "f32"
        let dtype: DType
        do {
            dtype = try DType(option: dtypeText)
        } catch {
            throw PipelineError("--dtype \(dtypeText) is unknown — use f32, f16 or bf16")
        }
        let clip = clipFrames ?? ResolvedPipeline.defaultClipFrames
        guard clip >= 1 else { throw PipelineError("clip_frames \(clip) must be at least 1") }
        if reducers.contains(where: { $0.name == "autogaze" }) {
            guard case .exact(let size) = resize, size.width == size.height, size.width % GazeLayout.tileSide == 0 else {
                throw PipelineError("autogaze needs a square size that is a multiple of 224 — use --size 224 or --size 448")
            }
        }
        // Check each reducer's options and record its resolved form.
        let chain = try reducers.map(ReducerRegistry.specification(of:))
        var resolved = ResolvedPipeline(
            sampling: FrameSampling(mode: mode, maxFrames: maxFrames, start: start, end: end),
            resize: resize, reducers: chain, dtype: dtype, clipFrames: clip, specFile: source)
        if let encoder {
            guard EncoderSpec.names.contains(encoder.lowercased()) else {
                throw PipelineError("unknown encoder '\(encoder)' — available: \(EncoderSpec.names.joined(separator: ", "))")
            }
            guard let weights else {
                throw PipelineError("--encoder \(encoder) needs --weights (a model folder or a .safetensors file)")
            }
            if let vitdetWindow, vitdetWindow < 0 { throw PipelineError("--vitdet-window \(vitdetWindow) must be ≥ 0") }
            if let stage, !(0...3).contains(stage) { throw PipelineError("--stage \(stage) must be 0, 1, 2 or 3") }
            resolved.encoder = EncoderSpec(
                name: encoder.lowercased(), weights: weights, alignCorners: alignCorners, vitdetWindow: vitdetWindow,
                stage: stage)
        } else if weights != nil {
            throw PipelineError("--weights needs --encoder (e.g. --encoder c-radio)")
        }
        return resolved
    }

    /// Parses `512` or `WxH`; both sides positive multiples of the patch size.
    public static func parseSize(_ text: String) throws -> FrameSize {
        let patch = ResolvedPipeline.patchSize
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == parts.count, numbers.count == 1 || numbers.count == 2 else {
            throw PipelineError("--size \(text) is not a size — write 512 or 512x288")
        }
        let size = numbers.count == 1 ? FrameSize.square(numbers[0]) : FrameSize(width: numbers[0], height: numbers[1])
        guard size.width > 0, size.height > 0, size.width % patch == 0, size.height % patch == 0 else {
            throw PipelineError("--size \(text) must be positive multiples of the patch size \(patch), e.g. 512 or 448x256")
        }
        guard size.width <= 8192, size.height <= 8192 else {
            throw PipelineError("--size \(text) is larger than 8192 pixels a side")
        }
        return size
    }

    // MARK: YAML helpers

    private static func fields(
        _ node: Node, section: String, file: String, _ body: (String, Node) throws -> Void
    ) throws {
        guard let mapping = node.mapping else { throw PipelineError("\(file): \(section) must be a mapping") }
        for (k, v) in mapping { try body(k.string ?? "", v) }
    }

    private static func number(_ node: Node, _ key: String, _ file: String) throws -> Double {
        guard let x = node.float ?? node.int.map(Double.init) else { throw PipelineError("\(file): \(key) must be a number") }
        return x
    }

    private static func integer(_ node: Node, _ key: String, _ file: String) throws -> Int {
        guard let x = node.int else { throw PipelineError("\(file): \(key) must be a whole number") }
        return x
    }

    private static func boolean(_ node: Node, _ key: String, _ file: String) throws -> Bool {
        guard let x = node.bool else { throw PipelineError("\(file): \(key) must be true or false") }
        return x
    }

    private static func reducer(_ node: Node, _ file: String) throws -> ReducerSpec {
        if let text = node.string { return try ReducerSpec(parsing: text) }
        if let mapping = node.mapping, mapping.count == 1, let (k, v) = mapping.first.map({ ($0.key, $0.value) }) {
            var options: [(key: String, value: String)] = []
            if let inner = v.mapping {
                for (ok, ov) in inner { options.append((ok.string ?? "", ov.string ?? "")) }
            } else if v.null == nil {
                throw PipelineError("\(file): options of reducer '\(k.string ?? "")' must be a mapping, e.g. {rate: 0.7}")
            }
            return ReducerSpec(name: (k.string ?? "").lowercased(), options: options)
        }
        throw PipelineError("\(file): each reduce entry is 'name:key=value' or a one-key mapping, e.g. - evs: {rate: 0.7}")
    }
}
