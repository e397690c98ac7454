"""Training batches: editor-shaped infilling examples packed into fixed-shape rows.

An example is one hole in a window of one document, shaped like an editor request (models/README.md
"Sequence layout"): `[bos] [lang] prefix · canvas · suffix [eos]`, positions following the
document. In the row its tokens are laid out as the causal context order wants them (layout.py):
head, suffix, eos, prefix, then the canvas and its copies. The canvas has N positions, N drawn
the way the product asks (inline 32, commands 64/128), independently of the middle's length: the
middle and then `<pad>` up to N, or the first N tokens of a longer middle. Per canvas,
t ~ U(0.05, 1]; each canvas position is `<mask>` with probability t and carries loss weight 1/t
(the MDLM/LLaDA ELBO). Copies of the canvas at the same positions, masked at other rates, are
more ELBO samples for the price of the context. "Dense" examples put one canvas over 30-90% of the
window: plain MDLM, many supervised tokens per example; their share follows a schedule over the run.

With a causal context, each context token also predicts the next context token (an
autoregressive loss on positions that would otherwise carry none).

Rows are a fixed [B, T]: examples are packed until the row is full, the rest is padding (its own
example, attended by nothing real). Fixed shapes let torch.compile compile once.
"""
from __future__ import annotations

import math

import numpy as np

from dllm_train.data.encoded import Shard, Vocab

# The canvas sizes the product asks for and how often (inline ghost text, commands).
CANVAS_SIZES = (16, 32, 64, 128)
CANVAS_P = (0.15, 0.45, 0.25, 0.15)
MIDDLE_KINDS = ("rest_of_line", "line", "lines", "block", "span", "empty")
MIDDLE_KIND_P = (0.25, 0.23, 0.2, 0.1, 0.17, 0.05)
MIN_T = 0.05
MIN_EXAMPLE = 48  # a row's leftover shorter than this stays padding
# Most unused positions between canvas and suffix in a training example (suffix_gap_p); an
# exported model promises the engine no more (manifest maxSuffixGap, export.py).
MAX_SUFFIX_GAP = 64

# loss kinds per position
IGNORE, CANVAS, CONTEXT_LM = 0, 1, 2


class Example:
    """One example in row order (numpy int64/float32 arrays of the same length)."""

    def __init__(self, ids, pos, targets, kind, weight, segment):
        self.ids, self.pos, self.targets = ids, pos, targets
        self.kind, self.weight, self.segment = kind, weight, segment


