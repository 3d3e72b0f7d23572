import Foundation

/// Rotary position embedding of the gaze decoder (LLaMA `rotate_half` convention).
///
/// Inverse frequencies follow transformers' `_compute_llama3_parameters` in float32:
/// `inv[i] = 1 / θ^(2i/D)`; with wavelength `λ = 2π / inv`, frequencies with `λ > old/low` are
/// divided by `factor`, those with `old/high ≤ λ ≤ old/low` are blended
/// `(1 − s)·inv/factor + s·inv` with `s = (old/λ − low)/(high − low)`, and the rest are kept.
/// A vector `x` (one head, width D) at position p becomes
/// `x·cos(p·f) + rotate_half(x)·sin(p·f)` with `f = [inv, inv]` and
/// `rotate_half(x) = [−x[D/2..<D], x[0..<D/2]]`.
struct GazeRotaryEmbedding: Sendable {
    /// The D/2 inverse frequencies.
    let inverseFrequencies: [Float]

    init(config c: GazeModelConfig) {
        let dim = c.headDim
        let theta = Float(c.ropeTheta)
        var inv = (0..<(dim / 2)).map { i -> Float in
            Float(1) / powf(theta, Float(2 * i) / Float(dim))
        }
        if let s = c.ropeScaling {
            let factor = Float(s.factor)
            let low = Float(s.lowFreqFactor)
            let high = Float(s.highFreqFactor)
            let old = Float(s.originalMaxPositionEmbeddings)
            let lowWavelength = old / low
            let highWavelength = old / high
            inv = inv.map { f in
                let wavelength = Float(2 * Double.pi) / f
                let scaled = wavelength > lowWavelength ? f / factor : f
                let smooth = (old / wavelength - low) / (high - low)
                let medium = !(wavelength < highWavelength) && !(wavelength > lowWavelength)
                return medium ? (1 - smooth) * scaled / factor + smooth * scaled : scaled
            }
        }
        inverseFrequencies = inv
    }

    /// cos and sin tables `[positions.count, D/2]` for the given positions.
    func tables(positions: [Int]) -> (cos: [Float], sin: [Float]) {
        let half = inverseFrequencies.count
        var cosines = [Float](repeating: 0, count: positions.count * half)
        var sines = cosines
        for (row, position) in positions.enumerated() {
            let p = Float(position)
            for i in 0..<half {
                let angle = p * inverseFrequencies[i]
                cosines[row * half + i] = cosf(angle)
                sines[row * half + i] = sinf(angle)
            }
        }
        return (cosines, sines)
    }

    /// Rotates `heads` vectors of width D in each of `rows` rows of `x` (row stride `stride`,
    /// heads contiguous from column 0), in place.
    func apply(
        to x: UnsafeMutablePointer<Float>, rows: Int, stride: Int, heads: Int,
        cos: UnsafePointer<Float>, sin: UnsafePointer<Float>
    ) {
        let half = inverseFrequencies.count
        for row in 0..<rows {
            let c = cos + row * half
            let s = sin + row * half
            for head in 0..<heads {
                let v = x + row * stride + head * 2 * half
                for i in 0..<half {
                    let a = v[i]
                    let b = v[i + half]
                    v[i] = a * c[i] - b * s[i]
                    v[i + half] = b * c[i] + a * s[i]
                }
            }
        }
    }
}
