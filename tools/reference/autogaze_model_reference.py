#!/usr/bin/env python3
"""Independent NumPy reference for inference of NVIDIA's AutoGaze gaze model (3.26M parameters).

Written from the research notes (shared/specs/autogaze.md §1.1, §2.1, §2.2, §2.2a, §7) and the
upstream algorithm as described there, not from vtok's Swift code.  Plain NumPy, float32
throughout (as upstream on CPU), clarity over speed.  The decoder is simulated the way Hugging
Face `generate` runs it upstream: one growing list of input embeddings and attention-mask entries
for the whole clip, a KV cache that holds every token that was *fed*, and the uncached tail of the
sequence fed at the start of each frame.

Usage
-----
  autogaze_model_reference.py make-weights OUT_DIR SEED [--drop KEY] [--wrong-shape KEY]
      Random weights with the released key names and shapes (49 F32 tensors, 3,258,240
      parameters) in OUT_DIR/model.safetensors, plus OUT_DIR/config.json shaped like the
      released one.  Weights and biases ~ N(0, 0.02²), norm gains ~ 1 + N(0, 0.1²); the
      query/key projections use std 0.1 (peaked attention, so RoPE positions matter) and the K
      loss-head rows share one random direction plus 30% own noise (close predictions, so
      thresholds stop frames at different steps).  --drop leaves a tensor out, --wrong-shape
      stores it flattened (for error tests).
  autogaze_model_reference.py gaze DIR FRAMES.npy THRESHOLD MAX_RATIO OUT.json
      FRAMES.npy: float [T, 3, 224, 224] planar RGB in [0, 1].  THRESHOLD: a number, or "none"
      (no early stop).  Writes per-frame results (see `frame_record`).
  autogaze_model_reference.py encode DIR FRAMES.npy OUT.npy
      The vision tokens (encoder + connector) [T, 196, 192] float32.
  autogaze_model_reference.py pick-threshold DIR FRAMES.npy MAX_RATIO OUT.json
      Runs with no threshold, takes candidate thresholds from the model's own loss predictions
      and keeps the one whose frames stop in the most varied ways (some on the first decode
      step, some later, some at the cap).  Writes {"threshold": t, "result": <gaze output>}.

Model (released checkpoint)
---------------------------
Preprocessing: frames given in [0, 1] and already 224x224 (PIL resize and the bicubic squash of
upstream are identities then); the model's normalisation quirk x*255/127.5 - 1 (to [-1, 1]) and
then (v - mean) / std with ImageNet mean/std per channel.

Vision encoder per frame (causal in time):
  patch Conv3d(3->192, k=(1,16,16), s=16) -> 14x14x192; LayerNorm(192, eps 1e-5) per token;
  Conv3d(192->192, k=(3,3,3), pad (0,1,1)) over [frame t-2, t-1, t] (zero frames before the
  clip) then ReLU; 1x1x1 Conv3d out_proj; + connector pos_embed [196, 192].
  Tokens are row-major over the 14x14 grid.

Decoder: LLaMA (4 layers, hidden 192, 6 heads x 32, SwiGLU 384, RMSNorm eps 1e-5, no biases,
  RoPE theta 500000 with llama3 scaling, factor 8, low 1, high 4, original 8192), causal over the
  whole sequence [V0(196), G0(n0), V1(196), ...]; padded gaze tokens are masked as keys and do not
  advance the position ids (position_ids = cumsum(mask) - 1).  lm_head -> 266*K logits (head i is
  columns [i*266, (i+1)*266)), task_loss_prediction_head -> K scalars, both from the last position.

Generation per frame t (greedy, as AutoGazeModel.generate + the custom _sample upstream):
  cap = max(1, int(float32(MAX_RATIO) * 265)) slots; K = 10 tokens per decode step.
  step: logits of the last fed position; ids already in this frame's slots are masked in every
  head, EOS (265) is masked; for i in 0..K-1: stop the block if (slots so far + block) >= cap or
  head i has nothing left; token = argmax(head i) (first index on ties); mask it in heads i+1...
  Threshold: token i of the block is padded (replaced by 265) when loss prediction i <= THRESHOLD
  (float32 comparison), except token 0 of the frame's first step.  The frame ends when any token
  was padded, when the slot count reaches the cap, or when a head ran out of tokens.
  Otherwise the block is fed for the next step.
  Position quirk (§2.2a): upstream passes the prompt's position ids once and never advances them,
  so every block fed *within* a frame gets the last K position ids of that frame's prompt
  (p-K+1 .. p, p = position of the frame's last vision token).  The frame's final block is not fed
  during its frame; it is fed at the start of the next frame together with that frame's vision
  tokens, with the proper cumsum(mask) - 1 positions (pads masked).
"""
import json
import os
import sys

