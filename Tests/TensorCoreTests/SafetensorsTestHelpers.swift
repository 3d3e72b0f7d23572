import Foundation
import TestSupport
import Testing

// Helpers specific to the TensorCore (safetensors) tests. Process running, the repository root
// and the Python interpreter come from the shared `TestSupport` target.

/// A fresh directory under the system temporary directory, removed with everything in it on deinit.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = try TestSupport.temporaryDirectory("vtok-tensorcore").path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// `path/name`.
    func file(_ name: String) -> String { path + "/" + name }

    /// The names in the directory, sorted (hidden ones included).
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}

/// Writes `bytes` to `path` (test fixtures; not atomic).
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Reads the whole file at `path`.
func readFile(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Builds safetensors bytes by hand: the 8-byte length, `header` as is, then `data`.
/// `declaredLength` overrides the length prefix to build corrupt files.
func safetensorsBytes(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    let length = declaredLength ?? UInt64(headerBytes.count)
    return withUnsafeBytes(of: length.littleEndian) { Array($0) } + headerBytes + data
}


extension Array where Element == Float {
    /// `count` uniform values in -1...1 from `seed`.
    static func random(count: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
    }
}
