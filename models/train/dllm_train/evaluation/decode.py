"""The engine's decoder (src/engine) in Python, rule for rule, batched over many requests.

One infill request goes through the same steps as `Engine.infill` in src/engine/engine.ts:

  window      tokens outward from the cursor (window.ts); request text has LF line ends
  layout      head [bos, language] · prefix · canvas · suffix · tail [eos]; context order from
              layout.request_layout (bidirectional or causalSuffixFirst)
  denoise     the one loop of sampler/denoise.ts with the policies of sampler/policies.ts
              (saber commit + re-mask always/onDrop/off, lowConfidence, threshold; step budget;
              stop once the middle is complete), scoring of sampler/scoring.ts at temperature 0
  text        committed tokens up to the first end token, decoded; a middle cut short loses a
              broken last character

Texts are cut in UTF-16 code units, as JavaScript strings are, so windows match the engine's
for any text. Like the engine, the decoder takes LF text only (src/protocol/protocol.ts
InfillRequest); `to_lf` is the caller's conversion. Confidences are float32 (the engine keeps them in Float32Arrays) computed from a
float64 softmax, like scoring.ts; the policies compare them as float64, like JavaScript does.

Many requests run at once: every request keeps its own canvas and pass count, and each round
runs one batched forward per canvas length over the requests still running. The model is a
callable, `forward(canvas_ids: LongTensor[B, N], rows: list[int]) -> logits [B, N, V]`, where
`rows` says which requests (indices into the batch given to `denoise_batch`/`Decoder.run`) the
B canvases belong to. `SplitModelForward` is that callable for a PyTorch split-contract model.

Temperature 0 only (argmax); the engine's temperature > 0 path draws from mulberry32 and is not
ported.
"""
from __future__ import annotations

import inspect
import json
import math
import os
import re
from dataclasses import dataclass, field

import numpy as np
import torch

from dllm_train.model.layout import CONTEXT_ATTENTION, Layout, request_layout
from dllm_train.tokenizer.bpe import Tokenizer

# ── engine constants (window.ts, engine.ts, model/vocabulary.ts, sampler/policies.ts) ─────────
CHUNK_CHARS_PER_TOKEN = 4
MIN_CHUNK_CHARS = 256
PREFIX_SHARE = 0.75
FILL_TAIL_WITH_PAD = True
END_AT_FRONTIER = False
MAX_SAFE_INTEGER = 2**53 - 1
SAMPLER_KINDS = ("saber", "lowConfidence", "threshold")
REMASK_MODES = ("always", "onDrop", "off")
LANGUAGE_FALLBACK = {
    "typescriptreact": "typescript",
    "javascriptreact": "javascript",
    "objective-c": "c",
    "objective-cpp": "cpp",
    "cuda-cpp": "cpp",
}


# ── text (text.ts) and UTF-16 ─────────────────────────────────────────────────────────────────
_ASTRAL_OR_SURROGATE = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def utf16(text: str) -> str:
    """The text as JavaScript sees it: one character per UTF-16 code unit (pairs split)."""
    if not _ASTRAL_OR_SURROGATE.search(text):
        return text
    units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype="<u2").astype("<u4")
    return units.tobytes().decode("utf-32-le", "surrogatepass")


def from_utf16(units: str) -> str:
    """Inverse of utf16: surrogate pairs joined again (lone surrogates stay lone)."""
    if not _SURROGATE.search(units):
        return units
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def to_well_formed(text: str) -> str:
    """Lone surrogates become U+FFFD (text.ts toWellFormed)."""
    return _SURROGATE.sub("\ufffd", from_utf16(text))


def to_lf(text: str) -> str:
    """CRLF and lone CR become LF (src/protocol/text.ts toLf): what a client does before a request."""
    return re.sub("\r\n?", "\n", text)


# JavaScript's String.prototype.trimEnd: WhiteSpace (incl. Zs, BOM) and LineTerminator.
JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
                "\u2028\u2029\u202f\u205f\u3000\ufeff"


def js_trim_end(text: str) -> str:
    return text.rstrip(JS_WHITESPACE)


# ── windowing (window.ts); text arguments are UTF-16 unit strings ─────────────────────────────
def _is_low_surrogate(text: str, i: int) -> bool:
    return 0 <= i < len(text) and "\udc00" <= text[i] <= "\udfff"


