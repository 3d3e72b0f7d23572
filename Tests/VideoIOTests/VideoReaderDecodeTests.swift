import Testing

@testable import VideoIO

/// Decoded pixels are compared with the ffmpeg tool's own decode + bicubic scale of the same
/// frame (on FFmpeg 5.1 they agree exactly; the tolerance leaves room for other versions);
/// decoding work is checked through `DecodeStats`.
@Suite("VideoReader.read: decoding planned frames")
struct VideoReaderDecodeTests {
    static let size = FrameSize(width: 32, height: 24)

    /// Reads `sampling` from `path` and checks every delivered frame against ffmpeg.
    @discardableResult
    private func readAndCompare(
        _ path: String, _ sampling: FrameSampling, tolerance: Float = 0.001
    ) throws -> (plan: [PlannedFrame], frames: [(index: Int, isKeyframe: Bool)], stats: DecodeStats) {
        let reader = try VideoReader(path: path)
        let reference = try ReferenceFrames(path: path, width: Self.size.width, height: Self.size.height)
        #expect(reference.count == reader.info.frameCount)
        let plan = try reader.plan(sampling)
        var delivered: [(index: Int, isKeyframe: Bool)] = []
        let stats = try reader.read(plan, resize: .exact(Self.size)) { frame in
            #expect(frame.sampleIndex == delivered.count)
            #expect(frame.index == plan[frame.sampleIndex].index)
            #expect(abs(frame.pts - plan[frame.sampleIndex].pts) < 1e-9)
            #expect(frame.width == Self.size.width && frame.height == Self.size.height)
            #expect(frame.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
            let difference = reference.meanAbsoluteDifference(frame.pixels, frame: frame.index)
            #expect(difference < tolerance, "frame \(frame.index): mean abs diff \(difference)")
            delivered.append((frame.index, frame.isKeyframe))
        }
        #expect(delivered.map(\.index) == plan.map(\.index))
        #expect(stats.framesDelivered == plan.count)
        #expect(stats.framesLost == 0 && stats.corruptPackets == 0)
        return (plan, delivered, stats)
    }

    @Test(
        "every frame matches ffmpeg's decode and scale",
        arguments: ["cfr.mp4", "vfr.mp4", "mpeg4.mkv", "opengop.mkv"])
    func allFramesMatchFFmpeg(clip: String) throws {
        let clips = try TestClips.get()
        let result = try readAndCompare("\(clips.folder)/\(clip)", FrameSampling(mode: .all))
        #expect(result.stats.framesDecoded == result.plan.count)
    }

    @Test(
        "sparse sampling skips frames and still matches ffmpeg",
        arguments: ["cfr.mp4", "vfr.mp4", "mpeg4.mkv", "opengop.mkv"])
    func sparseSampling(clip: String) throws {
        let clips = try TestClips.get()
        let path = "\(clips.folder)/\(clip)"
        let frameCount = try VideoReader(path: path).info.frameCount
        let result = try readAndCompare(path, FrameSampling(mode: .count(3)))
        #expect(result.stats.framesDecoded < frameCount)
        #expect(result.stats.framesSkipped == frameCount - result.stats.framesDecoded)
    }

    @Test("far jumps between groups of pictures land on the right frames", arguments: ["cfr.mp4", "cfr.mkv"])
    func farJumps(clip: String) throws {
        let clips = try TestClips.get()
        // Frames 0 and 99: the reader jumps over two whole GOPs (seeking) between them.
        let result = try readAndCompare("\(clips.folder)/\(clip)", FrameSampling(mode: .count(2)))
        #expect(result.frames.map(\.index) == [0, 99])
        #expect(result.stats.framesDecoded <= 26)
    }

