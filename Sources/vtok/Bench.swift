import ArgumentParser
import Foundation
import Pipeline

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure vtok's speed.",
        subcommands: [Read.self, Encoder.self]
    )

    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time reading+resizing the sampled frames, and with the reducers added.",
            discussion: """
                Example:
                  vtok bench read clip.mp4 --fps 2 --size 512 --reduce evs:rate=0.7 --repeat 3
                scripts/bench-read.sh runs it beside the ffmpeg command-line tool on a generated clip.
                """
        )

        @Argument(help: "The video file.")
        var input: String
        @OptionGroup var options: PipelineOptions
        @Option(name: .customLong("repeat"), help: "Runs of each measurement (the median is reported).") var repeats = 3
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let spec = try options.spec()
            let result = try ReadBenchmark(pipeline: try spec.resolved()).run(input: input, repeats: repeats)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
                return
            }
            print(String(format: "read+resize   %.3f s  (%d frames, %d decoded, %.1f frames/s)",
                result.readSeconds, result.frames, result.framesDecoded, Double(result.frames) / result.readSeconds))
            if let reduce = result.reduceSeconds {
                print(String(format: "with reducers %.3f s  (+%.1f%%)", reduce, 100 * (reduce / result.readSeconds - 1)))
            }
        }
    }

    struct Encoder: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time a C-RADIO encoder dense and sparse beside the BLAS peak (sgemm) in the same run.",
            discussion: """
                Example:
                  vtok bench encoder --weights ~/models/C-RADIOv4-H/ --size 512 --frames 8 --keep 0.25
                scripts/bench-encoder.sh makes random checkpoints of the ViT-B and ViT-H shapes and runs it.
                """
        )

        @Option(help: "Encoder checkpoint (folder or .safetensors).") var weights: String
        @Option(help: "Frame side in pixels.") var size = 512
        @Option(help: "Frames per run.") var frames = 8
        @Option(help: "Fraction of patches the sparse run keeps.") var keep = 0.25
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            guard size > 0, size % 16 == 0 else { throw ValidationError("--size \(size) must be a positive multiple of 16") }
            guard frames > 0 else { throw ValidationError("--frames must be at least 1") }
            guard keep > 0, keep <= 1 else { throw ValidationError("--keep must be in (0, 1]") }
            let encoder = try EncoderSpec(name: "c-radio", weights: (weights as NSString).expandingTildeInPath).load()
            let r = try EncoderBenchmark(encoder: encoder).run(frames: frames, side: size, keep: keep)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(r), as: UTF8.self))
                return
            }
            print(String(format: "model         D %d, depth %d; %d frame(s) of %dx%d", r.embedDim, r.depth, r.frames, r.side, r.side))
            print(String(format: "sgemm         %.1f GFLOP/s (2048² product, same run)", r.sgemmGFLOPS))
            print(String(format: "dense         %.3f s, %.1f ms/frame, %.1f GFLOP/s = %.0f%% of sgemm",
                r.denseSeconds, 1000 * r.denseSeconds / Double(r.frames), r.denseGFLOPS, 100 * r.denseEfficiency))
            print(String(format: "sparse        %d tokens (%.0f%%) in %.3f s, %.2f× faster than dense",
                r.sparseTokens, 100 * Double(r.sparseTokens) / Double(r.frames * (r.side / 16) * (r.side / 16)),
                r.sparseSeconds, r.sparseSpeedup))
            print(String(format: "peak memory   %.0f MB", Double(r.peakMemory) / 1e6))
        }
    }
}
