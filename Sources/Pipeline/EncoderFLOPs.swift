import Encoders
import Reduction

/// Counts the floating-point work of a ViT encoder on the kept tokens and on every patch.
///
/// Per frame with n tokens plus T prefix tokens (N = n + T), each of the L blocks costs
/// `2·N·D·3D` (qkv) + `2·2·N²·D` (scores and weighted values) + `2·N·D²` (projection) +
/// `2·2·N·D·M` (MLP); the patch embedding costs `2·n·3P²·D`. Norms and softmax are left out.
struct EncoderFLOPs {
    private(set) var sparse = 0.0
    private(set) var dense = 0.0

    mutating func add(_ clip: TokenSet, config: RADIOConfig) {
        let counts = clip.tokensPerFrame
        for (frame, kept) in zip(clip.frames, counts) {
            sparse += Self.flops(tokens: kept, config: config)
            dense += Self.flops(tokens: frame.gridTokenCount, config: config)
        }
    }

    static func flops(tokens n: Int, config: RADIOConfig) -> Double {
        let (d, m, l) = (Double(config.embedDim), Double(config.mlpDim), Double(config.depth))
        let total = Double(n + config.prefixTokens)
        let block = 2 * total * d * 3 * d + 4 * total * total * d + 2 * total * d * d + 4 * total * d * m
        let embed = 2 * Double(n) * Double(3 * config.patchSize * config.patchSize) * d
        return l * block + embed
    }
}
