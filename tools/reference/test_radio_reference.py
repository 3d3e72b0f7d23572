#!/usr/bin/env python3
"""Self-checks for radio_reference.py (plain asserts). Run: .venv/bin/python3 tools/reference/test_radio_reference.py"""

import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import radio_reference as rr  # noqa: E402

PY = sys.executable


def close(a, b, tol):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    err = float(np.max(np.abs(a - b))) if a.size else 0.0
    assert err <= tol, err
    return err


def test_gelu():
    vals = {0.0: 0.0, 1.0: 0.8413447460685429, -1.0: -0.15865525393145707, 2.0: 1.9544997361036416,
            -3.0: -0.0040496940948904}
    out = rr.gelu(np.array(list(vals)))
    close(out, list(vals.values()), 1e-12)
    # tanh approximation differs noticeably: make sure we are not it
    x = 1.5
    tanh_approx = 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    assert abs(float(rr.gelu(np.array([x]))[0]) - tanh_approx) > 1e-5


def test_bilinear():
    A = rr.bilinear_matrix(128, 32, align_corners=False)
    for i in range(32):
        row = np.zeros(128)
        row[4 * i + 1] = 0.5
        row[4 * i + 2] = 0.5
        close(A[i], row, 1e-15)
    At = rr.bilinear_matrix(128, 32, align_corners=True)
    for i in range(32):
        s = i * 127 / 31
        i0 = int(math.floor(s))
        row = np.zeros(128)
        row[i0] += 1 - (s - i0)
        row[min(i0 + 1, 127)] += s - i0
        close(At[i], row, 1e-15)
    assert At[0, 0] == 1.0 and At[31, 127] == 1.0
    # identity 128 -> 128 for both
    close(rr.bilinear_matrix(128, 128, False), np.eye(128), 0)
    close(rr.bilinear_matrix(128, 128, True), np.eye(128), 0)
    # align False clamps at the left edge: 4 -> 8 output 0 is source 0
    A2 = rr.bilinear_matrix(4, 8, False)
    assert A2[0, 0] == 1.0 and A2[7, 3] == 1.0
    close(A2[1], [0.75, 0.25, 0, 0], 1e-15)
    # CPE: non-square top-left crop of the square resize
    rng = np.random.default_rng(1)
    grid = rng.normal(size=(128, 128, 5))
    full = rr.cpe_for_grid(grid, 32, 32, False).reshape(32, 32, 5)
    part = rr.cpe_for_grid(grid, 32, 16, False).reshape(32, 16, 5)
    close(part, full[:, :16], 1e-14)
    part2 = rr.cpe_for_grid(grid, 8, 32, True).reshape(8, 32, 5)
    full2 = rr.cpe_for_grid(grid, 32, 32, True).reshape(32, 32, 5)
    close(part2, full2[:8], 1e-14)
    close(full[3, 5], grid[13:15, 21:23].mean(axis=(0, 1)), 1e-14)
    close(rr.cpe_for_grid(grid, 128, 64, False).reshape(128, 64, 5), grid[:, :64], 1e-14)


def test_bf16():
    vals = np.array([1.0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5, 0.0, np.inf, np.nan], dtype=np.float32)
    bits = rr.f32_to_bf16_bits(vals)
    assert list(bits[:6]) == [0x3F80, 0x3F80, 0x3F82, 0xC020, 0x0000, 0x7F80], [hex(b) for b in bits]
    assert np.isnan(rr.bf16_bits_to_f32(bits[6:]))[0]


def test_patchify_layout():
    x = np.arange(2 * 3 * 32 * 48, dtype=np.float64).reshape(2, 3, 32, 48)
    p = rr.patchify(x)
    assert p.shape == (2, 6, 768)
    # token 4 = patch row 1, col 1; element c*256 + yy*16 + xx
    for c, yy, xx in [(0, 0, 0), (2, 5, 7), (1, 15, 15)]:
        assert p[1, 4, c * 256 + yy * 16 + xx] == x[1, c, 16 + yy, 16 + xx]


