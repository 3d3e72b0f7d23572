import Encoders
import Foundation
import Reduction
import TensorCore
import VideoIO

/// Times a vision encoder on every patch of random frames and on a random subset, beside the
/// BLAS peak for a large square product measured in the same run (`vtok bench encoder`).
public struct EncoderBenchmark {
    /// Figures of one benchmark.
    public struct Result: Sendable, Codable {
        public var encoder: String
        public var featureWidth: Int
        public var frames: Int
        public var side: Int
        /// GFLOP/s of `cblas_sgemm` on a 2048² product.
        public var sgemmGFLOPS: Double
        public var denseSeconds: Double
        /// Achieved GFLOP/s of the dense run, for encoders that count their FLOPs.
        public var denseGFLOPS: Double?
        public var sparseTokens: Int
        public var sparseSeconds: Double
        /// Peak resident memory of the process, bytes.
        public var peakMemory: Int

        /// Dense throughput as a fraction of the sgemm peak.
        public var denseEfficiency: Double? { denseGFLOPS.map { $0 / sgemmGFLOPS } }
        /// How many times faster the sparse forward is.
        public var sparseSpeedup: Double { denseSeconds / sparseSeconds }
    }

    public let encoder: any VisionEncoder

    public init(encoder: any VisionEncoder) {
        self.encoder = encoder
    }

    /// Runs the benchmark: `frames` random frames of `side`², dense, then sparse keeping `keep`
    /// of the patches of each frame (a fixed random subset).
    public func run(frames: Int, side: Int, keep: Double) throws -> Result {
        var state: UInt64 = 0x9E37_79B9
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        let patch = ResolvedPipeline.patchSize
        let all = Patchifier(patchSize: patch).tokens(
            of: (0..<frames).map { i in
                VideoFrame(
                    sampleIndex: i, index: i, pts: Double(i), isKeyframe: i == 0, width: side, height: side,
                    pixels: (0..<(3 * side * side)).map { _ in next() })
            })
        let subset = all.filtered(by: (0..<all.count).map { _ in Double(next()) < keep })

        let m = 2048
        let a = Matrix(rows: m, columns: m, repeating: 0.5), b = Matrix(rows: m, columns: m, repeating: 0.25)
        _ = Matrix.matmul(a, b)
        var t0 = Stopwatch.now()
        _ = Matrix.matmul(a, b)
        let sgemm = 2 * Double(m * m * m) / Stopwatch.seconds(since: t0) / 1e9

        var warm = all
        warm.frames = Array(all.frames.prefix(1))
        warm = warm.filtered(by: all.coords.map { $0.t == 0 })
        _ = try encoder.encodeClip(warm)
        t0 = Stopwatch.now()
        _ = try encoder.encodeClip(all)
        let dense = Stopwatch.seconds(since: t0)
        t0 = Stopwatch.now()
        _ = try encoder.encodeClip(subset)
        let sparse = Stopwatch.seconds(since: t0)

        let grid = side / patch
        let denseFLOPs = encoder.flops(tokensPerFrame: grid * grid).map { $0 * Double(frames) }
        return Result(
            encoder: encoder.name, featureWidth: encoder.featureWidth, frames: frames, side: side, sgemmGFLOPS: sgemm,
            denseSeconds: dense, denseGFLOPS: denseFLOPs.map { $0 / dense / 1e9 }, sparseTokens: subset.count,
            sparseSeconds: sparse, peakMemory: Self.peakResidentBytes())
    }

    /// `VmHWM` from /proc/self/status.
    static func peakResidentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
}
