/// One `VSSBlock` of the GSPN-1 backbone with the `GSPNv1` op (spec B.5), on a channel-last map
/// `x [H·W, C]`:
///
/// ```
/// x = x + Op(LN2d(x))
/// x = x + fc2(GELU(fc1(LN2d(x))))                       (GELU with erf)
/// Op(h): u = in_proj(h)               C → C′, no bias, no activation
///        v = DWConv7×7(u)             pad 3, no bias
///        y = GSPNCore(v)              four directions, gates, U⊙Hs + D⊙X, 4→1 merge
///        y = GRN(out_norm(y))         LN2d eps 1e-5; GRN eps 1e-6
///        out_proj(y)                  C′ → C, no bias
/// ```
///
/// Sparse input (`keep`, one flag a pixel): pruned pixels hold 0 and inject nothing. The rows of
/// `LN2d(x)` and of the depthwise output `v` are zeroed at pruned pixels, so the scan sees `x = 0`
/// there; with no bias in the proxy projections, λ = U = Dskip = 0 and the gates are the uniform
/// σ(0) split, so the state passes through a pruned cell (mixed with its neighbours' states) and
/// nothing is added. GRN statistics are taken over kept pixels only, and the block's output is
/// zeroed at pruned pixels. With every pixel kept this is exactly the dense block.
struct GSPNBlock {
    let weights: GSPNBlockWeights

    func forward(_ x: [Float], height: Int, width: Int, chunk: Int, keep: [Bool]? = nil) throws -> [Float] {
        let w = weights
        let n = height * width, c = w.dim, ci = w.inner
        var h = GSPNOps.layerNorm(x, rows: n, dim: c, w.norm)
        GSPNOps.mask(&h, dim: c, keep: keep)
        let u = GSPNOps.linear(h, rows: n, inDim: c, weight: w.inProj, bias: nil, outDim: ci)
        var v = GSPNOps.depthwise7(GSPNOps.toChannelFirst(u, pixels: n, channels: ci),
                                   channels: ci, height: height, width: width, weight: w.dwConv)
        if let keep {
            v.withUnsafeMutableBufferPointer { b in
                for ch in 0..<ci { for p in 0..<n where !keep[p] { b[ch * n + p] = 0 } }
            }
        }
        let core = try GSPNCore.forward(v, height: height, width: width, weights: w.core, chunk: chunk)
        var y = GSPNOps.layerNorm(GSPNOps.toChannelLast(core, pixels: n, channels: ci), rows: n, dim: ci, w.outNorm)
        GSPNOps.mask(&y, dim: ci, keep: keep)
        GSPNOps.grn(&y, rows: n, dim: ci, gamma: w.grnGamma, beta: w.grnBeta, keep: keep)
        let op = GSPNOps.linear(y, rows: n, inDim: ci, weight: w.outProj, bias: nil, outDim: c)
        var out = x
        GSPNOps.add(&out, op)
        var m = GSPNOps.layerNorm(out, rows: n, dim: c, w.norm2)
        var hidden = GSPNOps.linear(m, rows: n, inDim: c, weight: w.fc1, bias: w.fc1Bias, outDim: 4 * c)
        GSPNOps.gelu(&hidden)
        m = GSPNOps.linear(hidden, rows: n, inDim: 4 * c, weight: w.fc2, bias: w.fc2Bias, outDim: c)
        GSPNOps.add(&out, m)
        GSPNOps.mask(&out, dim: c, keep: keep)
        return out
    }
}
