import Foundation

/// Measures how well the kept pixel-space tokens rebuild the sampled video.
///
/// Each frame is rebuilt on a canvas carried over from the previous frame (the first frame starts
/// flat mid-gray, 0.5): the frame's kept tokens are painted coarse to fine (coarser scales
/// resized to their cells), so a pruned patch shows what was last painted there. The meter
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
    private var canvas: FrameCanvas?
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

    /// Value of every pixel of the canvas before the first frame.
    public static let initialValue: Float = 0.5

    /// Records a reduced clip; its frames must follow the ones already recorded, in order.
    public func recordKept(_ clip: TokenSet) throws {
        var cursor = 0
        for frame in clip.frames {
            let original = try originalFrame(frame.t)
            let patch = clip.cellSizes.first ?? 16
            let width = frame.gridColumns * patch, height = frame.gridRows * patch
            if canvas == nil || canvas!.width != width || canvas!.height != height {
                canvas = FrameCanvas(width: width, height: height, value: Self.initialValue)
            }
            let start = cursor
            while cursor < clip.count && Int(clip.coords[cursor].t) == frame.t { cursor += 1 }
            canvas!.paint(clip, tokens: start..<cursor)
            let image = Self.image(of: original, width: width, height: height)
            let frameError = canvas!.squaredError(against: image)
            let frameValues = image.count
            squaredError += frameError
            values += frameValues
            perFrame.append(frameValues > 0 ? Self.psnr(mse: frameError / Double(frameValues)) ?? .infinity : .infinity)
        }
    }

    /// The planar image behind a frame's full grid of scale-0 patches.
    static func image(of frame: TokenSet, width: Int, height: Int) -> [Float] {
        var canvas = FrameCanvas(width: width, height: height, value: 0)
        canvas.paint(frame, tokens: 0..<frame.count)
        return canvas.pixels
    }

    /// Mean squared error over every value of every frame measured so far.
    public var meanSquaredError: Double { values > 0 ? squaredError / Double(values) : 0 }

    /// PSNR in dB for a peak of 1, or nil when the rebuild is exact.
    public var psnr: Double? { Self.psnr(mse: meanSquaredError) }

    /// PSNR of each frame measured so far (infinite where exact).
    public var framePSNR: [Double] { perFrame }

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
