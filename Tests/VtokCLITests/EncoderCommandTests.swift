import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct EncoderCommandTests {
    @Test func infoDescribesACheckpoint() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("radio").path
        try TestSupport.runPython(
            "tools/reference/radio_reference.py",
            ["make-checkpoint", checkpoint, "--embed", "64", "--depth", "2", "--heads", "4", "--mlp", "128", "--prefix", "4",
             "--num-cls", "2", "--layerscale", "--dtype", "bf16"])
        let result = try CLI.run(["encoder", "info", checkpoint])
        #expect(result.status == 0, "\(result.stderr)")
        for fragment in ["D 64, depth 2, heads 4", "MLP 128", "4 tokens, 2 summary", "BF16", "align_corners false", "grandma"] {
            #expect(result.stdout.contains(fragment), "missing '\(fragment)' in:\n\(result.stdout)")
        }

        let pack = dir.appendingPathComponent("p.safetensors").path
        let reduce = try CLI.run([
            "reduce", try CLI.sample("bikes.mp4"), "--frames", "2", "--size", "128", "--reduce", "evs:rate=0.5",
            "--encoder", "c-radio", "--weights", checkpoint, "-o", pack, "--no-fidelity",
        ])
        #expect(reduce.status == 0, "\(reduce.stderr)")
        #expect(reduce.stdout.contains("encoder       c-radio"))
        let shown = try CLI.run(["report", pack, "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        let encoder = report?["encoder"] as? [String: Any]
        #expect(encoder?["embed_dim"] as? Int == 64)
        #expect(encoder?["tokens_encoded"] as? Int == report?["tokens_out"] as? Int)
    }

    @Test("bad encoder input gives one clear line and no output", arguments: [
        (["--encoder", "c-radio"], "needs --weights"),
        (["--encoder", "vit-magic", "--weights", "x"], "unknown encoder"),
        (["--weights", "x"], "needs --encoder"),
        (["--encoder", "c-radio", "--weights", "/nonexistent/radio"], "/nonexistent/radio"),
    ])
    func badEncoderInput(_ arguments: [String], _ fragment: String) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("o.safetensors").path
        let result = try CLI.run(["reduce", try CLI.sample("bikes.mp4"), "--frames", "2", "-o", out] + arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(fragment), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func notSafetensorsIsOneLine() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fake = dir.appendingPathComponent("model.safetensors").path
        try "not a checkpoint".write(toFile: fake, atomically: true, encoding: .utf8)
        let result = try CLI.run(["encoder", "info", fake])
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
}
