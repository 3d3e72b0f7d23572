import Foundation
import Reduction
import TensorCore
import VideoIO

/// A token pack read back: tokens, their coordinates, per-frame data and the stored report.
public struct TokenPack: Sendable {
    /// The tokens as a token set (converted to Float32).
    public var tokens: TokenSet
    /// Tokens kept per sampled frame.
    public var frameTokens: [Int]
    /// The compression report stored by the run.
    public var report: Report
    /// The video the pack was made from.
    public var source: VideoInfo
    /// The stored metadata, as written.
    public var metadata: TokenPackMetadata
    /// Element type the tokens were stored in.
    public var dtype: DType

    /// Reads a pack.
    ///
    /// - Throws: `PipelineError` when the file is not a vtok token pack, or a safetensors error.
    public init(contentsOf path: String) throws {
        let file = try SafetensorsFile(path: path)
        let meta = file.metadata
        guard meta["format"] == TokenPackMetadata.format else {
            throw PipelineError("'\(path)' is a safetensors file but not a vtok token pack (no format=\(TokenPackMetadata.format) in its metadata)")
        }
        metadata = TokenPackMetadata(entries: meta)
        let info = try file.requireInfo("tokens")
        guard info.shape.count == 2 else { throw PipelineError("'\(path)': tokens must be [N, D], found \(info.shape)") }
        dtype = info.dtype
        let (n, d) = (info.shape[0], info.shape[1])
        let coords = try file.int32s("coords")
        try file.checkShape("coords", [n, 4])
        let frameTokens = try file.int32s("frame_tokens").map(Int.init)
        let pts = try file.float64s("frame_pts")
        let index = try file.int64s("frame_index")
        guard pts.count == frameTokens.count, index.count == frameTokens.count else {
            throw PipelineError("'\(path)': frame_tokens, frame_pts and frame_index differ in length")
        }
        let decoder = JSONDecoder()
        report = try decoder.decode(Report.self, from: Data((meta["report"] ?? "").utf8))
        source = try decoder.decode(VideoInfo.self, from: Data((meta["source"] ?? "").utf8))
        let grid = Self.grid(from: meta["pipeline"], source: source)
        let frames = (0..<frameTokens.count).map {
            FrameRecord(
                t: $0, sourceIndex: Int(index[$0]),
                pts: pts[$0], gridRows: grid.rows, gridColumns: grid.columns)
        }
        let tokenCoords = (0..<n).map {
            TokenCoord(t: coords[4 * $0], row: coords[4 * $0 + 1], col: coords[4 * $0 + 2], scale: coords[4 * $0 + 3])
        }
        tokens = TokenSet(dimension: d, features: try file.floats("tokens"), coords: tokenCoords, frames: frames)
        if let text = meta["cell_sizes"], let sizes = try? JSONDecoder().decode([Int].self, from: Data(text.utf8)), !sizes.isEmpty {
            tokens.cellSizes = sizes
        }
        self.frameTokens = frameTokens
    }

    /// A one-line summary of the stored pipeline.
    public var pipelineSummary: String {
        guard let text = metadata.entries["pipeline"],
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return "unknown" }
        var parts: [String] = []
        if let s = object["sampling"] as? [String: Any], let mode = s["mode"] as? String {
            var text = mode
            if let fps = s["fps"] { text = "fps \(fps)" }
            if let frames = s["frames"] { text = "\(frames) frames" }
            parts.append(text)
        }
        if let r = object["resize"] as? [String: Any] {
            if let w = r["width"], let h = r["height"] { parts.append("\(w)x\(h)") }
            if let side = r["long_side"] { parts.append("long side \(side)") }
        }
        let reducers = (object["reduce"] as? [String]) ?? []
        parts.append(reducers.isEmpty ? "no reduction" : reducers.joined(separator: " → "))
        if let dtype = object["dtype"] { parts.append("\(dtype)") }
        return parts.joined(separator: ", ")
    }

    /// The finest grid recorded in the pipeline, from the resize settings and source size.
    private static func grid(from pipeline: String?, source: VideoInfo) -> (rows: Int, columns: Int) {
        guard let pipeline, let object = try? JSONSerialization.jsonObject(with: Data(pipeline.utf8)) as? [String: Any],
            let resize = object["resize"] as? [String: Any]
        else { return (0, 0) }
        let patch = (object["patch_size"] as? Int) ?? ResolvedPipeline.patchSize
        let mode: ResizeMode
        if let side = resize["long_side"] as? Int {
            mode = .keepAspect(longSide: side, multiple: (resize["multiple"] as? Int) ?? patch)
        } else if let w = resize["width"] as? Int, let h = resize["height"] as? Int {
            mode = .exact(FrameSize(width: w, height: h))
        } else {
            return (0, 0)
        }
        let size = mode.outputSize(forSource: FrameSize(width: source.width, height: source.height))
        return (size.height / patch, size.width / patch)
    }
}
