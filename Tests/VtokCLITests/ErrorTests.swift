import Foundation
import TestSupport
import Testing

/// Every bad input gives one line on standard error, a non-zero exit and no output file.
@Suite(.serialized) struct ErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: @Sendable (_ dir: URL, _ video: String) throws -> [String]
        var fragment: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "missing file", arguments: { dir, _ in [dir.appendingPathComponent("nope.mp4").path] }, fragment: "nope.mp4"),
        Case(name: "not a media file", arguments: { dir, _ in
            let path = dir.appendingPathComponent("notes.txt").path
            try "just some text, not a video\n".write(toFile: path, atomically: true, encoding: .utf8)
            return [path]
        }, fragment: "notes.txt"),
        Case(name: "no video stream", arguments: { dir, _ in
            let path = dir.appendingPathComponent("tone.m4a").path
            try TestSupport.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", path])
            return [path]
        }, fragment: "no video stream"),
        Case(name: "truncated file", arguments: { dir, video in
            let data = try Data(contentsOf: URL(fileURLWithPath: video))
            let path = dir.appendingPathComponent("cut.mp4").path
            try data.prefix(2000).write(to: URL(fileURLWithPath: path))
            return [path]
        }, fragment: "cut.mp4"),
        Case(name: "zero sampled frames", arguments: { _, video in [video, "--start", "50"] }, fragment: "--start"),
        Case(name: "size not a multiple of 16", arguments: { _, video in [video, "--size", "500"] }, fragment: "multiples of the patch size 16"),
        Case(name: "rate outside [0, 1)", arguments: { _, video in [video, "--reduce", "evs:rate=1.2"] }, fragment: "outside [0, 1)"),
        Case(name: "unknown reducer", arguments: { _, video in [video, "--reduce", "zap:level=2"] }, fragment: "unknown reducer 'zap'"),
        Case(name: "unknown reducer option", arguments: { _, video in [video, "--reduce", "evs:rate=0.5,colour=red"] }, fragment: "unknown option 'colour'"),
        Case(name: "unknown flag", arguments: { _, video in [video, "--turbo"] }, fragment: "--turbo"),
        Case(name: "two sampling modes", arguments: { _, video in [video, "--fps", "2", "--frames", "8"] }, fragment: "one sampling mode"),
        Case(name: "bad dtype", arguments: { _, video in [video, "--dtype", "int8"] }, fragment: "f32, f16 or bf16"),
        Case(name: "missing output folder", arguments: { dir, video in
            [video, "-o", dir.appendingPathComponent("no/such/dir/out.safetensors").path]
        }, fragment: "does not exist"),
    ]

    @Test(arguments: cases)
    func failsCleanly(_ c: Case) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = dir.appendingPathComponent("ok.mp4").path
        try TestSupport.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-t", "2", "-c:v", "libx264", video])
        let out = dir.appendingPathComponent("out.safetensors").path
        var arguments = ["reduce"] + (try c.arguments(dir, video))
        if !arguments.contains("-o") { arguments += ["-o", out, "--report-json", dir.appendingPathComponent("r.json").path] }
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        let result = try CLI.run(arguments)
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(c.fragment), "stderr: \(result.stderr)")
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(after == before, "left behind: \(after.subtracting(before))")
    }

    @Test func damagedFileDecodesWhatItCanAndSaysSo() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = dir.appendingPathComponent("long.mkv").path
        try TestSupport.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=160x96:rate=25", "-t", "8", "-c:v", "libx264", "-g", "25", video,
        ])
        var data = try Data(contentsOf: URL(fileURLWithPath: video))
        let middle = data.count / 2
        for i in middle..<(middle + data.count / 8) { data[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
        let damaged = dir.appendingPathComponent("damaged.mkv").path
        try data.write(to: URL(fileURLWithPath: damaged))
        let json = dir.appendingPathComponent("r.json").path
        let result = try CLI.run([
            "reduce", damaged, "--fps", "5", "--size", "160x96", "-o", dir.appendingPathComponent("d.safetensors").path,
            "--report-json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try TestSupport.readJSON(URL(fileURLWithPath: json))
        let damage = ["frames_lost", "corrupt_packets", "frames_damaged", "frames_missing"].map { report[$0] as? Int ?? 0 }
        #expect(damage.reduce(0, +) > 0, "the damage must show in the report")
        #expect(report["frames_missing"] as? Int ?? 0 > 0, "the lost stretch of packets must show")
        #expect((report["frames"] as? Int ?? 0) > 0)
        #expect(result.stdout.contains("damaged"))
    }
}
