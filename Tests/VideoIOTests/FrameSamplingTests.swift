import Testing

@testable import VideoIO

/// Plans checked against `ReferenceSampling`, an independent computation over ffprobe's frame
/// times.
@Suite("VideoReader.plan: which frames a sampling selects")
struct FrameSamplingTests {
    typealias Case = (clip: String, start: Double?, end: Double?, maxFrames: Int?)

    static let ranges: [Case] = [
        ("cfr.mp4", nil, nil, nil),
        ("cfr.mp4", 1.0, 3.0, nil),
        ("cfr.mp4", 0.5, nil, 10),
        ("cfr.mp4", nil, 2.02, nil),
        ("vfr.mp4", nil, nil, nil),
        ("vfr.mp4", 0.7, 2.0, nil),
        ("mpeg4.mkv", 0.3, 2.5, 4),
        ("opengop.mkv", 1.5, nil, nil),
    ]

    private func indices(_ plan: [PlannedFrame]) -> [Int] { plan.map(\.index) }

    @Test(".count(n) takes floor(linspace) over the range", arguments: ranges)
    func count(_ c: Case) throws {
        let clips = try TestClips.get()
        let path = "\(clips.folder)/\(c.clip)"
        let reader = try VideoReader(path: path)
        let times = try ProbedFrames(path: path).times
        for n in [1, 2, 7, 16, 33, 1000] {
            let sampling = FrameSampling(mode: .count(n), maxFrames: c.maxFrames, start: c.start, end: c.end)
            let expected = ReferenceSampling.count(n, times: times, start: c.start, end: c.end, maxFrames: c.maxFrames)
            #expect(indices(try reader.plan(sampling)) == expected, "n = \(n)")
        }
    }

    @Test(".fps(F) takes floor(duration · F) frames the same way", arguments: ranges)
    func fps(_ c: Case) throws {
        let clips = try TestClips.get()
        let path = "\(clips.folder)/\(c.clip)"
        let reader = try VideoReader(path: path)
        let times = try ProbedFrames(path: path).times
        for rate in [0.1, 1, 2, 2.5, 7, 25, 100] {
            let sampling = FrameSampling(mode: .fps(rate), maxFrames: c.maxFrames, start: c.start, end: c.end)
            let expected = ReferenceSampling.fps(
                rate, times: times, duration: reader.info.duration, start: c.start, end: c.end,
                maxFrames: c.maxFrames)
            #expect(indices(try reader.plan(sampling)) == expected, "fps = \(rate)")
        }
    }

    @Test(".keyframes and .all take the range's frames in order, capped by maxFrames", arguments: ranges)
    func keyframesAndAll(_ c: Case) throws {
        let clips = try TestClips.get()
        let path = "\(clips.folder)/\(c.clip)"
        let reader = try VideoReader(path: path)
        let probed = try ProbedFrames(path: path)
        let range = ReferenceSampling.range(probed.times, start: c.start, end: c.end)
        let cap = c.maxFrames ?? .max

        let all = try reader.plan(FrameSampling(mode: .all, maxFrames: c.maxFrames, start: c.start, end: c.end))
        #expect(indices(all) == Array(range.prefix(cap)))

        let keyframesInRange = range.filter { probed.isKeyframe[$0] }
        let sampling = FrameSampling(mode: .keyframes, maxFrames: c.maxFrames, start: c.start, end: c.end)
        if keyframesInRange.isEmpty {
            #expect(throws: VideoError.self) { try reader.plan(sampling) }
        } else {
            #expect(indices(try reader.plan(sampling)) == Array(keyframesInRange.prefix(cap)))
        }
    }

    @Test("planned pts are the frames' times from the first frame")
    func plannedTimes() throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.variableRate)
        let times = try ProbedFrames(path: clips.variableRate).times
        for frame in try reader.plan(FrameSampling(mode: .all)) {
            #expect(abs(frame.pts - times[frame.index]) < 1e-5)
        }
    }

    @Test("a range past the end says so in one line")
    func rangePastEnd() throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.constantRate)
        let error = try #require(throws: VideoError.self) {
            try reader.plan(FrameSampling(mode: .fps(2), start: 50, end: 60))
        }
        #expect(error.kind == .noFramesSampled)
        #expect(error.description.contains("the range 50s–60s is past the end of the 4.0 s video — lower --start"))
        #expect(!error.description.contains("\n"))
    }

    @Test(
        "invalid samplings are rejected",
        arguments: [
            FrameSampling(mode: .count(0)),
            FrameSampling(mode: .fps(0)),
            FrameSampling(mode: .fps(-.infinity)),
            FrameSampling(mode: .all, maxFrames: 0),
            FrameSampling(mode: .all, start: -1),
            FrameSampling(mode: .all, start: 2, end: 1),
        ])
    func invalid(_ sampling: FrameSampling) throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.constantRate)
        let error = try #require(throws: VideoError.self) { try reader.plan(sampling) }
        #expect(error.kind == .invalidSampling)
        #expect(!error.description.contains("\n"))
    }

    @Test("a range between two frames selects nothing and says so")
    func rangeBetweenFrames() throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.constantRate)
        let error = try #require(throws: VideoError.self) {
            try reader.plan(FrameSampling(mode: .all, start: 1.01, end: 1.02))
        }
        #expect(error.kind == .noFramesSampled)
        #expect(error.description.contains("no frame lies in the range 1.01s–1.02s"))
    }
}
