import Encoders
import Foundation
import Reduction
import Testing
import TestSupport

/// GSPN-1 backbone, block and the ViT-style GSPN block against the NumPy reference
/// (tools/reference/gspn_model_reference.py) on tiny random weights in the released key layout.
@Suite struct GSPNModelTests {
    static let script = "tools/reference/gspn_model_reference.py"
    static let tolerance: Float = 1e-4

    static func makeWeights(_ dir: URL, _ extra: [String] = []) throws -> String {
        let out = dir.appendingPathComponent("w-\(UUID().uuidString.prefix(8))")
        try TestSupport.runPython(script, ["make-weights", out.path, "--arch", "tiny-test"] + extra)
        return out.appendingPathComponent("model.safetensors").path
    }

    static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in (rng.nextUnit() * 2 - 1) * scale }
    }

    static func relDiff(_ a: [Float], _ b: [Float]) throws -> Float {
        let scale = max(1, b.map { abs($0) }.max() ?? 1)
        return try RADIOReference.maxDiff(a, b) / scale
    }

    @Test(arguments: [(0, 12, 5), (0, 12, 12), (1, 8, 2), (2, 6, 6), (3, 4, 1)])
    func blockMatchesReference(stage: Int, side: Int, chunk: Int) throws {
        let dir = try TestSupport.temporaryDirectory("gspn-block")
        let path = try Self.makeWeights(dir, ["--seed", "\(stage + 11)"])
        let encoder = try GSPNEncoder(path: path)
        let c = encoder.config.dims[stage]
        let x = Self.random(c * side * side, seed: UInt64(stage * 100 + side))
        let xURL = dir.appendingPathComponent("x.npy")
        try TestSupport.writeNPY(x, shape: [c, side, side], to: xURL)
        let npz = dir.appendingPathComponent("y.npz")
        try TestSupport.runPython(Self.script, ["block", path, xURL.path, npz.path, "--key", "layers.\(stage).blocks.0", "--chunk", "\(chunk)"])
        let want = try RADIOReference.readNPZ(npz, "y")
        let got = try encoder.blockForward(stage: stage, block: 0, x, height: side, width: side, chunk: chunk)
        let diff = try Self.relDiff(got, want)
        #expect(diff <= Self.tolerance, "block stage \(stage) \(side)² chunk \(chunk): max diff \(diff)")
    }

    @Test(arguments: [(64, 3, 2), (64, 1, 1), (96, 2, 1)])
    func backboneMatchesReference(side: Int, stage: Int, batch: Int) throws {
        let dir = try TestSupport.temporaryDirectory("gspn-backbone")
        // img-size 64: the released "global" chunk is 64/4/2^i = 4 and 2 columns in stages 2 and 3.
        let path = try Self.makeWeights(dir, ["--seed", "5", "--img-size", "64"])
        let encoder = try GSPNEncoder(path: path)
        #expect(encoder.config.dims == [16, 32, 64, 128] && encoder.config.depths == [1, 1, 1, 1] && encoder.config.dState == 4)
        #expect(encoder.config.innerDims == [24, 48, 96, 192] && encoder.config.imgSize == 64)
        let (images, url) = try RADIOReference.images(dir, count: batch, width: side, height: side, seed: 9)
        let npz = dir.appendingPathComponent("f.npz")
        try TestSupport.runPython(Self.script, ["forward", path, url.path, npz.path, "--stage", "\(stage)"])
        let want = try RADIOReference.readNPZ(npz, "features")
        let got = try encoder.encode(images: images, width: side, height: side, stage: stage)
        let grid = side / (4 << stage)
        #expect(got.height == grid && got.width == grid && got.channels == encoder.config.dims[stage] && got.frames == batch)
        let diff = try Self.relDiff(got.features, want)
        #expect(diff <= Self.tolerance, "backbone \(side) stage \(stage): max diff \(diff)")
    }

    @Test func nonSquareInputIsAClearError() throws {
        let dir = try TestSupport.temporaryDirectory("gspn-errors")
        let encoder = try GSPNEncoder(path: try Self.makeWeights(dir))
        let image = [Float](repeating: 0.5, count: 3 * 64 * 32)
        do {
            _ = try encoder.encode(images: [image], width: 64, height: 32)
            Issue.record("non-square input was accepted")
        } catch {
            #expect(error.description.contains("square") && !error.description.contains("\n"), "\(error.description)")
        }
    }

    @Test(arguments: [["--drop", "layers.2.blocks.0.op.w_conv_up.weight"], ["--bad-shape", "layers.1.blocks.0.op.grn.gamma"],
                      ["--drop", "patch_embed.7.bias"], ["--bad-shape", "layers.0.downsample.1.weight"]])
    func mismatchedWeightsNameTheKey(_ option: [String]) throws {
        let dir = try TestSupport.temporaryDirectory("gspn-errors")
        let path = try Self.makeWeights(dir, option)
        do {
            _ = try GSPNEncoder(path: path)
            Issue.record("bad weights were accepted")
        } catch {
            let d = error.description
            #expect(d.contains("'\(option[1])'") && !d.contains("\n"), "\(d)")
            #expect(d.contains(option[0] == "--drop" ? "missing" : "shape"), "\(d)")
        }
    }

    /// Cuts `image [3, side, side]` into 16×16 (channel, y, x) patches and keeps those in `keep`.
    static func tokens(_ image: [Float], side: Int, keep: [Bool], t: Int = 0) -> TokenSet {
        let g = side / 16
        var features: [Float] = []
        var coords: [TokenCoord] = []
        for r in 0..<g { for q in 0..<g where keep[r * g + q] {
            coords.append(TokenCoord(t: Int32(t), row: Int32(r), col: Int32(q)))
            for ch in 0..<3 { for y in 0..<16 { for x in 0..<16 {
                features.append(image[ch * side * side + (r * 16 + y) * side + q * 16 + x])
            } } }
        } }
        return TokenSet(dimension: 768, features: features, coords: coords,
                        frames: [FrameRecord(t: t, sourceIndex: t, pts: 0, gridRows: g, gridColumns: g)])
    }

    @Test func sparseWithEveryTokenKeptEqualsDense() throws {
        let dir = try TestSupport.temporaryDirectory("gspn-sparse")
        let encoder = try GSPNEncoder(path: try Self.makeWeights(dir, ["--seed", "2"]))
        let side = 64
        let image = Self.random(3 * side * side, seed: 4).map { $0 * 0.5 + 0.5 }
        for stage in [2, 3] {
            let dense = try encoder.encode(images: [image], width: side, height: side, stage: stage)
            let sparse = try encoder.encode(Self.tokens(image, side: side, keep: .init(repeating: true, count: 16)), stage: stage)
            #expect(sparse.count == dense.height * dense.width && sparse.cellSizes == [dense.stride])
            #expect(try RADIOReference.maxDiff(sparse.features, dense.features) == 0)
        }
    }

    @Test func prunedPatchesInjectNothingInTheBackbone() throws {
        let dir = try TestSupport.temporaryDirectory("gspn-sparse")
        let encoder = try GSPNEncoder(path: try Self.makeWeights(dir, ["--seed", "3"]))
        let side = 64
        var image = Self.random(3 * side * side, seed: 6).map { $0 * 0.5 + 0.5 }
        var keep = [Bool](repeating: true, count: 16)
        for i in [1, 6, 7, 12] { keep[i] = false }
        let a = try encoder.encode(Self.tokens(image, side: side, keep: keep), stage: 2)
        for r in 0..<16 { for x in 16..<32 { image[r * side + x] = 7 } }  // inside pruned cell 1
        let allKept = try encoder.encode(Self.tokens(image, side: side, keep: .init(repeating: true, count: 16)), stage: 2)
        let b = try encoder.encode(Self.tokens(image, side: side, keep: keep), stage: 2)
        #expect(a.count == 12 && a.coords == b.coords)
        #expect(try RADIOReference.maxDiff(a.features, b.features) == 0)
        #expect(allKept.count == 16)
    }

    // MARK: - ViT-style block

    static func vitWeights(dim d: Int, latent cp: Int, state s: Int, mlp m: Int, seed: UInt64) -> GSPNViTBlockWeights {
        var k: UInt64 = seed
        func r(_ n: Int, _ scale: Float) -> [Float] { k += 1; return random(n, seed: k, scale: scale) }
        func one(_ n: Int) -> [Float] { r(n, 0.1).map { 1 + $0 } }
        let core = GSPNCoreWeights(down: r(s * cp, 0.5), up: r(12 * cp * s, 1.5), lambda: r(4 * cp * s, 0.8),
                                   u: r(4 * cp * s, 0.8), d: r(4 * cp * s, 0.8), merge: r(4, 0.2).map { $0 + 0.25 },
                                   channels: cp, state: s)
        return GSPNViTBlockWeights(dim: d, latent: cp, mlpDim: m, norm1Weight: one(d), norm1Bias: r(d, 0.05),
                                   down: r(cp * d, 0.3), core: core, mixerNormWeight: one(cp), mixerNormBias: r(cp, 0.05),
                                   up: r(d * cp, 0.3), upBias: r(d, 0.05), norm2Weight: one(d), norm2Bias: r(d, 0.05),
                                   fc1: r(m * d, 0.3), fc1Bias: r(m, 0.05), fc2: r(d * m, 0.2), fc2Bias: r(d, 0.05))
    }

    /// Pixel patches → linear patch embedding → the ViT-style GSPN block.
    static func vitPath(_ block: GSPNViTBlock, embed: [Float], prefix: [Float], image: [Float], side: Int, keep: [Bool]?) throws -> [Float] {
        let g = side / 16, d = block.weights.dim
        var x = prefix
        for r in 0..<g { for q in 0..<g {
            var patch: [Float] = []
            for ch in 0..<3 { for y in 0..<16 { for xx in 0..<16 { patch.append(image[ch * side * side + (r * 16 + y) * side + q * 16 + xx]) } } }
            for o in 0..<d {
                var acc: Float = 0
                for i in 0..<768 { acc += embed[o * 768 + i] * patch[i] }
                x.append(acc)
            }
        } }
        return try block.forward(x, prefixCount: prefix.count / d, gridHeight: g, gridWidth: g, keep: keep)
    }

    @Test func vitBlockSparseMatchesDenseAndPrunedCellsInjectNothing() throws {
        let d = 32, side = 96, g = 6, prefixCount = 2
        for chunk in [2, 6] {
            let block = GSPNViTBlock(weights: Self.vitWeights(dim: d, latent: 8, state: 4, mlp: 64, seed: 40), chunk: chunk)
            let embed = Self.random(d * 768, seed: 41, scale: 0.05)
            let prefix = Self.random(prefixCount * d, seed: 42)
            var image = Self.random(3 * side * side, seed: 43).map { $0 * 0.5 + 0.5 }
            let dense = try Self.vitPath(block, embed: embed, prefix: prefix, image: image, side: side, keep: nil)
            let allKept = try Self.vitPath(block, embed: embed, prefix: prefix, image: image, side: side,
                                           keep: .init(repeating: true, count: g * g))
            #expect(dense == allKept)
            var keep = [Bool](repeating: true, count: g * g)
            for i in [3, 8, 14, 15, 20, 33] { keep[i] = false }
            let a = try Self.vitPath(block, embed: embed, prefix: prefix, image: image, side: side, keep: keep)
            // Change pruned cell 14 (row 2, col 2) completely.
            for ch in 0..<3 { for y in 32..<48 { for x in 32..<48 { image[ch * side * side + y * side + x] = 5 } } }
            let b = try Self.vitPath(block, embed: embed, prefix: prefix, image: image, side: side, keep: keep)
            #expect(a == b, "a pruned cell changed kept outputs")
            // The same change with the cell kept does change the outputs (the scan propagates it).
            let c = try Self.vitPath(block, embed: embed, prefix: prefix, image: image, side: side, keep: nil)
            #expect(try RADIOReference.maxDiff(c, dense) > 1e-3)
            // Pruned rows are zero; kept rows and prefix rows differ from dense (the scan skipped input).
            for p in 0..<(g * g) where !keep[p] { #expect(a[((prefixCount + p) * d)..<((prefixCount + p + 1) * d)].allSatisfy { $0 == 0 }) }
        }
    }

    @Test func vitBlockRejectsNonSquareGrids() throws {
        let block = GSPNViTBlock(weights: Self.vitWeights(dim: 16, latent: 8, state: 2, mlp: 32, seed: 1), chunk: 2)
        #expect(throws: GSPNError.self) { try block.forward(.init(repeating: 0, count: 16 * 12), prefixCount: 0, gridHeight: 3, gridWidth: 4) }
    }
}
