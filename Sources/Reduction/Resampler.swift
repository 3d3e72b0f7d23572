/// PyTorch-compatible resampling of single-channel Float32 planes (row-major), matching
/// `torch.nn.functional.interpolate(..., align_corners=False, antialias=False)`.
///
/// Both filters are separable: every output column gets a fixed set of source columns and
/// weights (2 for bilinear, 4 for bicubic), and likewise every output row. A plane is first
/// resampled horizontally (each source row into `outWidth` values), then vertically (each
/// output row is a weighted sum of whole intermediate rows). The arithmetic is Float32 in the
/// order of PyTorch's CPU kernel, `Σ_rows wy · (Σ_cols wx · src)` with the taps accumulated
/// first to last. Taps and weights are computed once per call and shared by all channels.
/// `source` and `destination` must not overlap.
///
/// Coordinate mapping (`align_corners=False`, explicit output size, no scale factor):
/// `scale = Float(in) / Float(out)`, `src = scale · (dst + 0.5) − 0.5`.
/// - bilinear: `src` is clamped to `≥ 0`; `i0 = min(⌊src⌋, in − 1)`, `λ = src − i0` clamped to
///   [0, 1]; taps `i0` and `i0 + 1` (or `i0` twice at the last column) with weights `1 − λ`, `λ`.
/// - bicubic: `src` is not clamped; `i = ⌊src⌋`, `t = src − i`; taps `i − 1 … i + 2`, each
///   clamped into `[0, in − 1]`, with Keys cubic-convolution weights for `A = −0.75`.
/// An axis whose size does not change is copied unchanged. The output is not clamped, so
/// bicubic overshoot is kept.
///
/// Rounding, to agree with PyTorch's x86-64 CPU build bit-for-bit in the weights: there `src`
/// is rounded once (a fused multiply-add) for bicubic, and for bilinear when
/// `outWidth + outHeight <= 128` (the separable kernel PyTorch picks for small outputs);
/// larger bilinear outputs round the product and the difference separately. In the Keys
/// polynomial for 1 < |x| < 2 the first two Horner steps are fused. These choices move
/// weights by a few ulps (up to ~1e-5 for large sizes); with them the weights equal PyTorch's
/// and outputs agree with `torch.nn.functional.interpolate` (2.15, CPU) to within ~1e-6, the
/// rest being PyTorch's fused multiply-adds in the pixel sums. tools/reference/
/// resample_reference.py is the NumPy model of all this; this code matches it bit for bit.
public enum Resampler {
    public enum Filter: Sendable { case bilinear, bicubic }  // bicubic: Keys cubic A = -0.75, source indices clamped to the edges

    /// Resizes one plane `width × height` into `outWidth × outHeight`.
    public static func resize(
        _ source: UnsafePointer<Float>, width: Int, height: Int,
        into destination: UnsafeMutablePointer<Float>, width outWidth: Int, height outHeight: Int,
        filter: Filter
    ) {
        let plan = Plan(width: width, height: height, outWidth: outWidth, outHeight: outHeight, filter: filter)
        plan.withWorkspace { plan.run(source, into: destination, workspace: $0) }
    }

    /// Convenience: resizes a planar multi-channel image stored as [channels, height, width].
    public static func resize(
        _ image: [Float], channels: Int, width: Int, height: Int,
        toWidth: Int, toHeight: Int, filter: Filter
    ) -> [Float] {
        precondition(channels >= 0, "channels must be non-negative")
        precondition(
            image.count == channels * width * height,
            "image has \(image.count) values, expected \(channels)×\(height)×\(width)")
        let plan = Plan(width: width, height: height, outWidth: toWidth, outHeight: toHeight, filter: filter)
        let inPlane = width * height
        let outPlane = toWidth * toHeight
        return image.withUnsafeBufferPointer { src in
            [Float](unsafeUninitializedCapacity: channels * outPlane) { dst, initialized in
                plan.withWorkspace { workspace in
                    for c in 0..<channels {
                        plan.run(src.baseAddress! + c * inPlane, into: dst.baseAddress! + c * outPlane, workspace: workspace)
                    }
                }
                initialized = channels * outPlane
            }
        }
    }
}

