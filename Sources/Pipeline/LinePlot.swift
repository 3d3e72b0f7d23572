import Foundation
import VideoIO

/// A line plot rendered to RGB pixels: axes with ticks and numeric labels, axis titles, one polyline + point markers per series, and a legend.
///
/// The style is a white background with a light grid, a grey frame, dark text in the built-in
/// `BitmapFont` at twice its size, and one colour and marker shape per series (lines are
/// anti-aliased and 2.5 pixels wide). Axis ranges come from the finite points with a small
/// margin; non-finite points are skipped. The legend goes in the corner of the plot area that
/// covers the fewest drawn points.
public struct LinePlot: Sendable {
    /// One curve: its legend label and points, joined in the order given.
    public struct Series: Sendable {
        public var label: String
        public var points: [(x: Double, y: Double)]
        public init(label: String, points: [(x: Double, y: Double)]) {
            self.label = label
            self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width: Int = 640
    public var height: Int = 420

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// RGB24 pixels, `width × height × 3`.
    public func render() -> [UInt8] {
        guard width > 0, height > 0 else { return [] }
        var canvas = Canvas(width: width, height: height, background: Style.background)
        let layout = self.layout()
        drawTitle(on: &canvas, scale: layout?.scale ?? Self.textScale(width: width, height: height))
        guard let layout else { return canvas.rgb }
        drawAxes(on: &canvas, layout)
        drawSeries(on: &canvas, layout)
        drawLegend(on: &canvas, layout)
        return canvas.rgb
    }

    /// Renders and writes a PNG atomically.
    public func write(to path: String) throws {
        try PNGWriter.write(rgb: render(), width: width, height: height, to: path)
    }

    /// Where a data point lands in the rendered image, in pixel coordinates (pixel `(i, j)`
    /// covers `i..<i+1` across and `j..<j+1` down); `nil` when the point is not finite or the
    /// image is too small to hold a plot.
    public func pixelPosition(x: Double, y: Double) -> (x: Double, y: Double)? {
        guard x.isFinite, y.isFinite, let layout = layout() else { return nil }
        return (layout.px(x), layout.py(y))
    }

    /// The colour of the series at `index` (the palette repeats after ten).
    public static func color(forSeries index: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let c = Style.palette[((index % Style.palette.count) + Style.palette.count) % Style.palette.count]
        return (c.r, c.g, c.b)
    }

    // MARK: - Ticks

    /// Tick marks for an axis: "nice" values (1, 2 or 5 times a power of ten apart) inside a
    /// range, and their labels.
    public struct Ticks: Sendable, Equatable {
        /// Tick positions, ascending, all within the range.
        public var values: [Double]
        /// One label a value, with the same number of decimals throughout; values of ten
        /// thousand and more are written with a k, M or G suffix (unless that would need more
        /// than three decimals).
        public var labels: [String]
        /// The distance between neighbouring ticks (0 when there are none).
        public var step: Double
    }

    /// Ticks inside `lower…upper`: of the steps 1, 2 or 5 times a power of ten, the one that
    /// gives the tick count nearest `target + 1` (`target` intervals; the coarser step on a
    /// tie), never fewer than two ticks. Returns no ticks for an empty or non-finite range.
    public static func ticks(from lower: Double, to upper: Double, target: Int = 6) -> Ticks {
        let none = Ticks(values: [], labels: [], step: 0)
        guard lower.isFinite, upper.isFinite, upper > lower, (upper - lower).isFinite else { return none }
        let intervals = max(1, target)
        let raw = (upper - lower) / Double(intervals)
        guard raw > 0, raw.isNormal else { return none }
        let rawExponent = Int(log10(raw).rounded(.down))

        func step(_ m: Int, _ e: Int) -> Double { e >= 0 ? Double(m) * power(of: e) : Double(m) / power(of: -e) }
        var best: (multiple: Int, exponent: Int, lowK: Double, highK: Double, score: Double)?
        for exponent in (rawExponent - 1)...(rawExponent + 1) {
            for multiple in [1, 2, 5] {
                let s = step(multiple, exponent)
                guard s > 0, s.isFinite else { continue }
                let lowK = (lower / s - 1e-9).rounded(.up), highK = (upper / s + 1e-9).rounded(.down)
                let count = highK - lowK + 1
                guard count >= 2 else { continue }
                let score = abs(count - Double(intervals + 1))
                if best == nil || score <= best!.score { best = (multiple, exponent, lowK, highK, score) }
            }
        }
        guard let best, best.highK - best.lowK <= 1000, abs(best.lowK) < 1e15, abs(best.highK) < 1e15 else {
            return none
        }
        let scale = power(of: abs(best.exponent))
        let values = stride(from: best.lowK, through: best.highK, by: 1).map { k in
            // Exact integer times an exact power of ten (divided for negative exponents), so
            // 0.3 comes out as 0.3 rather than 0.30000000000000004; `+ 0` turns -0 into 0.
            (best.exponent >= 0 ? k * Double(best.multiple) * scale : k * Double(best.multiple) / scale) + 0
        }
        return Ticks(
            values: values, labels: labels(values, stepExponent: best.exponent),
            step: step(best.multiple, best.exponent))
    }

    private static func power(of exponent: Int) -> Double { pow(10, Double(exponent)) }

    private static func labels(_ values: [Double], stepExponent: Int) -> [String] {
        let largest = values.map(abs).max() ?? 0
        var (divisor, suffix): (Int, String) =
            largest >= 1e9 ? (9, "G") : largest >= 1e6 ? (6, "M") : largest >= 1e4 ? (3, "k") : (0, "")
        if stepExponent < divisor - 3 { (divisor, suffix) = (0, "") }  // a suffix would need 4+ decimals
        let decimals = max(0, divisor - stepExponent)
        return values.map { v in
            if decimals > 6 { return String(format: "%g", v) }
            let text = String(format: "%.\(decimals)f", v / power(of: divisor))
            let isZero = text.allSatisfy { "-0.".contains($0) }
            return (isZero ? String(text.drop { $0 == "-" }) : text) + (isZero ? "" : suffix)
        }
    }

    // MARK: - Layout

    private enum Style {
        typealias RGB = Canvas.RGB
        static let background = RGB(r: 255, g: 255, b: 255)
        static let grid = RGB(r: 232, g: 232, b: 232)
        static let frame = RGB(r: 110, g: 110, b: 110)
        static let text = RGB(r: 34, g: 34, b: 34)
        static let legendBorder = RGB(r: 190, g: 190, b: 190)
        /// Ten well-separated colours (the Tableau 10 palette).
        static let palette: [RGB] = [
            RGB(r: 31, g: 119, b: 180), RGB(r: 255, g: 127, b: 14), RGB(r: 44, g: 160, b: 44),
            RGB(r: 214, g: 39, b: 40), RGB(r: 148, g: 103, b: 189), RGB(r: 140, g: 86, b: 75),
            RGB(r: 227, g: 119, b: 194), RGB(r: 127, g: 127, b: 127), RGB(r: 188, g: 189, b: 34),
            RGB(r: 23, g: 190, b: 207),
        ]
        static let padding = 10
        static let tickLength = 5
        static let lineHalfWidth = 1.25
    }

    /// Where everything goes, in pixels.
    private struct Layout {
        var scale: Int
        /// The plot area: pixels `left..<left+plotWidth` across, `top..<top+plotHeight` down.
        var left: Int, top: Int, plotWidth: Int, plotHeight: Int
        var xRange: (lower: Double, upper: Double)
        var yRange: (lower: Double, upper: Double)
        var xTicks: Ticks, yTicks: Ticks

        func px(_ x: Double) -> Double {
            Double(left) + (x - xRange.lower) / (xRange.upper - xRange.lower) * Double(plotWidth)
        }
        func py(_ y: Double) -> Double {
            Double(top + plotHeight) - (y - yRange.lower) / (yRange.upper - yRange.lower) * Double(plotHeight)
        }
    }

    private static func textScale(width: Int, height: Int) -> Int { width >= 360 && height >= 240 ? 2 : 1 }

    private var finitePoints: [[(x: Double, y: Double)]] {
        series.map { $0.points.filter { $0.x.isFinite && $0.y.isFinite } }
    }

    /// The data range widened by 6% a side; a single value gets ±5% of itself (±0.5 for zero).
    static func axisRange(_ values: [Double]) -> (lower: Double, upper: Double) {
        guard var lower = values.min(), var upper = values.max() else { return (0, 1) }
        let span = upper - lower
        if !span.isFinite { return (lower, upper) }
        if span <= abs(upper) * 1e-12 || span == 0 {
            let half = lower == 0 ? 0.5 : abs(lower) * 0.05
            return (lower - half, upper + half)
        }
        lower -= 0.06 * span
        upper += 0.06 * span
        return (lower, upper)
    }

    private func layout() -> Layout? {
        let s = Self.textScale(width: width, height: height)
        let pad = Style.padding, tick = Style.tickLength
        let lineHeight = BitmapFont.lineHeight * s, capHeight = BitmapFont.ascent * s
        let points = finitePoints.flatMap { $0 }
        let xRange = Self.axisRange(points.map(\.x)), yRange = Self.axisRange(points.map(\.y))

        let titleBlock = title.isEmpty ? 0 : lineHeight + 6
        let top = pad + titleBlock + capHeight / 2 + 2
        let xTitleBlock = xLabel.isEmpty ? 0 : lineHeight + 4
        let bottom = tick + 5 + capHeight + 8 + xTitleBlock + pad
        let plotHeight = height - top - bottom
        guard plotHeight >= 24 else { return nil }

        let yTicks = Self.ticks(
            from: yRange.lower, to: yRange.upper, target: max(2, min(10, plotHeight / (3 * capHeight + 8))))
        let yLabelWidth = yTicks.labels.map { BitmapFont.size(of: $0, scale: s).width }.max() ?? 0
        let yTitleBlock = yLabel.isEmpty ? 0 : lineHeight + 10
        let left = pad + yTitleBlock + yLabelWidth + 6 + tick
        var right = pad + 8
        var plotWidth = width - left - right
        guard plotWidth >= 24 else { return nil }

        // As many x ticks as fit with room between their labels.
        var xTicks = Ticks(values: [], labels: [], step: 0)
        var target = max(2, min(12, plotWidth / 50))
        while true {
            xTicks = Self.ticks(from: xRange.lower, to: xRange.upper, target: target)
            let widest = xTicks.labels.map { BitmapFont.size(of: $0, scale: s).width }.max() ?? 0
            let spacing = xTicks.step / (xRange.upper - xRange.lower) * Double(plotWidth)
            if target <= 2 || spacing >= Double(widest + 3 * BitmapFont.advance * s) { break }
            target -= 1
        }
        // Keep the last x label inside the image.
        if let last = xTicks.values.last, let label = xTicks.labels.last {
            let centre = Double(left) + (last - xRange.lower) / (xRange.upper - xRange.lower) * Double(plotWidth)
            let overflow = Int(centre.rounded(.up)) + BitmapFont.size(of: label, scale: s).width / 2 - (width - pad / 2)
            if overflow > 0 {
                right += overflow
                plotWidth -= overflow
                guard plotWidth >= 24 else { return nil }
            }
        }
        return Layout(
            scale: s, left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight,
            xRange: xRange, yRange: yRange, xTicks: xTicks, yTicks: yTicks)
    }

    // MARK: - Drawing

    /// `text` at `scale`, or at scale 1 if it does not fit, cut short with "..." if it still does not.
    private static func fitted(_ text: String, maxWidth: Int, scale: Int) -> (text: String, scale: Int) {
        if BitmapFont.size(of: text, scale: scale).width <= maxWidth { return (text, scale) }
        if BitmapFont.size(of: text, scale: 1).width <= maxWidth { return (text, 1) }
        var cut = text
        while !cut.isEmpty, BitmapFont.size(of: cut + "...", scale: 1).width > maxWidth { cut.removeLast() }
        return (cut.isEmpty ? "" : cut + "...", 1)
    }

    private func drawTitle(on canvas: inout Canvas, scale: Int) {
        guard !title.isEmpty else { return }
        let (text, s) = Self.fitted(title, maxWidth: width - 2 * Style.padding, scale: scale)
        let w = BitmapFont.size(of: text, scale: s).width
        canvas.drawText(text, x: (width - w) / 2, y: Style.padding, scale: s, color: Style.text)
    }

    private func drawAxes(on canvas: inout Canvas, _ l: Layout) {
        let s = l.scale, tick = Style.tickLength
        let right = l.left + l.plotWidth, bottom = l.top + l.plotHeight
        let capHeight = BitmapFont.ascent * s

        // Grid, then the frame over its ends.
        let xColumns = l.xTicks.values.map { min(right - 1, max(l.left, Int(l.px($0).rounded(.down)))) }
        let yRows = l.yTicks.values.map { min(bottom - 1, max(l.top, Int(l.py($0).rounded(.down)))) }
        for x in xColumns { canvas.fill(x: x, y: l.top, width: 1, height: l.plotHeight, color: Style.grid) }
        for y in yRows { canvas.fill(x: l.left, y: y, width: l.plotWidth, height: 1, color: Style.grid) }
        canvas.fill(x: l.left - 1, y: l.top - 1, width: l.plotWidth + 2, height: 1, color: Style.frame)
        canvas.fill(x: l.left - 1, y: bottom, width: l.plotWidth + 2, height: 1, color: Style.frame)
        canvas.fill(x: l.left - 1, y: l.top - 1, width: 1, height: l.plotHeight + 2, color: Style.frame)
        canvas.fill(x: right, y: l.top - 1, width: 1, height: l.plotHeight + 2, color: Style.frame)

        // Tick marks and labels.
        for (x, label) in zip(xColumns, l.xTicks.labels) {
            canvas.fill(x: x, y: bottom + 1, width: 1, height: tick, color: Style.frame)
            let w = BitmapFont.size(of: label, scale: s).width
            canvas.drawText(label, x: x - w / 2, y: bottom + 1 + tick + 4, scale: s, color: Style.text)
        }
        for (y, label) in zip(yRows, l.yTicks.labels) {
            canvas.fill(x: l.left - 1 - tick, y: y, width: tick, height: 1, color: Style.frame)
            let w = BitmapFont.size(of: label, scale: s).width
            canvas.drawText(label, x: l.left - 1 - tick - 5 - w, y: y - capHeight / 2, scale: s, color: Style.text)
        }

        // Axis titles: x centred under the plot, y turned to read upwards, centred beside it.
        if !xLabel.isEmpty {
            let (text, ts) = Self.fitted(xLabel, maxWidth: width - 2 * Style.padding, scale: s)
            let w = BitmapFont.size(of: text, scale: ts).width
            let x = min(max(Style.padding, l.left + l.plotWidth / 2 - w / 2), width - Style.padding - w)
            canvas.drawText(
                text, x: x, y: height - Style.padding - BitmapFont.lineHeight * s, scale: ts, color: Style.text)
        }
        if !yLabel.isEmpty {
            let (text, ts) = Self.fitted(yLabel, maxWidth: height - 2 * Style.padding, scale: s)
            let w = BitmapFont.size(of: text, scale: ts).width
            let y = min(max(Style.padding, l.top + l.plotHeight / 2 - w / 2), height - Style.padding - w)
            canvas.drawText(text, x: Style.padding, y: y, scale: ts, color: Style.text, upwards: true)
        }
    }

    /// The polyline and markers of each series, in pixel coordinates.
    private func pixelPaths(_ l: Layout) -> [[(x: Double, y: Double)]] {
        finitePoints.map { points in
            points.map { (l.px($0.x), l.py($0.y)) }.filter { $0.0.isFinite && $0.1.isFinite }
        }
    }

    private func drawSeries(on canvas: inout Canvas, _ l: Layout) {
        let clip = Canvas.Rect(x: l.left, y: l.top, width: l.plotWidth, height: l.plotHeight)
        for (index, path) in pixelPaths(l).enumerated() {
            let color = Style.palette[index % Style.palette.count]
            var line = Coverage(clip: clip)
            for (a, b) in zip(path, path.dropFirst()) { line.addSegment(a, b, halfWidth: Style.lineHalfWidth) }
            if path.count == 1 { line.addSegment(path[0], path[0], halfWidth: Style.lineHalfWidth) }
            canvas.composite(line, color: color)
            for point in path { drawMarker(on: &canvas, at: point, series: index, clip: clip) }
        }
    }

    /// A marker: the series' shape (circle, square, triangle, diamond, in turn) in its colour
    /// with a thin white rim that sets it off from the lines.
    private func drawMarker(on canvas: inout Canvas, at p: (x: Double, y: Double), series: Int, clip: Canvas.Rect) {
        let color = Style.palette[series % Style.palette.count]
        guard p.x.isFinite, p.y.isFinite, abs(p.x) < 1e6, abs(p.y) < 1e6 else { return }
        // Masks only as large as the marker (within the clip).
        let x0 = max(clip.x, Int(p.x) - 12), y0 = max(clip.y, Int(p.y) - 12)
        let x1 = min(clip.x + clip.width, Int(p.x) + 13), y1 = min(clip.y + clip.height, Int(p.y) + 13)
        guard x0 < x1, y0 < y1 else { return }
        let box = Canvas.Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
        for (grow, fill) in [(1.5, Style.background), (0.0, color)] {
            var mask = Coverage(clip: box)
            switch series % 4 {
            case 0:
                mask.addDisk(center: p, radius: 4 + grow)
            case 1:
                let r = 3.5 + grow
                mask.addConvexPolygon([(p.x - r, p.y - r), (p.x + r, p.y - r), (p.x + r, p.y + r), (p.x - r, p.y + r)])
            case 2:
                // An upward triangle centred on its centroid; the rim grows along each edge's normal.
                let r = 5.0 + 2 * grow
                let h = r * 0.5, w = r * 0.866
                mask.addConvexPolygon([(p.x, p.y - r), (p.x + w, p.y + h), (p.x - w, p.y + h)])
            default:
                let r = 5.0 + grow * 1.414
                mask.addConvexPolygon([(p.x, p.y - r), (p.x + r, p.y), (p.x, p.y + r), (p.x - r, p.y)])
            }
            canvas.composite(mask, color: fill)
        }
    }

    private func drawLegend(on canvas: inout Canvas, _ l: Layout) {
        guard !series.isEmpty else { return }
        let s = l.scale
        let capHeight = BitmapFont.ascent * s
        let rowHeight = BitmapFont.lineHeight * s + 5
        let inner = 8, sample = 28
        let maxLabel = max(BitmapFont.advance * 4, l.plotWidth - 2 * inner - sample - 10 - 16)
        let labels = series.map { Self.fitted($0.label, maxWidth: maxLabel, scale: s) }
        let labelWidth = labels.map { BitmapFont.size(of: $0.text, scale: $0.scale).width }.max() ?? 0
        let boxWidth = inner + sample + 10 + labelWidth + inner
        let boxHeight = inner + series.count * rowHeight - 5 + inner - 2
        guard boxWidth <= l.plotWidth - 8, boxHeight <= l.plotHeight - 8 else { return }

        // The corner that covers the fewest points along the drawn curves.
        let gap = 6
        let corners = [
            (l.left + l.plotWidth - gap - boxWidth, l.top + gap),  // top right
            (l.left + l.plotWidth - gap - boxWidth, l.top + l.plotHeight - gap - boxHeight),  // bottom right
            (l.left + gap, l.top + gap),  // top left
            (l.left + gap, l.top + l.plotHeight - gap - boxHeight),  // bottom left
        ]
        var samples: [(x: Double, y: Double)] = []
        for path in pixelPaths(l) {
            samples.append(contentsOf: path)
            for (a, b) in zip(path, path.dropFirst()) {
                let n = Int(min(2000, (hypot(b.x - a.x, b.y - a.y) / 2).rounded(.up)))
                for i in stride(from: 1, to: n, by: 1) {
                    let t = Double(i) / Double(n)
                    samples.append((a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t))
                }
            }
        }
        func covered(_ corner: (Int, Int)) -> Int {
            let margin = 6.0
            let x0 = Double(corner.0) - margin, y0 = Double(corner.1) - margin
            let x1 = Double(corner.0 + boxWidth) + margin, y1 = Double(corner.1 + boxHeight) + margin
            return samples.count { $0.x >= x0 && $0.x <= x1 && $0.y >= y0 && $0.y <= y1 }
        }
        let scores = corners.map(covered)
        let best = corners[scores.indices.min { scores[$0] < scores[$1] } ?? 0]
        let (bx, by) = best

        canvas.fill(x: bx, y: by, width: boxWidth, height: boxHeight, color: Style.background, alpha: 0.9)
        canvas.fill(x: bx, y: by, width: boxWidth, height: 1, color: Style.legendBorder)
        canvas.fill(x: bx, y: by + boxHeight - 1, width: boxWidth, height: 1, color: Style.legendBorder)
        canvas.fill(x: bx, y: by, width: 1, height: boxHeight, color: Style.legendBorder)
        canvas.fill(x: bx + boxWidth - 1, y: by, width: 1, height: boxHeight, color: Style.legendBorder)
        let clip = Canvas.Rect(x: bx + 1, y: by + 1, width: boxWidth - 2, height: boxHeight - 2)
        for (index, label) in labels.enumerated() {
            let rowTop = by + inner + index * rowHeight
            let centreY = Double(rowTop) + Double(capHeight) / 2
            var line = Coverage(clip: clip)
            line.addSegment(
                (Double(bx + inner), centreY), (Double(bx + inner + sample), centreY), halfWidth: Style.lineHalfWidth)
            canvas.composite(line, color: Style.palette[index % Style.palette.count])
            drawMarker(
                on: &canvas, at: (Double(bx + inner) + Double(sample) / 2, centreY), series: index, clip: clip)
            let labelTop = rowTop + (capHeight - BitmapFont.ascent * label.scale) / 2
            canvas.drawText(label.text, x: bx + inner + sample + 10, y: labelTop, scale: label.scale, color: Style.text)
        }
    }
}

// MARK: - Pixels

/// An RGB24 image being drawn on.
private struct Canvas {
    struct RGB: Sendable, Equatable {
        var r, g, b: UInt8
    }
    struct Rect {
        var x, y, width, height: Int
    }

