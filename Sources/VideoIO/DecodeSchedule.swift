/// Which packets to send to the decoder, in decode order, to produce a plan's frames with as
/// little decoding as possible.
///
/// A sampled frame needs every packet from the keyframe that starts its group of pictures
/// (GOP) up to its own packet. A leading frame (decoded after a keyframe but shown before it,
/// in open GOPs) also needs the previous GOP. Runs of needed packets that touch are merged into
/// segments; the reader jumps between segments (draining and flushing the decoder) and never
/// sends the packets between them.
///
/// When every sampled frame is a keyframe, only those packets are sent, with
/// `AVDISCARD_NONKEY`.
///
/// Streams without presentation timestamps are decoded in full from the start, because only
/// the decoder's output order tells which frame is which.
struct DecodeSchedule: Sendable {
    /// Runs of packets (decode indices) to send, ascending and disjoint.
    let segments: [ClosedRange<Int>]
    /// Packets whose frames are sampled.
    let sampledPackets: Set<Int>
    /// Whether only keyframes are decoded.
    let keyframesOnly: Bool
    /// Whether every packet is decoded in order and frames are numbered as they come out.
    let numbersFramesByOutputOrder: Bool

    /// Number of packets the schedule sends.
    var packetsToSend: Int { segments.reduce(0) { $0 + $1.count } }

    /// The schedule for `plan` (display indices into `table`).
    init(plan: [PlannedFrame], table: PacketTable) {
        guard table.hasPresentationTimestamps else {
            segments = table.packetCount > 0 ? [0...(table.packetCount - 1)] : []
            sampledPackets = Set(0..<table.packetCount)
            keyframesOnly = false
            numbersFramesByOutputOrder = true
            return
        }
        numbersFramesByOutputOrder = false
        let packets = plan.map { Int(table.packetOfDisplay[$0.index]) }
        sampledPackets = Set(packets)
        keyframesOnly = !packets.isEmpty && packets.allSatisfy { table.packetIsKeyframe[$0] }

        var runs: [ClosedRange<Int>]
        if keyframesOnly {
            runs = packets.map { $0...$0 }
        } else {
            runs = zip(plan, packets).map { frame, packet in
                Self.firstNeededPacket(for: packet, showing: frame.index, table: table)...packet
            }
        }
        runs.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<Int>] = []
        for run in runs {
            if let last = merged.last, run.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, run.upperBound)
            } else {
                merged.append(run)
            }
        }
        segments = merged
    }

    /// The first packet to send so that `packet` (shown as frame `display`) decodes cleanly.
    static func firstNeededPacket(for packet: Int, showing display: Int, table: PacketTable) -> Int {
        guard let position = table.keyframePosition(atOrBefore: packet) else { return 0 }
        let keyframe = table.keyframePackets[position]
        let isLeading = table.displayTimestamps[display] < table.packetTimestamps[keyframe]
        guard isLeading else { return keyframe }
        return position > 0 ? table.keyframePackets[position - 1] : 0
    }
}
