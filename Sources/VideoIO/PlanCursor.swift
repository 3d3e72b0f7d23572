/// Matches decoded frames, which arrive in display order, against a plan.
///
/// A decoded frame either is the next planned frame, lies before it (a reference frame that
/// was decoded but not sampled, or a late duplicate), or lies after it, in which case the
/// planned frames it passed never came out of the decoder and are lost.
struct PlanCursor {
    /// What to do with one decoded frame.
    struct Match: Equatable {
        /// Position in the plan of the frame to deliver, if it is planned.
        var planPosition: Int?
        /// Planned frames passed over without being decoded.
        var lost: Int
    }

    /// Display indices of the planned frames, strictly ascending.
    let plannedIndices: [Int]
    /// Position in the plan of the next frame to deliver.
    private(set) var next = 0

    init(plannedIndices: [Int]) {
        self.plannedIndices = plannedIndices
    }

    /// Whether every planned frame was delivered or given up.
    var isFinished: Bool { next >= plannedIndices.count }

    /// Planned frames not yet delivered.
    var remaining: Int { max(0, plannedIndices.count - next) }

    /// Accounts for a decoded frame shown at `displayIndex`.
    mutating func match(displayIndex: Int) -> Match {
        guard !isFinished, displayIndex >= plannedIndices[next] else {
            return Match(planPosition: nil, lost: 0)
        }
        var lost = 0
        while next < plannedIndices.count, plannedIndices[next] < displayIndex {
            next += 1
            lost += 1
        }
        guard next < plannedIndices.count, plannedIndices[next] == displayIndex else {
            return Match(planPosition: nil, lost: lost)
        }
        next += 1
        return Match(planPosition: next - 1, lost: lost)
    }
}
