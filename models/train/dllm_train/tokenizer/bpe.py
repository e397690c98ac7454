#!/usr/bin/env python3
"""Byte-level BPE tokenizer: trainer, encoder/decoder and Hugging Face `tokenizer.json` writer.

Layout of the vocabulary (ids):
  0..4     <|mask|> <|pad|> <|bos|> <|eos|> <|file_sep|>
  5..13    <|lang:python|> ... <|lang:other|>   (VS Code language ids)
  14..31   <|reserved_14|> ... <|reserved_31|>
  32..287  the 256 bytes (GPT-2 byte→unicode alphabet), byte b has id 32+b
  288..    merges, in rank order

Pre-tokenisation (identical in Python `regex` and in @huggingface/tokenizers, which is the runtime's
reference; see check_tokenizer.mjs) keeps boundaries stable for fill-in-the-middle: every newline
(`\\r?\\n`) is its own pre-token, runs of spaces/tabs (≤16) are their own pre-tokens, no pre-token spans a
newline, and matching restarts after every newline, so tokenising a file cut at line boundaries piece by
piece gives exactly the ids of tokenising it whole.

Usage:
  python3 bpe.py train [--corpus work/corpus/train.jsonl] [--vocab 4096] [--sample-mb 20] [--out work/tokenizer]
  python3 bpe.py encode --tokenizer work/tokenizer/tokenizer.json "some text"
"""
from __future__ import annotations

import argparse
import hashlib
import heapq
import json
import os
import sys
import time
from collections import Counter

import regex

from dllm_train.paths import WORK

# word (optionally one leading space) | digits ≤3 | punctuation run (optionally one leading space)
# | newline | spaces/tabs run ≤16 | lone CR.  Together the alternatives cover every character.
PRETOKENIZE_PATTERN = (
    r" ?[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*"
    r"| ?\p{N}{1,3}"
    r"| ?[^ \t\r\n\p{L}\p{M}\p{N}_]+"
    r"|\r?\n"
    r"|[ \t]{1,16}"
    r"|\r"
)
PRETOKENIZE_RE = regex.compile(PRETOKENIZE_PATTERN)

LANGUAGES = ["python", "typescript", "javascript", "c", "cpp", "go", "rust", "shellscript", "other"]
BASE_SPECIALS = ["<|mask|>", "<|pad|>", "<|bos|>", "<|eos|>", "<|file_sep|>"]
N_SPECIAL = 32
BYTE_OFFSET = N_SPECIAL


def special_tokens() -> list[str]:
    toks = BASE_SPECIALS + [f"<|lang:{l}|>" for l in LANGUAGES]
    toks += [f"<|reserved_{i}|>" for i in range(len(toks), N_SPECIAL)]
    assert len(toks) == N_SPECIAL
    return toks


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte → printable unicode character map (same as the ByteLevel components)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_CHARS = bytes_to_unicode()
CHAR_BYTES = {c: b for b, c in BYTE_CHARS.items()}


def pretokenize(text: str) -> list[str]:
    return PRETOKENIZE_RE.findall(text)


# ------------------------------------------------------------------------------------------ training

def merge_pair(seq: list[int], a: int, b: int, z: int) -> list[int]:
    """`seq` with every non-overlapping (a, b), left to right, replaced by z."""
    out = []
    i, n = 0, len(seq)
    while i < n:
        if i + 1 < n and seq[i] == a and seq[i + 1] == b:
            out.append(z)
            i += 2
        else:
            out.append(seq[i])
            i += 1
    return out


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


# ------------------------------------------------------------------------------------------ encoder

