#!/usr/bin/env python3
"""Independent NumPy reference for vtok's training-free AutoGaze greedy selector.

Usage:  python3 autogaze_greedy_reference.py FRAMES.npy PARAMS.json OUT.json

FRAMES.npy  floating array [T, 3, S, S] in [0, 1], S a positive multiple of 224
            (cast to float32 on load).
PARAMS.json {"psnr": dB} or {"l1": tau}, plus optional "max_ratio" in (0, 1]
            (default 0.75).  Unknown keys are rejected.
OUT.json    {"picks": [[ [local ids in pick order] per tile ] per frame],
             "frame_error": [[final tile error] per frame],
             "tokens": [[t, row, col, scale_index], ...] sorted by
                       (t, scale_index, row, col),
             "tokens_per_frame": [T ints], "mse": float, "psnr_db": float|null}

Written from tools/reference/autogaze_greedy_spec.md only (no look at the Swift
sources).  Deliberately plain: every pick rescans all 265 candidates and
recomputes every block error of the canvas from scratch.

Numeric choices where the spec is silent:
  * bicubic resize is evaluated in float64 and the result rounded to float32;
    canvases, R_s and Q_k are float32 images.
  * block errors: (img - X) is formed in float64 from the float32 values,
    squared/abs'ed and summed in float64.
  * cap = max(1, floor(max_ratio * 265)) with max_ratio * 265 in float64.
  * tie-break: candidates are scanned in ascending local id; a later candidate
    replaces the current best only if its gain is larger AND not tied with the
    best (|g1 - g2| <= 1e-9 * max(1, |g1|, |g2|)).  The "best gain <= 0" stop
    test uses the gain of the candidate so chosen.
"""
import json
import math
import sys

import numpy as np

TILE = 224
TOKEN = 16          # a token is a 16x16 block of R_s
BLOCK = 8           # errors are measured on 8x8 pixel blocks
NB = TILE // BLOCK  # 28 blocks per tile side
A_CUBIC = -0.75
TIE_REL = 1e-9
N_PER_TILE = 265
ALLOWED_KEYS = {"psnr", "l1", "max_ratio"}

# AutoGaze scales, coarse to fine: (size s, grid g); cell size c = 224 / g.
SCALES = [(32, 2), (64, 4), (112, 7), (224, 14)]


class InputError(Exception):
    pass


# ---------------------------------------------------------------- geometry --

def scale_index_of_size(s):
    """vtok scale index: 0 for 224 (finest) ... 3 for 32 (coarsest)."""
    return {224: 0, 112: 1, 64: 2, 32: 3}[s]


def scale_offsets():
    """First local id of each scale, coarse to fine: [0, 4, 20, 69]."""
    offs, acc = [], 0
    for _, g in SCALES:
        offs.append(acc)
        acc += g * g
    assert acc == N_PER_TILE
    return offs


def cell_of(local_id):
    """local id -> dict(size, grid, cell, row, col, scale_index)."""
    if not (0 <= local_id < N_PER_TILE):
        raise ValueError(f"local id out of range: {local_id}")
    for (s, g), off in zip(SCALES, scale_offsets()):
        if local_id < off + g * g:
            k = local_id - off
            return {"size": s, "grid": g, "cell": TILE // g, "row": k // g,
                    "col": k % g, "scale_index": scale_index_of_size(s)}
    raise AssertionError("unreachable")


def local_id_of(size, row, col):
    for (s, g), off in zip(SCALES, scale_offsets()):
        if s == size:
            if not (0 <= row < g and 0 <= col < g):
                raise ValueError("cell out of range")
            return off + row * g + col
    raise ValueError(f"unknown scale size {size}")


# ----------------------------------------------------------------- bicubic --

def cubic_weight(x, a=A_CUBIC):
    """Keys cubic convolution kernel (PyTorch: A = -0.75)."""
    x = abs(x)
    if x <= 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    if x < 2.0:
        return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    return 0.0


def bicubic_matrix(in_size, out_size):
    """[out_size, in_size] float64 matrix M such that out = M @ in along one axis.

    PyTorch upsample_bicubic2d, align_corners=False, no antialias:
    src = (dst + 0.5) * in/out - 0.5 (not clamped), i0 = floor(src), t = src - i0,
    taps i0-1 .. i0+2 with weights w(t+1), w(t), w(1-t), w(2-t), each tap index
    clamped to [0, in_size-1] (clamped taps accumulate on the edge sample).
    """
    m = np.zeros((out_size, in_size), dtype=np.float64)
    scale = in_size / out_size
    for dst in range(out_size):
        src = (dst + 0.5) * scale - 0.5
        i0 = math.floor(src)
        t = src - i0
        weights = [cubic_weight(t + 1.0), cubic_weight(t),
                   cubic_weight(1.0 - t), cubic_weight(2.0 - t)]
        for k, w in enumerate(weights):
            idx = min(max(i0 - 1 + k, 0), in_size - 1)
            m[dst, idx] += w
    return m


