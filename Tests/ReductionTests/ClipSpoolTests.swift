import Reduction
import Testing

@Suite struct ClipSpoolTests {
    @Test(arguments: [0, 200_000, 1 << 30])
    func firstInFirstOutAcrossMemoryAndDisk(budget: Int) throws {
        let spool = ClipSpool(memoryBudget: budget)
        let frames = SyntheticVideo.frames(count: 5)
        let clips = frames.map { Patchifier().tokens(of: $0).filtered(by: (0..<24).map { $0 % 3 != 1 }) }
        for clip in clips { try spool.append(clip) }
        #expect(spool.count == 5)
        for clip in clips {
            let back = try #require(try spool.removeFirst())
            #expect(back.features == clip.features)
            #expect(back.coords == clip.coords)
            #expect(back.frames == clip.frames)
        }
        #expect(try spool.removeFirst() == nil)
    }
}
