"""The encoded data folder (data.encode's output) read back for training: one split's documents
(`Shard`) and the vocabulary facts the example builder needs (`Vocab`): special ids, language tokens,
newline ids and indentation widths.
"""
from __future__ import annotations

import json
import os

import numpy as np

from dllm_train.tokenizer.bpe import bytes_to_unicode


def byte_level_decoder() -> dict[str, int]:
    """GPT-2 byte-level alphabet: printable stand-in character -> byte value."""
    return {c: b for b, c in bytes_to_unicode().items()}


def token_texts(tokenizer_json: str, vocab_size: int) -> list[str]:
    """Surface text of every token id (byte-level vocabularies decoded), '' for specials."""
    with open(tokenizer_json, encoding="utf-8") as f:
        tok = json.load(f)
    vocab: dict[str, int] = tok["model"]["vocab"]
    specials = {t["id"] for t in tok.get("added_tokens", [])}
    byte_of = byte_level_decoder()
    texts = [""] * vocab_size
    for piece, i in vocab.items():
        if i >= vocab_size or i in specials:
            continue
        if all(ch in byte_of for ch in piece):
            texts[i] = bytes(byte_of[ch] for ch in piece).decode("utf-8", errors="replace")
        else:
            texts[i] = piece
    return texts


def indent_widths(texts: list[str]) -> np.ndarray:
    """Width in columns (tab = 4) of tokens made only of spaces/tabs; -1 for all others."""
    out = np.full(len(texts), -1, dtype=np.int32)
    for i, s in enumerate(texts):
        if s and s.strip(" \t") == "":
            out[i] = s.count(" ") + 4 * s.count("\t")
    return out


class Shard:
    """One split of the encoded corpus: tokens (uint16, documents concatenated) + doc offsets.

    Documents are drawn length-weighted (a random token's document), optionally with a weight
    per language, so a small language can be given more than its share of the tokens.
    """

    def __init__(self, data_dir: str, split: str, languages: list[str] | None = None,
                 lang_weights: dict[str, float] | None = None):
        self.tokens = np.memmap(os.path.join(data_dir, f"{split}.tokens.u16"), dtype=np.uint16, mode="r")
        self.docs = np.fromfile(os.path.join(data_dir, f"{split}.docs.i64"), dtype=np.int64)
        self.lang = np.fromfile(os.path.join(data_dir, f"{split}.lang.u8"), dtype=np.uint8)
        if len(self.docs) != len(self.lang) + 1:
            raise ValueError(f"{data_dir}: {split}.docs.i64 must hold ndocs+1 offsets")
        self.groups: list[tuple[np.ndarray, np.ndarray]] = []  # (doc ids, cumulative lengths)
        self.group_p = None
        if lang_weights:
            lengths = np.diff(self.docs)
            weights = []
            for k, name in enumerate(languages or []):
                ids = np.nonzero(self.lang == k)[0]
                w = lang_weights.get(name, lang_weights.get("*", 0.0))
                if len(ids) and w > 0:
                    self.groups.append((ids, np.cumsum(lengths[ids])))
                    weights.append(w)
            if self.groups:
                self.group_p = np.asarray(weights) / np.sum(weights)

    def pick_doc(self, rng: np.random.Generator) -> int:
        if self.group_p is None:
            at = rng.integers(0, self.docs[-1])
            return int(np.searchsorted(self.docs, at, side="right") - 1)
        ids, cum = self.groups[int(rng.choice(len(self.groups), p=self.group_p))]
        return int(ids[np.searchsorted(cum, rng.integers(0, cum[-1]), side="right")])


class Vocab:
    """Special ids, language tokens, newline ids and indentation widths, from data meta.json."""

    def __init__(self, data_dir: str, tokenizer_json: str):
        with open(os.path.join(data_dir, "meta.json")) as f:
            meta = json.load(f)
        self.meta = meta
        self.vocab_size = int(meta["vocab_size"])
        sp = meta["special_tokens"]
        self.mask, self.pad, self.bos, self.eos = sp["mask"], sp["pad"], sp["bos"], sp["eos"]
        self.languages: list[str] = list(meta["languages"])
        # lang.u8 value k -> meta["languages"][k], a VS Code language id with its token.
        self.lang_token = [int(meta["language_token_ids"][name]) for name in meta["languages"]]
        self.other_token = meta["language_token_ids"].get("other")
        self.newline = np.zeros(self.vocab_size, dtype=bool)
        self.newline[np.asarray(meta["newline_token_ids"], dtype=np.int64)] = True
        self.indent = indent_widths(token_texts(tokenizer_json, self.vocab_size))
