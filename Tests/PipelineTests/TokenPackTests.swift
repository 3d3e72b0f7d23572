import Foundation
import Pipeline
import Reduction
import TensorCore
import TestSupport
import Testing

@Suite struct TokenPackTests {
    /// A small clip with B-frames: testsrc2 128x96, 25 fps, 3 s.
    static func clip(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("clip.mp4").path
        try TestSupport.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=128x96:rate=25", "-t", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p", path,
        ])
        return path
    }

    func run(_ yaml: String, dtype: String, in dir: URL, video: String) throws -> (RunResult, String) {
        var spec = try PipelineSpec(yaml: yaml)
        spec.dtype = dtype
        let runner = PipelineRunner(pipeline: try spec.resolved())
        runner.showsProgress = false
        let out = dir.appendingPathComponent("pack-\(dtype).safetensors").path
        return (try runner.run(input: video, output: out), out)
    }

    @Test(arguments: ["f32", "f16", "bf16"])
    func roundTripInSwiftAndPython(dtype: String) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = try Self.clip(in: dir)
        let yaml = "sampling: {frames: 12}\nresize: {size: 64x48}\nreduce: [evs:rate=0.5]\n"
        let (result, path) = try run(yaml, dtype: dtype, in: dir, video: video)
        #expect(result.report.frames == 12)
        #expect(result.report.tokensIn == 12 * 12)
        #expect(result.report.tokensOut == EVSOptions.retainedCount(total: 144, tokensPerFrame: 12, rate: 0.5))

        let pack = try TokenPack(contentsOf: path)
        #expect(pack.tokens.count == result.report.tokensOut)
        #expect(pack.frameTokens == result.report.frameTokens)
        #expect(pack.report.tokensOut == result.report.tokensOut)
        #expect(pack.tokens.frames.map(\.sourceIndex) == (0..<12).map { Int((Double($0) * 74 / 11).rounded(.down)) })
        #expect(pack.source.frameCount == 75)
        #expect(pack.dtype == (try DType(option: dtype)))
        #expect(pack.tokens.cellSizes == [16])
        #expect(pack.metadata.entries["cell_sizes"] == "[16]")

        let check = try TestSupport.runPython(
            "tools/reference/check_token_pack.py", [path, video, "64", "48", dtype == "f32" ? "0.01" : "0.02"])
        #expect(check.stdout.hasPrefix("OK"), "\(check.stdout)")

        // Nothing but the pack is left in the folder: no spool, no temporary file.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(left == ["clip.mp4", "pack-\(dtype).safetensors"])
    }

    @Test func failedRunLeavesNothing() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = try Self.clip(in: dir)
        // The range starts after the end of the video: nothing is sampled.
        #expect(throws: (any Error).self) {
            _ = try run("sampling: {fps: 2, start: 10}\n", dtype: "f32", in: dir, video: video)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["clip.mp4"])
    }
}
