"""The one denoising loop in Python (src/engine/sampler/denoise.ts, canvas.ts and the scoring of
sampler/scoring.ts at temperature 0), batched over many requests.

Every request keeps its own canvas and pass count, and each round runs one batched forward per
canvas length over the requests still running. Confidences are float32 (the engine keeps them in
Float32Arrays) computed from a float64 softmax, like scoring.ts; the policies compare them as
float64, like JavaScript does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from dllm_train.evaluation.decode_policies import PassState, SamplerPolicy, Scores


# ── canvas (canvas.ts) ────────────────────────────────────────────────────────────────────────
class Canvas:
    def __init__(self, length: int, mask_id: int, end_ids: frozenset[int]):
        self.length, self.mask_id, self.end_ids = length, mask_id, end_ids
        self.ids = np.full(length, mask_id, dtype=np.int32)
        self.committed = np.zeros(length, dtype=np.uint8)
        self.commit_confidence = np.zeros(length, dtype=np.float32)
        self.commit_pass = np.full(length, -1, dtype=np.int32)

    def commit(self, i: int, token: int, confidence: np.float32, pass_index: int) -> None:
        self.ids[i] = token
        self.committed[i] = 1
        self.commit_confidence[i] = confidence
        self.commit_pass[i] = pass_index

    def remask(self, i: int) -> None:
        self.ids[i] = self.mask_id
        self.committed[i] = 0
        self.commit_confidence[i] = 0
        self.commit_pass[i] = -1

    def first_end(self) -> int:
        for i in range(self.length):
            if self.committed[i] and int(self.ids[i]) in self.end_ids:
                return i
        return -1

    def active_length(self) -> int:
        end = self.first_end()
        return self.length if end < 0 else end

    def masked_active(self) -> list[int]:
        return [i for i in range(self.active_length()) if not self.committed[i]]

    def is_done(self) -> bool:
        return len(self.masked_active()) == 0

    def committed_count(self) -> int:
        return int(self.committed.sum())

    def middle_tokens(self) -> list[int]:
        out = []
        for i in range(self.length):
            if not self.committed[i] or int(self.ids[i]) in self.end_ids:
                break
            out.append(int(self.ids[i]))
        return out


# ── the loop (sampler/denoise.ts) ─────────────────────────────────────────────────────────────
@dataclass
class DenoiseSetup:
    canvas_length: int
    mask_id: int
    end_ids: frozenset[int]
    banned: np.ndarray  # [V] bool
    tail_fill: int | None = None
    end_at_frontier: bool = False


@dataclass
class DenoiseResult:
    canvas: Canvas
    forward_passes: int = 0
    commits: int = 0
    remasked: int = 0


def model_view(canvas: Canvas, tail_fill: int | None) -> np.ndarray:
    """The canvas as the model sees it: after the first end token, `tail_fill` when given."""
    end = -1 if tail_fill is None else canvas.first_end()
    if tail_fill is None or end < 0 or end == canvas.length - 1:
        return canvas.ids
    view = canvas.ids.copy()
    view[end + 1:] = tail_fill
    return view


def choose_commits(st: PassState, policy: SamplerPolicy) -> list[int]:
    """The rule's picks, topped up with the most confident candidates (then deferred ones) to the
    rule's and the budget's minimum; everything on the last pass."""
    masked, candidates, conf = st.masked, st.candidates, st.scores.confidence
    if st.passes_left <= 1:
        return list(masked)
    positions, at_least = policy.commit.propose(st)
    budget_need = policy.budget.required_gain(len(masked), st.passes_left)
    need = min(len(masked), max(min(at_least, len(candidates)), budget_need, 1))
    allowed = set(candidates)
    picked = {i for i in positions if i in allowed}
    for pool in (candidates, masked):
        for i in sorted((i for i in pool if i not in picked), key=lambda i: (-float(conf[i]), i)):
            if len(picked) >= need:
                break
            picked.add(i)
    return sorted(picked)


def remask_eligible(canvas: Canvas, pass_index: int) -> list[int]:
    """Committed before this pass and still mattering (up to and including the first end token)."""
    end = canvas.first_end()
    limit = canvas.length if end < 0 else end + 1
    return [i for i in range(limit) if canvas.committed[i] and canvas.commit_pass[i] < pass_index]


def score_logits(logits: torch.Tensor, committed_ids: np.ndarray, banned: torch.Tensor):
    """logits [B, N, V], banned [B or 1, V] -> argmax over allowed ids [B, N], its probability [B, N] float32 and the
    probability of `committed_ids` [B, N] float32: softmax over allowed ids in float64, then
    rounded to float32 (scoring.ts at temperature 0)."""
    x = logits.to(torch.float64).masked_fill(banned.unsqueeze(1), -math.inf)
    best = x.argmax(-1)  # first of equal maxima, as the engine's strict `>` scan
    top = x.gather(-1, best.unsqueeze(-1))
    total = torch.exp(x - top).sum(-1)
    confidence = (1.0 / total).to(torch.float32)
    tok = torch.from_numpy(committed_ids.astype(np.int64)).to(x.device)
    current = (torch.exp(x.gather(-1, tok.unsqueeze(-1)) - top).squeeze(-1) / total).to(torch.float32)
    return best.cpu().numpy(), confidence.cpu().numpy(), current.cpu().numpy()


class _Request:
    def __init__(self, setup: DenoiseSetup, policy: SamplerPolicy):
        self.setup, self.policy = setup, policy
        self.result = DenoiseResult(Canvas(setup.canvas_length, setup.mask_id, setup.end_ids))

    def running(self) -> bool:
        return not self.policy.should_stop(self.result.canvas) and self.result.forward_passes < self.policy.budget.max_passes

    def scored_range(self) -> tuple[int, bool]:
        """Positions [0, limit) to score, and whether committed ones are scored."""
        canvas = self.result.canvas
        end = canvas.first_end()
        limit = canvas.length if end < 0 else end + 1
        passes_left = self.policy.budget.max_passes - self.result.forward_passes
        return limit, self.policy.remask.reads_committed and passes_left > 1

    def step(self, best: np.ndarray, confidence: np.ndarray, current: np.ndarray) -> None:
        """One pass after the forward: score, commit, maybe re-mask (denoise.ts loop body)."""
        res, policy, setup = self.result, self.policy, self.setup
        canvas = res.canvas
        pass_index = res.forward_passes
        passes_left = policy.budget.max_passes - pass_index
        limit, score_committed = self.scored_range()
        n = canvas.length
        scores = Scores(np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.float32), np.full(n, np.nan, dtype=np.float32))
        for i in range(min(limit, n)):
            if canvas.committed[i]:
                if score_committed:
                    scores.current_prob[i] = current[i]
            else:
                scores.candidate[i] = best[i]
                scores.confidence[i] = confidence[i]
        res.forward_passes += 1

        masked = canvas.masked_active()
        if setup.end_at_frontier:
            candidates = [i for k, i in enumerate(masked) if k == 0 or int(scores.candidate[i]) not in setup.end_ids]
        else:
            candidates = masked
        st = PassState(canvas, scores, pass_index, passes_left, masked, candidates)
        chosen = choose_commits(st, policy)
        for i in chosen:
            canvas.commit(i, int(scores.candidate[i]), scores.confidence[i], pass_index)
        res.commits += len(chosen)
        if passes_left > 1:
            # Keep the net gain the budget needs (at least one position).
            keep = len(chosen) - max(1, policy.budget.required_gain(len(masked), passes_left))
            if keep > 0:
                undo = policy.remask.select(st, chosen, remask_eligible(canvas, pass_index), keep)
                for i in undo[:keep]:
                    canvas.remask(i)
                res.remasked += min(len(undo), keep)


def denoise_batch(forward, setups: list[DenoiseSetup], policies: list[SamplerPolicy]) -> list[DenoiseResult]:
    """Runs every request to the end, one batched forward per canvas length per round."""
    requests = [_Request(s, p) for s, p in zip(setups, policies)]
    banned_cache: dict[tuple, torch.Tensor] = {}  # (device, id of the [V] table) -> [1, V]
    while True:
        running = [r for r, q in enumerate(requests) if q.running()]
        if not running:
            break
        by_length: dict[int, list[int]] = {}
        for r in running:
            by_length.setdefault(requests[r].setup.canvas_length, []).append(r)
        for n, rows in by_length.items():
            views = np.stack([model_view(requests[r].result.canvas, requests[r].setup.tail_fill) for r in rows])
            logits = forward(torch.from_numpy(views.astype(np.int64)), rows)
            if tuple(logits.shape[:2]) != (len(rows), n):
                raise ValueError(f"forward returned logits of shape {tuple(logits.shape)}, expected [{len(rows)}, {n}, V]")
            arrays = [requests[r].setup.banned for r in rows]
            if all(a is arrays[0] for a in arrays):
                # The usual case, one table for all: [1, V], broadcast over the batch.
                key = (str(logits.device), id(arrays[0]))
                banned = banned_cache.get(key)
                if banned is None:
                    banned = banned_cache[key] = torch.from_numpy(arrays[0][None]).to(logits.device)
            else:
                banned = torch.from_numpy(np.stack(arrays)).to(logits.device)
            ids = np.stack([np.maximum(requests[r].result.canvas.ids, 0) for r in rows])
            best, confidence, current = score_logits(logits, ids, banned)
            for k, r in enumerate(rows):
                requests[r].step(best[k], confidence[k], current[k])
    return [q.result for q in requests]

