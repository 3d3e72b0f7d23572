/// A problem with a pipeline, its options or its input that the user can fix.
public struct PipelineError: Error, CustomStringConvertible, Equatable {
    /// One line that says what is wrong and what to do.
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