class Tokenizer:
    """Python encoder equivalent to @huggingface/tokenizers on our tokenizer.json."""

    def __init__(self, vocab: dict[str, int], merges: list[tuple[str, str]], specials: list[str]):
        self.vocab = vocab
        self.id_to_token = {i: t for t, i in vocab.items()}
        self.specials = {s: vocab[s] for s in specials}
        self.ranks = {(vocab[a], vocab[b]): (r, vocab[a + b]) for r, (a, b) in enumerate(merges)}
        self.byte_ids = [vocab[BYTE_CHARS[b]] for b in range(256)]
        self.cache: dict[str, list[int]] = {}
        self.special_re = regex.compile("|".join(regex.escape(s) for s in sorted(specials, key=len, reverse=True)))

    @classmethod
    def from_file(cls, path: str) -> "Tokenizer":
        tj = json.load(open(path, encoding="utf-8"))
        merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in tj["model"]["merges"]]
        specials = [t["content"] for t in tj["added_tokens"]]
        return cls(tj["model"]["vocab"], merges, specials)

    def _bpe(self, piece: str) -> list[int]:
        ids = [self.byte_ids[b] for b in piece.encode("utf-8")]
        ranks = self.ranks
        while len(ids) > 1:
            best = None
            for p in zip(ids, ids[1:]):
                r = ranks.get(p)
                if r is not None and (best is None or r[0] < best[0]):
                    best = r
                    bp = p
            if best is None:
                break
            a, b = bp
            z = best[1]
            ids = merge_pair(ids, a, b, z)
        return ids

    def encode_ordinary(self, text: str) -> list[int]:
        """Encode without recognising special-token strings."""
        out: list[int] = []
        cache = self.cache
        for piece in PRETOKENIZE_RE.findall(text):
            ids = cache.get(piece)
            if ids is None:
                ids = self._bpe(piece)
                if len(cache) < 2_000_000:
                    cache[piece] = ids
            out.extend(ids)
        return out

    def encode(self, text: str) -> list[int]:
        """Encode like the JS library: literal special-token strings become their special ids."""
        if "<|" not in text:
            return self.encode_ordinary(text)
        out: list[int] = []
        pos = 0
        for m in self.special_re.finditer(text):
            out.extend(self.encode_ordinary(text[pos:m.start()]))
            out.append(self.specials[m.group(0)])
            pos = m.end()
        out.extend(self.encode_ordinary(text[pos:]))
        return out

    def decode(self, ids: list[int]) -> str:
        buf = bytearray()
        parts = []
        for i in ids:
            t = self.id_to_token[int(i)]
            if t in self.specials:
                parts.append(buf.decode("utf-8", errors="replace"))
                buf = bytearray()
                parts.append(t)
            else:
                buf.extend(CHAR_BYTES[c] for c in t)
        parts.append(buf.decode("utf-8", errors="replace"))
        return "".join(parts)

    def newline_ids(self) -> list[int]:
        """Ids of tokens that are exactly one line break (\\n or \\r\\n)."""
        return sorted(i for t, i in self.vocab.items() if t in (BYTE_CHARS[10], BYTE_CHARS[13] + BYTE_CHARS[10]))


# ------------------------------------------------------------------------------------------ writer

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


def special_tokens_json() -> dict:
    specials = special_tokens()
    ids = {s: i for i, s in enumerate(specials)}
    return {
        "mask": ids["<|mask|>"], "pad": ids["<|pad|>"], "bos": ids["<|bos|>"], "eos": ids["<|eos|>"],
        "file_sep": ids["<|file_sep|>"],
        "languageTokens": {l: ids[f"<|lang:{l}|>"] for l in LANGUAGES},
        "tokens": ids,
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


# ------------------------------------------------------------------------------------------ checks

EDGE_CASES = [
    "", " ", "\n", "\r", "\r\n", "\n\n\n", "\r\r\n\n\r", "a\rb", "x = 1\r\ny = 2\r\n", "\t\tindented\ttabs\t\n",
    " " * 1000, "\t" * 100, " \t" * 300 + "x", "    for i in range(10):\n        pass\n",
    "if (a) {\n\treturn b;\n}\r\n", "héllo wörld naïve café", "日本語のテキスト 中文 한국어", "مرحبا بالعالم",
    "emoji 🙂🚀👨‍👩‍👧‍👦 flags 🇫🇷 skin 👍🏽", "e\u0301 combining a\u0308", "x² y³ ¼ Ⅻ １２３ ٣٤٥", "1234567890 3.14159 0xDEADBEEF 1e-10",
    "nbsp\u00a0here\u2028ls\u2029ps\u0085nel\ufeffbom\u200bzwsp", "\x0c form feed \x0b vtab \x1c\x1d\x1e\x1f\x00\x01\x7f",
    "literal <|mask|> and <|eos|><|pad|> specials <|lang:python|> <|notspecial|>", "<|", "|>", "a<|bos|>",
    "s = 'it\\'s' + \"q\\\"x\" # comment  \n", "=== ---- **** ///// <<<>>> !== ?? ?. => -> :: ...", "_private __dunder__ _1 a_b_c",
    "ﬁ ligature ß ǅ İstanbul", "\ud7ff\ue000\uffff\U0001F600\U0010FFFD", "tab\tafter\t\t\tmany", "trailing spaces   \n  \n",
    "    " * 40 + "deep", "a" * 5000, "\u0600\u0601 format chars \u00ad soft hyphen",
]


def fuzz_cases(count: int = 200, seed: int = 1234) -> list[str]:
    """Deterministic random strings mixing ASCII code, whitespace/newline variants and random code points."""
    import random
    rng = random.Random(seed)
    pool = list("abcXYZ_019 \t\t\n\r(){}[]<>|=+-*/#'\".,;:!?@$%^&~`\\") + ["\r\n", "    ", "<|", "|>", "<|pad|>"]
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 60)):
            r = rng.random()
            if r < 0.7:
                parts.append(rng.choice(pool))
            elif r < 0.85:
                parts.append(chr(rng.randint(0x80, 0x2FFF)))
            elif r < 0.95:
                cp = rng.randint(0x3000, 0xFFFD)
                parts.append(chr(cp) if not 0xD800 <= cp <= 0xDFFF else "x")
            else:
                parts.append(chr(rng.randint(0x10000, 0x10FFFF)))
        out.append("".join(parts))
    return out


