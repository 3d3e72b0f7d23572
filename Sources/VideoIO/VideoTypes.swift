/// A frame size in pixels.
public struct FrameSize: Sendable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// A square size.
    public static func square(_ side: Int) -> FrameSize { FrameSize(width: side, height: side) }

    public var description: String { "\(width)x\(height)" }
}

/// How decoded frames are resized to the model resolution.
public enum ResizeMode: Sendable, Hashable {
    /// Exactly this size (both sides multiples of the patch size), aspect ratio not kept.
    case exact(FrameSize)
    /// The long side becomes `longSide`; the short side keeps the aspect ratio, rounded to a
    /// multiple of `multiple` (at least one multiple).
    case keepAspect(longSide: Int, multiple: Int)

    /// The output size for a source of the given size.
    public func outputSize(forSource source: FrameSize) -> FrameSize {
        switch self {
        case .exact(let size):
            return size
        case .keepAspect(let longSide, let multiple):
            func rounded(_ x: Double) -> Int { max(multiple, Int((x / Double(multiple)).rounded()) * multiple) }
            if source.width >= source.height {
                let h = Double(longSide) * Double(source.height) / Double(max(1, source.width))
                return FrameSize(width: longSide, height: rounded(h))
            } else {
                let w = Double(longSide) * Double(source.width) / Double(max(1, source.height))
                return FrameSize(width: rounded(w), height: longSide)
            }
        }
    }
}

/// Which frames of a video to sample.
public struct FrameSampling: Sendable, Hashable {
    /// The rule that picks frames.
    public enum Mode: Sendable, Hashable {
        /// Every frame in the range.
        case all
        /// `n` frames at indices `floor(linspace(0, total − 1, n))` of the frames in the range.
        case count(Int)
        /// `max(1, floor(duration · fps))` frames chosen as for `.count`.
        case fps(Double)
        /// Keyframes only; other frames are not decoded at all.
        case keyframes
    }

    public var mode: Mode
    /// Upper bound on the number of sampled frames (`--max-frames`).
    public var maxFrames: Int?
    /// Start of the range in seconds (relative to the first frame), inclusive.
    public var start: Double?
    /// End of the range in seconds (relative to the first frame), exclusive.
    public var end: Double?

    public init(mode: Mode, maxFrames: Int? = nil, start: Double? = nil, end: Double? = nil) {
        self.mode = mode
        self.maxFrames = maxFrames
        self.start = start
        self.end = end
    }
}

/// What a video file holds, as far as vtok uses it.
public struct VideoInfo: Sendable, Hashable, Codable {
    /// The path the video was opened from.
    public var path: String
    /// Container format name as FFmpeg reports it (e.g. `mov,mp4,m4a,3gp,3g2,mj2`).
    public var container: String
    /// Codec name of the video stream (e.g. `h264`).
    public var codec: String
    /// Coded width in pixels.
    public var width: Int
    /// Coded height in pixels.
    public var height: Int
    /// Average frame rate (frames per second).
    public var frameRate: Double
    /// Duration of the video stream in seconds: from the first frame's presentation time to the
    /// end of the last frame.
    public var duration: Double
    /// Exact number of frames in the stream, counted from its packets.
    public var frameCount: Int
    /// Number of keyframes in the stream.
    public var keyframeCount: Int
    /// Presentation time of the first frame in seconds, as stored in the file.
    public var startTime: Double
    /// Whether frame durations vary (variable frame rate).
    public var isVariableFrameRate: Bool
    /// Pixel format name of the decoded frames (e.g. `yuv420p`).
    public var pixelFormat: String
    /// Frames absent from the stream by its timestamps (gaps longer than 2.5 times the median
    /// frame interval); non-zero for damaged or cut files, and for videos that pause on purpose.
    public var missingFrames: Int = 0

    public init(
        path: String, container: String, codec: String, width: Int, height: Int, frameRate: Double,
        duration: Double, frameCount: Int, keyframeCount: Int, startTime: Double,
        isVariableFrameRate: Bool, pixelFormat: String
    ) {
        self.path = path
        self.container = container
        self.codec = codec
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.duration = duration
        self.frameCount = frameCount
        self.keyframeCount = keyframeCount
        self.startTime = startTime
        self.isVariableFrameRate = isVariableFrameRate
        self.pixelFormat = pixelFormat
    }
}

/// One frame chosen by a sampling plan, before decoding.
public struct PlannedFrame: Sendable, Hashable {
    /// Index of the frame in display order over the whole stream.
    public var index: Int
    /// Presentation time in seconds, relative to the stream's first frame.
    public var pts: Double

    public init(index: Int, pts: Double) {
        self.index = index
        self.pts = pts
    }
}

/// A decoded, resized frame: planar RGB, `3 × height × width` Float32 values in [0, 1].
public struct VideoFrame: Sendable {
    /// Position in the sampled sequence (0-based).
    public var sampleIndex: Int
    /// Index of the frame in display order over the whole stream.
    public var index: Int
    /// Presentation time in seconds, relative to the stream's first frame.
    public var pts: Double
    /// Whether the frame is a keyframe.
    public var isKeyframe: Bool
    public var width: Int
    public var height: Int
    /// Planar RGB: the R plane, then G, then B, each `height × width`, row-major, in [0, 1].
    public var pixels: [Float]

    public init(
        sampleIndex: Int, index: Int, pts: Double, isKeyframe: Bool, width: Int, height: Int, pixels: [Float]
    ) {
        precondition(pixels.count == 3 * width * height, "pixels must be 3 × height × width")
        self.sampleIndex = sampleIndex
        self.index = index
        self.pts = pts
        self.isKeyframe = isKeyframe
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// Counts from one decoding run.
public struct DecodeStats: Sendable, Hashable, Codable {
    /// Frames the decoder fully decoded (sampled or needed as references).
    public var framesDecoded: Int = 0
    /// Packets whose frames the decoder was told to skip, or that were never sent to it
    /// (the stream's packet count minus `framesDecoded`).
    public var framesSkipped: Int = 0
    /// Sampled frames delivered.
    public var framesDelivered: Int = 0
    /// Sampled frames that could not be decoded (damaged data).
    public var framesLost: Int = 0
    /// Packets the decoder rejected as invalid.
    public var corruptPackets: Int = 0
    /// Delivered frames the decoder flagged as damaged (errors concealed in their pixels).
    public var framesDamaged: Int = 0

    public init() {}
}
