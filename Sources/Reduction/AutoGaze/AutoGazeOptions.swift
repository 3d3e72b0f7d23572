import Foundation

/// Parameters of the AutoGaze reducer.
public struct AutoGazeOptions: Sendable, Hashable {
    /// When a frame has enough tokens.
    public enum Target: Sendable, Hashable {
        /// The greedy selector stops once the frame's PSNR reaches this many dB.
        case psnr(Double)
        /// The greedy selector stops once the frame's mean absolute error is at most this.
        case l1(Double)
        /// The released gaze model stops once its predicted loss is at most this (AutoGaze's
        /// `task_loss_requirement`, 0.7 by default).
        case predictedLoss(Double)
    }

    public var target: Target
    /// At most this fraction of the 265 tokens per tile-frame (AutoGaze's `gazing_ratio`).
    public var maxRatio: Double
    /// The released gaze model's folder or safetensors file; nil for the greedy selector.
    public var modelPath: String?

    public init(target: Target, maxRatio: Double = 0.75, modelPath: String? = nil) {
        self.target = target
        self.maxRatio = maxRatio
        self.modelPath = modelPath
    }

    /// Reads `autogaze:psnr=dB | l1=τ | model=PATH[,threshold=L][,max-ratio=r]`.
    public init(_ spec: ReducerSpec) throws {
        try spec.checkKeys(["psnr", "l1", "model", "threshold", "max-ratio"])
        let psnr = try spec.double("psnr")
        let l1 = try spec.double("l1")
        let threshold = try spec.double("threshold")
        modelPath = spec.value("model").map { ($0 as NSString).expandingTildeInPath }
        maxRatio = try spec.double("max-ratio") ?? 0.75
        guard maxRatio > 0 && maxRatio <= 1 else {
            throw ReductionError("autogaze: max-ratio=\(spec.value("max-ratio")!) must be in (0, 1] — the largest fraction of the 265 tokens per frame, e.g. max-ratio=0.3")
        }
        if modelPath != nil {
            guard psnr == nil, l1 == nil else {
                throw ReductionError("autogaze: model= stops by its predicted loss (threshold=), not psnr= or l1=")
            }
            let t = threshold ?? 0.7
            guard t >= 0 else { throw ReductionError("autogaze: threshold=\(t) must be ≥ 0 (AutoGaze uses 0.7)") }
            target = .predictedLoss(t)
            return
        }
        if threshold != nil {
            throw ReductionError("autogaze: threshold= is the gaze model's loss; without model= use psnr=dB or l1=τ")
        }
        switch (psnr, l1) {
        case (let db?, nil):
            guard db > 0 && db < 100 else { throw ReductionError("autogaze: psnr=\(db) must be in (0, 100) dB, e.g. psnr=30") }
            target = .psnr(db)
        case (nil, let tau?):
            guard tau >= 0 && tau < 1 else { throw ReductionError("autogaze: l1=\(tau) must be in [0, 1), e.g. l1=0.02") }
            target = .l1(tau)
        case (nil, nil):
            throw ReductionError("autogaze needs psnr=dB (e.g. autogaze:psnr=30), l1=τ (e.g. autogaze:l1=0.02) or model=PATH")
        case (_?, _?):
            throw ReductionError("autogaze takes psnr= or l1=, not both")
        }
    }

    /// The options in command-line form.
    public var specification: String {
        var parts: [String] = []
        switch target {
        case .psnr(let db): parts.append("psnr=\(db)")
        case .l1(let tau): parts.append("l1=\(tau)")
        case .predictedLoss(let t):
            parts.append("model=\(modelPath ?? "")")
            parts.append("threshold=\(t)")
        }
        parts.append("max-ratio=\(maxRatio)")
        return "autogaze:" + parts.joined(separator: ",")
    }

    /// Tokens allowed per tile-frame: `max(1, floor(maxRatio · 265))`.
    public var cap: Int { max(1, Int((maxRatio * Double(GazeLayout.tokensPerTile)).rounded(.down))) }
}
