import Foundation
import TestSupport
import Testing

@testable import TensorCore

/// Files written here must load in Python's real `safetensors` package, and files written there
/// (and a BF16 file built byte by byte in NumPy) must read back correctly here.
///
/// Uses the interpreter in `VTOK_PYTHON`, else `<repo>/.venv/bin/python3`, else `python3`, and
/// `tools/reference/safetensors_roundtrip.py`. The tests fail — they never skip — when that
/// interpreter cannot import numpy and safetensors.
@Suite struct PythonInteropTests {
    /// The expected-values format shared with the Python script (see its docstring).
    struct Expected: Codable {
        var metadata: [String: String]
        var tensors: [String: Tensor]

        struct Tensor: Codable {
            var dtype: String
            var shape: [Int]
            var bits: [UInt64]?
            var f32Bits: [UInt32]?
            var values: [Int64]?
            var sourceF32Bits: [UInt32]?

            enum CodingKeys: String, CodingKey {
                case dtype, shape, bits, values
                case f32Bits = "f32_bits"
                case sourceF32Bits = "source_f32_bits"
            }
        }
    }

    private static let installHint =
        "set VTOK_PYTHON to a Python with numpy and safetensors, or run in the repository root: "
        + "python3 -m venv --system-site-packages .venv && .venv/bin/pip install numpy safetensors"

    private static let script = TestSupport.repoRoot.appendingPathComponent("tools/reference/safetensors_roundtrip.py").path

    /// The Python interpreter to use, or `nil` after recording a failure that says how to get one.
    private func python(sourceLocation: SourceLocation = #_sourceLocation) throws -> String? {
        let interpreter = TestSupport.python
        let probe: TestSupport.Output
        do {
            probe = try TestSupport.run(interpreter, ["-c", "import safetensors, numpy"])
        } catch {
            Issue.record("cannot run Python '\(interpreter)': \(error); \(Self.installHint)", sourceLocation: sourceLocation)
            return nil
        }
        guard probe.status == 0 else {
            Issue.record(
                "Python '\(interpreter)' cannot import safetensors and numpy (\((probe.stdout + probe.stderr).split(separator: "\n").last ?? "")); \(Self.installHint)",
                sourceLocation: sourceLocation)
            return nil
        }
        return interpreter
    }

    /// The same edge cases the Python script uses, typed in independently, plus random values.
    private static func sampleFloats(seed: UInt64) -> [Float] {
        let specials: [UInt32] = [
            0x0000_0000, 0x8000_0000, 0x3F80_0000, 0xBF80_0000, 0x3F80_8000, 0x3F81_8000, 0x3F80_8001,
            0x3F7F_FFFF, 0x7F7F_FFFF, 0xFF7F_FFFF, 0x7F7F_7FFF, 0x7F7F_8000, 0x0000_0001, 0x807F_FFFF,
            0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001, 0x3F80_1000, 0x3F80_3000,
            0x477F_E000, 0x477F_F000, 0x3380_0000, 0x3300_0000, 0x387F_C000, 0x5015_02F9,
        ]
        return specials.map { Float(bitPattern: $0) } + [Float].random(count: 64, seed: seed).map { $0 * 5 }
    }

    // MARK: - Python → Swift

    @Test func readsFilesWrittenByPython() throws {
        guard let python = try python() else { return }
        let directory = try TemporaryDirectory()
        let run = try TestSupport.run(python, [Self.script, "write", directory.path])
        try #require(run.status == 0, "the Python writer failed: \(run.stdout + run.stderr)")
        let expected = try JSONDecoder().decode(
            [String: [String: Expected]].self, from: Data(contentsOf: URL(fileURLWithPath: directory.file("expected.json"))))
        let files = try #require(expected["files"])
        #expect(files.keys.sorted() == ["handmade.safetensors", "numpy.safetensors"])

        for (fileName, want) in files {
            let file = try SafetensorsFile(path: directory.file(fileName))
            #expect(file.metadata == want.metadata, "\(fileName)")
            #expect(file.names == want.tensors.keys.sorted(), "\(fileName)")
            for (name, tensor) in want.tensors {
                let label = "\(fileName): \(name)"
                let info = try #require(file.info(name), "\(label)")
                #expect(info.dtype.rawValue == tensor.dtype, "\(label)")
                #expect(info.shape == tensor.shape, "\(label)")
                try checkValues(file, info, tensor, label: label)
            }
        }
        // The hand-built file misaligns its tensors on purpose; reading them must still work.
        let handmade = try SafetensorsFile(path: directory.file("handmade.safetensors"))
        for name in ["tokens.bf16", "weights.f32", "pts.f64", "index.i32"] {
            let info = try #require(handmade.info(name))
            #expect(info.byteRange.lowerBound % info.dtype.byteSize != 0, "\(name) should be misaligned")
        }
    }

