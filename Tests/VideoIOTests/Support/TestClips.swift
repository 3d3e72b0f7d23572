import Foundation

/// Small test clips, generated once per test run with the ffmpeg command-line tool into a
/// temporary folder.
struct TestClips: Sendable {
    /// The folder holding the clips.
    let folder: String

    /// 100 frames, 64×48, 25 fps, H.264 with 3 B-frames (pyramid), a keyframe every 25 frames.
    var constantRate: String { "\(folder)/cfr.mp4" }
    /// The same as `constantRate` in Matroska.
    var constantRateMatroska: String { "\(folder)/cfr.mkv" }
    /// 50 frames, H.264, 40 ms apart up to frame 20 and 60 ms apart after a jump.
    var variableRate: String { "\(folder)/vfr.mp4" }
    /// 75 frames, MPEG-4 part 2 with B-frames, in Matroska.
    var mpeg4: String { "\(folder)/mpeg4.mkv" }
    /// 100 frames, H.264 with open GOPs (leading B-frames reference the previous GOP).
    var openGOP: String { "\(folder)/opengop.mkv" }
    /// 100 frames of H.264 with B-frames as a raw elementary stream: no timestamps at all.
    var rawStream: String { "\(folder)/raw.h264" }
    /// Audio only.
    var audioOnly: String { "\(folder)/audio.m4a" }
    /// A text file.
    var text: String { "\(folder)/notes.txt" }
    /// A path with no file.
    var missing: String { "\(folder)/missing.mp4" }
    /// `constantRate` with a stretch of its frame data overwritten with garbage.
    var corrupted: String { "\(folder)/corrupt.mp4" }
    /// `constantRateMatroska` cut off after 60 % of its bytes.
    var truncated: String { "\(folder)/truncated.mkv" }

    /// The clips, generated on first use.
    static let shared: Result<TestClips, any Error> = Result { try TestClips.generate() }

    /// The clips, or the reason they could not be made.
    static func get() throws -> TestClips { try shared.get() }

    /// Where this test process keeps its clips.
    private static var folderPath: String {
        NSTemporaryDirectory() + "vtok-videoio-tests-\(ProcessInfo.processInfo.processIdentifier)"
    }

    private static func generate() throws -> TestClips {
        let folder = folderPath
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestClips.folderPath) }
        let clips = TestClips(folder: folder)
        let source = ["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25"]
        let x264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-threads", "1"]
        let closedGOP = "keyint=25:min-keyint=25:scenecut=0:bframes=3:b-adapt=0:b-pyramid=normal"

        try ExternalTool.ffmpeg(source + ["-t", "4"] + x264 + ["-x264-params", closedGOP, clips.constantRate])
        try ExternalTool.ffmpeg(source + ["-t", "4"] + x264 + ["-x264-params", closedGOP, clips.constantRateMatroska])
        try ExternalTool.ffmpeg(
            [
                "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=2",
                "-vf", "setpts='N/(25*TB)+if(gt(N,20),N*0.02/TB,0)'", "-fps_mode", "vfr",
            ] + x264 + ["-x264-params", closedGOP, clips.variableRate])
        try ExternalTool.ffmpeg(source + ["-t", "3", "-c:v", "mpeg4", "-bf", "2", "-g", "12", "-q:v", "4", clips.mpeg4])
        try ExternalTool.ffmpeg(
            source + ["-t", "4"] + x264 + [
                "-x264-params", "keyint=20:min-keyint=20:scenecut=0:bframes=3:b-adapt=0:open-gop=1", clips.openGOP,
            ])
        try ExternalTool.ffmpeg(
            source + ["-t", "4"] + x264 + ["-x264-params", closedGOP, "-f", "h264", clips.rawStream])
        try ExternalTool.ffmpeg(
            ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-c:a", "aac", clips.audioOnly])
        try Data("these are notes, not a video\n".utf8).write(to: URL(fileURLWithPath: clips.text))

        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: clips.constantRate)))
        var state: UInt32 = 12345
        for i in (bytes.count * 3 / 10)..<(bytes.count * 45 / 100) {
            state = state &* 1_664_525 &+ 1_013_904_223
            bytes[i] = UInt8(truncatingIfNeeded: state >> 24)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: clips.corrupted))

        let matroska = try Data(contentsOf: URL(fileURLWithPath: clips.constantRateMatroska))
        try matroska.prefix(matroska.count * 6 / 10).write(to: URL(fileURLWithPath: clips.truncated))
        return clips
    }
}
