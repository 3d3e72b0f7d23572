/// Turns a `FrameSampling` into the list of frames to decode, from the scanned packet table
/// alone (nothing is decoded).
struct FramePlanner {
    let table: PacketTable
    /// The video's path, for error messages.
    let path: String

    /// The frames `sampling` selects, in display order.
    func plan(_ sampling: FrameSampling) throws(VideoError) -> [PlannedFrame] {
        try validate(sampling)
        let range = frameRange(sampling)
        let indices: [Int]
        switch sampling.mode {
        case .all:
            indices = Array(range.prefix(sampling.maxFrames ?? range.count))
        case .keyframes:
            let keyframes = range.filter { table.isKeyframe(frame: $0) }
            indices = Array(keyframes.prefix(sampling.maxFrames ?? keyframes.count))
        case .count(let count):
            indices = spread(count, over: range, maxFrames: sampling.maxFrames)
        case .fps(let fps):
            let count = max(1, Int((rangeDuration(sampling) * fps).rounded(.down)))
            indices = spread(count, over: range, maxFrames: sampling.maxFrames)
        }
        guard !indices.isEmpty else { throw emptyPlanError(sampling, range: range) }
        return indices.map { PlannedFrame(index: $0, pts: table.seconds(ofFrame: $0)) }
    }

    /// Shown frames whose time (from the first frame) lies in `[start, end)`.
    func frameRange(_ sampling: FrameSampling) -> Range<Int> {
        let start = sampling.start ?? 0
        let lower = table.displayTimestamps.indices.partitioningIndex {
            table.seconds(ofFrame: $0) >= start
        }
        guard let end = sampling.end else { return lower..<table.frameCount }
        let upper = table.displayTimestamps.indices.partitioningIndex {
            table.seconds(ofFrame: $0) >= end
        }
        return lower..<max(lower, upper)
    }

    /// Length of the sampled range in seconds, clamped to the video.
    func rangeDuration(_ sampling: FrameSampling) -> Double {
        let duration = table.duration
        let start = min(max(sampling.start ?? 0, 0), duration)
        let end = min(max(sampling.end ?? duration, 0), duration)
        return max(0, end - start)
    }

    /// `floor(linspace(0, total − 1, n))` over the range, with `n` capped by the range size
    /// and `maxFrames`.
    private func spread(_ count: Int, over range: Range<Int>, maxFrames: Int?) -> [Int] {
        let n = min(count, range.count, maxFrames ?? Int.max)
        return Linspace.flooredIndices(total: range.count, count: n).map { range.lowerBound + $0 }
    }

    private func validate(_ sampling: FrameSampling) throws(VideoError) {
        func invalid(_ text: String) -> VideoError {
            VideoError(.invalidSampling, path: path, description: "cannot sample '\(path)': \(text)")
        }
        switch sampling.mode {
        case .count(let count) where count < 1:
            throw invalid("the frame count is \(count) — ask for at least 1 frame")
        case .fps(let fps) where !(fps > 0 && fps.isFinite):
            throw invalid("the sampling rate is \(fps) fps — use a positive rate such as 1 or 2")
        default:
            break
        }
        if let maxFrames = sampling.maxFrames, maxFrames < 1 {
            throw invalid("--max-frames is \(maxFrames) — use at least 1")
        }
        if let start = sampling.start, !(start >= 0 && start.isFinite) {
            throw invalid("--start is \(start) — use a time of 0 or more seconds")
        }
        if let end = sampling.end {
            guard !end.isNaN, end > 0 else {
                throw invalid("--end is \(end) — use a time after the start")
            }
            if let start = sampling.start, end <= start {
                throw invalid(
                    "the range \(SecondsText.instant(start))–\(SecondsText.instant(end)) is empty — "
                        + "make --end later than --start")
            }
        }
    }

    private func emptyPlanError(_ sampling: FrameSampling, range: Range<Int>) -> VideoError {
        let start = sampling.start ?? 0
        let rangeText =
            "\(SecondsText.instant(start))–"
            + (sampling.end.map { SecondsText.instant($0) } ?? "end")
        let videoText = "the \(SecondsText.length(table.duration)) video"
        let reason: String
        if table.frameCount == 0 {
            reason = "the video stream holds no frames — check the file"
        } else if start >= table.duration {
            reason = "the range \(rangeText) is past the end of \(videoText) — lower --start"
        } else if range.isEmpty {
            reason = "no frame lies in the range \(rangeText) of \(videoText) — widen the range"
        } else {
            reason =
                "no keyframe lies in the range \(rangeText) of \(videoText) — "
                + "widen the range or sample by fps or count"
        }
        return VideoError(
            .noFramesSampled, path: path, description: "no frames sampled from '\(path)': \(reason)")
    }
}