// MARK: - Taps

extension Resampler {
    /// Source indices and weights for every output position along one axis, flattened as
    /// `[output][tap]`. `tapCount == 0` marks an axis whose size does not change (a copy).
    struct AxisTaps {
        let outSize: Int
        let tapCount: Int
        let indices: [Int]
        let weights: [Float]

        static let cubicA: Float = -0.75

        /// Keys cubic convolution for |x| ≤ 1, `((A+2)·x − (A+3))·x² + 1`.
        @inline(__always) static func cubicNear(_ x: Float) -> Float {
            ((cubicA + 2) * x - (cubicA + 3)) * x * x + 1
        }

        /// Keys cubic convolution for 1 < |x| < 2, `((A·x − 5A)·x + 8A)·x − 4A`
        /// (Horner form; the first two steps are fused, as in PyTorch's x86-64 CPU build).
        @inline(__always) static func cubicFar(_ x: Float) -> Float {
            let p = (-5 * cubicA).addingProduct(cubicA, x)
            let q = (8 * cubicA).addingProduct(p, x)
            return q * x - 4 * cubicA
        }

        /// `scale · (d + 0.5) − 0.5`, rounded once (`fused`) or after each operation.
        @inline(__always) static func sourceIndex(_ scale: Float, _ d: Int, fused: Bool) -> Float {
            let centre = Float(d) + 0.5
            return fused ? Float(-0.5).addingProduct(scale, centre) : scale * centre - 0.5
        }

        /// ⌊x⌋ for the small finite values here (truncation, corrected below zero).
        @inline(__always) static func floor(_ x: Float) -> Int {
            let i = Int(x)
            return Float(i) > x ? i - 1 : i
        }

        /// Taps for resampling `inSize` positions to `outSize`; the stored indices are
        /// multiplied by `indexScale` (1 for columns, the row length for whole rows).
        init(inSize: Int, outSize: Int, filter: Filter, fusedSource: Bool, indexScale: Int = 1) {
            precondition(inSize >= 1 && outSize >= 1, "sizes must be positive (in \(inSize), out \(outSize))")
            self.outSize = outSize
            guard inSize != outSize else {
                tapCount = 0
                indices = []
                weights = []
                return
            }
            let scale = Float(inSize) / Float(outSize)
            let last = inSize - 1
            let n = filter == .bilinear ? 2 : 4
            tapCount = n
            var weights = [Float](repeating: 0, count: n * outSize)
            indices = [Int](unsafeUninitializedCapacity: n * outSize) { idx, initialized in
                weights.withUnsafeMutableBufferPointer { w in
                    for d in 0..<outSize {
                        let k = n * d
                        let src = Self.sourceIndex(scale, d, fused: fusedSource)
                        switch filter {
                        case .bilinear:
                            let clamped = max(src, 0)
                            let i0 = min(Self.floor(clamped), last)
                            let lambda = min(max(clamped - Float(i0), 0), 1)
                            idx[k] = i0 * indexScale
                            idx[k + 1] = (i0 < last ? i0 + 1 : i0) * indexScale
                            w[k] = 1 - lambda
                            w[k + 1] = lambda
                        case .bicubic:
                            let i = min(Self.floor(src), last)
                            let t = min(max(src - Float(i), 0), 1)
                            let u = 1 - t
                            w[k] = Self.cubicFar(t + 1)
                            w[k + 1] = Self.cubicNear(t)
                            w[k + 2] = Self.cubicNear(u)
                            w[k + 3] = Self.cubicFar(u + 1)
                            for j in 0..<4 { idx[k + j] = min(max(i - 1 + j, 0), last) * indexScale }
                        }
                    }
                }
                initialized = n * outSize
            }
            self.weights = weights
        }

        var isIdentity: Bool { tapCount == 0 }
    }

