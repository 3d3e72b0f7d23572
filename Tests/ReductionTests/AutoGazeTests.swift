import Foundation
@testable import Reduction
import TestSupport
import Testing
import VideoIO

/// AutoGaze frames: a smooth background with a moving bright square (or a still one).
enum GazeClip {
    static func frames(count: Int, side: Int = 224, moving: Bool = true, seed: UInt64 = 3) -> [VideoFrame] {
        var random = SyntheticVideo.Random(state: seed)
        let plane = side * side
        var background = [Float](repeating: 0, count: 3 * plane)
        for c in 0..<3 {
            for y in 0..<side {
                for x in 0..<side {
                    let wave = sin(Float(x) * 0.05 + Float(c)) * cos(Float(y) * 0.04) * 0.25 + 0.5
                    background[c * plane + y * side + x] = wave + (random.next() - 0.5) * 0.02
                }
            }
        }
        return (0..<count).map { t in
            var pixels = background
            let shift = moving ? t * 9 : 0
            let (sx, sy) = (20 + shift % (side - 60), 40 + (shift / 2) % (side - 60))
            for c in 0..<3 {
                for y in sy..<(sy + 30) {
                    for x in sx..<(sx + 30) { pixels[c * plane + y * side + x] = c == 1 ? 0.1 : 0.95 }
                }
            }
            return VideoFrame(sampleIndex: t, index: t, pts: Double(t) / 10, isKeyframe: t == 0, width: side, height: side, pixels: pixels)
        }
    }
}

@Suite struct GazeLayoutTests {
    @Test func idsAndGeometry() throws {
        #expect(GazeLayout.localID(scale: 3, row: 0, col: 0) == 0)
        #expect(GazeLayout.localID(scale: 3, row: 1, col: 1) == 3)
        #expect(GazeLayout.localID(scale: 2, row: 0, col: 0) == 4)
        #expect(GazeLayout.localID(scale: 1, row: 0, col: 0) == 20)
        #expect(GazeLayout.localID(scale: 0, row: 0, col: 0) == 69)
        #expect(GazeLayout.localID(scale: 0, row: 13, col: 13) == 264)
        for id in 0..<265 {
            let (s, r, c) = GazeLayout.cell(ofLocalID: id)
            #expect(GazeLayout.localID(scale: s, row: r, col: c) == id)
        }
        let wide = try GazeLayout(width: 448, height: 448)
        #expect(wide.tiles == 2 && wide.tokensPerFrame == 1060 && wide.finestTokensPerFrame == 784)
        #expect(wide.stitchedID(scale: 3, row: 0, col: 0) == 0)
        #expect(wide.stitchedID(scale: 2, row: 0, col: 0) == 16)
        #expect(wide.stitchedID(scale: 0, row: 27, col: 27) == 1059)
        #expect(throws: ReductionError.self) { try GazeLayout(width: 512, height: 512) }
    }
}

@Suite struct GreedyGazeTests {
    /// Runs the reducer over frames, returns the kept tokens and the meter's figures.
    static func reduce(_ frames: [VideoFrame], spec: String, clip: Int = 3) throws -> (TokenSet, FidelityMeter, AutoGazeReducer) {
        let reducer = try AutoGazeReducer(options: try AutoGazeOptions(ReducerSpec(parsing: spec)))
        let meter = FidelityMeter()
        var kept = TokenSet(dimension: 768)
        kept.cellSizes = GazeLayout.cellSizes
        let sink: TokenSink = { out in
            kept.append(contentsOf: out)
            try meter.recordKept(out)
        }
        for start in stride(from: 0, to: frames.count, by: clip) {
            let set = Patchifier().tokens(of: Array(frames[start..<min(frames.count, start + clip)]))
            try meter.recordOriginal(set)
            try reducer.process(set, emit: sink)
        }
        try reducer.finish(emit: sink)
        return (kept, meter, reducer)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var params: String
        var spec: String
        var side: Int
        var frames: Int
        var testDescription: String { "\(spec) at \(side)" }
    }