    @Test("a raw stream without timestamps is numbered by output order")
    func rawStream() throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.rawStream)
        #expect(reader.info.frameCount == 100)
        #expect(abs(reader.info.duration - 4) < 1e-9)
        let result = try readAndCompare(clips.rawStream, FrameSampling(mode: .count(7)))
        #expect(result.frames.map(\.index) == [0, 16, 33, 49, 66, 82, 99])
        #expect(abs(result.plan[1].pts - 16 * 0.04) < 1e-9)
    }

    @Test("a range in the middle decodes only what it needs")
    func middleRange() throws {
        let clips = try TestClips.get()
        let result = try readAndCompare(clips.constantRate, FrameSampling(mode: .count(5), start: 1.2, end: 2.9))
        // Frames 30…72 lie in GOPs 1 and 2 (25…74); GOPs 0 and 3 are never sent.
        #expect(result.stats.framesDecoded <= 50)
    }

    @Test("frames shown before their keyframe in an open GOP decode correctly")
    func leadingFrames() throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.openGOP)
        let secondKeyframe = reader.keyframeIndices()[1]
        // The B-frames just before the second keyframe are decoded after it and reference the
        // first GOP.
        let start = reader.presentationTime(ofFrame: secondKeyframe - 2)
        let end = reader.presentationTime(ofFrame: secondKeyframe) + 0.001
        try readAndCompare(clips.openGOP, FrameSampling(mode: .all, start: start, end: end))
    }

    @Test(
        ".keyframes delivers only keyframes and decodes nothing else",
        arguments: ["cfr.mp4", "mpeg4.mkv", "opengop.mkv"])
    func keyframesOnly(clip: String) throws {
        let clips = try TestClips.get()
        let path = "\(clips.folder)/\(clip)"
        let probed = try ProbedFrames(path: path)
        let result = try readAndCompare(path, FrameSampling(mode: .keyframes))
        #expect(result.frames.map(\.index) == probed.keyframeIndices)
        #expect(result.frames.allSatisfy { $0.isKeyframe })
        #expect(result.stats.framesDecoded == probed.keyframeIndices.count)
    }

    @Test("keepAspect keeps the aspect ratio in multiples of the patch size")
    func keepAspect() throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.constantRate)
        let plan = try reader.plan(FrameSampling(mode: .count(2)))
        var sizes: [FrameSize] = []
        try reader.read(plan, resize: .keepAspect(longSide: 32, multiple: 8)) { frame in
            sizes.append(FrameSize(width: frame.width, height: frame.height))
            #expect(frame.pixels.count == 3 * frame.width * frame.height)
        }
        #expect(sizes == [FrameSize(width: 32, height: 24), FrameSize(width: 32, height: 24)])
    }

    @Test("a reader can read again, and an error thrown by the body stops reading")
    func readAgain() throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.constantRate)
        let plan = try reader.plan(FrameSampling(mode: .fps(2)))
        struct Stop: Error {}
        var seen = 0
        #expect(throws: Stop.self) {
            try reader.read(plan, resize: .exact(.square(16))) { _ in
                seen += 1
                if seen == 3 { throw Stop() }
            }
        }
        #expect(seen == 3)
        var first: [[Float]] = []
        var second: [[Float]] = []
        try reader.read(plan, resize: .exact(.square(16))) { first.append($0.pixels) }
        try reader.read(Array(plan.reversed().prefix(1)), resize: .exact(.square(16))) { second.append($0.pixels) }
        #expect(first.count == plan.count)
        #expect(second == [first[first.count - 1]])
    }

    @Test("the 8-bit fallback (when swscale lacks float output) matches ffmpeg too")
    func eightBitFallback() throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.constantRate)
        reader.scaler = FrameScaler(outputSize: Self.size, allowsFloatOutput: false)
        let reference = try ReferenceFrames(
            path: clips.constantRate, width: Self.size.width, height: Self.size.height)
        let plan = try reader.plan(FrameSampling(mode: .count(4)))
        var count = 0
        try reader.read(plan, resize: .exact(Self.size)) { frame in
            count += 1
            #expect(reference.meanAbsoluteDifference(frame.pixels, frame: frame.index) < 0.01)
            // 8-bit output: every value is a multiple of 1/255.
            #expect(frame.pixels.allSatisfy { abs(($0 * 255).rounded() - $0 * 255) < 1e-3 })
        }
        #expect(count == 4)
    }

    @Test("plans that do not fit the video are rejected")
    func invalidPlan() throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.constantRate)
        let outOfRange = [PlannedFrame(index: 100, pts: 4)]
        let repeated = [PlannedFrame(index: 5, pts: 0.2), PlannedFrame(index: 5, pts: 0.2)]
        for plan in [outOfRange, repeated] {
            let error = try #require(throws: VideoError.self) {
                try reader.read(plan, resize: .exact(.square(16))) { _ in }
            }
            #expect(error.kind == .invalidPlan)
        }
        #expect(try reader.read([], resize: .exact(.square(16))) { _ in } == DecodeStats())
    }
}