import numpy as np
from safetensors.numpy import load_file, save_file

F32 = np.float32
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=F32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=F32)

PREFIX = "gazing_model."


# ----------------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------------

def released_config():
    """Our best reconstruction of nvidia/AutoGaze config.json (AutoGazeConfig.to_dict())."""
    common = {  # a few of the PretrainedConfig fields every nested config serialises
        "return_dict": True, "output_hidden_states": False, "output_attentions": False,
        "torchscript": False, "torch_dtype": None, "use_bfloat16": False, "tf_legacy_loss": False,
        "pruned_heads": {}, "tie_word_embeddings": True, "chunk_size_feed_forward": 0,
        "is_encoder_decoder": False, "is_decoder": False, "add_cross_attention": False,
        "architectures": None, "finetuning_task": None, "id2label": {"0": "LABEL_0", "1": "LABEL_1"},
        "label2id": {"LABEL_0": 0, "LABEL_1": 1}, "tokenizer_class": None, "prefix": None,
        "bos_token_id": None, "pad_token_id": None, "eos_token_id": None, "sep_token_id": None,
        "decoder_start_token_id": None, "task_specific_params": None, "problem_type": None,
        "_name_or_path": "", "model_type": "",
    }
    vision = dict(common)
    vision.update({"hidden_dim": 192, "out_dim": 192, "depth": 1, "kernel_size": 16,
                   "temporal_patch_size": 1, "trunk_temporal_kernel_size": 3,
                   "trunk_spatial_kernel_size": 3})
    connector = dict(common)
    connector.update({"hidden_dim": 192, "num_tokens": 196})
    decoder = dict(common)
    decoder.update({
        "model_type": "llama", "vocab_size": 266, "max_position_embeddings": 131072,
        "hidden_size": 192, "intermediate_size": 384, "num_hidden_layers": 4,
        "num_attention_heads": 6, "num_key_value_heads": 6, "hidden_act": "silu",
        "initializer_range": 0.02, "rms_norm_eps": 1e-05, "pretraining_tp": 1, "use_cache": True,
        "rope_theta": 500000.0,
        "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                         "original_max_position_embeddings": 8192, "rope_type": "llama3"},
        "attention_bias": False, "attention_dropout": 0.0, "mlp_bias": False, "head_dim": 32,
        "num_multi_token_pred": 10, "bos_token_id": 1, "eos_token_id": 265,
        "tie_word_embeddings": False,
    })
    gaze_model = dict(common)
    gaze_model.update({"input_img_size": 224, "num_vision_tokens_each_frame": 265,
                       "attn_mode": "sdpa", "vision_model_config": vision,
                       "connector_config": connector, "gaze_decoder_config": decoder})
    return {
        "architectures": ["AutoGaze"], "model_type": "autogaze", "attn_mode": "sdpa",
        "scales": "32+64+112+224", "num_vision_tokens_each_frame": 265, "max_num_frames": 16,
        "use_flash_attn": False, "max_batch_size": None,
        "has_task_loss_requirement_during_training": True,
        "has_task_loss_requirement_during_inference": False,
        "gazing_ratio_config": {"sample_strategy_during_training": "exponential",
                                "sample_strategy_during_inference": "fixed",
                                "fixed": {"gazing_ratio": 0.75},
                                "uniform": {"gazing_ratio_min": 0, "gazing_ratio_max": 1},
                                "exponential": {"gazing_ratio_min": 0, "gazing_ratio_max": 1,
                                                "lambda": 10}},
        "gazing_ratio_each_frame_config": {"sample_strategy_during_training": "self",
                                           "sample_strategy_during_inference": "uniform",
                                           "uniform": {}, "dirichlet": {"alpha": 0.5}, "self": {}},
        "task_loss_requirement_config": {"sample_strategy_during_training": "uniform",
                                         "sample_strategy_during_inference": "fixed",
                                         "fixed": {"task_loss_requirement": 0.7},
                                         "uniform": {"task_loss_requirement_min": 0.6,
                                                     "task_loss_requirement_max": 0.9}},
        "gaze_model_config": gaze_model,
        "torch_dtype": "float32", "transformers_version": "4.51.3",
    }


