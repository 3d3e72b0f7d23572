import Foundation
import CFFmpeg

/// A libavcodec decoder for one video stream, with libavcodec's own frame and slice threads.
///
/// `EAGAIN` and end of stream are control flow here, not errors: `send` and `receive` report
/// them as cases. Not thread-safe: use it from one thread at a time.
final class VideoDecoder {
    /// What `receive()` produced.
    enum Output: Equatable {
        /// A frame is in `frame`.
        case frame
        /// The decoder needs more input first.
        case needsInput
        /// The decoder is fully drained.
        case endOfStream
        /// The decoder rejected data (damaged input); decoding can go on.
        case failed(Int32)
    }

    /// What `send(_:)` did with a packet.
    enum Input: Equatable {
        /// The decoder took the packet.
        case accepted
        /// The decoder's output must be read before it takes more input.
        case outputPending
        /// The decoder rejected the packet (damaged input); decoding can go on.
        case rejected(Int32)
    }

    /// The codec state.
    let context: UnsafeMutablePointer<AVCodecContext>
    /// The frame `receive()` fills. Valid until the next `receive()`.
    let frame: UnsafeMutablePointer<AVFrame>

    /// Opens a decoder for `stream` of the file at `path`.
    init(stream: UnsafeMutablePointer<AVStream>, path: String) throws(VideoError) {
        let parameters = stream.pointee.codecpar!
        let codecName = String(cString: avcodec_get_name(parameters.pointee.codec_id))
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw VideoError(
                .unsupportedCodec, path: path,
                description: "'\(path)' uses the \(codecName) video codec, which this FFmpeg cannot decode"
                    + " — convert it, e.g. with ffmpeg -c:v libx264")
        }
        guard let context = avcodec_alloc_context3(codec), let frame = av_frame_alloc() else {
            fatalError("FFmpeg could not allocate a decoder: out of memory")
        }
        func fail(_ code: Int32) -> VideoError {
            var pointer: UnsafeMutablePointer<AVCodecContext>? = context
            avcodec_free_context(&pointer)
            var framePointer: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&framePointer)
            return VideoError(
                .unsupportedCodec, path: path,
                description: "cannot open the \(codecName) decoder for '\(path)' (\(FFmpegStatus.message(for: code)))")
        }
        let copied = avcodec_parameters_to_context(context, parameters)
        guard copied >= 0 else { throw fail(copied) }
        context.pointee.pkt_timebase = stream.pointee.time_base
        vtok_enable_threading(context, Int32(Self.threadCount))
        let opened = avcodec_open2(context, codec, nil)
        guard opened >= 0 else { throw fail(opened) }
        self.context = context
        self.frame = frame
    }

    deinit {
        var pointer: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&pointer)
        var framePointer: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&framePointer)
    }

    /// Decoder threads: twice the cores, at least 4 and at most 16, or `VTOK_DECODE_THREADS`.
    ///
    /// Sampling skips many frames, so frame threads often finish early and wait on their
    /// references; more threads than cores keep the cores busy (on 2 cores, 4 threads read the
    /// benchmark clip about 10% faster than libavcodec's automatic 3).
    static var threadCount: Int {
        if let text = ProcessInfo.processInfo.environment["VTOK_DECODE_THREADS"], let n = Int(text), n >= 0 {
            return n
        }
        return min(16, max(4, 2 * ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Which frames the decoder may skip for the packets sent next. With frame threading,
    /// libavcodec hands the current value to the worker thread with each packet.
    var skipFrame: AVDiscard {
        get { context.pointee.skip_frame }
        set { context.pointee.skip_frame = newValue }
    }

    /// Sends a packet, or `nil` to start draining.
    func send(_ packet: UnsafePointer<AVPacket>?) -> Input {
        let status = avcodec_send_packet(context, packet)
        if status >= 0 || status == FFmpegStatus.endOfFile { return .accepted }
        if status == FFmpegStatus.tryAgain { return .outputPending }
        return .rejected(status)
    }

    /// Receives the next decoded frame into `frame`, if one is ready.
    func receive() -> Output {
        let status = avcodec_receive_frame(context, frame)
        if status >= 0 { return .frame }
        if status == FFmpegStatus.tryAgain { return .needsInput }
        if status == FFmpegStatus.endOfFile { return .endOfStream }
        return .failed(status)
    }

    /// Drops all buffered input and output, so decoding can restart at a keyframe.
    func flush() {
        avcodec_flush_buffers(context)
    }
}
