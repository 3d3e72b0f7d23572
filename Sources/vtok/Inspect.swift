import ArgumentParser
import Foundation
import Pipeline
import VideoIO

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a video: container, codec, size, frame rate, frames, keyframes.",
        discussion: "Example:\n  vtok inspect samples/bigbuckbunny.mp4 --json"
    )

    @Argument(help: "The video file.")
    var input: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let info = try VideoReader(path: input).info
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(info), as: UTF8.self))
        } else {
            print(SourceDescription.text(info))
        }
    }
}
