/// The layout of a GSPN-1 classification backbone (`VSSM` with the `GSPNv1` op), read from the
/// weights (spec B.5).
///
/// Dims, depths, the inner width C′ and d_state come from the tensor shapes; the choice of
/// global layers, the local chunk and the training resolution (which fixes the released
/// "global" chunk) come from the file's metadata (`global_stages`, `items_each_chunk`,
/// `img_size`) or default to GSPN-T/B's `[2, 3]`, 2 and 224 (GSPN-S, depths `[5,5,10,2]`,
/// defaults to `[3]`).
public struct GSPNConfig: Sendable, Equatable {
    /// Channels of the four stages, `[C, 2C, 4C, 8C]`.
    public var dims: [Int]
    /// Blocks per stage.
    public var depths: [Int]
    /// Inner (propagation) width C′ of each stage, `int(1.5·C)` in the released models.
    public var innerDims: [Int]
    /// The proxy rank d_s of the gate projections.
    public var dState: Int
    /// Stages whose blocks may be global (`SPECIFIC_GLAYERS`).
    public var globalStages: [Int]
    /// Columns per chunk of the local blocks (`items_each_chunk`).
    public var itemsEachChunk: Int
    /// Training resolution: the released code's global chunk is `imgSize / 4 / 2^stage`.
    public var imgSize: Int
    /// When true, global blocks scan the whole width at any resolution instead of the released
    /// hard-coded `feat_size` chunk (not what the released code computes; off by default).
    public var globalScansFullWidth: Bool = false

    public init(dims: [Int], depths: [Int], innerDims: [Int], dState: Int, globalStages: [Int] = [2, 3],
                itemsEachChunk: Int = 2, imgSize: Int = 224, globalScansFullWidth: Bool = false) {
        self.dims = dims
        self.depths = depths
        self.innerDims = innerDims
        self.dState = dState
        self.globalStages = globalStages
        self.itemsEachChunk = itemsEachChunk
        self.imgSize = imgSize
        self.globalScansFullWidth = globalScansFullWidth
    }

    /// Whether block `block` of stage `stage` is global: a listed stage and
    /// `block < 7 || (block + 1) % 7 == 0`.
    public func isGlobal(stage: Int, block: Int) -> Bool {
        globalStages.contains(stage) && (block < 7 || (block + 1) % 7 == 0)
    }

    /// The chunk (columns) block `block` of stage `stage` scans with on a map `width` wide.
    public func chunk(stage: Int, block: Int, width: Int) -> Int {
        guard isGlobal(stage: stage, block: block) else { return max(1, itemsEachChunk) }
        if globalScansFullWidth { return max(1, width) }
        return max(1, (imgSize / 4) >> stage)
    }

    /// Total downsampling of stage `stage` (4, 8, 16, 32).
    public func stride(stage: Int) -> Int { 4 << stage }
}
