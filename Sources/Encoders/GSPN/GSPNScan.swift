import Foundation

/// GSPN's line-scan propagation (spec B.1): per map, per column w,
/// `Hs[r,w] = λ·x + g⁻·Hs[r−1,w−1] + g⁰·Hs[r,w−1] + g⁺·Hs[r+1,w−1]`; rows out of range contribute 0;
/// the previous column is 0 at the first column of every chunk of `chunk` columns (chunk = width: global).
///
/// This is the recurrence of the released CUDA kernel (`gaterecurrent2dnoind`), including its chunking
/// (the released pure-PyTorch fallback ignores chunks; the kernel restarts the state at each chunk).
/// The gates are read at the current position `(r, w)`.
///
/// ## CPU layout
/// Memory is row-major (`[map][row][column]`) while the recurrence runs along columns, so each
/// column step needs one value from every row. Each worker owns a few column-major tiles
/// (allocated once per worker, never inside the loops) and walks a map in blocks of columns:
/// 1. transpose in, 4×4 blocks in registers: `λ⊙x` (product fused), g⁻, g⁰, g⁺ of the block are read
///    along the rows and stored as 4-float column pieces into `[column][row]` tiles (column stride
///    padded off a power of two);
/// 2. column steps as contiguous SIMD loops over the rows (spec B.10):
///    `h_w = λx_w + g⁰⊙h_{w−1} + g⁻⊙shift_down(h_{w−1}) + g⁺⊙shift_up(h_{w−1})`, the state living in
///    zero-padded slots so the boundary rows need no branch, restarting at each chunk start;
///    while the steps run, the next block's input lines (this map's next columns, or the next map's
///    first ones) and this block's output lines are prefetched a few rows per step, so the memory
///    traffic overlaps the arithmetic instead of stalling the transposes;
/// 3. transpose the hidden state out, 4×4 blocks in registers; the block's last column carries over.
/// Every input and output byte crosses the memory bus once. Maps are independent and are spread
/// over the cores with `DispatchQueue.concurrentPerform`.
/// LLVM's prefetch intrinsic (`prefetcht0` / `prefetchw` on x86, `prfm` on arm64); Swift has no
/// public spelling for it. Arguments: address, 0 read / 1 write, locality 0–3, 1 = data cache.
@_silgen_name("llvm.prefetch.p0")
func _gspnPrefetch(_ p: UnsafeRawPointer, _ rw: Int32, _ locality: Int32, _ cache: Int32)

public enum GSPNScan {
    /// All arrays are `maps × height × width`, row-major per map; gates already normalised.
    public static func scan(input: UnsafePointer<Float>, lambda: UnsafePointer<Float>,
                            gateMinus: UnsafePointer<Float>, gateZero: UnsafePointer<Float>, gatePlus: UnsafePointer<Float>,
                            maps: Int, height: Int, width: Int, chunk: Int, into output: UnsafeMutablePointer<Float>) {
        precondition(maps >= 0 && height >= 0 && width >= 0, "GSPNScan.scan: negative size")
        precondition(chunk >= 1, "GSPNScan.scan: chunk must be at least 1 (got \(chunk))")
        guard maps > 0, height > 0, width > 0 else { return }
        let plane = height * width
        let n = min(chunk, width)
        let workers = min(maps, GSPNParallel.workers, max(1, maps * plane / 16_384))
        nonisolated(unsafe) let x = input, lam = lambda, gm = gateMinus, g0 = gateZero, gp = gatePlus, out = output
        let block = blockWidth(height: height, width: width)
        GSPNParallel.forEachRange(maps, parts: workers) { range in
            let tile = Tile(height: height, block: block)
            defer { tile.deallocate() }
            for m in range {
                let o = m * plane
                scanMap(x + o, lam + o, gm + o, g0 + o, gp + o, out + o,
                        height: height, width: width, chunk: n, tile: tile, nextMap: m + 1 < range.upperBound ? plane : 0)
            }
        }
    }

    /// Columns per tile: the five column-major tiles stay within about 240 KB of a core's L2, leaving
    /// room for the next block's prefetched inputs and this block's output lines.
    static func blockWidth(height: Int, width: Int) -> Int {
        let fit = 61_440 / (5 * max(height, 1))
        return max(1, min(width, max(8, fit / 8 * 8)))
    }

