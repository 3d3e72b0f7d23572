/// Parameters of pixel-space EVS (Efficient Video Sampling).
public struct EVSOptions: Sendable, Hashable {
    /// How many tokens survive.
    public enum Selection: Sendable, Hashable {
        /// Keep exactly `max(tpf, int(tpf · T · (1 − q)))` tokens over the whole video, the most
        /// dissimilar first (vLLM's count and order).
        case rate(Double)
        /// Keep a token when its dissimilarity exceeds τ; decides frame by frame, so it streams.
        case threshold(Double)
    }

    /// How a patch is compared with its reference.
    public enum Metric: String, Sendable, Hashable, CaseIterable {
        /// Mean absolute difference of the patch values (in [0, 1] for pixels).
        case l1
        /// 1 − cosine similarity, with PyTorch's `cosine_similarity` semantics (eps 1e-8).
        case cosine
    }

    /// What a patch is compared with.
    public enum Reference: String, Sendable, Hashable, CaseIterable {
        /// The same patch in the previous sampled frame.
        case previous
        /// The last kept content of that patch, so slow drift accumulates until it is kept.
        case kept
    }

    public var selection: Selection
    public var metric: Metric
    public var reference: Reference
    /// Every `refresh`-th sampled frame is kept whole (0: never, beyond frame 0).
    public var refresh: Int

    public init(selection: Selection, metric: Metric = .l1, reference: Reference = .previous, refresh: Int = 0) {
        self.selection = selection
        self.metric = metric
        self.reference = reference
        self.refresh = refresh
    }

    /// Reads `evs:rate=q|threshold=τ,metric=l1|cosine,reference=previous|kept,refresh=N`.
    ///
    /// - Throws: `ReductionError` naming the bad option and its valid range.
    public init(_ spec: ReducerSpec) throws {
        try spec.checkKeys(["rate", "threshold", "metric", "reference", "refresh"])
        let rate = try spec.double("rate")
        let threshold = try spec.double("threshold")
        switch (rate, threshold) {
        case (let q?, nil):
            guard q >= 0 && q < 1 else {
                throw ReductionError("evs: rate=\(spec.value("rate")!) is outside [0, 1) — it is the fraction of tokens to drop, e.g. rate=0.7")
            }
            selection = .rate(q)
        case (nil, let tau?):
            guard tau >= 0 else {
                throw ReductionError("evs: threshold=\(spec.value("threshold")!) is negative — use a dissimilarity ≥ 0, e.g. threshold=0.04")
            }
            selection = .threshold(tau)
        case (nil, nil):
            throw ReductionError("evs needs rate=q (fraction to drop, e.g. evs:rate=0.7) or threshold=τ (e.g. evs:threshold=0.04)")
        case (_?, _?):
            throw ReductionError("evs takes rate= or threshold=, not both")
        }
        if let text = spec.value("metric") {
            guard let m = Metric(rawValue: text.lowercased()) else {
                throw ReductionError("evs: metric=\(text) is unknown — use l1 or cosine")
            }
            metric = m
        } else {
            metric = .l1
        }
        if let text = spec.value("reference") {
            guard let r = Reference(rawValue: text.lowercased()) else {
                throw ReductionError("evs: reference=\(text) is unknown — use previous or kept")
            }
            reference = r
        } else {
            reference = .previous
        }
        refresh = try spec.int("refresh") ?? 0
        guard refresh >= 0 else {
            throw ReductionError("evs: refresh=\(refresh) is negative — use 0 (off) or N to keep every N-th frame whole")
        }
        if case .rate = selection, reference == .kept {
            throw ReductionError("evs: reference=kept needs threshold mode (in rate mode what is kept depends on the whole video) — use threshold=τ")
        }
    }

    /// The options in command-line form.
    public var specification: String {
        var parts: [String] = []
        switch selection {
        case .rate(let q): parts.append("rate=\(q)")
        case .threshold(let t): parts.append("threshold=\(t)")
        }
        parts.append("metric=\(metric.rawValue)")
        parts.append("reference=\(reference.rawValue)")
        if refresh > 0 { parts.append("refresh=\(refresh)") }
        return "evs:" + parts.joined(separator: ",")
    }

    /// vLLM's retained-token count: `max(tokensPerFrame, int(Double(total) · (1 − q)))`.
    ///
    /// The product is a float64 truncated toward zero, exactly as Python's `int()` does, so
    /// q = 0.8 over 10 frames of 256 tokens keeps 511, not 512.
    public static func retainedCount(total: Int, tokensPerFrame: Int, rate q: Double) -> Int {
        let product = Double(total) * (1.0 - q)
        return max(tokensPerFrame, Int(product.rounded(.towardZero)))
    }
}