@dataclass
class TokenWindow:
    prefix_ids: list[int]
    suffix_ids: list[int]
    dropped_prefix: int
    dropped_suffix: int


def fit_tokens(prefix_ids: list[int], suffix_ids: list[int], budget: float, prefix_share: float = PREFIX_SHARE) -> TokenWindow:
    b = max(0, math.floor(budget))
    p, s = len(prefix_ids), len(suffix_ids)
    quota = math.floor(b * prefix_share)
    keep_prefix = min(p, max(quota, b - s))
    keep_suffix = min(s, b - keep_prefix)
    return TokenWindow(prefix_ids[p - keep_prefix:], suffix_ids[:keep_suffix], p - keep_prefix, s - keep_suffix)


class _LazyTokens:
    """One side's tokens, encoded on demand from the cursor outward (window.ts LazyTokens)."""

    def __init__(self, text: str, backward: bool, encode):
        self.text, self.backward, self.encode = text, backward, encode
        self.ids: list[int] = []
        self.consumed = 0

    def ensure(self, n: int) -> int:
        while len(self.ids) < n and self.consumed < len(self.text):
            self._grow(n - len(self.ids))
        return min(n, len(self.ids))

    def take(self, n: int) -> list[int]:
        return self.ids[len(self.ids) - n:] if self.backward else self.ids[:n]

    def known_rest(self, n: int) -> int:
        return len(self.ids) - n

    def _grow(self, missing: int) -> None:
        chunk = max(MIN_CHUNK_CHARS, missing * CHUNK_CHARS_PER_TOKEN)
        t = self.text
        if self.backward:
            end = len(t) - self.consumed
            start = max(0, end - chunk)
            if start > 0:
                nl = t.find("\n", start)
                if nl >= 0 and nl + 1 < end:
                    start = nl + 1
                elif _is_low_surrogate(t, start):
                    start += 1
            self.ids = self.encode(from_utf16(t[start:end])) + self.ids
            self.consumed = len(t) - start
        else:
            start = self.consumed
            end = min(len(t), start + chunk)
            if end < len(t):
                nl = t.rfind("\n", 0, end)
                if nl >= start:
                    end = nl + 1
                elif _is_low_surrogate(t, end):
                    end += 1
            self.ids.extend(self.encode(from_utf16(t[start:end])))
            self.consumed = end


def window_tokens(prefix: str, suffix: str, budget: float, encode, prefix_share: float = PREFIX_SHARE) -> TokenWindow:
    """fit_tokens(encode(prefix), encode(suffix), budget), encoding only as far as needed."""
    b = max(0, math.floor(budget))
    before = _LazyTokens(prefix, True, encode)
    after = _LazyTokens(suffix, False, encode)
    quota = math.floor(b * prefix_share)
    p1 = before.ensure(quota)
    s1 = after.ensure(b - p1)
    keep_prefix = before.ensure(b - s1) if s1 < b - p1 else p1
    keep_suffix = min(s1, b - keep_prefix)
    return TokenWindow(before.take(keep_prefix), after.take(keep_suffix),
                       before.known_rest(keep_prefix), after.known_rest(keep_suffix))


