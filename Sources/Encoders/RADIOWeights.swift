import TensorCore

/// The weights of one pre-norm transformer block, in Float32.
struct RADIOBlockWeights: Sendable {
    var norm1Weight, norm1Bias: FloatBuffer
    var qkvWeight, qkvBias: FloatBuffer
    var projWeight, projBias: FloatBuffer
    var norm2Weight, norm2Bias: FloatBuffer
    var fc1Weight, fc1Bias: FloatBuffer
    var fc2Weight, fc2Bias: FloatBuffer
    var layerScale1, layerScale2: FloatBuffer?
    var mlpNormWeight, mlpNormBias: FloatBuffer?
}

/// All weights of a C-RADIO ViT, converted to Float32 once at load.
struct RADIOWeights: Sendable {
    /// Input conditioner mean and std per RGB channel.
    var mean: [Float], std: [Float]
    /// Patch embedding `[D, 3·P·P]` (no bias).
    var embed: FloatBuffer
    /// CPE grid `[G·G, D]`, row-major over the grid.
    var posEmbed: FloatBuffer
    /// Prefix tokens `[T, D]`.
    var prefix: FloatBuffer
    var blocks: [RADIOBlockWeights]
    var finalNormWeight, finalNormBias: FloatBuffer?
    /// Feature normalizer μ `[D]` and Tx `[D, D]`.
    var featureMean, featureTx: FloatBuffer?

    /// Reads every tensor `config` describes from `file`, checking each shape.
    init(file: SafetensorsFile, config c: RADIOConfig) throws(RADIOError) {
        func load(_ key: String, _ shape: [Int]) throws(RADIOError) -> FloatBuffer {
            guard let info = file.info(key) else { throw RADIOError("\(file.path): missing tensor '\(key)'") }
            guard info.shape == shape else {
                throw RADIOError("\(file.path): tensor '\(key)' has shape \(shapeText(info.shape)), expected \(shapeText(shape))")
            }
            do { return FloatBuffer(try file.floats(key)) } catch { throw RADIOError("\(file.path): cannot read '\(key)': \(error.description)") }
        }
        func loadOptional(_ key: String, _ shape: [Int]) throws(RADIOError) -> FloatBuffer? {
            file.contains(key) ? try load(key, shape) : nil
        }
        let D = c.embedDim, M = c.mlpDim, P = c.patchSize
        func channelConstants(_ key: String, _ defaults: [Float]) throws(RADIOError) -> [Float] {
            guard let info = file.info(key) else { return defaults }
            guard info.elementCount == 3 else {
                throw RADIOError("\(file.path): tensor '\(key)' has shape \(shapeText(info.shape)), expected [3, 1, 1]")
            }
            do { return try file.floats(key) } catch { throw RADIOError("\(file.path): cannot read '\(key)': \(error.description)") }
        }
        mean = try channelConstants(c.rootKey("input_conditioner.norm_mean"), [0.48145466, 0.4578275, 0.40821073])
        std = try channelConstants(c.rootKey("input_conditioner.norm_std"), [0.26862954, 0.26130258, 0.27577711])
        if let bad = std.first(where: { !($0 > 0) }) {
            throw RADIOError("\(file.path): '\(c.rootKey("input_conditioner.norm_std"))' holds \(bad), expected > 0")
        }
        embed = try load(c.modelKey("patch_generator.embedder.weight"), [D, 3 * P * P])
        let posKey = c.modelKey("patch_generator.pos_embed")
        let posShape = file.info(posKey)?.shape.count == 2 ? [c.cpeGrid * c.cpeGrid, D] : [1, c.cpeGrid * c.cpeGrid, D]
        posEmbed = try load(posKey, posShape)
        prefix = try load(c.modelKey("patch_generator.cls_token.token"), [c.prefixTokens, D])
        var blocks: [RADIOBlockWeights] = []
        blocks.reserveCapacity(c.depth)
        for i in 0..<c.depth {
            func k(_ name: String) -> String { c.modelKey("blocks.\(i).\(name)") }
            var ls1: FloatBuffer? = nil, ls2: FloatBuffer? = nil
            if let key = c.layerScaleKey {
                ls1 = try load(k("ls1.\(key)"), [D])
                ls2 = try load(k("ls2.\(key)"), [D])
            }
            var mnw: FloatBuffer? = nil, mnb: FloatBuffer? = nil
            if c.mlpNorm {
                mnw = try load(k("mlp.norm.weight"), [M])
                mnb = try load(k("mlp.norm.bias"), [M])
            }
            blocks.append(RADIOBlockWeights(
                norm1Weight: try load(k("norm1.weight"), [D]), norm1Bias: try load(k("norm1.bias"), [D]),
                qkvWeight: try load(k("attn.qkv.weight"), [3 * D, D]), qkvBias: try load(k("attn.qkv.bias"), [3 * D]),
                projWeight: try load(k("attn.proj.weight"), [D, D]), projBias: try load(k("attn.proj.bias"), [D]),
                norm2Weight: try load(k("norm2.weight"), [D]), norm2Bias: try load(k("norm2.bias"), [D]),
                fc1Weight: try load(k("mlp.fc1.weight"), [M, D]), fc1Bias: try load(k("mlp.fc1.bias"), [M]),
                fc2Weight: try load(k("mlp.fc2.weight"), [D, M]), fc2Bias: try load(k("mlp.fc2.bias"), [D]),
                layerScale1: ls1, layerScale2: ls2, mlpNormWeight: mnw, mlpNormBias: mnb))
        }
        self.blocks = blocks
        if c.finalNorm {
            finalNormWeight = try load(c.modelKey("norm.weight"), [D])
            finalNormBias = try load(c.modelKey("norm.bias"), [D])
        }
        if c.featureNormalizer {
            featureMean = try load(c.rootKey("feature_normalizer.mean"), [D])
            featureTx = try load(c.rootKey("feature_normalizer.tx"), [D, D])
        }
    }
}
