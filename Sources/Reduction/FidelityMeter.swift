import Foundation

/// Measures how well the kept pixel-space tokens rebuild the sampled video.
///
/// Each frame is rebuilt from the tokens kept for it; a pruned patch shows that cell's content
/// the last time it was kept (carried forward), and a cell never kept so far is black. The meter
/// compares the rebuilt frames with the original ones and reports the mean squared error over
/// every value and the PSNR for a peak of 1.
///
/// Feed it the original clips as they are read (`recordOriginal`) and the reduced clips as the
/// reducers emit them (`recordKept`); it pairs them by frame and holds originals in a
/// `ClipSpool` until their reduced frames arrive.
public final class FidelityMeter {
    private let originals: ClipSpool
    private var pending: TokenSet?
    private var pendingFrame = 0
    private var pendingToken = 0
    private var canvas: PatchCanvas?
    private var squaredError: Double = 0
    private var values: Int = 0
    private var perFrame: [Double] = []

    public init(spoolBudget: Int = 256 << 20) {
        originals = ClipSpool(memoryBudget: spoolBudget)
    }

    /// Records an original (unreduced) clip.
    public func recordOriginal(_ clip: TokenSet) throws {
        try originals.append(clip)
    }

    /// Records a reduced clip; its frames must follow the ones already recorded, in order.
    public func recordKept(_ clip: TokenSet) throws {
        let d = clip.dimension
        if canvas == nil { canvas = PatchCanvas(dimension: d) }
        var canvas = self.canvas!
        defer { self.canvas = canvas }
        var cursor = 0
        for frame in clip.frames {
            let original = try originalFrame(frame.t)
            // Kept tokens of this frame update the canvas first: they are what the frame shows.
            clip.features.withUnsafeBufferPointer { kept in
                while cursor < clip.count && Int(clip.coords[cursor].t) == frame.t {
                    canvas.store(clip.coords[cursor], from: kept.baseAddress! + cursor * d)
                    cursor += 1
                }
            }
            var frameError: Double = 0
            original.features.withUnsafeBufferPointer { source in
                for i in 0..<original.count {
                    let token = source.baseAddress! + i * d
                    frameError += canvas.withContent(of: original.coords[i]) { shown in
                        Double(Self.squaredDistance(token, shown, count: d))
                    }
                }
            }
            let frameValues = original.count * d
            squaredError += frameError
            values += frameValues
            perFrame.append(frameValues > 0 ? Self.psnr(mse: frameError / Double(frameValues)) ?? .infinity : .infinity)
        }
    }

    /// Mean squared error over every value of every frame measured so far.
    public var meanSquaredError: Double { values > 0 ? squaredError / Double(values) : 0 }

    /// PSNR in dB for a peak of 1, or nil when the rebuild is exact.
    public var psnr: Double? { Self.psnr(mse: meanSquaredError) }

    /// PSNR of each frame measured so far (infinite where exact).
    public var framePSNR: [Double] { perFrame }

    /// Sum of squared differences between two vectors (`b` nil means zeros), accumulated in
    /// eight float lanes per patch.
    static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = b.map { UnsafeRawPointer($0 + i).loadUnaligned(as: SIMD8<Float>.self) } ?? SIMD8<Float>()
            let e = x - y
            acc += e * e
            i += 8
        }
        var sum = acc.sum()
        while i < count {
            let e = a[i] - (b?[i] ?? 0)
            sum += e * e
            i += 1
        }
        return sum
    }

    /// `10 · log10(1 / mse)`, or nil when `mse` is zero.
    public static func psnr(mse: Double) -> Double? {
        mse > 0 ? 10 * log10(1 / mse) : nil
    }

    /// The original tokens of frame `t`, taken from the spooled clips (frames before `t` that
    /// were never asked for are skipped).
    private func originalFrame(_ t: Int) throws -> TokenSet {
        while true {
            if pending == nil || pendingFrame >= pending!.frames.count {
                guard let next = try originals.removeFirst() else {
                    throw ReductionError("fidelity: no original for frame \(t) — frames must be recorded in order")
                }
                pending = next
                pendingFrame = 0
                pendingToken = 0
            }
            let clip = pending!
            let record = clip.frames[pendingFrame]
            let start = pendingToken
            var end = start
            while end < clip.count && Int(clip.coords[end].t) == record.t { end += 1 }
            pendingFrame += 1
            pendingToken = end
            if record.t == t {
                let d = clip.dimension
                return TokenSet(
                    dimension: d, features: Array(clip.features[(start * d)..<(end * d)]),
                    coords: Array(clip.coords[start..<end]), frames: [record])
            }
            if record.t > t {
                throw ReductionError("fidelity: frame \(t) arrived after frame \(record.t) — frames must be in order")
            }
        }
    }
}
