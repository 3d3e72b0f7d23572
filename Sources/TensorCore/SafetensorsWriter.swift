/// Builds a safetensors file from declared tensors and writes it atomically or into memory.
///
/// Declare each tensor with a name, dtype, shape and ``TensorSource``; the byte count is checked
/// against `product(shape) × size(dtype)` when it is declared. Then call ``write(to:)`` (through
/// ``AtomicFileWriter``, so nothing partial ever appears at the destination) or ``serialized()``.
///
/// The output is deterministic and matches what the reference Rust writer produces for the same
/// tensors: `__metadata__` first (keys sorted) when not empty, then the tensors ordered by
/// descending element size and then by name (UTF-8 byte order), data laid out in that order with no
/// gaps, and the header padded with spaces to a multiple of 8 bytes. Together these make every
/// tensor naturally aligned relative to the start of the file.
///
/// ```swift
/// var pack = SafetensorsWriter(metadata: ["vtok": "{\"version\":\"0.1\"}"])
/// try pack.addTensor("tokens", shape: [n, d], floats: features, as: .f16)
/// try pack.addTensor("coords", shape: [n, 4], int32s: coords)
/// try pack.write(to: "clip.safetensors")
/// ```
public struct SafetensorsWriter: Sendable {
    /// One declared tensor.
    struct Declaration: Sendable {
        var name: String
        var dtype: DType
        var shape: [Int]
        var source: TensorSource
    }

    /// The `__metadata__` map written into the header (omitted when empty).
    public var metadata: [String: String]

    private var declarations: [Declaration] = []
    private var declaredNames: Set<String> = []

    /// Creates an empty writer.
    ///
    /// - Parameter metadata: The header's `__metadata__` (string → string).
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// The names of the declared tensors, in declaration order.
    public var names: [String] { declarations.map(\.name) }

