import TensorCore

/// The tensors of an AutoGaze gaze model, read from `model.safetensors` and laid out for GEMMs.
///
/// Keys follow the upstream module paths under `gazing_model.` (49 tensors in the released
/// checkpoint): `vision_model.{temporal_conv,norm,blocks.N.conv3d,out_proj}.*`,
/// `connector.pos_embed`, `gaze_decoder.model.{embed_tokens,layers.N.…,norm}.weight`,
/// `gaze_decoder.lm_head.weight` and `gaze_decoder.task_loss_prediction_head.weight`.
/// Every tensor's shape is checked against the configuration; F16/BF16/F64 files are widened.
struct GazeModelWeights: Sendable {
    /// One causal 3-D convolution block of the vision trunk.
    struct TrunkBlock: Sendable {
        /// `[out, kt·kh·kw·in]`: the PyTorch `[out, in, kt, kh, kw]` kernel reordered so that an
        /// im2col row is the concatenation of whole channel vectors, offset by offset.
        var kernel: [Float]
        var bias: [Float]
    }

    /// One LLaMA decoder layer.
    struct Layer: Sendable {
        /// `[q; k; v]` projections stacked: `[(H + 2·KV)·D, hidden]`.
        var qkv: [Float]
        /// `[hidden, H·D]`.
        var output: [Float]
        /// `[gate; up]` stacked: `[2·inter, hidden]`.
        var gateUp: [Float]
        /// `[hidden, inter]`.
        var down: [Float]
        var inputNorm: [Float]
        var postAttentionNorm: [Float]
    }

    /// Patch embedding `[C, 3·P·P]` (kernel order channel, y, x) and its bias.
    var patchKernel: [Float]
    var patchBias: [Float]
    var normWeight: [Float]
    var normBias: [Float]
    var trunk: [TrunkBlock]
    /// `[out, C]` (the 1×1×1 convolution).
    var outputKernel: [Float]
    var outputBias: [Float]
    /// Connector position table `[grid², out]`.
    var positionTable: [Float]
    /// `[vocab, hidden]`.
    var tokenEmbedding: [Float]
    var layers: [Layer]
    var finalNorm: [Float]
    /// `[K·vocab, hidden]`: head i is rows `[i·vocab, (i+1)·vocab)`.
    var lmHead: [Float]
    /// `[K, hidden]`.
    var lossHead: [Float]

    static let prefix = "gazing_model."

