import COpenBLAS
import Foundation

/// The gaze model's LLaMA decoder (`LlamaForCausalLM_MultiTokenPred`) with a key/value cache.
///
/// Pre-norm layers: `h += o_proj(attention(RMSNorm(h)))`, `h += down(silu(gate(m)) · up(m))` with
/// `m = RMSNorm(h)`; RMSNorm is `x / sqrt(mean(x²) + ε) · w`; attention is causal over everything
/// fed so far (softmax of `q·k / √D`), with RoPE applied to queries and keys at the positions the
/// caller gives. No biases. The final RMSNorm is applied to the last fed row only, which is all
/// generation needs; ``heads(_:)`` turns it into K × vocab logits and K loss predictions.
///
/// Tokens that upstream feeds but masks (padded gaze slots) are simply never fed here: a masked
/// key contributes nothing, and a padded query's output is never read.
struct GazeDecoder {
    private let config: GazeModelConfig
    private let weights: GazeModelWeights
    private let rope: GazeRotaryEmbedding
    /// Per layer, cached keys (after RoPE) and values, `[length, KV·D]` each.
    private var keys: [[Float]]
    private var values: [[Float]]
    /// Rows fed so far.
    private(set) var length = 0

    init(config: GazeModelConfig, weights: GazeModelWeights, rope: GazeRotaryEmbedding) {
        self.config = config
        self.weights = weights
        self.rope = rope
        keys = Array(repeating: [], count: config.numHiddenLayers)
        values = keys
    }

    /// The token embeddings `[ids.count, hidden]`.
    func embed(_ ids: [Int]) -> [Float] {
        let H = config.hiddenSize
        var out = [Float](repeating: 0, count: ids.count * H)
        for (row, id) in ids.enumerated() {
            for i in 0..<H { out[row * H + i] = weights.tokenEmbedding[id * H + i] }
        }
        return out
    }

