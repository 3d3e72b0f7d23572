import COpenBLAS

/// A dense, row-major matrix of `Float` values.
///
/// Element `(row, column)` is `storage[row * columns + column]`. Products go through OpenBLAS
/// `cblas_sgemm`; see ``BLAS`` for its thread pool.
public struct Matrix: Sendable, Equatable {
    /// The number of rows.
    public let rows: Int
    /// The number of columns.
    public let columns: Int
    /// The elements, row after row; `rows * columns` of them.
    public var storage: [Float]

    /// Creates a matrix over existing row-major storage.
    ///
    /// - Precondition: `storage.count == rows * columns`, both non-negative.
    public init(rows: Int, columns: Int, storage: [Float]) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must not be negative")
        precondition(
            storage.count == rows * columns,
            "matrix storage has \(storage.count) elements, \(rows)×\(columns) needs \(rows * columns)"
        )
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// Creates a matrix with every element equal to `value`.
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        self.init(rows: rows, columns: columns, storage: [Float](repeating: value, count: rows * columns))
    }

    /// The element at `row`, `column`.
    public subscript(row: Int, column: Int) -> Float {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "matrix index out of range")
            return storage[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "matrix index out of range")
            storage[row * columns + column] = newValue
        }
    }

    /// The matrix with rows and columns exchanged.
    ///
    /// - Complexity: O(`rows * columns`).
    public func transposed() -> Matrix {
        let (rows, columns) = (self.rows, self.columns)
        let result = storage.withUnsafeBufferPointer { source in
            [Float](unsafeUninitializedCapacity: rows * columns) { destination, count in
                for row in 0..<rows {
                    for column in 0..<columns {
                        destination[column * rows + row] = source[row * columns + column]
                    }
                }
                count = rows * columns
            }
        }
        return Matrix(rows: columns, columns: rows, storage: result)
    }

    /// The product `self × other`, or `self × otherᵀ` when `transposingOther` is `true`.
    ///
    /// `transposingOther` suits weights stored as `[out, in]` (the PyTorch `Linear` layout):
    /// `x.multiplied(by: weight, transposingOther: true)` computes `x · Wᵀ` without copying `W`.
    ///
    /// - Precondition: `columns` equals `other.rows` (or `other.columns` when transposing).
    /// - Complexity: O(`rows * columns * n`), computed by `cblas_sgemm`.
    public func multiplied(by other: Matrix, transposingOther: Bool = false) -> Matrix {
        Matrix.matmul(self, other, transposeB: transposingOther)
    }

    /// The product `a × b`, or `a × bᵀ` when `transposeB` is `true`, computed by `cblas_sgemm`.
    ///
    /// - Precondition: the inner dimensions agree and every dimension fits in `Int32`.
    public static func matmul(_ a: Matrix, _ b: Matrix, transposeB: Bool = false) -> Matrix {
        let m = a.rows
        let k = a.columns
        let n = transposeB ? b.rows : b.columns
        let inner = transposeB ? b.columns : b.rows
        precondition(
            k == inner,
            "matrix product of \(a.rows)×\(a.columns) and \(transposeB ? "(\(b.rows)×\(b.columns))ᵀ" : "\(b.rows)×\(b.columns)") has mismatched inner dimensions"
        )
        let limit = Int(Int32.max)
        precondition(m <= limit && n <= limit && k <= limit, "matrix dimensions exceed the BLAS Int32 range")
        guard m > 0, n > 0, k > 0 else { return Matrix(rows: m, columns: n) }

        var result = [Float](repeating: 0, count: m * n)
        a.storage.withUnsafeBufferPointer { left in
            b.storage.withUnsafeBufferPointer { right in
                result.withUnsafeMutableBufferPointer { output in
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k),
                        1, left.baseAddress, Int32(k),
                        right.baseAddress, Int32(transposeB ? k : n),
                        0, output.baseAddress, Int32(n)
                    )
                }
            }
        }
        return Matrix(rows: m, columns: n, storage: result)
    }
}

/// Settings of the OpenBLAS library behind ``Matrix``.
///
/// OpenBLAS (the pthread build on Debian) runs each large product on its own thread pool, sized by
/// default from `OPENBLAS_NUM_THREADS` or the number of cores. When the caller already runs work in
/// parallel (several frames or windows at once), set ``threadCount`` to 1 — or parallelise only
/// inside BLAS — so the two do not oversubscribe the cores. The setting is process-wide.
public enum BLAS {
    /// The number of threads OpenBLAS uses for one call (process-wide).
    ///
    /// Setting it calls `openblas_set_num_threads`; values below 1 are treated as 1.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(clamping: max(1, newValue))) }
    }
}
