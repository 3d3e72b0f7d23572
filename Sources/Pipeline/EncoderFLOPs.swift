import Encoders
import Reduction

/// Counts an encoder's floating-point work on the kept tokens and on every patch, for encoders
/// that can say (`VisionEncoder.flops(tokensPerFrame:)`); nil otherwise.
struct EncoderFLOPs {
    private(set) var sparse: Double? = 0
    private(set) var dense: Double? = 0

    mutating func add(_ clip: TokenSet, encoder: any VisionEncoder) {
        for (frame, kept) in zip(clip.frames, clip.tokensPerFrame) {
            guard let s = encoder.flops(tokensPerFrame: kept), let d = encoder.flops(tokensPerFrame: frame.gridTokenCount)
            else {
                sparse = nil
                dense = nil
                return
            }
            sparse = sparse.map { $0 + s }
            dense = dense.map { $0 + d }
        }
    }
}
