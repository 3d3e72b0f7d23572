// Conversions between Float (binary32) and the two 16-bit float formats that token packs and
// checkpoints use: IEEE binary16 ("F16") and bfloat16 ("BF16"). Both are handled as raw 16-bit
// patterns (`UInt16`) because Swift has no bfloat16 type and safetensors stores bit patterns.

#if _endian(big)
    #error("TensorCore assumes a little-endian host (safetensors data is little-endian).")
#endif

extension Float {
    /// Creates a `Float` from an IEEE 754 binary16 bit pattern. Exact for every input.
    @inlinable
    public init(float16Bits bits: UInt16) {
        self = Float(Float16(bitPattern: bits))
    }

    /// Creates a `Float` from a bfloat16 bit pattern (the top half of a binary32). Exact for every
    /// input, NaN payloads included.
    @inlinable
    public init(bfloat16Bits bits: UInt16) {
        self = Float(bitPattern: UInt32(bits) &<< 16)
    }

    /// This value rounded to IEEE 754 binary16, as a bit pattern.
    ///
    /// Rounds to nearest, ties to even; values beyond the binary16 range become ±infinity, tiny
    /// values become binary16 subnormals or ±0, and NaN stays a quiet NaN.
    @inlinable
    public var float16Bits: UInt16 {
        Float16(self).bitPattern
    }

    /// This value rounded to bfloat16, as a bit pattern.
    ///
    /// Rounds to nearest, ties to even (so values past the largest finite bfloat16 by half an ulp
    /// or more become ±infinity); infinities are kept and NaN becomes a quiet NaN with the same
    /// sign and the top payload bits.
    @inlinable
    public var bfloat16Bits: UInt16 {
        let bits = bitPattern
        let rounded = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16)
        let quietNaN = UInt16(truncatingIfNeeded: bits &>> 16) | 0x0040
        // Branch-free select so that bulk loops vectorise.
        return (bits & 0x7FFF_FFFF) > 0x7F80_0000 ? quietNaN : rounded
    }
}

extension Array where Element == Float {
    /// Creates floats from IEEE binary16 bit patterns (exact).
    ///
    /// - Complexity: O(*n*).
    public init(float16Bits bits: [UInt16]) {
        self = bits.withUnsafeBufferPointer { source in
            [Float](unsafeUninitializedCapacity: source.count) { destination, count in
                HalfPrecision.widenFloat16(source, into: destination)
                count = source.count
            }
        }
    }

    /// Creates floats from bfloat16 bit patterns (exact).
    ///
    /// - Complexity: O(*n*).
    public init(bfloat16Bits bits: [UInt16]) {
        self = bits.withUnsafeBufferPointer { source in
            [Float](unsafeUninitializedCapacity: source.count) { destination, count in
                HalfPrecision.widenBFloat16(source, into: destination)
                count = source.count
            }
        }
    }

    /// The elements rounded to IEEE binary16 bit patterns (see ``Swift/Float/float16Bits``).
    ///
    /// - Complexity: O(*n*).
    public func float16Bits() -> [UInt16] {
        withUnsafeBufferPointer { source in
            [UInt16](unsafeUninitializedCapacity: source.count) { destination, count in
                HalfPrecision.narrowToFloat16(source, into: destination)
                count = source.count
            }
        }
    }

    /// The elements rounded to bfloat16 bit patterns (see ``Swift/Float/bfloat16Bits``).
    ///
    /// - Complexity: O(*n*).
    public func bfloat16Bits() -> [UInt16] {
        withUnsafeBufferPointer { source in
            [UInt16](unsafeUninitializedCapacity: source.count) { destination, count in
                HalfPrecision.narrowToBFloat16(source, into: destination)
                count = source.count
            }
        }
    }
}

/// Bulk pointer kernels behind the array conversions, shared with the safetensors reader and writer.
enum HalfPrecision {
    static func narrowToFloat16(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<UInt16>) {
        precondition(destination.count >= source.count)
        for index in source.indices {
            destination[index] = source[index].float16Bits
        }
    }

    static func narrowToBFloat16(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<UInt16>) {
        precondition(destination.count >= source.count)
        for index in source.indices {
            destination[index] = source[index].bfloat16Bits
        }
    }

    static func widenFloat16(_ source: UnsafeBufferPointer<UInt16>, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(destination.count >= source.count)
        for index in source.indices {
            destination[index] = Float(float16Bits: source[index])
        }
    }

    static func widenBFloat16(_ source: UnsafeBufferPointer<UInt16>, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(destination.count >= source.count)
        for index in source.indices {
            destination[index] = Float(bfloat16Bits: source[index])
        }
    }

    /// Widens `count` little-endian 16-bit patterns at `source` (any alignment) to floats.
    static func widen(
        rawHalves source: UnsafeRawPointer, count: Int, bfloat: Bool,
        into destination: UnsafeMutablePointer<Float>
    ) {
        if bfloat {
            for index in 0..<count {
                let bits = source.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self)
                destination[index] = Float(bfloat16Bits: bits)
            }
        } else {
            for index in 0..<count {
                let bits = source.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self)
                destination[index] = Float(float16Bits: bits)
            }
        }
    }
}
