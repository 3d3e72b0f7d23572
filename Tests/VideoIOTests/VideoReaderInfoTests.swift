import Foundation
import Testing

@testable import VideoIO

@Suite("VideoReader: what the scan learns")
struct VideoReaderInfoTests {
    @Test("constant-rate H.264 clip: size, count, duration, keyframes")
    func constantRateInfo() throws {
        let clips = try TestClips.get()
        let info = try VideoReader(path: clips.constantRate).info
        #expect(info.codec == "h264")
        #expect(info.container.contains("mp4"))
        #expect(info.width == 64 && info.height == 48)
        #expect(info.frameCount == 100)
        #expect(info.keyframeCount == 4)
        #expect(abs(info.duration - 4.0) < 1e-9)
        #expect(abs(info.frameRate - 25) < 1e-9)
        #expect(info.pixelFormat == "yuv420p")
        #expect(!info.isVariableFrameRate)
    }

    @Test("variable-rate clip is detected and its duration is exact")
    func variableRateInfo() throws {
        let clips = try TestClips.get()
        let reader = try VideoReader(path: clips.variableRate)
        #expect(reader.info.isVariableFrameRate)
        #expect(reader.info.frameCount == 50)
        // Duration = end of the last frame (its pts plus its packet's duration) − first pts.
        let packets = try ExternalTool.run(
            "ffprobe",
            [
                "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time",
                "-of", "csv=p=0", clips.variableRate,
            ])
        let ends = String(decoding: packets, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",").compactMap { Double($0) }
            return fields.count == 2 ? fields[0] + fields[1] : nil
        }
        let expected = try #require(ends.max()) - (try ProbedFrames(path: clips.variableRate).firstTime)
        #expect(abs(reader.info.duration - expected) < 1e-6)
        #expect(reader.info.duration > 2.5)
    }

    @Test(
        "every frame's pts and keyframe flag match ffprobe",
        arguments: ["cfr.mp4", "cfr.mkv", "vfr.mp4", "mpeg4.mkv", "opengop.mkv"])
    func timesMatchFFprobe(clip: String) throws {
        let clips = try TestClips.get()
        let path = "\(clips.folder)/\(clip)"
        let probed = try ProbedFrames(path: path)
        let reader = try VideoReader(path: path)
        #expect(reader.info.frameCount == probed.count)
        let times = reader.presentationTimes()
        #expect(times.count == probed.count)
        for (ours, theirs) in zip(times, probed.times) {
            #expect(abs(ours - theirs) < 1e-5)
        }
        #expect(reader.keyframeIndices() == probed.keyframeIndices)
        #expect(reader.info.keyframeCount == probed.keyframeIndices.count)
    }

    @Test("mpeg4 in Matroska is read with its own codec")
    func otherCodec() throws {
        let clips = try TestClips.get()
        let info = try VideoReader(path: clips.mpeg4).info
        #expect(info.codec == "mpeg4")
        #expect(info.container.contains("matroska"))
        #expect(info.frameCount == 75)
    }
}
