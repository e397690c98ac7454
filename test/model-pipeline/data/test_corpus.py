"""corpus.py on a fake site-packages root: licences, HumanEval names, benchmark projects, parallel == serial."""
import gzip
import hashlib
import json
import os
import re
import tempfile
import unittest

from dllm_train import paths
from dllm_train.data import corpus, decontamination, filters, licences, sources

ENTRY_POINT = "sort_even_odd"


def module_text(name: str, extra: str = "") -> str:
    """A small, ordinary Python module, different for every name (so no two are duplicates)."""
    return f'''"""Helpers for the {name} package."""
import os


class {name.title().replace("_", "")}Store:
    def __init__(self, root):
        self.root = root
        self.items = {{}}

    def put(self, key, value):
        if not key:
            raise ValueError("empty key for {name}")
        self.items[key] = value
        return len(self.items)

    def get(self, key, default=None):
        return self.items.get(key, default)

    def path_of(self, key):
        return os.path.join(self.root, "{name}", key)


def count_{name}(values):
    total = 0
    for v in values:
        if v is not None:
            total += 1
    return total
{extra}'''


def write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def add_package(root: str, name: str, files: dict, licence: str | None) -> None:
    for rel, text in files.items():
        write(os.path.join(root, name, rel), text)
    if licence is not None:
        info = os.path.join(root, f"{name}-1.0.dist-info")
        write(os.path.join(info, "METADATA"),
              f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nLicense: {licence}\n\nA package.\n")
        write(os.path.join(info, "top_level.txt"), name + "\n")


class FakeSitePackages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        t = cls.tmp.name
        cls.root = os.path.join(t, "site-packages")
        he_extra = f"\n\ndef {ENTRY_POINT}(l):\n    return sorted(l)\n"
        add_package(cls.root, "mitwithentry", {"__init__.py": module_text("alpha", he_extra)}, "MIT")
        add_package(cls.root, "gplpkg", {"__init__.py": module_text("beta")}, "GPL-3.0-or-later")
        add_package(cls.root, "mitpkg", {"__init__.py": module_text("gamma"), "core.py": module_text("delta"),
                                         "tests/test_core.py": module_text("epsilon"),
                                         "run.sh": "#!/bin/sh\n# start the service\nset -e\n" + "echo step\n" * 3
                                                   + "exec python3 -m mitpkg \"$@\"\n" * 2}, "MIT")
        add_package(cls.root, "nometa", {"__init__.py": module_text("zeta")}, None)
        # a package reached through a symlinked directory, as in a site-packages assembled from links
        elsewhere = os.path.join(t, "elsewhere")
        add_package(elsewhere, "linkedpkg", {"__init__.py": module_text("eta")}, "BSD-3-Clause")
        for name in ("linkedpkg", "linkedpkg-1.0.dist-info"):
            os.symlink(os.path.join(elsewhere, name), os.path.join(cls.root, name))
        os.symlink(cls.root, os.path.join(cls.root, "mitpkg", "loop"))  # a cycle is walked once
        cls.names = os.path.join(t, "entry-points.txt")
        write(cls.names, f"has_close_elements\n{ENTRY_POINT}\n\n")
        # A benchmark project (by path, wherever it is installed or vendored) and a copy of one of its
        # files under another package's name (by content).
        add_package(cls.root, "benchpkg", {"__init__.py": module_text("theta"), "util.py": module_text("iota")}, "MIT")
        add_package(cls.root, "vendoring", {"_vendor/benchpkg/__init__.py": module_text("kappa"),
                                            "copied.py": module_text("lambda_")}, "MIT")
        with open(os.path.join(cls.root, "vendoring", "copied.py"), "rb") as f:
            copied_sha = hashlib.sha256(f.read()).hexdigest()
        cls.heldout = os.path.join(t, "projects.json")
        write(cls.heldout, json.dumps({"projects": [
            {"name": "benchpkg", "paths": ["(^|/)benchpkg/"], "sha256": [copied_sha.upper()]}]}))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def build(self, out: str, *extra: str) -> dict:
        return corpus.build(corpus.parse_args(
            ["--roots", self.root, "--humaneval-names", self.names, "--heldout", self.heldout,
             "--target-mb", "0", "--val-frac", "0",
             "--out", os.path.join(self.tmp.name, out), *extra]))

    def kept(self, out: str) -> dict:
        with open(os.path.join(self.tmp.name, out, "train.jsonl"), encoding="utf-8") as f:
            docs = [json.loads(l) for l in f]
        return {os.path.relpath(d["path"], self.root): d["lang"] for d in docs}

    def test_licences_and_humaneval(self):
        meta = self.build("serial")
        self.assertEqual(self.kept("serial"), {
            "mitpkg/__init__.py": "python", "mitpkg/core.py": "python", "mitpkg/tests/test_core.py": "python",
            "mitpkg/run.sh": "shellscript", "linkedpkg/__init__.py": "python"})
        self.assertEqual(meta["dropped"]["humaneval"], 1)  # MIT, but defines an entry point
        self.assertEqual(meta["dropped"]["licence"], 2)  # GPL, and no metadata at all
        self.assertEqual(meta["humaneval_names"]["count"], 2)
        src = meta["sources"]["site:" + self.root]
        self.assertEqual(src["licences"], {"MIT": 4, "BSD-3-Clause": 1})

    def test_benchmark_projects_never_corpus(self):
        meta = self.build("heldout")
        kept = self.kept("heldout")
        self.assertFalse([p for p in kept if "benchpkg" in p or p.startswith("vendoring/")], kept)
        self.assertEqual(meta["dropped"]["heldout-path"], 3)  # benchpkg/*.py and the vendored copy
        self.assertEqual(meta["dropped"]["heldout-content"], 1)  # the same bytes under another name
        self.assertEqual((meta["heldout"]["projects"], meta["heldout"]["sha256"]), (["benchpkg"], 1))

    def test_benchmark_list_required_and_checked(self):
        bad = os.path.join(self.tmp.name, "bad-projects.json")
        for text in ("{", json.dumps({"projects": [{"name": "x", "paths": ["(^|/)x/"]}]}),
                     json.dumps({"projects": [{"name": "x", "paths": ["(unclosed"], "sha256": ["00"]}]})):
            write(bad, text)
            with self.assertRaises(SystemExit):
                decontamination.heldout_projects(bad)
        with self.assertRaises(SystemExit):
            decontamination.heldout_projects(os.path.join(self.tmp.name, "missing.json"))

    def test_parallel_equals_serial(self):
        a = self.build("p1", "--procs", "1")
        b = self.build("p3", "--procs", "3")
        for name in ("train.jsonl", "val.jsonl"):
            with open(os.path.join(self.tmp.name, "p1", name), "rb") as f1, \
                    open(os.path.join(self.tmp.name, "p3", name), "rb") as f3:
                self.assertEqual(f1.read(), f3.read())
        for k in corpus.TIMING_KEYS:
            a.pop(k)
            b.pop(k)
        a["sources"] = b["sources"] = None
        self.assertEqual(a, b)

    def test_langs(self):
        self.build("py", "--langs", "python")
        self.assertNotIn("mitpkg/run.sh", self.kept("py"))
        with self.assertRaises(SystemExit):
            self.build("bad", "--langs", "python,cobol")

    def test_names_file_required(self):
        with self.assertRaises(SystemExit):
            decontamination.humaneval_names(os.path.join(self.tmp.name, "missing.txt"))
        old = decontamination.HUMANEVAL_DIR
        try:
            decontamination.HUMANEVAL_DIR = os.path.join(self.tmp.name, "no-eval-here")
            with self.assertRaises(SystemExit):
                decontamination.humaneval_names(None)
        finally:
            decontamination.HUMANEVAL_DIR = old

    def test_defines_any_matches_the_regex(self):
        names = ["add", "fib"]
        pat = decontamination.humaneval_pattern(names)
        for text in ["def add(x):", "    def add (self, y):", "\tasync def fib(n):", "x = 1\ndef fib(\n",
                     "def addition(x):", "undef add(x)", "# def add(x)", "print(add(1))", "async  def  add(",
                     "class A:\n  async def add(self):", "def add", "y = 2\n  x def add(", "a\n\ndef\tfib\t(1)"]:
            self.assertEqual(bool(pat.search(text)), decontamination.defines_any(text, frozenset(names)), text)


class LineEnds(unittest.TestCase):
    """The corpus is LF only: CRLF and lone-CR files are kept, with their line ends turned into LF."""

    def test_crlf_and_lone_cr_become_lf(self):
        with tempfile.TemporaryDirectory() as t:
            root = os.path.join(t, "site-packages")
            crlf, cr = module_text("crlf_style").replace("\n", "\r\n"), module_text("old_mac").replace("\n", "\r")
            add_package(root, "lineends", {"crlf.py": crlf, "cr.py": cr, "lf.py": module_text("plain")}, "MIT")
            names, heldout = os.path.join(t, "names.txt"), os.path.join(t, "projects.json")
            write(names, f"{ENTRY_POINT}\n")
            write(heldout, json.dumps({"projects": []}))
            with open(os.path.join(root, "lineends", "crlf.py"), "rb") as f:
                self.assertIn(b"\r\n", f.read(), "the fixture keeps its CRLF")
            out = os.path.join(t, "out")
            corpus.build(corpus.parse_args(["--roots", root, "--humaneval-names", names, "--heldout", heldout,
                                            "--target-mb", "0", "--val-frac", "0", "--out", out]))
            with open(os.path.join(out, "train.jsonl"), encoding="utf-8") as f:
                texts = {os.path.basename(d["path"]): d["text"] for d in map(json.loads, f)}
        self.assertEqual(set(texts), {"crlf.py", "cr.py", "lf.py"})
        self.assertEqual(texts["crlf.py"], module_text("crlf_style"))
        self.assertEqual(texts["cr.py"], module_text("old_mac"))
        self.assertFalse([name for name, text in texts.items() if "\r" in text])

    def test_to_lf(self):
        self.assertEqual(filters.to_lf("a\r\nb\rc\nd\r\r\n"), "a\nb\nc\nd\n\n")


class RealCodeBenchmark(unittest.TestCase):
    """The committed benchmark and its exclusion list agree, so the default build keeps it out."""

    def test_every_task_comes_from_a_listed_project(self):
        heldout = decontamination.heldout_projects()
        self.assertEqual(heldout.file, os.path.abspath(decontamination.HELDOUT_FILE))
        with open(decontamination.HELDOUT_FILE, encoding="utf-8") as f:
            projects = {p["name"]: p for p in json.load(f)["projects"]}
        with gzip.open(os.path.join(os.path.dirname(decontamination.HELDOUT_FILE), "tasks.jsonl.gz"), "rt",
                       encoding="utf-8") as f:
            tasks = [json.loads(line) for line in f if line.strip()]
        self.assertGreaterEqual({t["language"] for t in tasks}, {"python", "javascript", "typescript"})
        for t in tasks:
            self.assertIn(t["project"], projects, t["task_id"])
        for name, p in projects.items():
            self.assertTrue(p["paths"] and p["sha256"], name)
            self.assertTrue(all(re.fullmatch("[0-9a-f]{64}", h) for h in p["sha256"]), name)


class Helpers(unittest.TestCase):
    def test_npm_format_copies(self):
        files = ["a.js", "a.cjs", "a.mjs", "a.d.ts", "a.d.cts", "b.cjs", "b.mjs", "c.cjs", "d.ts", "d.js", "e.d.mts"]
        self.assertEqual(sources.npm_files(files), ["a.js", "a.d.ts", "b.mjs", "c.cjs", "d.ts", "e.d.mts"])

    def test_npm_prefers_src(self):
        with tempfile.TemporaryDirectory() as t:
            write(os.path.join(t, "src", "index.ts"), "export const a = 1;\n")
            self.assertEqual(sources.npm_dirs(t, ["dist", "lib", "src", "examples"], ["package.json"]),
                             ["src", "examples"])
            self.assertEqual(sources.npm_dirs(t, ["cjs", "esm", "types"], []), ["esm", "types"])

    def test_debian_copyright(self):
        text = ("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                "Files: *\nCopyright: someone\nLicense: MIT or Apache-2.0\n\n"
                "Files: src/tables/*\n ./extra.rs\nLicense: Unicode\n\n"
                "Files: debian/*\nLicense: GPL-2+\n")
        paras = licences.DebianCopyrightLicences.parse_copyright(text)
        self.assertEqual(paras, [(["*"], "MIT or Apache-2.0"), (["src/tables/*", "extra.rs"], "Unicode"),
                                 (["debian/*"], "GPL-2+")])
        self.assertIsNone(licences.DebianCopyrightLicences.parse_copyright("Files: *\nLicense: MIT\n"))

    def test_own_sources_never_corpus(self):
        self.assertTrue(filters.is_own(os.path.join(paths.REPO, "src", "extension.ts")))
        self.assertTrue(filters.is_own(os.path.join(paths.REPO, "test", "unit", "x.test.ts")))
        self.assertFalse(filters.is_own(os.path.join(paths.REPO, "node_modules", "zod", "index.js")))
        self.assertFalse(filters.is_own(os.path.join(sources.NPM_CORPUS, "zod", "src", "index.ts")))


if __name__ == "__main__":
    unittest.main()