# ── tokenizer (tokenizer.ts) ──────────────────────────────────────────────────────────────────
class EngineTokenizer:
    """bpe.Tokenizer with the engine wrapper's rules: no special ids from text (a special token's
    spelling is encoded as plain text, in two halves), well-formed input, decode keeps specials."""

    def __init__(self, path: str):
        with open(path, encoding="utf-8") as f:
            tj = json.load(f)
        self.tok = Tokenizer.from_file(path)
        self.special_text = {t["id"]: t["content"] for t in tj.get("added_tokens", []) if t.get("special")}
        self.special_ids = frozenset(self.special_text)
        self.size = max(self.tok.id_to_token) + 1 if self.tok.id_to_token else 0

    def id_to_token(self, i: int) -> str | None:
        return self.tok.id_to_token.get(i)

    def encode(self, text: str) -> list[int]:
        if not text:
            return []
        ids = self.tok.encode(to_well_formed(text))
        if not any(i in self.special_ids for i in ids):
            return ids
        out: list[int] = []
        for i in ids:
            content = self.special_text.get(i)
            out.extend([i] if content is None else self._encode_plain(content))
        return out

    def _encode_plain(self, content: str) -> list[int]:
        units = utf16(content)
        cut = max(1, len(units) // 2)
        pieces = [p for p in (units[:cut], units[cut:]) if p]
        return [i for p in pieces for i in self.tok.encode(to_well_formed(p)) if i not in self.special_ids]

    def decode(self, ids) -> str:
        return self.tok.decode([int(i) for i in ids]) if len(ids) else ""


# ── the model's side of the manifest ──────────────────────────────────────────────────────────
@dataclass
class EngineSpec:
    """What the engine reads from dllm.json (model/manifest.ts), plus the context order."""
    vocab_size: int
    mask: int
    pad: int
    bos: int | None
    eos: int | None
    language_tokens: dict[str, int] | None
    max_context_tokens: int
    max_canvas_tokens: int
    context_attention: str = "bidirectional"

    @staticmethod
    def from_manifest(path: str) -> "EngineSpec":
        """`path`: a model folder or its dllm.json."""
        if os.path.isdir(path):
            path = os.path.join(path, "dllm.json")
        with open(path) as f:
            m = json.load(f)
        st = m["specialTokens"]
        attention = m.get("contextAttention") or "bidirectional"
        if attention not in CONTEXT_ATTENTION:
            raise ValueError(f"{path}: contextAttention {attention!r} is not one of {CONTEXT_ATTENTION}")
        return EngineSpec(m["vocabSize"], st["mask"], st["pad"], st.get("bos"), st.get("eos"), m.get("languageTokens"),
                          m["maxContextTokens"], m["maxCanvasTokens"], attention)

    @staticmethod
    def from_special_tokens(special: dict, vocab_size: int, max_context_tokens: int, max_canvas_tokens: int,
                            context_attention: str = "bidirectional") -> "EngineSpec":
        """From bpe.py's special_tokens.json, as export.py writes the manifest."""
        return EngineSpec(vocab_size, special["mask"], special["pad"], special["bos"], special["eos"],
                          special["languageTokens"], max_context_tokens, max_canvas_tokens, context_attention)

    @property
    def end_ids(self) -> frozenset[int]:
        return frozenset([self.pad] if self.eos is None else [self.pad, self.eos])


def banned_tokens(spec: EngineSpec, tokenizer: EngineTokenizer) -> np.ndarray:
    """model/vocabulary.ts bannedTokens: never committed. Pad and eos stay allowed: they end the middle."""
    banned = np.zeros(spec.vocab_size, dtype=bool)
    for i in range(spec.vocab_size):
        if tokenizer.id_to_token(i) is None:
            banned[i] = True
    for i in tokenizer.special_ids:
        if i < spec.vocab_size:
            banned[i] = True
    for i in (spec.language_tokens or {}).values():
        banned[i] = True
    banned[spec.mask] = True
    if spec.bos is not None:
        banned[spec.bos] = True
    banned[spec.pad] = False
    if spec.eos is not None:
        banned[spec.eos] = False
    return banned


def language_token(spec: EngineSpec, language: str | None) -> int | None:
    table = spec.language_tokens
    if table is None:
        return None
    if language and language in table:
        return table[language]
    base = LANGUAGE_FALLBACK.get(language) if language else None
    if base and base in table:
        return table[base]
    return table.get("other")


# ── sampler options (sampler/policies.ts) ────────────────────────────────────────────────────────
@dataclass
class SamplerOptions:
    kind: str = "saber"
    min_per_step: int = 2
    remask_divisor: float = 8
    remask: str = "always"
    threshold: float = 0.9
    temperature: float = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in SAMPLER_KINDS:
            raise ValueError(f"unknown sampler kind {self.kind!r}")
        if isinstance(self.min_per_step, bool) or not float(self.min_per_step).is_integer() or self.min_per_step < 1:
            raise ValueError("sampler.minPerStep must be an integer >= 1")
        self.min_per_step = int(self.min_per_step)
        if not (self.remask_divisor > 0) or not math.isfinite(self.remask_divisor):
            raise ValueError("sampler.remaskDivisor must be > 0")
        if self.remask not in REMASK_MODES:
            raise ValueError("sampler.remask must be always, onDrop or off")
        if not (0 <= self.threshold <= 1):
            raise ValueError("sampler.threshold must be in [0, 1]")
        if self.temperature != 0:
            raise NotImplementedError("only temperature 0 (argmax) is ported")

    @staticmethod
    def from_protocol(o: dict) -> "SamplerOptions":
        """From the protocol's camelCase sampler options (missing keys: the engine's defaults)."""
        names = {"kind": "kind", "minPerStep": "min_per_step", "remaskDivisor": "remask_divisor", "remask": "remask",
                 "threshold": "threshold", "temperature": "temperature", "seed": "seed"}
        return SamplerOptions(**{names[k]: v for k, v in o.items() if v is not None})


# ── policies (sampler/policies.ts) ────────────────────────────────────────────────────────────
@dataclass
class Scores:
    candidate: np.ndarray  # [N] int, -1 where not scored as masked
    confidence: np.ndarray  # [N] float32, 0 elsewhere
    current_prob: np.ndarray  # [N] float32, NaN elsewhere


@dataclass
class PassState:
    canvas: "Canvas"
    scores: Scores
    pass_index: int
    passes_left: int
    masked: list[int]
    candidates: list[int]


class SaberCommit:
    """τ = mean confidence-at-commit of the middle's committed tokens (none yet: the largest
    current confidence); commit every candidate above τ, at least min_per_step."""
    name = "saber"

    def __init__(self, min_per_step: int):
        self.min_per_step = min_per_step

    def propose(self, st: PassState) -> tuple[list[int], int]:
        canvas, conf = st.canvas, st.scores.confidence
        end = canvas.first_end()
        up_to = canvas.length if end < 0 else end + 1
        total, count = 0.0, 0
        for i in range(up_to):
            if canvas.committed[i]:
                total += float(canvas.commit_confidence[i])
                count += 1
        tau = total / count if count > 0 else max((float(conf[i]) for i in st.candidates), default=-math.inf)
        return [i for i in st.candidates if float(conf[i]) > tau], self.min_per_step


class LowConfidenceCommit:
    name = "lowConfidence"

    def propose(self, st: PassState) -> tuple[list[int], int]:
        return [], 1


class ThresholdCommit:
    name = "threshold"

    def __init__(self, threshold: float):
        self.threshold = threshold

    def propose(self, st: PassState) -> tuple[list[int], int]:
        conf = st.scores.confidence
        return [i for i in st.candidates if float(conf[i]) > self.threshold], 1


class NoRemask:
    name = "off"
    reads_committed = False

    def select(self, st: PassState, committed_now: list[int], eligible: list[int], limit: int) -> list[int]:
        return []


class SaberRemask:
    """Re-mask k = clamp(⌈|D|/μ⌉, 1, |D| − 1) earlier commits whose probability fell the most."""
    reads_committed = True

    def __init__(self, divisor: float, only_dropped: bool):
        self.divisor, self.only_dropped = divisor, only_dropped
        self.name = "onDrop" if only_dropped else "always"

    def select(self, st: PassState, committed_now: list[int], eligible: list[int], limit: int) -> list[int]:
        d = len(committed_now)
        k = min(max(math.ceil(d / self.divisor), 1), d - 1, limit)
        if k <= 0:
            return []
        cc, cur = st.canvas.commit_confidence, st.scores.current_prob
        drop = {i: float(cc[i]) - float(cur[i]) for i in eligible}
        ranked = [i for i in eligible if not math.isnan(float(cur[i])) and (not self.only_dropped or drop[i] > 0)]
        ranked.sort(key=lambda i: (-drop[i], i))
        return ranked[:k]


class StepBudget:
    """At most `steps` passes; each gains ⌈remaining / passes left⌉, so the last takes all."""

    def __init__(self, steps: int):
        self.max_passes = max(1, math.floor(steps))

    @staticmethod
    def required_gain(remaining: int, passes_left: int) -> int:
        return -(-remaining // max(1, passes_left))


@dataclass
class SamplerPolicy:
    commit: object
    remask: object
    budget: StepBudget

    @staticmethod
    def should_stop(canvas: "Canvas") -> bool:  # middleComplete
        return canvas.is_done()


def build_policy(o: SamplerOptions, steps: int) -> SamplerPolicy:
    budget = StepBudget(steps)
    if o.kind == "saber":
        remask = NoRemask() if o.remask == "off" else SaberRemask(o.remask_divisor, o.remask == "onDrop")
        return SamplerPolicy(SaberCommit(o.min_per_step), remask, budget)
    if o.kind == "lowConfidence":
        return SamplerPolicy(LowConfidenceCommit(), NoRemask(), budget)
    return SamplerPolicy(ThresholdCommit(o.threshold), NoRemask(), budget)


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
    if end < 0 or end == canvas.length - 1:
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


# ── requests and answers (engine.ts) ──────────────────────────────────────────────────────────
@dataclass
class InfillRequest:
    prefix: str
    suffix: str
    language: str | None = None
    max_tokens: float = 32
    step_budget: float = 32
    sampler: SamplerOptions = field(default_factory=SamplerOptions)


@dataclass
class Prepared:
    """A request windowed, tokenized and laid out, ready to denoise."""
    head: list[int]
    prefix_ids: list[int]
    suffix_ids: list[int]
    tail: list[int]
    canvas_length: int
    steps: int
    layout: Layout
    setup: DenoiseSetup
    policy: SamplerPolicy

    @property
    def prompt_tokens(self) -> int:
        return len(self.head) + len(self.prefix_ids) + len(self.suffix_ids) + len(self.tail)


@dataclass
class InfillResult:
    text: str
    finish_reason: str  # stop | length
    forward_passes: int
    tokens: int
    commits: int
    remasked: int
    prompt_tokens: int
    canvas: Canvas


def clamp_int(value: float, lo: int, hi: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number")
    return min(hi, max(lo, math.floor(value)))


class Decoder:
    """Engine.infill for many requests at once (no cancellation, no progress)."""

    def __init__(self, spec: EngineSpec, tokenizer: EngineTokenizer, fill_tail_with_pad: bool = FILL_TAIL_WITH_PAD,
                 end_at_frontier: bool = END_AT_FRONTIER):
        if tokenizer.size > spec.vocab_size:
            raise ValueError(f"tokenizer has {tokenizer.size} tokens but the model's vocabulary is {spec.vocab_size}")
        self.spec, self.tokenizer = spec, tokenizer
        self.fill_tail_with_pad, self.end_at_frontier = fill_tail_with_pad, end_at_frontier
        self.banned = banned_tokens(spec, tokenizer)

    def prepare(self, req: InfillRequest) -> Prepared:
        m = self.spec
        canvas_length = clamp_int(req.max_tokens, 1, m.max_canvas_tokens, "maxTokens")
        steps = clamp_int(req.step_budget, 1, MAX_SAFE_INTEGER, "stepBudget")
        if "\r" in req.prefix or "\r" in req.suffix:
            raise ValueError("request text must have LF line ends (to_lf)")
        head = [t for t in (m.bos, language_token(m, req.language)) if t is not None]
        tail = [] if m.eos is None else [m.eos]
        budget = max(0, m.max_context_tokens - len(head) - len(tail))
        fitted = window_tokens(utf16(req.prefix), utf16(req.suffix), budget, self.tokenizer.encode)
        layout = request_layout(head, fitted.prefix_ids, fitted.suffix_ids, tail, canvas_length, m.context_attention)
        setup = DenoiseSetup(canvas_length, m.mask, m.end_ids, self.banned,
                             m.pad if self.fill_tail_with_pad else None, self.end_at_frontier)
        return Prepared(head, fitted.prefix_ids, fitted.suffix_ids, tail, canvas_length, steps, layout, setup,
                        build_policy(req.sampler, steps))

    def finish(self, p: Prepared, r: DenoiseResult) -> InfillResult:
        middle = r.canvas.middle_tokens()
        finish_reason = "stop" if r.canvas.first_end() >= 0 else "length"
        # A completion's line ends are LF only, as the extension's engine returns them (its text.ts).
        text = self.tokenizer.decode(middle).replace("\r\n", "\n").replace("\r", "\n")
        if finish_reason != "stop":
            text = text.rstrip("\ufffd")  # a middle cut short may end inside a multi-byte character
        return InfillResult(text, finish_reason, r.forward_passes, len(middle),
                            r.commits, r.remasked, p.prompt_tokens, r.canvas)

    def run(self, prepared: list[Prepared], forward) -> list[InfillResult]:
        """`forward(canvas_ids [B, N], rows)`: rows index `prepared`."""
        results = denoise_batch(forward, [p.setup for p in prepared], [p.policy for p in prepared])
        return [self.finish(p, r) for p, r in zip(prepared, results)]

    def infill(self, requests: list[InfillRequest], forward) -> list[InfillResult]:
        return self.run([self.prepare(q) for q in requests], forward)


# ── a PyTorch split-contract model as the forward callable ────────────────────────────────────
def _accepts(fn, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class SplitModelForward:
    """Contexts of `prepared` encoded once (batched, right-padded, `key_valid` marking real keys),
    then `__call__(canvas_ids, rows)` denoises the given requests' canvases in one batch.

    A model whose encode_context/denoise take no `key_valid` gets contexts of one length per
    batch (requests grouped by context length)."""

    def __init__(self, model, prepared: list[Prepared], device: torch.device | str, pad_id: int = 0):
        self.model, self.device = model, torch.device(device)
        lengths = [len(p.layout.context_ids) for p in prepared]
        padded_ok = _accepts(model.encode_context, "key_valid") and _accepts(model.denoise, "key_valid")
        if len(set(lengths)) <= 1 or padded_ok:
            groups = [list(range(len(prepared)))]
        else:
            by_len: dict[int, list[int]] = {}
            for r, c in enumerate(lengths):
                by_len.setdefault(c, []).append(r)
            groups = list(by_len.values())
        self.where = {}  # row -> (group, index in group)
        self.groups = []  # (keys, values, key_valid or None)
        with torch.no_grad():
            for g, rows in enumerate(groups):
                c = max(lengths[r] for r in rows)
                ids = torch.full((len(rows), c), pad_id, dtype=torch.long)
                pos = torch.zeros((len(rows), c), dtype=torch.long)
                valid = torch.zeros((len(rows), c), dtype=torch.bool)
                for k, r in enumerate(rows):
                    lay = prepared[r].layout
                    ids[k, :lengths[r]] = torch.tensor(lay.context_ids, dtype=torch.long)
                    pos[k, :lengths[r]] = torch.tensor(lay.context_pos, dtype=torch.long)
                    valid[k, :lengths[r]] = True
                    self.where[r] = (g, k)
                ids, pos, valid = ids.to(self.device), pos.to(self.device), valid.to(self.device)
                key_valid = None if bool(valid.all()) else valid
                if key_valid is None:
                    keys, values = model.encode_context(ids, pos)
                else:
                    keys, values = model.encode_context(ids, pos, key_valid=key_valid)
                self.groups.append((keys, values, key_valid))
        self.canvas_pos = [torch.tensor(p.layout.canvas_pos, dtype=torch.long) for p in prepared]
        self._selected: dict[int, tuple] = {}

    def _select(self, g: int, local: list[int]):
        """The group's K/V for these requests (reused while the running set stays the same)."""
        keys, values, key_valid = self.groups[g]
        cached = self._selected.get(g)
        if cached is not None and cached[0] == local:
            return cached[1]
        if local == list(range(keys.shape[1])):
            sel = (keys, values, key_valid)
        else:
            idx = torch.tensor(local, dtype=torch.long, device=keys.device)
            sel = (keys.index_select(1, idx), values.index_select(1, idx),
                   None if key_valid is None else key_valid.index_select(0, idx))
        self._selected[g] = (local, sel)
        return sel

    def __call__(self, canvas_ids: torch.Tensor, rows: list[int]) -> torch.Tensor:
        by_group: dict[int, list[int]] = {}
        for b, r in enumerate(rows):
            by_group.setdefault(self.where[r][0], []).append(b)
        out = None
        with torch.no_grad():
            for g, batch_idx in by_group.items():
                keys, values, key_valid = self._select(g, [self.where[rows[b]][1] for b in batch_idx])
                ids = canvas_ids[batch_idx].to(self.device)
                pos = torch.stack([self.canvas_pos[rows[b]] for b in batch_idx]).to(self.device)
                if key_valid is None:
                    logits = self.model.denoise(ids, pos, keys, values)
                else:
                    logits = self.model.denoise(ids, pos, keys, values, key_valid=key_valid)
                if len(by_group) == 1:
                    return logits
                if out is None:
                    out = logits.new_empty((len(rows),) + tuple(logits.shape[1:]))
                out[torch.tensor(batch_idx, device=logits.device)] = logits
        return out
