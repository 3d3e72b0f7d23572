import Encoders
import Foundation
import Reduction
import Testing
import TestSupport

/// C-RADIO encoder against the NumPy reference (tools/reference/radio_reference.py) on tiny random
/// checkpoints in the Hugging Face key layout.
@Suite struct RADIOEncoderTests {
    static let tolerance: Float = 1e-4

    struct DenseCase: CustomTestStringConvertible, Sendable {
        var name: String
        var checkpoint: [String]
        var width: Int, height: Int, batch: Int
        var forwardOptions: [String] = []
        var options = RADIOOptions()
        var testDescription: String { name }
    }

    static let denseCases: [DenseCase] = [
        DenseCase(name: "square f32 align=false", checkpoint: [], width: 64, height: 64, batch: 2),
        DenseCase(name: "non-square align=true layerscale", checkpoint: ["--align-corners", "true", "--layerscale", "--seed", "3"],
                  width: 80, height: 48, batch: 1),
        DenseCase(name: "tall align=false mlpnorm final-norm", checkpoint: ["--mlpnorm", "--final-norm", "--seed", "4"],
                  width: 32, height: 96, batch: 1),
        DenseCase(name: "f16 vision_model prefix, summary skip", checkpoint: ["--dtype", "f16", "--prefix-keys", "vision_model.radio_model.",
                                                                              "--num-cls", "3", "--summary-skip", "1", "--seed", "5"],
                  width: 48, height: 64, batch: 1),
        DenseCase(name: "bf16 align=true, count registers", checkpoint: ["--dtype", "bf16", "--align-corners", "true",
                                                                         "--register-style", "count", "--seed", "6"],
                  width: 64, height: 32, batch: 2),
        DenseCase(name: "align override on a false checkpoint", checkpoint: ["--seed", "7"], width: 48, height: 48, batch: 1,
                  forwardOptions: ["--align-corners", "true"], options: RADIOOptions(alignCorners: true)),
        DenseCase(name: "ViTDet window 2, 4 blocks, 2 global", checkpoint: ["--depth", "4", "--seed", "8"], width: 64, height: 96, batch: 2,
                  forwardOptions: ["--vitdet-window", "2", "--vitdet-num-global", "2"],
                  options: RADIOOptions(vitdetWindow: 2, vitdetNumGlobal: 2)),
    ]

    @Test(arguments: denseCases)
    func denseMatchesReference(_ c: DenseCase) throws {
        let dir = try TestSupport.temporaryDirectory("radio")
        defer { try? FileManager.default.removeItem(at: dir) }
        var extra = c.checkpoint
        var depth = 2, numCls = 2
        if let i = extra.firstIndex(of: "--depth") { depth = Int(extra[i + 1])!; extra.removeSubrange(i...(i + 1)) }
        if let i = extra.firstIndex(of: "--num-cls") { numCls = Int(extra[i + 1])!; extra.removeSubrange(i...(i + 1)) }
        let ckpt = try RADIOReference.makeCheckpoint(dir, depth: depth, numCls: numCls, extra: extra)
        let (images, imagesURL) = try RADIOReference.images(dir, count: c.batch, width: c.width, height: c.height, seed: 11)
        let reference = try RADIOReference.forward(ckpt, images: imagesURL, dir: dir, options: c.forwardOptions)
        let encoder = try RADIOEncoder(path: ckpt, options: c.options)
        let (summary, features) = try encoder.encode(images: images, width: c.width, height: c.height)
        let ds = try RADIOReference.maxDiff(summary, reference.summary)
        let df = try RADIOReference.maxDiff(features, reference.features)
        print("RADIO dense [\(c.name)]: max |Δsummary| = \(ds), max |Δfeatures| = \(df)")
        #expect(ds <= Self.tolerance)
        #expect(df <= Self.tolerance)
    }

