import Foundation

/// An independent statement of vtok's sampling rules over ffprobe's frame times, written from
/// the specification (NumPy semantics) rather than from the library code.
enum ReferenceSampling {
    /// `np.floor(np.linspace(0, total - 1, n)).astype(int)`.
    static func linspaceFloor(_ total: Int, _ n: Int) -> [Int] {
        if n == 1 { return [0] }
        let stop = Double(total - 1)
        let step = (stop - 0) / Double(n - 1)
        var values = (0..<n).map { 0 + Double($0) * step }
        values[n - 1] = stop
        return values.map { Int($0.rounded(.down)) }
    }

    /// Indices of frames whose time lies in `[start, end)`.
    static func range(_ times: [Double], start: Double?, end: Double?) -> [Int] {
        let eps = 1e-7
        return times.indices.filter { i in
            times[i] >= (start ?? 0) - eps && (end.map { times[i] < $0 - eps } ?? true)
        }
    }

    static func count(
        _ n: Int, times: [Double], start: Double? = nil, end: Double? = nil, maxFrames: Int? = nil
    ) -> [Int] {
        let inRange = range(times, start: start, end: end)
        let k = min(n, inRange.count, maxFrames ?? .max)
        guard k > 0 else { return [] }
        return linspaceFloor(inRange.count, k).map { inRange[$0] }
    }

    static func fps(
        _ rate: Double, times: [Double], duration: Double, start: Double? = nil, end: Double? = nil,
        maxFrames: Int? = nil
    ) -> [Int] {
        let lower = min(max(start ?? 0, 0), duration)
        let upper = min(end ?? duration, duration)
        let n = max(1, Int((max(0, upper - lower) * rate).rounded(.down)))
        return count(n, times: times, start: start, end: end, maxFrames: maxFrames)
    }
}
