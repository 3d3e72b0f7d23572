#!/usr/bin/env python3
"""Self-check for autogaze_greedy_reference.py:
python3 tools/reference/test_autogaze_greedy_reference.py"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import autogaze_greedy_reference as ref  # noqa: E402


def smooth_frames(t_count, size, seed=0, drift=0.0):
    """Smooth-ish frames in [0, 1] (sums of low-frequency sinusoids)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size
    frames = np.empty((t_count, 3, size, size), dtype=np.float32)
    params = rng.random((3, 4, 4))
    for t in range(t_count):
        for ch in range(3):
            v = np.zeros_like(yy)
            for j in range(4):
                a, fy, fx, ph = params[ch, j]
                v += 0.2 * a * np.sin(2 * np.pi * ((1 + 3 * fy) * yy + (1 + 3 * fx) * xx)
                                      + 6 * ph + drift * t)
            frames[t, ch] = np.clip(0.5 + v, 0.0, 1.0)
    return frames


def test_ids_and_geometry():
    assert ref.scale_offsets() == [0, 4, 20, 69]
    hand = {
        0: (32, 2, 112, 0, 0, 3), 3: (32, 2, 112, 1, 1, 3),
        4: (64, 4, 56, 0, 0, 2), 5: (64, 4, 56, 0, 1, 2), 19: (64, 4, 56, 3, 3, 2),
        20: (112, 7, 32, 0, 0, 1), 27: (112, 7, 32, 1, 0, 1), 68: (112, 7, 32, 6, 6, 1),
        69: (224, 14, 16, 0, 0, 0), 83: (224, 14, 16, 1, 0, 0), 264: (224, 14, 16, 13, 13, 0),
    }
    for kid, (s, g, cell, r, c, si) in hand.items():
        got = ref.cell_of(kid)
        assert (got["size"], got["grid"], got["cell"], got["row"], got["col"],
                got["scale_index"]) == (s, g, cell, r, c, si), (kid, got)
        assert ref.local_id_of(s, r, c) == kid
    for kid in range(265):
        cl = ref.cell_of(kid)
        assert ref.local_id_of(cl["size"], cl["row"], cl["col"]) == kid
        assert cl["cell"] * cl["grid"] == 224 and cl["cell"] % 8 == 0
    for bad in (-1, 265):
        try:
            ref.cell_of(bad)
            raise AssertionError("expected ValueError")
        except ValueError:
            pass
    # candidate regions: painted content has the cell size and sits at r*cell, c*cell
    x = smooth_frames(1, 224)[0]
    cands = ref.build_candidates(x)
    assert len(cands) == 265
    k = cands[27]  # scale 112, row 1, col 0
    assert (k["y0"], k["x0"], k["cell"], k["q"].shape) == (32, 0, 32, (3, 32, 32))
    k = cands[264]
    assert (k["y0"], k["x0"], k["q"].shape) == (208, 208, (3, 16, 16))
    assert np.array_equal(k["q"], x[:, 208:, 208:])
    assert cands[0]["q"].shape == (3, 112, 112) and cands[4]["q"].shape == (3, 56, 56)
    # caps
    assert ref.pick_cap(0.75) == 198 and ref.pick_cap(1.0) == 265
    assert ref.pick_cap(0.001) == 1 and ref.pick_cap(0.5) == 132


def test_bicubic():
    rng = np.random.default_rng(1)
    img = rng.random((3, 16, 16), dtype=np.float32)
    assert np.array_equal(ref.bicubic_resize(img, 16, 16), img)  # identity
    for (h, w) in [(112, 112), (56, 56), (32, 32), (7, 5), (32, 64)]:
        const = np.full((3, 224 if h <= 32 and w <= 64 else 16, 16), 0.3, np.float32)
        out = ref.bicubic_resize(const, h, w)
        assert np.allclose(out, np.float32(0.3), atol=1e-7, rtol=0), (h, w)
    # rows of a matrix sum to 1 (constant preservation), taps clamped at edges
    for n_in, n_out in [(224, 32), (224, 64), (224, 112), (16, 112), (16, 56), (16, 32)]:
        m = ref.bicubic_matrix(n_in, n_out)
        assert np.allclose(m.sum(axis=1), 1.0, atol=1e-12)
    # hand case: 4 -> 2, src = 0.5 / 2.5, t = 0.5, w = [-0.09375, 0.59375, 0.59375, -0.09375]
    m = ref.bicubic_matrix(4, 2)
    assert np.allclose(m, [[0.5, 0.59375, -0.09375, 0.0],
                           [0.0, -0.09375, 0.59375, 0.5]], atol=0, rtol=0)
    row = np.tile(np.arange(4, dtype=np.float32), (1, 4, 1))  # [1,4,4], x = 0..3
    out = ref.bicubic_resize(row, 4, 2)
    assert np.allclose(out[0, 0], [0.40625, 2.59375], atol=1e-7)
    # output is not clamped: an overshoot at a step edge
    step = np.zeros((1, 8, 8), np.float32)
    step[:, :, 4:] = 1.0
    up = ref.bicubic_resize(step, 8, 32)
    assert up.min() < 0.0 and up.max() > 1.0
    # kernel values at the knots
    assert abs(ref.cubic_weight(0.0) - 1.0) < 1e-15 and ref.cubic_weight(2.0) == 0.0
    assert abs(ref.cubic_weight(1.0)) < 1e-15


