// C shim for FFmpeg: the headers vtok uses, plus `static inline` helpers for what Swift
// cannot import (function-like macros, FFERRTAG constants, cast expressions) and for fields
// whose spelling changed between FFmpeg versions (5.1 on Debian 12, 6.1, 7.x).
//
// Keep everything here `static inline`: non-static globals in a shim header cause
// duplicate-symbol link errors.
#ifndef VTOK_CFFMPEG_SHIM_H
#define VTOK_CFFMPEG_SHIM_H

#include <errno.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libavutil/rational.h>
#include <libswscale/swscale.h>

// MARK: - Error codes

/// `AVERROR(e)` for a POSIX error number `e` (e.g. `EAGAIN`).
static inline int vtok_averror(int e) { return AVERROR(e); }

/// `AVERROR(EAGAIN)`: the codec needs input or output before it can go on.
static inline int vtok_averror_eagain(void) { return AVERROR(EAGAIN); }

/// `AVERROR_EOF`: end of stream.
static inline int vtok_averror_eof(void) { return AVERROR_EOF; }

/// `AVERROR_INVALIDDATA`: invalid data found when processing input.
static inline int vtok_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }

/// `AVERROR(ENOENT)`: no such file or directory.
static inline int vtok_averror_enoent(void) { return AVERROR(ENOENT); }

/// `AVERROR_DECODER_NOT_FOUND`.
static inline int vtok_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }

/// `AVERROR_STREAM_NOT_FOUND`.
static inline int vtok_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }

/// Writes FFmpeg's message for `code` into `buffer` (a replacement for `av_err2str`, which
/// uses a compound literal Swift cannot import). Always NUL-terminates.
static inline const char *vtok_error_string(int code, char *buffer, size_t size) {
    if (size == 0) return buffer;
    if (av_strerror(code, buffer, size) < 0) {
        snprintf(buffer, size, "error %d", code);
    }
    buffer[size - 1] = '\0';
    return buffer;
}

// MARK: - Timestamps

/// `AV_NOPTS_VALUE`: "no timestamp".
static inline int64_t vtok_nopts_value(void) { return AV_NOPTS_VALUE; }

// MARK: - Packets and frames

/// Whether the packet holds a keyframe (`AV_PKT_FLAG_KEY`).
static inline int vtok_packet_is_key(const AVPacket *pkt) { return (pkt->flags & AV_PKT_FLAG_KEY) != 0; }

/// Whether the demuxer marked the packet's frame to be decoded but not shown
/// (`AV_PKT_FLAG_DISCARD`, e.g. edit-list pre-roll in MP4).
static inline int vtok_packet_is_discard(const AVPacket *pkt) {
    return (pkt->flags & AV_PKT_FLAG_DISCARD) != 0;
}

/// Whether the decoded frame is a keyframe. FFmpeg 6.1 moved this from `key_frame` to
/// `flags & AV_FRAME_FLAG_KEY`; 5.1 has only the field.
static inline int vtok_frame_is_key(const AVFrame *frame) {
#ifdef AV_FRAME_FLAG_KEY
    return (frame->flags & AV_FRAME_FLAG_KEY) != 0;
#else
    return frame->key_frame != 0;
#endif
}

/// Whether the decoder flagged the frame as damaged (`AV_FRAME_FLAG_CORRUPT` or
/// `decode_error_flags`).
static inline int vtok_frame_is_corrupt(const AVFrame *frame) {
    return (frame->flags & AV_FRAME_FLAG_CORRUPT) != 0 || frame->decode_error_flags != 0;
}

/// The frame's presentation timestamp: its `pts` (carried over from its packet), falling back
/// to `best_effort_timestamp` and then `pkt_dts`.
static inline int64_t vtok_frame_timestamp(const AVFrame *frame) {
    if (frame->pts != AV_NOPTS_VALUE) return frame->pts;
    if (frame->best_effort_timestamp != AV_NOPTS_VALUE) return frame->best_effort_timestamp;
    return frame->pkt_dts;
}

/// Plane `i` of a frame (`frame->data[i]`); `data` imports into Swift as a tuple.
static inline uint8_t *vtok_frame_plane(const AVFrame *frame, int i) {
    return (i >= 0 && i < AV_NUM_DATA_POINTERS) ? frame->data[i] : NULL;
}

/// Bytes per row of plane `i` (`frame->linesize[i]`).
static inline int vtok_frame_linesize(const AVFrame *frame, int i) {
    return (i >= 0 && i < AV_NUM_DATA_POINTERS) ? frame->linesize[i] : 0;
}

// MARK: - Codec context

/// Turns on libavcodec's own frame and slice threading with `count` threads (0: automatic).
static inline void vtok_enable_threading(AVCodecContext *ctx, int count) {
    ctx->thread_count = count;
    ctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
}

// MARK: - Scaling

/// Scales `src` into three caller-owned planes with the given row sizes in bytes.
static inline int vtok_sws_scale_planes(struct SwsContext *ctx, const AVFrame *src, uint8_t *dst0,
                                        uint8_t *dst1, uint8_t *dst2, int linesize0,
                                        int linesize1, int linesize2) {
    uint8_t *dst[4] = {dst0, dst1, dst2, NULL};
    int dstStride[4] = {linesize0, linesize1, linesize2, 0};
    return sws_scale(ctx, (const uint8_t *const *)src->data, src->linesize, 0, src->height, dst,
                     dstStride);
}

/// Sets the source's YUV matrix (an `AVColorSpace`) and range on a scaler whose output is RGB
/// (full range), as FFmpeg's `scale` filter does from the frame's properties.
static inline int vtok_sws_set_source_colorspace(struct SwsContext *ctx, int colorspace,
                                                 int sourceIsFullRange) {
    const int *coefficients = sws_getCoefficients(colorspace);
    return sws_setColorspaceDetails(ctx, coefficients, sourceIsFullRange, coefficients, 1, 0,
                                    1 << 16, 1 << 16);
}

#endif  // VTOK_CFFMPEG_SHIM_H