    /// Reads and checks every tensor the configuration needs.
    ///
    /// - Throws: ``GazeModelError`` (`.invalidWeights`) naming the file and tensor.
    init(file: SafetensorsFile, config c: GazeModelConfig) throws(GazeModelError) {
        func read(_ key: String, _ shape: [Int]) throws(GazeModelError) -> [Float] {
            let name = Self.prefix + key
            do {
                return try file.floats(name, shape: shape)
            } catch {
                throw Self.explain(error, file: file.path, config: c)
            }
        }
        let C = c.visionHiddenSize
        let P = c.patchSize
        patchKernel = try read("vision_model.temporal_conv.weight", [C, 3, 1, P, P])
        patchBias = try read("vision_model.temporal_conv.bias", [C])
        normWeight = try read("vision_model.norm.weight", [C])
        normBias = try read("vision_model.norm.bias", [C])
        var trunk: [TrunkBlock] = []
        let kt = c.trunkTemporalKernelSize
        let ks = c.trunkSpatialKernelSize
        for index in 0..<c.visionDepth {
            let raw = try read("vision_model.blocks.\(index).conv3d.weight", [C, C, kt, ks, ks])
            let offsets = kt * ks * ks
            var kernel = [Float](repeating: 0, count: raw.count)
            for out in 0..<C {
                for input in 0..<C {
                    for offset in 0..<offsets {
                        kernel[out * offsets * C + offset * C + input] = raw[(out * C + input) * offsets + offset]
                    }
                }
            }
            trunk.append(TrunkBlock(kernel: kernel, bias: try read("vision_model.blocks.\(index).conv3d.bias", [C])))
        }
        self.trunk = trunk
        outputKernel = try read("vision_model.out_proj.weight", [c.visionOutputSize, C, 1, 1, 1])
        outputBias = try read("vision_model.out_proj.bias", [c.visionOutputSize])
        positionTable = try read("connector.pos_embed", [c.visionTokensPerFrame, c.visionOutputSize])

        let H = c.hiddenSize
        let attention = c.numAttentionHeads * c.headDim
        let keyValue = c.numKeyValueHeads * c.headDim
        tokenEmbedding = try read("gaze_decoder.model.embed_tokens.weight", [c.vocabSize, H])
        var layers: [Layer] = []
        for index in 0..<c.numHiddenLayers {
            let base = "gaze_decoder.model.layers.\(index)."
            let q = try read(base + "self_attn.q_proj.weight", [attention, H])
            let k = try read(base + "self_attn.k_proj.weight", [keyValue, H])
            let v = try read(base + "self_attn.v_proj.weight", [keyValue, H])
            let gate = try read(base + "mlp.gate_proj.weight", [c.intermediateSize, H])
            let up = try read(base + "mlp.up_proj.weight", [c.intermediateSize, H])
            layers.append(
                Layer(
                    qkv: q + k + v,
                    output: try read(base + "self_attn.o_proj.weight", [H, attention]),
                    gateUp: gate + up,
                    down: try read(base + "mlp.down_proj.weight", [H, c.intermediateSize]),
                    inputNorm: try read(base + "input_layernorm.weight", [H]),
                    postAttentionNorm: try read(base + "post_attention_layernorm.weight", [H])))
        }
        self.layers = layers
        finalNorm = try read("gaze_decoder.model.norm.weight", [H])
        lmHead = try read("gaze_decoder.lm_head.weight", [c.numMultiTokenPred * c.vocabSize, H])
        lossHead = try read("gaze_decoder.task_loss_prediction_head.weight", [c.numMultiTokenPred, H])
    }

    /// The number of tensors and parameters the configuration implies (49 and 3,258,240 released).
    static func expectedCounts(_ c: GazeModelConfig) -> (tensors: Int, parameters: Int) {
        let C = c.visionHiddenSize, H = c.hiddenSize
        let trunk = C * C * c.trunkTemporalKernelSize * c.trunkSpatialKernelSize * c.trunkSpatialKernelSize + C
        let vision = C * 3 * c.patchSize * c.patchSize + C + 2 * C + c.visionDepth * trunk + c.visionOutputSize * (C + 1)
        let attention = c.numAttentionHeads * c.headDim, keyValue = c.numKeyValueHeads * c.headDim
        let layer = attention * H * 2 + keyValue * H * 2 + 3 * c.intermediateSize * H + 2 * H
        let decoder = c.vocabSize * H + c.numHiddenLayers * layer + H + (c.numMultiTokenPred * c.vocabSize + c.numMultiTokenPred) * H
        let parameters = vision + c.visionTokensPerFrame * c.visionOutputSize + decoder
        return (8 + 2 * (c.visionDepth - 1) + 1 + 1 + 9 * c.numHiddenLayers + 3, parameters)
    }

    private static func explain(_ error: SafetensorsError, file: String, config c: GazeModelConfig) -> GazeModelError {
        switch error.kind {
        case .missingTensor:
            return GazeModelError(
                .invalidWeights,
                "\(error.description) — this is not the released nvidia/AutoGaze checkpoint, or the download is incomplete; download model.safetensors again")
        case .shapeMismatch:
            return GazeModelError(
                .invalidWeights,
                "\(error.description) — the weights do not match the configuration (hidden \(c.hiddenSize), \(c.numHiddenLayers) layers, \(c.numAttentionHeads) heads, K \(c.numMultiTokenPred)); use the config.json that came with model.safetensors")
        default:
            return GazeModelError(.invalidWeights, "\(error.description) — download model.safetensors again")
        }
    }
}
