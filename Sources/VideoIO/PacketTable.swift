/// What a demux-only scan of a video stream learned about its packets: one packet per frame,
/// in decode order, with its timestamp and keyframe flag, plus the same frames in display
/// (presentation) order.
///
/// It holds a few integers per packet, so even hours of video take a few megabytes.
struct PacketTable: Sendable {
    /// Stream time base numerator (seconds per tick = `timeBaseNumerator / timeBaseDenominator`).
    let timeBaseNumerator: Int64
    /// Stream time base denominator.
    let timeBaseDenominator: Int64

    // MARK: Decode order (index = position of the packet in the stream)

    /// The packet's presentation timestamp, or its decode timestamp when it has none, or one
    /// frame duration after the previous packet when it has neither (raw elementary streams).
    let packetTimestamps: [Int64]
    /// Whether the demuxer flagged the packet as a keyframe.
    let packetIsKeyframe: [Bool]
    /// Where the packet's frame sits in display order, or −1 for a frame that is decoded but
    /// never shown (`AV_PKT_FLAG_DISCARD`).
    let displayIndexOfPacket: [Int32]
    /// Decode indices of the packets whose frames are never shown, ascending (usually none).
    let hiddenPackets: [Int]
    /// Decode indices of the keyframe packets, ascending.
    let keyframePackets: [Int]
    /// Timestamps to seek to for each entry of `keyframePackets`: the smaller of the packet's
    /// presentation and decode timestamps.
    let keyframeSeekTimestamps: [Int64]

    // MARK: Display order (index = frame number as shown)

    /// Presentation timestamps of the shown frames, ascending.
    let displayTimestamps: [Int64]
    /// Decode index of each shown frame.
    let packetOfDisplay: [Int32]

    // MARK: Summary

    /// End of the last shown frame (its timestamp plus its duration), in ticks.
    let endTimestamp: Int64
    /// Whether every packet carries a presentation timestamp. When some do not (raw
    /// elementary streams), display order is not known from the scan: the table then assumes
    /// frames are evenly spaced, and decoding numbers frames in the order the decoder outputs
    /// them.
    let hasPresentationTimestamps: Bool
    /// Whether every packet carries a presentation timestamp and no two share one, so that a
    /// packet read after a seek can be recognised by its timestamp alone.
    let timestampsIdentifyPackets: Bool
    /// Whether the gaps between consecutive shown frames vary by more than rounding.
    let isVariableFrameRate: Bool
    /// Frames the timestamps say are absent: each gap between consecutive shown frames longer
    /// than 2.5 times the median gap counts as `round(gap / median) − 1` frames (damaged or cut
    /// files lose whole stretches of packets).
    let missingFrames: Int

    /// Number of packets (decoded frames, shown or not).
    var packetCount: Int { packetTimestamps.count }
    /// Number of shown frames.
    var frameCount: Int { displayTimestamps.count }
    /// Presentation timestamp of the first shown frame, in ticks.
    var firstTimestamp: Int64 { displayTimestamps.first ?? 0 }

    /// Seconds from the first shown frame to `timestamp` (in ticks), rounded once.
    func seconds(ofTimestamp timestamp: Int64) -> Double {
        seconds(ofTicks: timestamp - firstTimestamp)
    }

    /// A tick count converted to seconds with a single rounding.
    func seconds(ofTicks ticks: Int64) -> Double {
        Double(ticks) * Double(timeBaseNumerator) / Double(timeBaseDenominator)
    }

    /// Presentation time of the shown frame `index`, in seconds from the first shown frame.
    func seconds(ofFrame index: Int) -> Double {
        seconds(ofTimestamp: displayTimestamps[index])
    }

    /// Duration of the stream in seconds: first shown frame to the end of the last.
    var duration: Double { frameCount == 0 ? 0 : seconds(ofTimestamp: endTimestamp) }

    /// The shown frame whose presentation timestamp is exactly `timestamp`.
    func displayIndex(ofTimestamp timestamp: Int64) -> Int? {
        let i = displayTimestamps.partitioningIndex { $0 >= timestamp }
        return i < displayTimestamps.count && displayTimestamps[i] == timestamp ? i : nil
    }

    /// The packet whose timestamp is exactly `timestamp`.
    func packetIndex(ofTimestamp timestamp: Int64) -> Int? {
        if let display = displayIndex(ofTimestamp: timestamp) {
            return Int(packetOfDisplay[display])
        }
        return hiddenPackets.first { packetTimestamps[$0] == timestamp }
    }

    /// Position in `keyframePackets` of the last keyframe at or before packet `packet`.
    func keyframePosition(atOrBefore packet: Int) -> Int? {
        let i = keyframePackets.partitioningIndex { $0 > packet }
        return i > 0 ? i - 1 : nil
    }

