import Foundation
@testable import Reduction
import TestSupport
import Testing

/// The AutoGaze gaze model against the independent NumPy reference
/// (tools/reference/autogaze_model_reference.py), on random weights made by that script.
@Suite struct GazeModelTests {
    static let script = "tools/reference/autogaze_model_reference.py"
    static let frameCount = 4
    static let side = 224

    /// Random weights (seed 7) and 4 random frames, made once for the whole suite.
    struct Fixture: Sendable {
        var directory: URL
        var weights: URL { directory.appendingPathComponent("weights") }
        var framesFile: URL { directory.appendingPathComponent("frames.npy") }
        var frames: [[Float]]
    }

    static let fixture: Result<Fixture, TestFailure> = {
        do {
            let directory = try TestSupport.temporaryDirectory("vtok-gaze-model")
            fixtureDirectory = directory.path
            atexit {
                if let path = fixtureDirectory { try? FileManager.default.removeItem(atPath: path) }
            }
            var generator = SplitMix64(seed: 0x6A2E)
            let plane = 3 * side * side
            let frames = (0..<frameCount).map { _ in (0..<plane).map { _ in generator.nextUnit() } }
            let fixture = Fixture(directory: directory, frames: frames)
            try TestSupport.writeNPY(frames.flatMap { $0 }, shape: [frameCount, 3, side, side], to: fixture.framesFile)
            try TestSupport.runPython(script, ["make-weights", fixture.weights.path, "7"])
            return .success(fixture)
        } catch {
            return .failure(TestFailure("cannot make the AutoGaze fixture: \(error)"))
        }
    }()

    static func load() throws -> (Fixture, GazeModel) {
        let fixture = try fixture.get()
        return (fixture, try GazeModel(path: fixture.weights.path))
    }

    /// Runs the reference `gaze` command and returns its per-frame records.
    static func reference(_ fixture: Fixture, threshold: Float?, maxRatio: Double) throws -> [[String: Any]] {
        let out = fixture.directory.appendingPathComponent("gaze-\(UUID().uuidString).json")
        let thresholdText = threshold.map { String(Double($0)) } ?? "none"
        try TestSupport.runPython(
            script, ["gaze", fixture.weights.path, fixture.framesFile.path, thresholdText, String(maxRatio), out.path])
        return try TestSupport.readJSON(out)["frames"] as! [[String: Any]]
    }

    /// Compares Swift results with reference records: ids and stop flags exactly, losses within 1e-3.
    /// Returns the largest loss difference.
    @discardableResult
    static func compare(_ actual: [GazeFrameResult], _ expected: [[String: Any]]) -> Float {
        #expect(actual.count == expected.count)
        var worst: Float = 0
        for (t, (a, e)) in zip(actual, expected).enumerated() {
            let ids = e["ids"] as! [Int]
            let losses = (e["predicted_losses"] as! [Double]).map(Float.init)
            #expect(a.ids == ids, "frame \(t) ids")
            #expect(a.stoppedByThreshold == (e["stopped_by_threshold"] as! Bool), "frame \(t) stop flag")
            #expect(a.predictedLosses.count == losses.count, "frame \(t) loss count")
            for (x, y) in zip(a.predictedLosses, losses) { worst = max(worst, abs(x - y)) }
        }
        #expect(worst <= 1e-3, "largest loss-prediction difference \(worst)")
        return worst
    }

    @Test func loadsTheReleasedLayout() throws {
        let (_, model) = try Self.load()
        #expect(model.configuration == GazeModelConfig.released)
        let counts = GazeModelWeights.expectedCounts(model.configuration)
        #expect(counts.tensors == 49)
        #expect(counts.parameters == 3_258_240)
        #expect(model.configuration.tokensPerScale == [4, 16, 49, 196])
        #expect(model.configuration.vocabSize == 266 && model.configuration.numMultiTokenPred == 10)
    }

    @Test func capArithmeticFollowsUpstream() {
        #expect(GazeModel.cap(maxRatio: 0.1, tokensPerFrame: 265) == 26)
        #expect(GazeModel.cap(maxRatio: 0.15, tokensPerFrame: 265) == 39)
        #expect(GazeModel.cap(maxRatio: 0.2, tokensPerFrame: 265) == 53)
        #expect(GazeModel.cap(maxRatio: 0.75, tokensPerFrame: 265) == 198)
        #expect(GazeModel.cap(maxRatio: 0, tokensPerFrame: 265) == 1)
        #expect(GazeModel.cap(maxRatio: 1, tokensPerFrame: 265) == 265)
        #expect(GazeModel.cap(maxRatio: 3, tokensPerFrame: 265) == 265)
    }

    @Test func visionTokensMatchReference() throws {
        let (fixture, model) = try Self.load()
        let out = fixture.directory.appendingPathComponent("vision.npy")
        try TestSupport.runPython(Self.script, ["encode", fixture.weights.path, fixture.framesFile.path, out.path])
        let expected = try readFloatNPY(out)
        let actual = try model.visionTokens(frames: fixture.frames).flatMap { $0 }
        #expect(actual.count == Self.frameCount * 196 * 192)
        #expect(expected.count == actual.count)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4, "largest vision-token difference \(worst)")
    }