def test_constant_frames():
    # flat 0.5 == initial canvas: one pick per frame, the (tied) lowest id 0
    frames = np.full((3, 3, 224, 224), 0.5, np.float32)
    res, rebuilt = ref.select(frames, {"psnr": 40})
    assert res["picks"] == [[[0]], [[0]], [[0]]], res["picks"]
    assert res["tokens_per_frame"] == [1, 1, 1]
    assert res["tokens"] == [[0, 0, 0, 3], [1, 0, 0, 3], [2, 0, 0, 3]]
    assert res["mse"] == 0.0 and res["psnr_db"] is None
    # flat 0.8: frame 0 needs the four tied coarse quadrants 0..3, later frames one pick
    frames = np.full((3, 3, 224, 224), 0.8, np.float32)
    for params in ({"psnr": 30}, {"l1": 0.01}):
        res, rebuilt = ref.select(frames, params)
        assert res["picks"] == [[[0, 1, 2, 3]], [[0]], [[0]]], res["picks"]
        assert all(e[0] < 1e-12 for e in res["frame_error"])
        assert res["tokens_per_frame"] == [4, 1, 1]
        assert res["tokens"][:4] == [[0, 0, 0, 3], [0, 0, 1, 3], [0, 1, 0, 3], [0, 1, 1, 3]]


def check_targets(res, params, cap):
    key = "psnr" if "psnr" in params else "l1"
    thr = 10 ** (-params["psnr"] / 10) if key == "psnr" else params["l1"]
    for fp, fe in zip(res["picks"], res["frame_error"]):
        for picks, err in zip(fp, fe):
            assert 1 <= len(picks) <= cap
            assert len(set(picks)) == len(picks)
            assert err <= thr or len(picks) == cap, (err, thr, len(picks))


def test_identical_frame_needs_one_pick():
    f = smooth_frames(1, 224, seed=3)
    frames = np.concatenate([f, f, f], axis=0)
    for params in ({"psnr": 24, "max_ratio": 1.0}, {"l1": 0.03, "max_ratio": 1.0}):
        res, _ = ref.select(frames, params)
        check_targets(res, params, 265)
        assert len(res["picks"][0][0]) > 1
        assert len(res["picks"][0][0]) < 265  # target reached before the cap
        assert [len(p[0]) for p in res["picks"][1:]] == [1, 1], res["picks"]
        # the canvas cannot get worse on a repeated frame
        e = [fe[0] for fe in res["frame_error"]]
        assert e[1] <= e[0] + 1e-15 and e[2] <= e[1] + 1e-15


def test_targets_met_or_cap():
    frames = smooth_frames(3, 224, seed=5, drift=0.7)
    rng = np.random.default_rng(9)
    frames[2] = np.clip(frames[2] + 0.1 * rng.standard_normal(frames[2].shape), 0, 1)
    for params, cap in (({"psnr": 28}, 198), ({"psnr": 60, "max_ratio": 0.1}, 26),
                        ({"l1": 0.02, "max_ratio": 0.5}, 132)):
        res, rebuilt = ref.select(frames, params)
        check_targets(res, params, cap)
        # final errors reported match the rebuilt canvas
        key = "psnr" if "psnr" in params else "l1"
        for t in range(3):
            d = rebuilt[t].astype(np.float64) - frames[t].astype(np.float64)
            want = np.mean(d * d) if key == "psnr" else np.mean(np.abs(d))
            assert abs(res["frame_error"][t][0] - want) < 1e-12
        d = rebuilt.astype(np.float64) - frames.astype(np.float64)
        assert abs(res["mse"] - np.mean(d * d)) < 1e-15
        assert abs(res["psnr_db"] - 10 * math.log10(1 / res["mse"])) < 1e-9
        assert res["tokens_per_frame"] == [len(p[0]) for p in res["picks"]]
    # strict target hits the cap
    res, _ = ref.select(frames, {"psnr": 60, "max_ratio": 0.1})
    assert all(len(p[0]) == 26 for p in res["picks"])


