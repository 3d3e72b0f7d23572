import Foundation

/// Checks for the files a run will write, made before the run so a long job does not fail at
/// its very end.
public enum Destination {
    /// Throws unless `path`'s folder exists and is writable and `path` is not a folder.
    ///
    /// - Parameter flag: the option that named the path, for the message (e.g. `--report-json`).
    public static func check(_ path: String, flag: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PipelineError("cannot write \(flag) '\(path)': the folder '\(directory)' does not exist — create it first")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw PipelineError("cannot write \(flag) '\(path)': the folder '\(directory)' is not writable")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw PipelineError("cannot write \(flag) '\(path)': it is a folder — give a file name")
        }
    }
}
