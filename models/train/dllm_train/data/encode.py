#!/usr/bin/env python3
"""Encode the corpus into token shards for training.

Input:  work/corpus/{train,val}.jsonl, work/tokenizer/tokenizer.json (or the shipped model's
        ../dllm-code-tiny/tokenizer.json, whose vocabulary later runs keep so they can start from its weights)
Output: work/data/{split}.tokens.u16   uint16, documents concatenated, no special tokens inserted
        work/data/{split}.docs.i64     int64 document start offsets, length ndocs+1 (last = total tokens)
        work/data/{split}.lang.u8      uint8 index into meta["languages"] per document
        work/data/meta.json            vocab size, special ids, languages + their token ids, token counts,
                                       ids of pure-newline tokens (line boundaries for the trainer),
                                       the tokenizer's sha256 and the corpus's licences per source root
The special ids come from bpe.special_tokens_json(); a tokenizer whose added tokens differ is refused.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections import Counter
from multiprocessing import Pool

import numpy as np

from dllm_train.paths import WORK
from dllm_train.tokenizer import bpe

_tok: bpe.Tokenizer | None = None


def _init(path: str) -> None:
    global _tok
    _tok = bpe.Tokenizer.from_file(path)


def _encode_batch(batch: list[tuple[str, str]]) -> list[tuple[str, int, np.ndarray]]:
    assert _tok is not None, "the pool's initializer (_init) loads the tokenizer"
    return [(lang, len(text), np.asarray(_tok.encode(text), dtype=np.uint16)) for lang, text in batch]


def check_specials(tok: bpe.Tokenizer, path: str) -> dict:
    """bpe.special_tokens_json(), after checking that the tokenizer's added tokens (and its vocabulary)
    give exactly those ids."""
    specials = bpe.special_tokens_json()
    want = specials["tokens"]
    with open(path, encoding="utf-8") as f:
        added = {t["content"]: t["id"] for t in json.load(f).get("added_tokens", [])}
    if added != want or any(tok.vocab.get(name) != i for name, i in want.items()):
        diff = sorted(set(added.items()) ^ set(want.items()))[:8]
        raise SystemExit(f"encode: the special tokens of {path} are not bpe.py's (differences: {diff}); "
                         "refusing to write shards with other special ids")
    return specials


def file_sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_batches(path: str, batch_chars: int = 1_000_000):
    batch, size = [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            batch.append((d["lang"], d["text"]))
            size += len(d["text"])
            if size >= batch_chars:
                yield batch
                batch, size = [], 0
    if batch:
        yield batch


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", action="store_true", help="use work/tiny (CI smoke run)")
    ap.add_argument("--work", default=None, help="work directory (default work/, or work/tiny with --tiny)")
    ap.add_argument("--corpus", default=None, help="directory with {train,val}.jsonl (default <work>/corpus)")
    ap.add_argument("--tokenizer", default=None, help="default <work>/tokenizer/tokenizer.json")
    ap.add_argument("--out", default=None, help="default <work>/data")
    ap.add_argument("--procs", type=int, default=2)
    args = ap.parse_args(argv)
    work = args.work or os.path.join(WORK, "tiny" if args.tiny else "")
    args.corpus = args.corpus or os.path.join(work, "corpus")
    args.tokenizer = args.tokenizer or os.path.join(work, "tokenizer", "tokenizer.json")
    args.out = args.out or os.path.join(work, "data")
    os.makedirs(args.out, exist_ok=True)

    tok = bpe.Tokenizer.from_file(args.tokenizer)
    vocab_size = len(tok.vocab)
    assert vocab_size <= 65536
    languages = bpe.LANGUAGES
    lang_index = {l: i for i, l in enumerate(languages)}
    specials = check_specials(tok, args.tokenizer)
    corpus_meta = {}
    if os.path.isfile(os.path.join(args.corpus, "meta.json")):
        with open(os.path.join(args.corpus, "meta.json")) as f:
            cm = json.load(f)
        # licences per source root travel with the shards
        corpus_meta = {k: cm[k] for k in ("roots", "langs", "sources", "dropped", "humaneval_names", "total_bytes",
                                          "total_files") if k in cm}
    meta = {
        "vocab_size": vocab_size,
        "tokenizer": os.path.abspath(args.tokenizer),
        "tokenizer_sha256": file_sha256(args.tokenizer),
        "special_tokens": {k: specials[k] for k in ("mask", "pad", "bos", "eos", "file_sep")},
        "languages": languages,
        "language_token_ids": specials["languageTokens"],
        "newline_token_ids": tok.newline_ids(),
        "dtype": {"tokens": "uint16", "docs": "int64", "lang": "uint8"},
        "splits": {},
        "corpus": corpus_meta,
    }
    t_all = time.time()
    with Pool(args.procs, initializer=_init, initargs=(args.tokenizer,)) as pool:
        for split in ("train", "val"):
            src = os.path.join(args.corpus, f"{split}.jsonl")
            if not os.path.exists(src):
                continue
            t0 = time.time()
            tok_path = os.path.join(args.out, f"{split}.tokens.u16")
            offsets = [0]
            langs = []
            ntok, nchar = Counter(), Counter()
            ndocs = Counter()
            with open(tok_path + ".tmp", "wb") as fout:
                for results in pool.imap(_encode_batch, read_batches(src)):
                    for lang, n_chars, ids in results:
                        fout.write(ids.tobytes())
                        offsets.append(offsets[-1] + len(ids))
                        langs.append(lang_index.get(lang, lang_index["other"]))
                        ntok[lang] += len(ids)
                        nchar[lang] += n_chars
                        ndocs[lang] += 1
            os.replace(tok_path + ".tmp", tok_path)
            np.asarray(offsets, dtype=np.int64).tofile(os.path.join(args.out, f"{split}.docs.i64"))
            np.asarray(langs, dtype=np.uint8).tofile(os.path.join(args.out, f"{split}.lang.u8"))
            dt = time.time() - t0
            total = offsets[-1]
            meta["splits"][split] = {
                "tokens": int(total),
                "docs": len(langs),
                "chars": int(sum(nchar.values())),
                "per_language": {
                    l: {"docs": ndocs[l], "tokens": ntok[l], "chars": nchar[l],
                        "chars_per_token": round(nchar[l] / max(1, ntok[l]), 3)}
                    for l in sorted(ntok)
                },
            }  # no timings in meta.json: identical data gives identical files (and archives)
            print(f"[encode] {split}: {len(langs)} docs, {total} tokens, {total / dt:,.0f} tokens/s, "
                  f"{sum(nchar.values()) / max(1, total):.3f} chars/token", file=sys.stderr)
            for l in sorted(ntok):
                print(f"[encode]   {l:12s} {ndocs[l]:6d} docs {ntok[l]:10d} tokens "
                      f"{nchar[l] / max(1, ntok[l]):.3f} chars/token", file=sys.stderr)
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"[encode] done in {time.time() - t_all:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
