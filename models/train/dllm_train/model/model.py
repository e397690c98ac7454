"""Transformer for masked-diffusion code infilling, split contract.

Context tokens (prefix, suffix, specials) never attend to canvas tokens, so their keys and
values stay fixed while the canvas denoises. Canvas tokens attend to every context token and to
their own canvas. Context and canvas run through the same layers; at inference the context is
encoded once (`encode_context`) and each denoising pass runs only the canvas (`denoise`).

The context attends to itself either bidirectionally or causally in suffix-then-prefix order
(`context_attention`, see layout.py): with the causal order, typing only appends context tokens,
so their keys and values can be extended (`past_keys`/`past_values`) instead of recomputed.

Shapes: B batch, T sequence, C context length, N canvas length, H heads, D head dim, V vocab.
Inference and export use plain matmul + additive mask + softmax attention (runs on torch 1.13
and exports to ONNX without fused kernels); training can use PyTorch 2's fused attention
through TrainingMask (training_mask.py).
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, cast

import torch
import torch.nn as nn
import torch.nn.functional as F

if TYPE_CHECKING:
    from dllm_train.model.training_mask import TrainingMask

# Additive mask value for forbidden attention. Finite (not -inf) so a row that is entirely
# forbidden still yields a defined softmax instead of NaN.
NEG_INF = -1e9


@dataclass
class ModelConfig:
    vocab_size: int = 4096  # token ids (train.py takes it from the data's meta.json)
    d_model: int = 256  # residual stream width
    n_layers: int = 6  # transformer blocks
    n_heads: int = 4  # attention heads per block
    head_dim: int = 64  # width of one attention head
    ffn_hidden: int = 704  # SwiGLU hidden width
    rope_theta: float = 10000.0  # RoPE base
    norm_eps: float = 1e-5  # RMSNorm epsilon
    # "bidirectional" or "causalSuffixFirst" (layout.CONTEXT_ATTENTION)
    context_attention: str = "bidirectional"

    @staticmethod
    def from_dict(d: dict) -> ModelConfig:
        known = {k: d[k] for k in ModelConfig.__dataclass_fields__ if k in d}
        return ModelConfig(**known)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # In fp32 whatever the autocast dtype: the mean of squares loses too much in bf16.
        x32 = x.float()
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight).to(x.dtype)


def rotary_cos_sin(pos: torch.Tensor, head_dim: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """pos [B,T] int64 -> cos, sin [B,1,T,D] (halves duplicated, rotate-half convention)."""
    half = head_dim // 2
    inv_freq = 1.0 / (theta ** (torch.arange(0, half, dtype=torch.float32, device=pos.device) / half))
    angles = pos.to(torch.float32).unsqueeze(-1) * inv_freq  # [B,T,D/2]
    angles = torch.cat([angles, angles], dim=-1).unsqueeze(1)  # [B,1,T,D]
    return angles.cos(), angles.sin()


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x [B,H,T,D]."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    rotated = torch.cat([-x2, x1], dim=-1)
    return x * cos + rotated * sin


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.head_dim = cfg.head_dim
        inner = cfg.n_heads * cfg.head_dim
        self.qkv = nn.Linear(cfg.d_model, 3 * inner, bias=False)
        self.out = nn.Linear(inner, cfg.d_model, bias=False)

    def project(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor):
        """x [B,T,d] -> q, k, v [B,H,T,D], rotary applied to q and k (in v's dtype)."""
        b, t, _ = x.shape
        qkv = self.qkv(x).view(b, t, 3, self.n_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        return apply_rotary(q, cos, sin).to(v.dtype), apply_rotary(k, cos, sin).to(v.dtype), v

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask) -> torch.Tensor:
        """q [B,H,Tq,D], k/v [B,H,Tk,D], mask: None, an additive float [B,1,Tq,Tk] or a
        TrainingMask -> [B,Tq,d]."""
        if mask is None or torch.is_tensor(mask):
            y = plain_attention(q, k, v, mask, 1.0 / math.sqrt(self.head_dim))  # [B,H,Tq,D]
        else:  # a TrainingMask (training_mask.py): its backend applies it
            y = mask.attend(q, k, v)
        return self.merge_heads(y)

    def attend_two(self, q: torch.Tensor, k1: torch.Tensor, v1: torch.Tensor, k2: torch.Tensor, v2: torch.Tensor,
                   additive: torch.Tensor | None) -> torch.Tensor:
        """`attend` over the keys/values of k1, v1 then k2, v2 without joining them: the canvas (a few
        queries) reads a long cached context on every denoising pass, and joining the scores costs
        less than copying the context's keys and values into one tensor each time (measured: 4-7 %
        of a pass at 448-2048 context tokens). For many queries (a context pass) the scores are the
        larger copy, so encode_context joins the keys and values instead.
        additive [B|1,1,Tq,T1+T2] or None."""
        scale = 1.0 / math.sqrt(self.head_dim)
        scores = torch.cat([torch.matmul(q, k1.transpose(-1, -2)), torch.matmul(q, k2.transpose(-1, -2))], dim=-1) * scale
        if additive is not None:
            scores = scores + additive
        p = torch.softmax(scores.float(), dim=-1).to(v1.dtype)
        t1 = k1.shape[2]
        return self.merge_heads(torch.matmul(p[..., :t1], v1) + torch.matmul(p[..., t1:], v2))

    def merge_heads(self, y: torch.Tensor) -> torch.Tensor:
        """y [B,H,T,D] -> the output projection [B,T,d]."""
        b, h, tq, d = y.shape
        return self.out(y.transpose(1, 2).reshape(b, tq, h * d))


def plain_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, additive: torch.Tensor | None,
                    scale: float) -> torch.Tensor:
    """softmax(q k^T * scale + additive) v: the reference, and what the graphs export. The softmax
    runs in fp32 when the inputs are not (bf16 autocast)."""
    scores = torch.matmul(q, k.transpose(-1, -2)) * scale
    if additive is not None:
        scores = scores + additive
    if scores.dtype == torch.float32:
        return torch.matmul(torch.softmax(scores, dim=-1), v)
    return torch.matmul(torch.softmax(scores.float(), dim=-1).to(v.dtype), v)


