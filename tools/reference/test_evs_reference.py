#!/usr/bin/env python3
"""Self-check for evs_reference.py: python3 tools/reference/test_evs_reference.py"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from evs_reference import InputError, reduce, rate_keep_count  # noqa: E402


def test_count_truncation():
    assert rate_keep_count(10 * 256, 256, 0.8, 1) == 511
    assert rate_keep_count(128 * 256, 256, 0.7, 1) == 9830
    assert rate_keep_count(4 * 256, 256, 0.75, 1) == 256
    assert rate_keep_count(4 * 256, 256, 0.99, 1) == 256  # floor of one frame
    assert rate_keep_count(4 * 256, 256, 0.9, 2) == 512  # refresh floor


def test_static_left_half_threshold():
    rng = np.random.default_rng(0)
    T, H, W = 5, 32, 64  # P = 2 x 4, left half = columns 0,1
    frames = rng.random((T, 3, H, W), dtype=np.float32)
    frames[:, :, :, : W // 2] = frames[0, :, :, : W // 2]
    for metric in ("l1", "cosine"):
        for ref in ("previous", "kept"):
            out = reduce(frames, {"mode": "threshold", "threshold": 0.01, "metric": metric,
                                  "reference": ref, "refresh": 0})
            keep = np.array(out["keep"])
            assert keep[0].all()
            left = [p for p in range(8) if p % 4 < 2]
            right = [p for p in range(8) if p % 4 >= 2]
            assert not keep[1:, left].any()
            assert keep[1:, right].all()
            assert out["tokens_per_frame"] == [8, 4, 4, 4, 4]
            assert out["tokens_out"] == 24 and out["tokens_in"] == 40
            assert out["scores"][0] == [255.0] * 8
            assert all(out["scores"][t][p] < 1e-6 for t in range(1, T) for p in left)
            assert out["mse"] == 0.0 and out["psnr_db"] is None


def test_l1_score_and_strict_threshold():
    frames = np.zeros((2, 3, 16, 16), dtype=np.float32)
    frames[1] = 0.5  # l1 vs frame 0 is exactly 0.5
    base = {"mode": "threshold", "metric": "l1", "reference": "previous", "refresh": 0}
    out = reduce(frames, dict(base, threshold=0.5))
    assert out["scores"][1] == [0.5] and out["keep"] == [[1], [0]]
    # pruned patch carries frame 0's zeros: mse = 0.25 over half the values
    assert abs(out["mse"] - 0.125) < 1e-12
    assert abs(out["psnr_db"] - 10 * np.log10(8.0)) < 1e-9
    out = reduce(frames, dict(base, threshold=0.4999))
    assert out["keep"] == [[1], [1]]


def test_cosine_semantics():
    frames = np.zeros((3, 3, 16, 16), dtype=np.float32)
    frames[1] = 0.3  # parallel to frame 2 -> dissimilarity 0
    frames[2] = 0.9
    out = reduce(frames, {"mode": "threshold", "threshold": 0.5, "metric": "cosine",
                          "reference": "previous", "refresh": 0})
    # zero vector vs nonzero: cos = 0 (eps clamp), dissimilarity 1
    assert abs(out["scores"][1][0] - 1.0) < 1e-6
    assert abs(out["scores"][2][0]) < 1e-6
    assert out["keep"] == [[1], [1], [0]]


def test_tie_ordering_rate():
    # every non-first frame identical to its predecessor -> all scores 0 (ties)
    frames = np.full((4, 3, 32, 32), 0.25, dtype=np.float32)  # P = 4, total 16
    out = reduce(frames, {"mode": "rate", "rate": 0.5, "metric": "l1",
                          "reference": "previous", "refresh": 0})
    # K = 8: frame 0 (255) then the earliest tied patches = all of frame 1
    assert out["keep"] == [[1] * 4, [1] * 4, [0] * 4, [0] * 4]
    frames[3, :, :16, 16:] = 1.0  # change patch 1 of frame 3 -> highest non-255 score
    out = reduce(frames, {"mode": "rate", "rate": 0.6, "metric": "l1",
                          "reference": "previous", "refresh": 0})
    # K = int(16 * 0.4) = 6: frame 0, frame 3 patch 1, then frame 1 patch 0 (earliest tie)
    assert out["keep"] == [[1] * 4, [1, 0, 0, 0], [0] * 4, [0, 1, 0, 0]]
    assert out["tokens_out"] == 6


def test_refresh():
    frames = np.full((5, 3, 16, 32), 0.5, dtype=np.float32)  # static, P = 2
    for params in ({"mode": "threshold", "threshold": 0.0},
                   {"mode": "rate", "rate": 0.9}):
        out = reduce(frames, dict(params, metric="l1", reference="previous", refresh=2))
        assert out["tokens_per_frame"] == [2, 0, 2, 0, 2], out
        assert out["scores"][2] == [255.0, 255.0] and out["scores"][4] == [255.0, 255.0]
        assert out["scores"][1] == [0.0, 0.0]


def test_kept_reference_accumulates_drift():
    frames = np.zeros((4, 3, 16, 16), dtype=np.float32)
    frames[1], frames[2], frames[3] = 0.1, 0.2, 0.3  # steps of 0.1 each
    base = {"mode": "threshold", "threshold": 0.15, "metric": "l1", "refresh": 0}
    prev = reduce(frames, dict(base, reference="previous"))
    kept = reduce(frames, dict(base, reference="kept"))
    assert prev["keep"] == [[1], [0], [0], [0]]
    assert kept["keep"] == [[1], [0], [1], [0]]  # 0.2 vs frame 0 > 0.15, then 0.1 vs frame 2


def test_bad_input_and_cli():
    frames = np.zeros((2, 3, 16, 16), dtype=np.float32)
    bad = [
        {"mode": "rate", "rate": 0.5, "metric": "l1", "reference": "kept", "refresh": 0},
        {"mode": "rate", "rate": 1.0, "metric": "l1"},
        {"mode": "threshold", "metric": "l2", "threshold": 0.1},
        {"mode": "threshold", "metric": "l1", "threshold": 0.1, "refresh": -1},
        {"mode": "threshold", "metric": "l1", "threshold": 0.1, "typo": 1},
    ]
    for params in bad:
        try:
            reduce(frames, params)
        except InputError:
            pass
        else:
            raise AssertionError(f"accepted bad params {params}")
    for shape in [(2, 3, 16, 20), (2, 4, 16, 16), (0, 3, 16, 16)]:
        try:
            reduce(np.zeros(shape, np.float32), {"mode": "threshold", "metric": "l1", "threshold": 0})
        except InputError:
            pass
        else:
            raise AssertionError(f"accepted bad shape {shape}")

    script = os.path.join(HERE, "evs_reference.py")
    with tempfile.TemporaryDirectory() as d:
        fp, pp, op = (os.path.join(d, n) for n in ("f.npy", "p.json", "o.json"))
        np.save(fp, frames)
        with open(pp, "w") as f:
            json.dump({"mode": "rate", "rate": 0.5, "metric": "cosine",
                       "reference": "previous", "refresh": 0}, f)
        r = subprocess.run([sys.executable, script, fp, pp, op], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        with open(op) as f:
            out = json.load(f)
        assert out["tokens_in"] == 2 and out["tokens_out"] == 1 and out["keep"] == [[1], [0]]
        with open(pp, "w") as f:
            json.dump({"mode": "rate", "rate": 0.5, "metric": "l1", "reference": "kept"}, f)
        r = subprocess.run([sys.executable, script, fp, pp, op], capture_output=True, text=True)
        assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, r.stderr


if __name__ == "__main__":
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_") and callable(v)]
    for fn in tests:
        fn()
        print(f"ok  {fn.__name__}")
    print(f"all {len(tests)} tests passed")