def write_cases(tok_path: str, corpus: str, n: int, out: str) -> None:
    tok = Tokenizer.from_file(tok_path)
    texts = list(EDGE_CASES) + fuzz_cases()
    with open(corpus, encoding="utf-8") as f:
        lines = f.readlines()
    step = max(1, len(lines) // max(1, n))
    texts += [json.loads(line)["text"] for line in lines[::step][:n]]
    t0 = time.time()
    ids = [tok.encode(t) for t in texts]
    dt = time.time() - t0
    tok.cache.clear()
    t0 = time.time()
    for t in texts:
        tok.encode(t)
    dt_cold = time.time() - t0
    # fill-in-the-middle stability: cut at two line boundaries, encode pieces separately
    fim_bad = 0
    fim_n = 0
    for k, t in enumerate(texts):
        starts = [0] + [i + 1 for i, ch in enumerate(t) if ch == "\n"]
        if len(starts) < 3:
            continue
        h = int(hashlib.md5(t.encode()).hexdigest(), 16)
        a = starts[h % len(starts)]
        b = starts[(h // 7919) % len(starts)]
        a, b = min(a, b), max(a, b)
        pieces = tok.encode(t[:a]) + tok.encode(t[a:b]) + tok.encode(t[b:])
        fim_n += 1
        if pieces != ids[k]:
            fim_bad += 1
        if tok.decode(ids[k]) != t:
            raise SystemExit(f"python decode(encode(x)) != x for case {k}")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"texts": texts, "ids": ids, "python_seconds": dt_cold, "python_chars": sum(map(len, texts)),
                   "fim_checked": fim_n, "fim_mismatch": fim_bad}, f, ensure_ascii=False)
    print(f"[cases] {len(texts)} texts, python {sum(map(len, texts)) / dt_cold / 1e6:.2f} MB/s (cold cache), "
          f"FIM line-cut mismatches {fim_bad}/{fim_n}", file=sys.stderr)


# ------------------------------------------------------------------------------------------ CLI

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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for p in (t := sub.add_parser("train")), (e := sub.add_parser("encode")), \
            (c := sub.add_parser("cases", help="write test cases with Python ids for check_tokenizer.mjs")):
        p.add_argument("--tiny", action="store_true", help="use work/tiny (CI smoke run)")
        p.add_argument("--work", default=None, help="work directory (default work/, or work/tiny with --tiny)")
    t.add_argument("--corpus", default=None, help="default <work>/corpus/train.jsonl")
    t.add_argument("--vocab", type=int, default=4096)
    t.add_argument("--sample-mb", type=float, default=20.0)
    t.add_argument("--out", default=None, help="default <work>/tokenizer")
    e.add_argument("--tokenizer", default=None, help="default <work>/tokenizer/tokenizer.json")
    e.add_argument("text")
    c.add_argument("--tokenizer", default=None, help="default <work>/tokenizer/tokenizer.json")
    c.add_argument("--corpus", default=None, help="default <work>/corpus/val.jsonl")
    c.add_argument("--n", type=int, default=300)
    c.add_argument("--out", required=True)
    args = ap.parse_args()
    work = args.work or os.path.join(WORK, "tiny" if args.tiny else "")
    if args.cmd in ("encode", "cases"):
        args.tokenizer = args.tokenizer or os.path.join(work, "tokenizer", "tokenizer.json")
    if args.cmd == "cases":
        args.corpus = args.corpus or os.path.join(work, "corpus", "val.jsonl")
    if args.cmd == "train":
        args.corpus = args.corpus or os.path.join(work, "corpus", "train.jsonl")
        args.out = args.out or os.path.join(work, "tokenizer")

    if args.cmd == "cases":
        write_cases(args.tokenizer, args.corpus, args.n, args.out)
        return

    if args.cmd == "encode":
        tok = Tokenizer.from_file(args.tokenizer)
        ids = tok.encode(args.text)
        print(ids)
        print([tok.id_to_token[i] for i in ids])
        return

    t0 = time.time()
    counts: Counter = Counter()
    nbytes = 0
    for text in sample_texts(args.corpus, args.sample_mb * 1e6):
        counts.update(PRETOKENIZE_RE.findall(text))
        nbytes += len(text)
    print(f"[bpe] {nbytes / 1e6:.1f} MB sample, {len(counts)} distinct pre-tokens ({time.time() - t0:.1f}s)", file=sys.stderr)
    merges = train(counts, args.vocab)
    if len(merges) < args.vocab - N_SPECIAL - 256:
        print(f"[bpe] only {len(merges)} merges possible (small corpus); vocab = {N_SPECIAL + 256 + len(merges)}",
              file=sys.stderr)
    path = write_tokenizer(args.out, merges, {
        "sample_chars": nbytes, "distinct_pretokens": len(counts), "merges": len(merges),
        "vocab_size": N_SPECIAL + 256 + len(merges), "seconds": round(time.time() - t0, 1),
        "pattern": PRETOKENIZE_PATTERN,
    })
    print(f"[bpe] wrote {path} ({time.time() - t0:.1f}s)", file=sys.stderr)


if __name__ == "__main__":
    main()