def test_448_four_tiles():
    frames = smooth_frames(2, 448, seed=7, drift=0.5)
    frames[:, :, :224, 224:] = 0.5  # one flat tile
    params = {"psnr": 26, "max_ratio": 0.3}
    res, rebuilt = ref.select(frames, params)
    assert len(res["picks"]) == 2 and all(len(p) == 4 for p in res["picks"])
    assert all(len(e) == 4 for e in res["frame_error"])
    assert res["picks"][0][1] == [0] and res["picks"][1][1] == [0]
    # each tile equals an independent 224 run on its crop
    for tr in range(2):
        for tc in range(2):
            crop = frames[:, :, tr * 224:(tr + 1) * 224, tc * 224:(tc + 1) * 224]
            sub, sub_rebuilt = ref.select(crop, params)
            for t in range(2):
                assert sub["picks"][t][0] == res["picks"][t][tr * 2 + tc]
                assert sub["frame_error"][t][0] == res["frame_error"][t][tr * 2 + tc]
            assert np.array_equal(
                sub_rebuilt, rebuilt[:, :, tr * 224:(tr + 1) * 224, tc * 224:(tc + 1) * 224])
    # stitched token coordinates and ordering
    toks = res["tokens"]
    assert toks == sorted(toks, key=lambda v: (v[0], v[3], v[1], v[2]))
    assert sum(res["tokens_per_frame"]) == len(toks)
    for t, fp in enumerate(res["picks"]):
        want = []
        for tile, picks in enumerate(fp):
            tr, tc = divmod(tile, 2)
            for kid in picks:
                cl = ref.cell_of(kid)
                want.append([t, tr * cl["grid"] + cl["row"], tc * cl["grid"] + cl["col"],
                             cl["scale_index"]])
        assert sorted(want) == sorted(v for v in toks if v[0] == t)
    assert [0, 0, 2, 3] in toks  # flat tile (row 0, col 1) -> id 0 at stitched col 2


def test_greedy_first_pick_is_best_gain():
    # frame 0 from a flat 0.5 canvas: first pick has the largest gain over all 265
    x = smooth_frames(1, 224, seed=11)[0]
    canvas = np.full((3, 224, 224), 0.5, np.float32)
    ec = ref.block_errors(canvas, x, "psnr")
    gains = []
    for k in ref.build_candidates(x):
        n = k["cell"] // 8
        eq = ref.candidate_block_errors(k, x, "psnr")
        gains.append((ec[k["y0"] // 8:k["y0"] // 8 + n, k["x0"] // 8:k["x0"] // 8 + n] - eq).sum())
    picks, _ = ref.greedy_tile_frame(x, canvas.copy(), "psnr", 40, 3)
    assert picks[0] == int(np.argmax(gains))
    assert len(picks) == 3


def test_cli():
    with tempfile.TemporaryDirectory() as d:
        fr = os.path.join(d, "f.npy")
        pa = os.path.join(d, "p.json")
        out = os.path.join(d, "o.json")
        np.save(fr, np.full((2, 3, 224, 224), 0.8, np.float32))
        with open(pa, "w") as f:
            json.dump({"psnr": 30}, f)
        script = os.path.join(HERE, "autogaze_greedy_reference.py")
        r = subprocess.run([sys.executable, script, fr, pa, out], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        with open(out) as f:
            res = json.load(f)
        assert res["picks"] == [[[0, 1, 2, 3]], [[0]]]
        assert set(res) == {"picks", "frame_error", "tokens", "tokens_per_frame", "mse", "psnr_db"}
        bad_cases = [
            (np.zeros((1, 3, 200, 200), np.float32), {"psnr": 30}),
            (np.zeros((1, 3, 224, 448), np.float32), {"psnr": 30}),
            (np.zeros((1, 1, 224, 224), np.float32), {"psnr": 30}),
            (np.zeros((1, 3, 224, 224), np.int32), {"psnr": 30}),
            (np.full((1, 3, 224, 224), np.nan, np.float32), {"psnr": 30}),
            (np.full((1, 3, 224, 224), 1.5, np.float32), {"psnr": 30}),
            (np.zeros((1, 3, 224, 224), np.float32), {}),
            (np.zeros((1, 3, 224, 224), np.float32), {"psnr": 30, "l1": 0.1}),
            (np.zeros((1, 3, 224, 224), np.float32), {"psnr": 30, "max_ratio": 0}),
            (np.zeros((1, 3, 224, 224), np.float32), {"psnr": 30, "max_ratio": 1.5}),
            (np.zeros((1, 3, 224, 224), np.float32), {"l1": -0.1}),
            (np.zeros((1, 3, 224, 224), np.float32), {"psnr": 30, "foo": 1}),
            (np.zeros((1, 3, 224, 224), np.float32), [30]),
        ]
        for frames, params in bad_cases:
            np.save(fr, frames)
            with open(pa, "w") as f:
                json.dump(params, f)
            r = subprocess.run([sys.executable, script, fr, pa, out],
                               capture_output=True, text=True)
            assert r.returncode != 0, (frames.shape, frames.dtype, params)
            assert len(r.stderr.strip().splitlines()) == 1, r.stderr


if __name__ == "__main__":
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_") and callable(v)]
    for fn in tests:
        fn()
        print(f"ok  {fn.__name__}")
    print(f"all {len(tests)} tests passed")
