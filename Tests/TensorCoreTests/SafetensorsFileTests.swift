import Foundation
import PropertyBased
import Testing

@testable import TensorCore

/// Reading and validating safetensors files built byte by byte (independently of the writer).
@Suite struct SafetensorsFileTests {
    /// A valid two-tensor file: `a` F32 [2] at 0..<8, `b` I32 [1, 2] at 8..<16.
    private static let validHeader =
        #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1,2],"data_offsets":[8,16]}}"#
    private static let validData: [UInt8] =
        withUnsafeBytes(of: Float(1.5).bitPattern.littleEndian) { Array($0) }
        + withUnsafeBytes(of: Float(-2).bitPattern.littleEndian) { Array($0) }
        + withUnsafeBytes(of: Int32(7).littleEndian) { Array($0) }
        + withUnsafeBytes(of: Int32(-9).littleEndian) { Array($0) }

    /// Writes `bytes` to a file called `name` and tries to open it.
    private func open(_ bytes: [UInt8], name: String = "model.safetensors", in directory: TemporaryDirectory) throws -> SafetensorsFile {
        let path = directory.file(name)
        try writeFile(path, bytes)
        return try SafetensorsFile(path: path)
    }

    /// Expects opening `bytes` to fail with `kind`, a one-line message naming the file and `tensor`.
    private func expectFailure(
        _ bytes: [UInt8], _ kind: SafetensorsError.Kind, tensor: String? = nil, mentions: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let directory = try TemporaryDirectory()
        do {
            _ = try open(bytes, in: directory)
            Issue.record("expected \(kind), but the file opened", sourceLocation: sourceLocation)
        } catch let error as SafetensorsError {
            check(error, kind, tensor: tensor, mentions: mentions, sourceLocation: sourceLocation)
        }
    }

