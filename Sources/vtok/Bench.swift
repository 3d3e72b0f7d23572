import ArgumentParser
import Encoders
import Foundation
import Pipeline

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure vtok's speed.",
        subcommands: [Read.self, Encoder.self, GSPN.self]
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
            abstract: "Time an encoder on every patch and on a subset, beside the BLAS peak (sgemm) in the same run.",
            discussion: """
                Example:
                  vtok bench encoder --weights ~/models/C-RADIOv4-H/ --size 512 --frames 8 --keep 0.25
                  vtok bench encoder --encoder gspn --weights gspn_t.safetensors --size 512,1024,2048 --frames 1
                scripts/bench-encoder.sh makes random checkpoints of the real shapes and runs it.
                """
        )

        @Option(help: "Encoder: c-radio or gspn.") var encoder = "c-radio"
        @Option(help: "Encoder checkpoint (folder or .safetensors).") var weights: String
        @Option(help: "Frame sides in pixels, comma-separated (e.g. 512,1024,2048).") var size = "512"
        @Option(help: "Frames per run.") var frames = 8
        @Option(help: "Fraction of patches the sparse run keeps.") var keep = 0.25
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let sides = size.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sides.isEmpty, sides.allSatisfy({ $0 > 0 && $0 % 16 == 0 }) else {
                throw ValidationError("--size \(size): give positive multiples of 16, e.g. 512,1024")
            }
            guard frames > 0 else { throw ValidationError("--frames must be at least 1") }
            guard keep > 0, keep <= 1 else { throw ValidationError("--keep must be in (0, 1]") }
            let loaded = try EncoderSpec(name: encoder, weights: (weights as NSString).expandingTildeInPath).load()
            var results: [EncoderBenchmark.Result] = []
            for side in sides {
                let r = try EncoderBenchmark(encoder: loaded).run(frames: frames, side: side, keep: keep)
                results.append(r)
                if json { continue }
                print(String(format: "%@ %dx%d, %d frame(s), features of width %d", r.encoder, r.side, r.side, r.frames, r.featureWidth))
                var dense = String(format: "  every patch   %.3f s, %.1f ms/frame", r.denseSeconds, 1000 * r.denseSeconds / Double(r.frames))
                if let gf = r.denseGFLOPS, let e = r.denseEfficiency {
                    dense += String(format: ", %.1f GFLOP/s = %.0f%% of sgemm (%.1f GFLOP/s, same run)", gf, 100 * e, r.sgemmGFLOPS)
                }
                print(dense)
                print(String(format: "  %.0f%% kept     %d tokens in %.3f s, %.2f× faster", 100 * keep, r.sparseTokens, r.sparseSeconds, r.sparseSpeedup))
                print(String(format: "  peak memory   %.0f MB", Double(r.peakMemory) / 1e6))
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(results), as: UTF8.self))
            }
        }
    }

    struct GSPN: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gspn",
            abstract: "GSPN scan throughput against memory bandwidth, and encoder time against resolution.",
            discussion: """
                Example:
                  vtok bench gspn --size 512,1024,2048 --weights gspn_t.safetensors
                Without --weights only the scan is measured (maps of the GSPN-T first stage at each size).
                """
        )

        @Option(help: "Frame sides in pixels, comma-separated.") var size = "512,1024,2048"
        @Option(help: "A GSPN checkpoint, to time the whole encoder too.") var weights: String?

        func run() throws {
            let sides = size.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sides.isEmpty, sides.allSatisfy({ $0 > 0 && $0 % 32 == 0 }) else {
                throw ValidationError("--size \(size): give positive multiples of 32, e.g. 512,1024")
            }
            for side in sides {
                // The first stage works on a side/4 grid with 4 directions × 96 channels (GSPN-T).
                let grid = side / 4
                let (scan, copy) = GSPNBenchmark.scanThroughput(maps: 4 * 96, height: grid, width: grid)
                print(String(format: "scan %4d px  %3d×%-3d grid, 384 maps: %.1f GB/s touched, copy %.1f GB/s (same run): %.0f%%",
                    side, grid, grid, scan, copy, 100 * scan / copy))
            }
            if let weights {
                let encoder = try EncoderSpec(name: "gspn", weights: (weights as NSString).expandingTildeInPath).load()
                for side in sides {
                    let r = try EncoderBenchmark(encoder: encoder).run(frames: 1, side: side, keep: 1)
                    print(String(format: "encoder %4d px  %.3f s per frame, peak memory %.0f MB", side, r.denseSeconds, Double(r.peakMemory) / 1e6))
                }
            }
        }
    }
}
