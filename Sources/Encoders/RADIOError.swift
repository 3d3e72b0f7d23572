/// An error loading or running a C-RADIO encoder. The description is a single line that names the
/// file, tensor key or shape involved.
public struct RADIOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The one-line message.
    public let description: String

    /// Creates an error; line breaks in `message` are flattened to spaces.
    public init(_ message: String) {
        description = String(message.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}

/// Formats a shape as `[3, 4]`.
func shapeText(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
