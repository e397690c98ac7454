"""Where corpus files come from and what they are: the source roots (standard libraries, site-packages,
node_modules, /usr/include, pyenv, Go and Rust Debian packages, or --roots), the walk over each (npm
build copies skipped), a file's VS Code language id, and the keys that find the same file of another
version (rel_key) and a file's project (project_of)."""
from __future__ import annotations

import glob
import os
import re
import site
import sysconfig
from typing import NamedTuple

from dllm_train.data.licences import (
    DebianCopyrightLicences,
    DpkgLicences,
    Fixed,
    LicenceResolver,
    NodeModulesLicences,
    SitePackagesLicences,
)
from dllm_train.paths import REPO, WORK

# JS/TS installed by corpus_npm.sh from corpus-npm.txt; Go/Rust sources of Debian -dev packages
NPM_CORPUS = os.path.join(WORK, "npm-corpus", "node_modules")
GOCODE, CARGO = "/usr/share/gocode/src", "/usr/share/cargo/registry"

# language label = VS Code language id
EXT_LANG = {
    ".py": "python",  # .pyi stubs are left out: the eval fills in function bodies
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "typescript",
    ".c": "c", ".h": "c",  # .h is re-labelled cpp by content
    ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".inl": "cpp", ".tcc": "cpp",
    ".go": "go", ".rs": "rust",
    ".sh": "shellscript", ".bash": "shellscript",
}
SKIP_DIRS = {"__pycache__", ".git", ".hg", ".svn", "site-packages", "dist-packages", "idlelib", "turtledemo"}


class Source(NamedTuple):
    root: str
    name: str
    resolver: LicenceResolver
    kind: str  # stdlib | site | npm | include | pyenv | gocode | cargo
    follow: bool = False  # descend into symlinked directories (--roots: a site-packages assembled from links)


def stdlib_dirs() -> list[tuple[str, str]]:
    """(dir, name) of Python 3 standard libraries, preferred version first."""
    out = [("/usr/lib/python3.11", "stdlib-3.11-debian")]
    pyenv = sorted(glob.glob("/root/.pyenv/versions/3.*/lib/python3.*"))

    def key(p):
        v = p.rsplit("python", 1)[1]
        major, minor = v.split(".")[:2]
        minor = int(minor)
        return (0 if minor == 11 else 1, -minor)
    for p in sorted(pyenv, key=key):
        if os.path.isdir(p) and int(p.rsplit(".", 1)[1]) >= 6:
            out.append((p, "stdlib-" + p.rsplit("python", 1)[1] + "-pyenv"))
    return out


def interpreter_roots() -> list[str]:
    """`--roots auto`: this interpreter's standard library and its site-packages."""
    out = []
    std = sysconfig.get_paths().get("stdlib")
    if std and os.path.isdir(std):
        out.append("stdlib:" + std)
    sps = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    user = site.getusersitepackages() if hasattr(site, "getusersitepackages") else None
    for sp in sps + ([user] if user else []):
        if os.path.isdir(sp) and sp not in out:
            out.append(sp)
    return out


def root_sources(spec: str) -> list[Source]:
    """Sources from `--roots`: comma-separated site-packages-style directories (licence per package from
    its dist-info/egg-info), `stdlib:DIR` for a Python standard library (PSF), `auto` for this interpreter's."""
    out = []
    entries = []
    for e in (s.strip() for s in spec.split(",")):
        if e == "auto":
            entries.extend(interpreter_roots())
        elif e:
            entries.append(e)
    seen = set()
    for e in entries:
        kind = "site"
        if e.startswith("stdlib:"):
            kind, e = "stdlib", e[len("stdlib:"):]
        root = os.path.abspath(e)
        if root in seen:
            continue
        seen.add(root)
        if not os.path.isdir(root):
            raise SystemExit(f"corpus: --roots: {root} is not a directory")
        if kind == "stdlib":
            out.append(Source(root, "stdlib:" + root, Fixed("PSF-2.0"), "stdlib", True))
        else:
            out.append(Source(root, "site:" + root, SitePackagesLicences(root), "site", True))
    return out


