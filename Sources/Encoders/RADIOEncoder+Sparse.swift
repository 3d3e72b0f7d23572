import Reduction

extension RADIOEncoder {
    /// Encodes only the tokens of `tokens` (pixel patches, `dimension` = 3·P·P, values in [0,1]).
    ///
    /// Each token gets the CPE of its own cell; a token of scale `s > 0` gets the CPE of that scale's
    /// grid, i.e. of the frame resized to `side / cellSizes[s]` cells a side. Tokens of one frame
    /// attend to each other and to that frame's own prefix tokens (block-diagonal over frames); all
    /// frames share the GEMMs of the linear layers. With every token kept, this equals the dense
    /// forward.
    ///
    /// - Returns: a `TokenSet` with the same coords, frames and cell sizes whose features are the
    ///   encoder's (width D), and the per-frame summary `[frames.count × summaryWidth]` (frames in
    ///   `tokens.frames` order; a frame without tokens is encoded from its prefix tokens alone).
    public func encodeWithSummary(_ tokens: TokenSet) throws(RADIOError) -> (tokens: TokenSet, summary: [Float]) {
        let P = config.patchSize, D = config.embedDim, patchDim = 3 * P * P
        guard tokens.dimension == patchDim else {
            throw RADIOError("token dimension \(tokens.dimension), expected \(patchDim) (3×\(P)×\(P) pixel patches)")
        }
        guard tokens.features.count == tokens.count * patchDim else {
            throw RADIOError("token set holds \(tokens.features.count) values for \(tokens.count) tokens of \(patchDim)")
        }
        guard !tokens.cellSizes.isEmpty else { throw RADIOError("token set has no cell sizes") }
        if config.vitdetWindow > 0 { return try encodeWindowed(tokens) }
        var frameOf: [Int32: Int] = [:]
        for (i, frame) in tokens.frames.enumerated() {
            guard frameOf[Int32(frame.t)] == nil else { throw RADIOError("token set lists frame t=\(frame.t) twice") }
            frameOf[Int32(frame.t)] = i
        }
        // Grid of each (frame, scale): the frame's pixel side divided by that scale's cell side.
        func grid(_ frame: FrameRecord, _ scale: Int) -> (Int, Int) {
            let base = tokens.cellSizes[0], cell = tokens.cellSizes[scale]
            let height = frame.gridRows * base, width = frame.gridColumns * base
            return (max(1, (height + cell / 2) / cell), max(1, (width + cell / 2) / cell))
        }
        var members = [[Int]](repeating: [], count: tokens.frames.count)
        for (i, coord) in tokens.coords.enumerated() {
            guard let f = frameOf[coord.t] else { throw RADIOError("token \(i) belongs to frame t=\(coord.t), which the token set does not list") }
            let s = Int(coord.scale)
            guard s >= 0, s < tokens.cellSizes.count else {
                throw RADIOError("token \(i) has scale \(s) but the token set has \(tokens.cellSizes.count) cell sizes")
            }
            let (rows, cols) = grid(tokens.frames[f], s)
            guard coord.row >= 0, Int(coord.row) < rows, coord.col >= 0, Int(coord.col) < cols else {
                throw RADIOError("token \(i) at (\(coord.row), \(coord.col)) lies outside its \(rows)×\(cols) grid (scale \(s))")
            }
            members[f].append(i)
        }
        var packed = PackedTokens(pixels: [Float](repeating: 0, count: tokens.count * patchDim),
                                  row: [], col: [], gridRows: [], gridCols: [],
                                  frameCounts: members.map(\.count))
        var packedIndex = [Int](repeating: 0, count: tokens.count)
        var k = 0
        tokens.features.withUnsafeBufferPointer { src in
            packed.pixels.withUnsafeMutableBufferPointer { dst in
                for (f, list) in members.enumerated() {
                    for i in list {
                        let c = tokens.coords[i]
                        let (rows, cols) = grid(tokens.frames[f], Int(c.scale))
                        packed.row.append(Int(c.row)); packed.col.append(Int(c.col))
                        packed.gridRows.append(rows); packed.gridCols.append(cols)
                        (dst.baseAddress! + k * patchDim).update(from: src.baseAddress! + i * patchDim, count: patchDim)
                        packedIndex[i] = k
                        k += 1
                    }
                }
            }
        }
        let output = forward(packed)
        var out = tokens
        out.dimension = D
        out.features = [Float](repeating: 0, count: tokens.count * D)
        var summary = [Float](repeating: 0, count: tokens.frames.count * config.summaryWidth)
        var frameStartToken = [Int](repeating: 0, count: members.count)
        var running = 0
        for f in 0..<members.count { frameStartToken[f] = running; running += members[f].count }
        let T = config.prefixTokens
        var rows = [Int](repeating: 0, count: tokens.count)
        for i in 0..<tokens.count {
            let f = frameOf[tokens.coords[i].t]!
            rows[i] = output.frameStarts[f] + T + (packedIndex[i] - frameStartToken[f])
        }
        out.features.withUnsafeMutableBufferPointer { dst in writeFeatures(output, rows: rows, to: dst.baseAddress!) }
        summary.withUnsafeMutableBufferPointer { s in
            for f in 0..<members.count { writeSummary(output, frame: f, to: s.baseAddress! + f * config.summaryWidth) }
        }
        return (out, summary)
    }

