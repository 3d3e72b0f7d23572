import PropertyBased
import Testing

@testable import TensorCore

/// Independent reference roundings, computed in Double arithmetic from the definition of
/// round-to-nearest-even rather than by bit manipulation or Float16.
private enum Reference {
    /// `x` rounded to a binary format with `mantissaBits` fraction bits, minimum normal exponent
    /// `minimumExponent`, and overflow threshold `overflow` (the first value that rounds to infinity).
    static func round(_ x: Float, mantissaBits: Int, minimumExponent: Int, overflow: Double) -> Double {
        precondition(x.isFinite)
        let value = Double(x)
        if value == 0 { return value }
        let exponent = max(Int(x.exponent), minimumExponent)
        let quantum = Double(sign: .plus, exponent: exponent - mantissaBits, significand: 1)
        let rounded = (value / quantum).rounded(.toNearestOrEven) * quantum
        if abs(rounded) >= overflow { return value < 0 ? -.infinity : .infinity }
        return rounded
    }

    /// BF16: 7 fraction bits, float32's exponent range; halfway above the largest finite rounds up.
    static func bfloat16Bits(_ x: Float) -> UInt16 {
        if x.isNaN { return UInt16(x.bitPattern >> 16) | 0x40 }
        if x.isInfinite { return UInt16(x.bitPattern >> 16) }
        let value = round(x, mantissaBits: 7, minimumExponent: -126, overflow: 0x1p128)
        return UInt16(Float(value).bitPattern >> 16)
    }

    /// F16: 10 fraction bits, minimum normal exponent -14, values ≥ 65520 overflow.
    static func float16Value(_ x: Float) -> Double {
        if x.isNaN || x.isInfinite { return Double(x) }
        return round(x, mantissaBits: 10, minimumExponent: -14, overflow: 65520)
    }
}

@Suite struct HalfPrecisionTests {
    @Test func everyFloat16RoundTripsExactly() {
        for bits in UInt16.min...UInt16.max {
            let widened = Float(float16Bits: bits)
            let back = widened.float16Bits
            if widened.isNaN {
                #expect(back & 0x7E00 == 0x7E00 && back & 0x8000 == bits & 0x8000, "NaN \(bits) → \(back)")
            } else if back != bits {
                Issue.record("F16 0x\(String(bits, radix: 16)) → \(widened) → 0x\(String(back, radix: 16))")
            }
        }
    }

    @Test func everyBFloat16RoundTripsExactly() {
        for bits in UInt16.min...UInt16.max {
            let widened = Float(bfloat16Bits: bits)
            #expect(widened.bitPattern == UInt32(bits) << 16)
            let back = widened.bfloat16Bits
            let expected = widened.isNaN ? bits | 0x40 : bits
            if back != expected {
                Issue.record("BF16 0x\(String(bits, radix: 16)) → 0x\(String(back, radix: 16))")
            }
        }
    }

    @Test func bfloat16RoundingMatchesReferenceOnRandomBitPatterns() async {
        await propertyCheck(count: 3000, input: Gen.uint32()) { bits in
            let x = Float(bitPattern: bits)
            #expect(x.bfloat16Bits == Reference.bfloat16Bits(x), "x = \(x) (0x\(String(bits, radix: 16)))")
        }
        // Random bit patterns almost never sit on a tie; force the dropped half near and on ties.
        let lowHalves: [UInt32] = [0x0000, 0x0001, 0x7FFF, 0x8000, 0x8001, 0xFFFF]
        await propertyCheck(count: 3000, input: Gen.uint16(), Gen.int(in: 0..<lowHalves.count)) { high, low in
            let bits = UInt32(high) << 16 | lowHalves[low]
            let x = Float(bitPattern: bits)
            #expect(x.bfloat16Bits == Reference.bfloat16Bits(x), "x = \(x) (0x\(String(bits, radix: 16)))")
        }
    }