class Config:
    def __init__(self, raw):
        g = raw.get("gaze_model_config", {})
        v = g.get("vision_model_config", {})
        d = g.get("gaze_decoder_config", {})
        self.tokens_per_frame = raw.get("num_vision_tokens_each_frame", 265)
        self.image = g.get("input_img_size", 224)
        self.patch = v.get("kernel_size", 16)
        self.vision_hidden = v.get("hidden_dim", 192)
        self.vision_out = v.get("out_dim", 192)
        self.trunk_t = v.get("trunk_temporal_kernel_size", 3)
        self.trunk_s = v.get("trunk_spatial_kernel_size", 3)
        self.hidden = d.get("hidden_size", 192)
        self.inter = d.get("intermediate_size", 384)
        self.layers = d.get("num_hidden_layers", 4)
        self.heads = d.get("num_attention_heads", 6)
        self.kv_heads = d.get("num_key_value_heads", self.heads) or self.heads
        self.head_dim = d.get("head_dim", self.hidden // self.heads) or self.hidden // self.heads
        self.eps = d.get("rms_norm_eps", 1e-5)
        self.theta = d.get("rope_theta", 500000.0)
        self.rope_scaling = d.get("rope_scaling", {
            "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
            "original_max_position_embeddings": 8192})
        self.K = d.get("num_multi_token_pred", 10)
        self.vocab = self.tokens_per_frame + 1
        self.eos = self.tokens_per_frame
        self.grid = self.image // self.patch


def tensor_shapes(c):
    P = PREFIX
    shapes = {
        P + "vision_model.temporal_conv.weight": (c.vision_hidden, 3, 1, c.patch, c.patch),
        P + "vision_model.temporal_conv.bias": (c.vision_hidden,),
        P + "vision_model.norm.weight": (c.vision_hidden,),
        P + "vision_model.norm.bias": (c.vision_hidden,),
        P + "vision_model.blocks.0.conv3d.weight": (c.vision_hidden, c.vision_hidden, c.trunk_t, c.trunk_s, c.trunk_s),
        P + "vision_model.blocks.0.conv3d.bias": (c.vision_hidden,),
        P + "vision_model.out_proj.weight": (c.vision_out, c.vision_hidden, 1, 1, 1),
        P + "vision_model.out_proj.bias": (c.vision_out,),
        P + "connector.pos_embed": (c.grid * c.grid, c.vision_out),
        P + "gaze_decoder.model.embed_tokens.weight": (c.vocab, c.hidden),
        P + "gaze_decoder.model.norm.weight": (c.hidden,),
        P + "gaze_decoder.lm_head.weight": (c.vocab * c.K, c.hidden),
        P + "gaze_decoder.task_loss_prediction_head.weight": (c.K, c.hidden),
    }
    for i in range(c.layers):
        L = P + f"gaze_decoder.model.layers.{i}."
        shapes[L + "self_attn.q_proj.weight"] = (c.heads * c.head_dim, c.hidden)
        shapes[L + "self_attn.k_proj.weight"] = (c.kv_heads * c.head_dim, c.hidden)
        shapes[L + "self_attn.v_proj.weight"] = (c.kv_heads * c.head_dim, c.hidden)
        shapes[L + "self_attn.o_proj.weight"] = (c.hidden, c.heads * c.head_dim)
        shapes[L + "mlp.gate_proj.weight"] = (c.inter, c.hidden)
        shapes[L + "mlp.up_proj.weight"] = (c.inter, c.hidden)
        shapes[L + "mlp.down_proj.weight"] = (c.hidden, c.inter)
        shapes[L + "input_layernorm.weight"] = (c.hidden,)
        shapes[L + "post_attention_layernorm.weight"] = (c.hidden,)
    return shapes


def make_weights(out_dir, seed, drop=None, wrong_shape=None):
    raw = released_config()
    c = Config(raw)
    rng = np.random.default_rng(seed)
    tensors = {}
    for name, shape in tensor_shapes(c).items():
        if name.endswith("task_loss_prediction_head.weight"):
            # The K rows share one direction (plus 30% own noise), like a trained head whose K
            # predictions are close; then thresholds stop frames at different decode steps.
            common = rng.standard_normal((1, shape[1]))
            value = 0.02 * (common + 0.3 * rng.standard_normal(shape))
        elif "q_proj" in name or "k_proj" in name:
            # Larger query/key weights give peaked attention, so RoPE positions (and the
            # position quirk) change the outputs noticeably, as they do in the trained model.
            value = 0.1 * rng.standard_normal(shape)
        elif "norm" in name and name.endswith("weight"):
            value = 1.0 + 0.1 * rng.standard_normal(shape)   # norm gains around 1
        elif name.endswith("bias"):
            value = 0.02 * rng.standard_normal(shape)
        else:
            value = 0.02 * rng.standard_normal(shape)
        tensors[name] = value.astype(F32)
    total = sum(v.size for v in tensors.values())
    assert len(tensors) == 49 and total == 3_258_240, (len(tensors), total)
    if drop is not None:
        del tensors[drop]
    if wrong_shape is not None:
        v = tensors[wrong_shape]
        tensors[wrong_shape] = v.reshape(-1) if v.ndim != 1 else v[:-1].copy()
    os.makedirs(out_dir, exist_ok=True)
    save_file(tensors, os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(raw, f, indent=2)


# ----------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------

class Model:
    def __init__(self, directory):
        cfg_path = os.path.join(directory, "config.json")
        raw = json.load(open(cfg_path)) if os.path.exists(cfg_path) else {}
        self.c = Config(raw)
        w = load_file(os.path.join(directory, "model.safetensors"))
        self.w = {k[len(PREFIX):]: v.astype(F32) for k, v in w.items()}
        self.inv_freq = rope_inverse_frequencies(self.c)

    # --- vision ---

    def vision_tokens(self, frames):
        """frames [T, 3, 224, 224] in [0, 1] -> [T, 196, 192] float32."""
        c, w = self.c, self.w
        x = frames.astype(F32)
        x = x * F32(255.0) / F32(127.5) - F32(1.0)
        x = (x - IMAGENET_MEAN[None, :, None, None]) / IMAGENET_STD[None, :, None, None]
        T = x.shape[0]
        g, p = c.grid, c.patch
        # patch conv: (c, kh, kw) ordering of the kernel
        patches = x.reshape(T, 3, g, p, g, p).transpose(0, 2, 4, 1, 3, 5).reshape(T, g * g, 3 * p * p)
        kernel = w["vision_model.temporal_conv.weight"].reshape(c.vision_hidden, -1)
        feat = patches @ kernel.T + w["vision_model.temporal_conv.bias"]          # [T, 196, C]
        # LayerNorm over channels
        mean = feat.mean(-1, keepdims=True)
        var = ((feat - mean) ** 2).mean(-1, keepdims=True)
        feat = (feat - mean) / np.sqrt(var + F32(1e-5))
        feat = feat * w["vision_model.norm.weight"] + w["vision_model.norm.bias"]
        feat = feat.astype(F32).reshape(T, g, g, c.vision_hidden)
        # causal 3x3x3 conv: 2 zero frames before the clip, 1 pixel of zero padding in space
        kt, ks = c.trunk_t, c.trunk_s
        pad = (ks - 1) // 2
        padded = np.zeros((T + kt - 1, g + 2 * pad, g + 2 * pad, c.vision_hidden), dtype=F32)
        padded[kt - 1:, pad:pad + g, pad:pad + g] = feat
        trunk_w = w["vision_model.blocks.0.conv3d.weight"]   # [out, in, kt, kh, kw]
        out = np.zeros((T, g, g, c.vision_hidden), dtype=F32)
        for dt in range(kt):
            for dy in range(ks):
                for dx in range(ks):
                    window = padded[dt:dt + T, dy:dy + g, dx:dx + g]          # [T, g, g, in]
                    out += window @ trunk_w[:, :, dt, dy, dx].T
        out = np.maximum(out + w["vision_model.blocks.0.conv3d.bias"], F32(0))
        proj = w["vision_model.out_proj.weight"].reshape(c.vision_out, c.vision_hidden)
        out = out.reshape(T, g * g, c.vision_hidden) @ proj.T + w["vision_model.out_proj.bias"]
        return (out + w["connector.pos_embed"][None]).astype(F32)

    # --- decoder ---

    def embed(self, ids):
        return self.w["gaze_decoder.model.embed_tokens.weight"][np.asarray(ids, dtype=np.int64)]

    def decoder_step(self, cache, x, positions, mask):
        """Feeds x [n, hidden] at `positions` after the cached tokens; `mask` covers cache + new
        (0 = padded key).  Appends to `cache` and returns the final-normed hidden state of the
        last position."""
        c, w = self.c, self.w
        n = x.shape[0]
        start = cache["length"]
        total = start + n
        assert mask.shape[0] == total, (mask.shape, total)
        cos, sin = rope_tables(self.inv_freq, positions)                       # [n, head_dim]
        allowed = (np.arange(total)[None, :] <= (start + np.arange(n))[:, None]) & (mask[None, :] == 1)
        h = x.astype(F32)
        for i in range(c.layers):
            L = f"gaze_decoder.model.layers.{i}."
            a = rms_norm(h, w[L + "input_layernorm.weight"], c.eps)
            q = (a @ w[L + "self_attn.q_proj.weight"].T).reshape(n, c.heads, c.head_dim)
            k = (a @ w[L + "self_attn.k_proj.weight"].T).reshape(n, c.kv_heads, c.head_dim)
            v = (a @ w[L + "self_attn.v_proj.weight"].T).reshape(n, c.kv_heads, c.head_dim)
            q = apply_rope(q, cos, sin)
            k = apply_rope(k, cos, sin)
            keys = np.concatenate([cache["k"][i], k], 0) if start else k
            values = np.concatenate([cache["v"][i], v], 0) if start else v
            cache["k"][i], cache["v"][i] = keys, values
            group = c.heads // c.kv_heads
            out = np.zeros((n, c.heads, c.head_dim), dtype=F32)
            for hd in range(c.heads):
                qh = np.ascontiguousarray(q[:, hd])                             # [n, d]
                kh = np.ascontiguousarray(keys[:, hd // group])                 # [total, d]
                vh = np.ascontiguousarray(values[:, hd // group])
                scores = (qh @ kh.T) / F32(np.sqrt(c.head_dim))                 # [n, total]
                scores = np.where(allowed, scores, F32(-np.inf))
                scores = scores - scores.max(-1, keepdims=True)
                e = np.exp(scores)
                probs = e / e.sum(-1, keepdims=True)
                out[:, hd] = probs @ vh
            h = h + out.reshape(n, -1) @ w[L + "self_attn.o_proj.weight"].T
            m = rms_norm(h, w[L + "post_attention_layernorm.weight"], c.eps)
            gate = m @ w[L + "mlp.gate_proj.weight"].T
            up = m @ w[L + "mlp.up_proj.weight"].T
            h = h + (silu(gate) * up) @ w[L + "mlp.down_proj.weight"].T
            h = h.astype(F32)
        cache["length"] = total
        return rms_norm(h[-1:], w["gaze_decoder.model.norm.weight"], c.eps)[0]

    def heads(self, hidden):
        c, w = self.c, self.w
        logits = (w["gaze_decoder.lm_head.weight"] @ hidden).reshape(c.K, c.vocab)
        losses = w["gaze_decoder.task_loss_prediction_head.weight"] @ hidden
        return logits.astype(F32), losses.astype(F32)

    # --- generation ---

    def gaze(self, frames, threshold, max_ratio):
        c = self.c
        K = c.K
        cap = max(1, int(F32(max_ratio) * F32(c.tokens_per_frame)))
        vision = self.vision_tokens(frames)
        thr = None if threshold is None else F32(threshold)
        seq_embeds = []      # whole-clip input embeddings (as passed to generate every frame)
        seq_mask = []        # whole-clip attention mask
        cache = {"length": 0, "k": [None] * c.layers, "v": [None] * c.layers}
        records = []
        for t in range(vision.shape[0]):
            seq_embeds.append(vision[t])
            seq_mask.extend([1] * vision.shape[1])
            prompt = np.concatenate(seq_embeds, 0)
            prompt_mask = np.array(seq_mask, dtype=np.int64)
            prompt_pos = np.cumsum(prompt_mask) - 1
            # generate(): feed the part of the prompt that is not cached yet
            start = cache["length"]
            step_x, step_pos = prompt[start:], prompt_pos[start:]
            gen_mask = prompt_mask.copy()
            slots, slot_losses, step_losses = [], [], []
            first_step = True
            stopped_by_threshold = False
            while True:
                hidden = self.decoder_step(cache, step_x, step_pos, gen_mask)
                logits, losses = self.heads(hidden)
                step_losses.append([float(v) for v in losses])
                scores = logits.copy()
                if slots:
                    scores[:, np.array(slots)] = -np.inf     # no repeats within the frame
                scores[:, c.eos] = -np.inf                   # never emit EOS
                block = []
                early = False
                for i in range(K):
                    if len(block) + len(slots) >= cap:
                        early = True
                        break
                    if np.all(scores[i] == -np.inf):
                        early = True
                        break
                    token = int(np.argmax(scores[i]))
                    block.append(token)
                    scores[i + 1:, token] = -np.inf
                met = np.zeros(len(block), dtype=bool)
                if thr is not None:
                    met = losses[:len(block)] <= thr
                    if first_step:
                        met[0] = False
                block = [c.eos if m else tok for tok, m in zip(block, met)]
                at_cap = len(block) + len(slots) >= cap
                slots.extend(block)
                slot_losses.extend(float(v) for v in losses[:len(block)])
                first_step = False
                if met.any():
                    stopped_by_threshold = True
                if met.any() or at_cap or early:
                    break
                # next decode step: the block is fed with the stale prompt position ids
                gen_mask = np.concatenate([gen_mask, np.ones(K, dtype=np.int64)])
                step_x = self.embed(block)
                step_pos = prompt_pos[-len(block):]
            padded = [tok == c.eos for tok in slots]
            seq_embeds.append(self.embed(slots))
            seq_mask.extend(0 if p else 1 for p in padded)
            records.append(frame_record(slots, padded, slot_losses, step_losses, stopped_by_threshold))
        return {"cap": cap, "frames": records}


def frame_record(slots, padded, slot_losses, step_losses, stopped):
    ids = [tok for tok, p in zip(slots, padded) if not p]
    kept_losses = [l for l, p in zip(slot_losses, padded) if not p]
    if stopped:
        kept_losses.append(next(l for l, p in zip(slot_losses, padded) if p))
    return {
        "ids": ids,                               # chosen local ids, generation order, pads removed
        "predicted_losses": kept_losses,          # loss prediction per kept id (+ the stopping one)
        "stopped_by_threshold": bool(stopped),
        "slots": slots,                           # all slots, pads as 265
        "slot_losses": slot_losses,
        "step_losses": step_losses,               # all K predictions of every decode step
        "steps": len(step_losses),
        "kept_after_pad": any(p and not q for p, q in zip(padded, padded[1:])),
    }


def rms_norm(x, weight, eps):
    x = x.astype(F32)
    var = (x * x).mean(-1, keepdims=True)
    return (weight * (x / np.sqrt(var + F32(eps)))).astype(F32)


def silu(x):
    return (x / (F32(1) + np.exp(-x))).astype(F32)


def rope_inverse_frequencies(c):
    """transformers' default / llama3 inverse frequencies, in float32 like torch."""
    dim = c.head_dim
    inv = F32(1.0) / (F32(c.theta) ** (np.arange(0, dim, 2, dtype=np.int64).astype(F32) / F32(dim)))
    rs = c.rope_scaling or {}
    kind = rs.get("rope_type", rs.get("type", "default"))
    if kind == "default":
        return inv.astype(F32)
    assert kind == "llama3", kind
    factor = F32(rs["factor"])
    low, high = F32(rs["low_freq_factor"]), F32(rs["high_freq_factor"])
    old = F32(rs["original_max_position_embeddings"])
    low_wavelen = old / low
    high_wavelen = old / high
    wavelen = F32(2 * np.pi) / inv
    scaled = np.where(wavelen > low_wavelen, inv / factor, inv).astype(F32)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (F32(1) - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return np.where(medium, smoothed, scaled).astype(F32)


def rope_tables(inv_freq, positions):
    freqs = np.asarray(positions, dtype=F32)[:, None] * inv_freq[None, :]
    emb = np.concatenate([freqs, freqs], -1).astype(F32)
    return np.cos(emb).astype(F32), np.sin(emb).astype(F32)


def apply_rope(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = np.concatenate([-x[..., half:], x[..., :half]], -1)
    return (x * cos[:, None, :] + rotated * sin[:, None, :]).astype(F32)


# ----------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------

def load_frames(path):
    frames = np.load(path).astype(F32)
    assert frames.ndim == 4 and frames.shape[1:] == (3, 224, 224), frames.shape
    return frames


def stop_signature(result, K):
    kinds = set()
    for f in result["frames"]:
        if f["stopped_by_threshold"]:
            kinds.add("step1" if f["steps"] == 1 else "later")
            if f["steps"] == 1 and len(f["ids"]) > 1:
                kinds.add("step1-multi")
        else:
            kinds.add("cap")
        if f["kept_after_pad"]:
            kinds.add("kept-after-pad")
    return kinds


def pick_threshold(model, frames, max_ratio):
    """A threshold taken from the model's own cap-only loss predictions under which frames stop
    in varied ways.  Candidates: for every frame, each new low of its per-step minimum loss
    prediction after the first step (that frame would stop at that later step if the earlier
    frames behaved as without threshold), then a few quantiles.  The first candidate giving
    first-step stops, later-step stops and a third kind (cap, or a first-step stop keeping > 1
    id) wins; else the most varied one."""
    base = model.gaze(frames, None, max_ratio)
    candidates = []
    for f in base["frames"]:
        lows = [min(s[1:]) if i == 0 else min(s) for i, s in enumerate(f["step_losses"])]
        for j in range(1, len(lows)):
            if lows[j] < min(lows[:j]):
                candidates.append(lows[j])
    values = np.array([l for f in base["frames"] for s in f["step_losses"] for l in s], dtype=np.float64)
    candidates += list(np.quantile(values, [0.05, 0.1, 0.2]))
    best = None
    for q in candidates[:10]:
        thr = float(F32(q))
        result = model.gaze(frames, thr, max_ratio)
        kinds = stop_signature(result, model.c.K)
        score = len(kinds) + (3 if "step1" in kinds and "later" in kinds else 0)
        if best is None or score > best[0]:
            best = (score, thr, result)
        if "step1" in kinds and "later" in kinds and ("cap" in kinds or "step1-multi" in kinds):
            break
    return {"threshold": best[1], "kinds": sorted(stop_signature(best[2], model.c.K)), "result": best[2]}


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "make-weights":
        out_dir, seed = argv[2], int(argv[3])
        drop = wrong = None
        rest = argv[4:]
        while rest:
            flag, value = rest[0], rest[1]
            rest = rest[2:]
            if flag == "--drop":
                drop = value
            elif flag == "--wrong-shape":
                wrong = value
            else:
                raise SystemExit(f"unknown option {flag}")
        make_weights(out_dir, seed, drop, wrong)
    elif cmd == "gaze":
        model = Model(argv[2])
        frames = load_frames(argv[3])
        threshold = None if argv[4].lower() == "none" else float(argv[4])
        result = model.gaze(frames, threshold, float(argv[5]))
        with open(argv[6], "w") as f:
            json.dump(result, f)
    elif cmd == "encode":
        model = Model(argv[2])
        np.save(argv[4], model.vision_tokens(load_frames(argv[3])))
    elif cmd == "pick-threshold":
        model = Model(argv[2])
        out = pick_threshold(model, load_frames(argv[3]), float(argv[4]))
        with open(argv[5], "w") as f:
            json.dump(out, f)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