    /// Everything that depends only on the sizes and the filter, computed once per call and
    /// reused for every channel.
    struct Plan {
        let width: Int
        let height: Int
        let outWidth: Int
        let outHeight: Int
        let horizontal: AxisTaps
        /// Row taps, with indices stored as offsets of whole rows (`row · outWidth`).
        let vertical: AxisTaps
        /// The horizontal weights, each broadcast to four lanes (one lane per row).
        let splat: [SIMD4<Float>]
        /// The source columns the horizontal taps read, ascending, when that is not every
        /// column (strong down-sampling); `nil` when all are read.
        let usedColumns: [Int]?
        /// For every horizontal tap, the position of its column in the interleaved rows: the
        /// column itself, or its index in `usedColumns`.
        let slots: [Int]
        /// Whether the horizontal pass interleaves rows (otherwise it gathers scalars, and
        /// `splat` is empty).
        let interleaved: Bool

        init(width: Int, height: Int, outWidth: Int, outHeight: Int, filter: Filter) {
            self.width = width
            self.height = height
            self.outWidth = outWidth
            self.outHeight = outHeight
            let fusedSource = filter == .bicubic || outWidth + outHeight <= 128
            horizontal = AxisTaps(inSize: width, outSize: outWidth, filter: filter, fusedSource: fusedSource)
            if width == height && outWidth == outHeight {
                // Square to square: the row taps are the column taps, addressed by row offset.
                vertical = AxisTaps(
                    outSize: outHeight, tapCount: horizontal.tapCount,
                    indices: horizontal.indices.map { $0 * outWidth }, weights: horizontal.weights)
            } else {
                vertical = AxisTaps(
                    inSize: height, outSize: outHeight, filter: filter, fusedSource: fusedSource, indexScale: outWidth)
            }
            var read = [Bool](repeating: false, count: width)
            for column in horizontal.indices { read[column] = true }
            let used = read.indices.filter { read[$0] }
            // Interleaving costs about as much per column as gathering the taps, so it pays
            // unless the taps skip a good part of each row (strong down-sampling).
            interleaved = !horizontal.isIdentity && 4 * used.count >= 3 * width
            if !interleaved || used.count == width {
                usedColumns = nil
                slots = horizontal.indices
            } else {
                var position = [Int](repeating: 0, count: width)
                for (p, column) in used.enumerated() { position[column] = p }
                usedColumns = used
                slots = horizontal.indices.map { position[$0] }
            }
            splat = interleaved ? horizontal.weights.map { SIMD4(repeating: $0) } : []
        }

        /// Scratch memory for one call: the intermediate plane (`height × outWidth`, when both
        /// axes change), and for the horizontal pass the interleaved rows (up to `width`
        /// vectors) and one result vector per output column.
        struct Workspace {
            var intermediate: UnsafeMutablePointer<Float>?
            var packed: UnsafeMutablePointer<SIMD4<Float>>
            var results: UnsafeMutablePointer<SIMD4<Float>>
        }

        func withWorkspace<R>(_ body: (Workspace) throws -> R) rethrows -> R {
            let needsIntermediate = !horizontal.isIdentity && !vertical.isIdentity
            let intermediate = needsIntermediate ? UnsafeMutablePointer<Float>.allocate(capacity: height * outWidth) : nil
            let packedCount = interleaved ? usedColumns?.count ?? width : 0
            let vectors = interleaved ? packedCount + outWidth : 0
            let packed = UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: max(vectors, 1))
            defer {
                intermediate?.deallocate()
                packed.deallocate()
            }
            let results = packed + packedCount
            return try body(Workspace(intermediate: intermediate, packed: packed, results: results))
        }

        func run(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, workspace: Workspace) {
            switch (horizontal.isIdentity, vertical.isIdentity) {
            case (true, true):
                destination.update(from: source, count: width * height)
            case (false, true):
                horizontalPass(source, into: destination, packed: workspace.packed, results: workspace.results)
            case (true, false):
                Self.verticalPass(source, into: destination, rowLength: outWidth, taps: vertical)
            case (false, false):
                let intermediate = workspace.intermediate!
                horizontalPass(source, into: intermediate, packed: workspace.packed, results: workspace.results)
                Self.verticalPass(UnsafePointer(intermediate), into: destination, rowLength: outWidth, taps: vertical)
            }
        }

