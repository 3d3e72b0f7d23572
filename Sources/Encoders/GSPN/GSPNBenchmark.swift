import Foundation

/// Throughput of the GSPN scan against a plain memory copy, measured in the same call.
public enum GSPNBenchmark {
    /// Times `GSPNScan.scan` (global chunk) on `maps × height × width` random data and a plain copy of
    /// a buffer of the same total size. Bytes touched count every byte read or written once:
    /// the scan reads x, λ and the three gates and writes Hs (6 × 4 bytes per element); the copy
    /// reads and writes its buffer (2 × bytes). Each figure is the best of several repetitions.
    public static func scanThroughput(maps: Int, height: Int, width: Int) -> (scanGBps: Double, copyGBps: Double) {
        let count = maps * height * width
        precondition(count > 0, "GSPNBenchmark: empty input")
        let arrays = (0..<6).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: count) }
        defer { arrays.forEach { $0.deallocate() } }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for a in arrays {
            for i in 0..<count {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                a[i] = Float(seed >> 40) / Float(1 << 24) * 0.3
            }
        }
        let (x, lam, gm, g0, gp, out) = (arrays[0], arrays[1], arrays[2], arrays[3], arrays[4], arrays[5])
        let repeats = 7
        var scanBest = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            GSPNScan.scan(input: x, lambda: lam, gateMinus: gm, gateZero: g0, gatePlus: gp,
                          maps: maps, height: height, width: width, chunk: width, into: out)
            scanBest = min(scanBest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        // Copy: a buffer of 6 × count floats split as source/destination halves, copied in parallel
        // (the scan uses all cores too), so the copy moves as many bytes as the scan touches.
        let bytes = 3 * count * MemoryLayout<Float>.size
        let src = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let dst = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { src.deallocate(); dst.deallocate() }
        memset(src, 1, bytes); memset(dst, 0, bytes)
        nonisolated(unsafe) let s = src, d = dst
        var copyBest = Double.infinity
        let parts = GSPNParallel.workers
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            GSPNParallel.forEachRange(bytes / 64, parts: parts) { range in
                memcpy(d + range.lowerBound * 64, s + range.lowerBound * 64, range.count * 64)
            }
            copyBest = min(copyBest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let scanBytes = Double(6 * count * MemoryLayout<Float>.size)
        return (scanBytes / scanBest / 1e9, Double(2 * bytes) / copyBest / 1e9)
    }
}
