#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the bytes of a tensor come from when it is written with ``SafetensorsWriter``.
///
/// In-memory sources hold an array (written in little-endian order, as laid out in memory on the
/// supported hosts). A ``fileRegion(path:offset:length:)`` source refers to bytes of an existing
/// file, for example a tensor spooled to disk while a video was processed; they are copied in
/// large chunks when the file is written and never held in memory as a whole.
public struct TensorSource: Sendable {
    enum Storage: Sendable {
        case bytes([UInt8])
        case floats([Float])
        case float64s([Double])
        case int32s([Int32])
        case int64s([Int64])
        case uint16s([UInt16])
        case fileRegion(path: String, offset: Int, length: Int)
    }

    let storage: Storage

    private init(_ storage: Storage) {
        self.storage = storage
    }

    /// Raw bytes, already in the tensor's little-endian encoding; valid for every dtype.
    public static func bytes(_ bytes: [UInt8]) -> TensorSource { TensorSource(.bytes(bytes)) }

    /// Float32 values, for an F32 tensor.
    public static func floats(_ values: [Float]) -> TensorSource { TensorSource(.floats(values)) }

    /// Float64 values, for an F64 tensor.
    public static func float64s(_ values: [Double]) -> TensorSource { TensorSource(.float64s(values)) }

    /// Int32 values, for an I32 tensor.
    public static func int32s(_ values: [Int32]) -> TensorSource { TensorSource(.int32s(values)) }

    /// Int64 values, for an I64 tensor.
    public static func int64s(_ values: [Int64]) -> TensorSource { TensorSource(.int64s(values)) }

    /// 16-bit patterns, for an F16, BF16, U16 or I16 tensor (see ``Swift/Array/float16Bits()``).
    public static func uint16s(_ values: [UInt16]) -> TensorSource { TensorSource(.uint16s(values)) }

    /// `length` bytes of the file at `path` starting at byte `offset`, already in the tensor's
    /// encoding; valid for every dtype. The file is read only when the tensor is written.
    public static func fileRegion(path: String, offset: Int, length: Int) -> TensorSource {
        precondition(offset >= 0 && length >= 0, "file region offset and length must not be negative")
        return TensorSource(.fileRegion(path: path, offset: offset, length: length))
    }

    /// The number of bytes the source provides.
    public var byteCount: Int {
        switch storage {
        case .bytes(let values): values.count
        case .floats(let values): values.count * 4
        case .float64s(let values): values.count * 8
        case .int32s(let values): values.count * 4
        case .int64s(let values): values.count * 8
        case .uint16s(let values): values.count * 2
        case .fileRegion(_, _, let length): length
        }
    }

    /// The dtypes the source can be written as, or `nil` when any dtype is acceptable.
    var compatibleDTypes: Set<DType>? {
        switch storage {
        case .bytes, .fileRegion: nil
        case .floats: [.f32]
        case .float64s: [.f64]
        case .int32s: [.i32]
        case .int64s: [.i64]
        case .uint16s: [.f16, .bf16, .u16, .i16]
        }
    }

    /// A short name of the source's element type, for error messages.
    var kindName: String {
        switch storage {
        case .bytes: "bytes"
        case .floats: "Float values"
        case .float64s: "Double values"
        case .int32s: "Int32 values"
        case .int64s: "Int64 values"
        case .uint16s: "UInt16 values"
        case .fileRegion(let path, let offset, let length): "the region \(offset)..<\(offset + length) of \(path)"
        }
    }

    /// Calls `body` with the in-memory bytes, or returns `false` for a file region.
    func withInMemoryBytes(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows -> Bool {
        switch storage {
        case .bytes(let values): try values.withUnsafeBytes(body)
        case .floats(let values): try values.withUnsafeBytes(body)
        case .float64s(let values): try values.withUnsafeBytes(body)
        case .int32s(let values): try values.withUnsafeBytes(body)
        case .int64s(let values): try values.withUnsafeBytes(body)
        case .uint16s(let values): try values.withUnsafeBytes(body)
        case .fileRegion: return false
        }
        return true
    }
}

/// Reads `length` bytes of `path` from `offset` in chunks of at most `chunkSize`, passing each to `body`.
///
/// - Throws: ``FileIOError`` if the file cannot be read or ends early, or what `body` throws.
func readFileRegion(
    path: String, offset: Int, length: Int, chunkSize: Int = 4 << 20,
    _ body: (UnsafeRawBufferPointer) throws -> Void
) throws {
    guard length > 0 else { return }
    let source = open(path, O_RDONLY | O_CLOEXEC)
    guard source >= 0 else { throw FileIOError.system("open", path: path) }
    defer { close(source) }
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: min(length, chunkSize), alignment: 64)
    defer { chunk.deallocate() }
    var position = offset
    var remaining = length
    while remaining > 0 {
        let read = pread(source, chunk.baseAddress, min(remaining, chunk.count), off_t(position))
        if read < 0 && errno == EINTR { continue }
        if read < 0 { throw FileIOError.system("read", path: path) }
        if read == 0 {
            throw FileIOError(
                path: path, "\(path) ends before the region \(offset)..<\(offset + length) that was to be copied from it"
            )
        }
        try body(UnsafeRawBufferPointer(rebasing: chunk[..<read]))
        position += read
        remaining -= read
    }
}
