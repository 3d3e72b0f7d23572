import Foundation
import Testing

@testable import VideoIO

@Suite("VideoError: one line that says what is wrong")
struct VideoErrorTests {
    private func openingError(_ path: String) throws -> VideoError {
        try #require(throws: VideoError.self) { _ = try VideoReader(path: path) }
    }

    @Test("a missing file")
    func missingFile() throws {
        let clips = try TestClips.get()
        let error = try openingError(clips.missing)
        #expect(error.kind == .cannotOpen)
        #expect(error.path == clips.missing)
        #expect(error.description == "cannot open '\(clips.missing)': no such file — check the path")
    }

    @Test("a text file")
    func textFile() throws {
        let clips = try TestClips.get()
        let error = try openingError(clips.text)
        #expect(error.kind == .notMedia)
        #expect(error.description.hasPrefix("'\(clips.text)' is not a media file FFmpeg can read ("))
        #expect(!error.description.contains("\n"))
    }

    @Test("an audio-only file")
    func audioOnly() throws {
        let clips = try TestClips.get()
        let error = try openingError(clips.audioOnly)
        #expect(error.kind == .noVideoStream)
        #expect(error.description == "'\(clips.audioOnly)' has no video stream")
    }

    @Test("a directory")
    func directory() throws {
        let clips = try TestClips.get()
        let error = try openingError(clips.folder)
        #expect(error.kind == .cannotOpen || error.kind == .notMedia)
        #expect(!error.description.contains("\n"))
    }

    @Test("line breaks never reach the description")
    func oneLine() {
        let error = VideoError(.writeFailed, path: "a", description: "first\nsecond\r\nthird")
        #expect(error.description == "first second third")
        #expect("\(error)" == error.description)
    }
}