    private func check(
        _ error: SafetensorsError, _ kind: SafetensorsError.Kind, tensor: String?, mentions: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let message = error.description
        #expect(error.kind == kind, "\(message)", sourceLocation: sourceLocation)
        #expect(!message.contains("\n") && !message.contains("\r"), "not one line: \(message)", sourceLocation: sourceLocation)
        #expect(message.contains("model.safetensors"), "does not name the file: \(message)", sourceLocation: sourceLocation)
        #expect(error.tensor == tensor, "\(message)", sourceLocation: sourceLocation)
        if let tensor {
            #expect(message.contains("'\(tensor)'"), "does not name the tensor: \(message)", sourceLocation: sourceLocation)
        }
        for text in mentions {
            #expect(message.contains(text), "should mention \(text): \(message)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - Reading

    @Test func readsAValidFile() throws {
        let directory = try TemporaryDirectory()
        let file = try open(safetensorsBytes(header: Self.validHeader, data: Self.validData), in: directory)
        #expect(file.names == ["a", "b"])
        #expect(file.metadata == ["k": "v"])
        #expect(try file.floats("a") == [1.5, -2])
        #expect(try file.floats("a", shape: [2]) == [1.5, -2])
        #expect(try file.int32s("b") == [7, -9])
        let info = try #require(file.info("b"))
        let dataStart = 8 + Self.validHeader.utf8.count
        #expect(info.dtype == .i32)
        #expect(info.shape == [1, 2])
        #expect(info.dataOffsets == 8..<16)
        #expect(info.byteRange == (dataStart + 8)..<(dataStart + 16))
        #expect(info.elementCount == 2 && info.byteCount == 8)
        #expect(file.info("nope") == nil)
        #expect(file.contains("a") && !file.contains("c"))
        #expect(file.fileSize == dataStart + 16)
        #expect(try file.bytes("b") == Array(Self.validData[8...]))
        let sum = try file.withBytes("a") { raw in
            (0..<2).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }.reduce(0, +)
        }
        #expect(sum == -0.5)
        #expect(file.tensorInfos.map(\.name) == ["a", "b"])
    }

    @Test func mapsTheFileInsteadOfReadingIt() throws {
        let directory = try TemporaryDirectory()
        let file = try open(safetensorsBytes(header: Self.validHeader, data: Self.validData), name: "mapped.safetensors", in: directory)
        let maps = String(decoding: try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/maps")).readToEnd() ?? Data(), as: UTF8.self)
        #expect(maps.contains(directory.file("mapped.safetensors")))
        withExtendedLifetime(file) {}
    }

    @Test func readsScalarsEmptyTensorsAndAnEmptyFile() throws {
        let directory = try TemporaryDirectory()
        let header = #"{"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"z":{"dtype":"F32","shape":[0,7],"data_offsets":[8,8]},"y":{"dtype":"BF16","shape":[3,0],"data_offsets":[8,8]}}"#
        let data = withUnsafeBytes(of: Double(-0.25).bitPattern.littleEndian) { Array($0) }
        let file = try open(safetensorsBytes(header: header, data: data), in: directory)
        #expect(try file.float64s("s") == [-0.25])
        #expect(try file.floats("s") == [-0.25])
        #expect(try file.floats("z", shape: [0, 7]) == [])
        #expect(try file.floats("y") == [])
        let empty = try open(safetensorsBytes(header: "{}"), name: "empty.safetensors", in: directory)
        #expect(empty.names.isEmpty && empty.metadata.isEmpty)
        let padded = try open(safetensorsBytes(header: "{}      "), name: "padded.safetensors", in: directory)
        #expect(padded.names.isEmpty)
    }

    @Test func convertsHalfAndDoubleTensorsToFloat() throws {
        let directory = try TemporaryDirectory()
        let values: [Float] = [1, -0.5, 65504, .infinity, 3.140625]
        let half = values.float16Bits()
        let brain = values.bfloat16Bits()
        // One byte first so that every tensor after it is misaligned.
        var data: [UInt8] = [0xAB]
        data += half.flatMap { withUnsafeBytes(of: $0.littleEndian) { Array($0) } }
        data += brain.flatMap { withUnsafeBytes(of: $0.littleEndian) { Array($0) } }
        data += values.flatMap { withUnsafeBytes(of: Double($0).bitPattern.littleEndian) { Array($0) } }
        data += values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
        let header = """
            {"pad":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},\
            "h":{"dtype":"F16","shape":[5],"data_offsets":[1,11]},\
            "b":{"dtype":"BF16","shape":[5],"data_offsets":[11,21]},\
            "d":{"dtype":"F64","shape":[5],"data_offsets":[21,61]},\
            "f":{"dtype":"F32","shape":[5],"data_offsets":[61,81]}}
            """
        let file = try open(safetensorsBytes(header: header, data: data), in: directory)
        #expect(try file.floats("h") == [Float](float16Bits: half))
        #expect(try file.floats("b") == [Float](bfloat16Bits: brain))
        #expect(try file.floats("d") == values)
        #expect(try file.floats("f") == values)
        #expect(try file.float64s("d") == values.map(Double.init))
    }

    @Test func matrixAccessor() throws {
        let directory = try TemporaryDirectory()
        let header = #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#
        let data = [Float(1), 2, 3, 4].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
        let file = try open(safetensorsBytes(header: header, data: data), in: directory)
        #expect(try file.matrix("w") == Matrix(rows: 2, columns: 2, storage: [1, 2, 3, 4]))
    }

    // MARK: - Validation errors

    @Test func tooShortForTheHeaderLength() throws {
        try expectFailure([], .invalidHeaderLength)
        try expectFailure([1, 0, 0], .invalidHeaderLength)
    }

    @Test func headerLengthPastTheEnd() throws {
        try expectFailure(safetensorsBytes(header: "{}", declaredLength: 3), .invalidHeaderLength)
        try expectFailure(safetensorsBytes(header: "{}", declaredLength: UInt64(1) << 40), .headerTooLarge)
    }

    @Test func headerLengthOverTheLimit() throws {
        try expectFailure(safetensorsBytes(header: "{}", declaredLength: 100_000_001), .headerTooLarge, mentions: ["100000000"])
        try expectFailure(safetensorsBytes(header: "{}", declaredLength: .max), .headerTooLarge)
    }

    @Test func headerThatIsNotAJSONObject() throws {
        try expectFailure(safetensorsBytes(header: "{not json}"), .invalidHeader)
        try expectFailure(safetensorsBytes(header: "[1, 2]"), .invalidHeader)
        try expectFailure(safetensorsBytes(header: " {}"), .invalidHeader)
        try expectFailure(safetensorsBytes(header: "{\"a\":"), .invalidHeader)
        let invalidUTF8: [UInt8] = [2, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xFF]
        try expectFailure(invalidUTF8, .invalidHeader, mentions: ["UTF-8"])
    }

    @Test func malformedTensorEntries() throws {
        try expectFailure(safetensorsBytes(header: #"{"w":5}"#), .invalidTensorEntry, tensor: "w")
        try expectFailure(
            safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[1]}}"#), .invalidTensorEntry, tensor: "w", mentions: ["data_offsets"])
        try expectFailure(
            safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
            .invalidTensorEntry, tensor: "w")
        try expectFailure(
            safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, data: [0, 0, 0, 0]),
            .invalidTensorEntry, tensor: "w")
        try expectFailure(
            safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
            .invalidTensorEntry, tensor: "w")
        try expectFailure(safetensorsBytes(header: #"{"__metadata__":{"a":1}}"#), .invalidTensorEntry, mentions: ["__metadata__"])
    }

    @Test func unknownDType() throws {
        try expectFailure(
            safetensorsBytes(header: #"{"blocks.0.w":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
            .unknownDType, tensor: "blocks.0.w", mentions: ["F12"])
    }

    @Test func overlappingOffsets() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        try expectFailure(safetensorsBytes(header: header, data: Array(repeating: 0, count: 12)), .overlappingTensors, tensor: "b", mentions: ["'a'"])
    }

    @Test func gapBetweenTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        try expectFailure(safetensorsBytes(header: header, data: Array(repeating: 0, count: 12)), .gapBetweenTensors, tensor: "b", mentions: ["'a'"])
        let leading = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        try expectFailure(safetensorsBytes(header: leading, data: Array(repeating: 0, count: 8)), .gapBetweenTensors, tensor: "a")
    }

    @Test func reversedOffsets() throws {
        let header = #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}"#
        try expectFailure(safetensorsBytes(header: header, data: Array(repeating: 0, count: 4)), .invalidOffsets, tensor: "a")
    }

    @Test func wrongByteCount() throws {
        let name = "blocks.0.attn.qkv.weight"
        let header = #"{"blocks.0.attn.qkv.weight":{"dtype":"F32","shape":[3,4],"data_offsets":[0,1536]}}"#
        try expectFailure(
            safetensorsBytes(header: header, data: Array(repeating: 0, count: 1536)), .byteCountMismatch, tensor: name,
            mentions: ["1536 bytes", "[3, 4]", "F32", "needs 48"])
        let overflow = #"{"big":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#
        try expectFailure(safetensorsBytes(header: overflow, data: Array(repeating: 0, count: 8)), .byteCountMismatch, tensor: "big")
    }

    @Test func truncatedFile() throws {
        var bytes = safetensorsBytes(header: Self.validHeader, data: Self.validData)
        bytes.removeLast(3)
        try expectFailure(bytes, .invalidOffsets, tensor: "b", mentions: ["truncated"])
    }

    @Test func trailingBytes() throws {
        try expectFailure(safetensorsBytes(header: Self.validHeader, data: Self.validData + [0]), .fileSizeMismatch, mentions: ["'b'"])
        try expectFailure(safetensorsBytes(header: "{}", data: [1, 2]), .fileSizeMismatch)
    }

    @Test func truncatingAValidFileAnywhereIsDetected() async throws {
        let bytes = safetensorsBytes(header: Self.validHeader, data: Self.validData)
        let directory = try TemporaryDirectory()
        let path = directory.file("model.safetensors")
        await propertyCheck(count: 60, input: Gen.int(in: 0..<bytes.count)) { length in
            try writeFile(path, Array(bytes[..<length]))
            #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: path) }
        }
    }

    @Test func missingFileAndDirectory() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("model.safetensors")
        #expect {
            try SafetensorsFile(path: path)
        } throws: { error in
            guard let error = error as? SafetensorsError else { return false }
            return error.kind == .io && error.description.contains(path) && error.description.contains("No such file")
        }
        #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: directory.path) }
    }

    @Test func missingTensor() throws {
        let directory = try TemporaryDirectory()
        let file = try open(safetensorsBytes(header: Self.validHeader, data: Self.validData), in: directory)
        for access in [{ _ = try file.floats("x") }, { _ = try file.int32s("x") }, { _ = try file.withBytes("x") { _ in 0 } }] {
            do {
                try access()
                Issue.record("expected missing tensor")
            } catch let error as SafetensorsError {
                check(error, .missingTensor, tensor: "x")
                #expect(error.description == "missing tensor 'x' in \(directory.file("model.safetensors"))")
            }
        }
    }

    @Test func shapeMismatch() throws {
        let directory = try TemporaryDirectory()
        let file = try open(safetensorsBytes(header: Self.validHeader, data: Self.validData), in: directory)
        do {
            _ = try file.floats("a", shape: [1, 2])
            Issue.record("expected a shape mismatch")
        } catch {
            check(error, .shapeMismatch, tensor: "a", mentions: ["[2]", "[1, 2]"])
        }
        do {
            _ = try file.matrix("a")
            Issue.record("expected a rank error")
        } catch {
            check(error, .shapeMismatch, tensor: "a")
        }
    }

    @Test func dtypeMismatch() throws {
        let directory = try TemporaryDirectory()
        let file = try open(safetensorsBytes(header: Self.validHeader, data: Self.validData), in: directory)
        let accesses: [(String, () throws -> Void)] = [
            ("b", { _ = try file.floats("b") }),
            ("a", { _ = try file.int32s("a") }),
            ("a", { _ = try file.int64s("a") }),
            ("a", { _ = try file.float64s("a") }),
        ]
        for (name, access) in accesses {
            do {
                try access()
                Issue.record("expected a dtype mismatch")
            } catch let error as SafetensorsError {
                check(error, .dtypeMismatch, tensor: name)
            }
        }
    }
}