    @Test func float16RoundingMatchesReferenceOnRandomValues() async {
        // Bit patterns cover every exponent; a second generator concentrates on the F16 range.
        await propertyCheck(count: 2000, input: Gen.uint32()) { bits in
            let x = Float(bitPattern: bits)
            let got = Float(float16Bits: x.float16Bits)
            if x.isNaN {
                #expect(got.isNaN)
            } else {
                #expect(Double(got) == Reference.float16Value(x), "x = \(x) (0x\(String(bits, radix: 16)))")
                #expect(got.sign == x.sign)
            }
        }
        await propertyCheck(count: 2000, input: Gen.float(in: -70000...70000)) { x in
            #expect(Double(Float(float16Bits: x.float16Bits)) == Reference.float16Value(x), "x = \(x)")
        }
    }

    @Test func tiesRoundToEven() {
        // BF16: 1 + 2^-8 is halfway between 1 and 1 + 2^-7: goes to the even 1.
        #expect(Float(bitPattern: 0x3F80_8000).bfloat16Bits == 0x3F80)
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
        #expect(Float(bitPattern: 0x3F81_8000).bfloat16Bits == 0x3F82)
        #expect(Float(bitPattern: 0x3F80_8001).bfloat16Bits == 0x3F81)
        // Largest float32 is past the last BF16 tie: infinity.
        #expect(Float.greatestFiniteMagnitude.bfloat16Bits == 0x7F80)
        #expect((-Float.greatestFiniteMagnitude).bfloat16Bits == 0xFF80)
        // F16: 1 + 2^-11 → 1; 1 + 3·2^-11 → 1 + 2^-9; 65520 → inf; 2^-25 → 0.
        #expect(Float(1 + 0x1p-11).float16Bits == 0x3C00)
        #expect(Float(1 + 3 * 0x1p-11).float16Bits == 0x3C02)
        #expect(Float(65504).float16Bits == 0x7BFF)
        #expect(Float(65520).float16Bits == 0x7C00)
        #expect(Float(0x1p-24).float16Bits == 0x0001)
        #expect(Float(0x1p-25).float16Bits == 0x0000)
    }

    @Test func infinitiesZerosAndNaN() {
        #expect(Float.infinity.bfloat16Bits == 0x7F80)
        #expect((-Float.infinity).bfloat16Bits == 0xFF80)
        #expect(Float(0).bfloat16Bits == 0)
        #expect(Float(-0.0).bfloat16Bits == 0x8000)
        #expect(Float.infinity.float16Bits == 0x7C00)
        #expect((-Float.infinity).float16Bits == 0xFC00)
        #expect(Float(-0.0).float16Bits == 0x8000)

        // NaN stays NaN and becomes quiet, keeping its sign — including signalling NaNs whose
        // payload lives only in the low bits that BF16 drops.
        let nans: [UInt32] = [0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF, 0x7FA0_0000]
        for bits in nans {
            let x = Float(bitPattern: bits)
            let b = x.bfloat16Bits
            #expect(Float(bfloat16Bits: b).isNaN, "0x\(String(bits, radix: 16))")
            #expect(b & 0x0040 != 0)
            #expect(b & 0x8000 == UInt16(bits >> 16) & 0x8000)
            let h = x.float16Bits
            #expect(Float(float16Bits: h).isNaN)
            #expect(h & 0x0200 != 0)
            #expect(h & 0x8000 == UInt16(bits >> 16) & 0x8000)
        }
    }

    @Test func bulkConversionsMatchScalarOnes() async {
        let values = Gen.uint32().map { Float(bitPattern: $0) }.array(of: 0...300)
        await propertyCheck(count: 50, input: values) { floats in
            let half = floats.float16Bits()
            let brain = floats.bfloat16Bits()
            #expect(half == floats.map(\.float16Bits))
            #expect(brain == floats.map(\.bfloat16Bits))
            let widenedHalf = [Float](float16Bits: half)
            let widenedBrain = [Float](bfloat16Bits: brain)
            #expect(widenedHalf.map(\.bitPattern) == half.map { Float(float16Bits: $0).bitPattern })
            #expect(widenedBrain.map(\.bitPattern) == brain.map { UInt32($0) << 16 })
        }
    }
}
