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
        // Scratch from a reusable pool (no zero-fill, no fresh page faults per block). U and Ds are
        // never materialised: they are projected from z inside the merge.
        let zBuf = GSPNScratch.take(s * n), gBuf = GSPNScratch.take(3 * k4 * n), lBuf = GSPNScratch.take(k4 * n)
        let xsBuf = GSPNScratch.take(k4 * n), hsBuf = GSPNScratch.take(k4 * n)
        defer { for b in [zBuf, gBuf, lBuf, xsBuf, hsBuf] { GSPNScratch.give(b) } }
        let z = zBuf.pointer, g = gBuf.pointer, lam = lBuf.pointer, xs = xsBuf.pointer, hs = hsBuf.pointer
        var y = [Float](unsafeUninitializedCapacity: c * n) { _, count in count = c * n }

        x.withUnsafeBufferPointer { xp in
            let xb = xp.baseAddress!
            // 1×1 convs as channel-first GEMMs: out[O × HW] = W[O × I] · in[I × HW].
            weights.down.withUnsafeBufferPointer { wp in
                Kernels.gemm(s, n, c, wp.baseAddress!, c, xb, n, transposeB: false, beta: 0, z, n)
            }
            weights.up.withUnsafeBufferPointer { wp in
                Kernels.gemm(3 * k4, n, s, wp.baseAddress!, s, z, n, transposeB: false, beta: 0, g, n)
            }
            weights.lambda.withUnsafeBufferPointer { wp in
                Kernels.gemm(k4, n, s, wp.baseAddress!, s, z, n, transposeB: false, beta: 0, lam, n)
            }
            stackDirections(xb, channels: c, side: height, into: xs)
        }
        GSPNScan.normalizeGates(minus: g, zero: g + k4 * n, plus: g + 2 * k4 * n, maps: k4, height: height, width: width)
        GSPNScan.scan(input: xs, lambda: lam, gateMinus: g, gateZero: g + k4 * n, gatePlus: g + 2 * k4 * n,
                      maps: k4, height: height, width: width, chunk: chunk, into: hs)
        // Y = U ⊙ Hs + Ds ⊙ xs, merged over the four directions in the array frame, with
        // U = W_U·z and Ds = W_D·z computed a pixel block at a time.
        let m = weights.merge
        let cn = c * n
        weights.u.withUnsafeBufferPointer { wup in
            weights.d.withUnsafeBufferPointer { wdp in
                y.withUnsafeMutableBufferPointer { yp in
                    nonisolated(unsafe) let wu = wup.baseAddress!, wd = wdp.baseAddress!, out = yp.baseAddress!
                    nonisolated(unsafe) let zb = UnsafePointer(z), h = UnsafePointer(hs), xv = UnsafePointer(xs)
                    let block = 512
                    GSPNParallel.forEachRange(c, parts: min(GSPNParallel.workers, max(1, cn * 4 * (2 * s + 4) / 65_536))) { range in
                        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: 2 * block)
                        defer { tmp.deallocate() }
                        let uu = tmp, dd = tmp + block
                        for ch in range {
                            var p0 = 0
                            while p0 < n {
                                let len = min(block, n - p0)
                                let o = out + ch * n + p0
                                for k in 0..<4 {
                                    let row = k * c + ch
                                    let wur = wu + row * s, wdr = wd + row * s
                                    uu.update(repeating: 0, count: len)
                                    dd.update(repeating: 0, count: len)
                                    for t in 0..<s {
                                        let a = wur[t], b = wdr[t]
                                        let zr = zb + t * n + p0
                                        for j in 0..<len { let zv = zr[j]; uu[j] += a * zv; dd[j] += b * zv }
                                    }
                                    let hr = h + row * n + p0, xr = xv + row * n + p0
                                    let mk = m[k]
                                    if k == 0 {
                                        for j in 0..<len { o[j] = mk * (uu[j] * hr[j] + dd[j] * xr[j]) }
                                    } else {
                                        for j in 0..<len { o[j] += mk * (uu[j] * hr[j] + dd[j] * xr[j]) }
                                    }
                                }
                                p0 += len
                            }
                        }
                    }
                }
            }
        }
        _ = cn
        return y
    }

    /// Writes the four scan inputs `[4C', S, S]` for a square `x [C', S, S]`:
    /// k = 0: x, 1: xᵀ, 2: flip_W(x), 3: flip_W(xᵀ) (channel index k·C' + c).
    static func stackDirections(_ x: UnsafePointer<Float>, channels: Int, side: Int, into xs: UnsafeMutablePointer<Float>) {
        let n = side * side, cn = channels * n
        nonisolated(unsafe) let x = x, xs = xs
        let tile = 32
        GSPNParallel.forEachRange(channels, parts: min(GSPNParallel.workers, max(1, channels * n / 16_384))) { range in
            for ch in range {
                let src = x + ch * n
                let d0 = xs + ch * n, d1 = xs + cn + ch * n, d2 = xs + 2 * cn + ch * n, d3 = xs + 3 * cn + ch * n
                d0.update(from: src, count: n)
                for i in 0..<side {
                    let sr = src + i * side, dr = d2 + i * side
                    for j in 0..<side { dr[j] = sr[side - 1 - j] }
                }
                // d1[i][j] = src[j][i]; d3[i][j] = src[side-1-j][i], tiled for cache reuse.
                var j0 = 0
                while j0 < side {
                    let j1 = min(side, j0 + tile)
                    var i0 = 0
                    while i0 < side {
                        let i1 = min(side, i0 + tile)
                        for i in i0..<i1 {
                            let r1 = d1 + i * side, r3 = d3 + i * side
                            for j in j0..<j1 {
                                r1[j] = src[j * side + i]
                                r3[j] = src[(side - 1 - j) * side + i]
                            }
                        }
                        i0 = i1
                    }
                    j0 = j1
                }
            }
        }
    }
}

/// A pool of large float buffers reused across GSPN blocks, so that the multi-megabyte
/// temporaries are neither zero-filled nor page-faulted in afresh for every block.
enum GSPNScratch {
    struct Buffer: @unchecked Sendable { let pointer: UnsafeMutablePointer<Float>; let capacity: Int }
    nonisolated(unsafe) private static var pool: [Buffer] = []
    private static let lock = NSLock()

    /// A buffer of at least `count` floats (uninitialised).
    static func take(_ count: Int) -> Buffer {
        let count = max(1, count)
        lock.lock()
        var best = -1
        for (i, b) in pool.enumerated() where b.capacity >= count && (best < 0 || b.capacity < pool[best].capacity) { best = i }
        if best >= 0 { let b = pool.remove(at: best); lock.unlock(); return b }
        lock.unlock()
        return Buffer(pointer: .allocate(capacity: count), capacity: count)
    }

    static func give(_ b: Buffer) {
        lock.lock(); pool.append(b); lock.unlock()
    }

    /// Frees every pooled buffer.
    static func drain() {
        lock.lock(); let all = pool; pool = []; lock.unlock()
        for b in all { b.pointer.deallocate() }
    }
}
