import Encoders
import Foundation
import Reduction
import Testing
import TensorCore
import TestSupport

/// Timing of a real-shaped model, run only when `VTOK_RADIO_BENCH` names a checkpoint
/// (e.g. one from `radio_reference.py make-checkpoint DIR --embed 768 --depth 12 --heads 12
/// --mlp 3072 --prefix 4 --num-cls 2 --dtype f16`). Build in release for meaningful numbers.
@Suite struct RADIOBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["VTOK_RADIO_BENCH"] != nil))
    func denseVersusSparse() throws {
        let env = ProcessInfo.processInfo.environment
        let path = env["VTOK_RADIO_BENCH"]!
        let side = Int(env["VTOK_RADIO_BENCH_SIZE"] ?? "512")!
        let frames = Int(env["VTOK_RADIO_BENCH_FRAMES"] ?? "1")!
        let encoder = try RADIOEncoder(path: path)
        let c = encoder.config
        var rng = SplitMix64(seed: 1)
        let images = (0..<frames).map { _ in (0..<(3 * side * side)).map { _ in rng.nextUnit() } }
        let g = side / 16, n = g * g
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        // Peak sgemm on a large square product, for reference.
        let m = 2048
        let a = Matrix(rows: m, columns: m, repeating: 0.5), b = Matrix(rows: m, columns: m, repeating: 0.25)
        _ = Matrix.matmul(a, b)
        let tg = seconds { _ = Matrix.matmul(a, b) }
        let gemmGF = 2 * Double(m * m * m) / tg / 1e9
        let D = Double(c.embedDim), Mlp = Double(c.mlpDim), L = Double(c.depth)
        func flops(_ tokens: Double, _ perFrame: Double) -> Double {
            // Linear layers over all tokens + attention per frame.
            let t = tokens + Double(frames * c.prefixTokens)
            let linear = 2 * t * (4 * D * D + 2 * D * Mlp) * L + 2 * tokens * 768 * D
            let attention = 4 * Double(frames) * perFrame * perFrame * D * L
            return linear + attention
        }
        _ = try encoder.encode(images: images, width: side, height: side)
        let td = try seconds { _ = try encoder.encode(images: images, width: side, height: side) }
        var keep = [[Bool]]()
        for _ in 0..<frames { keep.append((0..<n).map { _ in rng.nextUnit() < 0.25 }) }
        let set = RADIOEncoderTests.tokenSet(images, width: side, height: side, keep: keep)
        let ts = try seconds { _ = try encoder.encode(set) }
        let fd = flops(Double(frames * n), Double(n + c.prefixTokens))
        print(String(format: "RADIO bench D=%d L=%d heads=%d mlp=%d, %d frame(s) %dx%d, BLAS threads %d: sgemm %dx%d %.1f GFLOP/s; dense %.3f s (%.1f ms/frame, %.1f GFLOP/s = %.0f%% of sgemm); sparse %d tokens (%.0f%%) %.3f s (%.2fx faster)",
                     c.embedDim, c.depth, c.heads, c.mlpDim, frames, side, side, BLAS.threadCount, m, m, gemmGF,
                     td, td * 1000 / Double(frames), fd / td / 1e9, 100 * fd / td / 1e9 / gemmGF,
                     set.count, 100 * Double(set.count) / Double(frames * n), ts, td / ts))
    }
}