def test_vitdet_schedule():
    m = rr.vitdet_modes(32)
    g = [i for i, s in enumerate(m) if s == "global"]
    assert g == [7, 15, 23, 31], g
    m = rr.vitdet_modes(27)
    g = [i for i, s in enumerate(m) if s == "global"]
    assert g == [5, 11, 17, 23, 26], g
    m = rr.vitdet_modes(32, num_windowed=5)
    g = [i for i, s in enumerate(m) if s == "global"]
    assert g == [5, 11, 17, 23, 29, 31], g
    assert rr.vitdet_modes(2) == ["window", "global"]
    try:
        rr.vitdet_modes(3)
        raise AssertionError("expected failure")
    except ValueError:
        pass


def make(tmp, name, **kw):
    d = os.path.join(tmp, name)
    base = dict(embed=64, depth=2, heads=4, mlp=256, prefix=6, num_cls=3, seed=7)
    base.update(kw)
    rr.make_checkpoint(d, **base)
    return d


def test_checkpoint_and_forward(tmp):
    from safetensors import safe_open
    d = make(tmp, "plain")
    cfg = json.load(open(os.path.join(d, "config.json")))
    assert cfg["args"]["register_multiple"] == 6 and cfg["args"]["cpe_num_registers"] is None
    assert cfg["args"]["model_kwargs"]["num_heads"] == 4
    with safe_open(os.path.join(d, "model.safetensors"), framework="np") as f:
        keys = set(f.keys())
        assert f.get_tensor("radio_model.model.patch_generator.pos_embed").shape == (1, 16384, 64)
        assert f.get_tensor("radio_model.summary_idxs").tolist() == [0, 1, 2]
        assert f.get_tensor("radio_model.input_conditioner.norm_mean").dtype == np.float32
    assert "radio_model.model.blocks.1.mlp.fc2.bias" in keys
    assert not any("grandma" in k or "norm.weight" == k.split("model.")[-1] for k in keys)

    model = rr.RadioRef(d)
    assert (model.T, model.num_cls, model.heads, model.depth, model.D) == (6, 3, 4, 2, 64)
    rng = np.random.default_rng(3)
    imgs = rng.uniform(size=(2, 3, 64, 96)).astype(np.float32)
    s, f = rr.forward(model, imgs)
    assert s.shape == (2, 3 * 64) and f.shape == (2, 24, 64)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(f))

    # align_corners changes outputs for a non-128 grid
    s2, f2 = rr.forward(model, imgs, align_corners=True)
    assert np.max(np.abs(f2 - f)) > 1e-6

    # sparse with all kept == dense
    keep = np.ones((2, 24), bool)
    ss, fs = rr.forward_sparse(model, imgs, keep)
    close(fs, f.reshape(-1, 64), 1e-10)
    close(ss, s, 1e-10)

    # random sparse == dense with masked keys (independent code path), and depends on mask
    keep = rng.uniform(size=(2, 24)) < 0.5
    keep[1] = False
    keep[1, [0, 23]] = True
    ss, fs = rr.forward_sparse(model, imgs, keep)
    sm, fm = rr.forward(model, imgs, key_mask=keep)
    assert fs.shape == (int(keep.sum()), 64)
    close(fs, fm[keep], 1e-10)
    close(ss, sm, 1e-10)
    assert np.max(np.abs(fs - f[keep])) > 1e-6
    # no patch kept: summary from prefix tokens only
    keep0 = np.zeros((2, 24), bool)
    ss0, fs0 = rr.forward_sparse(model, imgs, keep0)
    assert fs0.shape == (0, 64) and ss0.shape == (2, 192)

    # CLI round trip
    ip = os.path.join(tmp, "imgs.npy")
    kp = os.path.join(tmp, "keep.npy")
    np.save(ip, imgs)
    np.save(kp, keep)
    op = os.path.join(tmp, "out.npz")
    subprocess.run([PY, os.path.join(HERE, "radio_reference.py"), "forward", d, ip, op], check=True)
    o = np.load(op)
    assert o["summary"].dtype == np.float32 and o["features"].dtype == np.float32
    close(o["features"], f, 1e-6)
    close(o["summary"], s, 1e-6)
    subprocess.run([PY, os.path.join(HERE, "radio_reference.py"), "forward-sparse", d, ip, kp, op], check=True)
    o = np.load(op)
    close(o["features"], fs, 1e-6)
    close(o["summary"], ss, 1e-6)