    /// Kept patches of each image as a TokenSet (pixel patches, raster order per frame).
    static func tokenSet(_ images: [[Float]], width: Int, height: Int, keep: [[Bool]]) -> TokenSet {
        let P = 16, h = height / P, w = width / P
        var set = TokenSet(dimension: 3 * P * P,
                           frames: images.indices.map { FrameRecord(t: $0, sourceIndex: $0, pts: Double($0), gridRows: h, gridColumns: w) })
        for (b, image) in images.enumerated() {
            for r in 0..<(h * w) where keep[b][r] {
                let py = r / w, px = r % w
                for ch in 0..<3 { for yy in 0..<P { for xx in 0..<P {
                    set.features.append(image[ch * height * width + (py * P + yy) * width + px * P + xx])
                } } }
                set.coords.append(TokenCoord(t: Int32(b), row: Int32(py), col: Int32(px)))
            }
        }
        return set
    }

    @Test(arguments: [false, true])
    func sparseMatchesReference(alignCorners: Bool) throws {
        let dir = try TestSupport.temporaryDirectory("radio")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ckpt = try RADIOReference.makeCheckpoint(dir, extra: ["--layerscale", "--align-corners", "\(alignCorners)", "--seed", "9"])
        let width = 80, height = 48, n = (width / 16) * (height / 16)
        let (images, imagesURL) = try RADIOReference.images(dir, count: 3, width: width, height: height, seed: 12)
        var rng = SplitMix64(seed: 13)
        var keep = (0..<3).map { _ in (0..<n).map { _ in rng.nextUnit() < 0.4 } }
        keep[2] = keep[2].map { _ in false }; keep[2][n - 1] = true   // one frame with a single token
        let keepURL = try RADIOReference.writeKeep(keep, dir: dir)
        let reference = try RADIOReference.forwardSparse(ckpt, images: imagesURL, keep: keepURL, dir: dir)
        let encoder = try RADIOEncoder(path: ckpt)
        // Shuffle the token order: the output must follow the input order.
        let set = Self.tokenSet(images, width: width, height: height, keep: keep)
        let (out, summary) = try encoder.encodeWithSummary(set)
        #expect(out.dimension == 32)
        #expect(out.coords == set.coords)
        let ds = try RADIOReference.maxDiff(summary, reference.summary)
        let df = try RADIOReference.maxDiff(out.features, reference.features)
        print("RADIO sparse align=\(alignCorners): \(set.count) of \(3 * n) tokens, max |Δsummary| = \(ds), max |Δfeatures| = \(df)")
        #expect(ds <= Self.tolerance)
        #expect(df <= Self.tolerance)
    }

    @Test func allKeptSparseEqualsDense() throws {
        let dir = try TestSupport.temporaryDirectory("radio")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ckpt = try RADIOReference.makeCheckpoint(dir, extra: ["--final-norm", "--seed", "10"])
        let width = 64, height = 48, n = 12
        let (images, _) = try RADIOReference.images(dir, count: 2, width: width, height: height, seed: 14)
        let encoder = try RADIOEncoder(path: ckpt)
        let dense = try encoder.encode(images: images, width: width, height: height)
        var set = Self.tokenSet(images, width: width, height: height, keep: [[Bool]](repeating: [Bool](repeating: true, count: n), count: 2))
        // Reverse the token order; features must come back in that order.
        let perm = Array((0..<set.count).reversed())
        let features = set.features
        set.features = perm.flatMap { features[($0 * 768)..<(($0 + 1) * 768)] }
        set.coords = perm.map { set.coords[$0] }
        let (out, summary) = try encoder.encodeWithSummary(set)
        let restored = perm.indices.map { i in perm.firstIndex(of: i)! }.flatMap { out.features[($0 * 32)..<(($0 + 1) * 32)] }
        let df = try RADIOReference.maxDiff(restored, dense.features)
        let ds = try RADIOReference.maxDiff(summary, dense.summary)
        print("RADIO all-kept sparse vs dense: max |Δsummary| = \(ds), max |Δfeatures| = \(df)")
        #expect(df <= 1e-5)
        #expect(ds <= 1e-5)
    }

