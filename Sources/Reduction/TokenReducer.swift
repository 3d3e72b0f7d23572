/// Receives token sets from a stage, in stream order.
public typealias TokenSink = (TokenSet) throws -> Void

/// A stage that removes tokens from a stream of clips.
///
/// Reducers see clips in stream order and may carry state from one clip to the next (EVS keeps
/// the previous frame). A reducer may hold clips back (EVS's `rate` mode needs the whole video
/// before it can rank tokens) and emit them later, but every frame it receives must be emitted
/// exactly once, in order, with the frame's record even when no token of it survives.
public protocol TokenReducer: AnyObject {
    /// Short name used in reports (e.g. `evs`).
    var name: String { get }

    /// The resolved specification, in the `name:key=value,...` form the command line accepts.
    var specification: String { get }

    /// Takes the next clip and emits the reduced clips that are ready.
    func process(_ clip: TokenSet, emit: TokenSink) throws

    /// Ends the stream: emits every clip still held.
    func finish(emit: TokenSink) throws
}

/// A problem with a reducer's specification or its input.
public struct ReductionError: Error, CustomStringConvertible, Equatable {
    /// One line that says what is wrong and what to do.
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
