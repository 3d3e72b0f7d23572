import Foundation

/// Shared helpers for vtok's test targets: the repository root, external tools (Python with
/// NumPy and safetensors, ffmpeg), temporary folders and `.npy` files.
public enum TestSupport {
    /// The repository root (the folder holding Package.swift).
    public static let repoRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The Python interpreter tests use: `$VTOK_PYTHON`, else the repository's `.venv`, else
    /// `python3` on the PATH.
    public static var python: String {
        if let env = ProcessInfo.processInfo.environment["VTOK_PYTHON"], !env.isEmpty { return env }
        let venv = repoRoot.appendingPathComponent(".venv/bin/python3").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        return "python3"
    }

    /// The result of running a program.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Standard output as raw bytes, for programs that write binary data.
        public var stdoutData: Data
    }

    /// Runs a program (looked up on the PATH when not a path) and waits for it.
    @discardableResult
    public static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Output {
        let process = Process()
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        }
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes concurrently so a chatty program cannot block on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self), stdoutData: outData)
    }

    /// Runs a Python script from the repository with the test interpreter; throws with its
    /// standard error when it fails.
    @discardableResult
    public static func runPython(_ script: String, _ arguments: [String]) throws -> Output {
        let result = try run(python, [repoRoot.appendingPathComponent(script).path] + arguments)
        guard result.status == 0 else {
            throw TestFailure("\(script) failed (\(result.status)): \(result.stderr)\(result.stdout)")
        }
        return result
    }

    /// A fresh temporary folder.
    public static func temporaryDirectory(_ label: String = "vtok-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs ffmpeg quietly with the given arguments (output overwritten); throws on failure.
    public static func ffmpeg(_ arguments: [String]) throws {
        let result = try run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y"] + arguments)
        guard result.status == 0 else { throw TestFailure("ffmpeg \(arguments.joined(separator: " ")): \(result.stderr)") }
    }

    /// Writes a float32 array as a NumPy `.npy` file (format 1.0, little-endian, C order).
    public static func writeNPY(_ values: [Float], shape: [Int], to url: URL) throws {
        precondition(shape.reduce(1, *) == values.count, "shape does not match the values")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: url)
    }

    /// Reads a JSON object from a file.
    public static func readJSON(_ url: URL) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let dictionary = object as? [String: Any] else { throw TestFailure("\(url.path) is not a JSON object") }
        return dictionary
    }
}

/// A failure inside a test helper.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
