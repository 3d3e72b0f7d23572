/// Evenly spread indices, as NumPy computes `np.floor(np.linspace(0, total - 1, count))`.
enum Linspace {
    /// `count` indices from `0` to `total − 1` inclusive, spread evenly and rounded down.
    ///
    /// Matches NumPy exactly: element `i` is `i · step` with `step = (total − 1) / (count − 1)`
    /// in `Double`, the last element is exactly `total − 1`, and `count == 1` gives `[0]`.
    /// Returns `[]` when `count` or `total` is less than 1.
    static func flooredIndices(total: Int, count: Int) -> [Int] {
        guard total > 0, count > 0 else { return [] }
        guard count > 1 else { return [0] }
        let stop = Double(total - 1)
        let step = stop / Double(count - 1)
        return (0..<count).map { i in
            i == count - 1 ? total - 1 : Int((Double(i) * step).rounded(.down))
        }
    }
}
