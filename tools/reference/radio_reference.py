#!/usr/bin/env python3
"""Independent NumPy reference of the C-RADIO (NVlabs RADIO, CPE ViT) inference forward pass,
plus a generator of tiny random checkpoints in the real Hugging Face key layout.

Written from /work/shared/specs/encoders.md PART A (A.2-A.8) and the public NVlabs/RADIO code
(radio/hf_model.py RADIOConfig, radio/radio_model.py, radio/vitdet.py). NumPy + safetensors only;
it does not look at the Swift sources. All arithmetic is done in float64 and the outputs are
written as float32.

CLI
---
  radio_reference.py make-checkpoint OUT_DIR --embed D --depth L --heads H --mlp M --prefix T
        --num-cls C [--layerscale] [--mlpnorm] [--final-norm] [--dtype f32|f16|bf16]
        [--prefix-keys radio_model.|vision_model.radio_model.] [--align-corners true|false]
        [--seed S] [--summary-skip I,J,...] [--register-style multiple|count]
      Writes OUT_DIR/model.safetensors and OUT_DIR/config.json.

  radio_reference.py forward CKPT_DIR IMAGES.npy OUT.npz [--align-corners true|false]
        [--vitdet-window S] [--vitdet-num-global G] [--vitdet-num-windowed K]
      IMAGES.npy: float32 [B,3,H,W] in [0,1], H and W multiples of 16 (of 16*S with ViTDet).
      OUT.npz: summary float32 [B, |summary_idxs|*D], features float32 [B, h*w, D].

  radio_reference.py forward-sparse CKPT_DIR IMAGES.npy KEEP.npy OUT.npz [--align-corners ...]
      KEEP.npy: bool [B, h*w] (row-major patch order). Every image is encoded on its own as
      [its T prefix tokens ; its kept patches] (each kept patch gets the CPE of its own grid
      position), so kept tokens attend to each other and to their own image's prefix only.
      OUT.npz: features float32 [N_kept, D] in (image, row-major) order, summary [B, k*D].

Checkpoint tensors (P = prefix-keys, "radio_model." or "vision_model.radio_model."):
  P input_conditioner.norm_mean      [3,1,1] F32 (always F32, CLIP mean)
  P input_conditioner.norm_std       [3,1,1] F32 (always F32, CLIP std)
  P summary_idxs                     [k] I64  (teachers with use_summary)
  P model.patch_generator.embedder.weight   [D, 768]        (no bias)
  P model.patch_generator.pos_embed         [1, 128*128, D] (std 0.02)
  P model.patch_generator.cls_token.token   [T, D]          (std 0.02)
  P model.blocks.{i}.norm1.{weight,bias}    [D]   (weight 1 +- 0.1, bias std 0.02)
  P model.blocks.{i}.attn.qkv.{weight,bias} [3D, D], [3D]
  P model.blocks.{i}.attn.proj.{weight,bias}[D, D], [D]
  P model.blocks.{i}.norm2.{weight,bias}    [D]
  P model.blocks.{i}.mlp.fc1.{weight,bias}  [M, D], [M]
  P model.blocks.{i}.mlp.fc2.{weight,bias}  [D, M], [D]
  P model.blocks.{i}.ls1.grandma, ls2.grandma [D]  (--layerscale; ~0.1)
  P model.blocks.{i}.mlp.norm.{weight,bias}   [M]  (--mlpnorm; LayerNorm after the GELU)
  P model.norm.{weight,bias}                  [D]  (--final-norm; args.model_norm = true)
  Linear weights std 0.02, linear biases std 0.02. All float tensors except the input-conditioner
  buffers use --dtype (BF16 is packed by hand: round to nearest even on the f32 bits).

config.json (HF RADIOConfig layout; field names as in NVlabs/RADIO radio/hf_model.py and the
published nvidia/C-RADIOv3-H / C-RADIOv4-H config.json files):
  top level: architectures ["RADIOModel"], auto_map, model_type? (not set upstream; omitted),
    version ("c-radio_v4-h" when align_corners=false, "c-radio_v3-h" when true, following the
    spec's version rule), patch_size 16, max_resolution 2048, preferred_resolution [512,512],
    adaptor_names null, adaptor_configs {}, vitdet_window_size null,
    feature_normalizer_config null, inter_feature_normalizer_config null, torch_dtype,
    transformers_version, and ONE NON-UPSTREAM key "vtok_cpe_align_corners" (bool) that records
    the --align-corners choice explicitly.
  args (subset of the training argparse namespace, real names):
    model: "vit_huge_patch16_224" (plain), "vit_large_patch16_v2_224" (--layerscale),
           "vit_huge_patch16_224_mlpnorm" (--mlpnorm);
    model_kwargs: {} when D/L/H/M equal the named arch, otherwise the timm create_model
           overrides {"embed_dim": D, "depth": L, "num_heads": H, "mlp_ratio": M/D} (timm's own
           kwargs; hidden = int(D*mlp_ratio) == M is checked). Heads cannot be read from tensor
           shapes, so a loader must honour model_kwargs.num_heads before the name table.
    teachers: [{"name", "type", "model", "use_summary"}] x C (unique names);
    cls_token_per_teacher: true; cpe_max_size: 2048;
    register-style "multiple" (default, C-RADIOv4 style): cpe_num_registers null and
           register_multiple = T (num_reg = T - (C mod T) = T - C) when T > C, else null;
    register-style "count" (C-RADIOv3 style): cpe_num_registers = T - C (null when 0),
           register_multiple null;
    model_norm: bool; dtype: "float32"|"float16"|"bfloat16"; amp_dtype "bfloat16";
    in_chans null, input_size null, pretrained false, num_classes 0, drop 0.0, drop_path null,
    gp null, spectral_reparam false.
  With --prefix-keys vision_model.radio_model. the RADIO config above is nested as
  "vision_config" of a minimal Nemotron-VL style wrapper (architectures
  ["NemotronH_Nano_VL_V2"], norm_mean / norm_std at top level).

Forward-pass decisions (spec A.2, A.3):
  * num_cls from config (unique teacher names if cls_token_per_teacher else 1); T from
    cls_token.token.shape[0]; the config register rule is cross-checked against T.
  * heads: args.model_kwargs.num_heads, else the timm arch-name table.
  * summary = Y[:, summary_idxs] flattened (summary_idxs buffer if present, else teachers with
    use_summary); features = Y[:, T:] (all prefix tokens dropped).
  * CPE: grid 128x128 (= cpe_max_size/16), bilinear to m = max(h,w) (identity if (h,w)==(128,128);
    m == 128 is an identity resize for both align_corners values), top-left crop [0:h, 0:w].
    align_corners precedence: --align-corners flag > config "vtok_cpe_align_corners" > false.
  * Final LayerNorm only if model.norm.weight exists. Feature normalizer
    (feature_normalizer.{mean,tx}) applied if present (never generated here).
  * ViTDet: schedule exactly as radio/vitdet.py's hook state machine (period = num_windowed+1 or
    max(L // num_global, 1), num_global default 4, the last block always global). Windowed
    blocks see only the patch tokens split into S x S windows; prefix tokens are held aside and
    only updated by global blocks. Period 1 with L > 2 re-enters windowed mode in upstream code
    (which then fails), so it is rejected here.
"""

