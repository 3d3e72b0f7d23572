import Reduction
import VideoIO

/// Deterministic synthetic frames for reducer tests: a static left half, a moving bright
/// square, slowly drifting brightness on the right and per-frame noise in one corner.
enum SyntheticVideo {
    /// A small linear congruential generator, so tests are reproducible everywhere.
    struct Random {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
    }

    /// `count` frames of `width × height`, planar RGB in [0, 1].
    static func frames(count: Int, width: Int = 96, height: Int = 64, seed: UInt64 = 7) -> [VideoFrame] {
        var random = Random(state: seed)
        let plane = width * height
        var background = [Float](repeating: 0, count: 3 * plane)
        for i in background.indices { background[i] = random.next() }
        var frames: [VideoFrame] = []
        for t in 0..<count {
            var pixels = background
            for c in 0..<3 {
                for y in 0..<height {
                    for x in (width / 2)..<width {
                        let i = c * plane + y * width + x
                        // Right half: drift plus small noise, so every right patch changes a little.
                        pixels[i] = min(1, max(0, background[i] * 0.8 + Float(t) * 0.01 * Float(x % 7) + random.next() * 0.05))
                    }
                }
                // A bright square moving right across the right half.
                let sx = width / 2 + (t * 5) % (width / 2 - 12), sy = 8 + (t * 3) % (height - 20)
                for y in sy..<(sy + 12) { for x in sx..<(sx + 12) { pixels[c * plane + y * width + x] = 1 } }
                // Strong noise in the bottom-right corner.
                for y in (height - 16)..<height {
                    for x in (width - 16)..<width { pixels[c * plane + y * width + x] = random.next() }
                }
            }
            frames.append(
                VideoFrame(
                    sampleIndex: t, index: t * 3, pts: Double(t) * 0.1, isKeyframe: t == 0, width: width, height: height,
                    pixels: pixels))
        }
        return frames
    }

    /// The frames as one `[T, 3, H, W]` array.
    static func stacked(_ frames: [VideoFrame]) -> [Float] {
        frames.flatMap(\.pixels)
    }
}
