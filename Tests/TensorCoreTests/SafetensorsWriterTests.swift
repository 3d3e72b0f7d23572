import Foundation
import PropertyBased
import TestSupport
import Testing

@testable import TensorCore

@Suite struct SafetensorsWriterTests {
    /// Random bytes for a tensor of `dtype` and `shape`.
    private func randomBytes(_ dtype: DType, _ shape: [Int], seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return (0..<(shape.reduce(1, *) * dtype.byteSize)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test func roundTripsEveryDType() async throws {
        let directory = try TemporaryDirectory()
        let shapes = Gen.int(in: 0...5).array(of: 0...3)
        await propertyCheck(count: 25, input: shapes, Gen.uint64()) { shape, seed in
            var writer = SafetensorsWriter(metadata: ["seed": "\(seed)"])
            var expected: [String: [UInt8]] = [:]
            for (index, dtype) in DType.allCases.enumerated() {
                let name = "t\(index).\(dtype.rawValue.lowercased())"
                let bytes = randomBytes(dtype, shape, seed: seed &+ UInt64(index))
                try writer.addTensor(name, dtype: dtype, shape: shape, source: .bytes(bytes))
                expected[name] = bytes
            }
            let path = directory.file("all.safetensors")
            try writer.write(to: path)
            let file = try SafetensorsFile(path: path)
            #expect(file.names == expected.keys.sorted())
            #expect(file.metadata == ["seed": "\(seed)"])
            for (index, dtype) in DType.allCases.enumerated() {
                let name = "t\(index).\(dtype.rawValue.lowercased())"
                let info = try #require(file.info(name))
                #expect(info.dtype == dtype && info.shape == shape)
                #expect(try file.bytes(name) == expected[name])
                #expect(info.byteRange.lowerBound % dtype.byteSize == 0, "\(name) is not aligned")
            }
            #expect(try readFile(path) == writer.serialized())
        }
    }

    @Test func typedSourcesRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let floats: [Float] = [0, -0.0, 1, -1.5, 3.1415927, 1e-8, 70000, .infinity, -.infinity, .nan, 65504, 1e30]
        var writer = SafetensorsWriter()
        try writer.addTensor("f32", shape: [3, 4], floats: floats)
        try writer.addTensor("f16", shape: [12], floats: floats, as: .f16)
        try writer.addTensor("bf16", shape: [2, 6], floats: floats, as: .bf16)
        try writer.addTensor("f64f", shape: [12], floats: floats, as: .f64)
        try writer.addTensor("i32", shape: [2, 2], int32s: [1, -2, .max, .min])
        try writer.addTensor("i64", shape: [3], int64s: [.max, .min, 0])
        try writer.addTensor("f64", shape: [2], float64s: [1.0 / 3.0, -1e300])
        try writer.addTensor("u16", dtype: .u16, shape: [2], source: .uint16s([0xFFFF, 1]))
        try writer.addTensor("scalar", shape: [], floats: [42])
        let path = directory.file("typed.safetensors")
        try writer.write(to: path)

        let file = try SafetensorsFile(path: path)
        #expect(try file.floats("f32").map(\.bitPattern) == floats.map(\.bitPattern))
        #expect(try file.floats("f16").map(\.bitPattern) == [Float](float16Bits: floats.float16Bits()).map(\.bitPattern))
        #expect(try file.floats("bf16").map(\.bitPattern) == [Float](bfloat16Bits: floats.bfloat16Bits()).map(\.bitPattern))
        #expect(try file.floats("f64f").map(\.bitPattern) == floats.map(\.bitPattern))
        #expect(try file.int32s("i32") == [1, -2, .max, .min])
        #expect(try file.int64s("i64") == [.max, .min, 0])
        #expect(try file.float64s("f64") == [1.0 / 3.0, -1e300])
        #expect(try file.bytes("u16") == [0xFF, 0xFF, 1, 0])
        #expect(try file.floats("scalar", shape: []) == [42])
        #expect(file.info("bf16")?.dtype == .bf16)
        #expect(file.info("f64f")?.dtype == .f64)
    }

    @Test func layoutIsAlignedOrderedAndDeterministic() throws {
        let declarations: [(String, DType, [Int])] = [
            ("z.byte", .u8, [3]), ("a.half", .f16, [5]), ("m.float", .f32, [7]), ("b.double", .f64, [1]),
            ("c.half", .bf16, [1]), ("y.long", .i64, [2]), ("x.bool", .bool, [1]),
        ]
        func build(_ order: [(String, DType, [Int])]) throws -> [UInt8] {
            var writer = SafetensorsWriter(metadata: ["b": "2", "a": "1"])
            for (name, dtype, shape) in order {
                try writer.addTensor(name, dtype: dtype, shape: shape, source: .bytes(randomBytes(dtype, shape, seed: UInt64(name.count))))
            }
            let bytes = try writer.serialized()
            #expect(bytes.count == writer.byteCount)
            return bytes
        }
        let bytes = try build(declarations)
        #expect(try build(declarations.reversed()) == bytes)

        let headerLength = Int(bytes[0..<8].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        #expect((8 + headerLength) % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix(#"{"__metadata__":{"a":"1","b":"2"},"b.double":"#))
        #expect(header.trimmingCharacters(in: .whitespaces).hasSuffix("}"))

        let directory = try TemporaryDirectory()
        let path = directory.file("layout.safetensors")
        try writeFile(path, bytes)
        let file = try SafetensorsFile(path: path)
        let order = file.tensorInfos.sorted { $0.dataOffsets.lowerBound < $1.dataOffsets.lowerBound }.map(\.name)
        #expect(order == ["b.double", "y.long", "m.float", "a.half", "c.half", "x.bool", "z.byte"])
        for info in file.tensorInfos {
            #expect(info.byteRange.lowerBound % info.dtype.byteSize == 0, "\(info.name)")
        }
    }

    @Test func metadataWithSpecialCharactersRoundTrips() throws {
        let metadata = [
            "json": #"{"version":"0.1","list":[1,2]}"#,
            "quotes \"and\" \\slashes": "line\nbreak\ttab\r\u{1}\u{1F}",
            "ünïcödé 🎬": "値",
            "": "empty key",
        ]
        let directory = try TemporaryDirectory()
        let path = directory.file("meta.safetensors")
        try SafetensorsWriter(metadata: metadata).write(to: path)
        #expect(try SafetensorsFile(path: path).metadata == metadata)
    }

    @Test func emptyWriterWritesAValidFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("empty.safetensors")
        try SafetensorsWriter().write(to: path)
        #expect(try readFile(path) == [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        #expect(try SafetensorsFile(path: path).names.isEmpty)
    }

    @Test func fileRegionSource() throws {
        let directory = try TemporaryDirectory()
        let spool = directory.file("spool.bin")
        let floats = [Float].random(count: 1000, seed: 7)
        let prefix: [UInt8] = [1, 2, 3]
        try writeFile(spool, prefix + floats.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } } + [9, 9])

