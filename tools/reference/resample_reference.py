#!/usr/bin/env python3
"""Independent NumPy reference for vtok's Resampler (Sources/Reduction/Resampler.swift).

Usage:  python3 resample_reference.py IN.npy FILTER OUT_W OUT_H OUT.npy

IN.npy   float32 [C, H, W] planar image (other float dtypes are cast to float32).
FILTER   "bilinear" or "bicubic".
OUT.npy  float32 [C, OUT_H, OUT_W].

Semantics: torch.nn.functional.interpolate(x, size=(OUT_H, OUT_W), mode=FILTER,
align_corners=False, antialias=False) on the CPU, written from its documented
behaviour; all arithmetic is float32, in the order the CPU kernel uses.

Per axis (input size n, output size m), for every output index d:
  scale = float32(n) / float32(m)
  src   = scale * (d + 0.5) - 0.5
  If n == m the axis is copied unchanged.
  bilinear: src = max(src, 0); i0 = min(floor(src), n - 1);
            lam = clip(src - i0, 0, 1); i1 = i0 + 1 if i0 < n - 1 else i0;
            taps (i0, 1 - lam), (i1, lam).
  bicubic:  src is not clamped; i = floor(src); t = src - i;
            taps i-1, i, i+1, i+2, each clamped into [0, n-1], weights
            W(t+1), W(t), W(u), W(u+1) with u = 1 - t and the Keys cubic
            kernel, A = -0.75:
              W(x) = ((A+2)x - (A+3)) x^2 + 1           for |x| <= 1
              W(x) = ((A x - 5A) x + 8A) x - 4A          for 1 < |x| < 2
The 2-D result is out[y, x] = sum_j wy_j * (sum_k wx_k * in[iy_j, ix_k]), each sum
accumulated from the first tap to the last (horizontal first, then vertical).
The output is not clamped (bicubic overshoot is kept).

Rounding.  PyTorch's x86-64 CPU build (GCC contracts a*b+c into fused
multiply-adds) rounds src = scale*(d+0.5)-0.5 once for bicubic, and for
bilinear when OUT_W + OUT_H <= 128 (the separable kernel it uses for small
outputs); larger bilinear outputs round the product and the difference
separately.  In W(x) for 1 < |x| < 2 the first two Horner steps are fused.
This reference does the same (a fused step is emulated in float64, where the
product of two float32 values is exact), so its weights equal PyTorch's
(checked against torch 2.15 CPU: interior weights bit-identical, outputs within
1e-6); the remaining output differences come from PyTorch fusing the pixel sums.
"""

import sys

import numpy as np

F32 = np.float32
A = F32(-0.75)


def fused(a, b, c):
    """float32 fused multiply-add a*b + c with a single rounding.

    The product of two float32 values is exact in float64, so only the final
    conversion rounds (barring a negligible double-rounding tie)."""
    return F32(np.float64(a) * np.float64(b) + np.float64(c))


def cubic_near(x):
    """Keys kernel for |x| <= 1: ((A+2)x - (A+3)) x^2 + 1."""
    return ((A + F32(2)) * x - (A + F32(3))) * x * x + F32(1)


def cubic_far(x):
    """Keys kernel for 1 < |x| < 2: ((A x - 5A) x + 8A) x - 4A, first two steps fused."""
    inner = fused(A, x, -(F32(5) * A))
    return fused(inner, x, F32(8) * A) * x - F32(4) * A


def uses_fused_source(mode, out_w, out_h):
    """Whether src is rounded once (fused) or twice (product, then difference)."""
    return mode == "bicubic" or out_w + out_h <= 128


def source_index(scale, d, fused_source):
    if fused_source:
        return fused(scale, F32(d) + F32(0.5), F32(-0.5))
    return scale * (F32(d) + F32(0.5)) - F32(0.5)


def axis_taps(n, m, mode, fused_source):
    """Returns (indices [m, k] int64, weights [m, k] float32), or None for a copy."""
    if n < 1 or m < 1:
        raise ValueError(f"sizes must be positive (in {n}, out {m})")
    if n == m:
        return None
    scale = F32(n) / F32(m)
    k = 2 if mode == "bilinear" else 4
    idx = np.zeros((m, k), dtype=np.int64)
    wts = np.zeros((m, k), dtype=np.float32)
    for d in range(m):
        src = source_index(scale, d, fused_source)
        if mode == "bilinear":
            if src < 0:
                src = F32(0)
            i0 = min(int(np.floor(src)), n - 1)
            lam = min(max(src - F32(i0), F32(0)), F32(1))
            idx[d] = [i0, i0 + 1 if i0 < n - 1 else i0]
            wts[d] = [F32(1) - lam, lam]
        else:
            i = min(int(np.floor(src)), n - 1)
            t = min(max(src - F32(i), F32(0)), F32(1))
            u = F32(1) - t
            wts[d] = [cubic_far(t + F32(1)), cubic_near(t), cubic_near(u), cubic_far(u + F32(1))]
            idx[d] = [min(max(i - 1 + j, 0), n - 1) for j in range(4)]
    return idx, wts


def resample_axis(x, taps, axis):
    """Weighted sum of taps along `axis` of a float32 array, first tap to last."""
    if taps is None:
        return x.copy()
    idx, wts = taps
    shape = [1] * x.ndim
    shape[axis] = idx.shape[0]
    acc = None
    for j in range(idx.shape[1]):
        term = np.take(x, idx[:, j], axis=axis) * wts[:, j].reshape(shape)
        acc = term if acc is None else (acc + term).astype(np.float32)
    return acc.astype(np.float32)


def resample(image, mode, out_w, out_h):
    if mode not in ("bilinear", "bicubic"):
        raise ValueError(f"unknown filter {mode!r}")
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3:
        raise ValueError(f"expected [C, H, W], got shape {image.shape}")
    _, h, w = image.shape
    fused_source = uses_fused_source(mode, out_w, out_h)
    tmp = resample_axis(image, axis_taps(w, out_w, mode, fused_source), axis=2)
    return resample_axis(tmp, axis_taps(h, out_h, mode, fused_source), axis=1)


def main(argv):
    if len(argv) != 6:
        sys.stderr.write(__doc__)
        return 2
    _, in_path, mode, out_w, out_h, out_path = argv
    out = resample(np.load(in_path), mode, int(out_w), int(out_h))
    np.save(out_path, np.ascontiguousarray(out, dtype=np.float32))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
