"""Bidirectional transformer for masked-diffusion code infilling, split contract.

Context tokens (prefix, suffix, specials) never attend to canvas tokens, so their keys and
values stay fixed while the canvas denoises. Canvas tokens attend to every context token and to
their own canvas. Context and canvas run through the same layers; at inference the context is
encoded once (`encode_context`) and each denoising pass runs only the canvas (`denoise`).

Shapes: B batch, T sequence, C context length, N canvas length, H heads, D head dim, V vocab.
Plain matmul + additive mask + softmax attention, so it runs on torch 1.13 and 2.x alike and
exports to ONNX without fused kernels.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

# Additive mask value for forbidden attention. Finite (not -inf) so a row that is entirely
# forbidden still yields a defined softmax instead of NaN.
NEG_INF = -1e9


@dataclass
class ModelConfig:
    vocab_size: int = 4096
    d_model: int = 256
    n_layers: int = 6
    n_heads: int = 4
    head_dim: int = 64
    ffn_hidden: int = 704
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5

    @staticmethod
    def from_dict(d: dict) -> "ModelConfig":
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
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


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
        """x [B,T,d] -> q, k, v [B,H,T,D], rotary applied to q and k."""
        b, t, _ = x.shape
        qkv = self.qkv(x).view(b, t, 3, self.n_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        return apply_rotary(q, cos, sin), apply_rotary(k, cos, sin), v

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """q [B,H,Tq,D], k/v [B,H,Tk,D], mask additive [B,1,Tq,Tk] or None -> [B,Tq,d]."""
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
        if mask is not None:
            scores = scores + mask
        probs = torch.softmax(scores, dim=-1)
        y = torch.matmul(probs, v)  # [B,H,Tq,D]
        b, h, tq, d = y.shape
        return self.out(y.transpose(1, 2).reshape(b, tq, h * d))


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
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layers)])
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

    # ---- training: the whole packed sequence at once -------------------------------------
    def forward_train(self, ids: torch.Tensor, pos: torch.Tensor, attn_mask: torch.Tensor,
                      select: torch.Tensor | None = None) -> torch.Tensor:
        """ids, pos [B,T] int64; attn_mask additive float [B,1,T,T] (0 allowed, NEG_INF not).

        Returns logits [B,T,V], or only at the positions of the bool mask `select` [B,T]
        flattened to [K,V] (the LM head is a large share of the cost; the loss needs only
        canvas positions).
        """
        cos, sin = rotary_cos_sin(pos, self.cfg.head_dim, self.cfg.rope_theta)
        x = self.embed(ids)
        for blk in self.blocks:
            q, k, v = blk.attn.project(blk.attn_norm(x), cos, sin)
            x = x + blk.attn.attend(q, k, v, attn_mask)
            x = x + blk.ffn(blk.ffn_norm(x))
        if select is not None:
            x = x[select]
        return self.logits(x)

    # ---- inference, split contract --------------------------------------------------------
    def encode_context(self, ids: torch.Tensor, pos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """ids, pos [1,C] -> keys, values [L,1,H,C,D] (rotary applied to keys).

        Context attends only to context, bidirectionally, so no mask is needed.
        """
        cos, sin = rotary_cos_sin(pos, self.cfg.head_dim, self.cfg.rope_theta)
        x = self.embed(ids)
        keys, values = [], []
        for i, blk in enumerate(self.blocks):
            q, k, v = blk.attn.project(blk.attn_norm(x), cos, sin)
            keys.append(k)
            values.append(v)
            if i + 1 == len(self.blocks):
                break  # the canvas reads only the last layer's K/V, never its output
            x = x + blk.attn.attend(q, k, v, None)
            x = x + blk.ffn(blk.ffn_norm(x))
        return torch.stack(keys, 0), torch.stack(values, 0)

    def denoise(self, canvas_ids: torch.Tensor, canvas_pos: torch.Tensor,
                keys: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """canvas_ids, canvas_pos [1,N]; keys, values [L,1,H,C,D] -> logits [1,N,V].

        Canvas queries attend over concat(context K/V, canvas K/V), all unmasked.
        """
        cos, sin = rotary_cos_sin(canvas_pos, self.cfg.head_dim, self.cfg.rope_theta)
        x = self.embed(canvas_ids)
        for i, blk in enumerate(self.blocks):
            q, k, v = blk.attn.project(blk.attn_norm(x), cos, sin)
            k_all = torch.cat([keys[i], k], dim=2)
            v_all = torch.cat([values[i], v], dim=2)
            x = x + blk.attn.attend(q, k_all, v_all, None)
            x = x + blk.ffn(blk.ffn_norm(x))
        return self.logits(x)


def split_attention_mask(segment: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Additive mask [B,1,T,T] for the split contract.

    segment [B,T] int64: 0 for context tokens, k>0 for tokens of canvas k.
    valid [B,T] bool: False for batch padding (never attended to).
    Query i may attend key j iff j is valid and (j is context or j is in i's own canvas).
    Context queries therefore see only context; canvas queries see context + their canvas.
    """
    seg_q = segment.unsqueeze(2)  # [B,T,1]
    seg_k = segment.unsqueeze(1)  # [B,1,T]
    allowed = ((seg_k == 0) | (seg_k == seg_q)) & valid.unsqueeze(1)
    # Padding queries would otherwise have an all-forbidden row; let them see themselves.
    eye = torch.eye(segment.shape[1], dtype=torch.bool, device=segment.device).unsqueeze(0)
    allowed = allowed | (eye & ~valid.unsqueeze(2))
    mask = torch.zeros(allowed.shape, dtype=torch.float32, device=segment.device)
    mask.masked_fill_(~allowed, NEG_INF)
    return mask.unsqueeze(1)