class ExampleBuilder:
    def __init__(self, shard: Shard, vocab: Vocab, causal: bool, canvas_copies: int = 0,
                 lang_other_p: float = 0.1, doc_start_p: float = 0.1, suffix_gap_p: float = 0.0,
                 max_suffix_gap: int = MAX_SUFFIX_GAP, context_lm: bool = False):
        self.shard, self.v = shard, vocab
        self.causal = causal
        self.canvas_copies = canvas_copies
        self.lang_other_p = lang_other_p
        self.doc_start_p = doc_start_p
        # A gap of unused positions between the canvas and the suffix, now and then: lets the
        # runtime keep the suffix's positions fixed while typing moves the cursor.
        self.suffix_gap_p = suffix_gap_p
        self.max_suffix_gap = max_suffix_gap
        self.context_lm = context_lm and causal  # a bidirectional context would see the answer

    # -- middles inside a window of tokens w with its lines [(start, end incl. newline)]
    def _lines(self, w: np.ndarray) -> list[tuple[int, int]]:
        nl = np.nonzero(self.v.newline[w])[0]
        starts = np.concatenate([[0], nl + 1])
        ends = np.concatenate([nl + 1, [len(w)]])
        return [(int(s), int(e)) for s, e in zip(starts, ends) if e > s]

    def _line_indent(self, w: np.ndarray, s: int, e: int) -> int:
        """Indent width of the line, or -1 for a blank line."""
        if e - s <= 1 and (e - s == 0 or self.v.newline[w[s]]):
            return -1
        width = int(self.v.indent[w[s]])
        if width < 0:
            return 0
        if s + 1 < e and self.v.newline[w[s + 1]]:
            return -1  # whitespace-only line
        return width

    def _middle(self, kind: str, w: np.ndarray, lines, rng) -> tuple[int, int] | None:
        n = len(w)
        if kind == "span":
            length = int(math.exp(rng.uniform(0, math.log(64))))
            if length >= n:
                return None
            a = int(rng.integers(0, n - length))
            return a, a + length
        if kind == "empty":
            a = int(rng.integers(0, n + 1))
            return a, a
        if not lines:
            return None
        li = int(rng.integers(0, len(lines)))
        s, e = lines[li]
        if kind == "rest_of_line":
            stop = e - 1 if self.v.newline[w[e - 1]] else e
            if stop - s < 1:
                return None
            a = int(rng.integers(s, stop))
            return a, stop
        if kind == "line":
            return s, e
        if kind == "lines":
            k = int(rng.integers(2, 9))
            last = min(len(lines) - 1, li + k - 1)
            return s, lines[last][1]
        if kind == "block":
            # A body: the lines after line li that are indented deeper than li (blank lines inside).
            if li + 1 >= len(lines):
                return None
            head = self._line_indent(w, *lines[li])
            first = self._line_indent(w, *lines[li + 1])
            if head < 0 or first <= head:
                return None
            end = li + 1
            while end + 1 < len(lines):
                ind = self._line_indent(w, *lines[end + 1])
                if 0 <= ind < first:
                    break
                end += 1
            while end > li + 1 and self._line_indent(w, *lines[end]) < 0:
                end -= 1  # trailing blank lines belong to what follows
            return lines[li + 1][0], lines[end][1]
        raise ValueError(kind)

    def build(self, rng: np.random.Generator, length: int, dense_p: float = 0.0,
              fixed_t: float | None = None, canvas_n: int | None = None) -> Example:
        """An example of at most `length` row positions (canvas copies included). Validation
        examples give `fixed_t` (the mask rate) and `canvas_n`. The steps draw from `rng` in this
        order, so a seed gives the same examples."""
        d, a, b = self._pick_document(rng)
        head = self._head(rng, d)
        avail = length - len(head) - 1  # all but the head and the eos
        dense, copies, n = self._canvas_plan(rng, avail, dense_p, fixed_t, canvas_n)
        w = self._window(rng, a, b, avail - n * copies)
        s, e, n = self._hole(rng, w, n, dense)
        lo, hi = self._trim_context(s, e, len(w), avail - n * (1 + copies))
        gap = self._suffix_gap(rng, fixed_t)
        ctx_ids, ctx_pos, canvas_pos = self._row_layout(head, w[lo:s], w[e:hi], n, gap)
        target = self._canvas_target(w[s:e], n)
        return self._assemble(rng, ctx_ids, ctx_pos, canvas_pos, target, copies, fixed_t)

    def _pick_document(self, rng: np.random.Generator) -> tuple[int, int, int]:
        """A document of at least 8 tokens: its id and its [start, end) in the shard's tokens."""
        while True:
            d = self.shard.pick_doc(rng)
            a, b = int(self.shard.docs[d]), int(self.shard.docs[d + 1])
            if b - a >= 8:
                return d, a, b

    def _head(self, rng: np.random.Generator, d: int) -> list[int]:
        """[bos] [lang]: the document's language token, or now and then <|lang:other|>."""
        v = self.v
        lang = v.lang_token[int(self.shard.lang[d])]
        if rng.random() < self.lang_other_p:
            lang = v.other_token
        return [v.bos] + ([lang] if lang is not None else [])

    def _canvas_plan(self, rng: np.random.Generator, avail: int, dense_p: float, fixed_t: float | None,
                     canvas_n: int | None) -> tuple[bool, int, int]:
        """(dense, copies, N): N drawn as the product asks unless given. A dense example has no
        copies and gets its N from its span later; otherwise short rows get fewer copies, then a
        smaller canvas, so the context keeps a quarter of the `avail` positions."""
        dense = fixed_t is None and rng.random() < dense_p
        copies = 0 if dense else self.canvas_copies
        n = canvas_n or int(CANVAS_SIZES[int(rng.choice(len(CANVAS_SIZES), p=CANVAS_P))])
        if not dense:
            while copies > 0 and n * (1 + copies) > avail * 3 // 4:
                copies -= 1
            while n > 8 and n > avail * 3 // 4:
                n //= 2
        return dense, copies, n

    def _window(self, rng: np.random.Generator, a: int, b: int, room: int) -> np.ndarray:
        """The document's tokens [a, b), or `room` of them from a random start (or from its start,
        with probability doc_start_p) when it is longer."""
        if b - a > room:
            start = a if rng.random() < self.doc_start_p else int(rng.integers(a, b - room + 1))
            return np.asarray(self.shard.tokens[start:start + room], dtype=np.int64)
        return np.asarray(self.shard.tokens[a:b], dtype=np.int64)

    def _hole(self, rng: np.random.Generator, w: np.ndarray, n: int, dense: bool) -> tuple[int, int, int]:
        """The middle w[s:e] and the canvas size: a dense span over 30-90% of the window (N = its
        length), or an editor-shaped middle (8 tries over the kinds, then an empty one at 0)."""
        if dense and len(w) >= 16:
            span = max(1, int(len(w) * rng.uniform(0.3, 0.9)))
            s = int(rng.integers(0, len(w) - span + 1))
            return s, s + span, span
        lines = self._lines(w)
        for _ in range(8):
            kind = MIDDLE_KINDS[int(rng.choice(len(MIDDLE_KINDS), p=MIDDLE_KIND_P))]
            m = self._middle(kind, w, lines, rng)
            if m is not None:
                return m[0], m[1], n
        return 0, 0, n

    @staticmethod
    def _trim_context(s: int, e: int, w_len: int, budget: int) -> tuple[int, int]:
        """The window [lo, hi) around the middle [s, e) whose context fits `budget` positions: both
        edges trimmed in proportion to what they hold, as a cursor window would be."""
        room_lo, room_hi = s, w_len - e
        excess = room_lo + room_hi - max(0, budget)
        if excess <= 0:
            return 0, w_len
        cut_lo = min(room_lo, int(round(excess * room_lo / max(1, room_lo + room_hi))))
        return cut_lo, w_len - min(room_hi, excess - cut_lo)

    def _suffix_gap(self, rng: np.random.Generator, fixed_t: float | None) -> int:
        """Unused positions between the canvas and the suffix: 1..max_suffix_gap with probability
        suffix_gap_p, otherwise (and always in validation examples) none."""
        if fixed_t is None and rng.random() < self.suffix_gap_p:
            return int(rng.integers(1, self.max_suffix_gap + 1))
        return 0

    def _row_layout(self, head: list[int], prefix: np.ndarray, suffix: np.ndarray, n: int,
                    gap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Context ids and positions in row order (head, suffix, eos, prefix), and the canvas's
        positions. Positions follow the document: head, prefix, canvas, gap, suffix, eos."""
        h, p = len(head), len(prefix)
        ids = np.concatenate([np.asarray(head, np.int64), suffix, [self.v.eos], prefix]).astype(np.int64)
        after = h + p + n + gap
        pos = np.concatenate([np.arange(h), np.arange(after, after + len(suffix) + 1), np.arange(h, h + p)])
        return ids, pos, np.arange(h + p, h + p + n)

    def _canvas_target(self, middle: np.ndarray, n: int) -> np.ndarray:
        """What the N canvas positions should become: the middle's first N tokens, then <pad>."""
        mid = middle[:n]
        return np.concatenate([mid, np.full(n - len(mid), self.v.pad, dtype=np.int64)])

    @staticmethod
    def _mask_rates(rng: np.random.Generator, canvases: int, fixed_t: float | None) -> list[float]:
        """A mask rate per canvas: t ~ U(MIN_T, 1] (or fixed_t) for the first; the copies' rates
        spread over (0, 1] from it (stratified)."""
        t0 = fixed_t if fixed_t is not None else max(MIN_T, 1.0 - rng.random())
        return [t0] + [max(MIN_T, (t0 + j / canvases) % 1.0) for j in range(1, canvases)]

    def _mask_canvas(self, rng: np.random.Generator, target: np.ndarray,
                     t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One canvas, each position <mask> with probability t: ids, loss kinds, weights (1/t where
        masked: the ELBO)."""
        masked = rng.random(len(target)) < t
        return np.where(masked, self.v.mask, target), np.where(masked, CANVAS, IGNORE), np.where(masked, 1.0 / t, 0.0)

    def _assemble(self, rng: np.random.Generator, ctx_ids: np.ndarray, ctx_pos: np.ndarray,
                  canvas_pos: np.ndarray, target: np.ndarray, copies: int, fixed_t: float | None) -> Example:
        """The example in row order: the context (next-token targets with context_lm), then the
        canvas and its copies (segments 1, 2, ...), each masked at its own rate."""
        c, n, canvases = len(ctx_ids), len(target), 1 + copies
        total = c + n * canvases
        ids = np.empty(total, np.int64)
        pos = np.empty(total, np.int64)
        targets = np.zeros(total, np.int64)
        kind = np.zeros(total, np.int8)
        weight = np.zeros(total, np.float32)
        segment = np.zeros(total, np.int32)
        ids[:c], pos[:c] = ctx_ids, ctx_pos
        if self.context_lm and c > 1:
            targets[:c - 1] = ctx_ids[1:]
            kind[:c - 1] = CONTEXT_LM
            weight[:c - 1] = 1.0
        for j, t in enumerate(self._mask_rates(rng, canvases, fixed_t)):
            sl = slice(c + j * n, c + (j + 1) * n)
            ids[sl], kind[sl], weight[sl] = self._mask_canvas(rng, target, t)
            pos[sl], targets[sl], segment[sl] = canvas_pos, target, j + 1
        return Example(ids, pos, targets, kind, weight, segment)


def empty_rows(rows: int, row_len: int, pad_id: int) -> dict[str, np.ndarray]:
    """A batch [rows, row_len] of padding: no example, no loss."""
    shape = (rows, row_len)
    return {
        "ids": np.full(shape, pad_id, np.int64), "pos": np.zeros(shape, np.int64),
        "targets": np.zeros(shape, np.int64), "kind": np.zeros(shape, np.int8),
        "weight": np.zeros(shape, np.float32), "example": np.full(shape, -1, np.int32),
        "segment": np.zeros(shape, np.int32),
    }


def place(batch: dict[str, np.ndarray], row: int, at: int, ex: Example, example_id: int) -> int:
    """Writes an example into a row from position `at`; returns the position after it."""
    sl = slice(at, at + len(ex.ids))
    for key in ("ids", "pos", "targets", "kind", "weight", "segment"):
        batch[key][row, sl] = getattr(ex, key)
    batch["example"][row, sl] = example_id
    return sl.stop


def pack_rows(builder: ExampleBuilder, rng: np.random.Generator, rows: int, row_len: int,
              lengths: list[tuple[int, float]], dense_p: float = 0.0, pad_id: int = 1) -> dict[str, np.ndarray]:
    """A fixed-shape batch [rows, row_len]: examples packed greedily, the rest padding."""
    ls = np.asarray([x for x, _ in lengths])
    lp = np.asarray([p for _, p in lengths], dtype=np.float64)
    lp = lp / lp.sum()
    out = empty_rows(rows, row_len, pad_id)
    for r in range(rows):
        at, k = 0, 0
        while row_len - at >= MIN_EXAMPLE:
            want = min(int(ls[rng.choice(len(ls), p=lp)]), row_len - at)
            at = place(out, r, at, builder.build(rng, want, dense_p=dense_p), k)
            k += 1
    return out


def validation_rows(builder: ExampleBuilder, count: int, length: int, row_len: int, pad_id: int,
                    seed: int = 1234) -> dict[str, np.ndarray]:
    """Fixed editor-shaped examples (fixed seed, mask rates on a grid, canvas sizes in turn), one
    per row of a [count, row_len] batch, so the validation loss is comparable across steps and runs."""
    rng = np.random.default_rng(seed)
    out = empty_rows(count, row_len, pad_id)
    for i in range(count):
        ex = builder.build(rng, min(length, row_len), fixed_t=(i + 0.5) / count,
                           canvas_n=CANVAS_SIZES[i % len(CANVAS_SIZES)])
        place(out, i, 0, ex, 0)
    return out
