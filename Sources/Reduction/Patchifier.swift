import VideoIO

/// Cuts frames into square patches and lays them out as pixel-space tokens.
///
/// A patch's feature vector is its `3 × patchSize × patchSize` values in (channel, y, x) order,
/// the order C-RADIO's patch embedding expects. Tokens come out row-major on a grid of
/// `height / patchSize` rows and `width / patchSize` columns, all at scale 0.
public struct Patchifier: Sendable {
    /// Side of a square patch in pixels.
    public var patchSize: Int

    public init(patchSize: Int = 16) {
        precondition(patchSize > 0, "patch size must be positive")
        self.patchSize = patchSize
    }

    /// Length of one patch's feature vector.
    public var dimension: Int { 3 * patchSize * patchSize }

    /// The token grid of a frame of the given size.
    public func grid(width: Int, height: Int) -> (rows: Int, columns: Int) {
        (height / patchSize, width / patchSize)
    }

    /// The frame record of a decoded frame.
    public func record(of frame: VideoFrame) -> FrameRecord {
        let (rows, columns) = grid(width: frame.width, height: frame.height)
        return FrameRecord(
            t: frame.sampleIndex, sourceIndex: frame.index, pts: frame.pts, gridRows: rows, gridColumns: columns)
    }

    /// All patches of the given frames, in stream order.
    ///
    /// - Precondition: every frame's sides are multiples of `patchSize`.
    /// - Complexity: O(pixels); one allocation for the whole clip.
    public func tokens(of frames: [VideoFrame]) -> TokenSet {
        let d = dimension
        var total = 0
        for frame in frames {
            precondition(
                frame.width % patchSize == 0 && frame.height % patchSize == 0,
                "frame size \(frame.width)x\(frame.height) is not a multiple of the patch size \(patchSize)")
            let (rows, columns) = grid(width: frame.width, height: frame.height)
            total += rows * columns
        }
        var coords: [TokenCoord] = []
        coords.reserveCapacity(total)
        let features = [Float](unsafeUninitializedCapacity: total * d) { out, initialized in
            var offset = 0
            for frame in frames {
                let (rows, columns) = grid(width: frame.width, height: frame.height)
                frame.pixels.withUnsafeBufferPointer { src in
                    cut(src.baseAddress!, width: frame.width, height: frame.height, into: out.baseAddress! + offset * d)
                }
                let t = Int32(frame.sampleIndex)
                for row in 0..<rows {
                    for col in 0..<columns { coords.append(TokenCoord(t: t, row: Int32(row), col: Int32(col))) }
                }
                offset += rows * columns
            }
            initialized = total * d
        }
        var set = TokenSet(dimension: d, features: features, coords: coords, frames: frames.map(record(of:)))
        set.cellSizes = [patchSize]
        return set
    }

    /// All patches of one frame, row-major.
    public func tokens(of frame: VideoFrame) -> TokenSet {
        tokens(of: [frame])
    }

    /// Copies a planar frame's patches, row-major, each in (channel, y, x) order.
    private func cut(_ src: UnsafePointer<Float>, width: Int, height: Int, into dst: UnsafeMutablePointer<Float>) {
        let p = patchSize
        let d = dimension
        let plane = width * height
        let columns = width / p
        // Walk the source in memory order (channel, pixel row) and scatter each 16-wide run to
        // its patch, so reads stream and each write is one contiguous run.
        for c in 0..<3 {
            for y in 0..<height {
                let row = y / p
                let line = src + c * plane + y * width
                let within = c * p * p + (y % p) * p
                var target = dst + row * columns * d + within
                var x = 0
                if p == 16 {
                    while x < width {
                        UnsafeMutableRawPointer(target).storeBytes(
                            of: UnsafeRawPointer(line + x).loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
                        x += 16
                        target += d
                    }
                } else {
                    while x < width {
                        target.update(from: line + x, count: p)
                        x += p
                        target += d
                    }
                }
            }
        }
    }
}
