import Foundation

/// The architecture of an AutoGaze gaze model, as read from its Hugging Face `config.json`.
///
/// The defaults are the released `nvidia/AutoGaze` checkpoint (3,258,240 parameters): scales
/// 32+64+112+224 (265 gaze ids per frame: 4 | 16 | 49 | 196), a 224×224 input cut into 16×16
/// patches (196 vision tokens of width 192), and a 4-layer LLaMA decoder (hidden 192, 6 heads of
/// 32, SwiGLU 384, RMSNorm ε 1e-5, RoPE θ 500000 with llama3 scaling) predicting
/// K = 10 gaze tokens per step over a vocabulary of 266 (265 ids + EOS/pad 265).
///
/// `config.json` is the serialised `AutoGazeConfig` of the upstream code: top-level `scales`,
/// `num_vision_tokens_each_frame`, `max_num_frames` and a nested `gaze_model_config` with
/// `input_img_size`, `vision_model_config` (`hidden_dim`, `out_dim`, `depth`, `kernel_size`,
/// `temporal_patch_size`, `trunk_temporal_kernel_size`, `trunk_spatial_kernel_size`) and
/// `gaze_decoder_config` (LLaMA fields: `hidden_size`, `intermediate_size`, `num_hidden_layers`,
/// `num_attention_heads`, `num_key_value_heads`, `head_dim`, `rms_norm_eps`, `rope_theta`,
/// `rope_scaling`, `max_position_embeddings`, `vocab_size`, `eos_token_id`, `hidden_act`,
/// `attention_bias`, `mlp_bias`, `num_multi_token_pred`). Missing fields keep their defaults;
/// unknown fields are ignored.
public struct GazeModelConfig: Sendable, Equatable {
    /// llama3 RoPE frequency scaling (transformers' `_compute_llama3_parameters`).
    public struct RopeScaling: Sendable, Equatable {
        public var factor: Double = 8
        public var lowFreqFactor: Double = 1
        public var highFreqFactor: Double = 4
        public var originalMaxPositionEmbeddings: Int = 8192
        public init() {}
    }

    /// The scales (frame sizes in pixels) of the gaze vocabulary, ascending.
    public var scales: [Int] = [32, 64, 112, 224]
    /// Gaze ids per frame over all scales (265); also the EOS/pad id.
    public var numVisionTokensEachFrame = 265
    /// The clip length the model was trained on (16); longer videos are gazed in chunks.
    public var maxNumFrames = 16
    /// The side of the square frame the encoder takes (224).
    public var inputImageSize = 224
    /// The patch side of the vision encoder's first convolution (16).
    public var patchSize = 16
    /// Channels of the vision encoder (192).
    public var visionHiddenSize = 192
    /// Channels of the vision encoder's output projection (192); must equal ``hiddenSize``.
    public var visionOutputSize = 192
    /// Causal 3-D convolution blocks in the vision trunk (1).
    public var visionDepth = 1
    /// Temporal kernel of the trunk convolution (3: the frame and the 2 before it).
    public var trunkTemporalKernelSize = 3
    /// Spatial kernel of the trunk convolution (3).
    public var trunkSpatialKernelSize = 3
    /// Decoder width (192).
    public var hiddenSize = 192
    /// SwiGLU inner width (384).
    public var intermediateSize = 384
    /// Decoder layers (4).
    public var numHiddenLayers = 4
    /// Attention heads (6).
    public var numAttentionHeads = 6
    /// Key/value heads (6: full multi-head attention).
    public var numKeyValueHeads = 6
    /// Width of one head (32).
    public var headDim = 32
    /// RMSNorm ε (1e-5).
    public var rmsNormEps: Double = 1e-5
    /// RoPE base θ (500000).
    public var ropeTheta: Double = 500_000
    /// llama3 frequency scaling, or `nil` for plain RoPE.
    public var ropeScaling: RopeScaling? = RopeScaling()
    /// The decoder's position limit (131072).
    public var maxPositionEmbeddings = 131_072
    /// Gaze tokens predicted per decoder step, K (10).
    public var numMultiTokenPred = 10
    /// Decoder vocabulary: the gaze ids plus EOS/pad (266).
    public var vocabSize = 266
    /// The EOS/pad id (265).
    public var eosTokenID = 265

