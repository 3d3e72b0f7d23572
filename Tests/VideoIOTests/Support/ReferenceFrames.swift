import Foundation

/// Every frame of a clip decoded and resized by the ffmpeg command-line tool (bicubic, planar
/// float RGB), as the reference for pixel comparisons.
struct ReferenceFrames {
    let width: Int
    let height: Int
    private let values: [Float]

    var count: Int { values.count / (3 * width * height) }

    init(path: String, width: Int, height: Int) throws {
        self.width = width
        self.height = height
        let data = try ExternalTool.ffmpeg([
            "-i", path, "-vf", "scale=\(width):\(height):flags=bicubic", "-fps_mode", "passthrough",
            "-pix_fmt", "gbrpf32le", "-f", "rawvideo", "-",
        ])
        values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// Frame `index` (display order) as planar R, G, B (ffmpeg writes G, B, R).
    func frame(_ index: Int) -> [Float] {
        let plane = width * height
        let start = index * 3 * plane
        let green = values[start..<(start + plane)]
        let blue = values[(start + plane)..<(start + 2 * plane)]
        let red = values[(start + 2 * plane)..<(start + 3 * plane)]
        return Array(red) + Array(green) + Array(blue)
    }

    /// Mean absolute difference between `pixels` and frame `index`.
    func meanAbsoluteDifference(_ pixels: [Float], frame index: Int) -> Float {
        let reference = frame(index)
        precondition(reference.count == pixels.count)
        var total: Float = 0
        for i in pixels.indices { total += abs(pixels[i] - reference[i]) }
        return total / Float(pixels.count)
    }
}
