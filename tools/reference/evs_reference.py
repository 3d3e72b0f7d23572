#!/usr/bin/env python3
"""Independent NumPy reference for vtok's pixel-space EVS (token pruning) reducer.

Usage:  python3 evs_reference.py FRAMES.npy PARAMS.json OUT.json

FRAMES.npy  float array [T, 3, H, W], planar RGB in [0, 1], H and W multiples
            of 16 (cast to float32 on load).
PARAMS.json {"mode": "rate"|"threshold", "rate": q in [0,1) (rate mode),
             "threshold": tau (threshold mode), "metric": "l1"|"cosine",
             "reference": "previous"|"kept" (default "previous"),
             "refresh": N >= 0 (default 0 = off)}.  Unknown keys are rejected.
OUT.json    {"scores": T lists of P floats, "keep": T lists of P 0/1 ints,
             "tokens_per_frame": [T ints], "tokens_out": int, "tokens_in": int,
             "mse": float, "psnr_db": float or null}

Algorithm
---------
Patches: each frame is cut into 16x16 patches, P = (H/16)*(W/16) per frame,
row-major.  A patch's feature vector is its 768 values in (channel, y, x) order.

Dissimilarity d(a, r) of a patch vector a against a reference vector r:
  l1     : mean |a - r|.  The difference is taken in float32, the mean is
           accumulated in float64 and the result rounded to float32.
  cosine : 1 - sum(a_n * r_n), a_n = a / max(||a||2, 1e-8), r_n likewise
           (PyTorch cosine_similarity semantics), all in float32.
Scores are float32 values.

Reference r for patch p at frame t:
  previous : patch p of frame t-1.
  kept     : patch p of the most recent earlier frame where p was kept
             (threshold mode only).

Frame 0 is always kept whole and scored 255.0.  With refresh N > 0 every
frame with t % N == 0 is also kept whole and scored 255.0.

Threshold mode: on other frames keep p iff d > tau (strictly).

Rate mode (vLLM-style global top-k, reference must be "previous"):
  score every patch (255.0 on frame 0 / refresh frames, else d vs. frame t-1);
  K = max(P, int(float(T*P) * (1.0 - q)))   (float64, Python int() truncation);
  with refresh on, K = max(K, P * #refresh frames including frame 0);
  stable-sort all T*P scores descending (ties -> lower flat index t*P + p)
  and keep the first K.

Reconstruction: a kept patch shows its own content, a pruned patch shows its
content from the last frame it was kept (0.5, mid-gray, if never kept — vtok's canvas
starts flat mid-gray).
mse = mean over all T*3*H*W values of (rebuilt - original)^2 in float64;
psnr_db = 10*log10(1/mse), or null when mse == 0.
tokens_in = T*P, tokens_out = #kept, tokens_per_frame = #kept per frame.
"""
import json
import math
import sys

import numpy as np

PATCH = 16
KEEP_WHOLE_SCORE = np.float32(255.0)
ALLOWED_KEYS = {"mode", "rate", "threshold", "metric", "reference", "refresh"}


class InputError(Exception):
    pass


def patchify(frames):
    """[T,3,H,W] -> [T, P, 768] with P row-major and features in (c, y, x) order."""
    t, c, h, w = frames.shape
    gh, gw = h // PATCH, w // PATCH
    x = frames.reshape(t, c, gh, PATCH, gw, PATCH)
    x = x.transpose(0, 2, 4, 1, 3, 5)  # t, row, col, c, y, x
    return np.ascontiguousarray(x.reshape(t, gh * gw, c * PATCH * PATCH))


def unpatchify(patches, shape):
    t, c, h, w = shape
    gh, gw = h // PATCH, w // PATCH
    x = patches.reshape(t, gh, gw, c, PATCH, PATCH).transpose(0, 3, 1, 4, 2, 5)
    return x.reshape(t, c, h, w)


def dissimilarity(a, r, metric):
    """float32 dissimilarity between two 768-vectors."""
    a = a.astype(np.float32)
    r = r.astype(np.float32)
    if metric == "l1":
        diff = np.abs(a - r)  # float32
        return np.float32(np.mean(diff, dtype=np.float64))
    eps = np.float32(1e-8)
    a_n = a / max(np.linalg.norm(a), eps)
    r_n = r / max(np.linalg.norm(r), eps)
    cos = np.sum(a_n * r_n, dtype=np.float32)
    return np.float32(np.float32(1.0) - cos)


