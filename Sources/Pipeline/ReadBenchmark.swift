import Foundation
import Reduction
import VideoIO

/// Times vtok's reading and resizing of a video, alone and with the pixel-space reducers, for
/// comparison with other readers (`vtok bench read`).
public struct ReadBenchmark {
    /// Timings of one benchmark.
    public struct Result: Sendable, Codable {
        /// Sampled frames delivered.
        public var frames: Int
        /// Frames the decoder fully decoded.
        public var framesDecoded: Int
        /// Median seconds to read and resize the sampled frames.
        public var readSeconds: Double
        /// Median seconds to read, resize, cut into patches and run the reducers (nil without reducers).
        public var reduceSeconds: Double?
        /// Every measured run: read-only, then with reducers.
        public var readRuns: [Double]
        public var reduceRuns: [Double]

        enum CodingKeys: String, CodingKey {
            case frames
            case framesDecoded = "frames_decoded"
            case readSeconds = "read_seconds"
            case reduceSeconds = "reduce_seconds"
            case readRuns = "read_runs"
            case reduceRuns = "reduce_runs"
        }
    }

    public let pipeline: ResolvedPipeline

    public init(pipeline: ResolvedPipeline) {
        self.pipeline = pipeline
    }

    /// Runs the benchmark `repeats` times each way, alternating the two so that a noisy
    /// machine slows both alike, and reports medians.
    public func run(input: String, repeats: Int) throws -> Result {
        var readRuns: [Double] = []
        var reduceRuns: [Double] = []
        var frames = 0
        var decoded = 0
        for _ in 0..<max(1, repeats) {
            var t0 = Stopwatch.now()
            let reader = try VideoReader(path: input)
            let plan = try reader.plan(pipeline.sampling)
            var count = 0
            let stats = try reader.read(plan, resize: pipeline.resize) { _ in count += 1 }
            readRuns.append(Stopwatch.seconds(since: t0))
            frames = count
            decoded = stats.framesDecoded
            guard !pipeline.reducers.isEmpty else { continue }

            t0 = Stopwatch.now()
            let reducingReader = try VideoReader(path: input)
            let chain = StageChain(reducers: try pipeline.makeReducers()) { _ in }
            let feeder = ClipFeeder(
                clipFrames: pipeline.clipFrames, patchifier: Patchifier(patchSize: ResolvedPipeline.patchSize)
            ) { try chain.process($0) }
            _ = try reducingReader.read(try reducingReader.plan(pipeline.sampling), resize: pipeline.resize) {
                try feeder.add($0)
            }
            try feeder.finish()
            try chain.finish()
            reduceRuns.append(Stopwatch.seconds(since: t0))
        }
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        return Result(
            frames: frames, framesDecoded: decoded, readSeconds: median(readRuns),
            reduceSeconds: reduceRuns.isEmpty ? nil : median(reduceRuns), readRuns: readRuns, reduceRuns: reduceRuns)
    }
}