        /// Resamples every row of `source` (`height × width`) into `outWidth` values; every
        /// output is `((v0·w0 + v1·w1) + v2·w2) + v3·w3` (two terms for bilinear), summed in tap
        /// order. Rows go four at a time: they are interleaved into `packed` (one SIMD4 per
        /// column, lane = row; only the columns the taps read), so each tap is one vector load,
        /// multiply and add for four rows with the same per-lane arithmetic as the scalar sum;
        /// 4×4 blocks of results are transposed back into the rows.
        func horizontalPass(
            _ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
            packed: UnsafeMutablePointer<SIMD4<Float>>, results: UnsafeMutablePointer<SIMD4<Float>>
        ) {
            if !interleaved {
                return gatherHorizontalPass(source, into: destination)
            }
            let (rows, inWidth, outWidth, n) = (height, width, self.outWidth, horizontal.tapCount)
            slots.withUnsafeBufferPointer { slotBuffer in
                splat.withUnsafeBufferPointer { splatBuffer in
                    let slot = slotBuffer.baseAddress!
                    let weight = splatBuffer.baseAddress!
                    var y = 0
                    while y < rows {
                        let count = min(4, rows - y)
                        let r0 = source + y * inWidth
                        Self.interleave(r0, rowLength: inWidth, rows: count, columns: usedColumns, into: packed)
                        // Results go through memory before the transpose: left to itself the
                        // optimiser moves the shuffles into the arithmetic and does worse.
                        if n == 2 {
                            for x in 0..<outWidth {
                                let k = 2 &* x
                                results[x] = packed[slot[k]] * weight[k] + packed[slot[k &+ 1]] * weight[k &+ 1]
                            }
                        } else {
                            for x in 0..<outWidth {
                                let k = 4 &* x
                                var acc = packed[slot[k]] * weight[k]
                                acc += packed[slot[k &+ 1]] * weight[k &+ 1]
                                acc += packed[slot[k &+ 2]] * weight[k &+ 2]
                                acc += packed[slot[k &+ 3]] * weight[k &+ 3]
                                results[x] = acc
                            }
                        }
                        let o0 = destination + y * outWidth
                        if count == 4 {
                            let o1 = o0 + outWidth, o2 = o1 + outWidth, o3 = o2 + outWidth
                            var x = 0
                            while x + 4 <= outWidth {
                                let (a, b, c, d) = Self.transpose(results[x], results[x + 1], results[x + 2], results[x + 3])
                                Self.store(a, o0 + x)
                                Self.store(b, o1 + x)
                                Self.store(c, o2 + x)
                                Self.store(d, o3 + x)
                                x += 4
                            }
                            while x < outWidth {
                                let v = results[x]
                                o0[x] = v[0]
                                o1[x] = v[1]
                                o2[x] = v[2]
                                o3[x] = v[3]
                                x += 1
                            }
                        } else {
                            for x in 0..<outWidth {
                                let v = results[x]
                                for lane in 0..<count { o0[lane * outWidth + x] = v[lane] }
                            }
                        }
                        y += 4
                    }
                }
            }
        }

        /// The horizontal pass one row and one output at a time, with scalar loads of the taps:
        /// faster than interleaving when the taps read only a small part of each row.
        func gatherHorizontalPass(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>) {
            let (inWidth, outWidth) = (width, self.outWidth)
            horizontal.indices.withUnsafeBufferPointer { idxBuffer in
                horizontal.weights.withUnsafeBufferPointer { wBuffer in
                    let idx = idxBuffer.baseAddress!
                    let w = wBuffer.baseAddress!
                    for y in 0..<height {
                        let row = source + y * inWidth
                        let out = destination + y * outWidth
                        if horizontal.tapCount == 2 {
                            for x in 0..<outWidth {
                                let k = 2 &* x
                                out[x] = row[idx[k]] * w[k] + row[idx[k &+ 1]] * w[k &+ 1]
                            }
                        } else {
                            for x in 0..<outWidth {
                                let k = 4 &* x
                                var acc = row[idx[k]] * w[k]
                                acc += row[idx[k &+ 1]] * w[k &+ 1]
                                acc += row[idx[k &+ 2]] * w[k &+ 2]
                                acc += row[idx[k &+ 3]] * w[k &+ 3]
                                out[x] = acc
                            }
                        }
                    }
                }
            }
        }