    /// The released checkpoint's configuration.
    public static let released = GazeModelConfig()

    public init() {}

    /// The side of the vision token grid (14).
    public var gridSize: Int { inputImageSize / patchSize }
    /// Vision tokens per frame (196).
    public var visionTokensPerFrame: Int { gridSize * gridSize }
    /// Gaze ids per scale, `int(s²/Σs² · N)` as upstream ([4, 16, 49, 196]).
    public var tokensPerScale: [Int] {
        let total = scales.reduce(0) { $0 + $1 * $1 }
        return scales.map { Int(Double($0 * $0) / Double(total) * Double(numVisionTokensEachFrame)) }
    }

    /// Reads a `config.json`; `source` names the file in errors.
    ///
    /// - Throws: ``GazeModelError`` (`.invalidConfig`) naming the file and the field.
    public init(json data: Data, source: String) throws(GazeModelError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw GazeModelError(.invalidConfig, "\(source) is not valid JSON (\(error.localizedDescription)) — use the config.json of nvidia/AutoGaze, or leave it out to use the released defaults")
        }
        guard let root = object as? [String: Any] else {
            throw GazeModelError(.invalidConfig, "\(source) is not a JSON object — use the config.json of nvidia/AutoGaze")
        }
        let reader = ConfigReader(source: source)
        let model = try reader.object(root, "gaze_model_config")
        let vision = try reader.object(model, "vision_model_config", parent: "gaze_model_config")
        let decoder = try reader.object(model, "gaze_decoder_config", parent: "gaze_model_config")
        let vPath = "gaze_model_config.vision_model_config"
        let dPath = "gaze_model_config.gaze_decoder_config"

