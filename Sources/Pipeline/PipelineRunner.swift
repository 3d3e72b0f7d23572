import Foundation
import Reduction
import VideoIO

/// What a finished run produced.
public struct RunResult: Sendable {
    /// The compression report.
    public var report: Report
    /// The video that was read.
    public var source: VideoInfo
    /// Where the token pack was written, if one was asked for.
    public var outputPath: String?
}

/// Runs a resolved pipeline on one video: read and resize the sampled frames, cut them into
/// patches, pass them through the reducer chain clip by clip, write the token pack and measure
/// fidelity.
///
/// Memory is bounded by `clipFrames` frames plus what reducers hold (EVS `rate` mode spools to
/// disk past its budget), never by the length of the video.
public final class PipelineRunner {
    public let pipeline: ResolvedPipeline
    /// Whether to rebuild the video from kept patches and report PSNR.
    public var measuresFidelity = true
    /// Show progress on standard error when it is a terminal.
    public var showsProgress = true
    /// Also write AutoGaze's `gazing_pos`, `if_padded_gazing` and `num_gazing_each_frame` tensors.
    public var writesGazeTensors = false
    /// Where to write a picture of what was kept (PNG), if anywhere.
    public var picturePath: String?

    public init(pipeline: ResolvedPipeline) {
        self.pipeline = pipeline
    }

