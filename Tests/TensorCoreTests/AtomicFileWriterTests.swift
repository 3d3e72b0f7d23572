import Foundation
import TestSupport
import Testing

@testable import TensorCore

@Suite struct AtomicFileWriterTests {
    @Test func commitPublishesTheWholeFileAndLeavesNoTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        let destination = directory.file("out.bin")
        let writer = try AtomicFileWriter(destination: destination, bufferCapacity: 16)
        #expect(writer.temporaryPath.hasPrefix(directory.file(".out.bin.tmp-\(getpid())-")))
        #expect(try directory.contents() == [URL(fileURLWithPath: writer.temporaryPath).lastPathComponent])

        let large = [UInt8]((0..<100).map { UInt8($0) })
        try writer.write([1, 2, 3])
        try writer.write(large)  // larger than the buffer: bypasses it
        try writer.write(contentsOf: [UInt32(0x0403_0201)])
        try writer.write(repeating: 0x20, count: 5)
        #expect(writer.bytesWritten == 3 + 100 + 4 + 5)
        #expect(!FileManager.default.fileExists(atPath: destination))

        try writer.commit()
        #expect(try readFile(destination) == [1, 2, 3] + large + [1, 2, 3, 4] + [UInt8](repeating: 0x20, count: 5))
        #expect(try directory.contents() == ["out.bin"])
    }

    @Test func commitReplacesAnExistingFileOnlyAtTheEnd() throws {
        let directory = try TemporaryDirectory()
        let destination = directory.file("out.bin")
        try writeFile(destination, [9, 9, 9])
        let writer = try AtomicFileWriter(destination: destination)
        try writer.write([UInt8](repeating: 1, count: 3 << 20))
        #expect(try readFile(destination) == [9, 9, 9])
        try writer.commit()
        #expect(try readFile(destination) == [UInt8](repeating: 1, count: 3 << 20))
        #expect(try directory.contents() == ["out.bin"])
    }

    @Test func abortRemovesTheTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        let destination = directory.file("out.bin")
        try writeFile(destination, [7])
        let writer = try AtomicFileWriter(destination: destination, bufferCapacity: 4)
        try writer.write([UInt8](repeating: 5, count: 1000))
        writer.abort()
        writer.abort()  // idempotent
        #expect(try directory.contents() == ["out.bin"])
        #expect(try readFile(destination) == [7])
    }

    @Test func droppingAnUncommittedWriterRemovesTheTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        do {
            let writer = try AtomicFileWriter(destination: directory.file("out.bin"))
            try writer.write([1, 2, 3])
            #expect(try directory.contents().count == 1)
        }
        #expect(try directory.contents() == [])
    }

    @Test func failedCommitLeavesNothingBehind() throws {
        let directory = try TemporaryDirectory()
        let destination = directory.file("taken")
        try FileManager.default.createDirectory(atPath: destination + "/inside", withIntermediateDirectories: true)
        let writer = try AtomicFileWriter(destination: destination)
        try writer.write([1])
        #expect(throws: FileIOError.self) { try writer.commit() }
        #expect(try directory.contents() == ["taken"])
    }

    @Test func creatingInAMissingDirectoryFails() throws {
        let directory = try TemporaryDirectory()
        let destination = directory.file("missing/out.bin")
        do {
            _ = try AtomicFileWriter(destination: destination)
            Issue.record("expected an error")
        } catch {
            #expect(error.path == destination)
            #expect(error.code == ENOENT)
            #expect(error.description.contains(destination))
        }
    }

    @Test func relativeDestination() throws {
        let directory = try TemporaryDirectory()
        // The current directory is process-wide; reach the file with "../" from it instead of changing it.
        let depth = FileManager.default.currentDirectoryPath.split(separator: "/").count
        let relative = String(repeating: "../", count: depth) + directory.file("rel.bin").dropFirst()
        let writer = try AtomicFileWriter(destination: relative)
        try writer.write([4])
        try writer.commit()
        #expect(try readFile(directory.file("rel.bin")) == [4])
    }

    @Test func copiesFileRegions() throws {
        let directory = try TemporaryDirectory()
        let source = directory.file("source.bin")
        var generator = SplitMix64(seed: 3)
        let content = (0..<(AtomicFileWriter.copyChunkSize + 12345)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try writeFile(source, content)
        let destination = directory.file("out.bin")
        let writer = try AtomicFileWriter(destination: destination)
        try writer.write([0xEE])  // buffered bytes must land before the copied region
        try writer.copy(fromFile: source, offset: 7, length: content.count - 10)
        try writer.copy(fromFile: source, offset: 0, length: 0)
        try writer.write([0xFF])
        #expect(writer.bytesWritten == content.count - 8)
        try writer.commit()
        #expect(try readFile(destination) == [0xEE] + Array(content[7..<(content.count - 3)]) + [0xFF])
    }

    @Test func copyingPastTheEndOfTheSourceFails() throws {
        let directory = try TemporaryDirectory()
        let source = directory.file("source.bin")
        try writeFile(source, [1, 2, 3, 4])
        let writer = try AtomicFileWriter(destination: directory.file("out.bin"))
        do {
            try writer.copy(fromFile: source, offset: 2, length: 3)
            Issue.record("expected an error")
        } catch {
            #expect(error.path == source)
            #expect(error.description.contains("too short"))
        }
        #expect(throws: FileIOError.self) { try writer.copy(fromFile: directory.file("missing"), offset: 0, length: 1) }
        writer.abort()
        #expect(try directory.contents() == ["source.bin"])
    }
}