    private func checkValues(_ file: SafetensorsFile, _ info: TensorInfo, _ tensor: Expected.Tensor, label: String) throws {
        switch info.dtype {
        case .f32, .f16, .bf16, .f64:
            let floats = try file.floats(info.name)
            let wantWidened = try #require(tensor.f32Bits, "\(label)")
            let got = floats.map(\.bitPattern)
            for index in got.indices where got[index] != wantWidened[index] {
                // Only NaN may differ (F64 → F32 is not asked to keep payloads).
                if !(floats[index].isNaN && Float(bitPattern: wantWidened[index]).isNaN) {
                    Issue.record("\(label)[\(index)]: read 0x\(String(got[index], radix: 16)), Python says 0x\(String(wantWidened[index], radix: 16))")
                }
            }
            let stored = try #require(tensor.bits, "\(label)")
            let raw = try file.bytes(info.name)
            let size = info.dtype.byteSize
            let storedHere = (0..<(raw.count / size)).map { index in
                raw[(index * size)..<((index + 1) * size)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            }
            #expect(storedHere == stored, "\(label): raw bits")
            if let source = tensor.sourceF32Bits {
                // Our rounding of the same float32 inputs must equal NumPy's.
                let inputs = source.map { Float(bitPattern: $0) }
                let ours = info.dtype == .bf16 ? inputs.bfloat16Bits() : inputs.float16Bits()
                for index in ours.indices where UInt64(ours[index]) != stored[index] {
                    // NumPy keeps signalling-NaN payloads in F16; only NaN-ness must agree there.
                    let bothNaN = info.dtype == .f16 && Float(float16Bits: ours[index]).isNaN
                        && Float(float16Bits: UInt16(stored[index])).isNaN
                    if !bothNaN {
                        Issue.record("\(label)[\(index)]: rounding \(inputs[index]) gives 0x\(String(ours[index], radix: 16)), NumPy gives 0x\(String(stored[index], radix: 16))")
                    }
                }
            }
        case .i32:
            #expect(try file.int32s(info.name).map(Int64.init) == tensor.values, "\(label)")
        case .i64:
            #expect(try file.int64s(info.name) == tensor.values, "\(label)")
        case .u8:
            #expect(try file.bytes(info.name).map(Int64.init) == tensor.values, "\(label)")
        default:
            Issue.record("\(label): unexpected dtype \(info.dtype) in the Python fixture")
        }
    }

    // MARK: - Swift → Python

    @Test func filesWrittenHereLoadInPython() throws {
        guard let python = try python() else { return }
        let directory = try TemporaryDirectory()
        let floats = Self.sampleFloats(seed: 11)
        var expected = Expected(metadata: [:], tensors: [:])
        var writer = SafetensorsWriter()

        func expectFloats(_ name: String, _ dtype: DType, _ shape: [Int], _ values: [Float]) throws {
            try writer.addTensor(name, shape: shape, floats: values, as: dtype)
            let bits: [UInt64] = switch dtype {
            case .f16: values.float16Bits().map(UInt64.init)
            case .bf16: values.bfloat16Bits().map(UInt64.init)
            case .f64: values.map { Double($0).bitPattern }
            default: values.map { UInt64($0.bitPattern) }
            }
            let source = dtype == .f16 || dtype == .bf16 ? values.map(\.bitPattern) : nil
            expected.tensors[name] = .init(dtype: dtype.rawValue, shape: shape, bits: bits, values: nil, sourceF32Bits: source)
        }
        func expectBytes(_ name: String, _ dtype: DType, _ shape: [Int], _ values: [Int64], _ bytes: [UInt8]) throws {
            try writer.addTensor(name, dtype: dtype, shape: shape, source: .bytes(bytes))
            expected.tensors[name] = .init(dtype: dtype.rawValue, shape: shape, values: values)
        }

        try expectFloats("tokens.f32", .f32, [7, 13], Array(floats[..<91]))
        try expectFloats("tokens.f16", .f16, [floats.count], floats)
        try expectFloats("tokens.bf16", .bf16, [floats.count], floats)
        try expectFloats("scores.f64", .f64, [3], [0.5, -1e-3, 1e30])
        try expectFloats("scalar", .f32, [], [2.75])
        try expectFloats("empty", .f32, [0, 5], [])
        try expectFloats("empty.bf16", .bf16, [4, 0], [])

        let coords: [Int32] = [0, 1, 2, 0, 5, .max, .min, -1]
        try writer.addTensor("coords", shape: [2, 4], int32s: coords)
        expected.tensors["coords"] = .init(dtype: "I32", shape: [2, 4], values: coords.map(Int64.init))
        let indices: [Int64] = [0, 1 << 40, -(1 << 53) - 1]
        try writer.addTensor("frame_index", shape: [3], int64s: indices)
        expected.tensors["frame_index"] = .init(dtype: "I64", shape: [3], values: indices)
        let pts = [0.0, 1.0 / 30, 1e-300]
        try writer.addTensor("frame_pts", shape: [3], float64s: pts)
        expected.tensors["frame_pts"] = .init(dtype: "F64", shape: [3], bits: pts.map(\.bitPattern))

        try expectBytes("flags", .bool, [3], [1, 0, 1], [1, 0, 1])
        try expectBytes("u8", .u8, [2], [255, 0], [255, 0])
        try expectBytes("i8", .i8, [2], [-128, 127], [0x80, 0x7F])
        try expectBytes("i16", .i16, [2], [-2, 300], [0xFE, 0xFF, 0x2C, 0x01])
        try expectBytes("u32", .u32, [1], [4_000_000_000], withUnsafeBytes(of: UInt32(4_000_000_000).littleEndian) { Array($0) })
        try expectBytes("u64", .u64, [1], [1 << 62], withUnsafeBytes(of: UInt64(1 << 62).littleEndian) { Array($0) })
        try writer.addTensor("u16", dtype: .u16, shape: [2], source: .uint16s([65535, 7]))
        expected.tensors["u16"] = .init(dtype: "U16", shape: [2], values: [65535, 7])

        // A tensor copied from a region of a spool file.
        let spooled = [Float].random(count: 30, seed: 5)
        let spool = directory.file("spool.bin")
        try writeFile(spool, [0, 0, 0, 0, 0] + spooled.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } })
        try writer.addTensor("spooled", dtype: .f32, shape: [10, 3], source: .fileRegion(path: spool, offset: 5, length: 120))
        expected.tensors["spooled"] = .init(dtype: "F32", shape: [10, 3], bits: spooled.map { UInt64($0.bitPattern) })

