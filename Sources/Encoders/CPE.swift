/// The "cropped position embedding" of a C-RADIO ViT (spec A.2 step 3): the stored G×G grid is
/// resized bilinearly (PyTorch semantics, fp32, no antialias) to `m×m` with `m = max(h, w)`, and
/// the top-left `h×w` crop is used. This type evaluates one grid cell of that result at a time,
/// which serves the dense forward (every cell) and the sparse one (only kept cells) alike.
struct CPE {
    /// Side of the stored grid.
    let grid: Int
    /// Whether the resize uses `align_corners=True`.
    let alignCorners: Bool

    /// Source taps (`i0`, `i1`, weight of `i1`) for output index `i` of a resize `grid → size`.
    func taps(_ i: Int, size: Int) -> (Int, Int, Float) {
        if size == grid { return (i, i, 0) }
        let src: Double
        if alignCorners {
            src = size > 1 ? Double(i) * Double(grid - 1) / Double(size - 1) : 0
        } else {
            src = max((Double(i) + 0.5) * Double(grid) / Double(size) - 0.5, 0)
        }
        let i0 = min(Int(src.rounded(.down)), grid - 1)
        let i1 = min(i0 + 1, grid - 1)
        return (i0, i1, Float(src - Double(i0)))
    }

    /// Adds the position embedding of cell (`row`, `col`) of a `rows×cols` patch grid to `out[0..<D]`.
    func add(row: Int, col: Int, rows: Int, cols: Int, table: UnsafePointer<Float>, dim: Int,
             to out: UnsafeMutablePointer<Float>) {
        let m = max(rows, cols)
        let (y0, y1, ly) = taps(row, size: m)
        let (x0, x1, lx) = taps(col, size: m)
        let p00 = table + (y0 * grid + x0) * dim, p01 = table + (y0 * grid + x1) * dim
        let p10 = table + (y1 * grid + x0) * dim, p11 = table + (y1 * grid + x1) * dim
        // Separable, rows first then columns (as two 1-D interpolations).
        for d in 0..<dim {
            let top = p00[d] + lx * (p01[d] - p00[d])
            let bottom = p10[d] + lx * (p11[d] - p10[d])
            out[d] += top + ly * (bottom - top)
        }
    }
}
