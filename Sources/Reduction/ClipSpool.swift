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
    private var descriptor: Int32 = -1
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
        if descriptor >= 0 { close(descriptor) }
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
        let fd = try spillFile()
        let length = try Self.write(clip, to: fd, at: writeOffset, directory: directory)
        entries.append(.disk(offset: writeOffset, length: length))
        writeOffset += UInt64(length)
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
        case .disk(let offset, _):
            return try Self.read(from: descriptor, at: offset, directory: directory)
        }
    }

    private func spillFile() throws -> Int32 {
        if descriptor >= 0 { return descriptor }
        let path = directory.appendingPathComponent("vtok-spool-\(getpid())-\(UUID().uuidString)").path
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ReductionError("cannot create a spool file in \(directory.path) — set TMPDIR to a writable folder")
        }
        unlink(path)  // the open descriptor keeps it alive; nothing is left behind on exit
        descriptor = fd
        return fd
    }

    // Layout: dimension, tokens, frames, scales (Int64 each); cell sizes (Int64 each); frames (t, sourceIndex, rows, columns as
    // Int64, pts as Float64); coords (4 × Int32 each); features (Float32). Arrays go straight
    // between memory and the file, without intermediate copies.
    private static func write(_ clip: TokenSet, to fd: Int32, at offset: UInt64, directory: URL) throws -> Int {
        var header: [Int64] = [
            Int64(clip.dimension), Int64(clip.count), Int64(clip.frames.count), Int64(clip.cellSizes.count),
        ]
        header += clip.cellSizes.map(Int64.init)
        for f in clip.frames {
            header += [Int64(f.t), Int64(f.sourceIndex), Int64(f.gridRows), Int64(f.gridColumns), Int64(bitPattern: f.pts.bitPattern)]
        }
        var position = offset
        func put(_ bytes: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < bytes.count {
                let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(position) + off_t(done))
                guard n > 0 else {
                    throw ReductionError("cannot write the spool file in \(directory.path) — check free disk space")
                }
                done += n
            }
            position += UInt64(bytes.count)
        }
        try header.withUnsafeBytes(put)
        try clip.coords.withUnsafeBytes(put)
        try clip.features.withUnsafeBytes(put)
        return Int(position - offset)
    }

    private static func read(from fd: Int32, at offset: UInt64, directory: URL) throws -> TokenSet {
        var position = offset
        func get(_ bytes: UnsafeMutableRawBufferPointer) throws {
            var done = 0
            while done < bytes.count {
                let n = pread(fd, bytes.baseAddress! + done, bytes.count - done, off_t(position) + off_t(done))
                guard n > 0 else {
                    throw ReductionError("spool file in \(directory.path) was truncated — check free disk space")
                }
                done += n
            }
            position += UInt64(bytes.count)
        }
        var counts = [Int64](repeating: 0, count: 4)
        try counts.withUnsafeMutableBytes(get)
        let (dimension, tokens, frameCount) = (Int(counts[0]), Int(counts[1]), Int(counts[2]))
        var cells = [Int64](repeating: 0, count: Int(counts[3]))
        try cells.withUnsafeMutableBytes(get)
        var frameFields = [Int64](repeating: 0, count: 5 * frameCount)
        try frameFields.withUnsafeMutableBytes(get)
        let frames = (0..<frameCount).map { i in
            FrameRecord(
                t: Int(frameFields[5 * i]), sourceIndex: Int(frameFields[5 * i + 1]),
                pts: Double(bitPattern: UInt64(bitPattern: frameFields[5 * i + 4])),
                gridRows: Int(frameFields[5 * i + 2]), gridColumns: Int(frameFields[5 * i + 3]))
        }
        var coords = [TokenCoord](repeating: TokenCoord(t: 0, row: 0, col: 0), count: tokens)
        try coords.withUnsafeMutableBytes(get)
        let features = try [Float](unsafeUninitializedCapacity: tokens * dimension) { buffer, n in
            try get(UnsafeMutableRawBufferPointer(buffer))
            n = tokens * dimension
        }
        var clip = TokenSet(dimension: dimension, features: features, coords: coords, frames: frames)
        clip.cellSizes = cells.map(Int.init)
        return clip
    }
}
