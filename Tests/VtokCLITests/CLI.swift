import Foundation
import TestSupport

/// Runs the built `vtok` executable.
enum CLI {
    /// The `vtok` binary beside the test bundle (same build folder), or in `.build/debug`.
    static var binary: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vtok"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("vtok"),
            TestSupport.repoRoot.appendingPathComponent(".build/debug/vtok"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path
            ?? candidates.last!.path
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> TestSupport.Output {
        try TestSupport.run(binary, arguments)
    }

    /// A real sample clip fetched by scripts/fetch-samples.sh.
    static func sample(_ name: String) throws -> String {
        let path = TestSupport.repoRoot.appendingPathComponent("samples/\(name)").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw TestFailure("samples/\(name) is missing — run scripts/fetch-samples.sh (scripts/test.sh does)")
        }
        return path
    }
}