    let width: Int, height: Int
    var rgb: [UInt8]

    init(width: Int, height: Int, background: RGB) {
        self.width = width
        self.height = height
        rgb = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            rgb[3 * i] = background.r
            rgb[3 * i + 1] = background.g
            rgb[3 * i + 2] = background.b
        }
    }

    /// Mixes `color` into pixel `(x, y)` with weight `alpha` (0…1); pixels outside are ignored.
    mutating func blend(x: Int, y: Int, color: RGB, alpha: Double = 1) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let i = 3 * (y * width + x)
        if alpha >= 1 {
            (rgb[i], rgb[i + 1], rgb[i + 2]) = (color.r, color.g, color.b)
            return
        }
        func mix(_ old: UInt8, _ new: UInt8) -> UInt8 {
            UInt8(max(0, min(255, (Double(old) + (Double(new) - Double(old)) * alpha).rounded())))
        }
        rgb[i] = mix(rgb[i], color.r)
        rgb[i + 1] = mix(rgb[i + 1], color.g)
        rgb[i + 2] = mix(rgb[i + 2], color.b)
    }

    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: RGB, alpha: Double = 1) {
        for yy in max(0, y)..<max(max(0, y), min(height, y + h)) {
            for xx in max(0, x)..<max(max(0, x), min(width, x + w)) { blend(x: xx, y: yy, color: color, alpha: alpha) }
        }
    }

    /// Draws `text` with its box's top-left corner at `(x, y)`; `upwards` turns it a quarter
    /// turn anticlockwise (the box is then `height` wide and `width` tall).
    mutating func drawText(_ text: String, x: Int, y: Int, scale: Int, color: RGB, upwards: Bool = false) {
        let textWidth = BitmapFont.size(of: text, scale: scale).width
        BitmapFont.forEachPixel(of: text, scale: scale) { tx, ty in
            if upwards {
                blend(x: x + ty, y: y + textWidth - 1 - tx, color: color)
            } else {
                blend(x: x + tx, y: y + ty, color: color)
            }
        }
    }

    /// Paints `color` through a coverage mask.
    mutating func composite(_ mask: Coverage, color: RGB) {
        guard let box = mask.touched else { return }
        for y in box.y0...box.y1 {
            for x in box.x0...box.x1 {
                let a = mask.values[(y - mask.clip.y) * mask.clip.width + (x - mask.clip.x)]
                if a > 0 { blend(x: x, y: y, color: color, alpha: Double(a)) }
            }
        }
    }
}

