import ArgumentParser
import Foundation
import Pipeline

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure vtok's speed.",
        subcommands: [Read.self]
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
}
