import CFFmpeg

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open container (libavformat) and the video stream chosen from it.
///
/// Not thread-safe: use it from one thread at a time.
final class MediaInput {
    /// The path the container was opened from.
    let path: String
    /// The demuxer state.
    private(set) var context: UnsafeMutablePointer<AVFormatContext>
    /// Index of the chosen video stream.
    let streamIndex: Int32

    /// The chosen video stream.
    var stream: UnsafeMutablePointer<AVStream> { context.pointee.streams[Int(streamIndex)]! }

    /// Opens `path` and picks its best video stream (cover art does not count).
    init(path: String) throws(VideoError) {
        self.path = path
        context = try Self.openContext(path: path)
        do {
            streamIndex = try Self.bestVideoStream(in: context, path: path)
        } catch {
            Self.close(context)
            throw error
        }
        discardOtherStreams()
    }

    deinit {
        Self.close(context)
    }

    /// Reads the next packet of any stream into `packet`; `false` at the end of the input or
    /// when the rest of the file cannot be read.
    func readPacket(into packet: UnsafeMutablePointer<AVPacket>) -> Bool {
        av_read_frame(context, packet) >= 0
    }

    /// Seeks the video stream to the last keyframe at or before `timestamp` (stream ticks).
    /// Returns whether the demuxer accepted the seek.
    func seek(toTimestamp timestamp: Int64) -> Bool {
        av_seek_frame(context, streamIndex, timestamp, AVSEEK_FLAG_BACKWARD) >= 0
    }

    /// Closes and reopens the file, so the next packet read is the stream's first.
    func reopen() throws(VideoError) {
        let fresh = try Self.openContext(path: path)
        guard Int32(fresh.pointee.nb_streams) > streamIndex else {
            Self.close(fresh)
            throw VideoError(
                .cannotOpen, path: path,
                description: "cannot reopen '\(path)': the file changed while it was read — try again")
        }
        Self.close(context)
        context = fresh
        discardOtherStreams()
    }

    /// Tells the demuxer to drop every stream but the video stream (cheaper reading).
    private func discardOtherStreams() {
        for i in 0..<Int(context.pointee.nb_streams) where Int32(i) != streamIndex {
            context.pointee.streams[i]?.pointee.discard = AVDISCARD_ALL
        }
    }

    private static func close(_ context: UnsafeMutablePointer<AVFormatContext>) {
        var pointer: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&pointer)
    }

    private static func openContext(path: String) throws(VideoError) -> UnsafeMutablePointer<AVFormatContext> {
        var pointer: UnsafeMutablePointer<AVFormatContext>?
        let opened = avformat_open_input(&pointer, path, nil, nil)
        guard opened >= 0, let context = pointer else {
            throw openError(path: path, code: opened)
        }
        let probed = avformat_find_stream_info(context, nil)
        guard probed >= 0 else {
            avformat_close_input(&pointer)
            throw VideoError(
                .notMedia, path: path,
                description:
                    "'\(path)' is not a media file FFmpeg can read (\(FFmpegStatus.message(for: probed)))")
        }
        return context
    }

    private static func openError(path: String, code: Int32) -> VideoError {
        if code == FFmpegStatus.noSuchFile {
            return VideoError(
                .cannotOpen, path: path, description: "cannot open '\(path)': no such file — check the path")
        }
        if FFmpegStatus.code(code, is: EACCES) {
            return VideoError(
                .cannotOpen, path: path,
                description: "cannot open '\(path)': permission denied — check the file's permissions")
        }
        if FFmpegStatus.code(code, is: EISDIR) {
            return VideoError(
                .cannotOpen, path: path, description: "cannot open '\(path)': it is a directory — give a video file")
        }
        return VideoError(
            .notMedia, path: path,
            description: "'\(path)' is not a media file FFmpeg can read (\(FFmpegStatus.message(for: code)))")
    }

    private static func bestVideoStream(
        in context: UnsafeMutablePointer<AVFormatContext>, path: String
    ) throws(VideoError) -> Int32 {
        func isMovingVideo(_ index: Int) -> Bool {
            guard let stream = context.pointee.streams[index] else { return false }
            return stream.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO
                && (stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC) == 0
        }
        let best = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        if best >= 0, isMovingVideo(Int(best)) { return best }
        if let index = (0..<Int(context.pointee.nb_streams)).first(where: isMovingVideo) {
            return Int32(index)
        }
        throw VideoError(.noVideoStream, path: path, description: "'\(path)' has no video stream")
    }
}