    /// Number of shown keyframes.
    var keyframeCount: Int {
        keyframePackets.reduce(0) { $0 + (displayIndexOfPacket[$1] >= 0 ? 1 : 0) }
    }

    /// Display indices of the shown keyframes, ascending.
    func keyframeDisplayIndices() -> [Int] {
        keyframePackets.compactMap { packet in
            let display = Int(displayIndexOfPacket[packet])
            return display >= 0 ? display : nil
        }.sorted()
    }

    /// Whether the shown frame `index` is a keyframe.
    func isKeyframe(frame index: Int) -> Bool {
        packetIsKeyframe[Int(packetOfDisplay[index])]
    }
}

extension PacketTable {
    /// Collects packets in decode order during the scan and then builds the table.
    struct Builder {
        private var timestamps: [Int64] = []
        private var durations: [Int64] = []
        private var keyframes: [Bool] = []
        private var hidden: [Bool] = []
        private var seekTimestamps: [Int64] = []
        private var allHavePresentationTimestamps = true
        private let frameDuration: Int64

        /// A builder for a stream whose frames last about `frameDuration` ticks (used to
        /// number packets that carry no timestamp at all).
        init(frameDuration: Int64) {
            self.frameDuration = max(1, frameDuration)
        }

        /// Records one packet. Pass `nil` for a missing timestamp.
        mutating func append(
            presentationTimestamp pts: Int64?, decodeTimestamp dts: Int64?, duration: Int64,
            isKeyframe: Bool, isHidden: Bool
        ) {
            if pts == nil { allHavePresentationTimestamps = false }
            let previousEnd = timestamps.last.map { last in
                last + (durations[durations.count - 1] > 0 ? durations[durations.count - 1] : frameDuration)
            }
            let timestamp = pts ?? dts ?? previousEnd ?? 0
            timestamps.append(timestamp)
            durations.append(max(0, duration))
            keyframes.append(isKeyframe)
            hidden.append(isHidden)
            if isKeyframe { seekTimestamps.append(min(timestamp, dts ?? timestamp)) }
        }

        /// The finished table for a stream with the given time base.
        func build(timeBaseNumerator: Int64, timeBaseDenominator: Int64) -> PacketTable {
            let shown = timestamps.indices.filter { !hidden[$0] }
            let displayOrder = shown.sorted { (timestamps[$0], $0) < (timestamps[$1], $1) }
            var displayIndexOfPacket = [Int32](repeating: -1, count: timestamps.count)
            for (display, packet) in displayOrder.enumerated() {
                displayIndexOfPacket[packet] = Int32(display)
            }
            let displayTimestamps = displayOrder.map { timestamps[$0] }
            let gaps = zip(displayTimestamps.dropFirst(), displayTimestamps).map { $0 - $1 }

            var end: Int64 = 0
            if let lastPacket = displayOrder.last {
                let lastDuration = durations[lastPacket] > 0 ? durations[lastPacket] : (gaps.last ?? 0)
                end = timestamps[lastPacket] + lastDuration
            }
            var isVariable = false
            if let smallest = gaps.min(), let largest = gaps.max() {
                isVariable = largest - smallest > max(1, smallest / 50)
            }
            var missing = 0
            if gaps.count >= 3 {
                let median = gaps.sorted()[gaps.count / 2]
                if median > 0 {
                    for gap in gaps where gap * 2 > median * 5 {
                        missing += Int((Double(gap) / Double(median)).rounded()) - 1
                    }
                }
            }
            let sortedAll = timestamps.sorted()
            let unique = zip(sortedAll.dropFirst(), sortedAll).allSatisfy { $0 != $1 }

            return PacketTable(
                timeBaseNumerator: timeBaseNumerator, timeBaseDenominator: max(1, timeBaseDenominator),
                packetTimestamps: timestamps, packetIsKeyframe: keyframes,
                displayIndexOfPacket: displayIndexOfPacket,
                hiddenPackets: hidden.indices.filter { hidden[$0] },
                keyframePackets: keyframes.indices.filter { keyframes[$0] },
                keyframeSeekTimestamps: seekTimestamps,
                displayTimestamps: displayTimestamps, packetOfDisplay: displayOrder.map { Int32($0) },
                endTimestamp: end, hasPresentationTimestamps: allHavePresentationTimestamps,
                timestampsIdentifyPackets: allHavePresentationTimestamps && unique,
                isVariableFrameRate: isVariable, missingFrames: missing)
        }
    }
}

extension RandomAccessCollection {
    /// The first index whose element satisfies `belongsInSecondPartition`, assuming the
    /// collection is partitioned by it (binary search).
    func partitioningIndex(where belongsInSecondPartition: (Element) throws -> Bool) rethrows -> Index {
        var low = startIndex
        var count = self.count
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if try belongsInSecondPartition(self[middle]) {
                count = half
            } else {
                low = index(after: middle)
                count -= half + 1
            }
        }
        return low
    }
}
