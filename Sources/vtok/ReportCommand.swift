import ArgumentParser
import Foundation
import Pipeline

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the compression report stored in a token pack.",
        discussion: "Example:\n  vtok report out.safetensors"
    )

    @Argument(help: "A token pack written by vtok reduce.")
    var pack: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let contents = try TokenPack(contentsOf: pack)
        if json {
            print(String(decoding: try contents.report.jsonData(), as: UTF8.self))
        } else {
            print(SourceDescription.text(contents.source))
            print("pipeline      " + contents.pipelineSummary)
            print("")
            print(contents.report.table())
        }
    }
}
