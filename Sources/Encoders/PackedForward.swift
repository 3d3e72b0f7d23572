/// Patch tokens of several frames packed for one forward pass. Each frame's tokens are contiguous
/// (frame 0 first); each token carries its raw pixels and its cell in its own patch grid.
struct PackedTokens {
    /// Pixels in [0,1], `count × 3·P·P`, each token in (c, yy, xx) order.
    var pixels: [Float]
    /// Grid row and column of each token, and the size of the grid it belongs to.
    var row: [Int], col: [Int], gridRows: [Int], gridCols: [Int]
    /// The number of tokens of each frame, in order.
    var frameCounts: [Int]
    /// ViTDet windows: for each frame, the runs of its tokens (indices into that frame's tokens)
    /// that attend together in windowed layers; `nil` for global attention everywhere.
    var windows: [[Range<Int>]]? = nil

    var count: Int { row.count }
}

/// The last-layer states of a packed forward: each frame's rows are its T prefix tokens followed by
/// its patch tokens in the order given.
struct PackedOutput {
    var states: FloatBuffer
    var frameStarts: [Int]
}

extension RADIOEncoder {
    /// Runs the ViT (conditioner, patch embedding, CPE, prefix tokens, blocks, final norm) over
    /// `tokens`. Linear layers are single GEMMs over all rows; attention is block-diagonal over frames
    /// (or ViTDet windows).
    func forward(_ tokens: PackedTokens) -> PackedOutput {
        let c = config, w = weights
        let D = c.embedDim, T = c.prefixTokens, M = c.mlpDim, H = c.heads, hd = c.headDim
        let patchDim = 3 * c.patchSize * c.patchSize
        let area = c.patchSize * c.patchSize
        let frames = tokens.frameCounts.count
        var frameStarts: [Int] = []
        var n = 0
        for count in tokens.frameCounts { frameStarts.append(n); n += T + count }
        let np = tokens.count

        let x = FloatBuffer(count: n * D)
        // 1–3. Conditioner + patch embedding (one GEMM) + CPE.
        do {
            let patches = FloatBuffer(count: np * patchDim)
            let scale = (0..<3).map { 1 / w.std[$0] }
            tokens.pixels.withUnsafeBufferPointer { src in
                Kernels.parallelRows(np, work: patchDim) { range in
                    for t in range {
                        for ch in 0..<3 {
                            let base = t * patchDim + ch * area
                            let m = w.mean[ch], s = scale[ch]
                            for i in base..<(base + area) { patches.pointer[i] = (src[i] - m) * s }
                        }
                    }
                }
            }
            let embedded = FloatBuffer(count: np * D)
            Kernels.linear(patches.pointer, rows: np, inDim: patchDim, weight: w.embed.pointer, bias: nil,
                           outDim: D, into: embedded.pointer)
            var rowOf = [Int](repeating: 0, count: np)
            var t = 0
            for f in 0..<frames {
                for k in 0..<tokens.frameCounts[f] { rowOf[t] = frameStarts[f] + T + k; t += 1 }
                (x.pointer + frameStarts[f] * D).update(from: w.prefix.pointer, count: T * D)
            }
            let cpe = CPE(grid: c.cpeGrid, alignCorners: c.alignCorners)
            Kernels.parallelRows(np, work: D * 4) { range in
                for t in range {
                    let dst = x.pointer + rowOf[t] * D
                    dst.update(from: embedded.pointer + t * D, count: D)
                    cpe.add(row: tokens.row[t], col: tokens.col[t], rows: tokens.gridRows[t], cols: tokens.gridCols[t],
                            table: w.posEmbed.pointer, dim: D, to: dst)
                }
            }
        }

        // Attention segments: global (prefix + frame) and, with ViTDet, windows (patch rows only).
        let global = (0..<frames).map { frameStarts[$0]..<(frameStarts[$0] + T + tokens.frameCounts[$0]) }
        var windowed: [Range<Int>] = []
        if let windows = tokens.windows {
            for f in 0..<frames {
                for r in windows[f] {
                    windowed.append((frameStarts[f] + T + r.lowerBound)..<(frameStarts[f] + T + r.upperBound))
                }
            }
        }
        let patchRows: [Range<Int>] = (0..<frames).map { (frameStarts[$0] + T)..<(frameStarts[$0] + T + tokens.frameCounts[$0]) }
        let longest = max(global.map(\.count).max() ?? 0, windowed.map(\.count).max() ?? 0)

        let a = FloatBuffer(count: n * D)
        let qkv = FloatBuffer(count: n * 3 * D)
        let attn = FloatBuffer(count: n * D)
        let hidden = FloatBuffer(count: n * max(M, D))
        let scores = FloatBuffer(count: longest * longest)
        let alpha = 1 / Float(hd).squareRoot()

        for (index, block) in w.blocks.enumerated() {
            let isWindowed = c.isWindowed(block: index) && tokens.windows != nil
            let segments = isWindowed ? windowed : global
            // Rows whose state the block updates (prefix rows are held aside in windowed layers).
            let updated: [Range<Int>] = isWindowed ? patchRows : [0..<n]

            Kernels.layerNorm(x.pointer, rows: n, dim: D, weight: block.norm1Weight.pointer,
                              bias: block.norm1Bias.pointer, eps: 1e-6, into: a.pointer)
            Kernels.linear(a.pointer, rows: n, inDim: D, weight: block.qkvWeight.pointer, bias: block.qkvBias.pointer,
                           outDim: 3 * D, into: qkv.pointer)
            for segment in segments {
                let L = segment.count, base = qkv.pointer + segment.lowerBound * 3 * D
                for head in 0..<H {
                    let q = base + head * hd, k = base + D + head * hd, v = base + 2 * D + head * hd
                    Kernels.gemm(L, L, hd, alpha: alpha, q, 3 * D, k, 3 * D, transposeB: true, beta: 0, scores.pointer, L)
                    Kernels.softmaxRows(scores.pointer, rows: L, n: L)
                    Kernels.gemm(L, hd, L, scores.pointer, L, v, 3 * D, transposeB: false, beta: 0,
                                 attn.pointer + segment.lowerBound * D + head * hd, D)
                }
            }
            Kernels.linear(attn.pointer, rows: n, inDim: D, weight: block.projWeight.pointer, bias: block.projBias.pointer,
                           outDim: D, into: a.pointer)
            for rows in updated {
                Kernels.addResidual(x.pointer, a.pointer, rows: rows, dim: D, scale: block.layerScale1?.pointer)
            }

            Kernels.layerNorm(x.pointer, rows: n, dim: D, weight: block.norm2Weight.pointer,
                              bias: block.norm2Bias.pointer, eps: 1e-6, into: a.pointer)
            Kernels.linear(a.pointer, rows: n, inDim: D, weight: block.fc1Weight.pointer, bias: block.fc1Bias.pointer,
                           outDim: M, into: hidden.pointer)
            Kernels.gelu(hidden.pointer, count: n * M)
            if let nw = block.mlpNormWeight, let nb = block.mlpNormBias {
                Kernels.layerNorm(hidden.pointer, rows: n, dim: M, weight: nw.pointer, bias: nb.pointer, eps: 1e-6,
                                  into: hidden.pointer)
            }
            Kernels.linear(hidden.pointer, rows: n, inDim: M, weight: block.fc2Weight.pointer, bias: block.fc2Bias.pointer,
                           outDim: D, into: a.pointer)
            for rows in updated {
                Kernels.addResidual(x.pointer, a.pointer, rows: rows, dim: D, scale: block.layerScale2?.pointer)
            }
        }
        if let fw = w.finalNormWeight, let fb = w.finalNormBias {
            Kernels.layerNorm(x.pointer, rows: n, dim: D, weight: fw.pointer, bias: fb.pointer, eps: 1e-6, into: x.pointer)
        }
        return PackedOutput(states: x, frameStarts: frameStarts)
    }

