import Foundation
import VideoIO

/// The `__metadata__` of a token pack: string keys to strings, most of them JSON.
///
/// | key | value |
/// |---|---|
/// | `format` | `vtok.tokenpack` |
/// | `format_version` | `1` |
/// | `vtok_version` | the writing vtok's version |
/// | `pipeline` | JSON: the resolved pipeline (sampling, resize, patch size, reducers, dtype) |
/// | `source` | JSON: the video (path, container, codec, size, frame rate, duration, frames) |
/// | `report` | JSON: the compression report (see `Report`) |
/// | `cell_sizes` | JSON array: pixels a cell of each scale covers (`[16]`, or `[16,32,56,112]` for AutoGaze) |
public struct TokenPackMetadata: Sendable, Equatable {
    public static let format = "vtok.tokenpack"
    public static let formatVersion = "1"

    /// The entries as stored.
    public var entries: [String: String]

    public init(entries: [String: String]) {
        self.entries = entries
    }

    /// Builds the metadata of a run.
    public init(pipeline: ResolvedPipeline, source: VideoInfo, report: Report) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let pipelineJSON = try JSONSerialization.data(withJSONObject: pipeline.jsonObject, options: [.sortedKeys])
        entries = [
            "format": Self.format,
            "format_version": Self.formatVersion,
            "vtok_version": VtokVersion.current,
            "pipeline": String(decoding: pipelineJSON, as: UTF8.self),
            "source": String(decoding: try encoder.encode(source), as: UTF8.self),
            "report": String(decoding: try encoder.encode(report), as: UTF8.self),
        ]
    }
}
