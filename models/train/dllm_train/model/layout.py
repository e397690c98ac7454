"""The one Python owner of the request layout: which context tokens the model sees, in which
order, at which positions, and where the canvas sits (models/README.md, "Sequence layout").

Positions follow the document: `[bos] [lang] prefix · canvas · (gap) · suffix [eos]` numbered
0, 1, 2, … with h head tokens, P prefix tokens and a canvas of N: the canvas at h+P … h+P+N-1,
the suffix from h+P+N+gap. The gap (0 by default, at most the manifest's `maxSuffixGap`) is
unused positions the engine leaves so that typing, which grows the prefix, can move the canvas
without moving the suffix. The order of the context tokens in the sequence depends on the
model's context attention:
  bidirectional       head, prefix, suffix, eos (the order does not matter to the model);
  causalSuffixFirst   head, suffix, eos, prefix: each context token sees only earlier ones, so
                      typing (which appends to the prefix) only appends context tokens, and with
                      the suffix's positions fixed by the gap, earlier keys/values stay exact.
The canvas always sees every context token.
"""
from __future__ import annotations

from dataclasses import dataclass

from dllm_train.contracts import decoding

# The context orders a split model may have, the default first (src/protocol/decoding.json).
CONTEXT_ATTENTION: tuple[str, ...] = tuple(decoding()["contextAttentions"])
# What a manifest promises by default: training sequences of up to 512 positions with the canvas
# inside, so no more context than leaves room for the largest canvas.
TRAINED_SEQUENCE = 512
MAX_CANVAS = 64


@dataclass
class Layout:
    context_ids: list[int]
    context_pos: list[int]
    canvas_pos: list[int]


def request_layout(head: list[int], prefix: list[int], suffix: list[int], tail: list[int], canvas_len: int,
                   context_attention: str = "bidirectional", *, gap: int = 0) -> Layout:
    """head: bos/language ids; tail: eos (or nothing); gap: unused positions between the canvas's
    end and the suffix's start. Returns the context in the model's order."""
    if context_attention not in CONTEXT_ATTENTION:
        raise ValueError(f"context attention {context_attention!r} is not one of {CONTEXT_ATTENTION}")
    if gap < 0:
        raise ValueError(f"suffix gap {gap} is negative")
    h, p, s = len(head), len(prefix), len(suffix)
    head_pos = list(range(h))
    prefix_pos = list(range(h, h + p))
    after = h + p + canvas_len + gap  # the suffix's first position
    suffix_pos = list(range(after, after + s + len(tail)))
    canvas_pos = list(range(h + p, h + p + canvas_len))
    if context_attention == "bidirectional":
        return Layout(head + prefix + suffix + tail, head_pos + prefix_pos + suffix_pos, canvas_pos)
    return Layout(head + suffix + tail + prefix, head_pos + suffix_pos + prefix_pos, canvas_pos)