        if let text = root["scales"] as? String {
            let parts = text.split(separator: "+").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw GazeModelError(.invalidConfig, "\(source): scales is \"\(text)\", expected sizes joined by '+', e.g. \"32+64+112+224\"")
            }
            scales = parts.map { $0! }.sorted()
        } else if let single = try reader.int(root, "scales") {
            guard single > 0 else { throw GazeModelError(.invalidConfig, "\(source): scales is \(single), expected a positive size") }
            scales = [single]
        }
        let nestedTokens = try reader.int(model, "num_vision_tokens_each_frame", parent: "gaze_model_config")
        numVisionTokensEachFrame = try reader.int(root, "num_vision_tokens_each_frame") ?? nestedTokens ?? numVisionTokensEachFrame
        maxNumFrames = try reader.int(root, "max_num_frames") ?? maxNumFrames
        inputImageSize = try reader.int(model, "input_img_size", parent: "gaze_model_config") ?? inputImageSize

        patchSize = try reader.int(vision, "kernel_size", parent: vPath) ?? patchSize
        visionHiddenSize = try reader.int(vision, "hidden_dim", parent: vPath) ?? visionHiddenSize
        visionOutputSize = try reader.int(vision, "out_dim", parent: vPath) ?? visionOutputSize
        visionDepth = try reader.int(vision, "depth", parent: vPath) ?? visionDepth
        trunkTemporalKernelSize = try reader.int(vision, "trunk_temporal_kernel_size", parent: vPath) ?? trunkTemporalKernelSize
        trunkSpatialKernelSize = try reader.int(vision, "trunk_spatial_kernel_size", parent: vPath) ?? trunkSpatialKernelSize
        if let temporal = try reader.int(vision, "temporal_patch_size", parent: vPath), temporal != 1 {
            throw GazeModelError(.invalidConfig, "\(source): \(vPath).temporal_patch_size is \(temporal), only 1 (every frame gazed, as released) is supported")
        }

        hiddenSize = try reader.int(decoder, "hidden_size", parent: dPath) ?? hiddenSize
        intermediateSize = try reader.int(decoder, "intermediate_size", parent: dPath) ?? intermediateSize
        numHiddenLayers = try reader.int(decoder, "num_hidden_layers", parent: dPath) ?? numHiddenLayers
        numAttentionHeads = try reader.int(decoder, "num_attention_heads", parent: dPath) ?? numAttentionHeads
        numKeyValueHeads = try reader.int(decoder, "num_key_value_heads", parent: dPath) ?? numAttentionHeads
        headDim = try reader.int(decoder, "head_dim", parent: dPath) ?? (hiddenSize / max(1, numAttentionHeads))
        rmsNormEps = try reader.double(decoder, "rms_norm_eps", parent: dPath) ?? rmsNormEps
        ropeTheta = try reader.double(decoder, "rope_theta", parent: dPath) ?? ropeTheta
        maxPositionEmbeddings = try reader.int(decoder, "max_position_embeddings", parent: dPath) ?? maxPositionEmbeddings
        numMultiTokenPred = try reader.int(decoder, "num_multi_token_pred", parent: dPath) ?? numMultiTokenPred
        vocabSize = try reader.int(decoder, "vocab_size", parent: dPath) ?? (numVisionTokensEachFrame + 1)
        eosTokenID = try reader.int(decoder, "eos_token_id", parent: dPath) ?? numVisionTokensEachFrame
        if let act = try reader.string(decoder, "hidden_act", parent: dPath), act != "silu" {
            throw GazeModelError(.invalidConfig, "\(source): \(dPath).hidden_act is \"\(act)\", only \"silu\" (SwiGLU, as released) is supported")
        }
        for flag in ["attention_bias", "mlp_bias"] {
            if try reader.bool(decoder, flag, parent: dPath) == true {
                throw GazeModelError(.invalidConfig, "\(source): \(dPath).\(flag) is true, only bias-free layers (as released) are supported")
            }
        }
        if decoder.keys.contains("rope_scaling") {
            if decoder["rope_scaling"] is NSNull {
                ropeScaling = nil
            } else {
                let scaling = try reader.object(decoder, "rope_scaling", parent: dPath)
                let sPath = dPath + ".rope_scaling"
                let legacyKind = try reader.string(scaling, "type", parent: sPath)
                let kind = try reader.string(scaling, "rope_type", parent: sPath) ?? legacyKind ?? "llama3"
                switch kind {
                case "default":
                    ropeScaling = nil
                case "llama3":
                    var s = RopeScaling()
                    s.factor = try reader.double(scaling, "factor", parent: sPath) ?? s.factor
                    s.lowFreqFactor = try reader.double(scaling, "low_freq_factor", parent: sPath) ?? s.lowFreqFactor
                    s.highFreqFactor = try reader.double(scaling, "high_freq_factor", parent: sPath) ?? s.highFreqFactor
                    s.originalMaxPositionEmbeddings =
                        try reader.int(scaling, "original_max_position_embeddings", parent: sPath) ?? s.originalMaxPositionEmbeddings
                    ropeScaling = s
                default:
                    throw GazeModelError(.invalidConfig, "\(source): \(sPath).rope_type is \"\(kind)\", only \"llama3\" (as released) or \"default\" is supported")
                }
            }
        }
        try validate(source: source)
    }

    /// Checks that the numbers describe a model this implementation can run.
    func validate(source: String) throws(GazeModelError) {
        func fail(_ message: String) -> GazeModelError {
            GazeModelError(.invalidConfig, "\(source): \(message) — use the config.json that came with the weights")
        }
        let positive: [(String, Int)] = [
            ("num_vision_tokens_each_frame", numVisionTokensEachFrame), ("input_img_size", inputImageSize),
            ("kernel_size", patchSize), ("hidden_dim", visionHiddenSize), ("out_dim", visionOutputSize),
            ("depth", visionDepth), ("trunk_temporal_kernel_size", trunkTemporalKernelSize),
            ("trunk_spatial_kernel_size", trunkSpatialKernelSize), ("hidden_size", hiddenSize),
            ("intermediate_size", intermediateSize), ("num_hidden_layers", numHiddenLayers),
            ("num_attention_heads", numAttentionHeads), ("num_key_value_heads", numKeyValueHeads),
            ("head_dim", headDim), ("num_multi_token_pred", numMultiTokenPred),
        ]
        for (name, value) in positive where value < 1 || value > 1 << 20 {
            throw fail("\(name) is \(value), expected a positive size")
        }
        guard inputImageSize % patchSize == 0 else {
            throw fail("input_img_size \(inputImageSize) is not a multiple of kernel_size \(patchSize)")
        }
        guard trunkSpatialKernelSize % 2 == 1 else {
            throw fail("trunk_spatial_kernel_size is \(trunkSpatialKernelSize), expected an odd size")
        }
        guard visionOutputSize == hiddenSize else {
            throw fail("vision out_dim \(visionOutputSize) differs from the decoder hidden_size \(hiddenSize)")
        }
        guard numAttentionHeads % numKeyValueHeads == 0 else {
            throw fail("num_attention_heads \(numAttentionHeads) is not a multiple of num_key_value_heads \(numKeyValueHeads)")
        }
        guard headDim % 2 == 0 else { throw fail("head_dim is \(headDim), expected an even size (RoPE)") }
        guard vocabSize == numVisionTokensEachFrame + 1, eosTokenID == numVisionTokensEachFrame else {
            throw fail("vocab_size \(vocabSize) / eos_token_id \(eosTokenID) do not match num_vision_tokens_each_frame \(numVisionTokensEachFrame) (expected \(numVisionTokensEachFrame + 1) / \(numVisionTokensEachFrame))")
        }
        guard numMultiTokenPred <= visionTokensPerFrame else {
            throw fail("num_multi_token_pred \(numMultiTokenPred) exceeds the \(visionTokensPerFrame) vision tokens of a frame")
        }
        guard rmsNormEps >= 0, rmsNormEps.isFinite, ropeTheta > 1, ropeTheta.isFinite else {
            throw fail("rms_norm_eps \(rmsNormEps) / rope_theta \(ropeTheta) are out of range")
        }
        if let s = ropeScaling {
            guard s.factor > 0, s.lowFreqFactor > 0, s.highFreqFactor > s.lowFreqFactor, s.originalMaxPositionEmbeddings > 0 else {
                throw fail("rope_scaling has factor \(s.factor), low_freq_factor \(s.lowFreqFactor), high_freq_factor \(s.highFreqFactor), original_max_position_embeddings \(s.originalMaxPositionEmbeddings); expected positive values with high > low")
            }
        }
    }
}