def test_variants(tmp):
    rng = np.random.default_rng(5)
    imgs = rng.uniform(size=(1, 3, 64, 64)).astype(np.float32)
    d32 = make(tmp, "v32", layerscale=True, mlpnorm=True, final_norm=True, summary_skip=[1],
               register_style="count")
    cfg = json.load(open(os.path.join(d32, "config.json")))
    assert cfg["args"]["cpe_num_registers"] == 3 and cfg["args"]["register_multiple"] is None
    assert cfg["args"]["model_norm"] is True
    m32 = rr.RadioRef(d32)
    assert m32.blocks[0]["ls1"] is not None and m32.blocks[1]["mlp.norm.weight"] is not None
    assert m32.norm_w is not None and m32.summary_idxs.tolist() == [0, 2]
    s32, f32 = rr.forward(m32, imgs)
    assert s32.shape == (1, 128)
    # same seed in bf16 / f16 / nemotron prefix: close to f32
    for dt, tol in (("bf16", 0.1), ("f16", 0.01)):
        dd = make(tmp, "v_" + dt, layerscale=True, mlpnorm=True, final_norm=True, summary_skip=[1],
                  register_style="count", dtype=dt)
        s, f = rr.forward(rr.RadioRef(dd), imgs)
        e = close(f, f32, tol)
        assert e > 0
    dn = make(tmp, "nemo", layerscale=True, mlpnorm=True, final_norm=True, summary_skip=[1],
              register_style="count", prefix_keys="vision_model.radio_model.")
    mn = rr.RadioRef(dn)
    assert mn.prefix == "vision_model.radio_model."
    s, f = rr.forward(mn, imgs)
    close(f, f32, 0)
    close(s, s32, 0)
    # config align_corners default is honoured
    da = make(tmp, "align", align_corners=True)
    ma = rr.RadioRef(da)
    assert ma.default_align_corners is True
    close(rr.forward(ma, imgs)[1], rr.forward(ma, imgs, align_corners=True)[1], 0)


def test_vitdet(tmp):
    d = make(tmp, "vd", depth=2)
    model = rr.RadioRef(d)
    rng = np.random.default_rng(9)
    imgs = rng.uniform(size=(2, 3, 64, 128)).astype(np.float32)  # 4 x 8 grid, S = 2
    S = 2
    s, f = rr.forward(model, imgs, vitdet_window=S)
    # brute force: block 0 per window (each window alone, no prefix), block 1 global
    e, (h, w) = rr.embed_images(model, imgs.astype(np.float64), False)
    X = np.concatenate([np.broadcast_to(model.token, (2, 6, 64)), e], axis=1).copy()
    out = X.copy()
    for b in range(2):
        for wy in range(h // S):
            for wx in range(w // S):
                idx = [(wy * S + py) * w + wx * S + px for py in range(S) for px in range(S)]
                tok = X[b, [6 + i for i in idx]][None]
                out[b, [6 + i for i in idx]] = rr.block_forward(tok, model.blocks[0], 4)[0]
    out = rr.block_forward(out, model.blocks[1], 4)
    s_ref, f_ref = rr._finish(model, out)
    close(f, f_ref, 1e-12)
    close(s, s_ref, 1e-12)
    s_g, f_g = rr.forward(model, imgs)
    assert np.max(np.abs(f - f_g)) > 1e-6
    # depth 1: ViTDet is a no-op (last block global)
    d1 = make(tmp, "vd1", depth=1)
    m1 = rr.RadioRef(d1)
    close(rr.forward(m1, imgs, vitdet_window=S)[1], rr.forward(m1, imgs)[1], 1e-12)
    try:
        rr.forward(model, imgs[:, :, :48], vitdet_window=S)  # 3 rows of patches: not a multiple
        raise AssertionError("expected failure")
    except ValueError:
        pass


def main():
    test_gelu()
    test_bilinear()
    test_bf16()
    test_patchify_layout()
    test_vitdet_schedule()
    with tempfile.TemporaryDirectory() as tmp:
        test_checkpoint_and_forward(tmp)
        test_variants(tmp)
        test_vitdet(tmp)
    print("OK")


if __name__ == "__main__":
    main()