def bicubic_resize(img, out_h, out_w):
    """img [C, H, W] -> float32 [C, out_h, out_w]; output is NOT clamped.

    Separable form of sum_{i,j} wy_i * wx_j * img[clamp(y_i), clamp(x_j)],
    evaluated in float64, rounded to float32 at the end.
    """
    img = np.asarray(img, dtype=np.float64)
    _, h, w = img.shape
    my = bicubic_matrix(h, out_h)
    mx = bicubic_matrix(w, out_w)
    out = np.matmul(np.matmul(my, img), mx.T)  # [C,out_h,W] then [C,out_h,out_w]
    return out.astype(np.float32)


# ---------------------------------------------------------------- errors ---

def block_errors(img, x, metric):
    """[28, 28] float64 per-8x8-block error of img against x (both [3,224,224])."""
    d = img.astype(np.float64) - x.astype(np.float64)
    v = d * d if metric == "psnr" else np.abs(d)
    return v.reshape(3, NB, BLOCK, NB, BLOCK).sum(axis=(0, 2, 4))


def target_met(total_error, metric, target):
    mean = total_error / (3 * TILE * TILE)
    if metric == "psnr":
        return mean <= 10.0 ** (-target / 10.0)
    return mean <= target


def tied(g1, g2):
    return abs(g1 - g2) <= TIE_REL * max(1.0, abs(g1), abs(g2))


def pick_cap(max_ratio):
    return max(1, math.floor(max_ratio * N_PER_TILE))


# -------------------------------------------------------------- candidates -

def build_candidates(x):
    """All 265 candidates of one tile x [3,224,224] float32.

    Each: dict(id, scale_index, y0, x0, cell, q) with q the painted content
    [3, cell, cell] float32 covering tile rows y0.., cols x0...
    """
    cands = []
    for s, g in SCALES:
        cell = TILE // g
        r_s = x if s == TILE else bicubic_resize(x, s, s)
        for r in range(g):
            for c in range(g):
                tok = r_s[:, TOKEN * r:TOKEN * (r + 1), TOKEN * c:TOKEN * (c + 1)]
                q = tok.copy() if s == TILE else bicubic_resize(tok, cell, cell)
                cands.append({"id": local_id_of(s, r, c),
                              "scale_index": scale_index_of_size(s),
                              "y0": r * cell, "x0": c * cell, "cell": cell, "q": q})
    assert [k["id"] for k in cands] == list(range(N_PER_TILE))
    return cands


def candidate_block_errors(cand, x, metric):
    """[cell/8, cell/8] float64 block errors of q against x over its region."""
    y0, x0, n = cand["y0"], cand["x0"], cand["cell"]
    d = cand["q"].astype(np.float64) - x[:, y0:y0 + n, x0:x0 + n].astype(np.float64)
    v = d * d if metric == "psnr" else np.abs(d)
    nb = n // BLOCK
    return v.reshape(3, nb, BLOCK, nb, BLOCK).sum(axis=(0, 2, 4))


# ----------------------------------------------------------------- greedy --

def greedy_tile_frame(x, canvas, metric, target, cap):
    """Run one tile-frame.  x: [3,224,224] float32 target; canvas: float32,
    modified in place.  Returns (picks, final_mean_error)."""
    cands = build_candidates(x)
    eq = [candidate_block_errors(k, x, metric) for k in cands]
    written = np.full((NB, NB), -1, dtype=np.int64)  # -1 = none
    picked = np.zeros(N_PER_TILE, dtype=bool)
    picks = []
    while True:
        ec = block_errors(canvas, x, metric)
        total = ec.sum()
        if picks and (target_met(total, metric, target) or len(picks) == cap):
            break
        if len(picks) == N_PER_TILE:  # cannot happen (cap <= 265); safety only
            break
        best_id, best_gain, best_mask = None, None, None
        for k in cands:
            kid = k["id"]
            if picked[kid]:
                continue
            i = k["scale_index"]
            by0, bx0, nb = k["y0"] // BLOCK, k["x0"] // BLOCK, k["cell"] // BLOCK
            w = written[by0:by0 + nb, bx0:bx0 + nb]
            mask = (w == -1) | (w > i)
            gain = float((ec[by0:by0 + nb, bx0:bx0 + nb] - eq[kid])[mask].sum())
            if best_id is None or (gain > best_gain and not tied(gain, best_gain)):
                best_id, best_gain, best_mask = kid, gain, mask
        if picks and best_gain <= 0.0:
            break
        k = cands[best_id]
        by0, bx0, nb = k["y0"] // BLOCK, k["x0"] // BLOCK, k["cell"] // BLOCK
        for br in range(nb):
            for bc in range(nb):
                if not best_mask[br, bc]:
                    continue
                ly, lx = br * BLOCK, bc * BLOCK
                canvas[:, k["y0"] + ly:k["y0"] + ly + BLOCK,
                       k["x0"] + lx:k["x0"] + lx + BLOCK] = \
                    k["q"][:, ly:ly + BLOCK, lx:lx + BLOCK]
                written[by0 + br, bx0 + bc] = k["scale_index"]
        picked[best_id] = True
        picks.append(best_id)
    final = block_errors(canvas, x, metric).sum() / (3 * TILE * TILE)
    return picks, float(final)