    /// Per-worker scratch: column-major tiles of `block` columns × `height` rows, allocated once
    /// per worker (not per map or column).
    struct Tile {
        let height: Int, block: Int, slot: Int
        /// Floats between tile columns: `height` rounded up and padded off a power of two, so the
        /// columns of a tile do not all land in the same few L1 sets.
        let ts: Int
        /// λ⊙x, g⁻, g⁰, g⁺ as `[block][height]`.
        let lx: UnsafeMutablePointer<Float>, gm: UnsafeMutablePointer<Float>
        let g0: UnsafeMutablePointer<Float>, gp: UnsafeMutablePointer<Float>
        /// Hidden state, `block + 1` zero-padded slots of `height + 2` floats; slot 0 carries the
        /// previous tile's last column, and each slot's first and last float stay 0 (rows −1 and H).
        let hs: UnsafeMutablePointer<Float>

        init(height: Int, block: Int) {
            self.height = height; self.block = block
            ts = (height + 7) / 8 * 8 + 16
            slot = ts + 2
            lx = .allocate(capacity: 4 * block * ts)
            gm = lx + block * ts; g0 = gm + block * ts; gp = g0 + block * ts
            hs = .allocate(capacity: (block + 1) * slot)
            hs.initialize(repeating: 0, count: (block + 1) * slot)
        }

        func deallocate() { lx.deallocate(); hs.deallocate() }
    }

    /// One map, tile by tile: transpose λ⊙x and the gates of `block` columns into column-major
    /// tiles (contiguous reads along rows), run the column steps as contiguous vector loops over
    /// the rows, and transpose the hidden state back (contiguous writes along rows).
    @inline(__always)
    static func scanMap(_ x: UnsafePointer<Float>, _ lam: UnsafePointer<Float>,
                        _ gm: UnsafePointer<Float>, _ g0: UnsafePointer<Float>, _ gp: UnsafePointer<Float>,
                        _ out: UnsafeMutablePointer<Float>, height: Int, width: Int, chunk: Int, tile: Tile, nextMap: Int) {
        let h = height, wd = width, slot = tile.slot, ts = tile.ts
        let h4 = h & ~3
        var w0 = 0
        while w0 < wd {
            let bw = min(tile.block, wd - w0)
            let bw4 = bw & ~3
            // Transpose in, 4×4 blocks in registers (λ⊙x fused).
            var r0 = 0
            while r0 < h4 {
                let base = r0 * wd + w0
                var j = 0
                while j < bw4 {
                    let i = base + j, t = j * ts + r0
                    transposeIn(lam + i, x + i, tile.lx + t, wd, ts)
                    transposeIn(gm + i, tile.gm + t, wd, ts)
                    transposeIn(g0 + i, tile.g0 + t, wd, ts)
                    transposeIn(gp + i, tile.gp + t, wd, ts)
                    j += 4
                }
                while j < bw {
                    for rr in 0..<4 {
                        let i = base + rr * wd + j, t = j * ts + r0 + rr
                        tile.lx[t] = lam[i] * x[i]
                        tile.gm[t] = gm[i]; tile.g0[t] = g0[i]; tile.gp[t] = gp[i]
                    }
                    j += 1
                }
                r0 += 4
            }
            if r0 < h {
                let base = r0 * wd + w0
                for rr in 0..<(h - r0) {
                    for j in 0..<bw {
                        let i = base + rr * wd + j, t = j * ts + r0 + rr
                        tile.lx[t] = lam[i] * x[i]
                        tile.gm[t] = gm[i]; tile.g0[t] = g0[i]; tile.gp[t] = gp[i]
                    }
                }
            }
            // Where the next block's inputs start (this map's next columns, or the next map's first ones):
            // their lines are prefetched during the column steps, a few rows per step.
            let (nw0, noff): (Int, Int) = w0 + bw < wd ? (w0 + bw, 0) : (0, nextMap)
            let nbw = noff == 0 && w0 + bw >= wd ? 0 : min(tile.block, wd - nw0)
            var pr = 0, pw = 0
            // Column steps: contiguous over rows.
            for j in 0..<bw {
                if nbw > 0 {
                    let pe = (j + 1) * h / bw
                    while pr < pe {
                        let i = noff + pr * wd + nw0
                        var c = 0
                        while c < nbw {
                            prefetch(x + i + c); prefetch(lam + i + c); prefetch(gm + i + c)
                            prefetch(g0 + i + c); prefetch(gp + i + c)
                            c += 16
                        }
                        prefetch(x + i + nbw - 1); prefetch(lam + i + nbw - 1); prefetch(gm + i + nbw - 1)
                        prefetch(g0 + i + nbw - 1); prefetch(gp + i + nbw - 1)
                        pr += 1
                    }
                }
                do {
                    // This block's output lines, fetched for writing before the transpose-out.
                    let pe = (j + 1) * h / bw
                    while pw < pe {
                        let i = pw * wd + w0
                        var c = 0
                        while c < bw { prefetchW(out + i + c); c += 16 }
                        prefetchW(out + i + bw - 1)
                        pw += 1
                    }
                }
                let cur = tile.hs + (j + 1) * slot + 1
                let lx = tile.lx + j * ts
                if (w0 + j) % chunk == 0 {
                    cur.update(from: lx, count: h)
                } else {
                    let prev = UnsafePointer(tile.hs + j * slot + 1)
                    let a = UnsafePointer(tile.gm + j * ts), b = UnsafePointer(tile.g0 + j * ts), c = UnsafePointer(tile.gp + j * ts)
                    step(cur, lx, a, b, c, prev, h)
                }
            }
            // Transpose out, 4×4 blocks in registers.
            r0 = 0
            while r0 < h4 {
                let base = r0 * wd + w0
                var j = 0
                while j < bw4 {
                    transposeOut(tile.hs + (j + 1) * slot + 1 + r0, slot, out + base + j, wd)
                    j += 4
                }
                while j < bw {
                    let src = tile.hs + (j + 1) * slot + 1 + r0
                    for rr in 0..<4 { out[base + rr * wd + j] = src[rr] }
                    j += 1
                }
                r0 += 4
            }
            if r0 < h {
                let base = r0 * wd + w0
                for rr in 0..<(h - r0) {
                    for j in 0..<bw { out[base + rr * wd + j] = tile.hs[(j + 1) * slot + 1 + r0 + rr] }
                }
            }
            // Carry the last column into slot 0.
            (tile.hs + 1).update(from: tile.hs + bw * slot + 1, count: h)
            w0 += bw
        }
    }