    @Test func capOnlyMatchesReference() throws {
        let (fixture, model) = try Self.load()
        let expected = try Self.reference(fixture, threshold: nil, maxRatio: 0.1)
        let actual = try model.gaze(frames: fixture.frames, lossThreshold: nil, maxRatio: 0.1)
        Self.compare(actual, expected)
        for result in actual {
            #expect(result.ids.count == 26 && !result.stoppedByThreshold)
            #expect(Set(result.ids).count == result.ids.count, "no repeats within a frame")
            #expect(result.ids.allSatisfy { (0..<265).contains($0) })
        }
    }

    @Test func thresholdStopsMatchReference() throws {
        let (fixture, model) = try Self.load()
        let out = fixture.directory.appendingPathComponent("pick.json")
        try TestSupport.runPython(Self.script, ["pick-threshold", fixture.weights.path, fixture.framesFile.path, "0.15", out.path])
        let picked = try TestSupport.readJSON(out)
        let threshold = Float(picked["threshold"] as! Double)
        let kinds = Set(picked["kinds"] as! [String])
        // The threshold must exercise first-step stops, later-step stops, and a frame that either
        // reaches the cap or stops on its first step with more than one gaze.
        #expect(kinds.isSuperset(of: ["step1", "later"]), "stop kinds \(kinds)")
        #expect(kinds.contains("cap") || kinds.contains("step1-multi"), "stop kinds \(kinds)")
        // ... and a padded slot followed by a kept one (upstream pads only the slots that meet the
        // threshold), whose re-feed with the next frame must skip the pad's position.
        #expect(kinds.contains("kept-after-pad"), "stop kinds \(kinds)")
        let expected = (picked["result"] as! [String: Any])["frames"] as! [[String: Any]]
        let actual = try model.gaze(frames: fixture.frames, lossThreshold: threshold, maxRatio: 0.15)
        Self.compare(actual, expected)
        for result in actual where result.stoppedByThreshold {
            #expect(result.predictedLosses.last! <= threshold)
        }
    }

    @Test func everyFrameKeepsAtLeastOneGaze() throws {
        let (fixture, model) = try Self.load()
        let expected = try Self.reference(fixture, threshold: 1e9, maxRatio: 0.1)
        let actual = try model.gaze(frames: fixture.frames, lossThreshold: 1e9, maxRatio: 0.1)
        Self.compare(actual, expected)
        for result in actual {
            #expect(result.ids.count == 1 && result.stoppedByThreshold && result.predictedLosses.count == 2)
        }
    }

    @Test func safetensorsFileAloneUsesReleasedDefaults() throws {
        let (fixture, model) = try Self.load()
        let alone = try GazeModel(path: fixture.weights.appendingPathComponent("model.safetensors").path)
        #expect(alone.configuration == model.configuration)
        let frames = Array(fixture.frames.prefix(2))
        #expect(try alone.gaze(frames: frames, lossThreshold: nil, maxRatio: 0.05) == model.gaze(frames: frames, lossThreshold: nil, maxRatio: 0.05))
        #expect(try model.gaze(frames: [], lossThreshold: 0.5, maxRatio: 0.5).isEmpty)

        // A folder whose config.json lacks every field also falls back to the released defaults.
        let dir = try TestSupport.temporaryDirectory("vtok-gaze-defaults")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("{}".utf8).write(to: dir.appendingPathComponent("config.json"))
        try FileManager.default.createSymbolicLink(
            at: dir.appendingPathComponent("model.safetensors"),
            withDestinationURL: fixture.weights.appendingPathComponent("model.safetensors"))
        #expect(try GazeModel(path: dir.path).configuration == GazeModelConfig.released)
    }

    // MARK: - Errors

