import Testing

@testable import VideoIO

@Suite("Linspace: NumPy's floor(linspace(0, total − 1, n))")
struct LinspaceTests {
    // Expected values computed with NumPy 2.4: np.floor(np.linspace(0, total - 1, n)).astype(int).
    @Test(
        "matches NumPy",
        arguments: [
            (100, 7, [0, 16, 33, 49, 66, 82, 99]),
            (11, 4, [0, 3, 6, 10]),
            (30, 7, [0, 4, 9, 14, 19, 24, 29]),
            (49, 17, [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45, 48]),
            // Here i · step lands just below an integer, so exact rational arithmetic would differ.
            (31, 23, [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 17, 19, 20, 21, 23, 24, 25, 27, 28, 30]),
            (5, 1, [0]),
            (1, 1, [0]),
            (4, 4, [0, 1, 2, 3]),
        ])
    func matchesNumPy(total: Int, count: Int, expected: [Int]) {
        #expect(Linspace.flooredIndices(total: total, count: count) == expected)
    }

    @Test("empty for non-positive sizes")
    func empty() {
        #expect(Linspace.flooredIndices(total: 0, count: 3).isEmpty)
        #expect(Linspace.flooredIndices(total: 5, count: 0).isEmpty)
    }

    @Test("indices are strictly increasing whenever count ≤ total")
    func strictlyIncreasing() {
        for total in 1...120 {
            for count in 1...total {
                let indices = Linspace.flooredIndices(total: total, count: count)
                #expect(indices.count == count)
                #expect(zip(indices, indices.dropFirst()).allSatisfy { $0 < $1 })
                #expect(indices.first == 0 && indices.last == (count == 1 ? 0 : total - 1))
            }
        }
    }
}
