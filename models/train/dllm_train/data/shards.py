#!/usr/bin/env python3
"""Pre-tokenized training data as compressed archives: check, pack, unpack and merge data dirs.

A data dir is what data.encode writes: {split}.tokens.u16 (uint16 ids, documents concatenated),
{split}.docs.i64 (int64 document start offsets, ndocs+1, last = token count), {split}.lang.u8 (uint8
index into meta["languages"] per document) and meta.json.

  python3 -m dllm_train.data.shards verify DIR
  python3 -m dllm_train.data.shards pack DIR OUT.tar.xz [--preset 9]
  python3 -m dllm_train.data.shards unpack ARCHIVE DIR
  python3 -m dllm_train.data.shards merge DIR|ARCHIVE ... --out DIR
  python3 -m dllm_train.data.shards build-local [--out work/bundle/shards]   # the carried shards (local_shards.py)

Archives are plain .tar.xz (stdlib tarfile + lzma; `tar -xJf` reads them too), byte-identical for
identical inputs (fixed member order, zero mtimes and owners). The xz stream uses LZMA2 with lp=1/pb=1
(2-byte alignment, the token stream is uint16): slightly smaller than the plain preset, same speed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import os
import shutil
import tarfile
import tempfile
import time
from collections import Counter
from typing import IO

import numpy as np

from dllm_train.paths import REPO, WORK

SHIPPED_TOKENIZER = os.path.join(REPO, "models", "dllm-code-tiny", "tokenizer.json")
SPLITS = ("train", "val")
DTYPES = {"tokens": "uint16", "docs": "int64", "lang": "uint8"}


# keys that must be equal in data dirs that are merged
SAME_KEYS = ("vocab_size", "special_tokens", "languages", "language_token_ids", "newline_token_ids")


class ShardError(ValueError):
    pass


def split_files(split: str) -> dict[str, str]:
    return {"tokens": f"{split}.tokens.u16", "docs": f"{split}.docs.i64", "lang": f"{split}.lang.u8"}


def member_names(meta: dict) -> list[str]:
    """Files of a data dir in archive order."""
    names = ["meta.json"]
    for split in SPLITS:
        if split in meta.get("splits", {}):
            names += list(split_files(split).values())
    return names


def read_meta(data_dir: str) -> dict:
    path = os.path.join(data_dir, "meta.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise ShardError(f"{path}: {e.strerror}") from None
    except ValueError as e:
        raise ShardError(f"{path}: not JSON ({e})") from None


def verify(data_dir: str, check_ids: bool = True) -> dict:
    """Check a data dir against its meta.json; returns {split: {tokens, docs}}. Raises ShardError."""
    meta = read_meta(data_dir)
    for k in SAME_KEYS + ("splits",):
        if k not in meta:
            raise ShardError(f"{data_dir}: meta.json has no {k!r}")
    if meta.get("dtype", DTYPES) != DTYPES:
        raise ShardError(f"{data_dir}: dtypes {meta['dtype']} are not {DTYPES}")
    vocab, languages = int(meta["vocab_size"]), meta["languages"]
    if not 0 < vocab <= 65536:
        raise ShardError(f"{data_dir}: vocab_size {vocab} does not fit uint16")
    if not 0 < len(languages) <= 256 or any(l not in meta["language_token_ids"] for l in languages):
        raise ShardError(f"{data_dir}: languages {languages} do not match language_token_ids")
    out = {}
    for split, sm in meta["splits"].items():
        if split not in SPLITS:
            raise ShardError(f"{data_dir}: unknown split {split!r}")
        files = {k: os.path.join(data_dir, v) for k, v in split_files(split).items()}
        for p in files.values():
            if not os.path.isfile(p):
                raise ShardError(f"{data_dir}: {os.path.basename(p)} is missing")
        tbytes = os.path.getsize(files["tokens"])
        if tbytes % 2:
            raise ShardError(f"{split}: tokens file has an odd size ({tbytes} bytes)")
        ntok = tbytes // 2
        if os.path.getsize(files["docs"]) % 8:
            raise ShardError(f"{split}: docs.i64 size is not a multiple of 8")
        docs = np.fromfile(files["docs"], dtype=np.int64)
        lang = np.fromfile(files["lang"], dtype=np.uint8)
        ndocs = len(lang)
        if ntok != sm.get("tokens") or ndocs != sm.get("docs"):
            raise ShardError(f"{split}: {ntok} tokens / {ndocs} docs on disk, meta says {sm.get('tokens')} / {sm.get('docs')}")
        if len(docs) != ndocs + 1:
            raise ShardError(f"{split}: {len(docs)} offsets for {ndocs} docs (need ndocs+1)")
        if docs[0] != 0:
            raise ShardError(f"{split}: first offset is {docs[0]}, not 0")
        lens = np.diff(docs)
        if len(lens) and lens.min() < 0:
            raise ShardError(f"{split}: offsets decrease at document {int(np.argmax(lens < 0))}")
        if docs[-1] != ntok:
            raise ShardError(f"{split}: last offset {docs[-1]} != token count {ntok}")
        if ndocs and int(lang.max()) >= len(languages):
            raise ShardError(f"{split}: language index {int(lang.max())} >= {len(languages)}")
        if check_ids and ntok:
            tokens = np.memmap(files["tokens"], dtype=np.uint16, mode="r")
            top = max(int(tokens[i:i + (1 << 24)].max()) for i in range(0, ntok, 1 << 24))
            del tokens
            if top >= vocab:
                raise ShardError(f"{split}: token id {top} >= vocab_size {vocab}")
        per = sm.get("per_language")
        if per is not None:
            docs_per = np.bincount(lang, minlength=len(languages))
            tok_per = np.bincount(lang, weights=lens, minlength=len(languages)) if ndocs else np.zeros(len(languages))
            for i, l in enumerate(languages):
                d, t = int(docs_per[i]), int(tok_per[i])
                if (d or t or l in per) and (per.get(l, {}).get("docs", 0), per.get(l, {}).get("tokens", 0)) != (d, t):
                    raise ShardError(f"{split}: {l}: {d} docs / {t} tokens on disk, meta says "
                                     f"{per.get(l, {}).get('docs')} / {per.get(l, {}).get('tokens')}")
            if any(l not in languages for l in per):
                raise ShardError(f"{split}: per_language has languages outside {languages}")
        out[split] = {"tokens": ntok, "docs": ndocs}
    return out


def xz_filters(preset: int) -> list[dict]:
    return [{"id": lzma.FILTER_LZMA2, "preset": preset, "lc": 3, "lp": 1, "pb": 1}]


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode, ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = size, 0o644, 0, 0, 0, "", ""
    return ti


def pack(data_dir: str, out: str, preset: int = 9) -> dict:
    """Verify `data_dir` and write it as OUT.tar.xz; returns {bytes_in, bytes_out, seconds, splits}."""
    splits = verify(data_dir)
    meta = read_meta(data_dir)
    t0 = time.time()
    tmp = out + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    size_in = 0
    with lzma.LZMAFile(tmp, "w", format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, filters=xz_filters(preset)) as xz:
        with tarfile.open(fileobj=xz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name in member_names(meta):
                path = os.path.join(data_dir, name)
                size = os.path.getsize(path)
                size_in += size
                with open(path, "rb") as f:
                    tar.addfile(_tarinfo(name, size), f)
    os.replace(tmp, out)
    return {"bytes_in": size_in, "bytes_out": os.path.getsize(out), "seconds": round(time.time() - t0, 1),
            "preset": preset, "splits": splits}


def _member(tar: tarfile.TarFile, member: str | tarfile.TarInfo, archive: str) -> IO[bytes]:
    f = tar.extractfile(member)
    if f is None:
        raise ShardError(f"{archive}: {member if isinstance(member, str) else member.name} is not a regular file")
    return f


def unpack(archive: str, out_dir: str) -> dict:
    """Extract a packed data dir into out_dir (regular files with the expected names only), then verify."""
    os.makedirs(out_dir, exist_ok=True)
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        if "meta.json" not in names:
            raise ShardError(f"{archive}: no meta.json")
        meta = json.load(_member(tar, "meta.json", archive))
        allowed = set(member_names(meta))
        for m in members:
            if m.name not in allowed or not m.isfile():
                raise ShardError(f"{archive}: unexpected member {m.name!r}")
        if set(names) != allowed or len(names) != len(allowed):
            raise ShardError(f"{archive}: members {sorted(names)} are not {sorted(allowed)}")
        for m in members:
            dst = os.path.join(out_dir, m.name)
            with _member(tar, m, archive) as src, open(dst + ".tmp", "wb") as f:
                shutil.copyfileobj(src, f, 1 << 22)
            if os.path.getsize(dst + ".tmp") != m.size:
                raise ShardError(f"{archive}: {m.name} is truncated")
            os.replace(dst + ".tmp", dst)
    return verify(out_dir)


def merge(inputs: list[str], out_dir: str) -> dict:
    """Concatenate the documents of several data dirs (or packed archives) into one data dir."""
    if not inputs:
        raise ShardError("merge: no inputs")
    parent = os.path.dirname(os.path.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent) as tmp:
        dirs = []
        for i, src in enumerate(inputs):
            if os.path.isdir(src):
                verify(src)
                dirs.append(src)
            else:
                d = os.path.join(tmp, f"in{i}")
                unpack(src, d)
                dirs.append(d)
        if any(os.path.realpath(d) == os.path.realpath(out_dir) for d in dirs):
            raise ShardError("merge: --out is one of the inputs")
        metas = [read_meta(d) for d in dirs]
        base = metas[0]
        for src, m in zip(inputs[1:], metas[1:]):
            for k in SAME_KEYS:
                if m[k] != base[k]:
                    raise ShardError(f"merge: {src}: {k} differs from {inputs[0]}'s; refusing to merge")
            a, b = base.get("tokenizer_sha256"), m.get("tokenizer_sha256")
            if a and b and a != b:
                raise ShardError(f"merge: {src} was encoded with another tokenizer (sha256 {b[:12]} vs {a[:12]})")
        os.makedirs(out_dir, exist_ok=True)
        for name in ["meta.json"] + [f for split in SPLITS for f in split_files(split).values()]:
            if os.path.exists(os.path.join(out_dir, name)):  # nothing stale from an earlier merge
                os.remove(os.path.join(out_dir, name))
        meta = {k: base[k] for k in base if k not in ("splits", "corpus", "merged_from", "tokenizer")}
        meta["tokenizer"] = base.get("tokenizer")
        meta["splits"] = {}
        for split in SPLITS:
            parts = [(d, m) for d, m in zip(dirs, metas) if split in m["splits"]]
            if not parts:
                continue
            files = split_files(split)
            offsets, langs = [np.zeros(1, dtype=np.int64)], []
            total, per, chars = 0, {}, 0
            with open(os.path.join(out_dir, files["tokens"]) + ".tmp", "wb") as ftok:
                for d, m in parts:
                    with open(os.path.join(d, files["tokens"]), "rb") as f:
                        shutil.copyfileobj(f, ftok, 1 << 22)
                    docs = np.fromfile(os.path.join(d, files["docs"]), dtype=np.int64)
                    offsets.append(docs[1:] + total)
                    langs.append(np.fromfile(os.path.join(d, files["lang"]), dtype=np.uint8))
                    sm = m["splits"][split]
                    total += int(docs[-1])
                    chars += int(sm.get("chars", 0))
                    for l, c in sm.get("per_language", {}).items():
                        acc = per.setdefault(l, Counter())
                        for key in ("docs", "tokens", "chars"):
                            acc[key] += int(c.get(key, 0))
            os.replace(os.path.join(out_dir, files["tokens"]) + ".tmp", os.path.join(out_dir, files["tokens"]))
            np.concatenate(offsets).tofile(os.path.join(out_dir, files["docs"]))
            lang = np.concatenate(langs) if langs else np.zeros(0, dtype=np.uint8)
            lang.tofile(os.path.join(out_dir, files["lang"]))
            meta["splits"][split] = {
                "tokens": total, "docs": int(len(lang)), "chars": chars,
                "per_language": {l: {"docs": c["docs"], "tokens": c["tokens"], "chars": c["chars"],
                                     "chars_per_token": round(c["chars"] / max(1, c["tokens"]), 3)}
                                 for l, c in sorted(per.items())},
            }
        # licences per source root, summed over the inputs; each input's own record kept as well
        sources = {}
        for m in metas:
            for name, s in (m.get("corpus") or {}).get("sources", {}).items():
                acc = sources.setdefault(name, {"root": s.get("root"), "licences": Counter()})
                acc["licences"].update(s.get("licences", {}))
        meta["corpus"] = {"sources": {k: {"root": v["root"], "licences": dict(v["licences"].most_common())}
                                      for k, v in sources.items()}}
        meta["merged_from"] = [{"input": os.path.abspath(src),
                                "splits": {s: {"tokens": v["tokens"], "docs": v["docs"]} for s, v in m["splits"].items()},
                                "corpus": m.get("corpus", {})} for src, m in zip(inputs, metas)]
        with open(os.path.join(out_dir, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        return verify(out_dir)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("verify", help="check a data dir")
    p.add_argument("dir")
    p = sub.add_parser("pack", help="data dir -> .tar.xz")
    p.add_argument("dir")
    p.add_argument("archive")
    p.add_argument("--preset", type=int, default=9, help="xz preset 0-9 (9: smallest; see README for times)")
    p = sub.add_parser("unpack", help=".tar.xz -> data dir (verified)")
    p.add_argument("archive")
    p.add_argument("dir")
    p = sub.add_parser("merge", help="concatenate data dirs or archives into one data dir")
    p.add_argument("inputs", nargs="+")
    p.add_argument("--out", required=True)
    p = sub.add_parser("build-local", help="build other.tar.xz and python-fallback.tar.xz from this machine")
    p.add_argument("--out", default=os.path.join(WORK, "bundle", "shards"))
    p.add_argument("--work", default=os.path.join(WORK, "shards-build"), help="corpora and data dirs")
    p.add_argument("--tokenizer", default=SHIPPED_TOKENIZER)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--preset", type=int, default=9)
    # ~0.14 (other) and ~0.16 (Python) compressed bytes per byte of text with the shipped tokenizer
    p.add_argument("--other-mb", type=float, default=138.0, help="corpus target of the non-Python shard (MB of text)")
    p.add_argument("--python-mb", type=float, default=37.0, help="corpus target of the Python fallback shard")
    p.add_argument("--max-other-mb", type=float, default=20.0, help="refuse a bigger compressed shard")
    p.add_argument("--max-python-mb", type=float, default=6.0)
    p.add_argument("--humaneval-names", default=None, help="entry-point names file (default: corpus.py's)")
    p.add_argument("--only", default=None, help="comma list: other,python-fallback")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "verify":
            res = verify(args.dir)
        elif args.cmd == "pack":
            res = pack(args.dir, args.archive, args.preset)
        elif args.cmd == "unpack":
            res = unpack(args.archive, args.dir)
        elif args.cmd == "merge":
            res = merge(args.inputs, args.out)
        else:
            from dllm_train.data.local_shards import build_local
            res = build_local(args)
    except ShardError as e:
        raise SystemExit(f"shards: {e}") from None
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