import argparse
import json
import math
import os
import struct
import sys

import numpy as np

PATCH = 16
CPE_MAX_SIZE = 2048
GRID = CPE_MAX_SIZE // PATCH  # 128
LN_EPS = 1e-6
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
DEFAULT_NUM_GLOBAL = 4

# timm arch name fragment -> (embed, depth, heads, mlp hidden)
ARCH_DIMS = {
    "vit_tiny": (192, 12, 3, 768),
    "vit_small": (384, 12, 6, 1536),
    "vit_base": (768, 12, 12, 3072),
    "vit_large": (1024, 24, 16, 4096),
    "vit_huge": (1280, 32, 16, 5120),
    "vit_so400m": (1152, 27, 16, 4304),
    "vit_giant": (1536, 40, 24, 6144),
}

TEACHER_NAMES = [
    ("siglip2-g", "siglip2"), ("dino_v3", "dino_v3"), ("sam3", "sam3"), ("clip", "open_clip"),
    ("dino_v2", "dino_v2"), ("sam", "sam"), ("siglip", "open_clip"), ("paligemma", "open_clip"),
]


# ---------------------------------------------------------------------------------------------
# safetensors (hand written; BF16 included)

_ST_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64,
              "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_}


def f32_to_bf16_bits(a):
    """float32 array -> uint16 bf16 bit patterns, round to nearest even, NaN kept quiet."""
    a = np.ascontiguousarray(np.asarray(a, dtype=np.float32))
    u = a.view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    nan = np.isnan(a)
    quiet = (u >> 16) | 0x40
    out = np.where(nan, quiet, rounded)
    return (out & 0xFFFF).astype(np.uint16)


