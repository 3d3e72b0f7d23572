/// What the AutoGaze gaze model chose for one frame.
public struct GazeFrameResult: Sendable, Equatable {
    /// The chosen local gaze ids (0..<265 for the released model) in generation order, padded
    /// slots removed. AutoGaze order: scale 32 is ids 0–3, 64 is 4–19, 112 is 20–68 and 224 is
    /// 69–264, row-major within a scale. Never empty: every frame gets at least one gaze.
    public var ids: [Int]
    /// Whether the frame ended because the loss prediction met the threshold (otherwise it
    /// reached the cap, or every id was taken).
    public var stoppedByThreshold: Bool
    /// The loss-prediction head's output for each id in ``ids`` (element i: the predicted
    /// reconstruction loss of this frame with the gazes before `ids[i]`), followed — only when
    /// ``stoppedByThreshold`` — by the prediction that stopped the frame (≤ the threshold).
    /// So `predictedLosses.count == ids.count + (stoppedByThreshold ? 1 : 0)`, and
    /// `predictedLosses.last` is the stopping value when there is one.
    public var predictedLosses: [Float]

    public init(ids: [Int], stoppedByThreshold: Bool, predictedLosses: [Float]) {
        self.ids = ids
        self.stoppedByThreshold = stoppedByThreshold
        self.predictedLosses = predictedLosses
    }
}
