import CFFmpeg

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes RGB images as PNG files with FFmpeg's own PNG encoder (for report pictures).
public enum PNGWriter {
    /// Encodes `rgb` (interleaved 8-bit R, G, B, row-major, `3 × width × height` bytes) as a
    /// PNG file at `path`.
    ///
    /// The file appears atomically: the image is written to `<path>.tmp-<pid>` and renamed
    /// into place; the temporary file is removed if anything fails.
    ///
    /// - Throws: `VideoError` (`.writeFailed`) when the size does not match the pixels, the
    ///   encoder fails, or the file cannot be written.
    public static func write(rgb: [UInt8], width: Int, height: Int, to path: String) throws {
        func failure(_ reason: String) -> VideoError {
            VideoError(.writeFailed, path: path, description: "cannot write '\(path)': \(reason)")
        }
        guard width > 0, height > 0, width <= 65535, height <= 65535 else {
            throw failure("the image size \(width)x\(height) is invalid — use 1 to 65535 pixels a side")
        }
        guard rgb.count == 3 * width * height else {
            throw failure("\(rgb.count) bytes given for a \(width)x\(height) RGB image (need \(3 * width * height))")
        }
        let png = try encode(rgb: rgb, width: width, height: height, failure: failure)
        try writeAtomically(png, to: path, failure: failure)
    }

    private static func encode(
        rgb: [UInt8], width: Int, height: Int, failure: (String) -> VideoError
    ) throws(VideoError) -> [UInt8] {
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG) else {
            throw failure("this FFmpeg has no PNG encoder")
        }
        var context = avcodec_alloc_context3(codec)
        var frame = av_frame_alloc()
        var packet = av_packet_alloc()
        defer {
            avcodec_free_context(&context)
            av_frame_free(&frame)
            av_packet_free(&packet)
        }
        guard let context, let frame, let packet else {
            fatalError("FFmpeg could not allocate an encoder: out of memory")
        }
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        context.pointee.pix_fmt = AV_PIX_FMT_RGB24
        context.pointee.time_base = AVRational(num: 1, den: 1)
        func check(_ status: Int32, _ step: String) throws(VideoError) {
            if status < 0 { throw failure("PNG \(step) failed (\(FFmpegStatus.message(for: status)))") }
        }
        try check(avcodec_open2(context, codec, nil), "encoder setup")

        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = AV_PIX_FMT_RGB24.rawValue
        try check(av_frame_get_buffer(frame, 0), "frame allocation")
        let rowBytes = 3 * width
        let stride = Int(vtok_frame_linesize(frame, 0))
        guard let plane = vtok_frame_plane(frame, 0) else { throw failure("PNG frame has no pixels") }
        rgb.withUnsafeBufferPointer { source in
            for row in 0..<height {
                (plane + row * stride).update(from: source.baseAddress! + row * rowBytes, count: rowBytes)
            }
        }
        frame.pointee.pts = 0

        try check(avcodec_send_frame(context, frame), "encoding")
        try check(avcodec_send_frame(context, nil), "encoding")
        var png: [UInt8] = []
        while true {
            let status = avcodec_receive_packet(context, packet)
            if status == FFmpegStatus.endOfFile { break }
            try check(status, "encoding")
            let data = UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size))
            png.append(contentsOf: data)
            av_packet_unref(packet)
        }
        guard !png.isEmpty else { throw failure("the PNG encoder produced no data") }
        return png
    }

    private static func writeAtomically(
        _ bytes: [UInt8], to path: String, failure: (String) -> VideoError
    ) throws(VideoError) {
        let temporary = "\(path).tmp-\(getpid())"
        func systemError(_ action: String) -> VideoError {
            let reason = String(cString: strerror(errno))
            return failure("\(action) failed (\(reason)) — check the folder exists and is writable")
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw systemError("creating '\(temporary)'") }
        var written = 0
        let complete = bytes.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let result = systemWrite(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += result
            }
            return true
        }
        let writeError = complete ? nil : systemError("writing")
        let closed = close(descriptor) == 0
        if let writeError {
            unlink(temporary)
            throw writeError
        }
        guard closed else {
            let error = systemError("closing '\(temporary)'")
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = systemError("renaming '\(temporary)'")
            unlink(temporary)
            throw error
        }
    }
}

/// POSIX `write(2)`, named apart from `PNGWriter.write`.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
