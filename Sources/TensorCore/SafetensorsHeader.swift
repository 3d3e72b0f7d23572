import Foundation

/// The parsed and validated header of a safetensors buffer.
///
/// Validation follows the reference Rust implementation (`safetensors/src/tensor.rs`,
/// `SafeTensors::read_metadata` and `Metadata::validate`): an 8-byte little-endian header length
/// `N ≤ 100_000_000` with `8 + N ≤ size`, a UTF-8 JSON object starting with `{`, an optional
/// `__metadata__` string → string map, tensors that — sorted by offsets — tile the data section
/// from 0 without gaps or overlaps, byte counts equal to `product(shape) × size(dtype)` (overflow
/// checked), and `8 + N + end == size`.
struct SafetensorsHeader {
    /// The largest header the reference implementation accepts.
    static let maximumHeaderLength = 100_000_000

    /// `__metadata__`, empty when absent.
    var metadata: [String: String]
    /// The tensors, keyed by name.
    var tensors: [String: TensorInfo]
    /// The file offset of the data section (`8 + N`).
    var dataStart: Int

    /// Parses and validates the safetensors buffer `file` (the whole file).
    ///
    /// - Parameter path: Used in error messages only.
    init(parsing file: UnsafeRawBufferPointer, path: String) throws(SafetensorsError) {
        let size = file.count
        guard size >= 8 else { throw Self.tooShort(size: size, path: path) }
        let declared = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(Self.maximumHeaderLength) else {
            throw SafetensorsError(
                .headerTooLarge, path: path,
                "\(path): header length \(declared) exceeds the safetensors limit of \(Self.maximumHeaderLength) bytes — the file is corrupt or not safetensors"
            )
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= size else {
            throw SafetensorsError(
                .invalidHeaderLength, path: path,
                "\(path): header length \(headerLength) runs past the end of the \(size)-byte file — the file is truncated or not safetensors"
            )
        }
        let dataStart = 8 + headerLength
        let dataSize = size - dataStart
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[8..<dataStart])

        let entries = try Self.decodeEntries(headerBytes, path: path)
        self.metadata = entries.metadata
        self.dataStart = dataStart

        // Validate the layout: sorted by offsets, the tensors must tile 0..<end exactly.
        let sorted = entries.tensors.sorted {
            ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name)
        }
        var tensors: [String: TensorInfo] = [:]
        tensors.reserveCapacity(sorted.count)
        var expectedBegin = 0
        var previousName: String?
        for entry in sorted {
            let name = entry.name
            guard entry.begin <= entry.end else {
                throw SafetensorsError(
                    .invalidOffsets, path: path, tensor: name,
                    "\(path): tensor '\(name)' has data_offsets [\(entry.begin), \(entry.end)] that end before they begin — the file is corrupt"
                )
            }
            guard entry.end <= dataSize else {
                throw SafetensorsError(
                    .invalidOffsets, path: path, tensor: name,
                    "\(path): tensor '\(name)' has data_offsets [\(entry.begin), \(entry.end)] past the end of the \(dataSize)-byte data section — the file is truncated or corrupt"
                )
            }
            if entry.begin < expectedBegin, let previousName {
                throw SafetensorsError(
                    .overlappingTensors, path: path, tensor: name,
                    "\(path): tensor '\(name)' (data_offsets [\(entry.begin), \(entry.end)]) overlaps tensor '\(previousName)', which ends at \(expectedBegin) — the file is corrupt"
                )
            }
            if entry.begin > expectedBegin {
                let after = previousName.map { "after tensor '\($0)'" } ?? "at the start of the data section"
                throw SafetensorsError(
                    .gapBetweenTensors, path: path, tensor: name,
                    "\(path): \(entry.begin - expectedBegin) unused bytes \(after), before tensor '\(name)' (data_offsets [\(entry.begin), \(entry.end)]) — the file is corrupt"
                )
            }
            let actual = entry.end - entry.begin
            guard let needed = Self.byteCount(shape: entry.shape, dtype: entry.dtype) else {
                throw SafetensorsError(
                    .byteCountMismatch, path: path, tensor: name,
                    "\(path): tensor '\(name)' has shape \(describeShape(entry.shape)) of \(entry.dtype) whose byte count overflows — the file is corrupt"
                )
            }
            guard actual == needed else {
                throw SafetensorsError(
                    .byteCountMismatch, path: path, tensor: name,
                    "\(path): tensor '\(name)' has \(actual) bytes but shape \(describeShape(entry.shape)) of \(entry.dtype) needs \(needed) — the file is corrupt or truncated"
                )
            }
            tensors[name] = TensorInfo(
                name: name, dtype: entry.dtype, shape: entry.shape,
                dataOffsets: entry.begin..<entry.end, dataStart: dataStart
            )
            expectedBegin = entry.end
            previousName = name
        }
        guard dataStart + expectedBegin == size else {
            let last = previousName.map { "the last tensor '\($0)'" } ?? "the header (there are no tensors)"
            throw SafetensorsError(
                .fileSizeMismatch, path: path,
                "\(path): \(size - dataStart - expectedBegin) unexpected bytes after \(last); the file should be \(dataStart + expectedBegin) bytes but is \(size) — the file is corrupt"
            )
        }
        self.tensors = tensors
    }

    /// The error for a file too short to hold the header length.
    static func tooShort(size: Int, path: String) -> SafetensorsError {
        SafetensorsError(
            .invalidHeaderLength, path: path,
            "\(path): file is \(size) bytes, too short to hold the 8-byte header length — the file is truncated or not safetensors"
        )
    }

    /// `product(shape) × dtype.byteSize`, or `nil` on overflow.
    static func byteCount(shape: [Int], dtype: DType) -> Int? {
        var count = dtype.byteSize
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }

    // MARK: - JSON

    struct Entry {
        var name: String
        var dtype: DType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    private static func decodeEntries(
        _ bytes: UnsafeRawBufferPointer, path: String
    ) throws(SafetensorsError) -> (metadata: [String: String], tensors: [Entry]) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SafetensorsError(.invalidHeader, path: path, "\(path): header is not valid UTF-8 — the file is corrupt or not safetensors")
        }
        guard text.utf8.first == UInt8(ascii: "{") else {
            throw SafetensorsError(.invalidHeader, path: path, "\(path): header does not start with '{' — the file is corrupt or not safetensors")
        }
        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: Data(text.utf8))
        } catch let error as EntryError {
            throw SafetensorsError(error.kind, path: path, tensor: error.key, "\(path): \(error.message)")
        } catch {
            throw SafetensorsError(
                .invalidHeader, path: path,
                "\(path): header is not a valid JSON object (\(describeDecodingError(error))) — the file is corrupt or not safetensors"
            )
        }
        return (raw.metadata, raw.tensors)
    }
}

