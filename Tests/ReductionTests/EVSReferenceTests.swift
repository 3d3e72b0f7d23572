import Foundation
import Reduction
import TestSupport
import Testing

/// EVS against the independent NumPy reference in tools/reference/evs_reference.py.
@Suite struct EVSReferenceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var spec: String
        var params: String
        var clipFrames: Int
        var testDescription: String { spec }
    }

    static let cases: [Case] = [
        Case(spec: "evs:rate=0.7", params: #"{"mode":"rate","rate":0.7,"metric":"l1"}"#, clipFrames: 3),
        Case(spec: "evs:rate=0.5,metric=cosine", params: #"{"mode":"rate","rate":0.5,"metric":"cosine"}"#, clipFrames: 4),
        Case(spec: "evs:rate=0.9", params: #"{"mode":"rate","rate":0.9,"metric":"l1"}"#, clipFrames: 1),
        Case(spec: "evs:rate=0.6,refresh=4", params: #"{"mode":"rate","rate":0.6,"metric":"l1","refresh":4}"#, clipFrames: 5),
        Case(spec: "evs:threshold=0.04", params: #"{"mode":"threshold","threshold":0.04,"metric":"l1"}"#, clipFrames: 2),
        Case(
            spec: "evs:threshold=0.03,reference=kept",
            params: #"{"mode":"threshold","threshold":0.03,"metric":"l1","reference":"kept"}"#, clipFrames: 3),
        Case(
            spec: "evs:threshold=0.002,metric=cosine,refresh=3",
            params: #"{"mode":"threshold","threshold":0.002,"metric":"cosine","refresh":3}"#, clipFrames: 7),
    ]

    @Test(arguments: cases)
    func matchesReference(_ c: Case) throws {
        let frames = SyntheticVideo.frames(count: 10)
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let npy = dir.appendingPathComponent("frames.npy")
        try TestSupport.writeNPY(SyntheticVideo.stacked(frames), shape: [frames.count, 3, 64, 96], to: npy)
        let params = dir.appendingPathComponent("params.json")
        try Data(c.params.utf8).write(to: params)
        let out = dir.appendingPathComponent("out.json")
        try TestSupport.runPython("tools/reference/evs_reference.py", [npy.path, params.path, out.path])
        let expected = try TestSupport.readJSON(out)

        let reducer = EVSReducer(options: try EVSOptions(ReducerSpec(parsing: c.spec)), spoolBudget: 100_000)
        let patchifier = Patchifier()
        let meter = FidelityMeter(spoolBudget: 50_000)
        var kept: [TokenSet] = []
        let sink: TokenSink = { clip in
            kept.append(clip)
            try meter.recordKept(clip)
        }
        for start in stride(from: 0, to: frames.count, by: c.clipFrames) {
            let clip = patchifier.tokens(of: Array(frames[start..<min(frames.count, start + c.clipFrames)]))
            try meter.recordOriginal(clip)
            try reducer.process(clip, emit: sink)
        }
        try reducer.finish(emit: sink)

        let expectedKeep = (expected["keep"] as! [[Int]])
        var actualKeep = [[Int]](repeating: [Int](repeating: 0, count: 24), count: frames.count)
        for clip in kept {
            for coord in clip.coords { actualKeep[Int(coord.t)][Int(coord.row) * 6 + Int(coord.col)] = 1 }
        }
        #expect(actualKeep == expectedKeep)
        #expect(kept.flatMap(\.tokensPerFrame) == (expected["tokens_per_frame"] as! [Int]))
        #expect(kept.flatMap(\.frames).map(\.t) == Array(0..<frames.count), "every frame emitted once, in order")
        let mse = expected["mse"] as! Double
        #expect(abs(meter.meanSquaredError - mse) <= 1e-6 * max(mse, 1e-12))
        if let psnr = expected["psnr_db"] as? Double {
            #expect(abs(meter.psnr! - psnr) < 1e-4)
        } else {
            #expect(meter.psnr == nil)
        }
    }
}
