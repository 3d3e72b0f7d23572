import Foundation
import TestSupport

/// Drives tools/reference/radio_reference.py (the NumPy reference) and reads its outputs.
enum RADIOReference {
    static let script = "tools/reference/radio_reference.py"

    /// Writes a tiny random checkpoint folder and returns its path.
    static func makeCheckpoint(_ dir: URL, embed: Int = 32, depth: Int = 2, heads: Int = 4, mlp: Int = 64,
                               prefix: Int = 4, numCls: Int = 2, extra: [String] = []) throws -> String {
        let out = dir.appendingPathComponent("ckpt-\(UUID().uuidString.prefix(8))").path
        try TestSupport.runPython(script, ["make-checkpoint", out, "--embed", "\(embed)", "--depth", "\(depth)",
                                           "--heads", "\(heads)", "--mlp", "\(mlp)", "--prefix", "\(prefix)",
                                           "--num-cls", "\(numCls)"] + extra)
        return out
    }

    /// Random images `[B, 3, H, W]` in [0,1], written as .npy; returns the images and the file.
    static func images(_ dir: URL, count: Int, width: Int, height: Int, seed: UInt64) throws -> ([[Float]], URL) {
        var rng = SplitMix64(seed: seed)
        let images = (0..<count).map { _ in (0..<(3 * width * height)).map { _ in rng.nextUnit() } }
        let url = dir.appendingPathComponent("images-\(UUID().uuidString.prefix(8)).npy")
        try TestSupport.writeNPY(images.flatMap { $0 }, shape: [count, 3, height, width], to: url)
        return (images, url)
    }

    static func forward(_ ckpt: String, images: URL, dir: URL, options: [String] = []) throws -> (summary: [Float], features: [Float]) {
        try runReordered(["forward", ckpt, images.path], options: options, dir: dir)
    }

    static func forwardSparse(_ ckpt: String, images: URL, keep: URL, dir: URL, options: [String] = []) throws -> (summary: [Float], features: [Float]) {
        try runReordered(["forward-sparse", ckpt, images.path, keep.path], options: options, dir: dir)
    }

    /// Positional arguments, then OUT, then options.
    private static func runReordered(_ positional: [String], options: [String], dir: URL) throws -> (summary: [Float], features: [Float]) {
        let npz = dir.appendingPathComponent("out-\(UUID().uuidString.prefix(8)).npz")
        try TestSupport.runPython(script, positional + [npz.path] + options)
        return try (readNPZ(npz, "summary"), readNPZ(npz, "features"))
    }

    /// Writes a boolean keep mask `[B, n]` as .npy.
    static func writeKeep(_ keep: [[Bool]], dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("keep-\(UUID().uuidString.prefix(8)).npy")
        let floats = dir.appendingPathComponent("keepf-\(UUID().uuidString.prefix(8)).npy")
        try TestSupport.writeNPY(keep.flatMap { $0.map { $0 ? Float(1) : 0 } }, shape: [keep.count, keep[0].count], to: floats)
        let result = try TestSupport.run(TestSupport.python, ["-c", "import numpy as np,sys; np.save(sys.argv[2], np.load(sys.argv[1]) > 0.5)", floats.path, url.path])
        guard result.status == 0 else { throw TestFailure(result.stderr) }
        return url
    }

    /// Extracts array `name` of an .npz as float32 .npy through NumPy, then parses it.
    static func readNPZ(_ npz: URL, _ name: String) throws -> [Float] {
        let npy = npz.deletingPathExtension().appendingPathExtension("\(name).npy")
        let result = try TestSupport.run(TestSupport.python, [
            "-c", "import numpy as np,sys; np.save(sys.argv[3], np.ascontiguousarray(np.load(sys.argv[1])[sys.argv[2]], dtype='<f4'))",
            npz.path, name, npy.path])
        guard result.status == 0 else { throw TestFailure("npz read failed: \(result.stderr)") }
        return try readNPY(npy)
    }

    /// Parses a little-endian float32 C-order .npy file.
    static func readNPY(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        guard data.count >= 10, data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)) else { throw TestFailure("\(url.path): not .npy") }
        let major = data[6]
        let headerLength: Int, start: Int
        if major == 1 {
            headerLength = Int(data[8]) | Int(data[9]) << 8; start = 10
        } else {
            headerLength = Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24; start = 12
        }
        let header = String(decoding: data[start..<(start + headerLength)], as: UTF8.self)
        guard header.contains("'<f4'"), header.contains("'fortran_order': False") else { throw TestFailure("unsupported npy header \(header)") }
        let body = data[(start + headerLength)...]
        return body.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        }
    }

    /// Largest absolute difference (and a count check).
    static func maxDiff(_ a: [Float], _ b: [Float]) throws -> Float {
        guard a.count == b.count else { throw TestFailure("length \(a.count) vs \(b.count)") }
        var m: Float = 0
        for i in a.indices { m = max(m, abs(a[i] - b[i])) }
        return m
    }
}
