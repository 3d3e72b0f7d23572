import Foundation

/// The monotonic clock the runner times stages with.
enum Stopwatch {
    /// Nanoseconds since an arbitrary fixed point.
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Seconds elapsed since `start` (a value of `now()`).
    static func seconds(since start: UInt64) -> Double { Double(now() - start) / 1e9 }
}