    /// ViTDet windows tile whole frames, so windowed encoding needs every patch of every frame:
    /// the frames are rebuilt from their patches and encoded densely.
    private func encodeWindowed(_ tokens: TokenSet) throws(RADIOError) -> (tokens: TokenSet, summary: [Float]) {
        let P = config.patchSize, D = config.embedDim
        guard let first = tokens.frames.first else { return (tokens, []) }
        let (rows, cols) = (first.gridRows, first.gridColumns)
        guard tokens.frames.allSatisfy({ $0.gridRows == rows && $0.gridColumns == cols }),
            tokens.count == tokens.frames.count * rows * cols, tokens.coords.allSatisfy({ $0.scale == 0 })
        else {
            throw RADIOError(
                "ViTDet windowed attention needs every patch of every frame — drop --vitdet-window or the reducers that prune patches")
        }
        let (width, height) = (cols * P, rows * P)
        let plane = width * height
        var slot: [Int32: Int] = [:]
        for (i, frame) in tokens.frames.enumerated() { slot[Int32(frame.t)] = i }
        var images = [[Float]](repeating: [Float](repeating: 0, count: 3 * plane), count: tokens.frames.count)
        for (i, coord) in tokens.coords.enumerated() {
            guard let f = slot[coord.t] else { throw RADIOError("token \(i) belongs to a frame the token set does not list") }
            for c in 0..<3 {
                for y in 0..<P {
                    let from = i * 3 * P * P + (c * P + y) * P
                    let to = c * plane + (Int(coord.row) * P + y) * width + Int(coord.col) * P
                    images[f].replaceSubrange(to..<(to + P), with: tokens.features[from..<(from + P)])
                }
            }
        }
        let (summary, features) = try encode(images: images, width: width, height: height)
        var out = tokens
        out.dimension = D
        out.features = [Float](repeating: 0, count: tokens.count * D)
        for (i, coord) in tokens.coords.enumerated() {
            let from = (slot[coord.t]! * rows * cols + Int(coord.row) * cols + Int(coord.col)) * D
            out.features.replaceSubrange((i * D)..<((i + 1) * D), with: features[from..<(from + D)])
        }
        return (out, summary)
    }

    /// Encodes only the tokens of `tokens`; see ``encodeWithSummary(_:)``, which also returns the
    /// per-frame summary.
    public func encode(_ tokens: TokenSet) throws(RADIOError) -> TokenSet {
        try encodeWithSummary(tokens).tokens
    }
}
