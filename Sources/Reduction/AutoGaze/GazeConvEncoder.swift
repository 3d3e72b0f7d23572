import COpenBLAS

/// The gaze model's vision encoder (`ShallowVideoConvNet` + `Connector`), frame by frame.
///
/// For each normalised frame `[3, S, S]` (S = 224):
/// 1. patch convolution `Conv3d(3→C, k=(1,P,P), s=P)` as one GEMM over the `[g², 3·P·P]` patch
///    matrix (g = S/P = 14, C = 192);
/// 2. `LayerNorm(C)` per token (ε 1e-5);
/// 3. each trunk block: causal `Conv3d(C→C, k=(3,3,3), padding (0,1,1))` over the block inputs of
///    frames t−2, t−1, t (zero frames before the clip start), as one im2col GEMM, then ReLU;
/// 4. `out_proj` (1×1×1 convolution) and the connector's learned position table.
///
/// The result is `g²` tokens of width C, row-major over the grid. The encoder keeps the last
/// `kt − 1` block inputs, so frames must be fed in order; make a new encoder per clip.
struct GazeConvEncoder {
    private let config: GazeModelConfig
    private let weights: GazeModelWeights
    /// Per trunk block, the inputs `[g², C]` of the previous `kt − 1` frames, oldest first.
    private var history: [[[Float]]]

    init(config: GazeModelConfig, weights: GazeModelWeights) {
        self.config = config
        self.weights = weights
        let zero = [Float](repeating: 0, count: config.visionTokensPerFrame * config.visionHiddenSize)
        history = Array(
            repeating: Array(repeating: zero, count: config.trunkTemporalKernelSize - 1),
            count: config.visionDepth)
    }

    /// The vision tokens `[g², C]` of the next frame, given as normalised planar RGB `[3, S, S]`.
    mutating func encode(normalizedFrame frame: [Float]) -> [Float] {
        let c = config
        let g = c.gridSize
        let P = c.patchSize
        let S = c.inputImageSize
        let tokens = g * g
        let C = c.visionHiddenSize
        let patchWidth = 3 * P * P

        // 1. patch matrix [g², 3·P·P] in (channel, y, x) order, then the patch GEMM
        var patches = [Float](repeating: 0, count: tokens * patchWidth)
        frame.withUnsafeBufferPointer { source in
            patches.withUnsafeMutableBufferPointer { target in
                let src = source.baseAddress!
                let dst = target.baseAddress!
                for py in 0..<g {
                    for px in 0..<g {
                        let row = dst + (py * g + px) * patchWidth
                        for channel in 0..<3 {
                            for y in 0..<P {
                                let from = src + channel * S * S + (py * P + y) * S + px * P
                                (row + channel * P * P + y * P).update(from: from, count: P)
                            }
                        }
                    }
                }
            }
        }
        var x = Self.linear(patches, rows: tokens, inputs: patchWidth, weight: weights.patchKernel, bias: weights.patchBias, outputs: C)

        // 2. LayerNorm over channels
        x.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            for token in 0..<tokens {
                let v = base + token * C
                var sum: Float = 0
                for i in 0..<C { sum += v[i] }
                let mean = sum / Float(C)
                var squares: Float = 0
                for i in 0..<C {
                    let d = v[i] - mean
                    squares += d * d
                }
                let scale = 1 / (squares / Float(C) + 1e-5).squareRoot()
                for i in 0..<C { v[i] = (v[i] - mean) * scale * weights.normWeight[i] + weights.normBias[i] }
            }
        }

        // 3. causal trunk blocks
        for (index, block) in weights.trunk.enumerated() {
            let frames = history[index] + [x]
            x = trunkConvolution(frames, block: block)
            history[index] = Array(frames.dropFirst())
        }

        // 4. out_proj and position table
        var out = Self.linear(x, rows: tokens, inputs: C, weight: weights.outputKernel, bias: weights.outputBias, outputs: c.visionOutputSize)
        for i in 0..<out.count { out[i] += weights.positionTable[i] }
        return out
    }

    /// `Conv3d(C→C, k=(kt,ks,ks), padding (0, ks/2, ks/2))` of the last frame over `frames`
    /// (`kt` inputs `[g², C]`, oldest first) as one im2col GEMM, then ReLU.
    private func trunkConvolution(_ frames: [[Float]], block: GazeModelWeights.TrunkBlock) -> [Float] {
        let g = config.gridSize
        let C = config.visionHiddenSize
        let ks = config.trunkSpatialKernelSize
        let pad = (ks - 1) / 2
        let offsets = frames.count * ks * ks
        let width = offsets * C
        var columns = [Float](repeating: 0, count: g * g * width)
        columns.withUnsafeMutableBufferPointer { target in
            let dst = target.baseAddress!
            for (dt, frame) in frames.enumerated() {
                frame.withUnsafeBufferPointer { source in
                    let src = source.baseAddress!
                    for y in 0..<g {
                        for x in 0..<g {
                            let row = dst + (y * g + x) * width
                            for dy in 0..<ks {
                                let sy = y + dy - pad
                                guard sy >= 0 && sy < g else { continue }
                                for dx in 0..<ks {
                                    let sx = x + dx - pad
                                    guard sx >= 0 && sx < g else { continue }
                                    let offset = (dt * ks + dy) * ks + dx
                                    (row + offset * C).update(from: src + (sy * g + sx) * C, count: C)
                                }
                            }
                        }
                    }
                }
            }
        }
        var out = Self.linear(columns, rows: g * g, inputs: width, weight: block.kernel, bias: block.bias, outputs: C)
        for i in 0..<out.count where out[i] < 0 { out[i] = 0 }
        return out
    }

    /// `x · Wᵀ + b` for `x` `[rows, inputs]` and `W` `[outputs, inputs]`.
    static func linear(_ x: [Float], rows: Int, inputs: Int, weight: [Float], bias: [Float], outputs: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * outputs)
        out.withUnsafeMutableBufferPointer { o in
            for row in 0..<rows { (o.baseAddress! + row * outputs).update(from: bias, count: outputs) }
        }
        x.withUnsafeBufferPointer { a in
            weight.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { o in
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs),
                        1, a.baseAddress, Int32(inputs), w.baseAddress, Int32(inputs), 1, o.baseAddress, Int32(outputs))
                }
            }
        }
        return out
    }
}
