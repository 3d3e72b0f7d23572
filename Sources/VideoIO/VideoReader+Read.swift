import CFFmpeg

extension VideoReader {
    /// Decodes exactly the planned frames and hands each one, resized, to `body`, in plan order.
    ///
    /// Only the packets the plan needs are sent to the decoder: groups of pictures without a
    /// sampled frame are never sent, frames that are neither sampled nor referenced are
    /// skipped by the decoder, and a plan of keyframes decodes keyframes only. Reading stops
    /// as soon as the last planned frame is delivered. At most a few frames are held at once.
    ///
    /// Damaged data does not stop reading: packets the decoder rejects are counted in
    /// `DecodeStats.corruptPackets`, and planned frames that never come out of the decoder
    /// are counted in `DecodeStats.framesLost` and skipped (`body` is not called for them).
    ///
    /// - Parameters:
    ///   - plan: Frames from `plan(_:)`, strictly ascending by index.
    ///   - resize: The size of the delivered frames.
    ///   - body: Called once per delivered frame, in plan order. An error it throws stops
    ///     reading and is rethrown.
    /// - Returns: What was decoded, skipped, delivered and lost.
    /// - Throws: `VideoError` when the plan does not fit this video, the size is invalid, or
    ///   not one planned frame could be decoded; or whatever `body` throws.
    @discardableResult
    public func read(
        _ plan: [PlannedFrame], resize: ResizeMode, body: (VideoFrame) throws -> Void
    ) throws -> DecodeStats {
        try validate(plan)
        guard !plan.isEmpty else { return DecodeStats() }
        let scaler = try scaler(for: resize)
        return try withoutActuallyEscaping(body) { body in
            let run = DecodeRun(reader: self, plan: plan, scaler: scaler, deliver: body)
            return try run.execute()
        }
    }

    private func validate(_ plan: [PlannedFrame]) throws(VideoError) {
        var previous = -1
        for frame in plan {
            guard frame.index > previous, frame.index < table.frameCount else {
                throw VideoError(
                    .invalidPlan, path: path,
                    description:
                        "cannot read frame \(frame.index) of '\(path)': plans must list frames 0..<\(table.frameCount) "
                        + "in ascending order — make the plan with this reader's plan(_:)")
            }
            previous = frame.index
        }
    }

    private func scaler(for resize: ResizeMode) throws(VideoError) -> FrameScaler {
        let size = resize.outputSize(forSource: FrameSize(width: info.width, height: info.height))
        guard size.width > 0, size.height > 0, size.width <= 16384, size.height <= 16384 else {
            throw VideoError(
                .scalingFailed, path: path,
                description: "cannot resize '\(path)' to \(size) — use a size between 1 and 16384 pixels a side")
        }
        if let scaler, scaler.outputSize == size { return scaler }
        let fresh = FrameScaler(outputSize: size)
        scaler = fresh
        return fresh
    }
}