    @Test(arguments: [
        Case(params: #"{"psnr": 30}"#, spec: "autogaze:psnr=30", side: 224, frames: 4),
        Case(params: #"{"psnr": 36, "max_ratio": 0.2}"#, spec: "autogaze:psnr=36,max-ratio=0.2", side: 224, frames: 3),
        Case(params: #"{"l1": 0.02}"#, spec: "autogaze:l1=0.02", side: 224, frames: 3),
        Case(params: #"{"psnr": 28}"#, spec: "autogaze:psnr=28", side: 448, frames: 2),
    ])
    func matchesTheNumPyReference(_ c: Case) throws {
        let frames = GazeClip.frames(count: c.frames, side: c.side)
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let npy = dir.appendingPathComponent("frames.npy")
        try TestSupport.writeNPY(frames.flatMap(\.pixels), shape: [frames.count, 3, c.side, c.side], to: npy)
        let params = dir.appendingPathComponent("params.json")
        try Data(c.params.utf8).write(to: params)
        let out = dir.appendingPathComponent("out.json")
        try TestSupport.runPython("tools/reference/autogaze_greedy_reference.py", [npy.path, params.path, out.path])
        let expected = try TestSupport.readJSON(out)

        // Pick order and per-tile error, straight from the selector.
        let layout = try GazeLayout(width: c.side, height: c.side)
        let options = try AutoGazeOptions(ReducerSpec(parsing: c.spec))
        let target: (GreedyGazeSelector.Metric, Double) =
            switch options.target {
            case .psnr(let db): (.squared, pow(10, -db / 10))
            case .l1(let tau): (.absolute, tau)
            case .predictedLoss: (.squared, 0)
            }
        var selectors = Array(
            repeating: GreedyGazeSelector(metric: target.0, targetError: target.1, cap: options.cap),
            count: layout.tiles * layout.tiles)
        let expectedPicks = expected["picks"] as! [[[Int]]]
        let expectedErrors = expected["frame_error"] as! [[Double]]
        for (t, frame) in frames.enumerated() {
            for tile in 0..<(layout.tiles * layout.tiles) {
                let (ty, tx) = (tile / layout.tiles, tile % layout.tiles)
                var pixels = [Float]()
                for ch in 0..<3 {
                    for y in 0..<224 {
                        let from = ch * c.side * c.side + (ty * 224 + y) * c.side + tx * 224
                        pixels += frame.pixels[from..<(from + 224)]
                    }
                }
                let result = selectors[tile].select(TilePyramid(tile: pixels))
                #expect(result.ids == expectedPicks[t][tile], "frame \(t) tile \(tile)")
                #expect(abs(result.error - expectedErrors[t][tile]) <= 1e-6 * max(1e-9, expectedErrors[t][tile]))
            }
        }

        // The whole reducer: same tokens, and the meter's PSNR equals the reference's.
        let (kept, meter, _) = try Self.reduce(frames, spec: c.spec)
        let expectedTokens = (expected["tokens"] as! [[Int]])
        #expect(kept.coords.map { [Int($0.t), Int($0.row), Int($0.col), Int($0.scale)] } == expectedTokens)
        #expect(kept.tokensPerFrame == (expected["tokens_per_frame"] as! [Int]))
        let mse = expected["mse"] as! Double
        #expect(abs(meter.meanSquaredError - mse) <= 1e-5 * mse)
    }

    @Test func stillClipNeedsOneTokenPerFrameAfterTheFirst() throws {
        let (kept, _, reducer) = try Self.reduce(GazeClip.frames(count: 5, moving: false), spec: "autogaze:psnr=30")
        #expect(kept.tokensPerFrame.dropFirst().allSatisfy { $0 == 1 })
        #expect(kept.tokensPerFrame[0] > 1)
        #expect(reducer.framesShortOfTarget == 0)
    }

    @Test func tokensGoWhereTheSquareMoves() throws {
        let frames = GazeClip.frames(count: 4)
        let (kept, _, _) = try Self.reduce(frames, spec: "autogaze:psnr=32")
        // After frame 0, every kept cell overlaps the square's old or new position.
        for (i, coord) in kept.coords.enumerated() where coord.t > 0 {
            let cell = kept.cellSizes[Int(coord.scale)]
            let (y0, x0) = (Int(coord.row) * cell, Int(coord.col) * cell)
            let t = Int(coord.t)
            let hit = [t - 1, t].contains { k in
                let shift = k * 9
                let (sx, sy) = (20 + shift % 164, 40 + (shift / 2) % 164)
                return x0 < sx + 30 && sx < x0 + cell && y0 < sy + 30 && sy < y0 + cell
            }
            #expect(hit, "token \(i) at \(coord) is away from the square")
        }
    }

    @Test func targetMetOrCapHitOnEveryFrame() throws {
        let frames = GazeClip.frames(count: 4)
        for spec in ["autogaze:psnr=33", "autogaze:psnr=45,max-ratio=0.1", "autogaze:l1=0.01"] {
            let (kept, meter, _) = try Self.reduce(frames, spec: spec)
            let options = try AutoGazeOptions(ReducerSpec(parsing: spec))
            for (t, count) in kept.tokensPerFrame.enumerated() {
                if count < options.cap, case .psnr(let db) = options.target {
                    #expect(meter.framePSNR[t] >= db - 1e-6, "\(spec) frame \(t)")
                }
                #expect(count >= 1 && count <= options.cap)
            }
        }
    }

    @Test("bad options give one clear line", arguments: [
        ("autogaze", "needs psnr=dB"), ("autogaze:psnr=30,l1=0.1", "not both"), ("autogaze:psnr=-3", "(0, 100)"),
        ("autogaze:l1=2", "[0, 1)"), ("autogaze:psnr=30,max-ratio=0", "(0, 1]"), ("autogaze:threshold=0.7", "model="),
        ("autogaze:psnr=30,speed=2", "unknown option 'speed'"),
    ])
    func badOptions(_ text: String, _ fragment: String) {
        do {
            _ = try AutoGazeOptions(ReducerSpec(parsing: text))
            Issue.record("accepted \(text)")
        } catch {
            #expect(String(describing: error).contains(fragment), "\(error)")
            #expect(!String(describing: error).contains("\n"))
        }
    }
}