        writer.metadata = [
            "vtok": #"{"version":"0.1","pipeline":{"reducers":["evs"]}}"#,
            "quotes \"and\" \\ slashes": "line\nbreak\ttab\u{1}",
            "ünïcödé": "🎬 値",
        ]
        expected.metadata = writer.metadata

        let packPath = directory.file("pack.safetensors")
        try writer.write(to: packPath)
        let expectedPath = directory.file("expected.json")
        try JSONEncoder().encode(expected).write(to: URL(fileURLWithPath: expectedPath))
        let run = try TestSupport.run(python, [Self.script, "check", packPath, expectedPath])
        #expect(run.status == 0, "Python check failed:\n\(run.stdout + run.stderr)")
        #expect((run.stdout + run.stderr).hasPrefix("OK"), "\(run.stdout + run.stderr)")

        // The in-memory serialization is the same file.
        let streamPath = directory.file("stream.safetensors")
        try writeFile(streamPath, try writer.serialized())
        let again = try TestSupport.run(python, [Self.script, "check", streamPath, expectedPath])
        #expect(again.status == 0, "Python check of serialized() failed:\n\(again.stdout + again.stderr)")
    }

    @Test func checkerReportsDifferences() throws {
        // Guards against a checker that always says OK.
        guard let python = try python() else { return }
        let directory = try TemporaryDirectory()
        var writer = SafetensorsWriter(metadata: ["a": "b"])
        try writer.addTensor("x", shape: [2], floats: [1, 2])
        let packPath = directory.file("pack.safetensors")
        try writer.write(to: packPath)
        let wrong = Expected(
            metadata: ["a": "b"],
            tensors: ["x": .init(dtype: "F32", shape: [2], bits: [UInt64(Float(1).bitPattern), UInt64(Float(3).bitPattern)])])
        let expectedPath = directory.file("expected.json")
        try JSONEncoder().encode(wrong).write(to: URL(fileURLWithPath: expectedPath))
        let run = try TestSupport.run(python, [Self.script, "check", packPath, expectedPath])
        #expect(run.status != 0)
        #expect((run.stdout + run.stderr).contains("x: bits[1]"), "\(run.stdout + run.stderr)")
    }
}
