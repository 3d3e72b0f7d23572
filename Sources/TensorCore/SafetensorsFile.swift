#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A safetensors file, memory-mapped read-only and validated on opening.
///
/// The file is mapped with `mmap(PROT_READ, MAP_PRIVATE)` and never read as a whole: opening it
/// touches only the header, and each accessor copies (and converts) just the tensor it is asked
/// for. The mapping is released when the object is deallocated.
///
/// ```swift
/// let weights = try SafetensorsFile(path: "model.safetensors")
/// let qkv = try weights.floats("blocks.0.attn.qkv.weight", shape: [3 * 768, 768])
/// ```
///
/// Validation on opening is as strict as the reference Rust implementation; every failure is a
/// ``SafetensorsError`` with a one-line description naming the file and tensor.
///
/// The object is immutable after initialisation, so it can be shared across threads.
///
/// As with any `mmap`, truncating the file from another process while it is mapped makes later
/// reads of the lost pages fail with `SIGBUS`. Replacing it by `rename` (as ``AtomicFileWriter``
/// does) is safe: the mapping keeps the old file.
public final class SafetensorsFile: @unchecked Sendable {
    /// The path the file was opened with.
    public let path: String
    /// The size of the file in bytes.
    public let fileSize: Int
    /// The header's `__metadata__` (string → string); empty when the file has none.
    public let metadata: [String: String]
    /// The tensor names, sorted.
    public let names: [String]

    private let tensors: [String: TensorInfo]
    private let mapping: UnsafeRawBufferPointer

