import COpenBLAS
import Foundation

/// Numeric building blocks of the encoder: BLAS products and row-wise operations, spread over the
/// cores where they are not already inside BLAS.
enum Kernels {
    /// Cores used for the row-wise loops.
    static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body` over `0..<count` split into contiguous chunks, in parallel when worthwhile.
    static func parallelRows(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let chunks = min(workers, count, max(1, count * work / 32_768))
        if chunks <= 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let run = escapable
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                run((count * c / chunks)..<(count * (c + 1) / chunks))
            }
        }
    }

    /// `C[M×N] = alpha · A[M×K] · op(B) + beta · C` (row-major, leading dimensions given), where
    /// op(B) is `Bᵀ` (B stored N×K) when `transposeB`, else B (K×N).
    @inline(__always)
    static func gemm(_ m: Int, _ n: Int, _ k: Int, alpha: Float = 1,
                     _ a: UnsafePointer<Float>, _ lda: Int,
                     _ b: UnsafePointer<Float>, _ ldb: Int, transposeB: Bool,
                     beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `out[rows×outDim] = x[rows×inDim] · Wᵀ + bias` with W stored `[outDim, inDim]` (PyTorch Linear).
    static func linear(_ x: UnsafePointer<Float>, rows: Int, inDim: Int,
                       weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outDim: Int,
                       into out: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        if let bias {
            parallelRows(rows, work: outDim / 8) { range in
                for r in range { (out + r * outDim).update(from: bias, count: outDim) }
            }
        }
        gemm(rows, outDim, inDim, x, inDim, weight, inDim, transposeB: true, beta: bias == nil ? 0 : 1, out, outDim)
    }

    /// Row-wise LayerNorm with biased variance: `out = (x − μ)/√(σ² + eps) · w + b`.
    static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, dim: Int, weight: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, eps: Float, into out: UnsafeMutablePointer<Float>) {
        parallelRows(rows, work: dim * 4) { range in
            for r in range {
                let src = x + r * dim, dst = out + r * dim
                var sum: Float = 0
                for i in 0..<dim { sum += src[i] }
                let mean = sum / Float(dim)
                var sq: Float = 0
                for i in 0..<dim { let d = src[i] - mean; sq += d * d }
                let inv = 1 / (sq / Float(dim) + eps).squareRoot()
                for i in 0..<dim { dst[i] = (src[i] - mean) * inv * weight[i] + bias[i] }
            }
        }
    }

    /// Exact GELU in place: `0.5·x·(1 + erf(x/√2))`.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let block = 4096
        let blocks = (count + block - 1) / block
        parallelRows(blocks, work: block * 8) { range in
            for b in range {
                for i in (b * block)..<min(count, (b + 1) * block) {
                    let v = x[i]
                    x[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752))
                }
            }
        }
    }

    /// `x[i·ld + j] += scale[j] ⊙ y[i·ld + j]` for the given rows (scale `nil` = 1).
    static func addResidual(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, rows: Range<Int>, dim: Int,
                            scale: UnsafePointer<Float>?) {
        parallelRows(rows.count, work: dim) { range in
            for r in range {
                let row = rows.lowerBound + r
                let dst = x + row * dim, src = y + row * dim
                if let scale {
                    for j in 0..<dim { dst[j] += scale[j] * src[j] }
                } else {
                    for j in 0..<dim { dst[j] += src[j] }
                }
            }
        }
    }

    /// Numerically stable softmax of each of `rows` rows of length `n` (stride `n`), in place.
    static func softmaxRows(_ s: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
        let vectors = n / 8
        parallelRows(rows, work: n * 8) { range in
            for r in range {
                let row = s + r * n
                let raw = UnsafeMutableRawPointer(row)
                var top8 = SIMD8<Float>(repeating: -.infinity)
                for v in 0..<vectors {
                    let x = raw.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self)
                    top8.replace(with: x, where: x .> top8)
                }
                var top = top8.max()
                for j in (vectors * 8)..<n where row[j] > top { top = row[j] }
                let shift = SIMD8<Float>(repeating: top)
                var sum8 = SIMD8<Float>(repeating: 0)
                for v in 0..<vectors {
                    let e = exp8(raw.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self) - shift)
                    raw.storeBytes(of: e, toByteOffset: v * 32, as: SIMD8<Float>.self)
                    sum8 += e
                }
                var sum = sum8.sum()
                for j in (vectors * 8)..<n { let e = expf(row[j] - top); row[j] = e; sum += e }
                let inv = 1 / sum
                let inv8 = SIMD8<Float>(repeating: inv)
                for v in 0..<vectors {
                    let e = raw.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self) * inv8
                    raw.storeBytes(of: e, toByteOffset: v * 32, as: SIMD8<Float>.self)
                }
                for j in (vectors * 8)..<n { row[j] *= inv }
            }
        }
    }

    /// `exp` of 8 lanes (Cephes `expf` range reduction and polynomial, about 1 ulp); inputs below
    /// −87.3 give ≈1e-38 instead of 0, which is harmless for softmax.
    @inline(__always)
    static func exp8(_ value: SIMD8<Float>) -> SIMD8<Float> {
        let low = SIMD8<Float>(repeating: -87.3), high = SIMD8<Float>(repeating: 88.3)
        var x = value.replacing(with: low, where: .!(value .>= low))   // also maps NaN/−∞ to low
        x.replace(with: high, where: x .> high)
        // Round to the nearest integer with the 1.5·2²³ trick; the integer sits in the low mantissa bits.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = x * 1.44269504088896341 + magic
        let n = shifted - magic
        x = x - n * 0.693359375
        x = x + n * 2.12194440e-4
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * x + 1.3981999507e-3
        p = p * x + 8.3334519073e-3
        p = p * x + 4.1665795894e-2
        p = p * x + 1.6666665459e-1
        p = p * x + 5.0000001201e-1
        p = p * (x * x) + x + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let bits = (integer &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: SIMD8<Float>.self)
    }
}