    static func loadError(_ path: String) -> GazeModelError? {
        do {
            _ = try GazeModel(path: path)
            return nil
        } catch let error as GazeModelError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    @Test func missingFolderIsReported() throws {
        let error = try #require(Self.loadError("/nonexistent/vtok/AutoGaze"))
        #expect(error.kind == .notFound)
        #expect(error.description.contains("/nonexistent/vtok/AutoGaze"))
        #expect(!error.description.contains("\n"))

        let empty = try TestSupport.temporaryDirectory("vtok-gaze-empty")
        defer { try? FileManager.default.removeItem(at: empty) }
        let noWeights = try #require(Self.loadError(empty.path))
        #expect(noWeights.kind == .notFound && noWeights.description.contains("model.safetensors"))
    }

    @Test func missingTensorIsNamed() throws {
        let dir = try TestSupport.temporaryDirectory("vtok-gaze-drop")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = "gazing_model.gaze_decoder.model.layers.2.mlp.up_proj.weight"
        try TestSupport.runPython(Self.script, ["make-weights", dir.path, "3", "--drop", key])
        let error = try #require(Self.loadError(dir.path))
        #expect(error.kind == .invalidWeights)
        #expect(error.description.contains(key) && error.description.contains("missing"))
        #expect(!error.description.contains("\n"))
    }

    @Test func wrongShapeIsNamed() throws {
        let dir = try TestSupport.temporaryDirectory("vtok-gaze-shape")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = "gazing_model.connector.pos_embed"
        try TestSupport.runPython(Self.script, ["make-weights", dir.path, "3", "--wrong-shape", key])
        let error = try #require(Self.loadError(dir.path))
        #expect(error.kind == .invalidWeights)
        #expect(error.description.contains(key) && error.description.contains("[196, 192]"))
    }

    @Test func truncatedWeightsAreReported() throws {
        let (fixture, _) = try Self.load()
        let dir = try TestSupport.temporaryDirectory("vtok-gaze-truncated")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Data(contentsOf: fixture.weights.appendingPathComponent("model.safetensors"))
        try data.prefix(data.count / 2).write(to: dir.appendingPathComponent("model.safetensors"))
        try FileManager.default.copyItem(
            at: fixture.weights.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        let error = try #require(Self.loadError(dir.path))
        #expect(error.kind == .invalidWeights)
        #expect(error.description.contains("model.safetensors"))
        #expect(!error.description.contains("\n"))
    }

    @Test func badConfigIsNamed() throws {
        let (fixture, _) = try Self.load()
        let source = try TestSupport.readJSON(fixture.weights.appendingPathComponent("config.json"))
        func check(_ edit: (inout [String: Any]) -> Void, mentions field: String) throws {
            let dir = try TestSupport.temporaryDirectory("vtok-gaze-config")
            defer { try? FileManager.default.removeItem(at: dir) }
            var json = source
            edit(&json)
            try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("config.json"))
            try FileManager.default.createSymbolicLink(
                at: dir.appendingPathComponent("model.safetensors"),
                withDestinationURL: fixture.weights.appendingPathComponent("model.safetensors"))
            let error = try #require(Self.loadError(dir.path))
            #expect(error.kind == .invalidConfig || error.kind == .invalidWeights, "\(error)")
            #expect(error.description.contains(field), "\(error)")
        }
        func editDecoder(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
            { json in
                var model = json["gaze_model_config"] as! [String: Any]
                var decoder = model["gaze_decoder_config"] as! [String: Any]
                decoder[key] = value
                model["gaze_decoder_config"] = decoder
                json["gaze_model_config"] = model
            }
        }
        try check(editDecoder("hidden_act", "gelu"), mentions: "hidden_act")
        try check(editDecoder("hidden_size", "wide"), mentions: "gaze_decoder_config.hidden_size")
        try check(editDecoder("num_hidden_layers", 5), mentions: "layers.4")
        try check({ $0["scales"] = "32+x" }, mentions: "scales")
    }

    @Test func badInputIsReported() throws {
        let (fixture, model) = try Self.load()
        #expect(throws: GazeModelError.self) { try model.gaze(frames: [[0.5]], lossThreshold: nil, maxRatio: 0.1) }
        #expect(throws: GazeModelError.self) { try model.gaze(frames: fixture.frames, lossThreshold: nil, maxRatio: -1) }
        #expect(throws: GazeModelError.self) { try model.gaze(frames: fixture.frames, lossThreshold: .nan, maxRatio: 0.1) }
        var bad = fixture.frames[0]
        bad[7] = .nan
        #expect(throws: GazeModelError.self) { try model.gaze(frames: [bad], lossThreshold: nil, maxRatio: 0.1) }
    }
}

/// The shared fixture's folder, removed when the test process exits.
private nonisolated(unsafe) var fixtureDirectory: String?

/// Reads a little-endian float32 `.npy` file (any shape) as a flat array.
private func readFloatNPY(_ url: URL) throws -> [Float] {
    let data = try Data(contentsOf: url)
    guard data.count > 10, data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)) else { throw TestFailure("\(url.path) is not .npy") }
    let major = data[data.startIndex + 6]
    let headerLength: Int
    let start: Int
    if major == 1 {
        headerLength = Int(data[data.startIndex + 8]) | Int(data[data.startIndex + 9]) << 8
        start = 10
    } else {
        headerLength = (0..<4).reduce(0) { $0 | Int(data[data.startIndex + 8 + $1]) << (8 * $1) }
        start = 12
    }
    let header = String(decoding: data[(data.startIndex + start)..<(data.startIndex + start + headerLength)], as: UTF8.self)
    guard header.contains("'<f4'"), header.contains("'fortran_order': False") else { throw TestFailure("unexpected .npy header \(header)") }
    let body = data[(data.startIndex + start + headerLength)...]
    return body.withUnsafeBytes { raw in
        (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
    }
}

