/// A frame being rebuilt from tokens: planar RGB `[3, height, width]` at the model resolution.
///
/// A token of scale `s` paints its cell (`cellSizes[s]` pixels a side at `row, col` of that
/// scale's grid) with its 16×16 patch, resized to the cell with PyTorch's bicubic
/// (`align_corners=False`, no antialiasing) when the cell is larger. Painting a frame's tokens
/// coarse to fine means finer content is never overwritten by coarser content of the same frame.
struct FrameCanvas {
    let width: Int
    let height: Int
    private(set) var pixels: [Float]
    private var scratch: [Float] = []

    /// A canvas filled with `value`.
    init(width: Int, height: Int, value: Float) {
        self.width = width
        self.height = height
        pixels = [Float](repeating: value, count: 3 * width * height)
    }

    /// Paints the tokens `range` of `clip` (all of one frame), coarsest scale first.
    mutating func paint(_ clip: TokenSet, tokens range: Range<Int>) {
        let order = range.sorted { clip.coords[$0].scale > clip.coords[$1].scale }
        let patch = Int((Double(clip.dimension / 3)).squareRoot())
        clip.features.withUnsafeBufferPointer { features in
            for i in order {
                let coord = clip.coords[i]
                let cell = clip.cellSizes[Int(coord.scale)]
                paint(features.baseAddress! + i * clip.dimension, patch: patch, cell: cell, row: Int(coord.row), col: Int(coord.col))
            }
        }
    }

    private mutating func paint(_ token: UnsafePointer<Float>, patch: Int, cell: Int, row: Int, col: Int) {
        let y0 = row * cell, x0 = col * cell
        guard y0 + cell <= height, x0 + cell <= width else { return }
        let plane = width * height
        if scratch.count < cell * cell { scratch = [Float](repeating: 0, count: cell * cell) }
        let w = width
        pixels.withUnsafeMutableBufferPointer { out in
            scratch.withUnsafeMutableBufferPointer { tmp in
                for c in 0..<3 {
                    let source = token + c * patch * patch
                    let content: UnsafePointer<Float>
                    if cell == patch {
                        content = source
                    } else {
                        Resampler.resize(
                            source, width: patch, height: patch, into: tmp.baseAddress!, width: cell, height: cell,
                            filter: .bicubic)
                        content = UnsafePointer(tmp.baseAddress!)
                    }
                    for y in 0..<cell {
                        (out.baseAddress! + c * plane + (y0 + y) * w + x0).update(from: content + y * cell, count: cell)
                    }
                }
            }
        }
    }

    /// Sum of squared differences with another image of the same size.
    func squaredError(against image: [Float]) -> Double {
        precondition(image.count == pixels.count, "images differ in size")
        var total: Double = 0
        pixels.withUnsafeBufferPointer { a in
            image.withUnsafeBufferPointer { b in
                var i = 0
                let n = a.count
                while i < n {
                    let end = min(n, i + 4096)
                    var acc = SIMD8<Float>()
                    var j = i
                    while j + 8 <= end {
                        let e = UnsafeRawPointer(a.baseAddress! + j).loadUnaligned(as: SIMD8<Float>.self)
                            - UnsafeRawPointer(b.baseAddress! + j).loadUnaligned(as: SIMD8<Float>.self)
                        acc += e * e
                        j += 8
                    }
                    var sum = Double(acc.sum())
                    while j < end {
                        let e = Double(a[j] - b[j])
                        sum += e * e
                        j += 1
                    }
                    total += sum
                    i = end
                }
            }
        }
        return total
    }
}
