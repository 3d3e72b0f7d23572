import CFFmpeg

/// Reads one video file: what it holds (`info`), which frames a sampling selects (`plan`), and
/// those frames decoded and resized (`read`).
///
/// Opening the reader demuxes every packet of the video stream once, without decoding, to
/// learn each frame's exact timestamp, keyframe flag and decode order. That makes the frame
/// count, the duration and the sampling exact even where the container does not say, and it
/// lets `read` decode only the frames a plan needs.
///
/// A reader owns one demuxer and one decoder, which FFmpeg does not allow to be used from two
/// threads at once. Use each reader from one thread (or one task) at a time; to go faster,
/// read different videos, or different ranges, with different readers in parallel. Within a
/// reader, libavcodec already decodes with its own frame and slice threads.
public final class VideoReader {
    /// What the file holds.
    public let info: VideoInfo

    let input: MediaInput
    let decoder: VideoDecoder
    let table: PacketTable
    var scaler: FrameScaler?

    /// Opens the video at `path`, picks its best video stream and scans its packets.
    ///
    /// - Throws: `VideoError` when the file cannot be opened, is not media, has no video
    ///   stream, uses a codec this FFmpeg cannot decode, or holds no video frames.
    public init(path: String) throws {
        input = try MediaInput(path: path)
        decoder = try VideoDecoder(stream: input.stream, path: path)
        table = Self.scanPackets(of: input)
        guard table.frameCount > 0 else {
            throw VideoError(
                .noFramesSampled, path: path,
                description: "'\(path)' has a video stream but no video frames — check the file")
        }
        info = Self.describe(input: input, table: table, path: path)
    }

    /// The path the video was opened from.
    public var path: String { info.path }

    /// The frames `sampling` selects, in display order. Nothing is decoded.
    ///
    /// - Throws: `VideoError` when the sampling is invalid or selects no frame.
    public func plan(_ sampling: FrameSampling) throws -> [PlannedFrame] {
        try FramePlanner(table: table, path: path).plan(sampling)
    }

    /// Display indices of the keyframes, ascending.
    public func keyframeIndices() -> [Int] {
        table.keyframeDisplayIndices()
    }

    /// Presentation time of frame `index` (display order), in seconds from the first frame.
    public func presentationTime(ofFrame index: Int) -> Double {
        table.seconds(ofFrame: index)
    }

    /// Presentation times of all frames (display order), in seconds from the first frame.
    public func presentationTimes() -> [Double] {
        (0..<table.frameCount).map { table.seconds(ofFrame: $0) }
    }

    /// Demuxes every packet of the video stream (no decoding) and records what it learns.
    private static func scanPackets(of input: MediaInput) -> PacketTable {
        let stream = input.stream.pointee
        var builder = PacketTable.Builder(frameDuration: Self.frameDuration(of: stream))
        guard let packet = av_packet_alloc() else { fatalError("FFmpeg could not allocate a packet") }
        defer {
            var pointer: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&pointer)
        }
        let noTimestamp = FFmpegStatus.noTimestamp
        while input.readPacket(into: packet) {
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == input.streamIndex else { continue }
            let pts = packet.pointee.pts
            let dts = packet.pointee.dts
            builder.append(
                presentationTimestamp: pts == noTimestamp ? nil : pts,
                decodeTimestamp: dts == noTimestamp ? nil : dts,
                duration: packet.pointee.duration,
                isKeyframe: vtok_packet_is_key(packet) != 0,
                isHidden: vtok_packet_is_discard(packet) != 0)
        }
        let timeBase = stream.time_base
        return builder.build(timeBaseNumerator: Int64(timeBase.num), timeBaseDenominator: Int64(timeBase.den))
    }

    /// Ticks per frame from the stream's frame rate (1 when it states none).
    private static func frameDuration(of stream: AVStream) -> Int64 {
        let timeBase = stream.time_base
        guard timeBase.num > 0, timeBase.den > 0 else { return 1 }
        for rate in [stream.avg_frame_rate, stream.r_frame_rate] where rate.num > 0 && rate.den > 0 {
            // ticks = (1 / rate) / timeBase = rate.den · tb.den / (rate.num · tb.num)
            let ticks = av_rescale_q(1, AVRational(num: rate.den, den: rate.num), timeBase)
            return max(1, ticks)
        }
        return 1
    }

    private static func describe(input: MediaInput, table: PacketTable, path: String) -> VideoInfo {
        let stream = input.stream.pointee
        let parameters = stream.codecpar.pointee
        let duration = table.duration
        var frameRate = 0.0
        for rate in [stream.avg_frame_rate, stream.r_frame_rate] where rate.num > 0 && rate.den > 0 {
            frameRate = av_q2d(rate)
            break
        }
        if frameRate == 0, duration > 0 {
            frameRate = Double(table.frameCount) / duration
        }
        let pixelFormat = av_get_pix_fmt_name(AVPixelFormat(rawValue: parameters.format))
        var info = VideoInfo(
            path: path,
            container: String(cString: input.context.pointee.iformat.pointee.name),
            codec: String(cString: avcodec_get_name(parameters.codec_id)),
            width: Int(parameters.width),
            height: Int(parameters.height),
            frameRate: frameRate,
            duration: duration,
            frameCount: table.frameCount,
            keyframeCount: table.keyframeCount,
            startTime: table.seconds(ofTicks: table.firstTimestamp),
            isVariableFrameRate: table.isVariableFrameRate,
            pixelFormat: pixelFormat.map { String(cString: $0) } ?? "unknown")
        info.missingFrames = table.missingFrames
        return info
    }
}
