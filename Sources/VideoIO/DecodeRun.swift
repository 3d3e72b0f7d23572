import CFFmpeg

/// One `VideoReader.read` call: positions the demuxer, feeds the decoder the packets the
/// schedule needs, matches decoded frames to the plan and delivers them.
final class DecodeRun {
    /// Seek instead of reading and dropping when more packets than this lie in between.
    static let seekThreshold = 32
    /// Give up on a packet the decoder refuses this many times in a row.
    static let retryLimit = 64

    private let input: MediaInput
    private let decoder: VideoDecoder
    private let table: PacketTable
    private let scaler: FrameScaler
    private let path: String
    private let schedule: DecodeSchedule
    private let deliver: (VideoFrame) throws -> Void
    private let packet: UnsafeMutablePointer<AVPacket>

    private var cursor: PlanCursor
    private var stats = DecodeStats()
    /// Frames the decoder has output so far (their display indices, when the stream has no
    /// timestamps).
    private var framesOutput = 0
    /// Decode index of the packet read last; `nil` when unknown (after a seek).
    private var position: Int?
    /// The packet a seek aimed at, until the first packet after the seek is identified.
    private var seekTarget: Int?
    /// Whether seeking is allowed: packets must be recognisable by timestamp, and a seek that
    /// once misbehaved is not tried again.
    private var canSeek: Bool

    init(
        reader: VideoReader, plan: [PlannedFrame], scaler: FrameScaler,
        deliver: @escaping (VideoFrame) throws -> Void
    ) {
        input = reader.input
        decoder = reader.decoder
        table = reader.table
        path = reader.path
        self.scaler = scaler
        self.deliver = deliver
        schedule = DecodeSchedule(plan: plan, table: reader.table)
        cursor = PlanCursor(plannedIndices: plan.map(\.index))
        canSeek = reader.table.timestampsIdentifyPackets
        guard let packet = av_packet_alloc() else { fatalError("FFmpeg could not allocate a packet") }
        self.packet = packet
    }

