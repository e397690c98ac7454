"""The attention mask of a packed training row: which positions may attend which (examples apart,
context apart from canvas, canvas copies apart from each other), and the backend that applies it:
flex attention (block-sparse), SDPA with a boolean mask, SDPA per example span, or the plain
reference (matmul, additive mask, softmax) that inference and export use.

Shapes: B batch, T row length, H heads, D head dim.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from dllm_train.model.model import NEG_INF, plain_attention

ATTENTION_BACKENDS = ("flex", "sdpa", "plain")


def allowed_pairs(example: torch.Tensor, segment: torch.Tensor, causal: bool) -> torch.Tensor:
    """Bool [B,T,T]: may query i attend key j in a packed row?

    example [B,T]: which example of the row a token belongs to (-1 padding, its own group);
    segment [B,T]: 0 context, k > 0 canvas k of that example (copies of a canvas are canvases of
    their own). A query sees keys of its own example only: context queries see context (with a
    causal context only keys at or before them in the row, which holds the context in
    suffix-then-prefix order), canvas queries see the context and their own canvas.
    """
    t = example.shape[1]
    ex_q, ex_k = example.unsqueeze(2), example.unsqueeze(1)
    seg_q, seg_k = segment.unsqueeze(2), segment.unsqueeze(1)
    idx = torch.arange(t, device=example.device)
    ctx_ok = seg_k == 0
    if causal:
        ctx_ok = ctx_ok & ((seg_q != 0) | (idx.view(1, 1, t) <= idx.view(1, t, 1)))
    return (ex_q == ex_k) & (ctx_ok | ((seg_k == seg_q) & (seg_q != 0)))


class TrainingMask:
    """The split-contract mask of one training batch, prepared once per step for every layer.

    backend "plain": additive float mask, matmul attention (torch 1.13, CPU, the reference);
    "sdpa": bool mask into torch's scaled_dot_product_attention (torch >= 2.0; on a CPU, torch 2.13
    runs it, fp32 or bf16, forward and backward, on the tiled flash kernel, which never holds a T x T
    score matrix, only the [B,1,T,T] bool mask shared by heads and layers). The kernel still visits
    masked tiles, so with `split` (CPU training) each packed example of a row runs as its own
    call with its own mask: no tile is spent on pairs of different examples (README "CPU throughput");
    "flex": a block-sparse mask for flex_attention (torch >= 2.5; most of a packed row's
    blocks are skipped). Every backend computes the same function (checked in the tests).
    """

    def __init__(self, example: torch.Tensor, segment: torch.Tensor, causal: bool, backend: str = "plain",
                 flex_fn=None, split: bool = False):
        if backend not in ATTENTION_BACKENDS:
            raise ValueError(f"attention backend {backend!r} is not one of {ATTENTION_BACKENDS}")
        self.backend = backend
        self.flex_fn = flex_fn
        self.spans = None
        self.split = False
        if backend == "sdpa" and split:
            self.spans = example_spans(example, segment, causal)
            if self.spans is not None:
                self.split = True
                _ACTIVE_SPANS[0] = self.spans
                return
        if backend == "flex":
            from torch.nn.attention.flex_attention import create_block_mask

            def mask_mod(b, h, q, k):
                same = example[b, q] == example[b, k]
                sq, sk = segment[b, q], segment[b, k]
                ctx_ok = (sk == 0) & ((sq != 0) | (k <= q)) if causal else sk == 0
                return same & (ctx_ok | ((sk == sq) & (sq != 0)))

            b, t = example.shape
            try:  # compiled mask construction: much faster for large rows, private switch
                self.block_mask = create_block_mask(mask_mod, b, None, t, t, device=example.device, _compile=True)
            except Exception:
                self.block_mask = create_block_mask(mask_mod, b, None, t, t, device=example.device)
        elif backend == "sdpa":
            self.bool_mask = allowed_pairs(example, segment, causal).unsqueeze(1)
        else:
            allowed = allowed_pairs(example, segment, causal)
            self.additive = torch.zeros(allowed.shape, dtype=torch.float32, device=example.device)
            self.additive.masked_fill_(~allowed, NEG_INF)
            self.additive = self.additive.unsqueeze(1)

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        if self.backend == "flex":
            return (self.flex_fn or _flex_attention())(q, k, v, block_mask=self.block_mask)
        if self.backend == "sdpa":
            if self.split:
                return _split_attention_active(q, k, v)
            return F.scaled_dot_product_attention(q, k, v, attn_mask=self.bool_mask)
        return plain_attention(q, k, v, self.additive, 1.0 / math.sqrt(q.shape[-1]))


def example_spans(example: torch.Tensor, segment: torch.Tensor,
                  causal: bool) -> list[list[tuple[int, torch.Tensor]]] | None:
    """Per row, its runs of one example (padding is a run of its own) as (length, bool mask
    [1,1,L,L] within the run). A token sees keys of its own example only, so attention within each
    run is the whole row's attention: for a row of several examples it skips the tiles that the
    row's mask would spend on pairs of different examples. Data-dependent (host-side lengths): CPU
    training, left eager inside a compiled step (_split_attention_active). None if an example is not one
    contiguous run (then the row mask)."""
    ex = example.cpu()
    rows = []
    for r in range(ex.shape[0]):
        change = (ex[r, 1:] != ex[r, :-1]).nonzero().flatten() + 1
        bounds = [0] + change.tolist() + [ex.shape[1]]
        if len(set(ex[r, bounds[:-1]].tolist())) != len(bounds) - 1:
            return None
        runs = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            runs.append((b - a, allowed_pairs(example[r:r + 1, a:b], segment[r:r + 1, a:b], causal).unsqueeze(1)))
        rows.append(runs)
    return rows


def split_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, spans) -> torch.Tensor:
    """SDPA run by run (example_spans); split/cat keep the backward to copies of each run's slice."""
    out = []
    for qr, kr, vr, runs in zip(q.unbind(0), k.unbind(0), v.unbind(0), spans):
        sizes = [n for n, _ in runs]
        parts = [F.scaled_dot_product_attention(qs.unsqueeze(0), ks.unsqueeze(0), vs.unsqueeze(0), attn_mask=m)
                 for qs, ks, vs, (_, m) in zip(qr.split(sizes, 1), kr.split(sizes, 1), vr.split(sizes, 1), runs)]
        out.append(torch.cat(parts, 2))
    return torch.cat(out, 0)


# The spans of the split mask built last: read only by _split_attention_active, which torch.compile
# leaves eager (a graph break per layer), so a compiled step neither traces the data-dependent calls
# nor guards on each step's spans (no recompilation when they change). A mask is used in the step
# that builds it, before the next one is built.
_ACTIVE_SPANS: list = [None]


def _split_attention_active(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return split_attention(q, k, v, _ACTIVE_SPANS[0])


if hasattr(torch, "compiler") and hasattr(torch.compiler, "disable"):
    _split_attention_active = torch.compiler.disable(_split_attention_active)  # pyright: ignore[reportAssignmentType]


def _flex_attention():
    from torch.nn.attention.flex_attention import flex_attention
    return flex_attention