def sources(tiny: bool, roots: str | None = None):
    """Yield the sources in the order they are read (earlier ones win duplicates)."""
    if roots:
        yield from root_sources(roots)
        return
    std = stdlib_dirs()
    if tiny:
        yield Source(std[0][0], std[0][1], Fixed("PSF-2.0"), "stdlib")
        return
    for d, name in std:
        yield Source(d, name, Fixed("PSF-2.0"), "stdlib")
    for sp in sorted(glob.glob("/root/.pyenv/versions/3.11*/lib/python3.11/site-packages")) + ["/usr/lib/python3/dist-packages"]:
        if os.path.isdir(sp):
            yield Source(sp, "site:" + sp, SitePackagesLicences(sp), "site")
    for nm in (os.path.join(REPO, "node_modules"), "/usr/lib/node_modules", NPM_CORPUS):
        if os.path.isdir(nm):
            yield Source(nm, "npm:" + nm, NodeModulesLicences(nm), "npm")
    yield Source("/usr/include", "usr-include (Debian -dev packages, curated permissive list)", DpkgLicences(), "include")
    if os.path.isdir("/root/.pyenv/libexec"):
        yield Source("/root/.pyenv", "pyenv (MIT) scripts", Fixed("MIT"), "pyenv")
    for d, kind in ((GOCODE, "gocode"), (CARGO, "cargo")):
        if os.path.isdir(d):
            yield Source(d, f"{kind}:{d} (Debian packages, licence from /usr/share/doc/<pkg>/copyright)",
                         DebianCopyrightLicences(d), kind)


# npm packages often ship the same code several times: TypeScript in src/ and its compiled output, or
# ESM and CommonJS builds side by side. Keep the source, or one build.
BUILD_DIRS = {"dist", "build", "lib", "esm", "cjs", "umd", "es", "es5", "es6", "esm5", "esm2015", "esm2017",
              "esm2020", "esm2022", "fesm2015", "fesm2020", "fesm2022", "bundles", "_esm", "_cjs", "_types",
              "_bundles", "types", "typings", "mjs", "commonjs"}
BUILD_VARIANTS = ["esm", "_esm", "esm2022", "esm2020", "esm2017", "esm2015", "mjs", "esm5", "es", "cjs", "_cjs",
                  "commonjs", "umd", "bundles", "fesm2022", "fesm2020", "fesm2015"]
CJS_LIKE = {"cjs", "_cjs", "commonjs", "umd"}
CODE_EXT = (".ts", ".tsx", ".mts", ".js", ".mjs", ".jsx")


def _has_code(d: str) -> bool:
    for _, dirnames, filenames in os.walk(d):
        dirnames[:] = [x for x in dirnames if x != "node_modules" and not x.startswith(".")]
        if any(f.endswith(CODE_EXT) and not f.endswith(".d.ts") for f in filenames):
            return True
    return False


def npm_dirs(dirpath: str, dirnames: list[str], filenames: list[str]) -> list[str]:
    if "package.json" in filenames and "src" in dirnames and _has_code(os.path.join(dirpath, "src")):
        return [d for d in dirnames if d not in BUILD_DIRS]
    present = [d for d in BUILD_VARIANTS if d in dirnames]
    if len(present) > 1 and any(d in CJS_LIKE for d in present) and any(d not in CJS_LIKE for d in present):
        drop = set(present[1:])
        return [d for d in dirnames if d not in drop]
    return dirnames


# (suffix, preferred siblings): x.cjs is dropped when x.js or x.mjs is there, and so on
FORMAT_COPIES = ((".d.cts", (".d.ts", ".d.mts")), (".d.mts", (".d.ts",)), (".cjs", (".js", ".mjs")),
                 (".mjs", (".js",)), (".js", (".ts", ".tsx")))


