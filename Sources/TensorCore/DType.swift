/// The element type of a tensor, named as the safetensors format names it.
///
/// The raw value is the exact string that appears in a safetensors header (`"F32"`, `"BF16"`, …).
/// All types are little-endian. Use ``init(safetensorsName:)`` to parse a header string and
/// ``init(option:)`` to parse what a user typed for an output precision (`--dtype f16`).
public enum DType: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    /// Boolean, one byte per element (0 or 1).
    case bool = "BOOL"
    /// Unsigned 8-bit integer.
    case u8 = "U8"
    /// Signed 8-bit integer.
    case i8 = "I8"
    /// 8-bit float with 5 exponent bits and 2 mantissa bits (stored only; not converted).
    case f8E5M2 = "F8_E5M2"
    /// 8-bit float with 4 exponent bits and 3 mantissa bits (stored only; not converted).
    case f8E4M3 = "F8_E4M3"
    /// Signed 16-bit integer.
    case i16 = "I16"
    /// Unsigned 16-bit integer.
    case u16 = "U16"
    /// IEEE 754 binary16 (half precision).
    case f16 = "F16"
    /// bfloat16: the top 16 bits of an IEEE 754 binary32.
    case bf16 = "BF16"
    /// Signed 32-bit integer.
    case i32 = "I32"
    /// Unsigned 32-bit integer.
    case u32 = "U32"
    /// IEEE 754 binary32 (single precision).
    case f32 = "F32"
    /// IEEE 754 binary64 (double precision).
    case f64 = "F64"
    /// Signed 64-bit integer.
    case i64 = "I64"
    /// Unsigned 64-bit integer.
    case u64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .f64, .i64, .u64: 8
        }
    }

    /// The name used in safetensors headers (same as `rawValue`).
    public var safetensorsName: String { rawValue }

    /// Whether ``SafetensorsFile/floats(_:)`` can convert this type to `Float` (F32, F16, BF16, F64).
    public var isConvertibleToFloat: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64: true
        default: false
        }
    }

    /// The safetensors name, e.g. `F32`.
    public var description: String { rawValue }

    /// Parses a dtype name exactly as it appears in a safetensors header (case-sensitive).
    ///
    /// - Parameter safetensorsName: A string such as `"F32"` or `"BF16"`.
    /// - Throws: ``DTypeError`` when the name is not a known safetensors dtype.
    public init(safetensorsName: String) throws(DTypeError) {
        guard let dtype = DType(rawValue: safetensorsName) else {
            throw DTypeError(
                "unknown safetensors dtype '\(safetensorsName)' (known: "
                    + DType.allCases.map(\.rawValue).joined(separator: " ") + ")"
            )
        }
        self = dtype
    }

    /// The output precisions a user may ask for, in the order they are documented.
    public static let outputOptions: [DType] = [.f32, .f16, .bf16]

    /// The lower-case name used on the command line and in pipeline specs (`f32`, `f16`, `bf16`),
    /// or `nil` for types that are not output precisions.
    public var optionName: String? {
        switch self {
        case .f32: "f32"
        case .f16: "f16"
        case .bf16: "bf16"
        default: nil
        }
    }

    /// Parses a user-facing output precision: `f32`, `f16` or `bf16`, case-insensitive, with
    /// surrounding whitespace ignored.
    ///
    /// - Parameter option: The text a user supplied, for example the value of `--dtype`.
    /// - Throws: ``DTypeError`` naming the accepted values when `option` is anything else.
    public init(option: String) throws(DTypeError) {
        let key = option.trimmingWhitespace().lowercased()
        guard let dtype = DType.outputOptions.first(where: { $0.optionName == key }) else {
            throw DTypeError(
                "unsupported dtype '\(option)': expected one of f32, f16, bf16 (case-insensitive)"
            )
        }
        self = dtype
    }
}

/// A dtype string that could not be parsed.
public struct DTypeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A one-line explanation that quotes the offending string.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

extension String {
    /// The string without leading and trailing ASCII/Unicode whitespace (Foundation-free).
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
