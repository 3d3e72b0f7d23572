#!/usr/bin/env python3
"""NumPy reference for GSPN's line-scan propagation (shared/specs/encoders.md, PART B, B.1-B.4).

Written from the spec as plain loops over columns; float64 accumulation, float32 output.

  gspn_reference.py scan   IN_DIR OUT.npy [--chunk N] [--normalize]
      IN_DIR holds x.npy, lam.npy, gm.npy, g0.npy, gp.npy (each [maps, H, W]). With --normalize the
      three gate files are raw gates and go through normalize_w first.
  gspn_reference.py normalize IN_DIR OUT_DIR
      writes gm.npy, g0.npy, gp.npy normalised from the raw gates in IN_DIR.
  gspn_reference.py core   IN_DIR OUT.npy --chunk N
      IN_DIR holds x.npy [C', H, W] and down.npy [d_s, C'], up.npy [12C', d_s], lam.npy, u.npy,
      d.npy [4C', d_s], merge.npy [4]; writes the GSPN-1 propagation core output [C', H, W].
"""
import argparse
import os
import sys

import numpy as np


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def normalize_w(gm, g0, gp):
    """B.2: sigmoid, row-stochastic over the valid neighbours along H (axis -2), den clamp 1e-7."""
    sm, s0, sp = sigmoid(gm), sigmoid(g0), sigmoid(gp)
    den = sm + s0 + sp
    den[..., 0, :] = s0[..., 0, :] + sp[..., 0, :]     # no upper neighbour
    den[..., -1, :] = sm[..., -1, :] + s0[..., -1, :]  # no lower neighbour (assigned last, wins for H = 1)
    den = np.maximum(den, 1e-7)
    return sm / den, s0 / den, sp / den


def scan(x, lam, gm, g0, gp, chunk):
    """B.1: column-wise recurrence with three neighbours; state restarts at each chunk start."""
    maps, H, W = x.shape
    hs = np.zeros((maps, H, W), dtype=np.float64)
    for m in range(maps):
        for w in range(W):
            first = (w % chunk) == 0
            for r in range(H):
                v = lam[m, r, w] * x[m, r, w]
                if not first:
                    if r - 1 >= 0:
                        v += gm[m, r, w] * hs[m, r - 1, w - 1]
                    v += g0[m, r, w] * hs[m, r, w - 1]
                    if r + 1 < H:
                        v += gp[m, r, w] * hs[m, r + 1, w - 1]
                hs[m, r, w] = v
    return hs


def conv1x1(weight, x):
    """1x1 conv, weight [out, in], x [in, H, W] -> [out, H, W]."""
    return np.einsum("oi,ihw->ohw", weight, x)


def core(x, down, up, lam_w, u_w, d_w, merge, chunk):
    """B.3-B.4: GSPNv1.forward_corev1 for one image x [C', H, W] (square)."""
    C, H, W = x.shape
    assert H == W, "the four-direction stack needs a square map"
    z = conv1x1(down, x)
    g = conv1x1(up, z)
    gm, g0, gp = g[:4 * C], g[4 * C:8 * C], g[8 * C:]
    lam = conv1x1(lam_w, z)
    u = conv1x1(u_w, z)
    ds = conv1x1(d_w, z)
    xt = np.transpose(x, (0, 2, 1))
    xs = np.concatenate([x, xt, x[:, :, ::-1], xt[:, :, ::-1]], axis=0)
    gm, g0, gp = normalize_w(gm, g0, gp)
    hs = scan(xs, lam, gm, g0, gp, chunk)
    y = u * hs + ds * xs
    # m_conv over the (4, C'*H, W) view, no un-flip / un-transpose (released quirk).
    y4 = y.reshape(4, C * H, W)
    out = np.einsum("k,kpw->pw", merge, y4)
    return out.reshape(C, H, W)


def load(d, name):
    return np.load(os.path.join(d, name + ".npy")).astype(np.float64)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["scan", "normalize", "core"])
    p.add_argument("inp")
    p.add_argument("out")
    p.add_argument("--chunk", type=int, default=0)
    p.add_argument("--normalize", action="store_true")
    a = p.parse_args()
    if a.mode == "normalize":
        gm, g0, gp = normalize_w(load(a.inp, "gm"), load(a.inp, "g0"), load(a.inp, "gp"))
        os.makedirs(a.out, exist_ok=True)
        for name, v in (("gm", gm), ("g0", g0), ("gp", gp)):
            np.save(os.path.join(a.out, name + ".npy"), v.astype("<f4"))
        return
    if a.mode == "scan":
        x = load(a.inp, "x")
        W = x.shape[-1]
        chunk = a.chunk if a.chunk > 0 else W
        gm, g0, gp = load(a.inp, "gm"), load(a.inp, "g0"), load(a.inp, "gp")
        if a.normalize:
            gm, g0, gp = normalize_w(gm, g0, gp)
        out = scan(x, load(a.inp, "lam"), gm, g0, gp, chunk)
    else:
        x = load(a.inp, "x")
        chunk = a.chunk if a.chunk > 0 else x.shape[-1]
        out = core(x, load(a.inp, "down"), load(a.inp, "up"), load(a.inp, "lam"), load(a.inp, "u"),
                   load(a.inp, "d"), load(a.inp, "merge"), chunk)
    np.save(a.out, np.ascontiguousarray(out, dtype="<f4"))


if __name__ == "__main__":
    sys.exit(main())