/// Anti-aliased shapes as per-pixel coverage (0…1) inside a clip rectangle; overlapping shapes
/// keep the larger coverage, so a polyline composites as one stroke.
private struct Coverage {
    let clip: Canvas.Rect
    var values: [Float]
    /// The pixels any shape reached (inclusive bounds).
    var touched: (x0: Int, y0: Int, x1: Int, y1: Int)?

    init(clip: Canvas.Rect) {
        self.clip = Canvas.Rect(x: clip.x, y: clip.y, width: max(0, clip.width), height: max(0, clip.height))
        values = [Float](repeating: 0, count: self.clip.width * self.clip.height)
    }

    /// Evaluates `coverage(px, py)` at the centre of every pixel in the bounds (clipped).
    private mutating func stamp(
        minX: Double, minY: Double, maxX: Double, maxY: Double, _ coverage: (Double, Double) -> Double
    ) {
        guard minX.isFinite, minY.isFinite, maxX.isFinite, maxY.isFinite else { return }
        let x0 = max(clip.x, Int(max(-1e6, minX).rounded(.down)))
        let y0 = max(clip.y, Int(max(-1e6, minY).rounded(.down)))
        let x1 = min(clip.x + clip.width - 1, Int(min(1e6, maxX).rounded(.up)))
        let y1 = min(clip.y + clip.height - 1, Int(min(1e6, maxY).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let c = Float(max(0, min(1, coverage(Double(x) + 0.5, Double(y) + 0.5))))
                guard c > 0 else { continue }
                let i = (y - clip.y) * clip.width + (x - clip.x)
                if c > values[i] { values[i] = c }
            }
        }
        if let t = touched {
            touched = (min(t.x0, x0), min(t.y0, y0), max(t.x1, x1), max(t.y1, y1))
        } else {
            touched = (x0, y0, x1, y1)
        }
    }