def bf16_bits_to_f32(b):
    b = np.asarray(b, dtype=np.uint16)
    return (b.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> (dtype_str, shape, raw bytes)."""
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    names = sorted(tensors)
    for name in names:
        dt, shape, raw = tensors[name]
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for name in names:
            f.write(tensors[name][2])


def read_safetensors(path):
    """Returns dict name -> numpy array (BF16 widened to float32)."""
    with open(path, "rb") as f:
        data = f.read()
    (hlen,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + hlen].decode("utf-8"))
    base = 8 + hlen
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = data[base + a:base + b]
        shape = tuple(info["shape"])
        if info["dtype"] == "BF16":
            arr = bf16_bits_to_f32(np.frombuffer(raw, dtype="<u2")).reshape(shape)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(_ST_DTYPES[info["dtype"]]).newbyteorder("<")).reshape(shape)
        out[name] = arr.copy()
    return out


def encode_tensor(arr, dtype):
    """arr float -> (dtype_str, shape, bytes) in the requested storage dtype."""
    arr = np.asarray(arr)
    if arr.dtype.kind in "iub":
        code = {np.dtype(np.int64): "I64", np.dtype(np.int32): "I32"}[arr.dtype]
        return code, arr.shape, arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    if dtype == "f32":
        return "F32", arr.shape, arr.astype("<f4").tobytes()
    if dtype == "f16":
        return "F16", arr.shape, arr.astype("<f2").tobytes()
    if dtype == "bf16":
        return "BF16", arr.shape, f32_to_bf16_bits(arr.astype(np.float32)).astype("<u2").tobytes()
    raise ValueError(dtype)


# ---------------------------------------------------------------------------------------------
# checkpoint generation

def _parse_bool(s):
    s = str(s).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true|false, got {s!r}")


def make_checkpoint(out_dir, embed, depth, heads, mlp, prefix, num_cls, layerscale=False,
                    mlpnorm=False, dtype="f32", prefix_keys="radio_model.", align_corners=False,
                    seed=0, final_norm=False, summary_skip=(), register_style="multiple"):
    if embed % heads:
        raise ValueError("embed must be divisible by heads")
    if num_cls < 1 or prefix < num_cls:
        raise ValueError("need 1 <= num_cls <= prefix")
    if prefix_keys not in ("radio_model.", "vision_model.radio_model."):
        raise ValueError("prefix_keys must be radio_model. or vision_model.radio_model.")
    summary_skip = sorted(set(int(i) for i in summary_skip))
    if any(i < 0 or i >= num_cls for i in summary_skip) or len(summary_skip) == num_cls:
        raise ValueError("summary_skip must name some but not all teachers")
    rng = np.random.default_rng(seed)
    D, L, M, T = embed, depth, mlp, prefix

    def lin(o, i):
        return rng.normal(0.0, 0.02, size=(o, i))

    def vec(n, std=0.02):
        return rng.normal(0.0, std, size=(n,))

    def normw(n):
        return 1.0 + rng.normal(0.0, 0.1, size=(n,))

    p = prefix_keys
    m = p + "model."
    w = {}
    w[p + "input_conditioner.norm_mean"] = np.array(CLIP_MEAN, dtype=np.float32).reshape(3, 1, 1)
    w[p + "input_conditioner.norm_std"] = np.array(CLIP_STD, dtype=np.float32).reshape(3, 1, 1)
    summary_idxs = np.array([i for i in range(num_cls) if i not in summary_skip], dtype=np.int64)
    w[p + "summary_idxs"] = summary_idxs
    w[m + "patch_generator.embedder.weight"] = lin(D, 3 * PATCH * PATCH)
    w[m + "patch_generator.pos_embed"] = rng.normal(0.0, 0.02, size=(1, GRID * GRID, D))
    w[m + "patch_generator.cls_token.token"] = rng.normal(0.0, 0.02, size=(T, D))
    for i in range(L):
        b = f"{m}blocks.{i}."
        w[b + "norm1.weight"] = normw(D)
        w[b + "norm1.bias"] = vec(D)
        w[b + "attn.qkv.weight"] = lin(3 * D, D)
        w[b + "attn.qkv.bias"] = vec(3 * D)
        w[b + "attn.proj.weight"] = lin(D, D)
        w[b + "attn.proj.bias"] = vec(D)
        w[b + "norm2.weight"] = normw(D)
        w[b + "norm2.bias"] = vec(D)
        w[b + "mlp.fc1.weight"] = lin(M, D)
        w[b + "mlp.fc1.bias"] = vec(M)
        w[b + "mlp.fc2.weight"] = lin(D, M)
        w[b + "mlp.fc2.bias"] = vec(D)
        if mlpnorm:
            w[b + "mlp.norm.weight"] = normw(M)
            w[b + "mlp.norm.bias"] = vec(M)
        if layerscale:
            w[b + "ls1.grandma"] = 0.1 + rng.normal(0.0, 0.01, size=(D,))
            w[b + "ls2.grandma"] = 0.1 + rng.normal(0.0, 0.01, size=(D,))
    if final_norm:
        w[m + "norm.weight"] = normw(D)
        w[m + "norm.bias"] = vec(D)

    tensors = {}
    for k, v in w.items():
        if k.endswith("input_conditioner.norm_mean") or k.endswith("input_conditioner.norm_std"):
            tensors[k] = encode_tensor(v, "f32")
        else:
            tensors[k] = encode_tensor(v, dtype)
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, {"format": "pt"})

    # ---- config.json
    if mlpnorm:
        arch = "vit_huge_patch16_224_mlpnorm"
    elif layerscale:
        arch = "vit_large_patch16_v2_224"
    else:
        arch = "vit_huge_patch16_224"
    named = next(v for k, v in ARCH_DIMS.items() if arch.startswith(k))
    if named == (D, L, heads, M):
        model_kwargs = {}
    else:
        ratio = M / D
        if int(D * ratio) != M:
            raise ValueError("cannot express mlp hidden as int(D*mlp_ratio)")
        model_kwargs = {"embed_dim": D, "depth": L, "num_heads": heads, "mlp_ratio": ratio}
    teachers = []
    for i in range(num_cls):
        name, ttype = TEACHER_NAMES[i] if i < len(TEACHER_NAMES) else (f"teacher{i}", "open_clip")
        teachers.append({"name": name, "type": ttype, "model": name, "use_summary": i not in summary_skip})
    nreg = T - num_cls
    if register_style == "multiple":
        cpe_num_registers = None
        register_multiple = T if nreg > 0 else None
    elif register_style == "count":
        cpe_num_registers = nreg if nreg > 0 else None
        register_multiple = None
    else:
        raise ValueError(register_style)
    torch_dtype = {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[dtype]
    args = {
        "amp_dtype": "bfloat16",
        "cls_token_per_teacher": True,
        "cpe_max_size": CPE_MAX_SIZE,
        "cpe_num_registers": cpe_num_registers,
        "drop": 0.0,
        "drop_path": None,
        "dtype": torch_dtype,
        "gp": None,
        "in_chans": None,
        "input_size": None,
        "model": arch,
        "model_kwargs": model_kwargs,
        "model_norm": bool(final_norm),
        "num_classes": 0,
        "pretrained": False,
        "register_multiple": register_multiple,
        "spectral_reparam": False,
        "teachers": teachers,
    }
    radio_cfg = {
        "adaptor_configs": {},
        "adaptor_names": None,
        "architectures": ["RADIOModel"],
        "args": args,
        "auto_map": {"AutoConfig": "hf_model.RADIOConfig", "AutoModel": "hf_model.RADIOModel"},
        "feature_normalizer_config": None,
        "inter_feature_normalizer_config": None,
        "max_resolution": CPE_MAX_SIZE,
        "patch_size": PATCH,
        "preferred_resolution": [512, 512],
        "torch_dtype": torch_dtype,
        "transformers_version": "4.51.3",
        "version": "c-radio_v3-h" if align_corners else "c-radio_v4-h",
        "vitdet_window_size": None,
        "vtok_cpe_align_corners": bool(align_corners),
    }
    if prefix_keys == "radio_model.":
        cfg = radio_cfg
    else:
        cfg = {
            "architectures": ["NemotronH_Nano_VL_V2"],
            "norm_mean": list(CLIP_MEAN),
            "norm_std": list(CLIP_STD),
            "patch_size": PATCH,
            "torch_dtype": torch_dtype,
            "vision_config": radio_cfg,
        }
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    return cfg


# ---------------------------------------------------------------------------------------------
# model loading

class RadioRef:
    def __init__(self, ckpt_dir):
        st = read_safetensors(os.path.join(ckpt_dir, "model.safetensors"))
        cfg_path = os.path.join(ckpt_dir, "config.json")
        cfg = {}
        if os.path.exists(cfg_path):
            with open(cfg_path) as f:
                cfg = json.load(f)
        if "args" not in cfg and "vision_config" in cfg:
            cfg = cfg["vision_config"]
        self.cfg = cfg
        args = cfg.get("args") or {}
        suffix = "model.patch_generator.pos_embed"
        pk = [k for k in st if k.endswith(suffix)]
        if len(pk) != 1:
            raise ValueError("cannot find model.patch_generator.pos_embed")
        self.prefix = pk[0][: -len(suffix)]
        p, m = self.prefix, self.prefix + "model."

        def get(k, default=None):
            v = st.get(k)
            return default if v is None else np.asarray(v, dtype=np.float64)

        self.mean = get(p + "input_conditioner.norm_mean", np.array(CLIP_MEAN).reshape(3, 1, 1)).reshape(3)
        self.std = get(p + "input_conditioner.norm_std", np.array(CLIP_STD).reshape(3, 1, 1)).reshape(3)
        self.embedder = get(m + "patch_generator.embedder.weight")
        if m + "patch_generator.embedder.bias" in st:
            raise ValueError("unexpected patch embedder bias")
        pos = get(m + "patch_generator.pos_embed")
        D = self.embedder.shape[0]
        if self.embedder.shape[1] != 3 * PATCH * PATCH:
            raise ValueError("embedder must be [D, 768]")
        g = int(round(math.sqrt(pos.shape[1])))
        if g * g != pos.shape[1] or pos.shape[2] != D:
            raise ValueError("pos_embed shape")
        cpe_max = args.get("cpe_max_size") or CPE_MAX_SIZE
        if g != cpe_max // PATCH:
            raise ValueError(f"pos_embed grid {g} != cpe_max_size/16")
        self.grid = g
        self.pos = pos.reshape(g, g, D)
        self.token = get(m + "patch_generator.cls_token.token")
        self.T = self.token.shape[0]
        self.D = D
        # num_cls
        teachers = args.get("teachers") or []
        if args.get("cls_token_per_teacher") and teachers:
            seen = []
            for t in teachers:
                if t["name"] not in seen:
                    seen.append(t["name"])
            num_cls = len(seen)
        else:
            num_cls = 1
        self.num_cls = num_cls
        nreg = args.get("cpe_num_registers")
        if not nreg:
            rm = args.get("register_multiple")
            nreg = (rm - num_cls % rm) if rm else 0
        if args and num_cls + nreg != self.T:
            raise ValueError(f"config gives {num_cls}+{nreg} prefix tokens, checkpoint has {self.T}")
        if p + "summary_idxs" in st:
            self.summary_idxs = np.asarray(st[p + "summary_idxs"], dtype=np.int64)
        elif teachers:
            self.summary_idxs = np.array([i for i, t in enumerate(teachers) if t.get("use_summary", True)], dtype=np.int64)
        else:
            self.summary_idxs = np.arange(num_cls)
        # blocks
        self.blocks = []
        i = 0
        while m + f"blocks.{i}.norm1.weight" in st:
            b = m + f"blocks.{i}."
            blk = {k: get(b + k) for k in (
                "norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight",
                "attn.proj.bias", "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias",
                "mlp.fc2.weight", "mlp.fc2.bias", "mlp.norm.weight", "mlp.norm.bias")}
            blk["ls1"] = get(b + "ls1.grandma", get(b + "ls1.gamma"))
            blk["ls2"] = get(b + "ls2.grandma", get(b + "ls2.gamma"))
            self.blocks.append(blk)
            i += 1
        self.depth = len(self.blocks)
        mk = args.get("model_kwargs") or {}
        if "num_heads" in mk:
            heads = int(mk["num_heads"])
        else:
            name = args.get("model", "")
            hits = [v for k, v in ARCH_DIMS.items() if name.startswith(k)]
            if not hits:
                raise ValueError(f"unknown arch {name!r} and no model_kwargs.num_heads")
            heads = hits[0][2]
        if D % heads:
            raise ValueError("D not divisible by heads")
        self.heads = heads
        self.norm_w = get(m + "norm.weight")
        self.norm_b = get(m + "norm.bias")
        self.fn_mean = get(p + "feature_normalizer.mean")
        self.fn_tx = get(p + "feature_normalizer.tx")
        self.default_align_corners = bool(cfg.get("vtok_cpe_align_corners", False))


# ---------------------------------------------------------------------------------------------
# math

_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def layer_norm(x, w, b, eps=LN_EPS):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def bilinear_matrix(l_in, l_out, align_corners):
    """[l_out, l_in] interpolation matrix with PyTorch bilinear (no antialias) semantics."""
    A = np.zeros((l_out, l_in), dtype=np.float64)
    for i in range(l_out):
        if align_corners:
            s = i * (l_in - 1) / (l_out - 1) if l_out > 1 else 0.0
        else:
            s = (i + 0.5) * l_in / l_out - 0.5
            s = max(s, 0.0)
        i0 = int(math.floor(s))
        i0 = min(i0, l_in - 1)
        i1 = min(i0 + 1, l_in - 1)
        lam = s - i0
        A[i, i0] += 1.0 - lam
        A[i, i1] += lam
    return A


def cpe_for_grid(pos_grid, h, w, align_corners):
    """pos_grid [G,G,D] -> [h*w, D] (resize to max(h,w) square, top-left crop, row-major)."""
    G = pos_grid.shape[0]
    if (h, w) == (G, G):
        q = pos_grid
    else:
        mm = max(h, w)
        A = bilinear_matrix(G, mm, align_corners)
        q = np.einsum("ir,rcd->icd", A, pos_grid)
        q = np.einsum("jc,icd->ijd", A, q)
    return q[:h, :w].reshape(h * w, -1)


def patchify(y):
    """[B,3,H,W] -> [B, h*w, 3*P*P] with the (c, yy, xx) inner layout."""
    B, C, H, W = y.shape
    h, w = H // PATCH, W // PATCH
    t = y.reshape(B, C, h, PATCH, w, PATCH).transpose(0, 2, 4, 1, 3, 5)
    return t.reshape(B, h * w, C * PATCH * PATCH)


def attention(x, blk, heads, key_mask=None):
    B, N, D = x.shape
    hd = D // heads
    qkv = x @ blk["attn.qkv.weight"].T + blk["attn.qkv.bias"]
    qkv = qkv.reshape(B, N, 3, heads, hd).transpose(2, 0, 3, 1, 4)  # 3,B,H,N,hd
    q, k, v = qkv[0], qkv[1], qkv[2]
    s = (q @ k.transpose(0, 1, 3, 2)) * (hd ** -0.5)
    if key_mask is not None:
        s = np.where(key_mask[:, None, None, :], s, -np.inf)
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    pr = e / e.sum(axis=-1, keepdims=True)
    o = (pr @ v).transpose(0, 2, 1, 3).reshape(B, N, D)
    return o @ blk["attn.proj.weight"].T + blk["attn.proj.bias"]


def mlp(x, blk):
    hdn = gelu(x @ blk["mlp.fc1.weight"].T + blk["mlp.fc1.bias"])
    if blk["mlp.norm.weight"] is not None:
        hdn = layer_norm(hdn, blk["mlp.norm.weight"], blk["mlp.norm.bias"])
    return hdn @ blk["mlp.fc2.weight"].T + blk["mlp.fc2.bias"]


def block_forward(x, blk, heads, key_mask=None):
    a = attention(layer_norm(x, blk["norm1.weight"], blk["norm1.bias"]), blk, heads, key_mask)
    if blk["ls1"] is not None:
        a = a * blk["ls1"]
    x = x + a
    f = mlp(layer_norm(x, blk["norm2.weight"], blk["norm2.bias"]), blk)
    if blk["ls2"] is not None:
        f = f * blk["ls2"]
    return x + f


def vitdet_modes(depth, num_global=None, num_windowed=None):
    """List of 'window'/'global' per block, replicating radio/vitdet.py's pre-hook schedule."""
    if num_windowed is not None:
        period = num_windowed + 1
    else:
        period = max(depth // (num_global or DEFAULT_NUM_GLOBAL), 1)
    hooks = {}
    is_global = True
    for i in range(depth - 1):
        ctr = i % period
        if ctr == 0:
            hooks[i] = "window"
            is_global = False
        elif ctr == period - 1:
            hooks[i] = "global"
            is_global = True
    if not is_global and depth > 0:
        hooks[depth - 1] = "global"
    state, modes = "global", []
    for i in range(depth):
        hk = hooks.get(i)
        if hk == "window":
            if state == "window":
                raise ValueError("ViTDet schedule re-enters windowed mode (period 1, depth > 2); "
                                 "upstream code fails here")
            state = "window"
        elif hk == "global":
            state = "global"
        modes.append(state)
    return modes


# ---------------------------------------------------------------------------------------------
# forward passes

def _check_images(images, step):
    x = np.asarray(images, dtype=np.float64)
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError("images must be [B,3,H,W]")
    H, W = x.shape[2:]
    if H % step or W % step or H == 0 or W == 0:
        raise ValueError(f"H, W must be positive multiples of {step}")
    return x


def embed_images(model, x, align_corners):
    """Conditioner + patch embed + CPE: returns [B, h*w, D] (no prefix yet) and (h, w)."""
    y = (x - model.mean.reshape(1, 3, 1, 1)) / model.std.reshape(1, 3, 1, 1)
    e = patchify(y) @ model.embedder.T
    h, w = x.shape[2] // PATCH, x.shape[3] // PATCH
    return e + cpe_for_grid(model.pos, h, w, align_corners)[None], (h, w)


def _finish(model, Y):
    if model.norm_w is not None:
        Y = layer_norm(Y, model.norm_w, model.norm_b)
    summary = Y[:, model.summary_idxs].reshape(Y.shape[0], -1)
    feats = Y[:, model.T:]
    if model.fn_mean is not None:
        feats = (feats - model.fn_mean) @ model.fn_tx.T
    return summary, feats


def forward(model, images, align_corners=None, vitdet_window=None, vitdet_num_global=None,
            vitdet_num_windowed=None, key_mask=None):
    """Dense forward. key_mask (optional, bool [B, h*w]) hides patch tokens as attention keys
    (used only by the self-checks to emulate sparse encoding inside the dense batch)."""
    if align_corners is None:
        align_corners = model.default_align_corners
    S = vitdet_window
    step = PATCH * (S or 1)
    x = _check_images(images, step)
    B = x.shape[0]
    e, (h, w) = embed_images(model, x, align_corners)
    X = np.concatenate([np.broadcast_to(model.token, (B, model.T, model.D)), e], axis=1)
    T, D = model.T, model.D
    full_mask = None
    if key_mask is not None:
        full_mask = np.concatenate([np.ones((B, T), bool), np.asarray(key_mask, bool)], axis=1)
    if S is None:
        for blk in model.blocks:
            X = block_forward(X, blk, model.heads, full_mask)
    else:
        if key_mask is not None:
            raise ValueError("key_mask with ViTDet is not supported")
        modes = vitdet_modes(model.depth, vitdet_num_global, vitdet_num_windowed)
        wy, wx = h // S, w // S
        for blk, mode in zip(model.blocks, modes):
            if mode == "global":
                X = block_forward(X, blk, model.heads)
            else:
                pre, pt = X[:, :T], X[:, T:]
                win = pt.reshape(B, wy, S, wx, S, D).transpose(0, 1, 3, 2, 4, 5).reshape(B * wy * wx, S * S, D)
                win = block_forward(win, blk, model.heads)
                pt = win.reshape(B, wy, wx, S, S, D).transpose(0, 1, 3, 2, 4, 5).reshape(B, h * w, D)
                X = np.concatenate([pre, pt], axis=1)
    return _finish(model, X)


def forward_sparse(model, images, keep, align_corners=None):
    if align_corners is None:
        align_corners = model.default_align_corners
    x = _check_images(images, PATCH)
    B = x.shape[0]
    h, w = x.shape[2] // PATCH, x.shape[3] // PATCH
    keep = np.asarray(keep).astype(bool)
    if keep.shape != (B, h * w):
        raise ValueError(f"keep must be [B, h*w] = [{B}, {h * w}], got {keep.shape}")
    e, _ = embed_images(model, x, align_corners)
    feats, sums = [], []
    for b in range(B):
        idx = np.nonzero(keep[b])[0]
        X = np.concatenate([model.token, e[b, idx]], axis=0)[None]
        for blk in model.blocks:
            X = block_forward(X, blk, model.heads)
        s, f = _finish(model, X)
        sums.append(s[0])
        feats.append(f[0])
    return np.stack(sums), np.concatenate(feats, axis=0).reshape(-1, model.D)


# ---------------------------------------------------------------------------------------------
# CLI

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    mk = sub.add_parser("make-checkpoint")
    mk.add_argument("out_dir")
    mk.add_argument("--embed", type=int, required=True)
    mk.add_argument("--depth", type=int, required=True)
    mk.add_argument("--heads", type=int, required=True)
    mk.add_argument("--mlp", type=int, required=True)
    mk.add_argument("--prefix", type=int, required=True)
    mk.add_argument("--num-cls", type=int, required=True)
    mk.add_argument("--layerscale", action="store_true")
    mk.add_argument("--mlpnorm", action="store_true")
    mk.add_argument("--final-norm", action="store_true")
    mk.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    mk.add_argument("--prefix-keys", choices=["radio_model.", "vision_model.radio_model."], default="radio_model.")
    mk.add_argument("--align-corners", type=_parse_bool, default=False)
    mk.add_argument("--seed", type=int, default=0)
    mk.add_argument("--summary-skip", default="", help="comma-separated teacher indices with use_summary=false")
    mk.add_argument("--register-style", choices=["multiple", "count"], default="multiple")

    fw = sub.add_parser("forward")
    fw.add_argument("ckpt_dir")
    fw.add_argument("images")
    fw.add_argument("out")
    fw.add_argument("--align-corners", type=_parse_bool, default=None)
    fw.add_argument("--vitdet-window", type=int, default=None)
    fw.add_argument("--vitdet-num-global", type=int, default=None)
    fw.add_argument("--vitdet-num-windowed", type=int, default=None)

    sp = sub.add_parser("forward-sparse")
    sp.add_argument("ckpt_dir")
    sp.add_argument("images")
    sp.add_argument("keep")
    sp.add_argument("out")
    sp.add_argument("--align-corners", type=_parse_bool, default=None)

    a = ap.parse_args(argv)
    if a.cmd == "make-checkpoint":
        skip = [int(s) for s in a.summary_skip.split(",") if s.strip()]
        make_checkpoint(a.out_dir, a.embed, a.depth, a.heads, a.mlp, a.prefix, a.num_cls,
                        layerscale=a.layerscale, mlpnorm=a.mlpnorm, dtype=a.dtype,
                        prefix_keys=a.prefix_keys, align_corners=a.align_corners, seed=a.seed,
                        final_norm=a.final_norm, summary_skip=skip, register_style=a.register_style)
    elif a.cmd == "forward":
        model = RadioRef(a.ckpt_dir)
        imgs = np.load(a.images)
        s, f = forward(model, imgs, a.align_corners, a.vitdet_window, a.vitdet_num_global,
                       a.vitdet_num_windowed)
        np.savez(a.out, summary=s.astype(np.float32), features=f.astype(np.float32))
    elif a.cmd == "forward-sparse":
        model = RadioRef(a.ckpt_dir)
        s, f = forward_sparse(model, np.load(a.images), np.load(a.keep), a.align_corners)
        np.savez(a.out, summary=s.astype(np.float32), features=f.astype(np.float32))
    return 0


if __name__ == "__main__":
    sys.exit(main())
