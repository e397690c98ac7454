#!/usr/bin/env python3
"""Build the training corpus for the bundled code model from permissively licensed sources on this machine.

The build: the sources in order (sources.py), each file's licence (licences.py), the per-file filters in
worker processes (filters.py, decontamination.py); here the decisions that depend on other files
(duplicates, the per-library cap, sampling, the validation split) and the command line.

Output: work/corpus/{train,val}.jsonl  (one {"lang", "path", "text"} object per line)
        work/corpus/meta.json          (per-language byte/file counts, licence per source root, drop stats)

Deterministic: files are visited in sorted order, sampling and the validation split are by content hash.
`--tiny` builds a few hundred KB from the Python stdlib only (CI smoke run).
`--roots DIR,...` reads only the given site-packages-style roots (`auto`: this interpreter's stdlib and
site-packages); `--procs N` reads and filters files in N worker processes, while every keep/drop decision
that depends on other files (duplicates, sampling) is taken in the parent in walk order, so the output
does not depend on N.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from multiprocessing import Pool
from typing import NamedTuple

from dllm_train.data.decontamination import HUMANEVAL_NAMES, heldout_projects, humaneval_names
from dllm_train.data.filters import MAX_BYTES, examine, init_worker, unit
from dllm_train.data.licences import is_permissive
from dllm_train.data.sources import EXT_LANG, Source, possible_languages, project_of, rel_key, sources, walk
from dllm_train.paths import WORK

GROUP = {"python": "python", "javascript": "jsts", "typescript": "jsts"}  # everything else: "rest"


# share of the corpus per group (the eval is Python)
GROUP_SHARE = {"python": 0.5, "jsts": 0.25, "rest": 0.25}


class Doc(NamedTuple):
    lang: str
    path: str
    project: str
    h: bytes
    chars: int
    nbytes: int
    jtext: str  # the text, JSON-encoded


def candidates(src: Source, tiny: bool, langs: set[str] | None, seen_rel: set[str], pre: Counter,
               heldout_paths: re.Pattern | None = None):
    """Files of a source worth a worker's time: known extension, wanted language, not a benchmark project's,
    permissive licence. `skip` marks files whose relative path was already taken (a hint only; the parent
    decides)."""
    for path in walk(src, tiny):
        ext = os.path.splitext(path)[1].lower()
        if ext not in EXT_LANG and ext != "" and not path.endswith(".d.ts"):
            continue
        if ext == "" and src.kind != "pyenv":
            continue  # extension-less files only from pyenv's own scripts
        if langs is not None and not (possible_languages(path) & langs):
            continue
        if heldout_paths is not None and heldout_paths.search(path.replace(os.sep, "/")):
            pre["heldout-path"] += 1
            continue
        lic = src.resolver.licence(path)
        if not is_permissive(lic):
            pre["licence"] += 1
            continue
        rkey = rel_key(src, path)
        yield path, src.kind == "stdlib", rkey is not None and rkey in seen_rel, lic, rkey


def build(opts: argparse.Namespace) -> dict:
    t0 = time.time()
    tiny = opts.tiny
    target = (0.4 if tiny else opts.target_mb) * 1e6
    langs = None
    if opts.langs:
        langs = {l.strip() for l in opts.langs.split(",") if l.strip()}
        bad = langs - set(EXT_LANG.values())
        if bad:
            raise SystemExit(f"corpus: --langs: unknown {sorted(bad)} (known: {sorted(set(EXT_LANG.values()))})")
    names, names_from = humaneval_names(opts.humaneval_names)
    heldout = heldout_projects(opts.heldout)
    max_bytes = 20_000 if tiny else MAX_BYTES
    init_args = (names, max_bytes, sorted(langs) if langs else None, heldout.sha256)

    drops = Counter()
    seen_exact: set[bytes] = set()
    seen_lines: set[bytes] = set()
    seen_rel: set[str] = set()
    docs: list[Doc] = []
    licences = {}
    root_stats = defaultdict(Counter)
    tiny_bytes = 0
    read_bytes, worker_s, worker_cpu = 0, 0.0, 0.0
    procs = max(1, int(opts.procs))
    pool = Pool(procs, initializer=init_worker, initargs=init_args) if procs > 1 else None
    if pool is None:
        init_worker(*init_args)
    try:
        for src in sources(tiny, opts.roots):
            if not os.path.isdir(src.root):
                continue
            lic_seen = Counter()
            pre = Counter()  # counted by the generator (the pool's feeder thread)
            tasks = candidates(src, tiny, langs, seen_rel, pre, heldout.paths)
            results = pool.imap(examine, tasks, chunksize=16) if pool else map(examine, tasks)
            for task, res, nread, secs, cpu in results:
                if tiny and tiny_bytes > target:
                    break
                path, _, _, lic, rkey = task
                read_bytes += nread
                worker_s += secs
                worker_cpu += cpu
                if rkey is not None and rkey in seen_rel:
                    drops["dup-other-version"] += 1
                    continue
                if res is None:
                    continue
                if isinstance(res, str):
                    drops[res] += 1
                    continue
                lang, h, lh, nchars, nbytes, jtext = res
                if h in seen_exact:
                    drops["dup-exact"] += 1
                    continue
                seen_exact.add(h)
                if lh in seen_lines:
                    drops["dup-lineset"] += 1
                    continue
                seen_lines.add(lh)
                if rkey is not None:
                    seen_rel.add(rkey)
                docs.append(Doc(lang, path, project_of(src, path), h, nchars, nbytes, jtext))
                tiny_bytes += nchars
                lic_seen[lic] += 1
                root_stats[src.name][lang] += nbytes
            drops.update(pre)
            licences[src.name] = {"root": src.root, "licences": dict(lic_seen.most_common(30))}
            print(f"[corpus] {src.name}: {sum(lic_seen.values())} files kept ({time.time() - t0:.1f}s)", file=sys.stderr)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    t_read = time.time() - t0

    # ---- weighting: Python ~1/2, JS/TS ~1/4, rest ~1/4 of the target size (shares of the groups in --langs)
    groups = {GROUP.get(l, "rest") for l in langs} if langs else set(GROUP_SHARE)
    share = {g: GROUP_SHARE[g] / sum(GROUP_SHARE[x] for x in groups) for g in groups}
    by_group = defaultdict(list)
    for d in docs:
        by_group[GROUP.get(d.lang, "rest")].append(d)
    keep = []
    sampling = {}
    for g, v in sorted(by_group.items()):
        avail = sum(d.chars for d in v)
        quota = share[g] * target
        proj_bytes = Counter()
        for d in v:
            proj_bytes[d.project] += d.chars
        cap = opts.project_cap * quota
        # water filling: keep fraction f of every project, but at most `cap` bytes of any one project
        if tiny or target <= 0:
            f = 1.0
        else:
            lo, hi = 0.0, 1.0
            for _ in range(50):
                f = (lo + hi) / 2
                got = sum(min(b * f, cap) for b in proj_bytes.values())
                lo, hi = (f, hi) if got < quota else (lo, f)
            f = hi
        proj_frac = {p: (1.0 if tiny or target <= 0 else min(f, cap / b)) for p, b in proj_bytes.items()}
        sampling[g] = {"available_bytes": avail, "quota_bytes": int(quota), "keep_fraction": round(f, 4),
                       "project_cap_bytes": int(cap),
                       "capped_projects": sorted(p for p, b in proj_bytes.items() if b * f > cap) if target > 0 else []}
        keep.extend(d for d in v if unit(d.h, b"sample") < proj_frac[d.project])
    keep.sort(key=lambda d: d.path)

    os.makedirs(opts.out, exist_ok=True)
    stats = {"train": defaultdict(Counter), "val": defaultdict(Counter)}
    with open(os.path.join(opts.out, "train.jsonl"), "w", encoding="utf-8") as ftr, \
            open(os.path.join(opts.out, "val.jsonl"), "w", encoding="utf-8") as fva:
        for d in keep:
            split = "val" if unit(d.h, b"val-split") < opts.val_frac else "train"
            # the same line as json.dumps({"lang", "path", "text"}, ensure_ascii=False)
            (fva if split == "val" else ftr).write(
                '{"lang": ' + json.dumps(d.lang) + ', "path": ' + json.dumps(d.path, ensure_ascii=False)
                + ', "text": ' + d.jtext + "}\n")
            stats[split][d.lang]["files"] += 1
            stats[split][d.lang]["bytes"] += d.nbytes
    meta = {
        "tiny": tiny,
        "roots": opts.roots,
        "langs": sorted(langs) if langs else None,
        "target_bytes": int(target),
        "splits": {s: {l: dict(c) for l, c in sorted(v.items())} for s, v in stats.items()},
        "total_bytes": sum(c["bytes"] for v in stats.values() for c in v.values()),
        "total_files": sum(c["files"] for v in stats.values() for c in v.values()),
        "sampling": sampling,
        "dropped": dict(sorted(drops.items(), key=lambda kv: (-kv[1], kv[0]))),
        "dropped_humaneval": drops["humaneval"],
        "humaneval_names": {"count": len(names), "from": names_from},
        "heldout": {"file": heldout.file, "projects": heldout.projects, "sha256": len(heldout.sha256),
                    "dropped_by_path": drops["heldout-path"], "dropped_by_content": drops["heldout-content"]},
        "sources": licences,
        "bytes_per_source": {k: dict(v) for k, v in root_stats.items()},
        # timings: the only fields that depend on --procs and the machine
        "procs": procs,
        "read_bytes": read_bytes,
        "read_seconds": round(t_read, 1),
        # MB read per second of one worker, by wall clock and by CPU time (the latter ignores a loaded machine)
        "worker_mb_per_s": round(read_bytes / 1e6 / max(worker_s, 1e-9), 2),
        "worker_cpu_mb_per_s": round(read_bytes / 1e6 / max(worker_cpu, 1e-9), 2),
        "seconds": round(time.time() - t0, 1),
    }
    with open(os.path.join(opts.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


TIMING_KEYS = ("procs", "read_bytes", "read_seconds", "worker_mb_per_s", "worker_cpu_mb_per_s", "seconds")


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", action="store_true",
                    help="few hundred KB of Python stdlib, for the CI smoke run (default work dir work/tiny)")
    ap.add_argument("--work", default=None, help="work directory (default work/, or work/tiny with --tiny)")
    ap.add_argument("--out", default=None, help="output directory (default <work>/corpus)")
    ap.add_argument("--roots", default=None, metavar="DIR[,DIR...]",
                    help="read only these site-packages-style roots (licence per package from dist-info/egg-info); "
                         "`stdlib:DIR` for a Python standard library, `auto` for this interpreter's stdlib and "
                         "site-packages")
    ap.add_argument("--langs", default=None, metavar="LANG[,LANG...]",
                    help="keep only these languages (VS Code ids: python, javascript, typescript, c, cpp, go, rust, "
                         "shellscript); the group shares are renormalised over the groups left")
    ap.add_argument("--procs", type=int, default=1, help="worker processes that read and filter files")
    ap.add_argument("--humaneval-names", default=None, metavar="FILE",
                    help=f"HumanEval entry-point names, one per line (default {HUMANEVAL_NAMES} in DLLM_EVAL_DIR, "
                         "else the entry points of its *.jsonl.gz)")
    ap.add_argument("--heldout", default=None, metavar="FILE",
                    help="projects.json of the real-code benchmark, whose projects never enter the corpus "
                         "(default bench/realcode/projects.json in this checkout)")
    ap.add_argument("--target-mb", type=float, default=80.0,
                    help="approximate total corpus size; 0 keeps every file that passes the filters")
    ap.add_argument("--val-frac", type=float, default=0.01)
    ap.add_argument("--project-cap", type=float, default=0.05,
                    help="at most this share of a language group's quota from any one library")
    args = ap.parse_args(argv)
    work = args.work or (os.path.join(WORK, "tiny") if args.tiny else WORK)
    args.out = args.out or os.path.join(work, "corpus")
    return args


def main(argv=None):
    meta = build(parse_args(argv))
    print(json.dumps({k: meta[k] for k in ("splits", "total_bytes", "total_files", "dropped", "sampling", "seconds",
                                           "worker_mb_per_s", "worker_cpu_mb_per_s")}, indent=1))


if __name__ == "__main__":
    main()
