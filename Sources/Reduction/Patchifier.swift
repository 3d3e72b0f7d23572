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
    /// - Complexity: O(pixels).
    public func tokens(of frames: [VideoFrame]) -> TokenSet {
        var set = TokenSet(dimension: dimension)
        for frame in frames { set.append(contentsOf: tokens(of: frame)) }
        return set
    }

    /// All patches of one frame, row-major.
    public func tokens(of frame: VideoFrame) -> TokenSet {
        precondition(
            frame.width % patchSize == 0 && frame.height % patchSize == 0,
            "frame size \(frame.width)x\(frame.height) is not a multiple of the patch size \(patchSize)")
        let (rows, columns) = grid(width: frame.width, height: frame.height)
        let p = patchSize
        let d = dimension
        let plane = frame.width * frame.height
        let count = rows * columns
        let features = [Float](unsafeUninitializedCapacity: count * d) { out, initialized in
            frame.pixels.withUnsafeBufferPointer { src in
                let dst = out.baseAddress!
                for row in 0..<rows {
                    for col in 0..<columns {
                        var o = (row * columns + col) * d
                        for c in 0..<3 {
                            for y in 0..<p {
                                let from = src.baseAddress! + c * plane + (row * p + y) * frame.width + col * p
                                (dst + o).initialize(from: from, count: p)
                                o += p
                            }
                        }
                    }
                }
            }
            initialized = count * d
        }
        var coords: [TokenCoord] = []
        coords.reserveCapacity(count)
        let t = Int32(frame.sampleIndex)
        for row in 0..<rows {
            for col in 0..<columns { coords.append(TokenCoord(t: t, row: Int32(row), col: Int32(col))) }
        }
        return TokenSet(dimension: d, features: features, coords: coords, frames: [record(of: frame)])
    }
}