        /// Interleaves `rows` (1…4) consecutive rows starting at `r0` into `packed`: vector `p`
        /// holds column `columns[p]` (or `p` when `columns` is nil) of each row, one lane per
        /// row. Lanes past `rows` repeat row 0 and are ignored by the caller.
        @inline(__always) static func interleave(
            _ r0: UnsafePointer<Float>, rowLength: Int, rows: Int, columns: [Int]?,
            into packed: UnsafeMutablePointer<SIMD4<Float>>
        ) {
            let r1 = r0 + (rows > 1 ? rowLength : 0)
            let r2 = r0 + (rows > 2 ? 2 * rowLength : 0)
            let r3 = r0 + (rows > 3 ? 3 * rowLength : 0)
            if let columns {
                columns.withUnsafeBufferPointer { list in
                    for (p, x) in list.enumerated() { packed[p] = SIMD4(r0[x], r1[x], r2[x], r3[x]) }
                }
            } else {
                var x = 0
                while x + 4 <= rowLength {
                    let (a, b, c, d) = transpose(load(r0 + x), load(r1 + x), load(r2 + x), load(r3 + x))
                    packed[x] = a
                    packed[x + 1] = b
                    packed[x + 2] = c
                    packed[x + 3] = d
                    x += 4
                }
                while x < rowLength {
                    packed[x] = SIMD4(r0[x], r1[x], r2[x], r3[x])
                    x += 1
                }
            }
        }

        @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
            UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
        }

        @inline(__always) static func store(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
        }

        /// The 4×4 transpose: result `i` holds lane `i` of `a`, `b`, `c`, `d`.
        @inline(__always) static func transpose(
            _ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>
        ) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
            let ab01 = SIMD4(a[0], b[0], a[1], b[1]), ab23 = SIMD4(a[2], b[2], a[3], b[3])
            let cd01 = SIMD4(c[0], d[0], c[1], d[1]), cd23 = SIMD4(c[2], d[2], c[3], d[3])
            return (
                SIMD4(lowHalf: ab01.lowHalf, highHalf: cd01.lowHalf), SIMD4(lowHalf: ab01.highHalf, highHalf: cd01.highHalf),
                SIMD4(lowHalf: ab23.lowHalf, highHalf: cd23.lowHalf), SIMD4(lowHalf: ab23.highHalf, highHalf: cd23.highHalf)
            )
        }

        /// Each output row is a weighted sum of whole source rows of `rowLength` values;
        /// `taps.indices` hold row offsets (row index × rowLength).
        static func verticalPass(
            _ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
            rowLength: Int, taps: AxisTaps
        ) {
            taps.indices.withUnsafeBufferPointer { idxBuffer in
                taps.weights.withUnsafeBufferPointer { wBuffer in
                    let idx = idxBuffer.baseAddress!
                    let w = wBuffer.baseAddress!
                    for y in 0..<taps.outSize {
                        let out = destination + y * rowLength
                        if taps.tapCount == 2 {
                            let k = 2 * y
                            let r0 = source + idx[k], r1 = source + idx[k + 1]
                            let w0 = w[k], w1 = w[k + 1]
                            for x in 0..<rowLength {
                                out[x] = r0[x] * w0 + r1[x] * w1
                            }
                        } else {
                            let k = 4 * y
                            let r0 = source + idx[k], r1 = source + idx[k + 1]
                            let r2 = source + idx[k + 2], r3 = source + idx[k + 3]
                            let w0 = w[k], w1 = w[k + 1], w2 = w[k + 2], w3 = w[k + 3]
                            for x in 0..<rowLength {
                                out[x] = r0[x] * w0 + r1[x] * w1 + r2[x] * w2 + r3[x] * w3
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Resampler.AxisTaps {
    fileprivate init(outSize: Int, tapCount: Int, indices: [Int], weights: [Float]) {
        self.outSize = outSize
        self.tapCount = tapCount
        self.indices = indices
        self.weights = weights
    }
}
