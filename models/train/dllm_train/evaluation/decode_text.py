"""The engine's text handling in Python: UTF-16 cuts, the token window and the tokenizer wrapper.

Mirrors src/engine/text.ts, src/protocol/text.ts, src/engine/window.ts and src/engine/tokenizer.ts.
Texts are cut in UTF-16 code units, as JavaScript strings are, so windows match the engine's for any
text; the window's constants come from the decoder's contract (decode_contract.py).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import numpy as np

from dllm_train.evaluation.decode_contract import CHUNK_CHARS_PER_TOKEN, MIN_CHUNK_CHARS, PREFIX_SHARE
from dllm_train.tokenizer.bpe import Tokenizer

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

