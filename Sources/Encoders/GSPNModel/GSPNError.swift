/// A one-line error of the GSPN encoder: bad weights (the key is named), bad input shapes.
public struct GSPNError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message, one line.
    public let description: String

    public init(_ message: String) {
        self.description = message
    }
}
