/// A problem loading the AutoGaze gaze model or calling it.
///
/// The ``description`` is one line that names the file, field or tensor involved and says what to
/// do, e.g.
///
/// ```
/// AutoGaze model: missing tensor 'gazing_model.connector.pos_embed' in /m/model.safetensors — this is not the released nvidia/AutoGaze checkpoint, or the download is incomplete; download model.safetensors again
/// ```
public struct GazeModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The category of a ``GazeModelError``.
    public enum Kind: String, Sendable, Hashable {
        /// The model folder or file does not exist, or the folder has no `model.safetensors`.
        case notFound
        /// `config.json` cannot be read, is not JSON, has a mistyped field, or asks for something
        /// this implementation does not support.
        case invalidConfig
        /// `model.safetensors` is unreadable, truncated, lacks a tensor or has one of the wrong
        /// shape or dtype.
        case invalidWeights
        /// A `gaze` argument is out of range (frame size, ratio, threshold).
        case invalidInput
    }

    /// The category of failure.
    public let kind: Kind
    /// The one-line, user-facing explanation.
    public let description: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.description = "AutoGaze model: " + String(message.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}
