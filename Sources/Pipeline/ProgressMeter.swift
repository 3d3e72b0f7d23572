import Foundation

/// Shows progress on standard error while a run goes on, only when standard error is a terminal.
///
/// Lines are redrawn in place at most ten times a second: frames done of frames to do, and the
/// rate in frames per second.
public final class ProgressMeter {
    private let total: Int
    private let label: String
    private let enabled: Bool
    private let startedAt = Stopwatch.now()
    private var lastDraw: UInt64 = 0
    private var drewSomething = false

    /// - Parameters:
    ///   - total: frames to do.
    ///   - label: a word before the counts (e.g. `reading`).
    ///   - force: draw even when standard error is not a terminal (for tests).
    public init(total: Int, label: String, force: Bool = false) {
        self.total = total
        self.label = label
        self.enabled = force || isatty(STDERR_FILENO) == 1
    }

    /// Reports that `done` frames are finished.
    public func update(_ done: Int) {
        guard enabled else { return }
        let now = Stopwatch.now()
        guard done == total || now - lastDraw >= 100_000_000 else { return }
        lastDraw = now
        let elapsed = Double(now - startedAt) / 1e9
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let width = 24
        let filled = total > 0 ? min(width, done * width / total) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let line = String(format: "\r%@ %@ %d/%d frames  %.1f frames/s", label, bar, done, total, rate)
        FileHandle.standardError.write(Data(line.utf8))
        drewSomething = true
    }

    /// Ends the progress line.
    public func finish() {
        guard enabled, drewSomething else { return }
        FileHandle.standardError.write(Data("\n".utf8))
        drewSomething = false
    }
}
