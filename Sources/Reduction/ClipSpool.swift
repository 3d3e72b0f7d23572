import Foundation

/// A first-in, first-out queue of clips that keeps memory bounded.
///
/// Clips stay in memory until their total size passes `memoryBudget` bytes; after that they go
/// to an unlinked temporary file and are read back in order. Reducers that must see the whole
/// video before deciding (EVS `rate` mode) and the fidelity meter use it.
public final class ClipSpool {
    private enum Entry {
        case memory(TokenSet)
        case disk(offset: UInt64, length: Int)
    }

    /// Bytes of clips held in memory before spilling to disk.
    public let memoryBudget: Int
    private var entries: [Entry] = []
    private var head = 0
    private var bytesInMemory = 0
    private var file: FileHandle?
    private var writeOffset: UInt64 = 0
    private let directory: URL

    /// Creates an empty spool.
    ///
    /// - Parameters:
    ///   - memoryBudget: bytes of clips kept in memory; later clips go to disk.
    ///   - directory: where the spill file lives (the system's temporary folder by default).
    public init(memoryBudget: Int = 256 << 20, directory: URL = FileManager.default.temporaryDirectory) {
        self.memoryBudget = memoryBudget
        self.directory = directory
    }

    deinit {
        try? file?.close()
    }

    /// Number of clips waiting.
    public var count: Int { entries.count - head }

    /// Whether no clip is waiting.
    public var isEmpty: Bool { count == 0 }

    /// Appends a clip at the back.
    public func append(_ clip: TokenSet) throws {
        let size = clip.features.count * 4 + clip.coords.count * 16
        if bytesInMemory + size <= memoryBudget {
            entries.append(.memory(clip))
            bytesInMemory += size
            return
        }
        let handle = try spillFile()
        let bytes = Self.encode(clip)
        try handle.seek(toOffset: writeOffset)
        try handle.write(contentsOf: bytes)
        entries.append(.disk(offset: writeOffset, length: bytes.count))
        writeOffset += UInt64(bytes.count)
    }

    /// Removes and returns the clip at the front, or nil when empty.
    public func removeFirst() throws -> TokenSet? {
        guard head < entries.count else { return nil }
        let entry = entries[head]
        entries[head] = .disk(offset: 0, length: 0)
        head += 1
        if head > 64 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
        switch entry {
        case .memory(let clip):
            bytesInMemory -= clip.features.count * 4 + clip.coords.count * 16
            return clip
        case .disk(let offset, let length):
            guard let handle = file else { return nil }
            try handle.seek(toOffset: offset)
            guard let data = try handle.read(upToCount: length), data.count == length else {
                throw ReductionError("spool file in \(directory.path) was truncated — check free disk space")
            }
            return Self.decode(data)
        }
    }

    private func spillFile() throws -> FileHandle {
        if let file { return file }
        let url = directory.appendingPathComponent("vtok-spool-\(getpid())-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ReductionError("cannot create a spool file in \(directory.path) — set TMPDIR to a writable folder")
        }
        let handle = try FileHandle(forUpdating: url)
        unlink(url.path)  // the open handle keeps it alive; nothing is left behind on exit
        file = handle
        return handle
    }

    // Layout: dimension, tokens, frames (Int64 each); frames (t, sourceIndex, rows, columns as
    // Int64, pts as Float64); coords (4 × Int32 each); features (Float32).
    static func encode(_ clip: TokenSet) -> Data {
        var data = Data()
        data.reserveCapacity(24 + clip.frames.count * 40 + clip.coords.count * 16 + clip.features.count * 4)
        func put<T>(_ value: T) { withUnsafeBytes(of: value) { data.append(contentsOf: $0) } }
        put(Int64(clip.dimension))
        put(Int64(clip.count))
        put(Int64(clip.frames.count))
        for f in clip.frames {
            put(Int64(f.t))
            put(Int64(f.sourceIndex))
            put(Int64(f.gridRows))
            put(Int64(f.gridColumns))
            put(f.pts)
        }
        clip.coords.withUnsafeBytes { data.append(contentsOf: $0) }
        clip.features.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    static func decode(_ data: Data) -> TokenSet {
        data.withUnsafeBytes { raw in
            var offset = 0
            func take<T>(_: T.Type) -> T {
                defer { offset += MemoryLayout<T>.size }
                return raw.loadUnaligned(fromByteOffset: offset, as: T.self)
            }
            let dimension = Int(take(Int64.self))
            let tokens = Int(take(Int64.self))
            let frameCount = Int(take(Int64.self))
            var frames: [FrameRecord] = []
            for _ in 0..<frameCount {
                let t = Int(take(Int64.self))
                let source = Int(take(Int64.self))
                let rows = Int(take(Int64.self))
                let columns = Int(take(Int64.self))
                let pts = take(Double.self)
                frames.append(FrameRecord(t: t, sourceIndex: source, pts: pts, gridRows: rows, gridColumns: columns))
            }
            let coords = [TokenCoord](unsafeUninitializedCapacity: tokens) { out, n in
                UnsafeMutableRawBufferPointer(out).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + tokens * 16)]))
                n = tokens
            }
            offset += tokens * 16
            let values = tokens * dimension
            let features = [Float](unsafeUninitializedCapacity: values) { out, n in
                UnsafeMutableRawBufferPointer(out).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + values * 4)]))
                n = values
            }
            return TokenSet(dimension: dimension, features: features, coords: coords, frames: frames)
        }
    }
}
