import PropertyBased
import Testing

@testable import TensorCore

@Suite struct MatrixTests {
    /// The textbook triple loop, in Double.
    private func naiveProduct(_ a: Matrix, _ b: Matrix, transposeB: Bool) -> [Double] {
        let n = transposeB ? b.rows : b.columns
        var result = [Double](repeating: 0, count: a.rows * n)
        for i in 0..<a.rows {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<a.columns {
                    sum += Double(a[i, p]) * Double(transposeB ? b[j, p] : b[p, j])
                }
                result[i * n + j] = sum
            }
        }
        return result
    }

    @Test func productMatchesTheNaiveLoop() async {
        let dimension = Gen.int(in: 0...33)
        await propertyCheck(count: 60, input: dimension, dimension, dimension, Gen.bool(), Gen.uint64()) { m, k, n, transposeB, seed in
            let a = Matrix(rows: m, columns: k, storage: .random(count: m * k, seed: seed))
            let b = transposeB
                ? Matrix(rows: n, columns: k, storage: .random(count: n * k, seed: seed &+ 1))
                : Matrix(rows: k, columns: n, storage: .random(count: k * n, seed: seed &+ 1))
            let product = Matrix.matmul(a, b, transposeB: transposeB)
            #expect(product.rows == m && product.columns == n)
            let expected = naiveProduct(a, b, transposeB: transposeB)
            let tolerance = 1e-5 * Double(max(k, 1))
            for index in expected.indices where abs(Double(product.storage[index]) - expected[index]) > tolerance {
                Issue.record("m=\(m) k=\(k) n=\(n) transposeB=\(transposeB): element \(index) is \(product.storage[index]), expected \(expected[index])")
                break
            }
            #expect(a.multiplied(by: b, transposingOther: transposeB) == product)
        }
    }

    @Test func transposingOtherEqualsMultiplyingTheTranspose() {
        let a = Matrix(rows: 3, columns: 5, storage: .random(count: 15, seed: 1))
        let w = Matrix(rows: 4, columns: 5, storage: .random(count: 20, seed: 2))
        let viaFlag = a.multiplied(by: w, transposingOther: true)
        let viaCopy = a.multiplied(by: w.transposed())
        for (x, y) in zip(viaFlag.storage, viaCopy.storage) {
            #expect(abs(x - y) <= 1e-6)
        }
    }

    @Test func smallExactProduct() {
        let a = Matrix(rows: 2, columns: 3, storage: [1, 2, 3, 4, 5, 6])
        let b = Matrix(rows: 3, columns: 2, storage: [7, 8, 9, 10, 11, 12])
        #expect(a.multiplied(by: b) == Matrix(rows: 2, columns: 2, storage: [58, 64, 139, 154]))
    }

    @Test func elementAccessAndTranspose() {
        var m = Matrix(rows: 2, columns: 3)
        m[1, 2] = 5
        m[0, 1] = -1
        #expect(m.storage == [0, -1, 0, 0, 0, 5])
        let t = m.transposed()
        #expect(t.rows == 3 && t.columns == 2)
        #expect(t[2, 1] == 5 && t[1, 0] == -1)
        #expect(t.transposed() == m)
        #expect(Matrix(rows: 2, columns: 2, repeating: 3).storage == [3, 3, 3, 3])
    }

    @Test func blasThreadCountIsReadable() {
        // Reading is safe while other tests run; setting would race with them, so set it to itself.
        let count = BLAS.threadCount
        #expect(count >= 1)
        BLAS.threadCount = count
        #expect(BLAS.threadCount == count)
    }
}
