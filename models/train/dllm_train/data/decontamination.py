"""What the corpus must not contain: files defining a HumanEval entry point (names from the evaluation
data) and the real-code benchmark's projects (bench/realcode/projects.json), by path and by content."""
from __future__ import annotations

import glob
import gzip
import json
import os
import re
from typing import NamedTuple

from dllm_train.paths import HUMANEVAL_DIR, REPO

# entry-point names of all HumanEval tasks (also those whose data is not here), one per line
HUMANEVAL_NAMES = "entry-points-all.txt"


# The real-code benchmark's projects (bench/realcode): never corpus, by path or by content.
HELDOUT_FILE = os.path.join(REPO, "bench", "realcode", "projects.json")


NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def humaneval_names(names_file: str | None = None) -> tuple[list[str], list[str]]:
    """Entry-point names to keep out of the corpus and the files they came from. An explicit names file
    must exist; by default the names file in HUMANEVAL_DIR, plus the entry points of its *.jsonl.gz."""
    names, used = set(), []
    if names_file is None:
        default = os.path.join(HUMANEVAL_DIR, HUMANEVAL_NAMES)
        names_file = default if os.path.isfile(default) else None
    elif not os.path.isfile(names_file):
        raise SystemExit(f"corpus: --humaneval-names {names_file}: no such file")
    if names_file is not None:
        with open(names_file, encoding="utf-8") as fh:
            for line in fh:
                line = line.split("#", 1)[0].strip()
                if NAME_RE.fullmatch(line):
                    names.add(line)
                elif line:
                    raise SystemExit(f"corpus: {names_file}: not an identifier: {line!r}")
        used.append(os.path.abspath(names_file))
    if names_file is None or os.path.dirname(os.path.abspath(names_file)) == os.path.abspath(HUMANEVAL_DIR):
        for f in sorted(glob.glob(os.path.join(HUMANEVAL_DIR, "*.jsonl.gz"))):
            with gzip.open(f, "rt", encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        names.add(json.loads(line)["entry_point"])
            used.append(os.path.abspath(f))
    if not names:
        raise SystemExit(f"corpus: no HumanEval entry points ({HUMANEVAL_NAMES} or *.jsonl.gz under {HUMANEVAL_DIR}); "
                         "they are needed to keep the evaluation out of the corpus (--humaneval-names FILE or "
                         "DLLM_EVAL_DIR)")
    return sorted(names), used


class Heldout(NamedTuple):
    paths: re.Pattern | None  # searched in a file's absolute POSIX path
    sha256: frozenset  # hex digests of the raw bytes
    projects: list[str]
    file: str


def heldout_projects(heldout_file: str | None = None) -> Heldout:
    """The benchmark's projects, from its projects.json: `paths` (regular expressions naming where their
    files may be installed, vendored copies included) and `sha256` (every source file of the version
    taken). The file must exist: without it the benchmark could leak into training."""
    path = heldout_file or HELDOUT_FILE
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise SystemExit(f"corpus: {path}: no such file; it lists the real-code benchmark's projects, which must "
                         "stay out of the corpus (--heldout FILE)") from None
    except json.JSONDecodeError as e:
        raise SystemExit(f"corpus: {path}: not JSON ({e.msg}, line {e.lineno})") from None
    patterns, digests, names = [], set(), []
    for i, p in enumerate(data.get("projects", [])):
        if not p.get("paths") or not p.get("sha256"):
            raise SystemExit(f"corpus: {path}: projects[{i}] needs both \"paths\" and \"sha256\"")
        for rx in p["paths"]:
            try:
                re.compile(rx)
            except re.error as e:
                raise SystemExit(f"corpus: {path}: projects[{i}].paths: {rx!r}: {e}") from None
            patterns.append(f"(?:{rx})")
        digests.update(h.lower() for h in p["sha256"])
        names.append(p.get("name", f"projects[{i}]"))
    return Heldout(re.compile("|".join(patterns)) if patterns else None, frozenset(digests), names,
                   os.path.abspath(path))


def humaneval_pattern(names: list[str] | None = None) -> re.Pattern:
    """A line `def <entry_point>(` (any indentation, optionally `async`) for any of the names."""
    if names is None:
        names = humaneval_names()[0]
    return re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(" + "|".join(sorted(map(re.escape, names))) + r")[ \t]*\(",
                      re.M)


DEF_RE = re.compile(r"def[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(")


def defines_any(text: str, names: frozenset[str]) -> bool:
    """Same test as humaneval_pattern(names).search(text), several times faster: the scan starts at the
    literal `def`, then the name and the start of the line are checked."""
    for m in DEF_RE.finditer(text):
        if m.group(1) in names:
            start = text.rfind("\n", 0, m.start()) + 1
            head = text[start:m.start()]
            if head.strip(" \t") == "" or (head.rstrip(" \t").lstrip(" \t") == "async" and head[-1] in " \t"):
                return True
    return False
