import Reduction

/// The reducers vtok knows, by name.
public enum ReducerRegistry {
    /// Names accepted by `--reduce`.
    public static let names = ["evs", "autogaze"]

    /// Builds a reducer from its spec.
    ///
    /// - Throws: `ReductionError` for an unknown reducer or a bad option.
    public static func make(_ spec: ReducerSpec) throws -> TokenReducer {
        switch spec.name {
        case "evs":
            return EVSReducer(options: try EVSOptions(spec))
        case "autogaze":
            return try AutoGazeReducer(options: try AutoGazeOptions(spec))
        default:
            throw ReductionError("unknown reducer '\(spec.name)' — available: \(names.joined(separator: ", "))")
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
