import Foundation
import Pipeline
import TestSupport
import Testing

@Suite struct LinePlotTests {
    /// A rate–distortion style plot: three curves over tokens kept.
    static let example = LinePlot(
        title: "PSNR vs tokens kept", xLabel: "tokens kept (fraction)", yLabel: "PSNR (dB)",
        series: [
            .init(label: "evs l1", points: [(0.1, 24.3), (0.2, 26.8), (0.3, 28.4), (0.5, 30.6), (0.7, 32.1), (0.9, 33.0)]),
            .init(label: "random", points: [(0.1, 22.0), (0.2, 24.1), (0.3, 25.9), (0.5, 28.2), (0.7, 30.4), (0.9, 32.2)]),
            .init(label: "uniform", points: [(0.1, 23.1), (0.3, 27.0), (0.5, 29.5), (0.9, 32.7)]),
        ])

    static func pixel(_ rgb: [UInt8], width: Int, x: Int, y: Int) -> (Int, Int, Int) {
        let i = 3 * (y * width + x)
        return (Int(rgb[i]), Int(rgb[i + 1]), Int(rgb[i + 2]))
    }

    static func isColor(_ p: (Int, Int, Int), _ c: (red: UInt8, green: UInt8, blue: UInt8), tolerance: Int = 8) -> Bool {
        abs(p.0 - Int(c.red)) <= tolerance && abs(p.1 - Int(c.green)) <= tolerance && abs(p.2 - Int(c.blue)) <= tolerance
    }

    @Test func rendersWidthTimesHeightTimesThreeBytes() {
        #expect(Self.example.render().count == 640 * 420 * 3)
        var small = Self.example
        small.width = 300
        small.height = 200
        #expect(small.render().count == 300 * 200 * 3)
        var tiny = Self.example
        tiny.width = 20
        tiny.height = 10
        #expect(tiny.render().count == 20 * 10 * 3)
        let empty = LinePlot(title: "", xLabel: "", yLabel: "", series: [])
        #expect(empty.render().count == 640 * 420 * 3)
    }

    @Test func seriesColourAppearsAtItsPointsAndAlongItsLines() throws {
        let plot = Self.example
        let rgb = plot.render()
        for (index, series) in plot.series.enumerated() {
            let colour = LinePlot.color(forSeries: index)
            // Interior points (the legend sits in a corner).
            for point in series.points.dropFirst().dropLast() {
                let p = try #require(plot.pixelPosition(x: point.x, y: point.y))
                let pixel = Self.pixel(rgb, width: plot.width, x: Int(p.x), y: Int(p.y))
                #expect(Self.isColor(pixel, colour), "series \(index) at \(point): \(pixel)")
            }
            // Halfway along the first segment: the line, in the series' colour.
            let a = try #require(plot.pixelPosition(x: series.points[0].x, y: series.points[0].y))
            let b = try #require(plot.pixelPosition(x: series.points[1].x, y: series.points[1].y))
            let mid = Self.pixel(rgb, width: plot.width, x: Int((a.x + b.x) / 2), y: Int((a.y + b.y) / 2))
            #expect(Self.isColor(mid, colour), "series \(index) mid-segment: \(mid)")
        }
        // Far from every curve (below them, away from the legend's corner) stays light.
        let empty = try #require(plot.pixelPosition(x: 0.6, y: 23.5))
        let (r, g, b) = Self.pixel(rgb, width: plot.width, x: Int(empty.x), y: Int(empty.y))
        #expect(min(r, g, b) >= 200)
    }

    @Test func seriesGetDistinctColours() {
        let colours = (0..<10).map { LinePlot.color(forSeries: $0) }
        for i in colours.indices {
            for j in colours.indices where j > i {
                let c = colours[i], d = colours[j]
                let red: Int = abs(Int(c.red) - Int(d.red))
                let green: Int = abs(Int(c.green) - Int(d.green))
                let blue: Int = abs(Int(c.blue) - Int(d.blue))
                #expect(red + green + blue > 60, "series \(i) and \(j)")
            }
        }
    }

    @Test func pointsMapInsideThePlotInOrder() throws {
        let plot = Self.example
        let low = try #require(plot.pixelPosition(x: 0.1, y: 22.0))
        let high = try #require(plot.pixelPosition(x: 0.9, y: 33.0))
        #expect(low.x < high.x)
        #expect(low.y > high.y)  // y grows downwards in the image
        for p in [low, high] {
            #expect(p.x > 0 && p.x < Double(plot.width))
            #expect(p.y > 0 && p.y < Double(plot.height))
        }
        #expect(plot.pixelPosition(x: .nan, y: 1) == nil)
    }

    @Test func nonFinitePointsAreSkipped() throws {
        let clean = LinePlot(title: "t", xLabel: "x", yLabel: "y", series: [.init(label: "a", points: [(0, 0), (1, 2), (2, 1)])])
        var dirty = clean
        dirty.series[0].points = [(0, 0), (.infinity, 5), (1, 2), (.nan, .nan), (2, -.infinity), (2, 1)]
        for point in clean.series[0].points {
            let c = try #require(clean.pixelPosition(x: point.x, y: point.y))
            let d = try #require(dirty.pixelPosition(x: point.x, y: point.y))
            #expect(c.x == d.x && c.y == d.y)
        }
        #expect(dirty.render() == clean.render())
        let nothing = LinePlot(title: "t", xLabel: "x", yLabel: "y", series: [.init(label: "nan", points: [(.nan, 1)])])
        #expect(nothing.render().count == 640 * 420 * 3)
    }

