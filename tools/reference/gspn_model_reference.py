#!/usr/bin/env python3
"""Independent NumPy reference of the GSPN-1 classification backbone (VSSM with the GSPNv1 op).

Written from /work/shared/specs/encoders.md PART B (B.1-B.5): the chunked line scan with three
neighbours, the sigmoid/row-stochastic gate normalisation, the four directions stacked in the
array frame (x, x^T, flip_W x, flip_W x^T) with no inverse transform before the 4->1 merge, the
VSSBlock (LN2d eps 1e-5, in_proj, depthwise 7x7, core, out_norm, GRN eps 1e-6, out_proj, MLP with
erf GELU), the "v2" stem and "v3" downsampling. It reuses nothing from the Swift sources. All
arithmetic is in float64; outputs are written as float32.

CLI
---
  gspn_model_reference.py make-weights DIR --arch tiny-test|gspn-t [--seed S]
        [--global-stages 2,3] [--chunk 2] [--img-size 224] [--drop KEY] [--bad-shape KEY]
      Writes DIR/model.safetensors with the released parameter names (see B.5) and metadata
      (arch, global_stages, items_each_chunk, img_size).
  gspn_model_reference.py forward WEIGHTS IMAGES.npy OUT.npz [--stage K]
      IMAGES.npy float32 [B,3,H,W] in [0,1]. OUT.npz: features float32 [B, h*w, C_K] (tokens
      row-major on the stage grid, channels last); default stage = last.
  gspn_model_reference.py block WEIGHTS X.npy OUT.npz --key layers.I.blocks.D --chunk N
      X.npy float32 [C,H,W]; OUT.npz: y float32 [C,H,W] = one VSSBlock.
"""
import argparse
import json
import math
import sys

import numpy as np

try:
    from scipy.special import erf as _erf
except Exception:  # pragma: no cover
    _erf = np.vectorize(math.erf)

ARCHS = {
    "tiny-test": dict(dims=[16, 32, 64, 128], depths=[1, 1, 1, 1], d_state=4),
    "gspn-t": dict(dims=[96, 192, 384, 768], depths=[2, 2, 7, 2], d_state=8),
}
MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])


# ----------------------------------------------------------------------------- safetensors I/O
def save_safetensors(path, tensors, metadata):
    from safetensors.numpy import save_file
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}, path,
              metadata={k: str(v) for k, v in metadata.items()})


def load_safetensors(path):
    from safetensors import safe_open
    out = {}
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
        for k in f.keys():
            out[k] = f.get_tensor(k).astype(np.float64)
    return out, meta


