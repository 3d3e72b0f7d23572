/// AutoGaze's multi-scale token scheme on 224×224 tiles, and how tiles stitch into larger frames.
///
/// A 224 tile is resized to 224, 112, 64 and 32 pixels and each version is cut into 16×16
/// patches: grids 14, 7, 4 and 2, 265 tokens in all. vtok numbers scales finest first (scale 0
/// is the 14×14 grid, scale 3 the 2×2 grid); AutoGaze numbers tokens coarsest first: ids 0–3
/// (32), 4–19 (64), 20–68 (112), 69–264 (224), row-major within a scale.
///
/// Frames larger than 224 are cut into `tiles × tiles` tiles of 224 that are gazed
/// independently; a token's row and column are then on the stitched grid of its scale
/// (`tiles · grid` a side), so its cell covers `cellSizes[scale]` pixels at `row, col`.
public struct GazeLayout: Sendable, Hashable {
    /// Side of a tile in pixels.
    public static let tileSide = 224
    /// Side a tile is resized to for each scale (index 0 finest).
    public static let scaleSides = [224, 112, 64, 32]
    /// Grid side of each scale on one tile.
    public static let grids = [14, 7, 4, 2]
    /// Pixels a cell of each scale covers in the 224 tile.
    public static let cellSizes = [16, 32, 56, 112]
    /// Tokens of one tile-frame.
    public static let tokensPerTile = 265
    /// AutoGaze's id of the first token of each scale (index 0 finest).
    static let idOffsets = [69, 20, 4, 0]

    /// Tiles per side.
    public let tiles: Int

    /// The layout of a square frame of `side` pixels.
    ///
    /// - Throws: `ReductionError` unless `side` is a positive multiple of 224.
    public init(width: Int, height: Int) throws {
        guard width == height, width > 0, width % Self.tileSide == 0 else {
            throw ReductionError(
                "autogaze needs a square size that is a multiple of 224 (224, 448, 672, …), not \(width)x\(height) — use --size 224 or --size 448")
        }
        tiles = width / Self.tileSide
    }

    /// Frame side in pixels.
    public var side: Int { tiles * Self.tileSide }

    /// Tokens of one frame over all tiles.
    public var tokensPerFrame: Int { tiles * tiles * Self.tokensPerTile }

    /// Tokens of one frame on the finest grid alone.
    public var finestTokensPerFrame: Int { tiles * tiles * Self.grids[0] * Self.grids[0] }

    /// AutoGaze's local id of a cell on one tile.
    public static func localID(scale: Int, row: Int, col: Int) -> Int {
        idOffsets[scale] + row * grids[scale] + col
    }

    /// The cell behind an AutoGaze local id on one tile.
    public static func cell(ofLocalID id: Int) -> (scale: Int, row: Int, col: Int) {
        precondition(id >= 0 && id < tokensPerTile, "AutoGaze ids run from 0 to 264")
        let scale = idOffsets.firstIndex { id >= $0 }!
        let local = id - idOffsets[scale]
        return (scale, local / grids[scale], local % grids[scale])
    }

    /// The id of a stitched-grid token in AutoGaze's flattened multi-tile numbering: scales
    /// coarsest first, each scale's stitched grid row-major (what AutoGaze's resolution
    /// adapter produces for tiled frames; equal to `localID` for one tile).
    public func stitchedID(scale: Int, row: Int, col: Int) -> Int {
        var offset = 0
        for s in stride(from: Self.grids.count - 1, to: scale, by: -1) {
            offset += (tiles * Self.grids[s]) * (tiles * Self.grids[s])
        }
        return offset + row * tiles * Self.grids[scale] + col
    }
}
