import Encoders
import Foundation
import Testing
import TestSupport

/// GSPN line-scan propagation (`GSPNScan`, `GSPNCore`) against the NumPy reference
/// `tools/reference/gspn_reference.py`, written from the spec as plain loops over columns.
@Suite struct GSPNScanTests {
    static let tolerance: Float = 1e-5
    static let script = "tools/reference/gspn_reference.py"

    // MARK: helpers

    static func random(_ count: Int, _ rng: inout SplitMix64, scale: Float = 1, offset: Float = 0) -> [Float] {
        (0..<count).map { _ in (rng.nextUnit() * 2 - 1) * scale + offset }
    }

    static func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "size mismatch \(a.count) vs \(b.count)")
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    static func readNPY(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        guard data.count >= 10, data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)) else { throw TestFailure("\(url.path): not .npy") }
        let headerLength: Int, start: Int
        if data[6] == 1 {
            headerLength = Int(data[8]) | Int(data[9]) << 8; start = 10
        } else {
            headerLength = Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24; start = 12
        }
        let header = String(decoding: data[start..<(start + headerLength)], as: UTF8.self)
        guard header.contains("'<f4'"), header.contains("'fortran_order': False") else { throw TestFailure("unsupported npy header \(header)") }
        return data[(start + headerLength)...].withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        }
    }

    /// Swift scan of already-normalised gates.
    static func swiftScan(x: [Float], lam: [Float], gm: [Float], g0: [Float], gp: [Float],
                          maps: Int, height: Int, width: Int, chunk: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: x.count)
        out.withUnsafeMutableBufferPointer { o in
            GSPNScan.scan(input: x, lambda: lam, gateMinus: gm, gateZero: g0, gatePlus: gp,
                          maps: maps, height: height, width: width, chunk: chunk, into: o.baseAddress!)
        }
        return out
    }

    static func swiftNormalize(_ gm: inout [Float], _ g0: inout [Float], _ gp: inout [Float], maps: Int, height: Int, width: Int) {
        gm.withUnsafeMutableBufferPointer { a in
            g0.withUnsafeMutableBufferPointer { b in
                gp.withUnsafeMutableBufferPointer { c in
                    GSPNScan.normalizeGates(minus: a.baseAddress!, zero: b.baseAddress!, plus: c.baseAddress!,
                                            maps: maps, height: height, width: width)
                }
            }
        }
    }

    // MARK: scan against the reference

    struct ScanCase: CustomTestStringConvertible, Sendable {
        var maps: Int, height: Int, width: Int, chunk: Int
        var testDescription: String { "\(maps)×\(height)×\(width) chunk \(chunk)" }
    }

    static let scanCases: [ScanCase] = [
        ScanCase(maps: 3, height: 5, width: 7, chunk: 7),    // global
        ScanCase(maps: 3, height: 5, width: 7, chunk: 1),    // every column restarts
        ScanCase(maps: 3, height: 5, width: 7, chunk: 3),    // last chunk shorter
        ScanCase(maps: 2, height: 6, width: 6, chunk: 2),    // the classification default
        ScanCase(maps: 2, height: 9, width: 4, chunk: 4),    // H > W
        ScanCase(maps: 2, height: 3, width: 11, chunk: 5),   // H < W
        ScanCase(maps: 3, height: 1, width: 6, chunk: 6),    // a single row: both neighbours out of range
        ScanCase(maps: 2, height: 2, width: 5, chunk: 3),    // only edge rows
        ScanCase(maps: 5, height: 8, width: 8, chunk: 100),  // chunk larger than W = global
        ScanCase(maps: 2, height: 601, width: 50, chunk: 7),  // tall: several column tiles, chunks across tiles
        ScanCase(maps: 1, height: 601, width: 50, chunk: 50), // tall, global: the state carries across tiles
    ]

    @Test("scan matches the NumPy reference", arguments: scanCases)
    func scanMatchesReference(_ c: ScanCase) throws {
        var rng = SplitMix64(seed: UInt64(c.maps * 1000 + c.height * 37 + c.width * 5 + c.chunk))
        let count = c.maps * c.height * c.width
        let x = Self.random(count, &rng)
        let lam = Self.random(count, &rng)
        // Arbitrary positive gates (not normalised), so every neighbour's term shows in the result.
        let gm = Self.random(count, &rng, scale: 0.3, offset: 0.35)
        let g0 = Self.random(count, &rng, scale: 0.3, offset: 0.35)
        let gp = Self.random(count, &rng, scale: 0.3, offset: 0.35)
        let dir = try TestSupport.temporaryDirectory("gspn-scan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let shape = [c.maps, c.height, c.width]
        for (name, v) in [("x", x), ("lam", lam), ("gm", gm), ("g0", g0), ("gp", gp)] {
            try TestSupport.writeNPY(v, shape: shape, to: dir.appendingPathComponent("\(name).npy"))
        }
        let outURL = dir.appendingPathComponent("out.npy")
        try TestSupport.runPython(Self.script, ["scan", dir.path, outURL.path, "--chunk", "\(c.chunk)"])
        let expected = try Self.readNPY(outURL)
        let got = Self.swiftScan(x: x, lam: lam, gm: gm, g0: g0, gp: gp, maps: c.maps, height: c.height, width: c.width, chunk: c.chunk)
        #expect(Self.maxAbsDiff(got, expected) <= Self.tolerance)
    }

    @Test("normalised gates then scan match the reference end to end")
    func normalizeAndScanMatchReference() throws {
        let (maps, h, w, chunk) = (4, 7, 5, 2)
        var rng = SplitMix64(seed: 77)
        let count = maps * h * w
        let x = Self.random(count, &rng), lam = Self.random(count, &rng)
        var gm = Self.random(count, &rng, scale: 3), g0 = Self.random(count, &rng, scale: 3), gp = Self.random(count, &rng, scale: 3)
        let dir = try TestSupport.temporaryDirectory("gspn-scan")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, v) in [("x", x), ("lam", lam), ("gm", gm), ("g0", g0), ("gp", gp)] {
            try TestSupport.writeNPY(v, shape: [maps, h, w], to: dir.appendingPathComponent("\(name).npy"))
        }
        let outURL = dir.appendingPathComponent("out.npy")
        try TestSupport.runPython(Self.script, ["scan", dir.path, outURL.path, "--chunk", "\(chunk)", "--normalize"])
        Self.swiftNormalize(&gm, &g0, &gp, maps: maps, height: h, width: w)
        let got = Self.swiftScan(x: x, lam: lam, gm: gm, g0: g0, gp: gp, maps: maps, height: h, width: w, chunk: chunk)
        #expect(Self.maxAbsDiff(got, try Self.readNPY(outURL)) <= Self.tolerance)
    }

    // MARK: normalisation

    @Test("normalizeGates matches the reference, including single-row maps", arguments: [(3, 6, 4), (2, 1, 5), (2, 2, 3)])
    func normalizeMatchesReference(_ shape: (Int, Int, Int)) throws {
        let (maps, h, w) = shape
        var rng = SplitMix64(seed: UInt64(maps * 100 + h * 10 + w))
        let count = maps * h * w
        var gm = Self.random(count, &rng, scale: 4), g0 = Self.random(count, &rng, scale: 4), gp = Self.random(count, &rng, scale: 4)
        let dir = try TestSupport.temporaryDirectory("gspn-norm")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, v) in [("gm", gm), ("g0", g0), ("gp", gp)] {
            try TestSupport.writeNPY(v, shape: [maps, h, w], to: dir.appendingPathComponent("\(name).npy"))
        }
        let outDir = dir.appendingPathComponent("out")
        try TestSupport.runPython(Self.script, ["normalize", dir.path, outDir.path])
        Self.swiftNormalize(&gm, &g0, &gp, maps: maps, height: h, width: w)
        #expect(Self.maxAbsDiff(gm, try Self.readNPY(outDir.appendingPathComponent("gm.npy"))) <= Self.tolerance)
        #expect(Self.maxAbsDiff(g0, try Self.readNPY(outDir.appendingPathComponent("g0.npy"))) <= Self.tolerance)
        #expect(Self.maxAbsDiff(gp, try Self.readNPY(outDir.appendingPathComponent("gp.npy"))) <= Self.tolerance)
    }

    @Test("normalised gates sum to 1 over the valid neighbours at the border rows and inside")
    func normalizationIsRowStochasticOverValidNeighbours() {
        let (maps, h, w) = (2, 5, 3)
        var rng = SplitMix64(seed: 5)
        let count = maps * h * w
        var gm = Self.random(count, &rng, scale: 5), g0 = Self.random(count, &rng, scale: 5), gp = Self.random(count, &rng, scale: 5)
        Self.swiftNormalize(&gm, &g0, &gp, maps: maps, height: h, width: w)
        for m in 0..<maps {
            for r in 0..<h {
                for j in 0..<w {
                    let i = (m * h + r) * w + j
                    let valid: Float
                    if r == 0 { valid = g0[i] + gp[i] }              // den[0] = s⁰ + s⁺
                    else if r == h - 1 { valid = gm[i] + g0[i] }     // den[H−1] = s⁻ + s⁰
                    else { valid = gm[i] + g0[i] + gp[i] }
                    #expect(abs(valid - 1) <= 1e-6, "map \(m) row \(r) col \(j): \(valid)")
                }
            }
        }
        // The unused border gates are not zeroed: g⁻ at row 0 and g⁺ at row H−1 stay σ/den.
        #expect(gm[0] > 0)
        #expect(gp[(h - 1) * w] > 0)
    }

    @Test("the 1e-7 clamp on the denominator")
    func denominatorClamp() {
        // Raw gates of −40: σ ≈ 4.25e-18, so every denominator is far below 1e-7 and gets clamped.
        let (maps, h, w) = (1, 3, 2)
        let count = maps * h * w
        var gm = [Float](repeating: -40, count: count), g0 = gm, gp = gm
        Self.swiftNormalize(&gm, &g0, &gp, maps: maps, height: h, width: w)
        let s: Float = 1 / (1 + expf(40))
        for v in gm + g0 + gp {
            #expect(abs(v - s / 1e-7) <= 1e-3 * s / 1e-7)
        }
        // Without the clamp the gates would be 1/2 (border rows) or 1/3 (inside).
        #expect(g0.allSatisfy { $0 < 1e-9 })
    }

    // MARK: properties

    @Test("with λ = 1, g⁰ = 1 and g± = 0 the scan is a cumulative sum along w inside each chunk")
    func cumulativeSumProperty() {
        var rng = SplitMix64(seed: 2024)
        for trial in 0..<40 {
            let maps = 1 + Int(rng.next() % 4), h = 1 + Int(rng.next() % 7), w = 1 + Int(rng.next() % 12)
            let chunk = 1 + Int(rng.next() % UInt64(w + 2))
            let count = maps * h * w
            let x = Self.random(count, &rng)
            let ones = [Float](repeating: 1, count: count), zeros = [Float](repeating: 0, count: count)
            let got = Self.swiftScan(x: x, lam: ones, gm: zeros, g0: ones, gp: zeros, maps: maps, height: h, width: w, chunk: chunk)
            var worst: Float = 0
            for m in 0..<maps {
                for r in 0..<h {
                    var sum: Float = 0
                    for j in 0..<w {
                        if j % chunk == 0 { sum = 0 }
                        let i = (m * h + r) * w + j
                        sum += x[i]
                        worst = max(worst, abs(got[i] - sum))
                    }
                }
            }
            #expect(worst <= Self.tolerance, "trial \(trial): \(maps)×\(h)×\(w) chunk \(chunk)")
        }
    }

    @Test("the scan is a linear operator of x that depends only on earlier columns (causality)")
    func causality() {
        let (maps, h, w) = (2, 6, 9)
        var rng = SplitMix64(seed: 9)
        let count = maps * h * w
        let lam = Self.random(count, &rng)
        let gm = Self.random(count, &rng, scale: 0.3, offset: 0.3), g0 = Self.random(count, &rng, scale: 0.3, offset: 0.3)
        let gp = Self.random(count, &rng, scale: 0.3, offset: 0.3)
        var x = Self.random(count, &rng)
        let base = Self.swiftScan(x: x, lam: lam, gm: gm, g0: g0, gp: gp, maps: maps, height: h, width: w, chunk: w)
        // Perturb column 5 of map 1: columns < 5 and map 0 must not change.
        for r in 0..<h { x[(1 * h + r) * w + 5] += 1 }
        let moved = Self.swiftScan(x: x, lam: lam, gm: gm, g0: g0, gp: gp, maps: maps, height: h, width: w, chunk: w)
        for m in 0..<maps {
            for r in 0..<h {
                for j in 0..<w {
                    let i = (m * h + r) * w + j
                    if m == 0 || j < 5 { #expect(moved[i] == base[i]) }
                }
            }
        }
    }

    // MARK: core

    struct CoreCase: CustomTestStringConvertible, Sendable {
        var channels: Int, state: Int, side: Int, chunk: Int
        var testDescription: String { "C'=\(channels) d_s=\(state) \(side)×\(side) chunk \(chunk)" }
    }

    @Test("GSPNCore matches the reference on random weights", arguments: [
        CoreCase(channels: 3, state: 2, side: 5, chunk: 5),
        CoreCase(channels: 2, state: 3, side: 6, chunk: 2),
        CoreCase(channels: 4, state: 2, side: 4, chunk: 3),
        CoreCase(channels: 1, state: 1, side: 1, chunk: 2),
    ])
    func coreMatchesReference(_ c: CoreCase) throws {
        var rng = SplitMix64(seed: UInt64(c.channels * 97 + c.state * 13 + c.side + c.chunk))
        let (cc, s, n) = (c.channels, c.state, c.side * c.side)
        let x = Self.random(cc * n, &rng)
        let weights = GSPNCoreWeights(
            down: Self.random(s * cc, &rng, scale: 0.8), up: Self.random(12 * cc * s, &rng, scale: 2),
            lambda: Self.random(4 * cc * s, &rng), u: Self.random(4 * cc * s, &rng), d: Self.random(4 * cc * s, &rng),
            merge: Self.random(4, &rng), channels: cc, state: s)
        let dir = try TestSupport.temporaryDirectory("gspn-core")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files: [(String, [Float], [Int])] = [
            ("x", x, [cc, c.side, c.side]), ("down", weights.down, [s, cc]), ("up", weights.up, [12 * cc, s]),
            ("lam", weights.lambda, [4 * cc, s]), ("u", weights.u, [4 * cc, s]), ("d", weights.d, [4 * cc, s]),
            ("merge", weights.merge, [4]),
        ]
        for (name, v, shape) in files { try TestSupport.writeNPY(v, shape: shape, to: dir.appendingPathComponent("\(name).npy")) }
        let outURL = dir.appendingPathComponent("out.npy")
        try TestSupport.runPython(Self.script, ["core", dir.path, outURL.path, "--chunk", "\(c.chunk)"])
        let got = try GSPNCore.forward(x, height: c.side, width: c.side, weights: weights, chunk: c.chunk)
        #expect(got.count == cc * n)
        #expect(Self.maxAbsDiff(got, try Self.readNPY(outURL)) <= Self.tolerance)
    }

    static func tinyWeights(channels: Int = 2, state: Int = 2) -> GSPNCoreWeights {
        let (c, s) = (channels, state)
        return GSPNCoreWeights(down: .init(repeating: 0.1, count: s * c), up: .init(repeating: 0.1, count: 12 * c * s),
                               lambda: .init(repeating: 0.1, count: 4 * c * s), u: .init(repeating: 0.1, count: 4 * c * s),
                               d: .init(repeating: 0.1, count: 4 * c * s), merge: [0.25, 0.25, 0.25, 0.25], channels: c, state: s)
    }

    @Test("GSPNCore rejects non-square maps with a clear error")
    func coreRejectsNonSquare() {
        let w = Self.tinyWeights()
        #expect(throws: GSPNCoreError.self) { try GSPNCore.forward(.init(repeating: 0, count: 2 * 4 * 6), height: 4, width: 6, weights: w, chunk: 2) }
        do {
            _ = try GSPNCore.forward(.init(repeating: 0, count: 2 * 4 * 6), height: 4, width: 6, weights: w, chunk: 2)
            Issue.record("no error for a 4×6 map")
        } catch let error as GSPNCoreError {
            #expect(error.description.contains("square"))
            #expect(error.description.contains("H = 4, W = 6"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("GSPNCore rejects mismatched weights and inputs")
    func coreRejectsMismatches() {
        var w = Self.tinyWeights()
        w.up.removeLast()
        #expect(throws: GSPNCoreError.self) { try GSPNCore.forward(.init(repeating: 0, count: 2 * 9), height: 3, width: 3, weights: w, chunk: 3) }
        var m = Self.tinyWeights()
        m.merge = [1, 1]
        #expect(throws: GSPNCoreError.self) { try GSPNCore.forward(.init(repeating: 0, count: 2 * 9), height: 3, width: 3, weights: m, chunk: 3) }
        #expect(throws: GSPNCoreError.self) { try GSPNCore.forward(.init(repeating: 0, count: 17), height: 3, width: 3, weights: Self.tinyWeights(), chunk: 3) }
        #expect(throws: GSPNCoreError.self) { try GSPNCore.forward(.init(repeating: 0, count: 18), height: 3, width: 3, weights: Self.tinyWeights(), chunk: 0) }
    }

    // MARK: benchmark (no timing assertion)

    @Test("GSPNBenchmark reports positive figures")
    func benchmarkRuns() {
        let r = GSPNBenchmark.scanThroughput(maps: 4, height: 16, width: 16)
        #expect(r.scanGBps > 0 && r.copyGBps > 0)
    }

    /// Set VTOK_GSPN_BENCH=1 (release build) to print the large-input figures.
    @Test("GSPN scan throughput vs copy (prints; VTOK_GSPN_BENCH=1)",
          .enabled(if: ProcessInfo.processInfo.environment["VTOK_GSPN_BENCH"] == "1"))
    func benchmarkLarge() {
        for (maps, side) in [(256, 128), (64, 256), (16, 512)] {
            let r = GSPNBenchmark.scanThroughput(maps: maps, height: side, width: side)
            print(String(format: "GSPN scan %d×%d×%d: scan %.2f GB/s, copy %.2f GB/s (%.0f%%)",
                         maps, side, side, r.scanGBps, r.copyGBps, 100 * r.scanGBps / r.copyGBps))
        }
    }
}
