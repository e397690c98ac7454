"""Learning a byte-level BPE vocabulary (merges with incremental pair counts and a lazy max-heap) from a
sample of the corpus, and writing it as a Hugging Face `tokenizer.json` with its special ids beside it.
The vocabulary's layout and the encoder are bpe.py's.
"""
from __future__ import annotations

import hashlib
import heapq
import json
import os
import sys
import time
from collections import Counter

from dllm_train.tokenizer.bpe import (
    BYTE_CHARS,
    BYTE_OFFSET,
    N_SPECIAL,
    PRETOKENIZE_PATTERN,
    PRETOKENIZE_RE,
    merge_pair,
    special_tokens,
    special_tokens_json,
)


def train(pretoken_counts: Counter, vocab_size: int, log_every: int = 500) -> list[tuple[int, int]]:
    """Learn merges over byte ids (0..255); returns the list of merged id pairs in rank order.
    New symbol k (k = 0, 1, ...) gets byte-space id 256 + k."""
    n_merges = vocab_size - N_SPECIAL - 256
    words: list[list[int]] = []
    counts: list[int] = []
    for tok, c in pretoken_counts.items():
        b = tok.encode("utf-8")
        if len(b) >= 2:
            words.append(list(b))
            counts.append(c)
    pair_counts: dict[tuple[int, int], int] = {}
    where: dict[tuple[int, int], set[int]] = {}
    for wi, w in enumerate(words):
        c = counts[wi]
        for p in zip(w, w[1:]):
            pair_counts[p] = pair_counts.get(p, 0) + c
            s = where.get(p)
            if s is None:
                where[p] = {wi}
            else:
                s.add(wi)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges: list[tuple[int, int]] = []
    t0 = time.time()
    while len(merges) < n_merges and heap:
        negc, pair = heapq.heappop(heap)
        cur = pair_counts.get(pair, 0)
        if cur != -negc:
            continue  # stale entry; the current count has its own entry
        if cur < 1:
            break
        a, b = pair
        z = 256 + len(merges)
        merges.append(pair)
        changed: set[tuple[int, int]] = set()
        for wi in where.pop(pair, ()):
            w = words[wi]
            c = counts[wi]
            # remove old pairs
            for p in zip(w, w[1:]):
                pair_counts[p] -= c
                changed.add(p)
            # merge
            out = merge_pair(w, a, b, z)
            words[wi] = out
            for p in zip(out, out[1:]):
                pair_counts[p] = pair_counts.get(p, 0) + c
                changed.add(p)
                s = where.get(p)
                if s is None:
                    where[p] = {wi}
                else:
                    s.add(wi)
        pair_counts.pop(pair, None)
        changed.discard(pair)
        for p in changed:
            c = pair_counts.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                pair_counts.pop(p, None)
        if log_every and len(merges) % log_every == 0:
            print(f"[bpe] {len(merges)}/{n_merges} merges, last count {cur}, {time.time() - t0:.1f}s", file=sys.stderr)
    return merges


def build_vocab(merges: list[tuple[int, int]]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    specials = special_tokens()
    vocab = {s: i for i, s in enumerate(specials)}
    sym: list[str] = [BYTE_CHARS[b] for b in range(256)]
    for b in range(256):
        vocab[sym[b]] = BYTE_OFFSET + b
    merge_strs = []
    for k, (a, b) in enumerate(merges):
        s = sym[a] + sym[b]
        sym.append(s)
        assert s not in vocab, s
        vocab[s] = BYTE_OFFSET + 256 + k
        merge_strs.append((sym[a], sym[b]))
    return vocab, merge_strs


def tokenizer_json(vocab: dict[str, int], merges: list[tuple[str, str]]) -> dict:
    specials = special_tokens()
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for i, s in enumerate(specials)
        ],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": PRETOKENIZE_PATTERN}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            ],
        },
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [[a, b] for a, b in merges],
        },
    }


def write_tokenizer(out_dir: str, merges: list[tuple[int, int]], extra_meta: dict | None = None) -> str:
    os.makedirs(out_dir, exist_ok=True)
    vocab, merge_strs = build_vocab(merges)
    path = os.path.join(out_dir, "tokenizer.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab, merge_strs), f, ensure_ascii=False)
    with open(os.path.join(out_dir, "special_tokens.json"), "w") as f:
        json.dump(special_tokens_json(), f, indent=1)
    # runtime note: the JS library's decode() applies clean_up_tokenization (" ." → ".") unless told not to
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump({"clean_up_tokenization_spaces": False, "model_max_length": 1 << 20}, f, indent=1)
    if extra_meta is not None:
        with open(os.path.join(out_dir, "train_meta.json"), "w") as f:
            json.dump(extra_meta, f, indent=1)
    return path


def sample_texts(corpus: str, sample_bytes: float):
    """Deterministic sample (by path hash) of about sample_bytes of the corpus."""
    total = os.path.getsize(corpus)
    frac = min(1.0, sample_bytes / max(1, total))
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            h = hashlib.blake2b(d["path"].encode(), digest_size=8).digest()
            if int.from_bytes(h, "big") / 2 ** 64 < frac:
                yield d["text"]


def train_tokenizer(corpus: str, vocab: int, sample_mb: float, out: str) -> None:
    """`bpe train`: merges learned from about sample_mb MB of a corpus .jsonl, written to the folder out."""
    t0 = time.time()
    counts: Counter = Counter()
    nbytes = 0
    for text in sample_texts(corpus, sample_mb * 1e6):
        counts.update(PRETOKENIZE_RE.findall(text))
        nbytes += len(text)
    print(f"[bpe] {nbytes / 1e6:.1f} MB sample, {len(counts)} distinct pre-tokens ({time.time() - t0:.1f}s)", file=sys.stderr)
    merges = train(counts, vocab)
    if len(merges) < vocab - N_SPECIAL - 256:
        print(f"[bpe] only {len(merges)} merges possible (small corpus); vocab = {N_SPECIAL + 256 + len(merges)}",
              file=sys.stderr)
    path = write_tokenizer(out, merges, {
        "sample_chars": nbytes, "distinct_pretokens": len(counts), "merges": len(merges),
        "vocab_size": N_SPECIAL + 256 + len(merges), "seconds": round(time.time() - t0, 1),
        "pattern": PRETOKENIZE_PATTERN,
    })
    print(f"[bpe] wrote {path} ({time.time() - t0:.1f}s)", file=sys.stderr)

