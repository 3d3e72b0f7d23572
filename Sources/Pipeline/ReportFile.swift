import Foundation
import TensorCore

/// Writes reports to files atomically.
public enum ReportFile {
    /// Writes the report as JSON; nothing appears at `path` unless the write succeeds.
    public static func write(_ report: Report, to path: String) throws {
        try write(data: try report.jsonData(), to: path)
    }

    /// Writes JSON bytes (and a final newline) atomically.
    public static func write(data: Data, to path: String) throws {
        let writer = try AtomicFileWriter(destination: path)
        try writer.write([UInt8](data) + [0x0A])
        try writer.commit()
    }
}
