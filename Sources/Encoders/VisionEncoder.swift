import Reduction

/// What a vision encoder made of one clip.
public struct EncodedClip: Sendable {
    /// The encoder's tokens (features of width `VisionEncoder.featureWidth`), in stream order.
    public var tokens: TokenSet
    /// Each frame's summary vector, `frames × summaryWidth`, for encoders that have one.
    public var summary: [Float]?

    public init(tokens: TokenSet, summary: [Float]?) {
        self.tokens = tokens
        self.summary = summary
    }
}

/// An encoder the pipeline can run on the kept pixel-space tokens of each clip.
public protocol VisionEncoder: AnyObject {
    /// Short name for reports (`c-radio`, `gspn`).
    var name: String { get }
    /// Width of the output tokens.
    var featureWidth: Int { get }
    /// Width of one frame's summary vector, or nil when the encoder has none.
    var summaryWidth: Int? { get }
    /// Encodes the tokens of a clip (16×16 RGB patches in [0, 1]).
    func encodeClip(_ tokens: TokenSet) throws -> EncodedClip
    /// Multiply-add FLOPs (×2) of encoding `tokens` tokens of one frame, if the encoder can say.
    func flops(tokensPerFrame tokens: Int) -> Double?
}

extension RADIOEncoder: VisionEncoder {
    public var name: String { "c-radio" }
    public var featureWidth: Int { config.embedDim }
    public var summaryWidth: Int? { config.summaryWidth }

    public func encodeClip(_ tokens: TokenSet) throws -> EncodedClip {
        let (encoded, summary) = try encodeWithSummary(tokens)
        return EncodedClip(tokens: encoded, summary: summary)
    }

    /// Per frame with n tokens plus T prefix tokens (N = n + T), each of the L blocks costs
    /// `2·N·D·3D` (qkv) + `2·2·N²·D` (scores, weighted values) + `2·N·D²` (projection) +
    /// `2·2·N·D·M` (MLP); the patch embedding `2·n·3P²·D`. Norms and softmax are left out.
    public func flops(tokensPerFrame n: Int) -> Double? {
        let (d, m, l) = (Double(config.embedDim), Double(config.mlpDim), Double(config.depth))
        let total = Double(n + config.prefixTokens)
        let block = 2 * total * d * 3 * d + 4 * total * total * d + 2 * total * d * d + 4 * total * d * m
        return l * block + 2 * Double(n) * Double(3 * config.patchSize * config.patchSize) * d
    }
}

/// The GSPN backbone as a pipeline encoder, taking features from one stage.
public final class GSPNStageEncoder: VisionEncoder {
    public let encoder: GSPNEncoder
    /// The stage features come from (0–3; 3 is the last).
    public let stage: Int

    public init(path: String, stage: Int = 3) throws {
        encoder = try GSPNEncoder(path: path)
        guard stage >= 0 && stage < encoder.config.dims.count else {
            throw GSPNError("GSPN stage \(stage) does not exist — the model has stages 0–\(encoder.config.dims.count - 1)")
        }
        self.stage = stage
    }

    public var name: String { "gspn" }
    public var featureWidth: Int { encoder.config.dims[stage] }
    public var summaryWidth: Int? { nil }

    public func encodeClip(_ tokens: TokenSet) throws -> EncodedClip {
        EncodedClip(tokens: try encoder.encode(tokens, stage: stage), summary: nil)
    }

    public func flops(tokensPerFrame tokens: Int) -> Double? { nil }
}