    @Test func coarseScaleTokensUseTheirGridCPE() throws {
        // A scale-1 token (cell 32 px) of a 64×64 frame lives on that frame's 2×2 grid: it must encode
        // exactly like a scale-0 token at the same cell of a 32×32 frame.
        let dir = try TestSupport.temporaryDirectory("radio")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ckpt = try RADIOReference.makeCheckpoint(dir, extra: ["--seed", "15"])
        let encoder = try RADIOEncoder(path: ckpt)
        var rng = SplitMix64(seed: 16)
        let patch = (0..<768).map { _ in rng.nextUnit() }
        var coarse = TokenSet(dimension: 768, features: patch, coords: [TokenCoord(t: 0, row: 1, col: 0, scale: 1)],
                              frames: [FrameRecord(t: 0, sourceIndex: 0, pts: 0, gridRows: 4, gridColumns: 4)])
        coarse.cellSizes = [16, 32]
        let fine = TokenSet(dimension: 768, features: patch, coords: [TokenCoord(t: 0, row: 1, col: 0)],
                            frames: [FrameRecord(t: 0, sourceIndex: 0, pts: 0, gridRows: 2, gridColumns: 2)])
        let a = try encoder.encode(coarse).features, b = try encoder.encode(fine).features
        #expect(try RADIOReference.maxDiff(a, b) == 0)
    }

    @Test func featureNormalizerMatchesReference() throws {
        let dir = try TestSupport.temporaryDirectory("radio")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ckpt = try RADIOReference.makeCheckpoint(dir, extra: ["--seed", "17"])
        try edit(ckpt, """
        g = np.random.default_rng(1)
        w['radio_model.feature_normalizer.mean'] = g.normal(0, 0.1, size=(32,))
        w['radio_model.feature_normalizer.tx'] = g.normal(0, 0.3, size=(32, 32))
        """)
        let width = 48, height = 32, n = 6
        let (images, imagesURL) = try RADIOReference.images(dir, count: 2, width: width, height: height, seed: 18)
        let encoder = try RADIOEncoder(path: ckpt)
        #expect(encoder.config.featureNormalizer)
        let reference = try RADIOReference.forward(ckpt, images: imagesURL, dir: dir)
        let dense = try encoder.encode(images: images, width: width, height: height)
        let df = try RADIOReference.maxDiff(dense.features, reference.features)
        let keep = [[true, false, true, true, false, true], [false, false, true, false, false, false]]
        #expect(keep[0].count == n)
        let sparseRef = try RADIOReference.forwardSparse(ckpt, images: imagesURL, keep: RADIOReference.writeKeep(keep, dir: dir), dir: dir)
        let sparse = try encoder.encode(Self.tokenSet(images, width: width, height: height, keep: keep))
        let dsf = try RADIOReference.maxDiff(sparse.features, sparseRef.features)
        print("RADIO feature normalizer: max |Δfeatures| dense = \(df), sparse = \(dsf)")
        #expect(df <= Self.tolerance)
        #expect(dsf <= Self.tolerance)
    }

    // MARK: - Configuration and errors

    @Test func configDescribesCheckpoint() throws {
        let dir = try TestSupport.temporaryDirectory("radio")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ckpt = try RADIOReference.makeCheckpoint(dir, embed: 48, depth: 3, heads: 6, mlp: 96, prefix: 5, numCls: 3,
                                                     extra: ["--layerscale", "--mlpnorm", "--align-corners", "true"])
        let c = try RADIOConfig(path: ckpt)
        #expect(c.embedDim == 48 && c.depth == 3 && c.heads == 6 && c.mlpDim == 96)
        #expect(c.prefixTokens == 5 && c.numCls == 3 && c.summaryIndices == [0, 1, 2])
        #expect(c.layerScaleKey == "grandma" && c.mlpNorm && !c.finalNorm && c.alignCorners)
        #expect(c.keyPrefix == "radio_model." && c.cpeGrid == 128 && c.patchSize == 16)
        // The safetensors file alone: arch from shapes and options.
        let bare = try RADIOConfig(path: copyBare(ckpt, dir),
                                   options: RADIOOptions(heads: 6))
        #expect(bare.embedDim == 48 && bare.heads == 6 && bare.numCls == 3 && !bare.alignCorners)
    }

