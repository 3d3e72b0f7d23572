import Foundation

/// An error in the GSPN propagation core: a shape that the released layout cannot handle or
/// weights whose sizes do not match. The description is one line.
public struct GSPNCoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

/// The GSPN-1 propagation core (spec B.3–B.4, `GSPNv1.forward_corev1`): proxy z = W_down·x (C'→d_s), raw gates W_up·z (→12C': g⁻,g⁰,g⁺ each 4C'), λ, U, Dskip (each d_s→4C'), the four directions stacked as x, xᵀ, flip_W(x), flip_W(xᵀ) with gates applied in the array frame (no inverse transform), the scan, Y = U⊙Hs + Dskip⊙X, and the 4→1 merge m_conv WITHOUT un-flipping/un-transposing (the released quirk). Square maps only (H == W): otherwise throw a clear error.
///
/// All weights are the released 1×1 conv weights with the trailing `1×1` dropped, i.e. `[out, in]`
/// row-major (`x_conv_down.weight [d_s,C',1,1]`, `w_conv_up.weight [12C',d_s,1,1]`,
/// `l_conv_up` / `u_conv_up` / `d_conv .weight [4C',d_s,1,1]`, `m_conv.weight [1,4,1,1]`); none has a bias.
public struct GSPNCoreWeights: Sendable {
    public var down: [Float]      // [d_s, C']
    public var up: [Float]        // [12C', d_s]
    public var lambda: [Float]    // [4C', d_s]
    public var u: [Float]         // [4C', d_s]
    public var d: [Float]         // [4C', d_s]
    public var merge: [Float]     // [4] (m_conv weight)
    public var channels: Int      // C'
    public var state: Int         // d_s
    public init(down: [Float], up: [Float], lambda: [Float], u: [Float], d: [Float], merge: [Float], channels: Int, state: Int) {
        self.down = down; self.up = up; self.lambda = lambda; self.u = u; self.d = d
        self.merge = merge; self.channels = channels; self.state = state
    }

    /// Throws when an array's size does not match `channels` and `state`.
    public func validate() throws {
        guard channels > 0, state > 0 else {
            throw GSPNCoreError("GSPN core: channels (\(channels)) and state (\(state)) must be positive")
        }
        let c = channels, s = state
        let expected: [(String, Int, Int, String)] = [
            ("down (x_conv_down)", down.count, s * c, "[\(s), \(c)]"),
            ("up (w_conv_up)", up.count, 12 * c * s, "[\(12 * c), \(s)]"),
            ("lambda (l_conv_up)", lambda.count, 4 * c * s, "[\(4 * c), \(s)]"),
            ("u (u_conv_up)", u.count, 4 * c * s, "[\(4 * c), \(s)]"),
            ("d (d_conv)", d.count, 4 * c * s, "[\(4 * c), \(s)]"),
            ("merge (m_conv)", merge.count, 4, "[4]"),
        ]
        for (name, got, want, shape) in expected where got != want {
            throw GSPNCoreError("GSPN core: \(name) has \(got) values, expected \(want) for shape \(shape) (C' = \(c), d_s = \(s))")
        }
    }
}