    /// A stroke of half-width `halfWidth` from `a` to `b` with round ends.
    mutating func addSegment(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double), halfWidth: Double) {
        let dx = b.x - a.x, dy = b.y - a.y
        let lengthSquared = dx * dx + dy * dy
        let reach = halfWidth + 1
        stamp(
            minX: min(a.x, b.x) - reach, minY: min(a.y, b.y) - reach,
            maxX: max(a.x, b.x) + reach, maxY: max(a.y, b.y) + reach
        ) { px, py in
            let t = lengthSquared > 0 ? max(0, min(1, ((px - a.x) * dx + (py - a.y) * dy) / lengthSquared)) : 0
            let distance = hypot(px - (a.x + t * dx), py - (a.y + t * dy))
            return halfWidth + 0.5 - distance
        }
    }

    mutating func addDisk(center c: (x: Double, y: Double), radius: Double) {
        stamp(minX: c.x - radius - 1, minY: c.y - radius - 1, maxX: c.x + radius + 1, maxY: c.y + radius + 1) { px, py in
            radius + 0.5 - hypot(px - c.x, py - c.y)
        }
    }

    /// A convex polygon with vertices in either winding order.
    mutating func addConvexPolygon(_ vertices: [(x: Double, y: Double)]) {
        guard vertices.count >= 3 else { return }
        // Signed area decides which side of each edge is inside.
        var area = 0.0
        for (p, q) in zip(vertices, vertices.dropFirst() + [vertices[0]]) { area += p.x * q.y - q.x * p.y }
        let sign = area >= 0 ? 1.0 : -1.0
        let edges = zip(vertices, vertices.dropFirst() + [vertices[0]]).compactMap {
            p, q -> (px: Double, py: Double, nx: Double, ny: Double)? in
            let ex = q.x - p.x, ey = q.y - p.y
            let length = hypot(ex, ey)
            guard length > 0 else { return nil }
            // Outward normal for the winding given by `sign` (y grows downwards).
            return (p.x, p.y, sign * ey / length, -sign * ex / length)
        }
        let xs = vertices.map(\.x), ys = vertices.map(\.y)
        stamp(
            minX: xs.min()! - 1, minY: ys.min()! - 1, maxX: xs.max()! + 1, maxY: ys.max()! + 1
        ) { px, py in
            let outside = edges.map { ($0.nx * (px - $0.px) + $0.ny * (py - $0.py)) }.max() ?? 0
            return 0.5 - outside
        }
    }
}
