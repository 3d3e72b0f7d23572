import Foundation
import VideoIO

/// Human-readable descriptions of a video source.
public enum SourceDescription {
    /// A few aligned lines: file, container and codec, size, rate, duration, frames.
    public static func text(_ info: VideoInfo) -> String {
        let rate = info.isVariableFrameRate
            ? String(format: "%.3f fps average (variable frame rate)", info.frameRate)
            : String(format: "%.3f fps", info.frameRate)
        return [
            "file          \(info.path)",
            "container     \(info.container)",
            "video         \(info.codec), \(info.width)x\(info.height), \(info.pixelFormat)",
            "rate          \(rate)",
            String(format: "duration      %.3f s (first frame at %.3f s)", info.duration, info.startTime),
            "frames        \(info.frameCount) (\(info.keyframeCount) keyframe\(info.keyframeCount == 1 ? "" : "s"))"
                + (info.missingFrames > 0 ? ", \(info.missingFrames) missing by the timestamps (damaged or cut?)" : ""),
        ].joined(separator: "\n")
    }
}