/// The propagation core of one GSPN-1 block (the part between the depthwise conv and `out_norm`).
///
/// For one image `x ∈ R^{C'×H×W}` (channel-first):
/// ```
/// z   = W_down · x                         [d_s, HW]      (x_conv_down, 1×1, no bias)
/// Ĝ   = W_up · z                           [12C', HW]     → Ĝ⁻ = rows 0..<4C', Ĝ⁰ = next 4C', Ĝ⁺ = last 4C'
/// λ, U, Ds = W_λ · z, W_U · z, W_D · z     [4C', HW] each (raw, no activation)
/// xs[k·C'+c] = x_c, x_cᵀ, flip_W(x_c), flip_W(x_cᵀ)  for k = 0…3
/// g   = normalize_w(Ĝ)                     (spec B.2)
/// Y   = U ⊙ Scan(xs; λ, g, chunk) + Ds ⊙ xs
/// y_c = Σ_k m_k · Y[k·C'+c]                (m_conv over the (4, C'·H, W) view)
/// ```
/// **Quirks reproduced from the released code** (`classification/models/gspn.py`):
/// * the gates, λ, U and Ds are computed from the un-transformed `x` and applied position-wise to the
///   transposed / flipped inputs (array frame, no inverse transform);
/// * the four direction outputs are merged by `m_conv` **without** un-flipping or un-transposing, so
///   directions 1–3 contribute in their transformed frames;
/// * the transpose needs square maps, so `H ≠ W` throws `GSPNCoreError`.
public enum GSPNCore {
    /// x: [C', H, W] (one image). Returns [C', H, W].
    public static func forward(_ x: [Float], height: Int, width: Int, weights: GSPNCoreWeights, chunk: Int) throws -> [Float] {
        try weights.validate()
        guard height == width else {
            throw GSPNCoreError("GSPN core: the four-direction stack transposes H and W, so it needs a square map; got H = \(height), W = \(width)")
        }
        guard height > 0 else { throw GSPNCoreError("GSPN core: empty map (H = W = 0)") }
        guard chunk >= 1 else { throw GSPNCoreError("GSPN core: chunk must be at least 1 (got \(chunk))") }
        let c = weights.channels, s = weights.state, n = height * width
        guard x.count == c * n else {
            throw GSPNCoreError("GSPN core: input has \(x.count) values, expected C'·H·W = \(c)·\(height)·\(width) = \(c * n)")
        }
        let k4 = 4 * c
        var z = [Float](repeating: 0, count: s * n)
        var gates = [Float](repeating: 0, count: 3 * k4 * n)
        var lam = [Float](repeating: 0, count: k4 * n)
        var uGate = [Float](repeating: 0, count: k4 * n)
        var dSkip = [Float](repeating: 0, count: k4 * n)
        var xs = [Float](repeating: 0, count: k4 * n)
        var hs = [Float](repeating: 0, count: k4 * n)
        var y = [Float](repeating: 0, count: c * n)

        x.withUnsafeBufferPointer { xp in
            let xb = xp.baseAddress!
            // 1×1 convs as channel-first GEMMs: out[O × HW] = W[O × I] · in[I × HW].
            weights.down.withUnsafeBufferPointer { wp in
                z.withUnsafeMutableBufferPointer { zp in
                    Kernels.gemm(s, n, c, wp.baseAddress!, c, xb, n, transposeB: false, beta: 0, zp.baseAddress!, n)
                }
            }
            z.withUnsafeBufferPointer { zp in
                let zb = zp.baseAddress!
                func project(_ w: [Float], _ rows: Int, _ out: inout [Float]) {
                    w.withUnsafeBufferPointer { wp in
                        out.withUnsafeMutableBufferPointer { op in
                            Kernels.gemm(rows, n, s, wp.baseAddress!, s, zb, n, transposeB: false, beta: 0, op.baseAddress!, n)
                        }
                    }
                }
                project(weights.up, 3 * k4, &gates)
                project(weights.lambda, k4, &lam)
                project(weights.u, k4, &uGate)
                project(weights.d, k4, &dSkip)
            }
            xs.withUnsafeMutableBufferPointer { sp in
                stackDirections(xb, channels: c, side: height, into: sp.baseAddress!)
            }
        }
        gates.withUnsafeMutableBufferPointer { gp in
            let g = gp.baseAddress!
            GSPNScan.normalizeGates(minus: g, zero: g + k4 * n, plus: g + 2 * k4 * n, maps: k4, height: height, width: width)
            xs.withUnsafeBufferPointer { sp in
                lam.withUnsafeBufferPointer { lp in
                    hs.withUnsafeMutableBufferPointer { hp in
                        GSPNScan.scan(input: sp.baseAddress!, lambda: lp.baseAddress!,
                                      gateMinus: g, gateZero: g + k4 * n, gatePlus: g + 2 * k4 * n,
                                      maps: k4, height: height, width: width, chunk: chunk, into: hp.baseAddress!)
                    }
                }
            }
        }
        // Y = U ⊙ Hs + Ds ⊙ xs, merged over the four directions in the array frame.
        let m = weights.merge
        let (m0, m1, m2, m3) = (m[0], m[1], m[2], m[3])
        let cn = c * n
        hs.withUnsafeBufferPointer { hp in
            uGate.withUnsafeBufferPointer { up in
                dSkip.withUnsafeBufferPointer { dp in
                    xs.withUnsafeBufferPointer { sp in
                        y.withUnsafeMutableBufferPointer { yp in
                            let h = hp.baseAddress!, u = up.baseAddress!, d = dp.baseAddress!, xv = sp.baseAddress!
                            let out = yp.baseAddress!
                            for i in 0..<cn {
                                let y0 = u[i] * h[i] + d[i] * xv[i]
                                let y1 = u[cn + i] * h[cn + i] + d[cn + i] * xv[cn + i]
                                let y2 = u[2 * cn + i] * h[2 * cn + i] + d[2 * cn + i] * xv[2 * cn + i]
                                let y3 = u[3 * cn + i] * h[3 * cn + i] + d[3 * cn + i] * xv[3 * cn + i]
                                out[i] = m0 * y0 + m1 * y1 + m2 * y2 + m3 * y3
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// Writes the four scan inputs `[4C', S, S]` for a square `x [C', S, S]`:
    /// k = 0: x, 1: xᵀ, 2: flip_W(x), 3: flip_W(xᵀ) (channel index k·C' + c).
    static func stackDirections(_ x: UnsafePointer<Float>, channels: Int, side: Int, into xs: UnsafeMutablePointer<Float>) {
        let n = side * side, cn = channels * n
        for ch in 0..<channels {
            let src = x + ch * n
            let d0 = xs + ch * n, d1 = xs + cn + ch * n, d2 = xs + 2 * cn + ch * n, d3 = xs + 3 * cn + ch * n
            for i in 0..<side {
                for j in 0..<side {
                    d0[i * side + j] = src[i * side + j]
                    d1[i * side + j] = src[j * side + i]
                    d2[i * side + j] = src[i * side + (side - 1 - j)]
                    d3[i * side + j] = src[(side - 1 - j) * side + i]
                }
            }
        }
    }
}
