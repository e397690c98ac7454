"""How well a checkpoint knows held-out code: cross-entropy and accuracy on the real tokens of a
masked middle, by mask rate.

train.py's validation canvas loss counts `<pad>` targets, which are most of an editor canvas and
easy; a model can lower it a lot and still write nothing. This measures only what a completion is
made of. Each probe is a window of a held-out document cut into prefix, middle and suffix, asked
as the engine asks (`[bos] [lang] prefix · canvas · suffix [eos]`, layout.py) with the middle as
a canvas of its own length, each middle position `<mask>` with probability t. t = 1 is the first
denoising pass: nothing of the middle shown; its first token alone is the next token after the
prefix, what a completion starts with (most of a canvas's far positions are `<pad>` in editor
requests, so the whole middle at t = 1 mostly measures that prior). Windows and masks depend only
on the data and the seed, so every checkpoint is scored on the same tokens.

    python heldout.py work/runs/cpu2/weights.pt work/shipped.pt --data work/data
"""
from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import dataclass

import numpy as np
import torch

from dllm_train.data.encoded import Shard
from dllm_train.model.layout import request_layout
from dllm_train.model.model import DiffusionLM, load_model
from dllm_train.paths import WORK

RATES = (0.1, 0.5, 1.0)


@dataclass
class Probe:
    head: list[int]  # [bos, language token]
    prefix: list[int]
    middle: np.ndarray
    suffix: list[int]
    eos: int


def probes(data_dir: str, count: int, prefix: int = 300, middle: int = 32, suffix: int = 168,
           seed: int = 0) -> list[Probe]:
    """`count` windows from the validation split's documents long enough to hold one (documents
    drawn length-weighted, a random start in each)."""
    with open(os.path.join(data_dir, "meta.json")) as f:
        meta = json.load(f)
    val = Shard(data_dir, "val")
    tokens, docs, langs = val.tokens, val.docs, val.lang
    special = meta["special_tokens"]
    width = prefix + middle + suffix
    long_enough = np.nonzero(np.diff(docs) >= width)[0]
    if len(long_enough) == 0:
        raise ValueError(f"{data_dir}: no validation document holds a window of {width} tokens")
    weights = np.diff(docs)[long_enough].astype(np.float64)
    rng = np.random.default_rng(seed)
    out = []
    for d in rng.choice(long_enough, size=count, p=weights / weights.sum()):
        start = int(rng.integers(docs[d], docs[d + 1] - width + 1))
        w = np.asarray(tokens[start:start + width], dtype=np.int64)
        lang = meta["language_token_ids"][meta["languages"][int(langs[d])]]
        out.append(Probe([special["bos"], lang], w[:prefix].tolist(), w[prefix:prefix + middle],
                         w[prefix + middle:].tolist(), special["eos"]))
    return out


def masks(count: int, middle: int, t: float, seed: int = 0) -> np.ndarray:
    """[count, middle] bool: which middle positions are masked at rate t (at least one per probe)."""
    rng = np.random.default_rng([seed, round(t * 1000)])
    m = rng.random((count, middle)) < t
    m[~m.any(axis=1), 0] = True
    return m


@torch.no_grad()
def score(model: DiffusionLM, batch: list[Probe], mask: np.ndarray, mask_id: int,
          counted: np.ndarray | None = None) -> tuple[float, int, int]:
    """Summed cross-entropy (nats), correct argmaxes and count over the masked middle tokens (or
    over `counted` [count, middle], a subset of them)."""
    counted = mask if counted is None else counted & mask
    ce, correct, n = 0.0, 0, 0
    for p, m, c in zip(batch, mask, counted):
        lay = request_layout(p.head, p.prefix, p.suffix, [p.eos], len(p.middle), model.cfg.context_attention)
        keys, values = model.encode_context(torch.tensor([lay.context_ids]), torch.tensor([lay.context_pos]))
        canvas = torch.tensor(np.where(m, mask_id, p.middle))[None]
        logp = model.denoise(canvas, torch.tensor([lay.canvas_pos]), keys, values)[0].float().log_softmax(-1)
        at = torch.from_numpy(c)
        target = torch.from_numpy(p.middle[c])
        ce -= float(logp[at].gather(-1, target[:, None]).sum())
        correct += int((logp[at].argmax(-1) == target).sum())
        n += int(c.sum())
    return ce, correct, n


def table(models: dict[str, DiffusionLM], batch: list[Probe], mask_id: int, seed: int = 0) -> str:
    """A markdown table: per mask rate, each model's real-token CE and accuracy; the last row is the
    middle's first token with the whole middle masked: the next token after the prefix, what a
    completion starts with."""
    head = "| t | " + " | ".join(f"{name} CE | {name} acc" for name in models) + " |"
    rows = [head, "| " + " | ".join(["---"] + ["---:"] * (2 * len(models))) + " |"]
    count, middle = len(batch), len(batch[0].middle)
    first = np.zeros((count, middle), dtype=bool)
    first[:, 0] = True
    cases: list[tuple[str, np.ndarray, np.ndarray | None]] = [(f"{t:g}", masks(count, middle, t, seed), None)
                                                              for t in RATES]
    cases.append(("1, first token", masks(count, middle, 1.0, seed), first))
    for label, m, counted in cases:
        cells = []
        for model in models.values():
            ce, correct, n = score(model, batch, m, mask_id, counted)
            cells += [f"{ce / n:.2f}", f"{100 * correct / n:.1f}%"]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def run_name(path: str) -> str:
    """work/runs/cpu2/weights.pt -> cpu2; work/shipped.pt -> shipped."""
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem in ("weights", "best", "last"):
        return os.path.basename(os.path.dirname(os.path.abspath(path)))
    return stem


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--data", default=os.path.join(WORK, "data"))
    ap.add_argument("--windows", type=int, default=150)
    ap.add_argument("--middle", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    batch = probes(args.data, args.windows, middle=args.middle, seed=args.seed)
    with open(os.path.join(args.data, "meta.json")) as f:
        mask_id = json.load(f)["special_tokens"]["mask"]
    names = [run_name(c) for c in args.checkpoints]
    if len(set(names)) < len(names):
        names = args.checkpoints  # two names alike: full paths
    models = {name: load_model(c)[0] for name, c in zip(names, args.checkpoints)}
    print(f"{len(batch)} windows of {args.data}/val, middle {args.middle} tokens; uniform guess: "
          f"CE {math.log(next(iter(models.values())).cfg.vocab_size):.2f}")
    print(table(models, batch, mask_id, args.seed))


if __name__ == "__main__":
    main()
