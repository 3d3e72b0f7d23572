/// Dissimilarity kernels between two feature vectors of equal length.
enum Dissimilarity {
    /// Mean absolute difference.
    @inline(__always)
    static func l1(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            let d = x - y
            acc += d.replacing(with: -d, where: d .< 0)
            i += 8
        }
        var sum = acc.sum()
        while i < count {
            sum += abs(a[i] - b[i])
            i += 1
        }
        return sum / Float(count)
    }

    /// 1 − cosine similarity with PyTorch's semantics: each vector is divided by
    /// `max(‖x‖₂, 1e-8)` before the dot product.
    @inline(__always)
    static func cosine(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var aa = SIMD8<Float>()
        var bb = SIMD8<Float>()
        var ab = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            aa += x * x
            bb += y * y
            ab += x * y
            i += 8
        }
        var saa = aa.sum()
        var sbb = bb.sum()
        var sab = ab.sum()
        while i < count {
            saa += a[i] * a[i]
            sbb += b[i] * b[i]
            sab += a[i] * b[i]
            i += 1
        }
        let na = max(saa.squareRoot(), 1e-8)
        let nb = max(sbb.squareRoot(), 1e-8)
        return 1 - sab / (na * nb)
    }

    /// The kernel for a metric.
    static func kernel(for metric: EVSOptions.Metric) -> (UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Float {
        switch metric {
        case .l1: return { l1($0, $1, count: $2) }
        case .cosine: return { cosine($0, $1, count: $2) }
        }
    }
}