def npm_files(filenames: list[str]) -> list[str]:
    names = set(filenames)
    out = []
    for f in filenames:
        dup = False
        for suffix, better in FORMAT_COPIES:
            if f.endswith(suffix):
                dup = any(f[:-len(suffix)] + b in names for b in better)
                break
        if not dup:
            out.append(f)
    return out


def walk(src: Source, tiny: bool):
    root = src.root
    seen_real = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=src.follow):
        if src.follow:  # each real directory once: no cycles, no second copy through another link
            real = os.path.realpath(dirpath)
            if real in seen_real:
                dirnames[:] = []
                continue
            seen_real.add(real)
        skip = set(SKIP_DIRS)
        if src.kind == "pyenv":  # pyenv's own code only, not the Pythons it manages
            skip |= {"versions", "shims", "cache", "sources"}
        dirnames[:] = sorted(d for d in dirnames if d not in skip and not d.startswith("."))
        if src.kind == "npm":
            dirnames[:] = npm_dirs(dirpath, dirnames, filenames)
        if tiny and ("test" in dirpath.split(os.sep) or "tests" in dirpath.split(os.sep)):
            continue
        files = sorted(filenames)
        if src.kind == "npm":
            files = npm_files(files)
        for f in files:
            yield os.path.join(dirpath, f)


SHEBANG_SH = re.compile(r"^#!\s*\S*/(env\s+)?(ba|da|z|k)?sh\b")


def language_of(path: str, head: str) -> str | None:
    base = os.path.basename(path)
    if base.endswith(".d.ts"):
        return "typescript"
    ext = os.path.splitext(base)[1].lower()
    lang = EXT_LANG.get(ext)
    if lang is None and ext == "" and SHEBANG_SH.match(head):
        return "shellscript"
    if lang == "c" and ext == ".h":
        if re.search(r"^\s*(template\s*<|namespace\s+\w+\s*\{|class\s+\w+[^;]*\{"
                     r"|#include\s*<(iostream|vector|string|memory|map)>)|std::", head, re.M):
            return "cpp"
    return lang


def possible_languages(path: str) -> set[str]:
    """Languages a file can get from its name alone (content decides .h and extension-less scripts)."""
    base = os.path.basename(path)
    if base.endswith(".d.ts"):
        return {"typescript"}
    ext = os.path.splitext(base)[1].lower()
    if ext == ".h":
        return {"c", "cpp"}
    if ext == "":
        return {"shellscript"}
    lang = EXT_LANG.get(ext)
    return {lang} if lang else set()


def rel_key(src: Source, path: str) -> str | None:
    """Same file of another version of the same library (stdlib of several Pythons, a package installed in
    two site-packages, a package vendored twice in node_modules, a crate at two versions): keep the first
    one seen."""
    if src.kind == "stdlib":
        return "stdlib:" + os.path.relpath(path, src.root)
    if src.kind == "site":
        return "site:" + os.path.relpath(path, src.root)
    if "node_modules/" in path:
        return "npm:" + path.rsplit("node_modules/", 1)[1]
    if src.kind == "cargo":
        crate, _, rest = os.path.relpath(path, src.root).partition(os.sep)
        return "cargo:" + crate.rsplit("-", 1)[0] + "/" + rest
    return None


def project_of(src: Source, path: str) -> str:
    """Coarse project key used to cap any one library's share of the corpus."""
    if "node_modules/" in path:
        parts = path.rsplit("node_modules/", 1)[1].split("/")
        return "npm:" + "/".join(parts[:2] if parts[0].startswith("@") else parts[:1])
    rel = os.path.relpath(path, src.root).split(os.sep)
    if src.kind == "site":
        return "py:" + rel[0].removesuffix(".py")
    if src.kind == "stdlib":
        return "stdlib:" + rel[0].removesuffix(".py")
    if src.kind == "include":
        return "inc:" + path.split("/")[3]
    if src.kind == "gocode":
        return "go:" + "/".join(rel[:3])
    if src.kind == "cargo":
        return "rs:" + rel[0].rsplit("-", 1)[0]
    return path.split("/")[1]
