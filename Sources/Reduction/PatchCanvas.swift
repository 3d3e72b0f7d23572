/// The last known content of every grid cell (row, column, scale) seen so far.
///
/// EVS compares each patch with the content its cell had in the previous frame (or when it was
/// last kept); the fidelity meter rebuilds frames from it. Storage grows with the number of
/// distinct cells, never with the number of frames.
struct PatchCanvas {
    private struct Cell: Hashable {
        var row: Int32
        var col: Int32
        var scale: Int32
    }

    let dimension: Int
    private var slots: [Cell: Int] = [:]
    private(set) var storage: [Float] = []

    init(dimension: Int) {
        self.dimension = dimension
    }

    /// The slot of a cell, or nil when the cell has no content yet.
    func slot(of coord: TokenCoord) -> Int? {
        slots[Cell(row: coord.row, col: coord.col, scale: coord.scale)]
    }

    /// Sets a cell's content from a token's features.
    mutating func store(_ coord: TokenCoord, from source: UnsafePointer<Float>) {
        let key = Cell(row: coord.row, col: coord.col, scale: coord.scale)
        let slot: Int
        if let existing = slots[key] {
            slot = existing
        } else {
            slot = slots.count
            slots[key] = slot
            storage.append(contentsOf: repeatElement(0, count: dimension))
        }
        storage.withUnsafeMutableBufferPointer { buffer in
            (buffer.baseAddress! + slot * dimension).update(from: source, count: dimension)
        }
    }

    /// Calls `body` with a pointer to the cell's content, or nil when it has none.
    func withContent<R>(of coord: TokenCoord, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        guard let slot = slot(of: coord) else { return try body(nil) }
        return try storage.withUnsafeBufferPointer { try body($0.baseAddress! + slot * dimension) }
    }
}
