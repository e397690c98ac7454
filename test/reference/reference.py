"""
Independent fp32 PyTorch logits for a checkpoint folder, to hold the converted ONNX model against.
Dream family (Dream, DiffuCoder, Open-dCoder): transformers' own Qwen2 modules with the causal mask
removed. LLaDA: written here from the published modeling_llada.py (RMSNorm, RoPE, bidirectional
attention, SwiGLU over ff_proj/up_proj, untied ff_out head). SDAR: transformers' own Qwen3 modules
(q_norm / k_norm, stated head_dim) under SDAR's inference mask, tril(ones(blocks, blocks)) repeated
block_size times along both axes (JetAstra/SDAR generate.py). Fast-dLLM v2: the Dream reference
under the same block rule over bd_size tokens. Nothing is shared with src/convert.

Usage: reference.py CHECKPOINT_DIR (--ids JSON | --ids-file FILE) [--positions 0,3,...]
                    [--topk K] [--canvas-start N --canvas-length N] [--out FILE]
Prints (or writes) JSON: {"family", "shifted", "vocab", "rows": {position: [logits…]} or
{position: [[id, logit]…]} with --topk; with --canvas-start, "canvas": the rows the sampler sees
at each canvas position j (row canvasStart + j − 1 when shifted, else canvasStart + j)}. A dump
written by `npm run complete -- --dump-logits` gives ids, canvasStart and the canvas length itself.
"""
import argparse
import glob
import json
import math
import os
import sys

import torch
from safetensors.torch import load_file


def read_config(folder):
    with open(os.path.join(folder, "config.json")) as f:
        return json.load(f)


def family_of(config):
    kind = config.get("model_type")
    if kind == "llada":
        return "llada"
    if kind in ("Dream", "qwen2"):
        return "dream"
    if kind == "sdar":
        return "sdar"
    if kind == "Fast_dLLM_Qwen":
        return "fast-dllm-v2"
    raise SystemExit(f"reference: unknown model_type {kind!r}")


def read_weights(folder):
    """Every tensor of every shard, widened to fp32 (bf16 → fp32 is exact)."""
    tensors = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.safetensors"))):
        tensors.update(load_file(path))
    return {k: v.to(torch.float32) for k, v in tensors.items()}


