/// vtok's training-free AutoGaze: for each frame of one tile, greedily picks the multi-scale
/// tokens that rebuild it best, until the frame meets the target or the cap.
///
/// The canvas a frame starts from is the previous frame's rebuild (frame 0: flat 0.5). A
/// candidate paints its cell with its patch resized to the cell, but never over finer content
/// picked in the same frame. Each pick is the candidate that lowers the frame's error most
/// (squared error for a PSNR target, absolute error for an L1 target; ties to the lower
/// AutoGaze id); picking stops when the target is met, when the cap is reached, or when no
/// candidate lowers the error, with at least one pick per frame.
///
/// Errors are kept per 8×8-pixel block (every cell of every scale is a whole number of blocks),
/// and gains are updated incrementally: a pick changes only its own blocks, and each block lies
/// in one cell per scale, so a pick updates at most 4 candidates per block it paints. The
/// exact specification, shared with the NumPy reference, is tools/reference/autogaze_greedy_spec.md.
struct GreedyGazeSelector {
    enum Metric { case squared, absolute }

    /// What one frame of the tile got.
    struct FrameResult {
        /// AutoGaze local ids in pick order.
        var ids: [Int]
        /// Mean squared (PSNR target) or absolute (L1 target) error of the rebuilt tile.
        var error: Double
        /// Whether the frame met its target.
        var metTarget: Bool
    }

    static let side = GazeLayout.tileSide
    static let blocksPerSide = side / 8
    static let blockCount = blocksPerSide * blocksPerSide

    let metric: Metric
    /// Largest allowed error per value (MSE or mean absolute error).
    let targetError: Double
    let cap: Int
    /// The rebuilt tile so far (carried from frame to frame).
    private(set) var canvas: [Float]

    init(metric: Metric, targetError: Double, cap: Int) {
        self.metric = metric
        self.targetError = targetError
        self.cap = max(1, cap)
        canvas = [Float](repeating: FidelityMeter.initialValue, count: 3 * Self.side * Self.side)
    }

    /// Picks the tokens of the next frame of this tile and paints them on the canvas.
    mutating func select(_ pyramid: TilePyramid) -> FrameResult {
        let scales = GazeLayout.grids.count
        // Block errors of every scale's painting and of the canvas.
        let paintedError = (0..<scales).map { blockErrors(of: pyramid.painted[$0], against: pyramid.tile) }
        var canvasError = blockErrors(of: canvas, against: pyramid.tile)
        var written = [Int8](repeating: -1, count: Self.blockCount)
        let values = Double(3 * Self.side * Self.side)
        let budget = targetError * values

        // Initial gains: every block of every region is paintable.
        var gains = [Double](repeating: 0, count: GazeLayout.tokensPerTile)
        var picked = [Bool](repeating: false, count: GazeLayout.tokensPerTile)
        for id in 0..<GazeLayout.tokensPerTile {
            gains[id] = exactGain(id, canvasError, paintedError, written)
        }

        var ids: [Int] = []
        while true {
            let total = canvasError.reduce(0, +)
            if !ids.isEmpty && (total <= budget || ids.count >= cap) { break }
            // Best candidate: largest gain, ties (within 1e-9 relative) to the lower id.
            var best = -1
            for id in 0..<GazeLayout.tokensPerTile where !picked[id] {
                if best < 0 || Self.beats(gains[id], gains[best]) { best = id }
            }
            guard best >= 0 else { break }
            let gain = exactGain(best, canvasError, paintedError, written)
            if !ids.isEmpty && gain <= 0 { break }
            picked[best] = true
            ids.append(best)

            // Paint its blocks and update the gains of the candidates that share them.
            let (scale, row, col) = GazeLayout.cell(ofLocalID: best)
            for block in blocks(scale: scale, row: row, col: col)
            where written[block] < 0 || Int(written[block]) > scale {
                let oldError = canvasError[block]
                let oldWritten = written[block]
                copyBlock(block, from: pyramid.painted[scale])
                canvasError[block] = paintedError[scale][block]
                written[block] = Int8(scale)
                let (by, bx) = (block / Self.blocksPerSide, block % Self.blocksPerSide)
                for other in 0..<scales {
                    let cellBlocks = GazeLayout.cellSizes[other] / 8
                    let id = GazeLayout.localID(scale: other, row: by / cellBlocks, col: bx / cellBlocks)
                    guard !picked[id] else { continue }
                    let before = (oldWritten < 0 || Int(oldWritten) > other) ? oldError - paintedError[other][block] : 0
                    let after = (Int(written[block]) > other) ? canvasError[block] - paintedError[other][block] : 0
                    gains[id] += after - before
                }
            }
        }
        let error = canvasError.reduce(0, +) / values
        return FrameResult(ids: ids, error: error, metTarget: error <= targetError)
    }

    /// Whether gain `a` beats gain `b` by more than the tie tolerance.
    static func beats(_ a: Double, _ b: Double) -> Bool {
        a - b > 1e-9 * max(1, abs(a), abs(b))
    }

    /// A candidate's gain summed afresh over its paintable blocks.
    private func exactGain(_ id: Int, _ canvasError: [Double], _ paintedError: [[Double]], _ written: [Int8]) -> Double {
        let (scale, row, col) = GazeLayout.cell(ofLocalID: id)
        var gain = 0.0
        for block in blocks(scale: scale, row: row, col: col) where written[block] < 0 || Int(written[block]) > scale {
            gain += canvasError[block] - paintedError[scale][block]
        }
        return gain
    }

    /// The 8×8 blocks of a cell, row-major.
    private func blocks(scale: Int, row: Int, col: Int) -> [Int] {
        let n = GazeLayout.cellSizes[scale] / 8
        var out: [Int] = []
        out.reserveCapacity(n * n)
        for by in (row * n)..<((row + 1) * n) {
            for bx in (col * n)..<((col + 1) * n) { out.append(by * Self.blocksPerSide + bx) }
        }
        return out
    }

    private mutating func copyBlock(_ block: Int, from image: [Float]) {
        let (by, bx) = (block / Self.blocksPerSide, block % Self.blocksPerSide)
        let plane = Self.side * Self.side
        canvas.withUnsafeMutableBufferPointer { out in
            image.withUnsafeBufferPointer { src in
                for c in 0..<3 {
                    for y in 0..<8 {
                        let o = c * plane + (by * 8 + y) * Self.side + bx * 8
                        (out.baseAddress! + o).update(from: src.baseAddress! + o, count: 8)
                    }
                }
            }
        }
    }

    /// Per-block error of `image` against `target`, in block order.
    private func blockErrors(of image: [Float], against target: [Float]) -> [Double] {
        var errors = [Double](repeating: 0, count: Self.blockCount)
        let plane = Self.side * Self.side
        let squared = metric == .squared
        image.withUnsafeBufferPointer { a in
            target.withUnsafeBufferPointer { b in
                for by in 0..<Self.blocksPerSide {
                    for bx in 0..<Self.blocksPerSide {
                        var sum = 0.0
                        for c in 0..<3 {
                            for y in 0..<8 {
                                let o = c * plane + (by * 8 + y) * Self.side + bx * 8
                                for x in 0..<8 {
                                    let e = Double(a[o + x]) - Double(b[o + x])
                                    sum += squared ? e * e : abs(e)
                                }
                            }
                        }
                        errors[by * Self.blocksPerSide + bx] = sum
                    }
                }
            }
        }
        return errors
    }
}
