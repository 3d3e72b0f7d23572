import Foundation
import PropertyBased
import Reduction
import TestSupport
import Testing

/// Resampler against the independent NumPy reference in tools/reference/resample_reference.py
/// (PyTorch `F.interpolate(..., align_corners=False, antialias=False)` semantics).
@Suite struct ResamplerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var channels: Int
        var width: Int
        var height: Int
        var outWidth: Int
        var outHeight: Int
        var testDescription: String { "\(channels)×\(height)×\(width) → \(outHeight)×\(outWidth)" }
        init(_ channels: Int, _ width: Int, _ height: Int, _ outWidth: Int, _ outHeight: Int) {
            self.channels = channels
            self.width = width
            self.height = height
            self.outWidth = outWidth
            self.outHeight = outHeight
        }
    }

    static let filters: [Resampler.Filter] = [.bilinear, .bicubic]

    static let cases: [Case] = [
        // AutoGaze multi-scale patches: 224 down, 16 up (16→16 is the identity).
        Case(3, 224, 224, 112, 112), Case(3, 224, 224, 64, 64), Case(3, 224, 224, 32, 32),
        Case(3, 16, 16, 112, 112), Case(3, 16, 16, 56, 56), Case(3, 16, 16, 32, 32), Case(3, 16, 16, 16, 16),
        // Non-integer ratios, non-square, one axis unchanged, both rounding regimes of PyTorch
        // (output width + height <= 128 or not).
        Case(2, 51, 38, 31, 16), Case(1, 31, 38, 46, 55), Case(2, 37, 23, 11, 50), Case(1, 150, 90, 97, 120),
        Case(1, 100, 70, 64, 64), Case(1, 100, 70, 64, 65), Case(1, 40, 30, 40, 17), Case(1, 40, 30, 9, 30),
        Case(1, 5, 9, 17, 2), Case(1, 3, 3, 7, 7), Case(1, 2, 2, 1, 1), Case(1, 4, 6, 3, 11),
        // One-pixel sources and one-pixel outputs.
        Case(2, 1, 1, 5, 3), Case(1, 1, 7, 4, 4), Case(1, 7, 1, 3, 9), Case(1, 9, 6, 1, 1),
    ]

    /// Deterministic values in [-2, 2) (SplitMix64), like normalised pixels.
    static func pseudoRandom(count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Float(z >> 40) / Float(1 << 24) * 4 - 2
        }
    }

    static func name(_ filter: Resampler.Filter) -> String {
        switch filter {
        case .bilinear: "bilinear"
        case .bicubic: "bicubic"
        }
    }

    /// Reads a float32 little-endian `.npy` file (format 1.0, C order).
    static func readNPY(_ url: URL) throws -> (values: [Float], shape: [Int]) {
        let data = try Data(contentsOf: url)
        guard data.count >= 10, data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)), data[data.startIndex + 6] == 1 else {
            throw TestFailure("\(url.path) is not a version 1.0 .npy file")
        }
        let headerLength = Int(data[data.startIndex + 8]) | Int(data[data.startIndex + 9]) << 8
        let header = String(decoding: data[(data.startIndex + 10)..<(data.startIndex + 10 + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
            let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else { throw TestFailure("unsupported .npy header \(header)") }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let count = shape.reduce(1, *)
        let body = data.dropFirst(10 + headerLength)
        guard body.count == 4 * count else { throw TestFailure("\(url.path): \(body.count) bytes for shape \(shape)") }
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            _ = body.copyBytes(to: buffer)
            initialized = count
        }
        return (values.map { Float(bitPattern: $0.bitPattern.littleEndian) }, shape)
    }

    /// The reference result for `image` [channels, height, width].
    static func reference(_ image: [Float], _ c: Case, _ filter: Resampler.Filter) throws -> [Float] {
        let dir = try TestSupport.temporaryDirectory("vtok-resample")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.npy")
        let output = dir.appendingPathComponent("out.npy")
        try TestSupport.writeNPY(image, shape: [c.channels, c.height, c.width], to: input)
        try TestSupport.runPython(
            "tools/reference/resample_reference.py",
            [input.path, name(filter), String(c.outWidth), String(c.outHeight), output.path])
        let (values, shape) = try readNPY(output)
        guard shape == [c.channels, c.outHeight, c.outWidth] else { throw TestFailure("reference shape \(shape)") }
        return values
    }

    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test(arguments: cases, filters)
    func matchesReference(_ c: Case, _ filter: Resampler.Filter) throws {
        let image = Self.pseudoRandom(count: c.channels * c.width * c.height, seed: UInt64(c.width * 1000 + c.outWidth))
        let expected = try Self.reference(image, c, filter)
        let actual = Resampler.resize(
            image, channels: c.channels, width: c.width, height: c.height,
            toWidth: c.outWidth, toHeight: c.outHeight, filter: filter)
        #expect(actual.count == c.channels * c.outWidth * c.outHeight)
        let difference = Self.maxAbsDifference(actual, expected)
        #expect(difference <= 1e-5, "max |Swift − NumPy| = \(difference)")
    }

    @Test(arguments: filters)
    func identityReturnsTheInputExactly(_ filter: Resampler.Filter) {
        for (width, height) in [(1, 1), (16, 16), (7, 3), (224, 224)] {
            var image = Self.pseudoRandom(count: 2 * width * height, seed: 7)
            image[0] = -0.0
            image[image.count - 1] = .greatestFiniteMagnitude
            let out = Resampler.resize(
                image, channels: 2, width: width, height: height, toWidth: width, toHeight: height, filter: filter)
            #expect(out.map(\.bitPattern) == image.map(\.bitPattern))
        }
    }

    @Test(arguments: filters)
    func planeAPIMatchesTheArrayAPI(_ filter: Resampler.Filter) {
        let (width, height, outWidth, outHeight) = (23, 17, 9, 40)
        let image = Self.pseudoRandom(count: 3 * width * height, seed: 11)
        let planar = Resampler.resize(
            image, channels: 3, width: width, height: height, toWidth: outWidth, toHeight: outHeight, filter: filter)
        var perPlane = [Float](repeating: .nan, count: 3 * outWidth * outHeight)
        image.withUnsafeBufferPointer { src in
            perPlane.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    Resampler.resize(
                        src.baseAddress! + c * width * height, width: width, height: height,
                        into: dst.baseAddress! + c * outWidth * outHeight, width: outWidth, height: outHeight,
                        filter: filter)
                }
            }
        }
        #expect(perPlane == planar)
    }

    @Test func zeroChannelsGiveAnEmptyImage() {
        #expect(Resampler.resize([], channels: 0, width: 4, height: 4, toWidth: 2, toHeight: 2, filter: .bicubic).isEmpty)
    }

    @Test func bicubicOvershootIsKept() {
        // A step edge: 0 on the left half, 1 on the right, upsampled 4×.
        let row: [Float] = [0, 0, 0, 0, 1, 1, 1, 1]
        let image = Array([[Float]](repeating: row, count: 8).joined())
        let cubic = Resampler.resize(image, channels: 1, width: 8, height: 8, toWidth: 32, toHeight: 32, filter: .bicubic)
        #expect(cubic.min()! < -0.01)
        #expect(cubic.max()! > 1.01)
        let linear = Resampler.resize(image, channels: 1, width: 8, height: 8, toWidth: 32, toHeight: 32, filter: .bilinear)
        #expect(linear.min()! >= 0)
        #expect(linear.max()! <= 1)
    }

    @Test func constantImageStaysConstant() async {
        let size = Gen.int(in: 1...40)
        await propertyCheck(input: size, size, size, size, Gen.float(in: -10...10)) { width, height, outWidth, outHeight, value in
            let image = [Float](repeating: value, count: 2 * width * height)
            for filter in Self.filters {
                let out = Resampler.resize(
                    image, channels: 2, width: width, height: height,
                    toWidth: outWidth, toHeight: outHeight, filter: filter)
                #expect(out.count == 2 * outWidth * outHeight)
                let tolerance = 1e-5 * max(1, abs(value))
                if let bad = out.first(where: { !(abs($0 - value) <= tolerance) }) {
                    Issue.record("\(Self.name(filter)) \(height)×\(width) → \(outHeight)×\(outWidth) of \(value): got \(bad)")
                }
            }
        }
    }
}
