/// Where one token sits: the sampled frame it belongs to, its cell on that frame's grid, and the
/// grid's scale.
///
/// Scale 0 is the finest grid (16×16-pixel patches at the model resolution); larger scales are
/// coarser grids (AutoGaze's multi-scale tokens).
public struct TokenCoord: Hashable, Sendable, Comparable {
    /// Position of the frame in the sampled sequence (0-based, over the whole video).
    public var t: Int32
    /// Row on the frame's grid at this scale.
    public var row: Int32
    /// Column on the frame's grid at this scale.
    public var col: Int32
    /// Grid scale: 0 is the finest.
    public var scale: Int32

    public init(t: Int32, row: Int32, col: Int32, scale: Int32 = 0) {
        self.t = t
        self.row = row
        self.col = col
        self.scale = scale
    }

    /// Stream order: frame, then scale, then row-major.
    public static func < (lhs: TokenCoord, rhs: TokenCoord) -> Bool {
        (lhs.t, lhs.scale, lhs.row, lhs.col) < (rhs.t, rhs.scale, rhs.row, rhs.col)
    }
}

/// What is known about one sampled frame, whichever tokens of it survive.
public struct FrameRecord: Sendable, Equatable {
    /// Position in the sampled sequence (the `t` of its tokens).
    public var t: Int
    /// Index of the frame in the decoded stream (display order).
    public var sourceIndex: Int
    /// Presentation time in seconds, relative to the stream's first frame.
    public var pts: Double
    /// Rows of the finest token grid.
    public var gridRows: Int
    /// Columns of the finest token grid.
    public var gridColumns: Int

    public init(t: Int, sourceIndex: Int, pts: Double, gridRows: Int, gridColumns: Int) {
        self.t = t
        self.sourceIndex = sourceIndex
        self.pts = pts
        self.gridRows = gridRows
        self.gridColumns = gridColumns
    }

    /// Tokens on the finest grid of this frame.
    public var gridTokenCount: Int { gridRows * gridColumns }
}

/// One clip's worth of tokens, in pixel space or embedding space.
///
/// `features` is a contiguous row-major `[count, dimension]` matrix; row `i` belongs to
/// `coords[i]`. Tokens are kept in stream order (frame, then scale, then row-major), and
/// `frames` lists every sampled frame of the clip, including frames that lost all their tokens.
public struct TokenSet: Sendable {
    /// Width of one token's feature vector (768 for 16×16 RGB patches).
    public var dimension: Int
    /// Row-major `[count, dimension]` features.
    public var features: [Float]
    /// The position of each token.
    public var coords: [TokenCoord]
    /// Every sampled frame of the clip, in order.
    public var frames: [FrameRecord]
    /// Side in pixels, at the model resolution, of the square cell a token of each scale covers:
    /// `cellSizes[s]` for scale `s`. `[16]` for plain 16×16 patches; AutoGaze's scales on a
    /// 224 tile are `[16, 32, 56, 112]`. A token's content is always a 16×16 patch; a coarser
    /// token stands for its cell resized to 16×16.
    public var cellSizes: [Int] = [16]

    /// Creates a token set; `features.count` must be `coords.count * dimension`.
    public init(dimension: Int, features: [Float], coords: [TokenCoord], frames: [FrameRecord]) {
        precondition(dimension > 0, "token dimension must be positive")
        precondition(features.count == coords.count * dimension, "features do not match coords")
        self.dimension = dimension
        self.features = features
        self.coords = coords
        self.frames = frames
    }

    /// An empty set of the given width over the given frames.
    public init(dimension: Int, frames: [FrameRecord] = []) {
        self.init(dimension: dimension, features: [], coords: [], frames: frames)
    }

    /// Number of tokens.
    public var count: Int { coords.count }

    /// Whether the set holds no token.
    public var isEmpty: Bool { coords.isEmpty }

    /// The features of token `i`.
    public func feature(at i: Int) -> ArraySlice<Float> {
        features[(i * dimension)..<((i + 1) * dimension)]
    }

    /// Tokens per scale (index = scale).
    public var tokensPerScale: [Int] {
        var counts = [Int](repeating: 0, count: cellSizes.count)
        for c in coords where Int(c.scale) < counts.count { counts[Int(c.scale)] += 1 }
        return counts
    }

    /// Tokens kept per frame of this clip, in the order of `frames`.
    public var tokensPerFrame: [Int] {
        guard let first = frames.first else { return [] }
        var counts = [Int](repeating: 0, count: frames.count)
        for coord in coords {
            let slot = Int(coord.t) - first.t
            if slot >= 0 && slot < counts.count { counts[slot] += 1 }
        }
        return counts
    }

    /// The subset of tokens whose mask entry is true, order preserved.
    ///
    /// - Complexity: O(`count` × `dimension`).
    public func filtered(by keep: [Bool]) -> TokenSet {
        precondition(keep.count == count, "mask length must equal the token count")
        let kept = keep.reduce(0) { $0 + ($1 ? 1 : 0) }
        var newCoords: [TokenCoord] = []
        newCoords.reserveCapacity(kept)
        let d = dimension
        let newFeatures = [Float](unsafeUninitializedCapacity: kept * d) { out, initialized in
            features.withUnsafeBufferPointer { src in
                var j = 0
                for i in 0..<keep.count where keep[i] {
                    let from = src.baseAddress! + i * d
                    (out.baseAddress! + j * d).initialize(from: from, count: d)
                    newCoords.append(coords[i])
                    j += 1
                }
            }
            initialized = kept * d
        }
        var subset = TokenSet(dimension: d, features: newFeatures, coords: newCoords, frames: frames)
        subset.cellSizes = cellSizes
        return subset
    }

    /// Appends another set of the same width after this one (frames and tokens).
    public mutating func append(contentsOf other: TokenSet) {
        precondition(other.dimension == dimension, "cannot join token sets of different widths")
        if isEmpty && frames.isEmpty { cellSizes = other.cellSizes }
        precondition(other.cellSizes == cellSizes, "cannot join token sets with different scales")
        features.append(contentsOf: other.features)
        coords.append(contentsOf: other.coords)
        frames.append(contentsOf: other.frames)
    }
}
