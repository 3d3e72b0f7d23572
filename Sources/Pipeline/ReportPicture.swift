import Foundation
import Reduction
import VideoIO

/// A picture of what a run kept: thumbnails of evenly spaced sampled frames with pruned areas
/// dimmed and tinted red (areas kept only at a coarser scale tinted blue), above a bar chart of
/// tokens kept per frame (full height = a whole frame's finest grid).
///
/// The runner hands it each decoded frame (it keeps half-size copies of the few it shows) and
/// each reduced clip (it keeps the coordinates for those frames and every frame's count). Frames
/// arrive on the reading thread and clips on the reducing thread, so its state is behind a lock.
public final class ReportPicture {
    /// Sampled positions shown as thumbnails.
    public let shownFrames: [Int]
    private let columns: Int
    private var thumbnails: [Int: (width: Int, height: Int, rgb: [UInt8])] = [:]
    /// Per shown frame, per thumbnail pixel: the finest scale painted there (-1: nothing).
    private var coverage: [Int: [Int8]] = [:]
    private var counts: [Int] = []
    private var gridTokens = 0
    private let lock = NSLock()
    private let patchSize: Int

    /// - Parameters:
    ///   - frameCount: sampled frames the run will deliver.
    ///   - thumbnails: how many frames to show.
    public init(frameCount: Int, thumbnails: Int = 8, patchSize: Int = ResolvedPipeline.patchSize) {
        let k = max(1, min(thumbnails, frameCount))
        shownFrames =
            k == 1 ? [0] : Array(Set((0..<k).map { Int((Double($0) * Double(frameCount - 1) / Double(k - 1)).rounded(.down)) })).sorted()
        columns = min(4, shownFrames.count)
        self.patchSize = patchSize
    }

    /// Keeps a half-size copy of the frame if it is one of the shown ones.
    public func record(frame: VideoFrame) {
        guard shownFrames.contains(frame.sampleIndex) else { return }
        let w = frame.width / 2, h = frame.height / 2
        let plane = frame.width * frame.height
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        frame.pixels.withUnsafeBufferPointer { p in
            for y in 0..<h {
                for x in 0..<w {
                    for c in 0..<3 {
                        let base = c * plane + 2 * y * frame.width + 2 * x
                        let v = (p[base] + p[base + 1] + p[base + frame.width] + p[base + frame.width + 1]) / 4
                        rgb[(y * w + x) * 3 + c] = UInt8(max(0, min(255, (v * 255).rounded())))
                    }
                }
            }
        }
        lock.lock()
        defer { lock.unlock() }
        thumbnails[frame.sampleIndex] = (w, h, rgb)
        gridTokens = (frame.width / patchSize) * (frame.height / patchSize)
    }

    /// Records what survived of a clip.
    public func record(kept clip: TokenSet) {
        lock.lock()
        defer { lock.unlock() }
        counts.append(contentsOf: clip.tokensPerFrame)
        for coord in clip.coords where shownFrames.contains(Int(coord.t)) {
            guard let thumb = thumbnails[Int(coord.t)], Int(coord.scale) < clip.cellSizes.count else { continue }
            var map = coverage[Int(coord.t)] ?? [Int8](repeating: -1, count: thumb.width * thumb.height)
            let cell = clip.cellSizes[Int(coord.scale)] / 2
            let y0 = Int(coord.row) * cell, x0 = Int(coord.col) * cell
            for y in y0..<min(thumb.height, y0 + cell) {
                for x in x0..<min(thumb.width, x0 + cell) {
                    let i = y * thumb.width + x
                    if map[i] < 0 || map[i] > Int8(coord.scale) { map[i] = Int8(coord.scale) }
                }
            }
            coverage[Int(coord.t)] = map
        }
    }

    /// Renders and writes the PNG atomically.
    public func write(to path: String) throws {
        lock.lock()
        defer { lock.unlock() }
        guard let first = shownFrames.first.flatMap({ thumbnails[$0] }) else {
            throw PipelineError("no frame to draw in '\(path)'")
        }
        let gap = 4
        let tw = first.width, th = first.height
        let rows = (shownFrames.count + columns - 1) / columns
        let chartHeight = 96
        let width = max(columns * (tw + gap) + gap, 256)
        let height = rows * (th + gap) + gap + chartHeight + gap
        var image = [UInt8](repeating: 24, count: width * height * 3)
        for (i, t) in shownFrames.enumerated() {
            guard let thumb = thumbnails[t] else { continue }
            let ox = gap + (i % columns) * (tw + gap), oy = gap + (i / columns) * (th + gap)
            let map = coverage[t] ?? []
            for y in 0..<min(th, thumb.height) {
                for x in 0..<min(tw, thumb.width) {
                    let scale = map.isEmpty ? -1 : Int(map[y * thumb.width + x])
                    for c in 0..<3 {
                        var v = Int(thumb.rgb[(y * thumb.width + x) * 3 + c])
                        if scale < 0 {
                            v = c == 0 ? v / 4 + 60 : v / 4  // pruned: dark, red-tinted
                        } else if scale > 0 {
                            v = c == 2 ? v * 3 / 4 + 50 : v * 3 / 4  // kept at a coarser scale: blue-tinted
                        }
                        image[((oy + y) * width + ox + x) * 3 + c] = UInt8(min(255, v))
                    }
                }
            }
        }
        // Bar chart: one bar per frame (averaged when frames outnumber pixels).
        let top = rows * (th + gap) + gap
        let chartWidth = width - 2 * gap
        let full = max(1, gridTokens)
        if !counts.isEmpty {
            for x in 0..<chartWidth {
                let a = x * counts.count / chartWidth, b = max(a + 1, (x + 1) * counts.count / chartWidth)
                let mean = Double(counts[a..<min(b, counts.count)].reduce(0, +)) / Double(min(b, counts.count) - a)
                let barHeight = Int((mean / Double(full) * Double(chartHeight)).rounded())
                for y in 0..<chartHeight {
                    let isBar = chartHeight - 1 - y < barHeight
                    let color: [UInt8] = isBar ? [118, 185, 0] : [40, 40, 40]
                    for c in 0..<3 { image[((top + y) * width + gap + x) * 3 + c] = color[c] }
                }
            }
        }
        try PNGWriter.write(rgb: image, width: width, height: height, to: path)
    }
}
