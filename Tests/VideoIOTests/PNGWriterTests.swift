import Foundation
import Testing

@testable import VideoIO

@Suite("PNGWriter")
struct PNGWriterTests {
    private func gradient(width: Int, height: Int) -> [UInt8] {
        var rgb: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                rgb += [UInt8(x * 255 / max(1, width - 1)), UInt8(y * 255 / max(1, height - 1)), UInt8((x + y) % 256)]
            }
        }
        return rgb
    }

    @Test("writes a PNG that ffprobe identifies, with the exact pixels")
    func roundTrip() throws {
        let clips = try TestClips.get()
        let path = "\(clips.folder)/picture.png"
        let rgb = gradient(width: 41, height: 29)
        try PNGWriter.write(rgb: rgb, width: 41, height: 29, to: path)

        let probe = try ExternalTool.run(
            "ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", path])
        #expect(String(decoding: probe, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "png,41,29")
        let decoded = try ExternalTool.ffmpeg(["-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        #expect([UInt8](decoded) == rgb)

        let leftovers = try FileManager.default.contentsOfDirectory(atPath: clips.folder)
            .filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("replaces an existing file")
    func replaces() throws {
        let clips = try TestClips.get()
        let path = "\(clips.folder)/replaced.png"
        try PNGWriter.write(rgb: gradient(width: 8, height: 8), width: 8, height: 8, to: path)
        try PNGWriter.write(rgb: gradient(width: 4, height: 2), width: 4, height: 2, to: path)
        let decoded = try ExternalTool.ffmpeg(["-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        #expect([UInt8](decoded) == gradient(width: 4, height: 2))
    }

    @Test("bad sizes and unwritable folders fail with one line and leave nothing behind")
    func failures() throws {
        let clips = try TestClips.get()
        let mismatch = try #require(throws: VideoError.self) {
            try PNGWriter.write(rgb: [1, 2, 3], width: 2, height: 1, to: "\(clips.folder)/x.png")
        }
        #expect(mismatch.kind == .writeFailed)

        let folder = "\(clips.folder)/no-such-folder"
        let unwritable = try #require(throws: VideoError.self) {
            try PNGWriter.write(rgb: gradient(width: 2, height: 2), width: 2, height: 2, to: "\(folder)/x.png")
        }
        #expect(unwritable.kind == .writeFailed)
        #expect(unwritable.path == "\(folder)/x.png")
        #expect(!unwritable.description.contains("\n"))
        #expect(!FileManager.default.fileExists(atPath: folder))
    }
}
