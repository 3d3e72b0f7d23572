import TensorCore

/// Weights of a ``GSPNViTBlock`` (vtok's own parameter names, under a prefix `p`):
///
/// | key | shape |
/// |---|---|
/// | `p.norm1.{weight,bias}`, `p.norm2.{weight,bias}` | `[D]` |
/// | `p.mixer.down.weight` | `[Cp, D]` (no bias) |
/// | `p.mixer.core.{x_conv_down,w_conv_up,l_conv_up,u_conv_up,d_conv,m_conv}.weight` | as `GSPNv1` (B.4) with C′ = Cp |
/// | `p.mixer.norm.{weight,bias}` | `[Cp]` |
/// | `p.mixer.up.{weight,bias}` | `[D, Cp]`, `[D]` |
/// | `p.mlp.fc1.{weight,bias}`, `p.mlp.fc2.{weight,bias}` | `[M, D]`, `[M]`, `[D, M]`, `[D]` |
public struct GSPNViTBlockWeights: Sendable {
    public var dim: Int
    public var latent: Int
    public var mlpDim: Int
    public var norm1Weight: [Float], norm1Bias: [Float]
    public var down: [Float]
    public var core: GSPNCoreWeights
    public var mixerNormWeight: [Float], mixerNormBias: [Float]
    public var up: [Float], upBias: [Float]
    public var norm2Weight: [Float], norm2Bias: [Float]
    public var fc1: [Float], fc1Bias: [Float]
    public var fc2: [Float], fc2Bias: [Float]

    public init(dim: Int, latent: Int, mlpDim: Int, norm1Weight: [Float], norm1Bias: [Float], down: [Float],
                core: GSPNCoreWeights, mixerNormWeight: [Float], mixerNormBias: [Float], up: [Float], upBias: [Float],
                norm2Weight: [Float], norm2Bias: [Float], fc1: [Float], fc1Bias: [Float], fc2: [Float], fc2Bias: [Float]) {
        self.dim = dim; self.latent = latent; self.mlpDim = mlpDim
        self.norm1Weight = norm1Weight; self.norm1Bias = norm1Bias; self.down = down; self.core = core
        self.mixerNormWeight = mixerNormWeight; self.mixerNormBias = mixerNormBias; self.up = up; self.upBias = upBias
        self.norm2Weight = norm2Weight; self.norm2Bias = norm2Bias
        self.fc1 = fc1; self.fc1Bias = fc1Bias; self.fc2 = fc2; self.fc2Bias = fc2Bias
    }

    /// Loads the block under `prefix` (e.g. `"blocks.3"`) from `path`, checking every shape.
    public static func load(path: String, prefix: String) throws(GSPNError) -> GSPNViTBlockWeights {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw GSPNError("GSPN weights: \(error.description)") }
        let r = GSPNTensorReader(file: file)
        let p = prefix.isEmpty ? "" : prefix + "."
        let n1 = try r.shape(p + "norm1.weight")
        guard n1.count == 1 else { throw GSPNError("GSPN weights \(path): tensor '\(p)norm1.weight' has shape \(n1), expected [D]") }
        let d = n1[0]
        let ds = try r.shape(p + "mixer.down.weight")
        guard ds.count == 2 else { throw GSPNError("GSPN weights \(path): tensor '\(p)mixer.down.weight' has shape \(ds), expected [Cp, \(d)]") }
        let cp = ds[0]
        let st = try r.shape(p + "mixer.core.x_conv_down.weight")
        guard st.count == 4 else { throw GSPNError("GSPN weights \(path): tensor '\(p)mixer.core.x_conv_down.weight' has shape \(st), expected [d_s, \(cp), 1, 1]") }
        let f1 = try r.shape(p + "mlp.fc1.weight")
        guard f1.count == 2 else { throw GSPNError("GSPN weights \(path): tensor '\(p)mlp.fc1.weight' has shape \(f1), expected [M, \(d)]") }
        let m = f1[0]
        return GSPNViTBlockWeights(
            dim: d, latent: cp, mlpDim: m,
            norm1Weight: try r.floats(p + "norm1.weight", [d]), norm1Bias: try r.floats(p + "norm1.bias", [d]),
            down: try r.floats(p + "mixer.down.weight", [cp, d]),
            core: try r.core(p + "mixer.core.", channels: cp, state: st[0]),
            mixerNormWeight: try r.floats(p + "mixer.norm.weight", [cp]), mixerNormBias: try r.floats(p + "mixer.norm.bias", [cp]),
            up: try r.floats(p + "mixer.up.weight", [d, cp]), upBias: try r.floats(p + "mixer.up.bias", [d]),
            norm2Weight: try r.floats(p + "norm2.weight", [d]), norm2Bias: try r.floats(p + "norm2.bias", [d]),
            fc1: try r.floats(p + "mlp.fc1.weight", [m, d]), fc1Bias: try r.floats(p + "mlp.fc1.bias", [m]),
            fc2: try r.floats(p + "mlp.fc2.weight", [d, m]), fc2Bias: try r.floats(p + "mlp.fc2.bias", [d]))
    }
}

