import Foundation
import Reduction

/// Runs one pipeline several times, changing one option of its last reducer, and collects the
/// rate–distortion curve: tokens kept against the PSNR of the rebuilt video (`vtok sweep`).
public struct RateDistortionSweep {
    /// One run of the sweep.
    public struct Point: Sendable, Codable, Equatable {
        /// The option's value in this run.
        public var value: Double
        /// The reducer chain of this run.
        public var reducers: [String]
        public var tokensIn: Int
        public var tokensOut: Int
        /// For multi-scale output: every token of every scale.
        public var tokensAllScales: Int?
        /// Percentage of the reference count kept (all scales when multi-scale, else the finest grid).
        public var percentKept: Double
        public var psnrDB: Double?
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case value, reducers, seconds
            case tokensIn = "tokens_in"
            case tokensOut = "tokens_out"
            case tokensAllScales = "tokens_all_scales"
            case percentKept = "percent_kept"
            case psnrDB = "psnr_db"
        }
    }

    public let pipeline: ResolvedPipeline
    /// The option varied on the last reducer (e.g. `psnr`).
    public let option: String
    public let values: [Double]

    /// - Throws: `PipelineError` when the pipeline has no reducer or a value is rejected.
    public init(pipeline: ResolvedPipeline, option: String, values: [Double]) throws {
        guard !pipeline.reducers.isEmpty else {
            throw PipelineError("sweep needs a reducer to vary — e.g. --reduce autogaze --psnr 24,27,30")
        }
        guard !values.isEmpty else { throw PipelineError("sweep needs at least one value for --\(option)") }
        self.pipeline = pipeline
        self.option = option
        self.values = values
    }

    /// The pipeline of one run.
    public func pipeline(for value: Double) throws -> ResolvedPipeline {
        var reducers = try pipeline.reducers.map(ReducerSpec.init(parsing:))
        var last = reducers.removeLast()
        for group in ReducerRegistry.exclusiveOptions(of: last.name) where group.contains(option) {
            last.options.removeAll { group.contains($0.key) && $0.key != option }
        }
        last = last.merged(with: ReducerSpec(name: last.name, options: [(option, String(value))]))
        reducers.append(last)
        var run = pipeline
        run.reducers = try reducers.map(ReducerRegistry.specification(of:))
        return run
    }

    /// Runs every value in order.
    ///
    /// - Parameter progress: called after each run with its point.
    public func run(input: String, progress: ((Point) -> Void)? = nil) throws -> [Point] {
        try values.map { value in
            let runner = PipelineRunner(pipeline: try pipeline(for: value))
            runner.showsProgress = false
            let report = try runner.run(input: input, output: nil).report
            let reference = report.tokensAllScales ?? report.tokensIn
            let point = Point(
                value: value, reducers: runner.pipeline.reducers, tokensIn: report.tokensIn, tokensOut: report.tokensOut,
                tokensAllScales: report.tokensAllScales,
                percentKept: reference > 0 ? 100 * Double(report.tokensOut) / Double(reference) : 0,
                psnrDB: report.psnrDB, seconds: report.seconds)
            progress?(point)
            return point
        }
    }

    /// The curve as a plot: percentage of tokens kept against PSNR.
    public static func plot(_ points: [Point], title: String) -> LinePlot {
        let multiScale = points.first?.tokensAllScales != nil
        return LinePlot(
            title: title,
            xLabel: multiScale ? "tokens kept (% of all 265 per tile-frame)" : "tokens kept (% of the patch grid)",
            yLabel: "PSNR (dB)",
            series: [LinePlot.Series(label: "rebuilt video", points: points.map { ($0.percentKept, $0.psnrDB ?? .infinity) })])
    }
}
