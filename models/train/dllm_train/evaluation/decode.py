"""The engine's decoder (src/engine) in Python, rule for rule, batched over many requests.

One infill request goes through the same steps as `Engine.infill` in src/engine/engine.ts:

  window      tokens outward from the cursor (decode_text.py: window.ts); request text has LF line ends
  layout      head [bos, language] · prefix · canvas · suffix · tail [eos]; context order from
              layout.request_layout (bidirectional or causalSuffixFirst)
  denoise     the one loop of sampler/denoise.ts (decode_loop.py) with the policies of
              sampler/policies.ts (decode_policies.py: saber commit + re-mask always/onDrop/off,
              lowConfidence, threshold; step budget; stop once the middle is complete), scoring of
              sampler/scoring.ts at temperature 0
  text        committed tokens up to the first end token, decoded; a middle cut short loses a
              broken last character

Every name, default and rule constant the engine shares with this port (sampler kinds and option
defaults, the window's split and chunks, the canvas switches, language fallbacks, context orders)
is read from the engine's own contract, src/protocol/decoding.json (decode_contract.py); these
modules hold only the rules. Like the engine, the decoder takes LF text only
(src/protocol/protocol.ts InfillRequest); `to_lf` is the caller's conversion.

Many requests run at once: every request keeps its own canvas and pass count, and each round
runs one batched forward per canvas length over the requests still running. The model is a
callable, `forward(canvas_ids: LongTensor[B, N], rows: list[int]) -> logits [B, N, V]`, where
`rows` says which requests (indices into the batch given to `denoise_batch`/`Decoder.run`) the
B canvases belong to. `SplitModelForward` (decode_forward.py) is that callable for a PyTorch
split-contract model.

Temperature 0 only (argmax); the engine's temperature > 0 path draws from mulberry32 and is not
ported. This module is the port's face: `import decode as D` reaches every part through it.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field

import numpy as np

from dllm_train.evaluation.decode_contract import (  # noqa: F401
    CHUNK_CHARS_PER_TOKEN,
    CONTEXT_ATTENTIONS,
    END_AT_FRONTIER,
    FILL_TAIL_WITH_PAD,
    LANGUAGE_DIALECTS,
    LANGUAGE_FALLBACK,
    MIN_CHUNK_CHARS,
    PREFIX_SHARE,
    REMASK_MODES,
    SAMPLER_DEFAULTS,
    SAMPLER_KINDS,
)
from dllm_train.evaluation.decode_forward import SplitModelForward  # noqa: F401
from dllm_train.evaluation.decode_loop import (  # noqa: F401
    Canvas,
    DenoiseResult,
    DenoiseSetup,
    choose_commits,
    denoise_batch,
    model_view,
    remask_eligible,
    score_logits,
)
from dllm_train.evaluation.decode_policies import (  # noqa: F401
    KIND_RULES,
    PROTOCOL_NAMES,
    LowConfidenceCommit,
    NoRemask,
    PassState,
    SaberCommit,
    SaberRemask,
    SamplerOptions,
    SamplerPolicy,
    Scores,
    StepBudget,
    ThresholdCommit,
    build_policy,
)
from dllm_train.evaluation.decode_text import (  # noqa: F401
    JS_WHITESPACE,
    EngineTokenizer,
    TokenWindow,
    fit_tokens,
    from_utf16,
    js_trim_end,
    to_lf,
    to_well_formed,
    utf16,
    window_tokens,
)
from dllm_train.model.layout import Layout, request_layout

# JavaScript's Number.MAX_SAFE_INTEGER: the engine's bound on a step budget.
MAX_SAFE_INTEGER = 2**53 - 1


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
    context_attention: str = CONTEXT_ATTENTIONS[0]

    @staticmethod
    def from_manifest(path: str) -> EngineSpec:
        """`path`: a model folder or its dllm.json."""
        if os.path.isdir(path):
            path = os.path.join(path, "dllm.json")
        with open(path) as f:
            m = json.load(f)
        st = m["specialTokens"]
        attention = m.get("contextAttention") or CONTEXT_ATTENTIONS[0]
        if attention not in CONTEXT_ATTENTIONS:
            raise ValueError(f"{path}: contextAttention {attention!r} is not one of {CONTEXT_ATTENTIONS}")
        return EngineSpec(m["vocabSize"], st["mask"], st["pad"], st.get("bos"), st.get("eos"), m.get("languageTokens"),
                          m["maxContextTokens"], m["maxCanvasTokens"], attention)

    @staticmethod
    def from_special_tokens(special: dict, vocab_size: int, max_context_tokens: int, max_canvas_tokens: int,
                            context_attention: str = CONTEXT_ATTENTIONS[0]) -> EngineSpec:
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
    base = LANGUAGE_DIALECTS.get(language) if language else None
    if base and base in table:
        return table[base]
    return table.get(LANGUAGE_FALLBACK)


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