/// A ViT-style encoder block whose token mixer is GSPN propagation in a compressed latent space,
/// so that a hybrid stack can mix attention blocks and GSPN blocks on the same token layout.
///
/// **This is vtok's own design.** C-GSPN (CVPR 2026, arXiv 2606.00746) describes "a ViT block in
/// which self-attention is replaced by GSPN propagation in a compressed latent space, with fused
/// normalisation and lightweight projections", but its exact block is not public (no code, no
/// weights; spec B.9). This block follows that block diagram and nothing more.
///
/// Tokens: `x = [prefix (T rows); grid (h·w rows, row-major)]`, width D; the grid must be square.
/// With LN eps 1e-6 (ViT convention), Cp the latent width, `keep` the grid cells present:
/// ```
/// a      = LN1(x)
/// v_g    = W_down · a_g                  (D → Cp, no bias), grid tokens; v_g = 0 at pruned cells
/// h      = GSPNCore(v_g on the h×w grid) four-direction line scans in Cp channels (B.1–B.4)
/// m      = mean of h over the kept cells
/// o_g    = W_up · LN_p(h_g) + b_up       grid tokens   (LN_p: the "fused" latent norm, eps 1e-6)
/// o_t    = W_up · LN_p(W_down·a_t + m) + b_up    prefix token t: outside the scan, it reads the
///                                                 mean of the propagated grid
/// x      = x + o
/// x      = x + fc2(GELU(fc1(LN2(x))))
/// ```
/// Prefix tokens inject nothing into the grid (they are not scanned and the grid does not read
/// them); they summarise it. Pruned cells inject no input into the scan (their v is 0, and the
/// proxy projections have no bias, so λ·v = 0 and the state passes through them under the uniform
/// gates σ(0)); no output is produced for them (their rows are returned as 0). With every cell
/// kept the sparse path equals the dense one.
public struct GSPNViTBlock: Sendable {
    public let weights: GSPNViTBlockWeights
    /// Columns per scan chunk (the grid width for a global block).
    public var chunk: Int

    public init(weights: GSPNViTBlockWeights, chunk: Int) {
        self.weights = weights
        self.chunk = chunk
    }

    /// Runs the block on `x [(prefixCount + gridHeight·gridWidth) × D]`; `keep` has one flag per
    /// grid cell (nil: all kept). Pruned grid rows of the result are 0.
    public func forward(_ x: [Float], prefixCount: Int, gridHeight: Int, gridWidth: Int, keep: [Bool]? = nil) throws(GSPNError) -> [Float] {
        let w = weights
        let d = w.dim, cp = w.latent, t = prefixCount, n = gridHeight * gridWidth, rows = t + n
        guard gridHeight == gridWidth else {
            throw GSPNError("GSPN ViT block needs a square grid (the four-direction scan transposes it): got \(gridWidth)×\(gridHeight)")
        }
        guard x.count == rows * d else { throw GSPNError("GSPN ViT block input has \(x.count) values, expected (\(t) + \(n))×\(d)") }
        if let keep, keep.count != n { throw GSPNError("GSPN ViT block keep mask has \(keep.count) flags, expected \(n)") }
        let a = GSPNOps.layerNorm(x, rows: rows, dim: d, GSPNNorm(weight: w.norm1Weight, bias: w.norm1Bias), eps: 1e-6)
        var v = GSPNOps.linear(a, rows: rows, inDim: d, weight: w.down, bias: nil, outDim: cp)   // [rows, Cp]
        var grid = Array(v[(t * cp)...])
        GSPNOps.mask(&grid, dim: cp, keep: keep)
        let h: [Float]
        do {
            let core = try GSPNCore.forward(GSPNOps.toChannelFirst(grid, pixels: n, channels: cp),
                                            height: gridHeight, width: gridWidth, weights: w.core, chunk: chunk)
            h = GSPNOps.toChannelLast(core, pixels: n, channels: cp)
        } catch {
            throw GSPNError("GSPN ViT block: \(error)")
        }
        var mean = [Float](repeating: 0, count: cp)
        var kept = 0
        for p in 0..<n where keep?[p] ?? true {
            kept += 1
            for c in 0..<cp { mean[c] += h[p * cp + c] }
        }
        if kept > 0 { for c in 0..<cp { mean[c] /= Float(kept) } }
        for r in 0..<t { for c in 0..<cp { v[r * cp + c] += mean[c] } }
        v.replaceSubrange((t * cp)..., with: h)
        let ln = GSPNOps.layerNorm(v, rows: rows, dim: cp, GSPNNorm(weight: w.mixerNormWeight, bias: w.mixerNormBias), eps: 1e-6)
        let o = GSPNOps.linear(ln, rows: rows, inDim: cp, weight: w.up, bias: w.upBias, outDim: d)
        var out = x
        for i in 0..<out.count { out[i] += o[i] }
        let b = GSPNOps.layerNorm(out, rows: rows, dim: d, GSPNNorm(weight: w.norm2Weight, bias: w.norm2Bias), eps: 1e-6)
        var hidden = GSPNOps.linear(b, rows: rows, inDim: d, weight: w.fc1, bias: w.fc1Bias, outDim: w.mlpDim)
        GSPNOps.gelu(&hidden)
        let mlp = GSPNOps.linear(hidden, rows: rows, inDim: w.mlpDim, weight: w.fc2, bias: w.fc2Bias, outDim: d)
        for i in 0..<out.count { out[i] += mlp[i] }
        if let keep {
            for p in 0..<n where !keep[p] { for c in 0..<d { out[(t + p) * d + c] = 0 } }
        }
        return out
    }
}