# ----------------------------------------------------------------------------- weights
def make_weights(arch, seed):
    rng = np.random.default_rng(seed)
    a = ARCHS[arch]
    dims, depths, ds = a["dims"], a["depths"], a["d_state"]
    W = {}

    def lin(o, i, s=None):
        return rng.standard_normal((o, i)) * (s if s is not None else 1.0 / math.sqrt(i))

    def ln(key, c):
        W[key + ".weight"] = 1.0 + 0.1 * rng.standard_normal(c)
        W[key + ".bias"] = 0.05 * rng.standard_normal(c)

    def conv(key, o, i, k, bias=True):
        W[key + ".weight"] = rng.standard_normal((o, i, k, k)) / math.sqrt(i * k * k)
        if bias:
            W[key + ".bias"] = 0.05 * rng.standard_normal(o)

    C = dims[0]
    conv("patch_embed.0", C // 2, 3, 3)
    ln("patch_embed.2", C // 2)
    conv("patch_embed.5", C, C // 2, 3)
    ln("patch_embed.7", C)
    for i, (d, n) in enumerate(zip(dims, depths)):
        cp = int(1.5 * d)
        for b in range(n):
            p = f"layers.{i}.blocks.{b}."
            ln(p + "norm", d)
            ln(p + "norm2", d)
            W[p + "mlp.fc1.weight"] = lin(4 * d, d)
            W[p + "mlp.fc1.bias"] = 0.05 * rng.standard_normal(4 * d)
            W[p + "mlp.fc2.weight"] = lin(d, 4 * d)
            W[p + "mlp.fc2.bias"] = 0.05 * rng.standard_normal(d)
            W[p + "op.in_proj.weight"] = lin(cp, d)
            W[p + "op.conv2d.weight"] = rng.standard_normal((cp, 1, 7, 7)) / 7.0
            W[p + "op.x_conv_down.weight"] = lin(ds, cp)[:, :, None, None]
            W[p + "op.w_conv_up.weight"] = lin(12 * cp, ds, 1.0)[:, :, None, None]
            W[p + "op.l_conv_up.weight"] = lin(4 * cp, ds)[:, :, None, None]
            W[p + "op.u_conv_up.weight"] = lin(4 * cp, ds)[:, :, None, None]
            W[p + "op.d_conv.weight"] = lin(4 * cp, ds)[:, :, None, None]
            W[p + "op.m_conv.weight"] = (0.25 + 0.1 * rng.standard_normal(4)).reshape(1, 4, 1, 1)
            W[p + "op.grn.gamma"] = 0.3 * rng.standard_normal((1, cp, 1, 1))
            W[p + "op.grn.beta"] = 0.05 * rng.standard_normal((1, cp, 1, 1))
            ln(p + "op.out_norm", cp)
            W[p + "op.out_proj.weight"] = lin(d, cp)
        if i < 3:
            conv(f"layers.{i}.downsample.1", 2 * d, d, 3)
            ln(f"layers.{i}.downsample.3", 2 * d)
    ln("classifier.norm", dims[3])
    W["classifier.head.weight"] = lin(10, dims[3])
    W["classifier.head.bias"] = np.zeros(10)
    return W


# ----------------------------------------------------------------------------- primitives
def ln2d(x, w, b, eps=1e-5):
    mu = x.mean(axis=0, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=0, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w[:, None, None] + b[:, None, None]


def gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def conv2d(x, w, b, stride, pad, groups=1):
    """Direct convolution. x [I,H,W], w [O, I/groups, k, k]."""
    I, H, Wd = x.shape
    O, ig, k, _ = w.shape
    xp = np.zeros((I, H + 2 * pad, Wd + 2 * pad))
    xp[:, pad:pad + H, pad:pad + Wd] = x
    Ho = (H + 2 * pad - k) // stride + 1
    Wo = (Wd + 2 * pad - k) // stride + 1
    out = np.zeros((O, Ho, Wo))
    og = O // groups
    for g in range(groups):
        for dy in range(k):
            for dx in range(k):
                patch = xp[g * ig:(g + 1) * ig, dy:dy + stride * Ho:stride, dx:dx + stride * Wo:stride]
                out[g * og:(g + 1) * og] += np.einsum("oi,ihw->ohw", w[g * og:(g + 1) * og, :, dy, dx], patch)
    if b is not None:
        out += b[:, None, None]
    return out


def conv1x1(x, w):
    return np.einsum("oi,ihw->ohw", w.reshape(w.shape[0], -1), x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def scan(x, lam, gm, g0, gp, chunk):
    """B.1: x, lam, gates [K, H, W]; plain loop over columns, restart at each chunk start."""
    K, H, W = x.shape
    hs = np.zeros_like(x)
    for w in range(W):
        cur = lam[:, :, w] * x[:, :, w]
        if w % chunk != 0:
            prev = hs[:, :, w - 1]
            up = np.zeros((K, H))
            up[:, 1:] = prev[:, :-1]    # Hs[r-1, w-1]
            down = np.zeros((K, H))
            down[:, :-1] = prev[:, 1:]  # Hs[r+1, w-1]
            cur = cur + gm[:, :, w] * up + g0[:, :, w] * prev + gp[:, :, w] * down
        hs[:, :, w] = cur
    return hs


def normalize_w(a, b, c):
    sm, s0, sp = sigmoid(a), sigmoid(b), sigmoid(c)
    den = sm + s0 + sp
    den[:, 0, :] = s0[:, 0, :] + sp[:, 0, :]
    den[:, -1, :] = sm[:, -1, :] + s0[:, -1, :]
    den = np.maximum(den, 1e-7)
    return sm / den, s0 / den, sp / den


def gspn_core(x, W, p, chunk):
    """GSPNv1.forward_corev1 for one image: x [C', H, W] -> [C', H, W]."""
    C, H, Wd = x.shape
    if H != Wd:
        raise ValueError("four-direction scan needs a square map")
    z = conv1x1(x, W[p + "x_conv_down.weight"])
    G = conv1x1(z, W[p + "w_conv_up.weight"])
    lam = conv1x1(z, W[p + "l_conv_up.weight"])
    U = conv1x1(z, W[p + "u_conv_up.weight"])
    Ds = conv1x1(z, W[p + "d_conv.weight"])
    xt = x.transpose(0, 2, 1)
    xs = np.concatenate([x, xt, x[:, :, ::-1], xt[:, :, ::-1]], axis=0)
    gm, g0, gp = normalize_w(G[:4 * C], G[4 * C:8 * C], G[8 * C:])
    hs = scan(xs, lam, gm, g0, gp, chunk)
    out = hs * U + xs * Ds
    m = W[p + "m_conv.weight"].reshape(4)
    return sum(m[k] * out[k * C:(k + 1) * C] for k in range(4))


def vss_block(x, W, p, chunk):
    h = ln2d(x, W[p + "norm.weight"], W[p + "norm.bias"])
    u = conv1x1(h, W[p + "op.in_proj.weight"])
    u = conv2d(u, W[p + "op.conv2d.weight"], None, 1, 3, groups=u.shape[0])
    y = gspn_core(u, W, p + "op.", chunk)
    y = ln2d(y, W[p + "op.out_norm.weight"], W[p + "op.out_norm.bias"])
    gx = np.sqrt((y ** 2).sum(axis=(1, 2), keepdims=True))
    nx = gx / (gx.mean(axis=0, keepdims=True) + 1e-6)
    y = W[p + "op.grn.gamma"][0] * (y * nx) + W[p + "op.grn.beta"][0] + y
    x = x + conv1x1(y, W[p + "op.out_proj.weight"])
    h = ln2d(x, W[p + "norm2.weight"], W[p + "norm2.bias"])
    h = gelu(conv1x1(h, W[p + "mlp.fc1.weight"]) + W[p + "mlp.fc1.bias"][:, None, None])
    return x + conv1x1(h, W[p + "mlp.fc2.weight"]) + W[p + "mlp.fc2.bias"][:, None, None]


def backbone(img, W, meta, stage):
    x = (img - MEAN[:, None, None]) / STD[:, None, None]
    x = conv2d(x, W["patch_embed.0.weight"], W["patch_embed.0.bias"], 2, 1)
    x = gelu(ln2d(x, W["patch_embed.2.weight"], W["patch_embed.2.bias"]))
    x = conv2d(x, W["patch_embed.5.weight"], W["patch_embed.5.bias"], 2, 1)
    x = ln2d(x, W["patch_embed.7.weight"], W["patch_embed.7.bias"])
    glob = [int(s) for s in meta.get("global_stages", "2,3").split(",") if s != ""]
    local = int(meta.get("items_each_chunk", "2"))
    img_size = int(meta.get("img_size", "224"))
    i = 0
    while True:
        feat = img_size // 4 // (2 ** i)
        d = 0
        while f"layers.{i}.blocks.{d}.norm.weight" in W:
            is_global = i in glob and (d < 7 or (d + 1) % 7 == 0)
            x = vss_block(x, W, f"layers.{i}.blocks.{d}.", feat if is_global else local)
            d += 1
        if i == stage:
            return x
        x = conv2d(x, W[f"layers.{i}.downsample.1.weight"], W[f"layers.{i}.downsample.1.bias"], 2, 1)
        x = ln2d(x, W[f"layers.{i}.downsample.3.weight"], W[f"layers.{i}.downsample.3.bias"])
        i += 1


# ----------------------------------------------------------------------------- CLI
def main(argv):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make-weights")
    m.add_argument("dir")
    m.add_argument("--arch", default="tiny-test", choices=sorted(ARCHS))
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--global-stages", default="2,3")
    m.add_argument("--chunk", type=int, default=2)
    m.add_argument("--img-size", type=int, default=224)
    m.add_argument("--drop", default=None, help="omit this tensor (error tests)")
    m.add_argument("--bad-shape", default=None, help="append a 1 to this tensor's shape (error tests)")
    f = sub.add_parser("forward")
    f.add_argument("weights")
    f.add_argument("images")
    f.add_argument("out")
    f.add_argument("--stage", type=int, default=3)
    b = sub.add_parser("block")
    b.add_argument("weights")
    b.add_argument("x")
    b.add_argument("out")
    b.add_argument("--key", required=True)
    b.add_argument("--chunk", type=int, required=True)
    a = ap.parse_args(argv)
    if a.cmd == "make-weights":
        import os
        os.makedirs(a.dir, exist_ok=True)
        W = make_weights(a.arch, a.seed)
        if a.drop:
            del W[a.drop]
        if a.bad_shape:
            W[a.bad_shape] = W[a.bad_shape].reshape(W[a.bad_shape].shape + (1,))
        save_safetensors(os.path.join(a.dir, "model.safetensors"), W,
                         {"arch": a.arch, "global_stages": a.global_stages,
                          "items_each_chunk": a.chunk, "img_size": a.img_size})
        print(json.dumps({"tensors": len(W), "params": int(sum(v.size for v in W.values()))}))
    elif a.cmd == "forward":
        W, meta = load_safetensors(a.weights)
        imgs = np.load(a.images).astype(np.float64)
        feats = []
        for img in imgs:
            y = backbone(img, W, meta, a.stage)
            feats.append(y.reshape(y.shape[0], -1).T)
        np.savez(a.out, features=np.stack(feats).astype(np.float32))
    elif a.cmd == "block":
        W, _ = load_safetensors(a.weights)
        x = np.load(a.x).astype(np.float64)
        y = vss_block(x, W, a.key + ".", a.chunk)
        np.savez(a.out, y=y.astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1:])
