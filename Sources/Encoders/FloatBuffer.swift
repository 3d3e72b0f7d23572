/// A fixed-size, heap-allocated Float32 buffer with a stable address, for weights and workspaces
/// that BLAS reads and writes through raw pointers. Immutable after filling, so shareable.
final class FloatBuffer: @unchecked Sendable {
    /// The first element.
    let pointer: UnsafeMutablePointer<Float>
    /// The number of elements.
    let count: Int

    /// A zero-filled buffer of `count` elements.
    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// A buffer holding a copy of `values`.
    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    /// The elements, copied.
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
