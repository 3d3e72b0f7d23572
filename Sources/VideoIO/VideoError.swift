/// A failure to read, sample, decode or write video, described in one line that says what is
/// wrong and what to do about it.
///
/// ```
/// cannot open 'x.mp4': no such file — check the path
/// 'audio.m4a' has no video stream
/// ```
public struct VideoError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What kind of failure this is, for callers that react differently to each.
    public enum Kind: Sendable, Hashable {
        /// The file could not be opened (missing, unreadable, not a file).
        case cannotOpen
        /// The file opened but FFmpeg does not recognise it as audio or video.
        case notMedia
        /// The file is media but holds no video stream.
        case noVideoStream
        /// The video stream's codec cannot be decoded by this FFmpeg.
        case unsupportedCodec
        /// The sampling parameters are invalid (e.g. a frame count of zero).
        case invalidSampling
        /// The sampling selects no frame (e.g. the range lies past the end of the video).
        case noFramesSampled
        /// A plan passed to `VideoReader.read` does not fit the video.
        case invalidPlan
        /// Not one sampled frame could be decoded.
        case nothingDecoded
        /// Decoded frames could not be converted to the requested size.
        case scalingFailed
        /// An image could not be encoded or written.
        case writeFailed
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// The file the failure concerns.
    public var path: String
    /// One line: what is wrong and what to do.
    public var description: String

    /// Creates an error with a ready-made one-line description.
    public init(_ kind: Kind, path: String, description: String) {
        self.kind = kind
        self.path = path
        self.description = description.oneLine
    }
}

extension String {
    /// The string with line breaks replaced by spaces, so an error stays on one line.
    fileprivate var oneLine: String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