def select(frames, params):
    """Whole-video run.  Returns (result dict, rebuilt frames float32)."""
    frames = validate_frames(frames)
    metric, target, max_ratio = validate_params(params)
    cap = pick_cap(max_ratio)
    t_count, _, size, _ = frames.shape
    n = size // TILE
    canvases = [np.full((3, TILE, TILE), 0.5, dtype=np.float32) for _ in range(n * n)]
    rebuilt = np.empty_like(frames)
    all_picks, all_err, tokens, per_frame = [], [], [], []
    for t in range(t_count):
        fp, fe, ftok = [], [], []
        for tr in range(n):
            for tc in range(n):
                tile = tr * n + tc
                x = frames[t, :, tr * TILE:(tr + 1) * TILE, tc * TILE:(tc + 1) * TILE]
                x = np.ascontiguousarray(x)
                picks, err = greedy_tile_frame(x, canvases[tile], metric, target, cap)
                fp.append(picks)
                fe.append(err)
                for kid in picks:
                    cell = cell_of(kid)
                    g = cell["grid"]
                    ftok.append([t, tr * g + cell["row"], tc * g + cell["col"],
                                 cell["scale_index"]])
                rebuilt[t, :, tr * TILE:(tr + 1) * TILE, tc * TILE:(tc + 1) * TILE] = \
                    canvases[tile]
        ftok.sort(key=lambda v: (v[0], v[3], v[1], v[2]))
        all_picks.append(fp)
        all_err.append(fe)
        tokens.extend(ftok)
        per_frame.append(len(ftok))
    d = rebuilt.astype(np.float64) - frames.astype(np.float64)
    mse = float(np.mean(d * d))
    psnr = None if mse == 0.0 else float(10.0 * math.log10(1.0 / mse))
    result = {"picks": all_picks, "frame_error": all_err, "tokens": tokens,
              "tokens_per_frame": per_frame, "mse": mse, "psnr_db": psnr}
    return result, rebuilt


# -------------------------------------------------------------- validation -

def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def validate_params(params):
    if not isinstance(params, dict):
        raise InputError("PARAMS.json must contain a JSON object")
    unknown = set(params) - ALLOWED_KEYS
    if unknown:
        raise InputError(f"unknown parameter(s): {sorted(unknown)}")
    if ("psnr" in params) == ("l1" in params):
        raise InputError("exactly one of 'psnr' or 'l1' is required")
    if "psnr" in params:
        metric, target = "psnr", params["psnr"]
        if not _is_number(target):
            raise InputError(f"psnr must be a finite number, got {target!r}")
    else:
        metric, target = "l1", params["l1"]
        if not _is_number(target) or not (0.0 <= target <= 1.0):
            raise InputError(f"l1 must be a number in [0, 1], got {target!r}")
    r = params.get("max_ratio", 0.75)
    if not _is_number(r) or not (0.0 < r <= 1.0):
        raise InputError(f"max_ratio must be a number in (0, 1], got {r!r}")
    return metric, float(target), float(r)


def validate_frames(frames):
    frames = np.asarray(frames)
    if frames.dtype.kind != "f":
        raise InputError(f"frames must be a float array, got dtype {frames.dtype}")
    if frames.ndim != 4 or frames.shape[1] != 3 or frames.shape[2] != frames.shape[3]:
        raise InputError(f"frames must have shape [T, 3, S, S], got {list(frames.shape)}")
    t, _, s, _ = frames.shape
    if t < 1 or s < TILE or s % TILE != 0:
        raise InputError(f"need T >= 1 and S a positive multiple of 224, got {list(frames.shape)}")
    frames = frames.astype(np.float32)
    if not np.all(np.isfinite(frames)):
        raise InputError("frames contain non-finite values")
    if frames.min() < 0.0 or frames.max() > 1.0:
        raise InputError("frames must lie in [0, 1]")
    return frames


def main(argv):
    if len(argv) != 4:
        print("usage: autogaze_greedy_reference.py FRAMES.npy PARAMS.json OUT.json",
              file=sys.stderr)
        return 2
    try:
        try:
            frames = np.load(argv[1], allow_pickle=False)
        except Exception as e:  # noqa: BLE001
            raise InputError(f"cannot read frames {argv[1]}: {e}")
        try:
            with open(argv[2]) as f:
                params = json.load(f)
        except Exception as e:  # noqa: BLE001
            raise InputError(f"cannot read params {argv[2]}: {e}")
        result, _ = select(frames, params)
    except InputError as e:
        print(f"error: {str(e).splitlines()[0] if str(e) else 'bad input'}", file=sys.stderr)
        return 1
    with open(argv[3], "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
