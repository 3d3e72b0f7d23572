/// Pixel-space EVS: prunes temporally static patches before the encoder.
///
/// Each patch is scored by its dissimilarity to the same cell of the previous sampled frame
/// (or, with `reference=kept`, to that cell's last kept content). The first frame, and every
/// `refresh`-th frame, is kept whole and scored 255 as vLLM does.
///
/// - `threshold` mode decides frame by frame and emits each clip as soon as it is scored.
/// - `rate` mode ranks every token of the video, so it holds clips in a `ClipSpool` (memory,
///   then disk) until the stream ends, then keeps exactly `max(tpf, int(N · (1 − q)))` tokens,
///   the highest scores first with ties to the earlier token (a stable descending sort), where
///   N is the number of tokens it received and tpf the first frame's token count.
public final class EVSReducer: TokenReducer {
    public let options: EVSOptions
    public var name: String { "evs" }
    public var specification: String { options.specification }

    /// Score given to tokens that must be kept (first frame, refresh frames, new cells).
    public static let keepScore: Float = 255

    private var canvas: PatchCanvas?
    private var framesSeen = 0
    private var firstFrameTokens: Int?
    // Rate mode: every score in stream order, and the clips waiting for the global decision.
    private var scores: [Float] = []
    private var forcedTokens = 0
    private let spool: ClipSpool

    /// Creates the reducer.
    ///
    /// - Parameter spoolBudget: bytes of clips `rate` mode keeps in memory before spilling.
    public init(options: EVSOptions, spoolBudget: Int = 512 << 20) {
        self.options = options
        self.spool = ClipSpool(memoryBudget: spoolBudget)
    }

    public func process(_ clip: TokenSet, emit: TokenSink) throws {
        let (clipScores, keep, forced) = score(clip)
        switch options.selection {
        case .threshold:
            try emit(clip.filtered(by: keep))
        case .rate:
            scores.append(contentsOf: clipScores)
            forcedTokens += forced
            try spool.append(clip)
        }
    }

    public func finish(emit: TokenSink) throws {
        guard case .rate(let q) = options.selection else { return }
        let mask = Self.rankMask(
            scores: scores, keeping: max(
                forcedTokens,
                EVSOptions.retainedCount(total: scores.count, tokensPerFrame: firstFrameTokens ?? 0, rate: q)))
        var offset = 0
        while let clip = try spool.removeFirst() {
            try emit(clip.filtered(by: Array(mask[offset..<(offset + clip.count)])))
            offset += clip.count
        }
        scores = []
    }

    /// The first `count` tokens by descending score, ties to the lower index (a stable
    /// descending sort, as vLLM's `argsort(descending=True, stable=True)`).
    ///
    /// Each token becomes one 64-bit key, the score's bits mapped so that larger scores sort
    /// first in the high half and the index in the low half, so one plain integer sort ranks
    /// everything.
    public static func rankMask(scores: [Float], keeping count: Int) -> [Bool] {
        var mask = [Bool](repeating: false, count: scores.count)
        let k = min(count, scores.count)
        guard k > 0 else { return mask }
        precondition(scores.count <= Int(UInt32.max), "too many tokens to rank")
        var keys = [UInt64](unsafeUninitializedCapacity: scores.count) { out, n in
            for (i, score) in scores.enumerated() {
                // IEEE-754 bits to an unsigned order that matches the float order, then inverted
                // so that the largest score gets the smallest key.
                let bits = (score == 0 ? Float(0) : score).bitPattern
                let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
                out[i] = UInt64(~ordered) << 32 | UInt64(i)
            }
            n = scores.count
        }
        keys.sort()
        for key in keys.prefix(k) { mask[Int(key & 0xFFFF_FFFF)] = true }
        return mask
    }

    /// Scores a clip, updates the references, and says which tokens threshold mode keeps.
    ///
    /// - Returns: per-token scores, the threshold-mode mask, and the number of forced tokens.
    private func score(_ clip: TokenSet) -> (scores: [Float], keep: [Bool], forced: Int) {
        let d = clip.dimension
        if canvas == nil { canvas = PatchCanvas(dimension: d) }
        var canvas = self.canvas!
        defer { self.canvas = canvas }
        let kernel = Dissimilarity.kernel(for: options.metric)
        var scores = [Float](repeating: 0, count: clip.count)
        var keep = [Bool](repeating: false, count: clip.count)
        var forced = 0
        let tau: Float? = if case .threshold(let t) = options.selection { Float(t) } else { nil }

        clip.features.withUnsafeBufferPointer { features in
            var start = 0
            for frame in clip.frames {
                var end = start
                while end < clip.count && Int(clip.coords[end].t) == frame.t { end += 1 }
                let isWhole = framesSeen == 0 || (options.refresh > 0 && framesSeen % options.refresh == 0)
                if framesSeen == 0 { firstFrameTokens = end - start }
                for i in start..<end {
                    let coord = clip.coords[i]
                    let token = features.baseAddress! + i * d
                    let s: Float =
                        isWhole
                        ? Self.keepScore
                        : canvas.withContent(of: coord) { ref in ref.map { kernel(token, $0, d) } ?? Self.keepScore }
                    scores[i] = s
                    let kept = s == Self.keepScore || (tau.map { s > $0 } ?? false)
                    keep[i] = kept
                    if isWhole { forced += 1 }
                    // `previous` compares with the last frame whatever was kept; `kept` only
                    // moves the reference when the patch is kept.
                    if options.reference == .previous || kept { canvas.store(coord, from: token) }
                }
                framesSeen += 1
                start = end
            }
        }
        return (scores, keep, forced)
    }
}
