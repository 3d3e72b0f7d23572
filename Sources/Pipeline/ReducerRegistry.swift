import Reduction

/// The reducers vtok knows, by name.
public enum ReducerRegistry {
    /// Names accepted by `--reduce`.
    public static let names = ["evs", "autogaze"]

    /// A reducer's checked options.
    private enum Options {
        case evs(EVSOptions)
        case autogaze(AutoGazeOptions)
    }

    private static func options(_ spec: ReducerSpec) throws -> Options {
        switch spec.name {
        case "evs": return .evs(try EVSOptions(spec))
        case "autogaze": return .autogaze(try AutoGazeOptions(spec))
        default:
            throw ReductionError("unknown reducer '\(spec.name)' — available: \(names.joined(separator: ", "))")
        }
    }

    /// Checks a spec's options and returns its resolved form, without building the reducer
    /// (so no model is loaded just to validate a pipeline).
    ///
    /// - Throws: `ReductionError` for an unknown reducer or a bad option.
    public static func specification(of spec: ReducerSpec) throws -> String {
        switch try options(spec) {
        case .evs(let o): return o.specification
        case .autogaze(let o): return o.specification
        }
    }

    /// Builds a reducer from its spec.
    ///
    /// - Throws: `ReductionError` for an unknown reducer or a bad option, or the reducer's own
    ///   error (e.g. a gaze model that cannot be loaded).
    public static func make(_ spec: ReducerSpec) throws -> TokenReducer {
        switch try options(spec) {
        case .evs(let o): return EVSReducer(options: o)
        case .autogaze(let o): return try AutoGazeReducer(options: o)
        }
    }

    /// Groups of options of which only one may be given (a flag choosing one drops the others).
    public static func exclusiveOptions(of name: String) -> [Set<String>] {
        switch name {
        case "evs": return [["rate", "threshold"]]
        case "autogaze": return [["psnr", "l1", "model"]]
        default: return []
        }
    }
}
