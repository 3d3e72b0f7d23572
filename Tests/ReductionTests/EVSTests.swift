import PropertyBased
import Reduction
import Testing

@Suite struct EVSTests {
    @Test("vLLM's count truncates a float64 product", arguments: [
        (256, 10, 0.8, 511), (256, 20, 0.9, 511), (256, 45, 0.3, 8063), (256, 128, 0.7, 9830),
        (256, 4, 0.75, 256), (256, 128, 0.75, 8192), (256, 16, 0.9, 409), (256, 1, 0.5, 256),
    ])
    func retainedCount(_ tpf: Int, _ frames: Int, _ q: Double, _ expected: Int) {
        #expect(EVSOptions.retainedCount(total: tpf * frames, tokensPerFrame: tpf, rate: q) == expected)
    }

    @Test func retainedCountBounds() async {
        await propertyCheck(input: Gen.int(in: 1...1024), Gen.int(in: 1...300), Gen.double(in: 0..<1)) { tpf, t, q in
            let k = EVSOptions.retainedCount(total: tpf * t, tokensPerFrame: tpf, rate: q)
            #expect(k >= tpf)
            #expect(k <= tpf * t)
            #expect(k >= EVSOptions.retainedCount(total: tpf * t, tokensPerFrame: tpf, rate: min(0.999, q + 0.1)))
        }
    }

    @Test func tiesGoToTheEarlierToken() throws {
        // Every frame after the first is identical to frame 0: all later scores tie at 0.
        var frames = SyntheticVideo.frames(count: 1)
        for t in 1..<5 {
            var f = frames[0]
            f.sampleIndex = t
            frames.append(f)
        }
        let reducer = EVSReducer(options: try EVSOptions(ReducerSpec(parsing: "evs:rate=0.7")))
        var kept = TokenSet(dimension: 768)
        try reducer.process(Patchifier().tokens(of: frames)) { kept.append(contentsOf: $0) }
        try reducer.finish { kept.append(contentsOf: $0) }
        // K = max(24, int(120 · 0.3)) = 36: frame 0 whole, then the first 12 tokens of frame 1.
        #expect(kept.tokensPerFrame == [24, 12, 0, 0, 0])
        #expect(kept.coords[24..<36].map { Int($0.row * 6 + $0.col) } == Array(0..<12))
    }

    @Test func thresholdModeStreamsEachClip() throws {
        let reducer = EVSReducer(options: try EVSOptions(ReducerSpec(parsing: "evs:threshold=0.04")))
        var emitted = 0
        let frames = SyntheticVideo.frames(count: 4)
        for f in frames {
            try reducer.process(Patchifier().tokens(of: f)) { _ in emitted += 1 }
        }
        #expect(emitted == 4)
    }

    @Test func staticLeftHalfIsPrunedAfterFrameZero() throws {
        let reducer = EVSReducer(options: try EVSOptions(ReducerSpec(parsing: "evs:threshold=0.01")))
        var kept = TokenSet(dimension: 768)
        try reducer.process(Patchifier().tokens(of: SyntheticVideo.frames(count: 6))) { kept.append(contentsOf: $0) }
        let leftAfterFirst = kept.coords.filter { $0.t > 0 && $0.col < 3 }
        #expect(leftAfterFirst.isEmpty)
        #expect(kept.tokensPerFrame[0] == 24)
        #expect(kept.tokensPerFrame.dropFirst().allSatisfy { $0 > 0 && $0 <= 12 })
    }

    @Test("bad options give one clear line", arguments: [
        ("evs", "rate=q"), ("evs:rate=1", "outside [0, 1)"), ("evs:rate=-0.1", "outside [0, 1)"),
        ("evs:rate=abc", "not a number"), ("evs:rate=0.5,threshold=0.1", "not both"),
        ("evs:rate=0.5,metric=l2", "use l1 or cosine"), ("evs:rate=0.5,speed=3", "unknown option 'speed'"),
        ("evs:rate=0.5,reference=kept", "threshold mode"), ("evs:threshold=0.1,refresh=-2", "negative"),
        ("evs:rate", "not key=value"),
    ])
    func badOptions(_ text: String, _ fragment: String) {
        do {
            _ = try EVSOptions(ReducerSpec(parsing: text))
            Issue.record("\(text) was accepted")
        } catch {
            let message = String(describing: error)
            #expect(message.contains(fragment), "\(message)")
            #expect(!message.contains("\n"))
        }
    }
}

@Suite struct EVSRankTests {
    @Test func rankMatchesAStableDescendingSort() async {
        let values: [Float] = [0, -0.0, 0.25, 0.5, 1, 255, 1e-7, -1]
        let scores = Gen.int(in: 0...7).map { values[$0] }.array(of: 0...300)
        await propertyCheck(input: scores, Gen.int(in: 0...300)) { scores, k in
            let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
            var expected = [Bool](repeating: false, count: scores.count)
            for i in order.prefix(k) { expected[i] = true }
            #expect(EVSReducer.rankMask(scores: scores, keeping: k) == expected)
        }
    }
}