    /// Copies model.safetensors alone into its own folder.
    func copyBare(_ ckpt: String, _ dir: URL) throws -> String {
        let sub = dir.appendingPathComponent("bare")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let dst = sub.appendingPathComponent("weights.safetensors")
        try FileManager.default.copyItem(atPath: ckpt + "/model.safetensors", toPath: dst.path)
        return dst.path
    }

    /// Rewrites a checkpoint's tensors with a Python snippet (`w` is the dict of arrays).
    func edit(_ ckpt: String, _ snippet: String) throws {
        let code = """
        import sys; sys.path.insert(0, sys.argv[2]); import radio_reference as r
        import numpy as np
        p = sys.argv[1] + '/model.safetensors'
        w = r.read_safetensors(p)
        \(snippet)
        r.write_safetensors(p, {k: r.encode_tensor(v, 'f32') for k, v in w.items()})
        """
        let result = try TestSupport.run(TestSupport.python, ["-c", code, ckpt, TestSupport.repoRoot.appendingPathComponent("tools/reference").path])
        guard result.status == 0 else { throw TestFailure(result.stderr) }
    }

    func loadError(_ path: String) -> String? {
        do { _ = try RADIOEncoder(path: path); return nil } catch { return error.description }
    }

    @Test func errorsNameTheProblem() throws {
        let dir = try TestSupport.temporaryDirectory("radio")
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try RADIOReference.makeCheckpoint(dir)

        let missing = try RADIOReference.makeCheckpoint(dir)
        try edit(missing, "del w['radio_model.model.blocks.1.mlp.fc2.bias']")
        let m = loadError(missing)
        #expect(m?.contains("radio_model.model.blocks.1.mlp.fc2.bias") == true, "\(m ?? "no error")")

        let shaped = try RADIOReference.makeCheckpoint(dir)
        try edit(shaped, "w['radio_model.model.blocks.0.attn.proj.weight'] = np.zeros((32, 31), np.float32)")
        let s = loadError(shaped)
        #expect(s?.contains("radio_model.model.blocks.0.attn.proj.weight") == true && s?.contains("[32, 31]") == true, "\(s ?? "no error")")

        let truncated = try RADIOReference.makeCheckpoint(dir)
        let file = truncated + "/model.safetensors"
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        try data.prefix(data.count - 100).write(to: URL(fileURLWithPath: file))
        let t = loadError(truncated)
        #expect(t != nil && t!.contains("model.safetensors"), "\(t ?? "no error")")

        let junk = dir.appendingPathComponent("junk.safetensors")
        try Data("this is not a safetensors file at all".utf8).write(to: junk)
        let j = loadError(junk.path)
        #expect(j != nil && j!.contains("junk.safetensors"), "\(j ?? "no error")")

        for message in [m, s, t, j] {
            print("RADIO error: \(message ?? "none")")
            #expect(message?.contains("\n") == false)
        }

        let encoder = try RADIOEncoder(path: base)
        #expect(throws: RADIOError.self) { try encoder.encode(images: [[Float](repeating: 0, count: 3 * 40 * 32)], width: 40, height: 32) }
        #expect(throws: RADIOError.self) { try encoder.encode(images: [[Float](repeating: 0, count: 5)], width: 32, height: 32) }
        let outside = TokenSet(dimension: 768, features: [Float](repeating: 0, count: 768), coords: [TokenCoord(t: 0, row: 2, col: 0)],
                               frames: [FrameRecord(t: 0, sourceIndex: 0, pts: 0, gridRows: 2, gridColumns: 2)])
        #expect(throws: RADIOError.self) { try encoder.encode(outside) }
    }
}