    typealias V4 = SIMD4<Float>

    @inline(__always)
    static func prefetch(_ p: UnsafePointer<Float>) { _gspnPrefetch(UnsafeRawPointer(p), 0, 3, 1) }
    @inline(__always)
    static func prefetchW(_ p: UnsafeMutablePointer<Float>) { _gspnPrefetch(UnsafeRawPointer(p), 1, 3, 1) }

    @inline(__always)
    static func load4(_ p: UnsafePointer<Float>) -> V4 { UnsafeRawPointer(p).loadUnaligned(as: V4.self) }

    @inline(__always)
    static func store4(_ p: UnsafeMutablePointer<Float>, _ v: V4) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V4.self)
    }

    /// 4×4 transpose: rows `r0…r3` in, columns out.
    @inline(__always)
    static func transpose(_ r0: V4, _ r1: V4, _ r2: V4, _ r3: V4) -> (V4, V4, V4, V4) {
        let t0 = V4(r0[0], r1[0], r0[1], r1[1]), t1 = V4(r2[0], r3[0], r2[1], r3[1])
        let t2 = V4(r0[2], r1[2], r0[3], r1[3]), t3 = V4(r2[2], r3[2], r2[3], r3[3])
        return (V4(lowHalf: t0.lowHalf, highHalf: t1.lowHalf), V4(lowHalf: t0.highHalf, highHalf: t1.highHalf),
                V4(lowHalf: t2.lowHalf, highHalf: t3.lowHalf), V4(lowHalf: t2.highHalf, highHalf: t3.highHalf))
    }

    /// 4 rows × 4 columns of `p` (row stride `s`) into 4 tile columns of `q` (column stride `ts`).
    @inline(__always)
    static func transposeIn(_ p: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Float>, _ s: Int, _ ts: Int) {
        let c = transpose(load4(p), load4(p + s), load4(p + 2 * s), load4(p + 3 * s))
        store4(q, c.0); store4(q + ts, c.1); store4(q + 2 * ts, c.2); store4(q + 3 * ts, c.3)
    }

    /// As `transposeIn` for the product `a⊙b`.
    @inline(__always)
    static func transposeIn(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Float>, _ s: Int, _ ts: Int) {
        let c = transpose(load4(a) * load4(b), load4(a + s) * load4(b + s),
                          load4(a + 2 * s) * load4(b + 2 * s), load4(a + 3 * s) * load4(b + 3 * s))
        store4(q, c.0); store4(q + ts, c.1); store4(q + 2 * ts, c.2); store4(q + 3 * ts, c.3)
    }

    /// 4 tile columns of `p` (column stride `ts`) × 4 rows into 4 rows of `q` (row stride `s`).
    @inline(__always)
    static func transposeOut(_ p: UnsafePointer<Float>, _ ts: Int, _ q: UnsafeMutablePointer<Float>, _ s: Int) {
        let c = transpose(load4(p), load4(p + ts), load4(p + 2 * ts), load4(p + 3 * ts))
        store4(q, c.0); store4(q + s, c.1); store4(q + 2 * s, c.2); store4(q + 3 * s, c.3)
    }
    @inline(__always)
    static func transposeOut(_ p: UnsafeMutablePointer<Float>, _ ts: Int, _ q: UnsafeMutablePointer<Float>, _ s: Int) {
        transposeOut(UnsafePointer(p), ts, q, s)
    }

    /// `cur[r] = lx[r] + a[r]·prev[r−1] + b[r]·prev[r] + c[r]·prev[r+1]` for r in 0..<h
    /// (`prev[−1]` and `prev[h]` are the zero pads).
    @inline(__always)
    static func step(_ cur: UnsafeMutablePointer<Float>, _ lx: UnsafePointer<Float>, _ a: UnsafePointer<Float>,
                     _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>, _ prev: UnsafePointer<Float>, _ h: Int) {
        var r = 0
        typealias V = SIMD8<Float>
        let raw = { (p: UnsafePointer<Float>) in UnsafeRawPointer(p) }
        while r + 8 <= h {
            let vl = raw(lx + r).loadUnaligned(as: V.self)
            let va = raw(a + r).loadUnaligned(as: V.self)
            let vb = raw(b + r).loadUnaligned(as: V.self)
            let vc = raw(c + r).loadUnaligned(as: V.self)
            let pu = raw(prev + r - 1).loadUnaligned(as: V.self)
            let pm = raw(prev + r).loadUnaligned(as: V.self)
            let pd = raw(prev + r + 1).loadUnaligned(as: V.self)
            let v = vl + va * pu + vb * pm + vc * pd
            UnsafeMutableRawPointer(cur + r).storeBytes(of: v, as: V.self)
            r += 8
        }
        while r < h {
            cur[r] = lx[r] + a[r] * prev[r - 1] + b[r] * prev[r] + c[r] * prev[r + 1]
            r += 1
        }
    }

    /// Spec B.2: sigmoid of the raw gates, normalised row-stochastically over the valid neighbours (den clamp 1e-7), in place.
    ///
    /// `den = s⁻ + s⁰ + s⁺` inside, `s⁰ + s⁺` at row 0, `s⁻ + s⁰` at row H−1, clamped below at 1e-7;
    /// each gate becomes `s/den`. As in the released `normalize_w`, row 0 is assigned before row H−1,
    /// so a single-row map (H = 1) uses `den = s⁻ + s⁰`. The normalised g⁻ at row 0 and g⁺ at row
    /// H−1 are non-zero but unused by the scan (their neighbours are out of range).
    public static func normalizeGates(minus: UnsafeMutablePointer<Float>, zero: UnsafeMutablePointer<Float>, plus: UnsafeMutablePointer<Float>,
                                      maps: Int, height: Int, width: Int) {
        precondition(maps >= 0 && height >= 0 && width >= 0, "GSPNScan.normalizeGates: negative size")
        guard maps > 0, height > 0, width > 0 else { return }
        let rows = maps * height
        nonisolated(unsafe) let a = minus, b = zero, c = plus
        let parts = min(rows, GSPNParallel.workers, max(1, rows * width / 8_192))
        GSPNParallel.forEachRange(rows, parts: parts) { range in
            for row in range {
                let r = row % height
                let base = row * width
                let pa = a + base, pb = b + base, pc = c + base
                let useMinus: Float = (r == 0 && height > 1) ? 0 : 1
                let usePlus: Float = r == height - 1 ? 0 : 1
                for j in 0..<width {
                    let sa = 1 / (1 + expf(-pa[j]))
                    let sb = 1 / (1 + expf(-pb[j]))
                    let sc = 1 / (1 + expf(-pc[j]))
                    let den = max(useMinus * sa + sb + usePlus * sc, 1e-7)
                    let inv = 1 / den
                    pa[j] = sa * inv
                    pb[j] = sb * inv
                    pc[j] = sc * inv
                }
            }
        }
    }
}

/// Work splitting shared by the GSPN kernels.
enum GSPNParallel {
    static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body` over `0..<count` split into `parts` contiguous ranges, in parallel when `parts > 1`.
    static func forEachRange(_ count: Int, parts: Int, _ body: (Range<Int>) -> Void) {
        let parts = max(1, min(parts, count))
        if parts == 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let run = escapable
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                run((count * p / parts)..<(count * (p + 1) / parts))
            }
        }
    }
}
