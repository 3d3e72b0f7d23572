import Foundation
import Pipeline
import TestSupport
import Testing

@Suite(.serialized) struct AutoGazeCommandTests {
    @Test func reducesARealSampleWithGazeTensors() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pack = dir.appendingPathComponent("gaze.safetensors").path
        let json = dir.appendingPathComponent("r.json").path
        let result = try CLI.run([
            "reduce", try CLI.sample("carphone_pristine.mp4"), "--frames", "8", "--size", "224",
            "--reduce", "autogaze:psnr=30", "--gaze-tensors", "-o", pack, "--report-json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("multi-scale"))
        let report = try TestSupport.readJSON(URL(fileURLWithPath: json))
        #expect(report["tokens_all_scales"] as? Int == 8 * 265)
        let framePSNR = try #require(report["frame_psnr_db"] as? [Double])
        #expect(framePSNR.count == 8)
        #expect(framePSNR.allSatisfy { $0 >= 30 - 1e-6 })
        let check = try TestSupport.run(
            TestSupport.python,
            ["-c", """
            import sys, numpy as np
            from safetensors.numpy import load_file
            p = load_file(sys.argv[1])
            pos, pad, n, c = p['gazing_pos'], p['if_padded_gazing'], p['num_gazing_each_frame'], p['coords']
            assert pos.shape == (1, c.shape[0]) and pad.shape == pos.shape and not pad.any()
            assert int(n.sum()) == c.shape[0] and n.shape == (8,)
            t = pos[0] // 265
            assert np.array_equal(np.bincount(t, minlength=8), n)
            assert set(np.unique(c[:, 3])) <= {0, 1, 2, 3}
            print('OK')
            """, pack])
        #expect(check.stdout.hasPrefix("OK"), "\(check.stderr)")
        let read = try TokenPack(contentsOf: pack)
        #expect(read.tokens.cellSizes == [16, 32, 56, 112])
        #expect(read.tokens.count == read.report.tokensOut)
    }

    @Test func sweepWritesCurveAndPlot() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let png = dir.appendingPathComponent("rd.png").path
        let json = dir.appendingPathComponent("rd.json").path
        let result = try CLI.run([
            "sweep", try CLI.sample("bikes.mp4"), "--frames", "4", "--size", "224", "--reduce", "autogaze",
            "--psnr", "24,30", "--plot", png, "--json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let points = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]]
        #expect(points?.count == 2)
        let kept = points?.compactMap { $0["tokens_out"] as? Int } ?? []
        #expect(kept.count == 2 && kept[0] < kept[1], "a higher PSNR target needs more tokens")
        let probe = try TestSupport.run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", png])
        #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "png")
    }

    @Test func autogazeNeedsAMultipleOf224() throws {
        let result = try CLI.run(["reduce", try CLI.sample("bikes.mp4"), "--size", "256", "--reduce", "autogaze:psnr=30"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("multiple of 224"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func evsThenAutogazeAttributesEachStage() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("r.json").path
        let result = try CLI.run([
            "reduce", try CLI.sample("bikes.mp4"), "--frames", "6", "--size", "224", "--reduce", "evs:threshold=0.02",
            "--reduce", "autogaze:psnr=28", "-o", dir.appendingPathComponent("p.safetensors").path, "--report-json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let stages = try #require(try TestSupport.readJSON(URL(fileURLWithPath: json))["stages"] as? [[String: Any]])
        let evs = try #require(stages.first { $0["name"] as? String == "evs" })
        let gaze = try #require(stages.first { $0["name"] as? String == "autogaze" })
        #expect(gaze["tokens_in"] as? Int == evs["tokens_out"] as? Int)
        #expect((gaze["tokens_out"] as? Int ?? 0) > 0)
    }
}

@Suite(.serialized) struct GazeModelCommandTests {
    @Test func runsTheGazeModelFromAFolder() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("AutoGaze")
        try TestSupport.runPython("tools/reference/autogaze_model_reference.py", ["make-weights", weights.path, "3"])
        let json = dir.appendingPathComponent("r.json").path
        let result = try CLI.run([
            "reduce", try CLI.sample("bikes.mp4"), "--frames", "4", "--size", "224",
            "--reduce", "autogaze:model=\(weights.path),max-ratio=0.05", "--gaze-tensors",
            "-o", dir.appendingPathComponent("m.safetensors").path, "--report-json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try TestSupport.readJSON(URL(fileURLWithPath: json))
        let perFrame = try #require(report["frame_tokens"] as? [Int])
        #expect(perFrame.count == 4)
        #expect(perFrame.allSatisfy { $0 >= 1 && $0 <= 13 }, "cap floor(0.05 · 265) = 13, at least one")
    }

    @Test func badModelFolderIsOneClearLine() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("m.safetensors").path
        let result = try CLI.run([
            "reduce", try CLI.sample("bikes.mp4"), "--size", "224", "--reduce", "autogaze:model=\(dir.path)/missing", "-o", out,
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("missing"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
