/// One 224×224 tile of a frame at AutoGaze's four scales: for each scale, the tile resized to
/// that scale (whose 16×16 patches are the tokens) and the tile as the scale's tokens paint it
/// (each patch resized alone back to its cell), both with PyTorch's bicubic.
struct TilePyramid {
    static let side = GazeLayout.tileSide
    static let plane = side * side

    /// The tile itself, planar RGB `[3, 224, 224]`.
    let tile: [Float]
    /// The tile resized to each scale's side, planar RGB (index 0 is the tile).
    let resized: [[Float]]
    /// What the scale's tokens paint, planar RGB `[3, 224, 224]` (index 0 is the tile).
    let painted: [[Float]]

    init(tile: [Float]) {
        precondition(tile.count == 3 * Self.plane, "a tile is 3 × 224 × 224")
        self.tile = tile
        var resized = [tile]
        var painted = [tile]
        var patch = [Float](repeating: 0, count: 256)
        var cellPixels = [Float](repeating: 0, count: 112 * 112)
        for scale in 1..<GazeLayout.scaleSides.count {
            let s = GazeLayout.scaleSides[scale]
            let small = Resampler.resize(
                tile, channels: 3, width: Self.side, height: Self.side, toWidth: s, toHeight: s, filter: .bicubic)
            let grid = GazeLayout.grids[scale], cell = GazeLayout.cellSizes[scale]
            var paint = [Float](repeating: 0, count: 3 * Self.plane)
            for c in 0..<3 {
                for row in 0..<grid {
                    for col in 0..<grid {
                        for y in 0..<16 {
                            for x in 0..<16 { patch[y * 16 + x] = small[c * s * s + (row * 16 + y) * s + col * 16 + x] }
                        }
                        patch.withUnsafeBufferPointer { p in
                            cellPixels.withUnsafeMutableBufferPointer { out in
                                Resampler.resize(
                                    p.baseAddress!, width: 16, height: 16, into: out.baseAddress!, width: cell, height: cell,
                                    filter: .bicubic)
                            }
                        }
                        for y in 0..<cell {
                            for x in 0..<cell {
                                paint[c * Self.plane + (row * cell + y) * Self.side + col * cell + x] = cellPixels[y * cell + x]
                            }
                        }
                    }
                }
            }
            resized.append(small)
            painted.append(paint)
        }
        self.resized = resized
        self.painted = painted
    }

    /// The token (16×16 patch, (channel, y, x) order) of a cell.
    func token(scale: Int, row: Int, col: Int) -> [Float] {
        let s = GazeLayout.scaleSides[scale]
        let image = resized[scale]
        var out = [Float](repeating: 0, count: 768)
        for c in 0..<3 {
            for y in 0..<16 {
                for x in 0..<16 { out[(c * 16 + y) * 16 + x] = image[c * s * s + (row * 16 + y) * s + col * 16 + x] }
            }
        }
        return out
    }
}
