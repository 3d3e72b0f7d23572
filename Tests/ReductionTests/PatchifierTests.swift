import Reduction
import Testing
import VideoIO

@Suite struct PatchifierTests {
    @Test func channelRowColumnOrder() {
        let w = 32, h = 16
        let pixels = (0..<(3 * w * h)).map { Float($0) }
        let frame = VideoFrame(sampleIndex: 2, index: 9, pts: 0.5, isKeyframe: false, width: w, height: h, pixels: pixels)
        let set = Patchifier().tokens(of: frame)
        #expect(set.count == 2)
        #expect(set.coords == [TokenCoord(t: 2, row: 0, col: 0), TokenCoord(t: 2, row: 0, col: 1)])
        #expect(set.frames == [FrameRecord(t: 2, sourceIndex: 9, pts: 0.5, gridRows: 1, gridColumns: 2)])
        // Token 1, channel c, row y, column x is pixel (c, y, 16 + x).
        let token = Array(set.feature(at: 1))
        for c in 0..<3 {
            for y in 0..<16 {
                for x in 0..<16 {
                    #expect(token[c * 256 + y * 16 + x] == pixels[c * w * h + y * w + 16 + x])
                }
            }
        }
    }

    @Test func filteredKeepsOrderAndFrames() {
        let set = Patchifier().tokens(of: SyntheticVideo.frames(count: 2))
        let mask = (0..<set.count).map { $0 % 3 == 0 }
        let kept = set.filtered(by: mask)
        #expect(kept.count == (set.count + 2) / 3)
        #expect(kept.frames == set.frames)
        #expect(Array(kept.feature(at: 1)) == Array(set.feature(at: 3)))
    }
}
