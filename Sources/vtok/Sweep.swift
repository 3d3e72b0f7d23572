import ArgumentParser
import Foundation
import Pipeline

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a reducer at several settings and chart tokens kept against fidelity (PSNR).",
        discussion: """
            Examples:
              vtok sweep drive.mp4 --reduce autogaze --psnr 24,27,30,33 --plot rd.png
              vtok sweep talk.mp4 --fps 1 --reduce evs:metric=l1 --rate 0.5,0.7,0.9 --json rd.json
            """
    )

    @Argument(help: "The video file.")
    var input: String

    @OptionGroup var options: PipelineOptions

    @Option(help: "PSNR targets in dB for the last reducer (autogaze), comma-separated.")
    var psnr: String?
    @Option(help: "L1 targets for the last reducer (autogaze), comma-separated.")
    var l1: String?
    @Option(help: "Rates for the last reducer (evs), comma-separated.")
    var rate: String?
    @Option(help: "Thresholds for the last reducer (evs, or autogaze with model=), comma-separated.")
    var threshold: String?

    @Option(help: "Write the curve as a PNG plot.")
    var plot: String?
    @Option(help: "Write the curve as JSON.")
    var json: String?

    func run() throws {
        let given = [("psnr", psnr), ("l1", l1), ("rate", rate), ("threshold", threshold)].compactMap { name, text in
            text.map { (name, $0) }
        }
        guard given.count == 1, let (option, text) = given.first else {
            throw ValidationError("give exactly one of --psnr, --l1, --rate or --threshold with comma-separated values")
        }
        let values = try text.split(separator: ",").map { item -> Double in
            guard let v = Double(item.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--\(option) \(text): '\(item)' is not a number")
            }
            return v
        }
        if let plot { try Destination.check(plot, flag: "--plot") }
        if let json { try Destination.check(json, flag: "--json") }
        var flags = try options.spec()
        if try flags.reducers.isEmpty && options.combined(with: flags).reducers.isEmpty {
            throw ValidationError("sweep needs --reduce (e.g. --reduce autogaze --psnr 24,27,30)")
        }
        // A reducer named without options gets the swept option's first value, so it resolves.
        flags.reducers = flags.reducers.map { $0.options.isEmpty ? $0.merged(with: .init(name: $0.name, options: [(option, String(values[0]))])) : $0 }
        let sweep = try RateDistortionSweep(
            pipeline: try options.combined(with: flags).resolved(), option: option, values: values)
        print("value      tokens kept      % kept    PSNR dB   seconds")
        let points = try sweep.run(input: input) { p in
            print(String(format: "%-9g  %11d  %9.2f%%  %9@  %8.2f", p.value, p.tokensOut, p.percentKept,
                p.psnrDB.map { String(format: "%.2f", $0) } ?? "lossless", p.seconds))
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try ReportFile.write(data: try encoder.encode(points), to: json)
        }
        if let plot {
            let name = URL(fileURLWithPath: input).lastPathComponent
            let reducer = sweep.pipeline.reducers.last?.split(separator: ":").first.map(String.init) ?? ""
            try RateDistortionSweep.plot(points, title: "\(name): \(reducer) over \(option) = \(text)").write(to: plot)
            print("wrote \(plot)")
        }
    }
}