    deinit {
        var pointer: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&pointer)
    }

    /// Decodes and delivers the plan; see `VideoReader.read`.
    func execute() throws -> DecodeStats {
        decoder.flush()
        let segments = schedule.segments
        var segmentIndex = 0
        try moveInput(toPacket: segments[0].lowerBound)

        while segmentIndex < segments.count, !cursor.isFinished {
            guard input.readPacket(into: packet) else {
                if seekTarget != nil {  // The seek led nowhere: read from the start instead.
                    try restartInput()
                    continue
                }
                break
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == input.streamIndex, let index = identifyPacket() else {
                continue
            }
            if let target = seekTarget {
                seekTarget = nil
                if index > target {  // The seek overshot: read from the start instead.
                    try restartInput()
                    continue
                }
            }
            position = index

            if index > segments[segmentIndex].upperBound {
                // Packets went missing (damaged file): go on with the segment holding this one.
                while segmentIndex < segments.count, segments[segmentIndex].upperBound < index {
                    segmentIndex += 1
                }
                guard segmentIndex < segments.count else { break }
                try endSegment()
            }
            let segment = segments[segmentIndex]
            guard index >= segment.lowerBound else { continue }

            try decodePacket(at: index)
            if index == segment.upperBound {
                segmentIndex += 1
                if segmentIndex < segments.count, !cursor.isFinished {
                    try endSegment()
                    try moveInput(toPacket: segments[segmentIndex].lowerBound)
                }
            }
        }
        if !cursor.isFinished {
            try drain()
        }
        stats.framesLost += cursor.remaining
        stats.framesSkipped = max(0, table.packetCount - stats.framesDecoded)
        guard stats.framesDelivered > 0 else {
            throw VideoError(
                .nothingDecoded, path: path,
                description:
                    "none of the \(cursor.plannedIndices.count) sampled frames of '\(path)' could be decoded "
                    + "(\(stats.corruptPackets) damaged packets) — the file is damaged; try re-encoding it")
        }
        return stats
    }

    // MARK: - Demuxing

    /// The decode index of the packet just read.
    private func identifyPacket() -> Int? {
        let pts = packet.pointee.pts
        if table.timestampsIdentifyPackets, pts != FFmpegStatus.noTimestamp,
            let index = table.packetIndex(ofTimestamp: pts)
        {
            return index
        }
        return position.map { $0 + 1 }
    }

    /// Makes `target` (or a packet shortly before it) the next packet read: by reading on
    /// when it is close, by seeking to its keyframe when it is far, by reopening otherwise.
    private func moveInput(toPacket target: Int) throws {
        if let position, position < target, target - position - 1 <= Self.seekThreshold {
            return
        }
        if canSeek, let keyframe = table.keyframePosition(atOrBefore: target),
            input.seek(toTimestamp: table.keyframeSeekTimestamps[keyframe])
        {
            position = nil
            seekTarget = target
            return
        }
        try input.reopen()
        position = -1
    }

    /// Reads from the first packet on, without seeking again.
    private func restartInput() throws {
        canSeek = false
        seekTarget = nil
        try input.reopen()
        position = -1
    }

    // MARK: - Decoding

    /// Sends the packet just read, telling the decoder which frames it may skip.
    private func decodePacket(at index: Int) throws {
        if packet.pointee.pts == FFmpegStatus.noTimestamp {
            // Give the frame the timestamp the scan assigned, so it can be recognised.
            packet.pointee.pts = table.packetTimestamps[index]
        }
        if schedule.keyframesOnly {
            decoder.skipFrame = AVDISCARD_NONKEY
        } else {
            decoder.skipFrame = schedule.sampledPackets.contains(index) ? AVDISCARD_DEFAULT : AVDISCARD_NONREF
        }
        for _ in 0..<Self.retryLimit {
            switch decoder.send(packet) {
            case .accepted:
                try receiveFrames()
                return
            case .rejected:
                stats.corruptPackets += 1
                try receiveFrames()
                return
            case .outputPending:
                try receiveFrames()
            }
        }
        stats.corruptPackets += 1
    }

    /// Ends a segment: outputs every frame still in the decoder, then resets it for the next
    /// keyframe. (Even between keyframes this matters: after a gap, H.264 can mis-order
    /// open-GOP I-frames whose picture order counts it could not follow.)
    private func endSegment() throws {
        try drain()
        decoder.flush()
    }

    /// Signals the end of input and receives every remaining frame.
    private func drain() throws {
        for _ in 0..<Self.retryLimit {
            guard decoder.send(nil) == .outputPending else { break }
            try receiveFrames()
        }
        try receiveFrames(untilEndOfStream: true)
    }

    /// Receives the frames the decoder has ready (or, draining, all it still holds).
    private func receiveFrames(untilEndOfStream: Bool = false) throws {
        var failuresInARow = 0
        while !cursor.isFinished {
            switch decoder.receive() {
            case .frame:
                failuresInARow = 0
                try handleFrame()
            case .needsInput:
                if !untilEndOfStream { return }
                failuresInARow += 1
                if failuresInARow >= Self.retryLimit { return }
            case .endOfStream:
                return
            case .failed:
                stats.corruptPackets += 1
                failuresInARow += 1
                if failuresInARow >= Self.retryLimit { return }
            }
        }
    }

    /// Delivers the decoded frame if the plan wants it.
    private func handleFrame() throws {
        let frame = decoder.frame
        defer { av_frame_unref(frame) }
        stats.framesDecoded += 1
        guard let display = displayIndex(of: frame) else { return }
        let match = cursor.match(displayIndex: display)
        stats.framesLost += match.lost
        guard let planPosition = match.planPosition else { return }
        if vtok_frame_is_corrupt(frame) != 0 {
            stats.framesDamaged += 1
        }
        let pixels = try scaler.scale(frame, path: path)
        stats.framesDelivered += 1
        try deliver(
            VideoFrame(
                sampleIndex: planPosition, index: display, pts: table.seconds(ofFrame: display),
                isKeyframe: vtok_frame_is_key(frame) != 0,
                width: scaler.outputSize.width, height: scaler.outputSize.height, pixels: pixels))
    }

    /// Which shown frame a decoded frame is: found by its timestamp, or by its place in the
    /// output for streams without timestamps.
    private func displayIndex(of frame: UnsafeMutablePointer<AVFrame>) -> Int? {
        defer { framesOutput += 1 }
        if schedule.numbersFramesByOutputOrder {
            return framesOutput < table.frameCount ? framesOutput : nil
        }
        let timestamp = vtok_frame_timestamp(frame)
        guard timestamp != FFmpegStatus.noTimestamp else { return nil }
        return table.displayIndex(ofTimestamp: timestamp)
    }
}