    @Test func singlePointAndEqualValuesSitMidPlot() throws {
        let single = LinePlot(title: "one", xLabel: "x", yLabel: "y", series: [.init(label: "a", points: [(5, 5)])])
        let rgb = single.render()
        let p = try #require(single.pixelPosition(x: 5, y: 5))
        #expect(Self.isColor(Self.pixel(rgb, width: single.width, x: Int(p.x), y: Int(p.y)), LinePlot.color(forSeries: 0)))
        // The data value is the centre of the range, so a point either side maps either side.
        let left = try #require(single.pixelPosition(x: 4.9, y: 5))
        let right = try #require(single.pixelPosition(x: 5.1, y: 5))
        #expect(abs((p.x - left.x) - (right.x - p.x)) < 1e-6)

        let flat = LinePlot(title: "", xLabel: "", yLabel: "", series: [.init(label: "zero", points: [(0, 0), (1, 0), (2, 0)])])
        let flatRGB = flat.render()
        let q = try #require(flat.pixelPosition(x: 1, y: 0))
        #expect(Self.isColor(Self.pixel(flatRGB, width: flat.width, x: Int(q.x), y: Int(q.y)), LinePlot.color(forSeries: 0)))
        let above = try #require(flat.pixelPosition(x: 1, y: 0.1))
        #expect(above.y < q.y)
    }

    @Test func ticksUseOneTwoFiveSteps() {
        let unit = LinePlot.ticks(from: 0, to: 1)
        #expect(unit.values == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(unit.labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(unit.step == 0.2)

        let wide = LinePlot.ticks(from: 3.2, to: 47)
        #expect(wide.values == [5, 10, 15, 20, 25, 30, 35, 40, 45])
        #expect(wide.labels.first == "5" && wide.labels.last == "45")

        let psnr = LinePlot.ticks(from: 24, to: 33)
        #expect(psnr.values == [24, 26, 28, 30, 32])
        #expect(psnr.labels == ["24", "26", "28", "30", "32"])

        let fewer = LinePlot.ticks(from: 3.2, to: 47, target: 3)
        #expect(fewer.values == [10, 20, 30, 40])

        let signed = LinePlot.ticks(from: -0.35, to: 0.35)
        #expect(signed.values == [-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3])
        #expect(signed.labels[3] == "0.0")

        let small = LinePlot.ticks(from: 0.0012, to: 0.0051)
        #expect(small.step == 0.0005)
        #expect(small.labels.first == "0.0015")

        let big = LinePlot.ticks(from: 1e5, to: 2.3e6)
        #expect(big.labels == ["0.5M", "1.0M", "1.5M", "2.0M"])

        for (lower, upper) in [(0.0, 1.0), (3.2, 47.0), (24.0, 33.0), (-1e-7, 3e-7), (1e9, 1e9 + 7), (-50.0, -49.0)] {
            let ticks = LinePlot.ticks(from: lower, to: upper)
            #expect(ticks.values.count >= 2, "\(lower)...\(upper)")
            #expect(ticks.values.count == ticks.labels.count)
            #expect(ticks.values.allSatisfy { $0 >= lower - 1e-9 * abs(upper) && $0 <= upper + 1e-9 * abs(upper) })
            let mantissa = ticks.step / pow(10, log10(ticks.step).rounded(.down))
            #expect([1, 2, 5].contains { abs(mantissa - Double($0)) < 1e-9 }, "step \(ticks.step)")
        }

        #expect(LinePlot.ticks(from: 1, to: 1).values.isEmpty)
        #expect(LinePlot.ticks(from: 2, to: 1).values.isEmpty)
        #expect(LinePlot.ticks(from: 0, to: .infinity).values.isEmpty)
        #expect(LinePlot.ticks(from: .nan, to: 1).values.isEmpty)
    }

    @Test func fontCoversTheRequiredCharacters() {
        let required = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz .,:;%()-+/×=<>_'"
        for c in required { #expect(BitmapFont.covers(c), "'\(c)'") }
        #expect(!BitmapFont.covers("€"))
        let glyphs = Set(required.filter { $0 != " " }.map { BitmapFont.rows(for: $0) })
        #expect(glyphs.count == required.count - 1)  // every glyph differs and none is blank
        #expect(BitmapFont.rows(for: " ").allSatisfy { $0 == 0 })
        let size = BitmapFont.size(of: "abc", scale: 2)
        #expect(size.width == 34 && size.height == 18)
        var lit = 0
        BitmapFont.forEachPixel(of: "l", scale: 2) { x, y in
            #expect(x >= 0 && x < 10 && y >= 0 && y < 18)
            lit += 1
        }
        #expect(lit == 4 * BitmapFont.rows(for: "l").map(\.nonzeroBitCount).reduce(0, +))
    }

    @Test func writesAPNGFfprobeReads() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("rd.png").path
        try Self.example.write(to: path)
        let probe = try TestSupport.run(
            "ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", path])
        #expect(probe.status == 0)
        #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "png,640,420")
        if let keep = ProcessInfo.processInfo.environment["VTOK_LINEPLOT_EXAMPLE"], !keep.isEmpty {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: path, toPath: keep)
        }
    }
}