    /// Declares a tensor whose bytes come from `source`.
    ///
    /// - Parameters:
    ///   - name: The tensor's key; not `__metadata__` and not already declared.
    ///   - dtype: The element type written into the header.
    ///   - shape: The dimensions (row-major); `[]` for a scalar. No dimension may be negative.
    ///   - source: Bytes whose count must equal `product(shape) × dtype.byteSize`; typed array
    ///     sources must match `dtype` (for example ``TensorSource/floats(_:)`` only for F32).
    /// - Throws: ``SafetensorsError`` of kind `.invalidTensor` naming the tensor.
    public mutating func addTensor(
        _ name: String, dtype: DType, shape: [Int], source: TensorSource
    ) throws(SafetensorsError) {
        func invalid(_ reason: String) -> SafetensorsError {
            SafetensorsError(.invalidTensor, path: "", tensor: name, "cannot add tensor '\(name)': \(reason)")
        }
        guard name != "__metadata__" else { throw invalid("the name is reserved for the header's metadata") }
        guard !declaredNames.contains(name) else { throw invalid("a tensor with this name was already added") }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw invalid("shape \(describeShape(shape)) has a negative dimension") }
        guard let needed = SafetensorsHeader.byteCount(shape: shape, dtype: dtype) else {
            throw invalid("shape \(describeShape(shape)) of \(dtype) is too large")
        }
        if let compatible = source.compatibleDTypes, !compatible.contains(dtype) {
            let expected = compatible.map(\.rawValue).sorted().joined(separator: " or ")
            throw invalid("\(source.kindName) cannot be written as \(dtype) (use \(expected), or raw bytes)")
        }
        guard source.byteCount == needed else {
            throw invalid("shape \(describeShape(shape)) of \(dtype) needs \(needed) bytes but \(source.kindName) provide \(source.byteCount)")
        }
        declarations.append(Declaration(name: name, dtype: dtype, shape: shape, source: source))
        declaredNames.insert(name)
    }

    /// Declares a floating-point tensor, converting `floats` to `dtype` (F32, F16, BF16 or F64).
    ///
    /// F16 and BF16 round to nearest, ties to even (see ``Swift/Float/float16Bits`` and
    /// ``Swift/Float/bfloat16Bits``).
    ///
    /// - Throws: ``SafetensorsError`` of kind `.invalidTensor` if `dtype` is not a float type or the
    ///   element count does not match `shape`.
    public mutating func addTensor(
        _ name: String, shape: [Int], floats: [Float], as dtype: DType = .f32
    ) throws(SafetensorsError) {
        let source: TensorSource
        switch dtype {
        case .f32: source = .floats(floats)
        case .f16: source = .uint16s(floats.float16Bits())
        case .bf16: source = .uint16s(floats.bfloat16Bits())
        case .f64: source = .float64s(floats.map(Double.init))
        default:
            throw SafetensorsError(
                .invalidTensor, path: "", tensor: name,
                "cannot add tensor '\(name)': floats can be written as F32, F16, BF16 or F64, not \(dtype)"
            )
        }
        try addTensor(name, dtype: dtype, shape: shape, source: source)
    }

    /// Declares an I32 tensor.
    ///
    /// - Throws: ``SafetensorsError`` of kind `.invalidTensor` if the count does not match `shape`.
    public mutating func addTensor(_ name: String, shape: [Int], int32s: [Int32]) throws(SafetensorsError) {
        try addTensor(name, dtype: .i32, shape: shape, source: .int32s(int32s))
    }

    /// Declares an I64 tensor.
    ///
    /// - Throws: ``SafetensorsError`` of kind `.invalidTensor` if the count does not match `shape`.
    public mutating func addTensor(_ name: String, shape: [Int], int64s: [Int64]) throws(SafetensorsError) {
        try addTensor(name, dtype: .i64, shape: shape, source: .int64s(int64s))
    }

    /// Declares an F64 tensor.
    ///
    /// - Throws: ``SafetensorsError`` of kind `.invalidTensor` if the count does not match `shape`.
    public mutating func addTensor(_ name: String, shape: [Int], float64s: [Double]) throws(SafetensorsError) {
        try addTensor(name, dtype: .f64, shape: shape, source: .float64s(float64s))
    }

    // MARK: - Output

    /// The size in bytes of the file this writer produces.
    public var byteCount: Int {
        let layout = makeLayout()
        return 8 + layout.header.count + layout.dataSize
    }

    /// Writes the file to `path` atomically: it appears complete, or not at all.
    ///
    /// - Throws: ``SafetensorsError`` of kind `.io` if the file cannot be written or a file-region
    ///   source cannot be read.
    public func write(to path: String) throws(SafetensorsError) {
        let layout = makeLayout()
        do {
            let file = try AtomicFileWriter(destination: path)
            defer { file.abort() }  // no-op after a successful commit
            try emit(layout) { bytes in try file.write(bytes) } region: { name, source, offset, length in
                do {
                    try file.copy(fromFile: source, offset: offset, length: length)
                } catch {
                    throw RegionError(tensor: name, underlying: error)
                }
            }
            try file.commit()
        } catch let error as RegionError {
            throw SafetensorsError(.io, path: path, tensor: error.tensor, "cannot write tensor '\(error.tensor)' to \(path): \(error.underlying)")
        } catch {
            throw SafetensorsError(.io, path: path, "cannot write \(path): \(error)")
        }
    }

    /// The whole file, built in memory (for small packs and for streams).
    ///
    /// - Throws: ``SafetensorsError`` of kind `.io` if a file-region source cannot be read.
    public func serialized() throws(SafetensorsError) -> [UInt8] {
        let layout = makeLayout()
        var output: [UInt8] = []
        output.reserveCapacity(8 + layout.header.count + layout.dataSize)
        do {
            try emit(layout) { bytes in output.append(contentsOf: bytes) } region: { name, source, offset, length in
                do {
                    try readFileRegion(path: source, offset: offset, length: length) { output.append(contentsOf: $0) }
                } catch {
                    throw RegionError(tensor: name, underlying: error)
                }
            }
        } catch let error as RegionError {
            throw SafetensorsError(.io, path: "", tensor: error.tensor, "cannot read tensor '\(error.tensor)': \(error.underlying)")
        } catch {
            throw SafetensorsError(.io, path: "", "cannot serialize safetensors: \(error)")
        }
        return output
    }

    // MARK: - Layout

    private struct RegionError: Error {
        var tensor: String
        var underlying: any Error
    }

    private struct Layout {
        var header: [UInt8]
        var order: [Declaration]
        var dataSize: Int
    }

    /// Orders the tensors and builds the padded header.
    private func makeLayout() -> Layout {
        let order = declarations.sorted { lhs, rhs in
            if lhs.dtype.byteSize != rhs.dtype.byteSize { return lhs.dtype.byteSize > rhs.dtype.byteSize }
            return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
        }
        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += jsonString("__metadata__") + ":{"
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            json += keys.map { jsonString($0) + ":" + jsonString(metadata[$0]!) }.joined(separator: ",")
            json += "}"
            first = false
        }
        var offset = 0
        for tensor in order {
            let end = offset + tensor.source.byteCount
            if !first { json += "," }
            first = false
            json += jsonString(tensor.name)
            json += ":{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":["
            json += tensor.shape.map(String.init).joined(separator: ",")
            json += "],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var header = Array(json.utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        return Layout(header: header, order: order, dataSize: offset)
    }

    /// Emits the file: the length prefix, the header, then each tensor's bytes.
    private func emit(
        _ layout: Layout,
        bytes: (UnsafeRawBufferPointer) throws -> Void,
        region: (_ tensor: String, _ path: String, _ offset: Int, _ length: Int) throws -> Void
    ) throws {
        let length = UInt64(layout.header.count).littleEndian
        try withUnsafeBytes(of: length) { try bytes($0) }
        try layout.header.withUnsafeBytes { try bytes($0) }
        for tensor in layout.order {
            let inMemory = try tensor.source.withInMemoryBytes { try bytes($0) }
            if !inMemory, case .fileRegion(let path, let offset, let length) = tensor.source.storage {
                try region(tensor.name, path, offset, length)
            }
        }
    }
}

/// `value` as a JSON string literal (quotes, backslashes and control characters escaped).
func jsonString(_ value: String) -> String {
    var result = "\""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: result.unicodeScalars.append(scalar)
        }
    }
    result += "\""
    return result
}