    /// Writes frame `f`'s summary (`summaryIndices` prefix rows, concatenated) to `out`.
    func writeSummary(_ output: PackedOutput, frame f: Int, to out: UnsafeMutablePointer<Float>) {
        let D = config.embedDim
        for (i, index) in config.summaryIndices.enumerated() {
            (out + i * D).update(from: output.states.pointer + (output.frameStarts[f] + index) * D, count: D)
        }
    }

    /// Gathers the state rows `rows` into `out` (`rows.count × D`), then applies the feature
    /// normalizer `(f − μ)·Txᵀ` (one GEMM) when the checkpoint has one.
    func writeFeatures(_ output: PackedOutput, rows: [Int], to out: UnsafeMutablePointer<Float>) {
        let D = config.embedDim, count = rows.count
        let mean = weights.featureMean?.pointer
        Kernels.parallelRows(count, work: D) { range in
            for i in range {
                let dst = out + i * D, src = output.states.pointer + rows[i] * D
                if let mean {
                    for d in 0..<D { dst[d] = src[d] - mean[d] }
                } else {
                    dst.update(from: src, count: D)
                }
            }
        }
        guard let tx = weights.featureTx, count > 0 else { return }
        let centred = FloatBuffer(count: count * D)
        centred.pointer.update(from: out, count: count * D)
        Kernels.gemm(count, D, D, centred.pointer, D, tx.pointer, D, transposeB: true, beta: 0, out, D)
    }
}