    /// Feeds `rows` input embeddings `x` (`[rows, hidden]`) at the given RoPE positions after the
    /// cached ones, caches their keys and values, and returns the final-normed hidden state of
    /// the last row.
    mutating func feed(_ x: [Float], positions: [Int]) -> [Float] {
        let c = config
        let n = positions.count
        let H = c.hiddenSize
        let D = c.headDim
        let heads = c.numAttentionHeads
        let kvHeads = c.numKeyValueHeads
        let group = heads / kvHeads
        let qWidth = heads * D
        let kvWidth = kvHeads * D
        let qkvWidth = qWidth + 2 * kvWidth
        let inter = c.intermediateSize
        let eps = Float(c.rmsNormEps)
        precondition(x.count == n * H && n > 0, "decoder input has the wrong size")
        let start = length
        let total = start + n
        let (cosTable, sinTable) = rope.tables(positions: positions)

        var h = x
        var normed = [Float](repeating: 0, count: n * H)
        var qkv = [Float](repeating: 0, count: n * qkvWidth)
        var attention = [Float](repeating: 0, count: n * qWidth)
        var scores = [Float](repeating: 0, count: n * total)
        var inverseSumBuffer = [Float](repeating: 0, count: n)
        var gateUp = [Float](repeating: 0, count: n * 2 * inter)
        var activated = [Float](repeating: 0, count: n * inter)
        let scale = 1 / Float(D).squareRoot()

        for (index, layer) in weights.layers.enumerated() {
            Self.rmsNorm(h, weight: layer.inputNorm, rows: n, width: H, eps: eps, into: &normed)
            Self.gemm(normed, layer.qkv, into: &qkv, m: n, n: qkvWidth, k: H)
            qkv.withUnsafeMutableBufferPointer { buffer in
                cosTable.withUnsafeBufferPointer { cosines in
                    sinTable.withUnsafeBufferPointer { sines in
                        let base = buffer.baseAddress!
                        rope.apply(to: base, rows: n, stride: qkvWidth, heads: heads, cos: cosines.baseAddress!, sin: sines.baseAddress!)
                        rope.apply(to: base + qWidth, rows: n, stride: qkvWidth, heads: kvHeads, cos: cosines.baseAddress!, sin: sines.baseAddress!)
                    }
                }
            }
            if keys[index].capacity < total * kvWidth {
                // grow geometrically: reserveCapacity alone may reallocate to the exact size every step
                let capacity = max(total, 2 * start, 512) * kvWidth
                keys[index].reserveCapacity(capacity)
                values[index].reserveCapacity(capacity)
            }
            for row in 0..<n {
                let from = row * qkvWidth + qWidth
                keys[index].append(contentsOf: qkv[from..<(from + kvWidth)])
                values[index].append(contentsOf: qkv[(from + kvWidth)..<(from + 2 * kvWidth)])
            }

            // attention, head by head: scores = q·Kᵀ/√D, causal softmax, · V
            qkv.withUnsafeBufferPointer { q in
                keys[index].withUnsafeBufferPointer { k in
                    values[index].withUnsafeBufferPointer { v in
                        scores.withUnsafeMutableBufferPointer { s in
                            attention.withUnsafeMutableBufferPointer { out in
                                inverseSumBuffer.withUnsafeMutableBufferPointer { inverseSums in
                                    for head in 0..<heads {
                                        Self.attend(
                                            query: q.baseAddress! + head * D, queryStride: qkvWidth,
                                            keys: k.baseAddress! + (head / group) * D, values: v.baseAddress! + (head / group) * D,
                                            keyStride: kvWidth, rows: n, start: start, width: D, scale: scale,
                                            scores: s.baseAddress!, inverseSums: inverseSums.baseAddress!,
                                            output: out.baseAddress! + head * D, outputStride: qWidth)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Self.gemm(attention, layer.output, into: &h, m: n, n: H, k: qWidth, accumulate: true)

            // SwiGLU MLP
            Self.rmsNorm(h, weight: layer.postAttentionNorm, rows: n, width: H, eps: eps, into: &normed)
            Self.gemm(normed, layer.gateUp, into: &gateUp, m: n, n: 2 * inter, k: H)
            for row in 0..<n {
                let base = row * 2 * inter
                for i in 0..<inter {
                    let g = gateUp[base + i]
                    activated[row * inter + i] = g / (1 + expf(-g)) * gateUp[base + inter + i]
                }
            }
            Self.gemm(activated, layer.down, into: &h, m: n, n: H, k: inter, accumulate: true)
        }
        length = total

        let last = Array(h[((n - 1) * H)..<(n * H)])
        var out = [Float](repeating: 0, count: H)
        Self.rmsNorm(last, weight: weights.finalNorm, rows: 1, width: H, eps: eps, into: &out)
        return out
    }

    /// The K × vocab logits (head i at `[i·vocab, (i+1)·vocab)`) and K loss predictions of a
    /// final-normed hidden state.
    func heads(_ hidden: [Float]) -> (logits: [Float], losses: [Float]) {
        let H = config.hiddenSize
        let K = config.numMultiTokenPred
        var logits = [Float](repeating: 0, count: K * config.vocabSize)
        var losses = [Float](repeating: 0, count: K)
        Self.gemv(weights.lmHead, hidden, into: &logits, rows: K * config.vocabSize, columns: H)
        Self.gemv(weights.lossHead, hidden, into: &losses, rows: K, columns: H)
        return (logits, losses)
    }

    // MARK: - Kernels

    /// `out = x·Wᵀ` (or `out += x·Wᵀ`) for `x` `[m, k]`, `W` `[n, k]`.
    private static func gemm(_ x: [Float], _ w: [Float], into out: inout [Float], m: Int, n: Int, k: Int, accumulate: Bool = false) {
        x.withUnsafeBufferPointer { a in
            w.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                        1, a.baseAddress, Int32(k), b.baseAddress, Int32(k),
                        accumulate ? 1 : 0, c.baseAddress, Int32(n))
                }
            }
        }
    }

    /// `out = W·x` for `W` `[rows, columns]`.
    private static func gemv(_ w: [Float], _ x: [Float], into out: inout [Float], rows: Int, columns: Int) {
        w.withUnsafeBufferPointer { a in
            x.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { y in
                    cblas_sgemv(
                        CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns),
                        1, a.baseAddress, Int32(columns), v.baseAddress, 1, 0, y.baseAddress, 1)
                }
            }
        }
    }

    /// LLaMA RMSNorm of each row: `x / sqrt(mean(x²) + ε) · w`.
    private static func rmsNorm(_ x: [Float], weight: [Float], rows: Int, width: Int, eps: Float, into out: inout [Float]) {
        x.withUnsafeBufferPointer { src in
            weight.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { dst in
                    for row in 0..<rows {
                        let v = src.baseAddress! + row * width
                        let o = dst.baseAddress! + row * width
                        var squares: Float = 0
                        for i in 0..<width { squares += v[i] * v[i] }
                        let inverse = 1 / (squares / Float(width) + eps).squareRoot()
                        for i in 0..<width { o[i] = w[i] * (v[i] * inverse) }
                    }
                }
            }
        }
    }

    /// One attention head for `rows` queries after `start` cached keys: `softmax(q·Kᵀ·scale)·V`
    /// with the causal mask, over `start + rows` keys and values (row strides as given).
    private static func attend(
        query: UnsafePointer<Float>, queryStride: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
        keyStride: Int, rows: Int, start: Int, width: Int, scale: Float,
        scores: UnsafeMutablePointer<Float>, inverseSums: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        let total = start + rows
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(total), Int32(width),
            scale, query, Int32(queryStride), keys, Int32(keyStride), 0, scores, Int32(total))
        causalExponentials(scores, rows: rows, columns: total, start: start, inverseSums: inverseSums)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(width), Int32(total),
            1, scores, Int32(total), values, Int32(keyStride), 0, output, Int32(outputStride))
        for row in 0..<rows {
            let norm = inverseSums[row]
            let o = output + row * outputStride
            for i in 0..<width { o[i] *= norm }
        }
    }

    /// Exponentiates each row of `s` (`[rows, columns]`) over its visible columns
    /// `0...start + row` after subtracting the row maximum, sets the later columns to 0 (the
    /// causal mask), and writes `1 / Σ exp` of each row to `inverseSums`. The caller multiplies
    /// the attention output rows by it, which is the softmax normalisation.
    private static func causalExponentials(
        _ s: UnsafeMutablePointer<Float>, rows: Int, columns: Int, start: Int, inverseSums: UnsafeMutablePointer<Float>
    ) {
        for row in 0..<rows {
            let r = s + row * columns
            let visible = start + row + 1
            // four independent lanes keep the reductions short (and let the compiler vectorise)
            var m0 = -Float.infinity, m1 = -Float.infinity, m2 = -Float.infinity, m3 = -Float.infinity
            var j = 0
            while j + 4 <= visible {
                m0 = r[j] > m0 ? r[j] : m0
                m1 = r[j + 1] > m1 ? r[j + 1] : m1
                m2 = r[j + 2] > m2 ? r[j + 2] : m2
                m3 = r[j + 3] > m3 ? r[j + 3] : m3
                j += 4
            }
            while j < visible {
                m0 = r[j] > m0 ? r[j] : m0
                j += 1
            }
            let maximum = Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
            for k in 0..<visible { r[k] = fastExp(r[k] - maximum) }
            var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
            j = 0
            while j + 4 <= visible {
                s0 += r[j]
                s1 += r[j + 1]
                s2 += r[j + 2]
                s3 += r[j + 3]
                j += 4
            }
            while j < visible {
                s0 += r[j]
                j += 1
            }
            inverseSums[row] = 1 / ((s0 + s1) + (s2 + s3))
            for k in visible..<columns { r[k] = 0 }
        }
    }

    /// `exp(x)` for `x ≤ 0` (softmax arguments), within about 2 ulp of `expf`, written without
    /// calls so that the compiler vectorises the loops using it: `2ⁿ · p(r)` with
    /// `n = round(x / ln 2)`, `r = x − n·ln 2` (ln 2 split in two parts) and a degree-6 polynomial.
    @inline(__always)
    static func fastExp(_ x: Float) -> Float {
        let clamped: Float = x > -87 ? x : -87  // also maps NaN to -87
        // Adding 1.5·2²³ rounds x/ln 2 to the nearest integer n and leaves n in the low mantissa bits.
        let shifted = clamped * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = (clamped - n * 0.693_359_375) + n * 2.121_944_4e-4
        var p: Float = 1.987_569_1e-4
        p = p * r + 1.398_199_9e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_5e-1
        p = p * r + 5e-1
        p = p * r * r + r + 1
        let bias: UInt32 = 127 &- 0x4B40_0000
        let scale = Float(bitPattern: (shifted.bitPattern &+ bias) &<< 23)
        return x > -87 ? p * scale : 0
    }
}