class SwiGLU(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate_up = nn.Linear(cfg.d_model, 2 * cfg.ffn_hidden, bias=False)
        self.down = nn.Linear(cfg.ffn_hidden, cfg.d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_up(x).chunk(2, dim=-1)
        return self.down(F.silu(gate) * up)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.ffn_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.ffn = SwiGLU(cfg)


class DiffusionLM(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        # An nn.ModuleList (its blocks are registered), typed as the sequence of Blocks it is.
        self.blocks = cast(Sequence[Block], nn.ModuleList([Block(cfg) for _ in range(cfg.n_layers)]))
        self.final_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        std = 0.02
        # Residual output projections scaled down with depth (GPT-2 style) for a stable start.
        out_std = std / math.sqrt(2 * self.cfg.n_layers)
        nn.init.normal_(self.embed.weight, std=std)
        for blk in self.blocks:
            nn.init.normal_(blk.attn.qkv.weight, std=std)
            nn.init.normal_(blk.attn.out.weight, std=out_std)
            nn.init.normal_(blk.ffn.gate_up.weight, std=std)
            nn.init.normal_(blk.ffn.down.weight, std=out_std)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """Tied LM head: hidden [...,d] -> logits [...,V]."""
        return F.linear(self.final_norm(h), self.embed.weight)

    @property
    def causal_context(self) -> bool:
        return self.cfg.context_attention == "causalSuffixFirst"

    # ---- training: packed rows of several examples at once ---------------------------------
    def forward_train(self, ids: torch.Tensor, pos: torch.Tensor, mask: TrainingMask) -> torch.Tensor:
        """ids, pos [B,T] int64 -> logits [B,T,V] at every position (the loss ignores what it
        does not need: fixed shapes, no data-dependent indexing)."""
        cos, sin = rotary_cos_sin(pos, self.cfg.head_dim, self.cfg.rope_theta)
        x = self.embed(ids)
        for blk in self.blocks:
            q, k, v = blk.attn.project(blk.attn_norm(x), cos, sin)
            x = x + blk.attn.attend(q, k, v, mask)
            x = x + blk.ffn(blk.ffn_norm(x))
        return self.logits(x)

    # ---- inference, split contract --------------------------------------------------------
    def encode_context(self, ids: torch.Tensor, pos: torch.Tensor, past_keys: torch.Tensor | None = None,
                       past_values: torch.Tensor | None = None,
                       key_valid: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """ids, pos [B,C] -> keys, values [L,B,H,C,D] of these C tokens (rotary applied).

        Bidirectional: every context token sees every other. causalSuffixFirst: token i sees
        the P past tokens (past_keys/past_values [L,B,H,P,D], earlier context of the same
        request) and tokens j <= i. key_valid [B,C] marks real tokens when requests of different
        lengths are right-padded into one batch.
        """
        if past_keys is not None and not self.causal_context:
            raise ValueError("past keys/values need a causal context")
        if (past_keys is None) != (past_values is None):
            raise ValueError("past keys and past values come together")
        mask = context_mask(ids.shape[1], 0 if past_keys is None else past_keys.shape[3], self.causal_context,
                            key_valid, ids.device)
        cos, sin = rotary_cos_sin(pos, self.cfg.head_dim, self.cfg.rope_theta)
        x = self.embed(ids)
        keys, values = [], []
        for i, blk in enumerate(self.blocks):
            q, k, v = blk.attn.project(blk.attn_norm(x), cos, sin)
            keys.append(k)
            values.append(v)
            if i + 1 == len(self.blocks):
                break  # the canvas reads only the last layer's K/V, never its output
            if past_keys is not None and past_values is not None:
                k = torch.cat([past_keys[i], k], dim=2)
                v = torch.cat([past_values[i], v], dim=2)
            x = x + blk.attn.attend(q, k, v, mask)
            x = x + blk.ffn(blk.ffn_norm(x))
        return torch.stack(keys, 0), torch.stack(values, 0)

    def denoise(self, canvas_ids: torch.Tensor, canvas_pos: torch.Tensor, keys: torch.Tensor,
                values: torch.Tensor, key_valid: torch.Tensor | None = None) -> torch.Tensor:
        """canvas_ids, canvas_pos [B,N]; keys, values [L,B,H,C,D] -> logits [B,N,V].

        Canvas queries attend over the context K/V and the canvas K/V (attend_two); key_valid [B,C]
        hides padded context slots of a batch.
        """
        mask = None
        if key_valid is not None:
            allowed = torch.cat([key_valid, torch.ones_like(canvas_ids, dtype=torch.bool)], dim=1)
            mask = torch.zeros(allowed.shape, dtype=torch.float32, device=canvas_ids.device)
            mask = mask.masked_fill(~allowed, NEG_INF)[:, None, None, :]
        cos, sin = rotary_cos_sin(canvas_pos, self.cfg.head_dim, self.cfg.rope_theta)
        x = self.embed(canvas_ids)
        for i, blk in enumerate(self.blocks):
            q, k, v = blk.attn.project(blk.attn_norm(x), cos, sin)
            x = x + blk.attn.attend_two(q, keys[i], values[i], k, v, mask)
            x = x + blk.ffn(blk.ffn_norm(x))
        return self.logits(x)


def load_checkpoint(path: str) -> tuple[dict, dict]:
    """A checkpoint's weights as fp32 (they may be stored fp16) and the checkpoint itself."""
    ck = torch.load(path, map_location="cpu")
    return {k: v.float() for k, v in ck["model"].items()}, ck


def load_model(path: str) -> tuple[DiffusionLM, dict]:
    """The model of a checkpoint ({"model": state_dict, "model_config": ...}), in eval mode."""
    state, ck = load_checkpoint(path)
    model = DiffusionLM(ModelConfig.from_dict(ck["model_config"]))
    model.load_state_dict(state)
    return model.eval(), ck


def context_mask(c: int, p: int, causal: bool, key_valid: torch.Tensor | None, device) -> torch.Tensor | None:
    """Additive mask [B|1,1,C,P+C] for C new context tokens after P past ones, or None if
    nothing is masked. Written with shape-derived sizes so the ONNX export keeps C and P dynamic."""
    if not causal and key_valid is None:
        return None
    allowed = torch.ones((c, c), dtype=torch.bool, device=device)
    if causal:
        idx = torch.arange(c, device=device)
        allowed = idx.unsqueeze(0) <= idx.unsqueeze(1)  # [q, k]: k <= q
    allowed = torch.cat([torch.ones((c, p), dtype=torch.bool, device=device), allowed], dim=1).unsqueeze(0)
    if key_valid is not None:
        past_valid = torch.ones((key_valid.shape[0], p), dtype=torch.bool, device=device)
        allowed = allowed & torch.cat([past_valid, key_valid], dim=1).unsqueeze(1)
        # A padding query with no visible key would give NaN; let it see itself.
        allowed = allowed | torch.cat([torch.zeros((c, p), dtype=torch.bool, device=device),
                                       torch.eye(c, dtype=torch.bool, device=device)], dim=1).unsqueeze(0)
    mask = torch.zeros(allowed.shape, dtype=torch.float32, device=device)
    return mask.masked_fill(~allowed, NEG_INF).unsqueeze(1)
