/// A problem reading or writing a safetensors file.
///
/// The ``description`` is always a single line that names the file and, where one is involved,
/// the tensor, so it can be shown to a user as is:
///
/// ```
/// model.safetensors: tensor 'blocks.0.attn.qkv.weight' has 1536 bytes but shape [3, 4] of F32 needs 48 — the file is corrupt or truncated
/// missing tensor 'x' in model.safetensors
/// ```
///
/// Match on ``kind`` to react to a particular failure.
public struct SafetensorsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The category of a ``SafetensorsError``.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The file could not be opened, inspected, mapped, read or written.
        public static let io = Kind("io")
        /// The file is shorter than the 8-byte header length, or `8 + N` exceeds the file size.
        public static let invalidHeaderLength = Kind("invalidHeaderLength")
        /// The header length `N` exceeds the 100 MB limit of the reference implementation.
        public static let headerTooLarge = Kind("headerTooLarge")
        /// The header is not valid UTF-8, not JSON, or not a JSON object.
        public static let invalidHeader = Kind("invalidHeader")
        /// A tensor entry or `__metadata__` has missing or mistyped fields.
        public static let invalidTensorEntry = Kind("invalidTensorEntry")
        /// A tensor's dtype is not a known safetensors dtype.
        public static let unknownDType = Kind("unknownDType")
        /// A tensor's offsets are reversed or run past the end of the data section.
        public static let invalidOffsets = Kind("invalidOffsets")
        /// Two tensors share bytes.
        public static let overlappingTensors = Kind("overlappingTensors")
        /// Bytes of the data section belong to no tensor.
        public static let gapBetweenTensors = Kind("gapBetweenTensors")
        /// A tensor's byte range does not match its shape and dtype (or the product overflows).
        public static let byteCountMismatch = Kind("byteCountMismatch")
        /// The file does not end exactly where the last tensor ends.
        public static let fileSizeMismatch = Kind("fileSizeMismatch")
        /// The requested tensor is not in the file.
        public static let missingTensor = Kind("missingTensor")
        /// The tensor has a different shape from the one the caller expects.
        public static let shapeMismatch = Kind("shapeMismatch")
        /// The tensor's dtype cannot be read as the requested element type.
        public static let dtypeMismatch = Kind("dtypeMismatch")
        /// A tensor declared for writing is invalid (duplicate or reserved name, bad shape, wrong byte count).
        public static let invalidTensor = Kind("invalidTensor")

        /// The kind's name, e.g. `gapBetweenTensors`.
        public var description: String { name }
    }

    /// The category of failure.
    public let kind: Kind
    /// The file the error is about, as the caller named it.
    public let path: String
    /// The tensor the error is about, if any.
    public let tensor: String?
    /// A one-line, user-facing explanation.
    public let description: String

    /// Creates an error; `message` is flattened to one line.
    init(_ kind: Kind, path: String, tensor: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.tensor = tensor
        self.description = message.oneLine
    }
}

extension String {
    /// The string with line breaks and tabs replaced by single spaces.
    var oneLine: String {
        String(map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}

/// Formats a shape as `[3, 4]`.
func describeShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