def bidirectional_qwen2(folder, config, attn_implementation="eager"):
    """transformers' Qwen2ForCausalLM with the folder's weights in fp32, no module falling back to a causal kernel."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    # Only the keys Qwen2 needs: Dream's own (mask_token_id, auto_map…) mean nothing to it.
    q = Qwen2Config(
        vocab_size=config["vocab_size"], hidden_size=config["hidden_size"],
        intermediate_size=config["intermediate_size"], num_hidden_layers=config["num_hidden_layers"],
        num_attention_heads=config["num_attention_heads"], num_key_value_heads=config["num_key_value_heads"],
        hidden_act=config.get("hidden_act", "silu"), max_position_embeddings=config["max_position_embeddings"],
        rms_norm_eps=config["rms_norm_eps"], rope_theta=config["rope_theta"],  # pyright: ignore[reportCallIssue]
        tie_word_embeddings=bool(config.get("tie_word_embeddings", False)), use_sliding_window=False,
        attention_dropout=0.0, attn_implementation=attn_implementation,  # pyright: ignore[reportCallIssue]
    )
    theta = (getattr(q, "rope_parameters", None) or {}).get("rope_theta", getattr(q, "rope_theta", None))
    if theta != config["rope_theta"]:
        raise SystemExit(f"reference: Qwen2Config took rope_theta {theta}, the checkpoint says {config['rope_theta']}")
    model = Qwen2ForCausalLM(q).to(torch.float32)  # pyright: ignore[reportArgumentType]
    weights = read_weights(folder)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    allowed_missing = {"lm_head.weight"} if q.tie_word_embeddings else set()
    if set(missing) - allowed_missing or unexpected:
        raise SystemExit(f"reference: weights do not fit Qwen2: missing {missing}, unexpected {unexpected}")
    if q.tie_word_embeddings:
        model.tie_weights()
    # Bidirectional: no module may fall back to a causal kernel (callers hand in an all-zeros mask,
    # as the prepared per-layer-type mapping, so no causal mask is ever built).
    for module in model.modules():
        if hasattr(module, "is_causal"):
            module.is_causal = False  # pyright: ignore[reportArgumentType] (a flag, not a submodule)
    return model


def dream_logits(folder, config, ids, mask=None):
    model = bidirectional_qwen2(folder, config).eval()
    n = len(ids)
    if mask is None:
        mask = torch.zeros(1, 1, n, n, dtype=torch.float32)
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), attention_mask={"full_attention": mask}, use_cache=False)
    return out.logits[0]


def block_causal_mask(n, block):
    """SDAR's inference mask as an additive float mask [1, 1, n, n]: blocks from position 0, each seeing
    itself and earlier ones."""
    blocks = (n + block - 1) // block
    allowed = torch.tril(torch.ones(blocks, blocks)).repeat_interleave(block, 0).repeat_interleave(block, 1)[:n, :n]
    return torch.zeros(n, n).masked_fill(allowed == 0, float("-inf"))[None, None]


def sdar_logits(folder, config, ids):
    from transformers import Qwen3Config, Qwen3ForCausalLM

    # Only the keys Qwen3 needs: SDAR's own (block_size, mask_token_id, fuse_cross_entropy…) mean nothing to it.
    q = Qwen3Config(
        vocab_size=config["vocab_size"], hidden_size=config["hidden_size"],
        intermediate_size=config["intermediate_size"], num_hidden_layers=config["num_hidden_layers"],
        num_attention_heads=config["num_attention_heads"], num_key_value_heads=config["num_key_value_heads"],
        head_dim=config["head_dim"], hidden_act=config.get("hidden_act", "silu"),
        max_position_embeddings=config["max_position_embeddings"], rms_norm_eps=config["rms_norm_eps"],
        rope_theta=config["rope_theta"], tie_word_embeddings=bool(config.get("tie_word_embeddings", False)),  # pyright: ignore[reportCallIssue]
        attention_bias=False, use_sliding_window=False, attention_dropout=0.0,
        attn_implementation="eager",  # pyright: ignore[reportCallIssue]
    )
    theta = (getattr(q, "rope_parameters", None) or {}).get("rope_theta", getattr(q, "rope_theta", None))
    if theta != config["rope_theta"]:
        raise SystemExit(f"reference: Qwen3Config took rope_theta {theta}, the checkpoint says {config['rope_theta']}")
    model = Qwen3ForCausalLM(q).to(torch.float32).eval()  # pyright: ignore[reportArgumentType]
    missing, unexpected = model.load_state_dict(read_weights(folder), strict=False)
    allowed_missing = {"lm_head.weight"} if q.tie_word_embeddings else set()
    if set(missing) - allowed_missing or unexpected:
        raise SystemExit(f"reference: weights do not fit Qwen3: missing {missing}, unexpected {unexpected}")
    if q.tie_word_embeddings:
        model.tie_weights()
    for module in model.modules():
        if hasattr(module, "is_causal"):
            module.is_causal = False  # pyright: ignore[reportArgumentType] (a flag, not a submodule)
    mask = block_causal_mask(len(ids), config["block_size"])
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), attention_mask={"full_attention": mask}, use_cache=False)
    return out.logits[0]


class LladaReference:
    """LLaDA's forward pass (block_type llama), from the published modelling code's equations."""

    def __init__(self, config, w):
        self.c, self.w = config, w
        self.heads = config["n_heads"]
        self.kv_heads = config.get("n_kv_heads") or self.heads
        self.hd = config["d_model"] // self.heads
        self.eps = config["rms_norm_eps"]

    def rms(self, x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * weight

    def rope(self, x):
        # Non-interleaved halves: (x1, x2) → (x1 cos − x2 sin, x2 cos + x1 sin), angles pos · θ^(−2i/d).
        t = x.shape[-2]
        inv = 1.0 / (self.c["rope_theta"] ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))
        ang = torch.outer(torch.arange(t, dtype=torch.float32), inv)
        cos, sin = torch.cat([ang, ang], -1).cos(), torch.cat([ang, ang], -1).sin()
        x1, x2 = x[..., : self.hd // 2], x[..., self.hd // 2:]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def forward(self, ids):
        w, c = self.w, self.c
        x = w["model.transformer.wte.weight"][torch.tensor(ids)]
        t = x.shape[0]
        for i in range(c["n_layers"]):
            p = f"model.transformer.blocks.{i}."
            h = self.rms(x, w[p + "attn_norm.weight"])
            q = (h @ w[p + "q_proj.weight"].T).view(t, self.heads, self.hd).transpose(0, 1)
            k = (h @ w[p + "k_proj.weight"].T).view(t, self.kv_heads, self.hd).transpose(0, 1)
            v = (h @ w[p + "v_proj.weight"].T).view(t, self.kv_heads, self.hd).transpose(0, 1)
            q, k = self.rope(q), self.rope(k)
            rep = self.heads // self.kv_heads
            k, v = k.repeat_interleave(rep, 0), v.repeat_interleave(rep, 0)
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)  # every token sees every token
            att = torch.softmax(scores, -1) @ v
            x = x + att.transpose(0, 1).reshape(t, -1) @ w[p + "attn_out.weight"].T
            h = self.rms(x, w[p + "ff_norm.weight"])
            gate = torch.nn.functional.silu(h @ w[p + "ff_proj.weight"].T)
            x = x + (gate * (h @ w[p + "up_proj.weight"].T)) @ w[p + "ff_out.weight"].T
        x = self.rms(x, w["model.transformer.ln_f.weight"])
        head = w["model.transformer.wte.weight"] if c.get("weight_tying") else w["model.transformer.ff_out.weight"]
        return x @ head.T


def logits_for(folder, ids):
    """(family, shifted, logits [L, V] fp32) for the checkpoint at folder."""
    config = read_config(folder)
    family = family_of(config)
    with torch.no_grad():
        if family == "llada":
            logits = LladaReference(config, read_weights(folder)).forward(ids)
        elif family == "sdar":
            logits = sdar_logits(folder, config, ids)
        elif family == "fast-dllm-v2":
            logits = dream_logits(folder, config, ids, block_causal_mask(len(ids), config["bd_size"]))
        else:
            logits = dream_logits(folder, config, ids)
    return family, family in ("dream", "fast-dllm-v2"), logits


def canvas_rows(shifted, start, length):
    """The logits row the sampler reads for each canvas position. Dream's sampler shifts by one
    (position i reads row i − 1, and position 0 keeps row 0), so the first canvas slot is predicted
    by the row before the canvas."""
    if not shifted:
        return [start + j for j in range(length)]
    return [max(0, start + j - 1) for j in range(length)]


def main():
    ap = argparse.ArgumentParser(description="fp32 reference logits for a diffusion checkpoint")
    ap.add_argument("checkpoint")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--ids", help="JSON list of token ids")
    src.add_argument("--ids-file", help="a JSON file: a list of ids, or a dump with a 'tokens' list")
    ap.add_argument("--positions", help="comma-separated rows to output (default: all)")
    ap.add_argument("--topk", type=int, default=0, help="output the k highest [id, logit] pairs per row")
    ap.add_argument("--canvas-start", type=int, help="also output the canvas rows as the sampler sees them")
    ap.add_argument("--canvas-length", type=int, help="canvas positions (default: to the end of the ids)")
    ap.add_argument("--out", help="write JSON here instead of stdout")
    args = ap.parse_args()

    if args.ids is not None:
        ids = json.loads(args.ids)
    else:
        with open(args.ids_file) as f:
            loaded = json.load(f)
        ids = loaded["tokens"] if isinstance(loaded, dict) else loaded
        if isinstance(loaded, dict) and args.canvas_start is None and "canvasStart" in loaded:
            args.canvas_start = loaded["canvasStart"]
            args.canvas_length = args.canvas_length or len(loaded.get("topk", [])) or None
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    family, shifted, logits = logits_for(args.checkpoint, ids)

    def row(r):
        if args.topk:
            values, idx = torch.topk(logits[r], args.topk)
            return [[int(i), float(v)] for i, v in zip(idx, values)]
        return [float(v) for v in logits[r]]

    rows = range(len(ids)) if not args.positions else [int(p) for p in args.positions.split(",")]
    result = {"family": family, "shifted": shifted, "vocab": int(logits.shape[1]),
              "rows": {str(r): row(r) for r in rows}}
    if args.canvas_start is not None:
        result["canvas"] = [row(r) for r in canvas_rows(shifted, args.canvas_start,
                                                        args.canvas_length or len(ids) - args.canvas_start)]
    text = json.dumps(result)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
