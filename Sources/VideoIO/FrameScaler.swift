import CFFmpeg

/// Resizes decoded frames with libswscale (bicubic) straight into planar Float32 RGB in [0, 1].
///
/// It asks swscale for `GBRPF32LE` when swscale can produce it, and otherwise for 8-bit `GBRP`
/// divided by 255. swscale writes into an aligned buffer owned here; the planes are then
/// reordered to R, G, B and clamped while copied into the frame's own array. The scaler
/// context is cached and rebuilt only when the source's size, format or colour description
/// changes. Not thread-safe.
final class FrameScaler {
    /// Size of the frames produced.
    let outputSize: FrameSize

    private struct SourceDescription: Equatable {
        var width: Int32
        var height: Int32
        var format: Int32
        var colorSpace: UInt32
        var isFullRange: Bool
    }

    private let usesFloatOutput: Bool
    private let bytesPerSample: Int
    private let rowBytes: Int
    private let planeBytes: Int
    private let buffer: UnsafeMutableRawPointer
    private var context: OpaquePointer?
    private var source: SourceDescription?

    /// A scaler producing frames of `outputSize` (both sides at least 1). Pass
    /// `allowsFloatOutput: false` to force the 8-bit path (for tests).
    init(outputSize: FrameSize, allowsFloatOutput: Bool = true) {
        precondition(outputSize.width > 0 && outputSize.height > 0, "output size must be positive")
        self.outputSize = outputSize
        usesFloatOutput = allowsFloatOutput && sws_isSupportedOutput(AV_PIX_FMT_GBRPF32LE) > 0
        bytesPerSample = usesFloatOutput ? 4 : 1
        rowBytes = (outputSize.width * bytesPerSample + 63) & ~63
        planeBytes = rowBytes * outputSize.height
        buffer = UnsafeMutableRawPointer.allocate(byteCount: 3 * planeBytes + 64, alignment: 64)
    }

    deinit {
        sws_freeContext(context)
        buffer.deallocate()
    }

    /// `frame` resized to `outputSize`: planar R, G, B, each `height × width`, in [0, 1].
    func scale(_ frame: UnsafePointer<AVFrame>, path: String) throws(VideoError) -> [Float] {
        let context = try prepareContext(for: frame, path: path)
        // swscale's planar RGB order is G, B, R.
        let green = buffer.assumingMemoryBound(to: UInt8.self)
        let blue = green + planeBytes
        let red = blue + planeBytes
        let stride = Int32(rowBytes)
        let rows = vtok_sws_scale_planes(context, frame, green, blue, red, stride, stride, stride)
        guard rows == Int32(outputSize.height) else {
            throw VideoError(
                .scalingFailed, path: path,
                description:
                    "cannot resize a frame of '\(path)' to \(outputSize) (swscale produced \(rows) rows)")
        }
        return collectPlanes(red: red, green: green, blue: blue)
    }

    private func prepareContext(
        for frame: UnsafePointer<AVFrame>, path: String
    ) throws(VideoError) -> OpaquePointer {
        let format = frame.pointee.format
        let description = SourceDescription(
            width: frame.pointee.width, height: frame.pointee.height, format: format,
            colorSpace: frame.pointee.colorspace.rawValue,
            isFullRange: frame.pointee.color_range == AVCOL_RANGE_JPEG)
        if let context, description == source { return context }

        let pixelFormat = AVPixelFormat(rawValue: format)
        guard sws_isSupportedInput(pixelFormat) > 0 else {
            let name = av_get_pix_fmt_name(pixelFormat).map { String(cString: $0) } ?? "format \(format)"
            throw VideoError(
                .scalingFailed, path: path,
                description:
                    "cannot resize frames of '\(path)': swscale cannot read the \(name) pixel format")
        }
        let outputFormat = usesFloatOutput ? AV_PIX_FMT_GBRPF32LE : AV_PIX_FMT_GBRP
        guard
            let fresh = sws_getCachedContext(
                context, description.width, description.height, pixelFormat,
                Int32(outputSize.width), Int32(outputSize.height), outputFormat, SWS_BICUBIC, nil, nil, nil)
        else {
            context = nil
            source = nil
            throw VideoError(
                .scalingFailed, path: path,
                description:
                    "cannot resize frames of '\(path)' from \(description.width)x\(description.height) "
                    + "to \(outputSize)")
        }
        _ = vtok_sws_set_source_colorspace(
            fresh, Int32(bitPattern: description.colorSpace), description.isFullRange ? 1 : 0)
        context = fresh
        source = description
        return fresh
    }

    private func collectPlanes(
        red: UnsafeMutablePointer<UInt8>, green: UnsafeMutablePointer<UInt8>,
        blue: UnsafeMutablePointer<UInt8>
    ) -> [Float] {
        let width = outputSize.width
        let height = outputSize.height
        let planeCount = width * height
        return [Float](unsafeUninitializedCapacity: 3 * planeCount) { output, initialized in
            let base = output.baseAddress!
            for (plane, source) in [red, green, blue].enumerated() {
                for row in 0..<height {
                    let target = base + plane * planeCount + row * width
                    let rowStart = UnsafeRawPointer(source + row * rowBytes)
                    if usesFloatOutput {
                        Self.copyClamped(rowStart.assumingMemoryBound(to: Float.self), to: target, count: width)
                    } else {
                        Self.copyNormalized(rowStart.assumingMemoryBound(to: UInt8.self), to: target, count: width)
                    }
                }
            }
            initialized = 3 * planeCount
        }
    }

    @inline(__always)
    private static func copyClamped(
        _ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int
    ) {
        for x in 0..<count {
            let value = source[x]
            target[x] = value < 0 ? 0 : (value > 1 ? 1 : value)
        }
    }

    @inline(__always)
    private static func copyNormalized(
        _ source: UnsafePointer<UInt8>, to target: UnsafeMutablePointer<Float>, count: Int
    ) {
        for x in 0..<count {
            target[x] = Float(source[x]) * (1 / 255)
        }
    }
}
