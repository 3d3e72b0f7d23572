import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct ReduceCommandTests {
    @Test func reducesARealSampleEndToEnd() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = try CLI.sample("bigbuckbunny.mp4")
        let pack = dir.appendingPathComponent("out.safetensors").path
        let json = dir.appendingPathComponent("report.json").path
        let png = dir.appendingPathComponent("report.png").path
        let result = try CLI.run([
            "reduce", video, "--fps", "2", "--size", "256", "--reduce", "evs:rate=0.7", "-o", pack,
            "--report-json", json, "--report-png", png,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("compression"))
        let report = try TestSupport.readJSON(URL(fileURLWithPath: json))
        for key in ["frames", "tokens_in", "tokens_out", "compression_ratio", "stages", "psnr_db"] {
            #expect(report[key] != nil, "report.json lacks \(key)")
        }
        // 132 frames at 25 fps is 5.28 s: floor(5.28 · 2) = 10 frames of 16 × 16 tokens.
        #expect(report["frames"] as? Int == 10)
        #expect(report["tokens_in"] as? Int == 2560)
        #expect(report["tokens_out"] as? Int == 768)
        let psnr = try #require(report["psnr_db"] as? Double)
        #expect(psnr > 20 && psnr < 80)
        let stages = try #require(report["stages"] as? [[String: Any]])
        #expect(stages.map { $0["name"] as? String } == ["read+resize", "patchify", "evs", "fidelity", "write"])

        let check = try TestSupport.runPython("tools/reference/check_token_pack.py", [pack, video, "256", "256"])
        #expect(check.stdout.hasPrefix("OK"))

        let shown = try CLI.run(["report", pack])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("evs:rate=0.7"))
        #expect(shown.stdout.contains("768"))

        let probe = try TestSupport.run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", png])
        #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "png")
    }

    @Test func inspectDescribesTheVideo() throws {
        let result = try CLI.run(["inspect", try CLI.sample("bikes.mp4")])
        #expect(result.status == 0)
        #expect(result.stdout.contains("640x272"))
        #expect(result.stdout.contains("250"))
        let json = try CLI.run(["inspect", try CLI.sample("bikes.mp4"), "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["frameCount"] as? Int == 250)
    }

    @Test func pipelineFileWithOverridingFlags() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pack = dir.appendingPathComponent("bikes.safetensors").path
        let json = dir.appendingPathComponent("r.json").path
        let result = try CLI.run([
            "reduce", try CLI.sample("bikes.mp4"), "--frames", "16", "--reduce", "evs:threshold=0.04",
            "--pipeline", TestSupport.repoRoot.appendingPathComponent("pipelines/evs.yaml").path,
            "--size", "320x128", "-o", pack, "--report-json", json, "--quiet",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let report = try TestSupport.readJSON(URL(fileURLWithPath: json))
        #expect(report["frames"] as? Int == 16)
        let stages = report["stages"] as? [[String: Any]] ?? []
        #expect(stages.contains { $0["name"] as? String == "evs" })
        let shown = try CLI.run(["report", pack])
        #expect(shown.stdout.contains("evs:threshold=0.04"))
        #expect(shown.stdout.contains("16 frames"))
    }

    @Test func staticLeftHalfIsPrunedAfterTheFirstFrame() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = dir.appendingPathComponent("half.mp4").path
        // Left half: one still gray box; right half: moving test pattern. Lossless so the
        // static half is bit-identical from frame to frame.
        try TestSupport.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=128x64:rate=10", "-t", "3",
            "-vf", "drawbox=x=0:y=0:w=64:h=64:color=gray:t=fill", "-c:v", "libx264", "-qp", "0", video,
        ])
        let pack = dir.appendingPathComponent("half.safetensors").path
        let result = try CLI.run([
            "reduce", video, "--frames", "12", "--size", "128x64", "--reduce", "evs:threshold=0.04", "-o", pack,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let check = try TestSupport.run(
            TestSupport.python,
            ["-c", """
            import sys, numpy as np
            from safetensors.numpy import load_file
            p = load_file(sys.argv[1])
            c = p['coords']
            left_later = int(((c[:, 0] > 0) & (c[:, 2] < 4)).sum())
            right_later = int(((c[:, 0] > 0) & (c[:, 2] >= 4)).sum())
            print(left_later, right_later, int((c[:, 0] == 0).sum()))
            """, pack])
        let numbers = check.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(numbers.count == 3, "\(check.stderr)")
        #expect(numbers.first == 0, "left-half patches kept after frame 0")
        #expect(numbers.count == 3 && numbers[1] > 0, "the moving half must keep patches")
        #expect(numbers.last == 32, "frame 0 is kept whole")
    }
}