def validate_params(params):
    if not isinstance(params, dict):
        raise InputError("PARAMS.json must contain a JSON object")
    unknown = set(params) - ALLOWED_KEYS
    if unknown:
        raise InputError(f"unknown parameter(s): {sorted(unknown)}")
    mode = params.get("mode")
    if mode not in ("rate", "threshold"):
        raise InputError(f"mode must be 'rate' or 'threshold', got {mode!r}")
    metric = params.get("metric")
    if metric not in ("l1", "cosine"):
        raise InputError(f"metric must be 'l1' or 'cosine', got {metric!r}")
    reference = params.get("reference", "previous")
    if reference not in ("previous", "kept"):
        raise InputError(f"reference must be 'previous' or 'kept', got {reference!r}")
    refresh = params.get("refresh", 0)
    if isinstance(refresh, bool) or not isinstance(refresh, int) or refresh < 0:
        raise InputError(f"refresh must be an integer >= 0, got {refresh!r}")
    p = {"mode": mode, "metric": metric, "reference": reference, "refresh": refresh}
    if mode == "rate":
        if reference == "kept":
            raise InputError("reference 'kept' is only valid in threshold mode")
        q = params.get("rate")
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not (0.0 <= q < 1.0):
            raise InputError(f"rate must be a number in [0, 1), got {q!r}")
        p["rate"] = float(q)
    else:
        tau = params.get("threshold")
        if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not math.isfinite(tau):
            raise InputError(f"threshold must be a finite number, got {tau!r}")
        p["threshold"] = float(tau)
    return p


def validate_frames(frames):
    frames = np.asarray(frames)
    if frames.dtype.kind not in "fiu":
        raise InputError(f"frames must be numeric, got dtype {frames.dtype}")
    if frames.ndim != 4 or frames.shape[1] != 3:
        raise InputError(f"frames must have shape [T, 3, H, W], got {list(frames.shape)}")
    t, _, h, w = frames.shape
    if t < 1 or h < PATCH or w < PATCH or h % PATCH or w % PATCH:
        raise InputError(f"need T >= 1 and H, W positive multiples of 16, got {list(frames.shape)}")
    frames = frames.astype(np.float32)
    if not np.all(np.isfinite(frames)):
        raise InputError("frames contain non-finite values")
    return frames


def rate_keep_count(total, per_frame, q, n_whole_frames):
    """K = max(P, int(float(total) * (1.0 - q))), raised to P * n_whole_frames."""
    k = max(per_frame, int(float(total) * (1.0 - q)))
    return max(k, per_frame * n_whole_frames)


def reduce(frames, params):
    frames = validate_frames(frames)
    params = validate_params(params)
    T = frames.shape[0]
    feats = patchify(frames)  # [T, P, 768] float32
    P = feats.shape[1]
    N = params["refresh"]
    whole = [t == 0 or (N > 0 and t % N == 0) for t in range(T)]

    scores = np.zeros((T, P), dtype=np.float32)
    keep = np.zeros((T, P), dtype=bool)

    if params["mode"] == "threshold":
        tau = params["threshold"]
        last_kept = feats[0].copy()  # frame 0 is always kept whole
        for t in range(T):
            for p in range(P):
                if whole[t]:
                    scores[t, p] = KEEP_WHOLE_SCORE
                    keep[t, p] = True
                else:
                    ref = last_kept[p] if params["reference"] == "kept" else feats[t - 1, p]
                    scores[t, p] = dissimilarity(feats[t, p], ref, params["metric"])
                    keep[t, p] = float(scores[t, p]) > tau
                if keep[t, p]:
                    last_kept[p] = feats[t, p]
    else:
        for t in range(T):
            for p in range(P):
                if whole[t]:
                    scores[t, p] = KEEP_WHOLE_SCORE
                else:
                    scores[t, p] = dissimilarity(feats[t, p], feats[t - 1, p], params["metric"])
        k = rate_keep_count(T * P, P, params["rate"], sum(whole))
        flat = scores.reshape(-1)
        order = np.argsort(-flat, kind="stable")  # descending, ties -> lower index
        keep.reshape(-1)[order[:k]] = True

    # Reconstruction with carry-forward of the last kept content.
    carried = np.full((P, feats.shape[2]), 0.5, dtype=np.float32)  # mid-gray before any kept content
    rebuilt = np.zeros_like(feats)
    for t in range(T):
        for p in range(P):
            if keep[t, p]:
                carried[p] = feats[t, p]
        rebuilt[t] = carried
    rebuilt = unpatchify(rebuilt, frames.shape)
    mse = float(np.mean((rebuilt.astype(np.float64) - frames.astype(np.float64)) ** 2))
    psnr = None if mse == 0.0 else 10.0 * math.log10(1.0 / mse)

    per_frame = [int(n) for n in keep.sum(axis=1)]
    return {
        "scores": [[float(s) for s in row] for row in scores],
        "keep": [[int(k) for k in row] for row in keep],
        "tokens_per_frame": per_frame,
        "tokens_out": int(sum(per_frame)),
        "tokens_in": int(T * P),
        "mse": mse,
        "psnr_db": psnr,
    }


def main(argv):
    if len(argv) != 4:
        print("usage: evs_reference.py FRAMES.npy PARAMS.json OUT.json", file=sys.stderr)
        return 2
    try:
        try:
            frames = np.load(argv[1], allow_pickle=False)
        except Exception as e:
            raise InputError(f"cannot read frames {argv[1]}: {e}")
        try:
            with open(argv[2]) as f:
                params = json.load(f)
        except Exception as e:
            raise InputError(f"cannot read params {argv[2]}: {e}")
        result = reduce(frames, params)
    except InputError as e:
        print(f"error: {e}".replace("\n", " "), file=sys.stderr)
        return 1
    with open(argv[3], "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
