import Foundation

/// Dense building blocks of the GSPN backbone on channel-last token maps `[H·W, C]`.
enum GSPNOps {
    /// `[H·W, C]` → `[C, H·W]`.
    static func toChannelFirst(_ x: [Float], pixels: Int, channels: Int) -> [Float] {
        transpose(x, rows: pixels, cols: channels)
    }

    /// `[C, H·W]` → `[H·W, C]`.
    static func toChannelLast(_ x: [Float], pixels: Int, channels: Int) -> [Float] {
        transpose(x, rows: channels, cols: pixels)
    }

    /// Row-major `[rows, cols]` → `[cols, rows]`, tiled, the output rows split over the cores.
    static func transpose(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        let count = rows * cols
        var out = [Float](unsafeUninitializedCapacity: count) { _, c in c = count }
        x.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                let src = s.baseAddress!, dst = d.baseAddress!
                let tile = 32
                let tilesOut = (cols + tile - 1) / tile
                Kernels.parallelRows(tilesOut, work: rows * tile) { range in
                    for t in range {
                        let c0 = t * tile, c1 = min(cols, c0 + tile)
                        var r0 = 0
                        while r0 < rows {
                            let r1 = min(rows, r0 + tile)
                            for c in c0..<c1 {
                                let drow = dst + c * rows
                                for r in r0..<r1 { drow[r] = src[r * cols + c] }
                            }
                            r0 = r1
                        }
                    }
                }
            }
        }
        return out
    }

    /// `x += y` elementwise, over the cores.
    static func add(_ x: inout [Float], _ y: [Float]) {
        let n = x.count
        x.withUnsafeMutableBufferPointer { xs in
            y.withUnsafeBufferPointer { ys in
                let dst = xs.baseAddress!, src = ys.baseAddress!
                let block = 16_384
                Kernels.parallelRows((n + block - 1) / block, work: block) { range in
                    for b in range {
                        for i in (b * block)..<min(n, (b + 1) * block) { dst[i] += src[i] }
                    }
                }
            }
        }
    }

    /// `x · Wᵀ (+ bias)` for `x [rows, inDim]`, W `[outDim, inDim]`.
    static func linear(_ x: [Float], rows: Int, inDim: Int, weight: [Float], bias: [Float]?, outDim: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * outDim)
        x.withUnsafeBufferPointer { xs in
            weight.withUnsafeBufferPointer { ws in
                out.withUnsafeMutableBufferPointer { os in
                    if let bias {
                        bias.withUnsafeBufferPointer { bs in
                            Kernels.linear(xs.baseAddress!, rows: rows, inDim: inDim, weight: ws.baseAddress!,
                                           bias: bs.baseAddress!, outDim: outDim, into: os.baseAddress!)
                        }
                    } else {
                        Kernels.linear(xs.baseAddress!, rows: rows, inDim: inDim, weight: ws.baseAddress!,
                                       bias: nil, outDim: outDim, into: os.baseAddress!)
                    }
                }
            }
        }
        return out
    }

    /// LayerNorm over the channels of every row (LayerNorm2d on a channel-last map).
    static func layerNorm(_ x: [Float], rows: Int, dim: Int, _ n: GSPNNorm, eps: Float = 1e-5) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xs in
            n.weight.withUnsafeBufferPointer { w in
                n.bias.withUnsafeBufferPointer { b in
                    out.withUnsafeMutableBufferPointer { o in
                        Kernels.layerNorm(xs.baseAddress!, rows: rows, dim: dim, weight: w.baseAddress!,
                                          bias: b.baseAddress!, eps: eps, into: o.baseAddress!)
                    }
                }
            }
        }
        return out
    }

    static func gelu(_ x: inout [Float]) {
        let n = x.count
        x.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, count: n) }
    }

    /// Zeroes the rows whose `keep` entry is false (no-op for `nil`).
    static func mask(_ x: inout [Float], dim: Int, keep: [Bool]?) {
        guard let keep else { return }
        x.withUnsafeMutableBufferPointer { b in
            for (r, k) in keep.enumerated() where !k {
                (b.baseAddress! + r * dim).update(repeating: 0, count: dim)
            }
        }
    }

    /// Depthwise 7×7 convolution, padding 3, no bias, on a channel-first map `[C, H, W]`;
    /// weight `[C, 49]`.
    static func depthwise7(_ x: [Float], channels: Int, height: Int, width: Int, weight: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        let hw = height * width
        x.withUnsafeBufferPointer { xs in
            weight.withUnsafeBufferPointer { ws in
                out.withUnsafeMutableBufferPointer { os in
                    let src = xs.baseAddress!, wt = ws.baseAddress!, dst = os.baseAddress!
                    Kernels.parallelRows(channels, work: hw * 49) { range in
                        for c in range {
                            let plane = src + c * hw, o = dst + c * hw, k = wt + c * 49
                            for dy in 0..<7 {
                                for dx in 0..<7 {
                                    let w = k[dy * 7 + dx]
                                    let oy0 = max(0, 3 - dy), oy1 = min(height, height + 3 - dy)
                                    let ox0 = max(0, 3 - dx), ox1 = min(width, width + 3 - dx)
                                    guard ox0 < ox1, oy0 < oy1 else { continue }
                                    for oy in oy0..<oy1 {
                                        let srow = plane + (oy + dy - 3) * width + (dx - 3)
                                        let orow = o + oy * width
                                        for ox in ox0..<ox1 { orow[ox] += w * srow[ox] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// 3×3 stride-2 padding-1 convolution with bias on a channel-last map `[H·W, I]`
    /// (im2col + GEMM). Returns the channel-last output and its size `⌈H/2⌉ × ⌈W/2⌉`.
    static func conv3x3s2(_ x: [Float], height: Int, width: Int, _ conv: GSPNConv3x3) -> ([Float], Int, Int) {
        let ci = conv.input
        let ho = (height - 1) / 2 + 1, wo = (width - 1) / 2 + 1
        let k = ci * 9
        var cols = [Float](repeating: 0, count: ho * wo * k)
        x.withUnsafeBufferPointer { xs in
            cols.withUnsafeMutableBufferPointer { cs in
                let src = xs.baseAddress!, dst = cs.baseAddress!
                Kernels.parallelRows(ho, work: wo * k) { range in
                    for oy in range {
                        for ox in 0..<wo {
                            let row = dst + (oy * wo + ox) * k
                            for dy in 0..<3 {
                                let iy = 2 * oy + dy - 1
                                guard iy >= 0, iy < height else { continue }
                                for dx in 0..<3 {
                                    let ix = 2 * ox + dx - 1
                                    guard ix >= 0, ix < width else { continue }
                                    let pix = src + (iy * width + ix) * ci
                                    let tap = dy * 3 + dx
                                    for c in 0..<ci { row[c * 9 + tap] = pix[c] }
                                }
                            }
                        }
                    }
                }
            }
        }
        let out = linear(cols, rows: ho * wo, inDim: k, weight: conv.weight, bias: conv.bias, outDim: conv.output)
        return (out, ho, wo)
    }

    /// GRN on a channel-last map `[N, C]`: `Gx_c = ‖y_c‖₂` over the pixels (the kept ones when
    /// `keep` is given), `Nx_c = Gx_c / (mean_c Gx + 1e-6)`, `y = γ_c·(y·Nx_c) + β_c + y`.
    static func grn(_ y: inout [Float], rows: Int, dim: Int, gamma: [Float], beta: [Float], keep: [Bool]?) {
        var sq = [Double](repeating: 0, count: dim)
        y.withUnsafeBufferPointer { ys in
            for r in 0..<rows where keep?[r] ?? true {
                let row = ys.baseAddress! + r * dim
                for c in 0..<dim { sq[c] += Double(row[c]) * Double(row[c]) }
            }
        }
        let gx = sq.map { $0.squareRoot() }
        let mean = gx.reduce(0, +) / Double(dim)
        let nx = gx.map { Float($0 / (mean + 1e-6)) }
        let scale = (0..<dim).map { gamma[$0] * nx[$0] + 1 }
        y.withUnsafeMutableBufferPointer { ys in
            let base = ys.baseAddress!
            Kernels.parallelRows(rows, work: dim) { range in
                for r in range {
                    let row = base + r * dim
                    for c in 0..<dim { row[c] = row[c] * scale[c] + beta[c] }
                }
            }
        }
    }
}
