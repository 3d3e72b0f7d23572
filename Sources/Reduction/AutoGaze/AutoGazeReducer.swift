import Foundation

/// AutoGaze: keeps, frame by frame, a small set of multi-scale patches that rebuilds each frame
/// (greedy selector against a PSNR or L1 target), or the patches NVIDIA's released gaze model
/// picks (`model=`).
///
/// It takes pixel patches at one scale on a square frame whose side is a multiple of 224 and
/// emits tokens at AutoGaze's four scales (`cellSizes` `[16, 32, 56, 112]`), each a 16×16 patch
/// of the tile resized to its scale. Cells missing from its input (an earlier reducer pruned
/// them) show what they last showed.
public final class AutoGazeReducer: TokenReducer {
    public let options: AutoGazeOptions
    public var name: String { "autogaze" }
    public var specification: String { options.specification }

    /// Frames so far that met their target on every tile.
    public private(set) var framesMeetingTarget = 0
    /// Frames so far where some tile stopped at the cap or could not improve.
    public private(set) var framesShortOfTarget = 0

    private var layout: GazeLayout?
    private var lastSeen: FrameCanvas?
    private var selectors: [GreedyGazeSelector] = []
    private let model: GazeModel?
    // Model mode: frames wait here until a 16-frame chunk is complete.
    private var chunk: [(record: FrameRecord, tiles: [TilePyramid])] = []
    /// Frames the released model gazes at once (it was trained on 16-frame clips).
    public static let modelChunkFrames = 16

    public init(options: AutoGazeOptions) throws {
        self.options = options
        model = try options.modelPath.map { try GazeModel(path: $0) }
    }

    public func process(_ clip: TokenSet, emit: TokenSink) throws {
        guard clip.cellSizes.count == 1 else {
            throw ReductionError("autogaze takes single-scale pixel patches — put it before other multi-scale reducers")
        }
        var out = TokenSet(dimension: 768)
        out.cellSizes = Self.outputCellSizes
        var cursor = 0
        for frame in clip.frames {
            let start = cursor
            while cursor < clip.count && Int(clip.coords[cursor].t) == frame.t { cursor += 1 }
            let tiles = try tilePyramids(of: clip, tokens: start..<cursor, frame: frame)
            if model != nil {
                chunk.append((frame, tiles))
                if chunk.count == Self.modelChunkFrames { try emit(try gazeChunk()) }
                continue
            }
            var tokens: [(TokenCoord, [Float])] = []
            var met = true
            for (index, pyramid) in tiles.enumerated() {
                let result = selectors[index].select(pyramid)
                met = met && result.metTarget
                tokens += Self.tokens(of: result.ids, tile: index, pyramid: pyramid, t: frame.t, tiles: layout!.tiles)
            }
            if met { framesMeetingTarget += 1 } else { framesShortOfTarget += 1 }
            append(tokens, frame: frame, to: &out)
        }
        if model == nil { try emit(out) }
    }

    public func finish(emit: TokenSink) throws {
        if model != nil && !chunk.isEmpty { try emit(try gazeChunk()) }
    }

    /// Cell sides of the four output scales.
    public static let outputCellSizes = GazeLayout.cellSizes

    // MARK: Frames and tiles

    private func tilePyramids(of clip: TokenSet, tokens range: Range<Int>, frame: FrameRecord) throws -> [TilePyramid] {
        let patch = clip.cellSizes[0]
        guard patch == 16 else { throw ReductionError("autogaze needs 16×16 patches, not \(patch)×\(patch)") }
        let width = frame.gridColumns * patch, height = frame.gridRows * patch
        if layout == nil {
            let layout = try GazeLayout(width: width, height: height)
            self.layout = layout
            lastSeen = FrameCanvas(width: width, height: height, value: FidelityMeter.initialValue)
            let (metric, target): (GreedyGazeSelector.Metric, Double) =
                switch options.target {
                case .psnr(let db): (.squared, pow(10, -db / 10))
                case .l1(let tau): (.absolute, tau)
                case .predictedLoss: (.squared, 0)
                }
            selectors = Array(
                repeating: GreedyGazeSelector(metric: metric, targetError: target, cap: options.cap),
                count: layout.tiles * layout.tiles)
        }
        guard width == layout!.side, height == layout!.side else {
            throw ReductionError("autogaze: frame size changed to \(width)x\(height) mid-stream")
        }
        // The frame: last seen content, overwritten by the patches present.
        lastSeen!.paint(clip, tokens: range)
        let plane = width * height
        let image = lastSeen!.pixels
        let tiles = layout!.tiles
        let side = GazeLayout.tileSide
        var pyramids: [TilePyramid] = []
        for ty in 0..<tiles {
            for tx in 0..<tiles {
                var tile = [Float](repeating: 0, count: 3 * side * side)
                for c in 0..<3 {
                    for y in 0..<side {
                        let from = c * plane + (ty * side + y) * width + tx * side
                        tile.replaceSubrange((c * side * side + y * side)..<(c * side * side + (y + 1) * side), with: image[from..<(from + side)])
                    }
                }
                pyramids.append(TilePyramid(tile: tile))
            }
        }
        return pyramids
    }

    /// The tokens of one tile's picks, with coordinates on the stitched grids.
    private static func tokens(of ids: [Int], tile: Int, pyramid: TilePyramid, t: Int, tiles: Int) -> [(TokenCoord, [Float])] {
        let (ty, tx) = (tile / tiles, tile % tiles)
        return ids.map { id in
            let (scale, row, col) = GazeLayout.cell(ofLocalID: id)
            let g = GazeLayout.grids[scale]
            let coord = TokenCoord(t: Int32(t), row: Int32(ty * g + row), col: Int32(tx * g + col), scale: Int32(scale))
            return (coord, pyramid.token(scale: scale, row: row, col: col))
        }
    }

    /// Appends one frame's tokens in stream order (scale, then row-major).
    private func append(_ tokens: [(TokenCoord, [Float])], frame: FrameRecord, to out: inout TokenSet) {
        for (coord, features) in tokens.sorted(by: { $0.0 < $1.0 }) {
            out.coords.append(coord)
            out.features.append(contentsOf: features)
        }
        out.frames.append(frame)
    }

    // MARK: Released model

    private func gazeChunk() throws -> TokenSet {
        guard let model, let layout else { return TokenSet(dimension: 768) }
        var out = TokenSet(dimension: 768)
        out.cellSizes = Self.outputCellSizes
        let threshold: Float? = if case .predictedLoss(let t) = options.target { Float(t) } else { nil }
        var perFrame = [[(TokenCoord, [Float])]](repeating: [], count: chunk.count)
        for tile in 0..<(layout.tiles * layout.tiles) {
            let frames = chunk.map { $0.tiles[tile].tile }
            let results = try model.gaze(frames: frames, lossThreshold: threshold, maxRatio: options.maxRatio)
            for (i, result) in results.enumerated() {
                perFrame[i] += Self.tokens(
                    of: result.ids, tile: tile, pyramid: chunk[i].tiles[tile], t: chunk[i].record.t, tiles: layout.tiles)
            }
        }
        for (i, entry) in chunk.enumerated() { append(perFrame[i], frame: entry.record, to: &out) }
        chunk.removeAll()
        return out
    }
}
