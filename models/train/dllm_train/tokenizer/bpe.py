#!/usr/bin/env python3
"""Byte-level BPE tokenizer: the vocabulary's layout, the encoder/decoder, and the command line.

Learning the merges and writing `tokenizer.json` is learn.py; the cases check_tokenizer.mjs compares
against the JavaScript tokenizer are cases.py.

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

Usage (from models/train):
  python3 -m dllm_train.tokenizer.bpe train [--corpus work/corpus/train.jsonl] [--vocab 4096] [--sample-mb 20]
                                            [--out work/tokenizer]
  python3 -m dllm_train.tokenizer.bpe encode --tokenizer work/tokenizer/tokenizer.json "some text"
"""
from __future__ import annotations

import argparse
import os

import regex

from dllm_train.jsonfile import read_json
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


# ------------------------------------------------------------------------------------------ encoder

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
    def from_file(cls, path: str) -> Tokenizer:
        tj = read_json(path)
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


def special_tokens_json() -> dict:
    specials = special_tokens()
    ids = {s: i for i, s in enumerate(specials)}
    return {
        "mask": ids["<|mask|>"], "pad": ids["<|pad|>"], "bos": ids["<|bos|>"], "eos": ids["<|eos|>"],
        "file_sep": ids["<|file_sep|>"],
        "languageTokens": {l: ids[f"<|lang:{l}|>"] for l in LANGUAGES},
        "tokens": ids,
    }


# ------------------------------------------------------------------------------------------ CLI

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
        from dllm_train.tokenizer.cases import write_cases
        write_cases(args.tokenizer, args.corpus, args.n, args.out)
        return

    if args.cmd == "encode":
        tok = Tokenizer.from_file(args.tokenizer)
        ids = tok.encode(args.text)
        print(ids)
        print([tok.id_to_token[i] for i in ids])
        return

    from dllm_train.tokenizer.learn import train_tokenizer
    train_tokenizer(args.corpus, args.vocab, args.sample_mb, args.out)


if __name__ == "__main__":
    main()
