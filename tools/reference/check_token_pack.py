#!/usr/bin/env python3
"""Checks a vtok token pack with the real `safetensors` reader and an independent decode.

Usage: check_token_pack.py PACK VIDEO WIDTH HEIGHT [TOLERANCE]

Written from the token-pack format in the README, not from vtok's Swift code:
  tokens [N, 768] F32/F16/BF16, coords [N, 4] I32 (t, row, col, scale),
  frame_tokens [T] I32, frame_pts [T] F64, frame_index [T] I64,
  __metadata__: format, pipeline, source, report (JSON strings).
Token values are compared with frames that the ffmpeg tool decodes and scales itself
(bicubic, planar float RGB), cut into 16x16 patches in (channel, y, x) order.
Prints "OK ..." and exits 0, or prints what differs and exits 1.
"""
import json
import struct
import subprocess
import sys

import numpy as np
from safetensors import safe_open

PATCH = 16


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def read_bf16(path, name):
    """BF16 has no NumPy dtype: read the tensor's bytes from the header ourselves."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        entry = header[name]
        begin, end = entry["data_offsets"]
        f.seek(8 + n + begin)
        raw = np.frombuffer(f.read(end - begin), dtype="<u2")
    return (raw.astype(np.uint32) << 16).view(np.float32).reshape(entry["shape"]), entry["dtype"]


def ffprobe_pts(video):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time,best_effort_timestamp_time",
         "-of", "csv=p=0", video], capture_output=True, text=True, check=True).stdout
    times = []
    for line in out.splitlines():
        fields = [x for x in line.split(",") if x not in ("", "N/A")]
        if fields:
            times.append(float(fields[0]))
    times.sort()
    return np.array(times) - times[0]


def decode_frame(video, index, width, height):
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", video, "-vf", f"select=eq(n\\,{index}),scale={width}:{height}:flags=bicubic",
         "-fps_mode", "passthrough", "-frames:v", "1", "-pix_fmt", "gbrpf32le", "-f", "rawvideo", "-"],
        capture_output=True, check=True).stdout
    planes = np.frombuffer(raw, dtype="<f4").reshape(3, height, width)
    return np.clip(np.stack([planes[2], planes[0], planes[1]]), 0, 1)  # G,B,R -> R,G,B


def main():
    if len(sys.argv) not in (5, 6):
        print(__doc__)
        sys.exit(2)
    path, video, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    tolerance = float(sys.argv[5]) if len(sys.argv) == 6 else 0.02

    with safe_open(path, framework="np") as f:
        names = set(f.keys())
        meta = f.metadata()
        expected = {"tokens", "coords", "frame_tokens", "frame_pts", "frame_index"}
        if names != expected:
            fail(f"tensors {sorted(names)} != {sorted(expected)}")
        coords = f.get_tensor("coords")
        frame_tokens = f.get_tensor("frame_tokens")
        frame_pts = f.get_tensor("frame_pts")
        frame_index = f.get_tensor("frame_index")
        try:
            tokens = f.get_tensor("tokens")
            token_dtype = {"float32": "F32", "float16": "F16"}[str(tokens.dtype)]
            tokens = tokens.astype(np.float32)
        except (TypeError, ValueError, KeyError):
            tokens, token_dtype = read_bf16(path, "tokens")

    for name, array, dtype in [("coords", coords, np.int32), ("frame_tokens", frame_tokens, np.int32),
                               ("frame_pts", frame_pts, np.float64), ("frame_index", frame_index, np.int64)]:
        if array.dtype != dtype:
            fail(f"{name} has dtype {array.dtype}, expected {np.dtype(dtype)}")
    n = tokens.shape[0]
    T = frame_tokens.shape[0]
    if tokens.shape != (n, 3 * PATCH * PATCH):
        fail(f"tokens shape {tokens.shape}")
    if coords.shape != (n, 4) or frame_pts.shape != (T,) or frame_index.shape != (T,):
        fail(f"shapes coords {coords.shape} frame_pts {frame_pts.shape} frame_index {frame_index.shape}")
    if int(frame_tokens.sum()) != n:
        fail(f"frame_tokens sum {frame_tokens.sum()} != N {n}")
    counts = np.bincount(coords[:, 0], minlength=T)
    if not np.array_equal(counts, frame_tokens):
        fail("per-frame counts from coords differ from frame_tokens")
    order = np.lexsort((coords[:, 2], coords[:, 1], coords[:, 3], coords[:, 0]))
    if not np.array_equal(order, np.arange(n)):
        fail("tokens are not in stream order (frame, scale, row, col)")
    rows, cols = height // PATCH, width // PATCH
    if n and (coords[:, 1].max() >= rows or coords[:, 2].max() >= cols or coords[:, 3].max() != 0):
        fail("coords outside the grid")

    if meta.get("format") != "vtok.tokenpack":
        fail(f"metadata format {meta.get('format')}")
    report = json.loads(meta["report"])
    for key in ["frames", "tokens_in", "tokens_out", "compression_ratio", "stages", "psnr_db"]:
        if key not in report:
            fail(f"report lacks {key}")
    json.loads(meta["pipeline"])
    json.loads(meta["source"])
    if report["tokens_out"] != n or report["frame_tokens"] != frame_tokens.tolist():
        fail("report counts differ from the tensors")
    if report["tokens_in"] != T * rows * cols:
        fail(f"report tokens_in {report['tokens_in']} != T*rows*cols {T * rows * cols}")

    pts = ffprobe_pts(video)
    if np.max(np.abs(pts[frame_index] - frame_pts)) > 1e-6:
        fail(f"frame_pts differ from ffprobe: {frame_pts[:5]} vs {pts[frame_index][:5]}")

    worst = 0.0
    for t in sorted({0, T // 2, T - 1}):
        frame = decode_frame(video, int(frame_index[t]), width, height)
        patches = frame.reshape(3, rows, PATCH, cols, PATCH).transpose(1, 3, 0, 2, 4).reshape(rows * cols, -1)
        mine = np.where(coords[:, 0] == t)[0]
        if len(mine) == 0:
            continue
        cells = coords[mine, 1] * cols + coords[mine, 2]
        diff = float(np.mean(np.abs(tokens[mine] - patches[cells])))
        worst = max(worst, diff)
        if diff > tolerance:
            fail(f"frame {t}: tokens differ from ffmpeg's decode by {diff:.4f} on average (> {tolerance})")
    print(f"OK {n} tokens {token_dtype}, {T} frames, worst mean |diff| {worst:.5f}")


if __name__ == "__main__":
    main()