        var writer = SafetensorsWriter()
        try writer.addTensor("tokens", dtype: .f32, shape: [250, 4], source: .fileRegion(path: spool, offset: 3, length: 4000))
        try writer.addTensor("coords", shape: [2], int32s: [5, 6])
        let path = directory.file("pack.safetensors")
        try writer.write(to: path)
        let file = try SafetensorsFile(path: path)
        #expect(try file.floats("tokens", shape: [250, 4]) == floats)
        #expect(try file.int32s("coords") == [5, 6])
        #expect(try writer.serialized() == readFile(path))
    }

    @Test func unreadableFileRegionFailsWithoutLeavingAFile() throws {
        let directory = try TemporaryDirectory()
        let spool = directory.file("short.bin")
        try writeFile(spool, [UInt8](repeating: 0, count: 10))
        for source in [
            TensorSource.fileRegion(path: spool, offset: 4, length: 8),
            TensorSource.fileRegion(path: directory.file("missing.bin"), offset: 0, length: 8),
        ] {
            var writer = SafetensorsWriter()
            try writer.addTensor("spooled", dtype: .f64, shape: [1], source: source)
            let path = directory.file("pack.safetensors")
            do {
                try writer.write(to: path)
                Issue.record("expected an error")
            } catch {
                #expect(error.kind == .io)
                #expect(error.tensor == "spooled")
                #expect(error.description.contains("'spooled'") && error.description.contains(path))
                #expect(!error.description.contains("\n"))
            }
            #expect(throws: SafetensorsError.self) { try writer.serialized() }
            #expect(try directory.contents() == ["short.bin"])
        }
    }

    @Test func invalidDeclarationsAreRejected() throws {
        var writer = SafetensorsWriter()
        try writer.addTensor("a", shape: [2], floats: [1, 2])
        let attempts: [(String, (inout SafetensorsWriter) throws -> Void)] = [
            ("a", { try $0.addTensor("a", shape: [2], floats: [1, 2]) }),
            ("__metadata__", { try $0.addTensor("__metadata__", shape: [1], floats: [1]) }),
            ("count", { try $0.addTensor("count", shape: [3, 4], floats: [1, 2]) }),
            ("bytes", { try $0.addTensor("bytes", dtype: .f32, shape: [3, 4], source: .bytes([UInt8](repeating: 0, count: 40))) }),
            ("negative", { try $0.addTensor("negative", dtype: .u8, shape: [-1], source: .bytes([])) }),
            ("overflow", { try $0.addTensor("overflow", dtype: .f64, shape: [1 << 62, 4], source: .bytes([])) }),
            ("typed", { try $0.addTensor("typed", dtype: .i32, shape: [1], source: .floats([1])) }),
            ("halves", { try $0.addTensor("halves", dtype: .f32, shape: [1], source: .uint16s([1, 2])) }),
            ("int", { try $0.addTensor("int", shape: [1], floats: [1], as: .i32) }),
        ]
        for (name, attempt) in attempts {
            do {
                try attempt(&writer)
                Issue.record("declaring '\(name)' should fail")
            } catch let error as SafetensorsError {
                #expect(error.kind == .invalidTensor, "\(error)")
                #expect(error.tensor == name)
                #expect(error.description.contains("'\(name)'"), "\(error)")
                #expect(!error.description.contains("\n"))
            }
        }
        #expect(writer.names == ["a"])
        do {
            try writer.addTensor("count", shape: [3, 4], floats: [1, 2])
        } catch {
            #expect(error.description == "cannot add tensor 'count': shape [3, 4] of F32 needs 48 bytes but Float values provide 8")
        }
    }

    @Test func writingIntoAMissingDirectoryFails() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("no/such/dir/pack.safetensors")
        do {
            try SafetensorsWriter().write(to: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .io)
            #expect(error.description.contains(path))
        }
    }
}
