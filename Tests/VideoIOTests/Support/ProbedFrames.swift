import Foundation

/// Each frame of a clip's first video stream as ffprobe reports it (decoding every frame).
struct ProbedFrames {
    /// Presentation times in seconds, relative to the first frame.
    var times: [Double]
    /// Whether each frame is a keyframe.
    var isKeyframe: [Bool]
    /// The first frame's presentation time in seconds, as stored.
    var firstTime: Double

    var count: Int { times.count }
    var keyframeIndices: [Int] { isKeyframe.indices.filter { isKeyframe[$0] } }

    init(path: String) throws {
        let output = try ExternalTool.run(
            "ffprobe",
            [
                "-v", "error", "-select_streams", "v:0", "-show_frames", "-show_entries",
                "frame=pts_time,key_frame", "-of", "json", path,
            ])
        struct Report: Decodable {
            struct Frame: Decodable {
                var key_frame: Int
                var pts_time: String
            }
            var frames: [Frame]
        }
        let frames = try JSONDecoder().decode(Report.self, from: output).frames
        let absolute = frames.map { Double($0.pts_time) ?? .nan }
        let first = absolute.first ?? 0
        firstTime = first
        times = absolute.map { $0 - first }
        isKeyframe = frames.map { $0.key_frame == 1 }
    }
}