/// Typed access to the fields of a parsed `config.json`, with errors naming the field.
private struct ConfigReader {
    let source: String

    private func path(_ parent: String?, _ key: String) -> String {
        parent.map { "\($0).\(key)" } ?? key
    }

    private func mistyped(_ value: Any, _ field: String, _ expected: String) -> GazeModelError {
        GazeModelError(.invalidConfig, "\(source): \(field) is \(value), expected \(expected) — use the config.json of nvidia/AutoGaze")
    }

    /// A nested object, or an empty one when the key is missing or null.
    func object(_ dict: [String: Any], _ key: String, parent: String? = nil) throws(GazeModelError) -> [String: Any] {
        guard let value = dict[key], !(value is NSNull) else { return [:] }
        guard let object = value as? [String: Any] else { throw mistyped(value, path(parent, key), "an object") }
        return object
    }

    func int(_ dict: [String: Any], _ key: String, parent: String? = nil) throws(GazeModelError) -> Int? {
        guard let value = dict[key], !(value is NSNull) else { return nil }
        if let number = value as? NSNumber {
            let double = number.doubleValue
            if double.rounded() == double, abs(double) < 1e15 { return Int(double) }
        }
        throw mistyped(value, path(parent, key), "an integer")
    }

    func double(_ dict: [String: Any], _ key: String, parent: String? = nil) throws(GazeModelError) -> Double? {
        guard let value = dict[key], !(value is NSNull) else { return nil }
        if let number = value as? NSNumber { return number.doubleValue }
        throw mistyped(value, path(parent, key), "a number")
    }

    func string(_ dict: [String: Any], _ key: String, parent: String? = nil) throws(GazeModelError) -> String? {
        guard let value = dict[key], !(value is NSNull) else { return nil }
        if let text = value as? String { return text }
        throw mistyped(value, path(parent, key), "a string")
    }

    func bool(_ dict: [String: Any], _ key: String, parent: String? = nil) throws(GazeModelError) -> Bool? {
        guard let value = dict[key], !(value is NSNull) else { return nil }
        if let flag = value as? Bool { return flag }
        if let number = value as? NSNumber, number.doubleValue == 0 || number.doubleValue == 1 { return number.doubleValue == 1 }
        throw mistyped(value, path(parent, key), "true or false")
    }
}
