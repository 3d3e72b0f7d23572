import Foundation
import Reduction
import TensorCore

/// Writes a token pack: one safetensors file holding the kept tokens and where they came from.
///
/// | tensor | shape | dtype | meaning |
/// |---|---|---|---|
/// | `tokens` | [N, D] | F32, F16 or BF16 | kept tokens in stream order |
/// | `coords` | [N, 4] | I32 | (frame t, row, col, scale) of each token |
/// | `frame_tokens` | [T] | I32 | tokens kept per sampled frame |
/// | `frame_pts` | [T] | F64 | presentation time of each sampled frame, seconds |
/// | `frame_index` | [T] | I64 | index of each sampled frame in the decoded stream |
///
/// Tokens are spooled to a hidden file beside the destination while the video is processed, so
/// memory stays bounded; `finish` writes the pack atomically (temporary file, then rename) and
/// removes the spool. Nothing appears at the destination unless `finish` succeeds.
public final class TokenPackWriter {
    public let path: String
    public let dtype: DType
    public let dimension: Int
    private let spoolPath: String
    private var spool: FileHandle?
    private var coords: [Int32] = []
    private var tokenCount = 0
    private var frameTokens: [Int] = []
    private var cellSizes: [Int] = []
    /// Also write AutoGaze's `gazing_pos`, `if_padded_gazing` and `num_gazing_each_frame`
    /// (multi-scale AutoGaze output only).
    public var writesGazeTensors = false
    /// Width of one frame's summary vector when an encoder ran (`summary` [T, width]); nil otherwise.
    public var summaryWidth: Int?
    private var summaries: [Float] = []

    /// Prepares to write a pack at `path`.
    ///
    /// - Throws: `PipelineError` when the folder is not writable.
    public init(path: String, dtype: DType, dimension: Int) throws {
        guard DType.outputOptions.contains(dtype) else {
            throw PipelineError("token dtype \(dtype) is not f32, f16 or bf16")
        }
        self.path = path
        self.dtype = dtype
        self.dimension = dimension
        try Destination.check(path, flag: "the token pack")
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        spoolPath = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tokens-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            .path
        guard FileManager.default.createFile(atPath: spoolPath, contents: nil),
            let handle = FileHandle(forWritingAtPath: spoolPath)
        else {
            throw PipelineError("cannot write in '\(directory)' — check its permissions")
        }
        spool = handle
    }

    deinit {
        abort()
    }

    /// Appends an encoded clip's tokens and its frames' summary vectors.
    public func append(_ clip: TokenSet, summary: [Float]) throws {
        summaries.append(contentsOf: summary)
        try append(clip)
    }

    /// Appends a clip's tokens.
    public func append(_ clip: TokenSet) throws {
        precondition(clip.dimension == dimension, "token width changed mid-stream")
        guard let spool else { throw PipelineError("token pack '\(path)' is already finished") }
        let data: Data
        switch dtype {
        case .f16: data = clip.features.float16Bits().withUnsafeBytes { Data($0) }
        case .bf16: data = clip.features.bfloat16Bits().withUnsafeBytes { Data($0) }
        default: data = clip.features.withUnsafeBytes { Data($0) }
        }
        do {
            try spool.write(contentsOf: data)
        } catch {
            throw PipelineError("cannot write tokens beside '\(path)': \(error.localizedDescription) — check free disk space")
        }
        coords.reserveCapacity(coords.count + clip.count * 4)
        for c in clip.coords { coords.append(contentsOf: [c.t, c.row, c.col, c.scale]) }
        tokenCount += clip.count
        cellSizes = clip.cellSizes
        frameTokens.append(contentsOf: clip.tokensPerFrame)
    }

    /// Writes the pack atomically and removes the spool.
    ///
    /// - Parameters:
    ///   - frames: every sampled frame, in order.
    ///   - metadata: the pack's `__metadata__`.
    public func finish(frames: [FrameRecord], metadata: TokenPackMetadata) throws {
        precondition(frames.count == frameTokens.count, "every frame must have been appended")
        guard let handle = spool else { throw PipelineError("token pack '\(path)' is already finished") }
        try handle.synchronize()
        try handle.close()
        spool = nil
        defer { try? FileManager.default.removeItem(atPath: spoolPath) }
        var entries = metadata.entries
        entries["cell_sizes"] = "[" + (cellSizes.isEmpty ? [ResolvedPipeline.patchSize] : cellSizes).map(String.init).joined(separator: ",") + "]"
        var writer = SafetensorsWriter(metadata: entries)
        let bytes = tokenCount * dimension * dtype.byteSize
        try writer.addTensor(
            "tokens", dtype: dtype, shape: [tokenCount, dimension],
            source: .fileRegion(path: spoolPath, offset: 0, length: bytes))
        try writer.addTensor("coords", shape: [tokenCount, 4], int32s: coords)
        try writer.addTensor("frame_tokens", shape: [frames.count], int32s: frameTokens.map { Int32($0) })
        try writer.addTensor("frame_pts", shape: [frames.count], float64s: frames.map(\.pts))
        try writer.addTensor("frame_index", shape: [frames.count], int64s: frames.map { Int64($0.sourceIndex) })
        if writesGazeTensors { try addGazeTensors(to: &writer, frames: frames) }
        if let summaryWidth {
            try writer.addTensor("summary", shape: [frames.count, summaryWidth], floats: summaries, as: dtype)
        }
        try writer.write(to: path)
    }

    /// AutoGaze's output contract: global ids `t · P + id` (P tokens per frame over all tiles,
    /// ids coarse to fine as AutoGaze numbers them), sorted by id within each frame, with a
    /// batch dimension of 1, no padding, and the count per frame.
    private func addGazeTensors(to writer: inout SafetensorsWriter, frames: [FrameRecord]) throws {
        guard cellSizes == GazeLayout.cellSizes, let first = frames.first else {
            throw PipelineError("--gaze-tensors needs AutoGaze output — add --reduce autogaze:...")
        }
        let side = first.gridColumns * ResolvedPipeline.patchSize
        let layout = try GazeLayout(width: side, height: first.gridRows * ResolvedPipeline.patchSize)
        var perFrame = [[Int64]](repeating: [], count: frames.count)
        let t0 = first.t
        for i in 0..<tokenCount {
            let t = Int(coords[4 * i]) - t0
            let id = layout.stitchedID(scale: Int(coords[4 * i + 3]), row: Int(coords[4 * i + 1]), col: Int(coords[4 * i + 2]))
            perFrame[t].append(Int64((t + t0) * layout.tokensPerFrame + id))
        }
        let positions = perFrame.flatMap { $0.sorted() }
        try writer.addTensor("gazing_pos", shape: [1, positions.count], int64s: positions)
        try writer.addTensor(
            "if_padded_gazing", dtype: .bool, shape: [1, positions.count],
            source: .bytes([UInt8](repeating: 0, count: positions.count)))
        try writer.addTensor("num_gazing_each_frame", shape: [frames.count], int64s: perFrame.map { Int64($0.count) })
    }

    /// Drops everything written so far; nothing is left on disk.
    public func abort() {
        try? spool?.close()
        spool = nil
        try? FileManager.default.removeItem(atPath: spoolPath)
    }
}