    /// Runs the pipeline.
    ///
    /// - Parameters:
    ///   - input: the video file.
    ///   - output: the token pack to write (atomically), or nil to only report.
    /// - Throws: `VideoError`, `PipelineError`, `ReductionError` or a token pack error; on any
    ///   error nothing is left at `output`.
    public func run(input: String, output: String?) throws -> RunResult {
        let wallStart = Stopwatch.now()
        let reader = try VideoReader(path: input)
        let info = reader.info
        let plan = try reader.plan(pipeline.sampling)
        guard !plan.isEmpty else {
            throw PipelineError("no frames sampled from '\(input)' — widen --start/--end or raise --fps/--frames")
        }
        let reducers = try pipeline.makeReducers()
        let patchifier = Patchifier(patchSize: ResolvedPipeline.patchSize)
        let size = pipeline.resize.outputSize(forSource: FrameSize(width: info.width, height: info.height))
        let grid = patchifier.grid(width: size.width, height: size.height)

        let encoder = try pipeline.encoder.map { try $0.load() }
        let tokenWidth = encoder?.featureWidth ?? patchifier.dimension
        let writer = try output.map {
            try TokenPackWriter(path: $0, dtype: pipeline.dtype, dimension: tokenWidth)
        }
        writer?.summaryWidth = encoder?.summaryWidth
        writer?.writesGazeTensors = writesGazeTensors
        var completed = false
        defer { if !completed { writer?.abort() } }

        let meter = measuresFidelity ? FidelityMeter() : nil
        let picture = picturePath.map { _ in ReportPicture(frameCount: plan.count) }
        var frameTokens: [Int] = []
        var frameRecords: [FrameRecord] = []
        var scaleTokens: [Int] = []
        var outputCellSizes = [ResolvedPipeline.patchSize]
        var writeTime = 0.0
        var fidelityTime = 0.0
        var encodeTime = 0.0
        var encodedTokens = 0
        var flops = EncoderFLOPs()
        let chain = StageChain(reducers: reducers) { clip in
            var t0 = Stopwatch.now()
            if let encoder {
                let encoded = try encoder.encodeClip(clip)
                encodeTime += Stopwatch.seconds(since: t0)
                flops.add(clip, encoder: encoder)
                encodedTokens += encoded.tokens.count
                t0 = Stopwatch.now()
                try writer?.append(encoded.tokens, summary: encoded.summary ?? [])
            } else {
                try writer?.append(clip)
            }
            writeTime += Stopwatch.seconds(since: t0)
            t0 = Stopwatch.now()
            try meter?.recordKept(clip)
            fidelityTime += Stopwatch.seconds(since: t0)
            picture?.record(kept: clip)
            frameTokens.append(contentsOf: clip.tokensPerFrame)
            let perScale = clip.tokensPerScale
            if scaleTokens.count < perScale.count { scaleTokens += Array(repeating: 0, count: perScale.count - scaleTokens.count) }
            for (i, n) in perScale.enumerated() { scaleTokens[i] += n }
            outputCellSizes = clip.cellSizes
            frameRecords.append(contentsOf: clip.frames)
        }

        let progress = showsProgress ? ProgressMeter(total: plan.count, label: "vtok") : nil
        let feeder = ClipFeeder(clipFrames: pipeline.clipFrames, patchifier: patchifier) { clip in
            let t0 = Stopwatch.now()
            try meter?.recordOriginal(clip)
            fidelityTime += Stopwatch.seconds(since: t0)
            try chain.process(clip)
        }
        var callbackTime = 0.0
        var delivered = 0
        let readStart = Stopwatch.now()
        let stats = try reader.read(plan, resize: pipeline.resize) { frame in
            let t0 = Stopwatch.now()
            picture?.record(frame: frame)
            try feeder.add(frame)
            delivered += 1
            progress?.update(delivered)
            callbackTime += Stopwatch.seconds(since: t0)
        }
        let readTime = Stopwatch.seconds(since: readStart) - callbackTime
        try feeder.finish()
        try chain.finish()
        progress?.finish()
        let patchTime = feeder.patchSeconds

        guard delivered > 0 else {
            throw PipelineError("no frame of '\(input)' could be decoded — the video data is damaged")
        }

        let tokensIn = delivered * grid.rows * grid.columns
        let tokensOut = frameTokens.reduce(0, +)
        var stages = [
            StageReport(name: "read+resize", tokensIn: tokensIn, tokensOut: tokensIn, seconds: readTime),
            StageReport(name: "patchify", tokensIn: tokensIn, tokensOut: tokensIn, seconds: patchTime),
        ]
        stages.append(contentsOf: chain.reports)
        if let encoder = pipeline.encoder {
            stages.append(StageReport(name: encoder.name, tokensIn: tokensOut, tokensOut: tokensOut, seconds: encodeTime))
        }
        if meter != nil {
            stages.append(StageReport(name: "fidelity", tokensIn: tokensOut, tokensOut: tokensOut, seconds: fidelityTime))
        }

        func makeReport(writeSeconds: Double) -> Report {
            var all = stages
            if writer != nil {
                all.append(StageReport(name: "write", tokensIn: tokensOut, tokensOut: tokensOut, seconds: writeSeconds))
            }
            var report = Report(
                frames: delivered, framesPlanned: plan.count, framesDecoded: stats.framesDecoded,
                framesInVideo: info.frameCount, framesLost: stats.framesLost, corruptPackets: stats.corruptPackets,
                framesDamaged: stats.framesDamaged, framesMissing: info.missingFrames,
                tokensIn: tokensIn, tokensOut: tokensOut, stages: all, frameTokens: frameTokens,
                seconds: Stopwatch.seconds(since: wallStart), psnrDB: meter?.psnr, mse: meter?.meanSquaredError,
                tokenDimension: patchifier.dimension)
            report.scaleTokens = scaleTokens
            if outputCellSizes == GazeLayout.cellSizes, let layout = try? GazeLayout(width: size.width, height: size.height) {
                report.tokensAllScales = delivered * layout.tokensPerFrame
            }
            report.framePSNR = meter?.framePSNR.map { $0.isFinite ? $0 : nil } ?? []
            if let encoder {
                report.encoder = EncoderReport(
                    name: encoder.name, embedDim: encoder.featureWidth, tokensEncoded: tokensOut,
                    tokensProduced: encodedTokens, seconds: encodeTime, gflops: flops.sparse.map { $0 / 1e9 },
                    denseGFLOPs: flops.dense.map { $0 / 1e9 })
                report.tokenDimension = encoder.featureWidth
            }
            return report
        }

        var report = makeReport(writeSeconds: writeTime)
        if let writer {
            let t0 = Stopwatch.now()
            try writer.finish(
                frames: frameRecords,
                metadata: try TokenPackMetadata(pipeline: pipeline, source: info, report: report))
            report = makeReport(writeSeconds: writeTime + Stopwatch.seconds(since: t0))
        }
        if let picture, let picturePath { try picture.write(to: picturePath) }
        completed = true
        return RunResult(report: report, source: info, outputPath: output)
    }
}
