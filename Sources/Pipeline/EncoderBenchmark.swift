import Encoders
import Foundation
import Reduction
import TensorCore
import VideoIO

/// Times a C-RADIO encoder dense and sparse on random frames, beside the BLAS peak for a large
/// square product measured in the same run (`vtok bench encoder`).
public struct EncoderBenchmark {
    /// Figures of one benchmark.
    public struct Result: Sendable, Codable {
        public var embedDim: Int
        public var depth: Int
        public var frames: Int
        public var side: Int
        /// GFLOP/s of `cblas_sgemm` on a 2048² product.
        public var sgemmGFLOPS: Double
        public var denseSeconds: Double
        public var denseGFLOPS: Double
        public var sparseTokens: Int
        public var sparseSeconds: Double
        /// Peak resident memory of the process, bytes.
        public var peakMemory: Int

        /// Dense throughput as a fraction of the sgemm peak.
        public var denseEfficiency: Double { denseGFLOPS / sgemmGFLOPS }
        /// How many times faster the sparse forward is.
        public var sparseSpeedup: Double { denseSeconds / sparseSeconds }
    }

    public let encoder: RADIOEncoder

    public init(encoder: RADIOEncoder) {
        self.encoder = encoder
    }

    /// Runs the benchmark: `frames` random frames of `side`², dense, then sparse keeping `keep`
    /// of the patches of each frame (a fixed random subset).
    public func run(frames: Int, side: Int, keep: Double) throws -> Result {
        let c = encoder.config
        var state: UInt64 = 0x9E37_79B9
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        let images = (0..<frames).map { _ in (0..<(3 * side * side)).map { _ in next() } }
        let grid = side / c.patchSize

        let m = 2048
        let a = Matrix(rows: m, columns: m, repeating: 0.5), b = Matrix(rows: m, columns: m, repeating: 0.25)
        _ = Matrix.matmul(a, b)
        var t0 = Stopwatch.now()
        _ = Matrix.matmul(a, b)
        let sgemm = 2 * Double(m * m * m) / Stopwatch.seconds(since: t0) / 1e9

        _ = try encoder.encode(images: Array(images.prefix(1)), width: side, height: side)  // warm-up
        t0 = Stopwatch.now()
        _ = try encoder.encode(images: images, width: side, height: side)
        let dense = Stopwatch.seconds(since: t0)

        var set = Patchifier(patchSize: c.patchSize).tokens(
            of: images.enumerated().map { i, pixels in
                VideoFrameFactory.frame(t: i, side: side, pixels: pixels)
            })
        set = set.filtered(by: (0..<set.count).map { _ in Double(next()) < keep })
        t0 = Stopwatch.now()
        _ = try encoder.encode(set)
        let sparse = Stopwatch.seconds(since: t0)

        let denseFLOPs = EncoderFLOPs.flops(tokens: grid * grid, config: c) * Double(frames)
        return Result(
            embedDim: c.embedDim, depth: c.depth, frames: frames, side: side, sgemmGFLOPS: sgemm, denseSeconds: dense,
            denseGFLOPS: denseFLOPs / dense / 1e9, sparseTokens: set.count, sparseSeconds: sparse,
            peakMemory: Self.peakResidentBytes())
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

/// Random frames for benchmarks.
enum VideoFrameFactory {
    static func frame(t: Int, side: Int, pixels: [Float]) -> VideoFrame {
        VideoFrame(sampleIndex: t, index: t, pts: Double(t), isKeyframe: t == 0, width: side, height: side, pixels: pixels)
    }
}