/// A problem with one header entry, thrown from inside decoding so that the key is known.
private struct EntryError: Error {
    var kind: SafetensorsError.Kind
    var key: String?
    var message: String
}

private struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private struct RawTensorEntry: Decodable {
    var dtype: String
    var shape: [UInt64]
    var dataOffsets: [UInt64]

    enum CodingKeys: String, CodingKey {
        case dtype
        case shape
        case dataOffsets = "data_offsets"
    }
}

private struct RawHeader: Decodable {
    var metadata: [String: String] = [:]
    var tensors: [SafetensorsHeader.Entry] = []

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DynamicKey.self)
        for key in container.allKeys {
            let name = key.stringValue
            if name == "__metadata__" {
                do {
                    metadata = try container.decode([String: String].self, forKey: key)
                } catch {
                    throw EntryError(
                        kind: .invalidTensorEntry, key: nil,
                        message: "'__metadata__' must be an object mapping strings to strings (\(describeDecodingError(error)))"
                    )
                }
                continue
            }
            let raw: RawTensorEntry
            do {
                raw = try container.decode(RawTensorEntry.self, forKey: key)
            } catch {
                throw EntryError(
                    kind: .invalidTensorEntry, key: name,
                    message: "tensor '\(name)' is not {\"dtype\", \"shape\", \"data_offsets\"} (\(describeDecodingError(error))) — the file is corrupt"
                )
            }
            let dtype: DType
            do {
                dtype = try DType(safetensorsName: raw.dtype)
            } catch {
                throw EntryError(
                    kind: .unknownDType, key: name,
                    message: "tensor '\(name)' has unknown dtype '\(raw.dtype)' — the file is corrupt or uses a newer format"
                )
            }
            guard raw.dataOffsets.count == 2 else {
                throw EntryError(
                    kind: .invalidTensorEntry, key: name,
                    message: "tensor '\(name)' has \(raw.dataOffsets.count) data_offsets instead of [begin, end] — the file is corrupt"
                )
            }
            let tooLarge = UInt64(Int.max)
            guard raw.dataOffsets.allSatisfy({ $0 <= tooLarge }), raw.shape.allSatisfy({ $0 <= tooLarge }) else {
                throw EntryError(
                    kind: .invalidTensorEntry, key: name,
                    message: "tensor '\(name)' has a dimension or offset too large for this machine — the file is corrupt"
                )
            }
            tensors.append(
                SafetensorsHeader.Entry(
                    name: name, dtype: dtype, shape: raw.shape.map { Int($0) },
                    begin: Int(raw.dataOffsets[0]), end: Int(raw.dataOffsets[1])
                )
            )
        }
    }
}

/// A short, single-line summary of a JSON decoding error.
private func describeDecodingError(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return String(describing: error).oneLine }
    func where_(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? "" : " at '\(path)'"
    }
    switch error {
    case .keyNotFound(let key, let context):
        return "missing field '\(key.stringValue)'\(where_(context))"
    case .typeMismatch(let type, let context):
        return "expected \(type)\(where_(context))"
    case .valueNotFound(let type, let context):
        return "missing \(type) value\(where_(context))"
    case .dataCorrupted(let context):
        var text = context.debugDescription
        if let underlying = context.underlyingError {
            text += ": \(underlying.localizedDescription)"
        }
        return text.oneLine + where_(context)
    @unknown default:
        return String(describing: error).oneLine
    }
}