    /// Opens, maps and validates the safetensors file at `path`.
    ///
    /// - Throws: ``SafetensorsError`` if the file cannot be opened or mapped (`.io`) or its header
    ///   or layout is invalid.
    public init(path: String) throws(SafetensorsError) {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw SafetensorsError(.io, path: path, "cannot open \(path): \(errnoDescription())")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw SafetensorsError(.io, path: path, "cannot inspect \(path): \(errnoDescription())")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError(.io, path: path, "\(path) is not a regular file")
        }
        let size = Int(status.st_size)
        guard size > 0 else {
            // mmap cannot map an empty file.
            throw SafetensorsHeader.tooShort(size: size, path: path)
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0),
            address != UnsafeMutableRawPointer(bitPattern: -1)
        else {
            throw SafetensorsError(.io, path: path, "cannot map \(path) (\(size) bytes): \(errnoDescription())")
        }
        let mapping = UnsafeRawBufferPointer(start: address, count: size)
        let header: SafetensorsHeader
        do {
            header = try SafetensorsHeader(parsing: mapping, path: path)
        } catch {
            munmap(address, size)
            throw error
        }
        self.mapping = mapping
        self.fileSize = size
        self.metadata = header.metadata
        self.tensors = header.tensors
        self.names = header.tensors.keys.sorted()
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress), mapping.count)
    }

    /// All tensors, sorted by name.
    public var tensorInfos: [TensorInfo] {
        names.map { tensors[$0]! }
    }

    /// The dtype, shape and byte range of the tensor `name`, or `nil` if there is none.
    public func info(_ name: String) -> TensorInfo? {
        tensors[name]
    }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool {
        tensors[name] != nil
    }

    /// The dtype, shape and byte range of the tensor `name`.
    ///
    /// - Throws: ``SafetensorsError`` of kind `.missingTensor` if there is none.
    public func requireInfo(_ name: String) throws(SafetensorsError) -> TensorInfo {
        guard let info = tensors[name] else {
            throw SafetensorsError(.missingTensor, path: path, tensor: name, "missing tensor '\(name)' in \(path)")
        }
        return info
    }

    /// Calls `body` with the raw little-endian bytes of the tensor `name`.
    ///
    /// The bytes may be unaligned for the tensor's element type (files from other writers need not
    /// align tensors); read them with `loadUnaligned`. The buffer is valid only inside `body`.
    ///
    /// - Throws: ``SafetensorsError`` (`.missingTensor`), or whatever `body` throws.
    public func withBytes<Result>(
        _ name: String, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        let info = try requireInfo(name)
        return try body(UnsafeRawBufferPointer(rebasing: mapping[info.byteRange]))
    }

    /// The raw bytes of the tensor `name`, copied.
    ///
    /// - Throws: ``SafetensorsError`` (`.missingTensor`).
    public func bytes(_ name: String) throws(SafetensorsError) -> [UInt8] {
        let info = try requireInfo(name)
        return [UInt8](UnsafeRawBufferPointer(rebasing: mapping[info.byteRange]))
    }

    /// The elements of the floating-point tensor `name` (F32, F16, BF16 or F64), converted to `Float`.
    ///
    /// F16 and BF16 widen exactly; F64 rounds to nearest. Works for any alignment.
    ///
    /// - Throws: ``SafetensorsError`` (`.missingTensor`, `.dtypeMismatch`).
    /// - Complexity: O(*n*) in the tensor's element count.
    public func floats(_ name: String) throws(SafetensorsError) -> [Float] {
        let info = try requireInfo(name)
        guard info.dtype.isConvertibleToFloat else {
            throw dtypeMismatch(info, wanted: "a floating-point dtype (F32, F16, BF16 or F64)")
        }
        let count = info.elementCount
        let source = mapping.baseAddress! + info.byteRange.lowerBound
        return [Float](unsafeUninitializedCapacity: count) { destination, initialized in
            guard let target = destination.baseAddress else { return }
            switch info.dtype {
            case .f32:
                UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: count * 4)
            case .f16:
                HalfPrecision.widen(rawHalves: source, count: count, bfloat: false, into: target)
            case .bf16:
                HalfPrecision.widen(rawHalves: source, count: count, bfloat: true, into: target)
            default:  // .f64
                for index in 0..<count {
                    target[index] = Float(source.loadUnaligned(fromByteOffset: index &* 8, as: Double.self))
                }
            }
            initialized = count
        }
    }

    /// The elements of the floating-point tensor `name`, after checking that its shape is `shape`.
    ///
    /// - Throws: ``SafetensorsError`` (`.missingTensor`, `.shapeMismatch`, `.dtypeMismatch`).
    public func floats(_ name: String, shape: [Int]) throws(SafetensorsError) -> [Float] {
        try checkShape(name, shape)
        return try floats(name)
    }

    /// The tensor `name` as a row-major ``Matrix``; it must have rank 2 and a floating-point dtype.
    ///
    /// - Throws: ``SafetensorsError`` (`.missingTensor`, `.shapeMismatch`, `.dtypeMismatch`).
    public func matrix(_ name: String) throws(SafetensorsError) -> Matrix {
        let info = try requireInfo(name)
        guard info.shape.count == 2 else {
            throw SafetensorsError(
                .shapeMismatch, path: path, tensor: name,
                "\(path): tensor '\(name)' has shape \(describeShape(info.shape)), expected a matrix (rank 2)"
            )
        }
        return Matrix(rows: info.shape[0], columns: info.shape[1], storage: try floats(name))
    }

    /// The elements of the I32 tensor `name`.
    ///
    /// - Throws: ``SafetensorsError`` (`.missingTensor`, `.dtypeMismatch`).
    public func int32s(_ name: String) throws(SafetensorsError) -> [Int32] {
        try copyElements(name, as: Int32.self, dtype: .i32)
    }

    /// The elements of the I64 tensor `name`.
    ///
    /// - Throws: ``SafetensorsError`` (`.missingTensor`, `.dtypeMismatch`).
    public func int64s(_ name: String) throws(SafetensorsError) -> [Int64] {
        try copyElements(name, as: Int64.self, dtype: .i64)
    }

    /// The elements of the F64 tensor `name`.
    ///
    /// - Throws: ``SafetensorsError`` (`.missingTensor`, `.dtypeMismatch`).
    public func float64s(_ name: String) throws(SafetensorsError) -> [Double] {
        try copyElements(name, as: Double.self, dtype: .f64)
    }

    /// Throws unless the tensor `name` exists and has exactly the given shape.
    ///
    /// - Throws: ``SafetensorsError`` (`.missingTensor`, `.shapeMismatch`).
    public func checkShape(_ name: String, _ shape: [Int]) throws(SafetensorsError) {
        let info = try requireInfo(name)
        guard info.shape == shape else {
            throw SafetensorsError(
                .shapeMismatch, path: path, tensor: name,
                "\(path): tensor '\(name)' has shape \(describeShape(info.shape)), expected \(describeShape(shape))"
            )
        }
    }

    // MARK: - Private

    private func copyElements<Element: BitwiseCopyable>(
        _ name: String, as type: Element.Type, dtype: DType
    ) throws(SafetensorsError) -> [Element] {
        let info = try requireInfo(name)
        guard info.dtype == dtype else { throw dtypeMismatch(info, wanted: dtype.rawValue) }
        let count = info.elementCount
        let source = mapping.baseAddress! + info.byteRange.lowerBound
        return [Element](unsafeUninitializedCapacity: count) { destination, initialized in
            if let target = destination.baseAddress {
                // copyMemory is a memcpy: correct for unaligned sources on a little-endian host.
                UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: count * MemoryLayout<Element>.stride)
            }
            initialized = count
        }
    }

    private func dtypeMismatch(_ info: TensorInfo, wanted: String) -> SafetensorsError {
        SafetensorsError(
            .dtypeMismatch, path: path, tensor: info.name,
            "\(path): tensor '\(info.name)' is \(info.dtype), cannot read it as \(wanted)"
        )
    }
}

/// `strerror(errno)` with the number, e.g. `No such file or directory (errno 2)`.
func errnoDescription(_ code: Int32 = errno) -> String {
    "\(String(cString: strerror(code))) (errno \(code))"
}
