import Foundation

/// Accumulates elapsed monotonic time across start/stop pairs.
struct Stopwatch {
    private(set) var seconds: Double = 0
    private var startedAt: UInt64?

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    mutating func start() { startedAt = Self.now() }

    mutating func stop() {
        if let s = startedAt { seconds += Double(Self.now() - s) / 1e9 }
        startedAt = nil
    }

}
