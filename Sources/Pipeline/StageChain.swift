import Reduction

/// The reducer chain as the runner drives it: each stage feeds the next, and each stage's own
/// time (excluding the stages after it) and token counts are measured.
final class StageChain {
    private final class Stage {
        let reducer: TokenReducer
        var tokensIn = 0
        var tokensOut = 0
        var seconds = 0.0
        init(_ reducer: TokenReducer) { self.reducer = reducer }
    }

    private let stages: [Stage]
    private let sink: TokenSink

    /// - Parameter sink: receives what the last stage emits.
    init(reducers: [TokenReducer], sink: @escaping TokenSink) {
        stages = reducers.map(Stage.init)
        self.sink = sink
    }

    /// Feeds a clip to the first stage.
    func process(_ clip: TokenSet) throws {
        try feed(clip, into: 0)
    }

    /// Ends the stream stage by stage, so what a stage flushes still passes the later ones.
    func finish() throws {
        for i in stages.indices {
            let stage = stages[i]
            var started = Stopwatch.now()
            try stage.reducer.finish { out in
                stage.seconds += Stopwatch.seconds(since: started)
                stage.tokensOut += out.count
                try self.feed(out, into: i + 1)
                started = Stopwatch.now()
            }
            stage.seconds += Stopwatch.seconds(since: started)
        }
    }

    /// Per-stage figures, in chain order.
    var reports: [StageReport] {
        stages.map {
            StageReport(name: $0.reducer.name, tokensIn: $0.tokensIn, tokensOut: $0.tokensOut, seconds: $0.seconds)
        }
    }

    private func feed(_ clip: TokenSet, into index: Int) throws {
        guard index < stages.count else { return try sink(clip) }
        let stage = stages[index]
        stage.tokensIn += clip.count
        var started = Stopwatch.now()
        try stage.reducer.process(clip) { out in
            stage.seconds += Stopwatch.seconds(since: started)
            stage.tokensOut += out.count
            try self.feed(out, into: index + 1)
            started = Stopwatch.now()
        }
        stage.seconds += Stopwatch.seconds(since: started)
    }
}
