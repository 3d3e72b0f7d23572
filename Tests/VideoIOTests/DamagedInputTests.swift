import Testing

@testable import VideoIO

@Suite("VideoReader on damaged files")
struct DamagedInputTests {
    init() {
        // The decoder reports every damaged packet on standard error; keep test output readable.
        FFmpegLog.setLevel(.quiet)
    }

    @Test(
        "garbage in the middle: decodes what it can, counts the damage, does not throw",
        arguments: [FrameSampling(mode: .all), FrameSampling(mode: .fps(5))])
    func corruptedMiddle(sampling: FrameSampling) throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.corrupted)
        let plan = try reader.plan(sampling)
        var delivered: [Int] = []
        let stats = try reader.read(plan, resize: .exact(.square(16))) { frame in
            delivered.append(frame.index)
            #expect(frame.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        #expect(stats.framesDelivered == delivered.count)
        #expect(stats.framesDelivered > 0)
        #expect(stats.framesDelivered + stats.framesLost == plan.count)
        #expect(stats.corruptPackets + stats.framesLost + stats.framesDamaged > 0)
        #expect(delivered == delivered.sorted())
        #expect(Set(delivered).isSubset(of: plan.map(\.index)))
    }

    @Test("a Matroska file cut off mid-stream decodes the frames it has")
    func truncated() throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.truncated)
        #expect(reader.info.frameCount > 10)
        #expect(reader.info.frameCount < 100)
        let plan = try reader.plan(FrameSampling(mode: .all))
        var count = 0
        let stats = try reader.read(plan, resize: .exact(.square(16))) { _ in count += 1 }
        #expect(count == stats.framesDelivered)
        #expect(count >= plan.count - 1)
    }

    @Test("plan cursor: frames that never come out are counted as lost")
    func planCursor() {
        var cursor = PlanCursor(plannedIndices: [2, 5, 9])
        #expect(cursor.match(displayIndex: 1) == .init(planPosition: nil, lost: 0))
        #expect(cursor.match(displayIndex: 2) == .init(planPosition: 0, lost: 0))
        #expect(cursor.match(displayIndex: 3) == .init(planPosition: nil, lost: 0))
        #expect(cursor.match(displayIndex: 9) == .init(planPosition: 2, lost: 1))
        #expect(cursor.isFinished)
        #expect(cursor.match(displayIndex: 10) == .init(planPosition: nil, lost: 0))
    }
}
