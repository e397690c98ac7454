"""`shards build-local`: the carried shards built from what is on this machine with the shipped tokenizer,
other.tar.xz (every language but Python) and python-fallback.tar.xz, through the corpus builder, the
encoder and `pack`; a shard over its size limit is rebuilt once with a smaller target."""
from __future__ import annotations

import json
import os
import shutil
import sys
import time

from dllm_train.data.decontamination import HUMANEVAL_NAMES
from dllm_train.data.shards import pack, read_meta, sha256
from dllm_train.paths import HUMANEVAL_DIR, REPO

OTHER_LANGS = "javascript,typescript,c,cpp,go,rust,shellscript"


def build_local(args) -> dict:
    """The two shards built from what is on this machine, with the shipped tokenizer:
    other.tar.xz (every language but Python: npm corpus, node_modules, /usr/include, Go, Rust, shell) and
    python-fallback.tar.xz (Python stdlib + permissive site-packages)."""
    from dllm_train.data import corpus, encode
    os.makedirs(args.out, exist_ok=True)
    names_file = args.humaneval_names
    if names_file is None:
        default = os.path.join(HUMANEVAL_DIR, HUMANEVAL_NAMES)
        names_file = default if os.path.isfile(default) else None
    plan = [("other", ["--langs", OTHER_LANGS], args.other_mb, args.max_other_mb),
            ("python-fallback", ["--langs", "python"], args.python_mb, args.max_python_mb)]
    manifest = {"tokenizer": os.path.relpath(args.tokenizer, REPO), "tokenizer_sha256": sha256(args.tokenizer),
                "shards": {}}
    for name, extra, target_mb, limit_mb in plan:
        if args.only and name not in args.only.split(","):
            continue
        work = os.path.join(args.work, name)
        archive = os.path.join(args.out, f"{name}.tar.xz")
        t0 = time.time()
        for _ in range(2):
            copts = ["--out", os.path.join(work, "corpus"), "--target-mb", f"{target_mb:.1f}", "--procs", str(args.procs)]
            copts += extra + (["--humaneval-names", names_file] if names_file else [])
            print(f"[shards] {name}: corpus.py {' '.join(copts)}", file=sys.stderr)
            corpus.build(corpus.parse_args(copts))
            print(f"[shards] {name}: encode.py", file=sys.stderr)
            encode.main(["--corpus", os.path.join(work, "corpus"), "--tokenizer", args.tokenizer,
                         "--out", os.path.join(work, "data"), "--procs", str(args.procs)])
            info = pack(os.path.join(work, "data"), archive, args.preset)
            if info["bytes_out"] <= limit_mb * 1e6:
                break
            # once more with the target scaled to the limit (3% margin)
            target_mb *= 0.97 * limit_mb * 1e6 / info["bytes_out"]
            print(f"[shards] {name}: {info['bytes_out'] / 1e6:.2f} MB > {limit_mb} MB, target -> {target_mb:.1f} MB",
                  file=sys.stderr)
        meta = read_meta(os.path.join(work, "data"))
        info.update({"sha256": sha256(archive), "build_seconds": round(time.time() - t0, 1),
                     "corpus_target_mb": target_mb,
                     "tokens_per_language": {s: {l: c["tokens"] for l, c in v["per_language"].items()}
                                             for s, v in meta["splits"].items()}})
        manifest["shards"][name] = info
        mb = info["bytes_out"] / 1e6
        print(f"[shards] {name}: {archive} {mb:.2f} MB ({info['bytes_in'] / 1e6:.1f} MB raw, {info['seconds']} s xz)",
              file=sys.stderr)
        if mb > limit_mb:
            os.remove(archive)
            raise SystemExit(f"shards: {archive} is {mb:.2f} MB > {limit_mb} MB; lower the corpus target")
    if names_file:
        # the GPU build reads the entry points from the bundle (--humaneval-names)
        shutil.copyfile(names_file, os.path.join(args.out, HUMANEVAL_NAMES))
    old = {}
    mpath = os.path.join(args.out, "shards.json")
    if os.path.isfile(mpath):
        with open(mpath) as f:
            old = json.load(f).get("shards", {})
    manifest["shards"] = {**old, **manifest["shards"]}
    with open(mpath, "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest
