import Foundation

/// Shows progress on standard error while a run goes on, only when standard error is a terminal.
///
/// Lines are redrawn in place at most ten times a second: frames done of frames to do, and the
/// rate in frames per second.
public final class ProgressMeter {
    private let total: Int
    private let label: String
    private let output: ((String) -> Void)?
    private let startedAt = Stopwatch.now()
    private var lastDraw: UInt64 = 0
    private var drewSomething = false

    /// - Parameters:
    ///   - total: frames to do.
    ///   - label: a word before the counts (e.g. `reading`).
    ///   - output: where lines go; by default standard error, and only when it is a terminal.
    public init(total: Int, label: String, output: ((String) -> Void)? = ProgressMeter.terminalOutput) {
        self.total = total
        self.label = label
        self.output = output
    }

    /// Writes to standard error when it is a terminal; nil otherwise.
    public static var terminalOutput: ((String) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        return { FileHandle.standardError.write(Data($0.utf8)) }
    }

    /// Reports that `done` frames are finished.
    public func update(_ done: Int) {
        guard let output else { return }
        let now = Stopwatch.now()
        guard done == total || now - lastDraw >= 100_000_000 else { return }
        lastDraw = now
        let elapsed = Double(now - startedAt) / 1e9
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let width = 24
        let filled = total > 0 ? min(width, done * width / total) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let line = String(format: "\r%@ %@ %d/%d frames  %.1f frames/s\u{1B}[K", label, bar, done, total, rate)
        output(line)
        drewSomething = true
    }

    /// Ends the progress line.
    public func finish() {
        guard let output, drewSomething else { return }
        output("\n")
        drewSomething = false
    }
}
