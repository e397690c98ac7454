"""Licence of a source file, by where it comes from: a site-packages package's metadata, the nearest
package.json, the owning Debian package (a curated permissive list, or its machine-readable copyright
file). Only permissive licences make corpus."""
from __future__ import annotations

import fnmatch
import glob
import json
import os
import re
from collections import defaultdict
from typing import Protocol

PERMISSIVE = re.compile(
    r"\b(MIT|BSD|Apache|ISC|0BSD|Zlib|PSF|Python Software Foundation|Python-2\.0|HPND|Unlicense|CC0|"
    r"public[ -]domain|BlueOak|X11|Expat|PostgreSQL|libpng|LLVM|Boost|BSL-1\.0|WTFPL|Historical Permission)",
    re.I)
COPYLEFT = re.compile(r"GPL|General Public|MPL|Mozilla Public|EPL|Eclipse Public|CDDL|Artistic|EUPL|OSL", re.I)


class LicenceResolver(Protocol):
    """What a source's licence resolver answers: a file's licence text or SPDX id, None if unknown."""

    def licence(self, path: str) -> str | None: ...


def is_permissive(lic: str | None) -> bool:
    if not lic:
        return False
    if PERMISSIVE.search(lic) is None:
        return False
    if COPYLEFT.search(lic):
        # dual licence with a permissive alternative ("MIT OR GPL-2.0", "LGPL-2.1+ or BSD-3-clause")
        return bool(re.search(r"\bor\b", lic, re.I))
    return True


def read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


class SitePackagesLicences:
    """Top-level module name → licence string, from *.dist-info/METADATA or *.egg-info/PKG-INFO."""

    def __init__(self, root: str):
        self.root = root
        self.by_top: dict[str, str] = {}
        for info in sorted(glob.glob(os.path.join(root, "*.dist-info")) + glob.glob(os.path.join(root, "*.egg-info"))):
            meta_path = os.path.join(info, "METADATA") if info.endswith(".dist-info") else os.path.join(info, "PKG-INFO")
            if os.path.isdir(info) is False:  # egg-info may be a single file
                meta_path = info
            lic = self._licence(meta_path)
            tops = set()
            tl = os.path.join(info, "top_level.txt")
            if os.path.isfile(tl):
                tops |= {t.strip() for t in read_text(tl).split("\n") if t.strip()}
            rec = os.path.join(info, "RECORD")
            if os.path.isfile(rec):
                for line in read_text(rec).split("\n"):
                    p = line.split(",", 1)[0]
                    if p and not p.startswith("..") and ".dist-info" not in p.split("/")[0]:
                        tops.add(p.split("/")[0])
            if not tops:
                name = os.path.basename(info).split("-")[0]
                tops.add(name)
            for t in tops:
                t = t[:-3] if t.endswith(".py") else t
                self.by_top.setdefault(t, lic)

    @staticmethod
    def _licence(path: str) -> str:
        try:
            text = read_text(path)[:200_000]
        except OSError:
            return ""
        head = text.split("\n\n", 1)[0]
        parts = []
        for line in head.splitlines():
            if line.startswith("License-Expression:"):
                return line.split(":", 1)[1].strip()
            if line.startswith("License:"):
                v = line.split(":", 1)[1].strip()
                if v and v.upper() != "UNKNOWN":
                    parts.append(v.splitlines()[0][:200])
            if line.startswith("Classifier: License ::"):
                parts.append(line.split("::", 1)[1].strip())
        return " | ".join(parts)

    def licence(self, path: str) -> str | None:
        rel = os.path.relpath(path, self.root)
        top = rel.split(os.sep)[0]
        top = top[:-3] if top.endswith(".py") else top
        return self.by_top.get(top)


class NodeModulesLicences:
    """Licence of the nearest enclosing package.json."""

    def __init__(self, root: str):
        self.root = root
        self.cache: dict[str, str | None] = {}

    def _pkg_licence(self, d: str) -> str | None:
        if d in self.cache:
            return self.cache[d]
        lic = None
        pj = os.path.join(d, "package.json")
        if os.path.isfile(pj):
            try:
                data = json.loads(read_text(pj))
                if "name" in data or "license" in data or "licenses" in data:
                    l = data.get("license") or data.get("licenses")
                    if isinstance(l, dict):
                        l = l.get("type")
                    if isinstance(l, list):
                        l = " OR ".join(str(x.get("type") if isinstance(x, dict) else x) for x in l)
                    lic = str(l) if l else ""
            except (OSError, ValueError):
                lic = None
        if lic is None and d != self.root and len(d) > len(self.root):
            lic = self._pkg_licence(os.path.dirname(d))
        self.cache[d] = lic
        return lic

    def licence(self, path: str) -> str | None:
        return self._pkg_licence(os.path.dirname(path))


class DpkgLicences:
    """Licence of a file's Debian package, from a curated table of permissive -dev packages."""

    # package → licence (from /usr/share/doc/<pkg>/copyright); packages not listed are not used
    ALLOW = {
        "libbrotli-dev": "MIT", "libegl-dev": "MIT", "libgl-dev": "MIT", "libgles-dev": "MIT",
        "libglvnd-core-dev": "MIT", "libglx-dev": "MIT", "libexpat1-dev": "MIT", "libffi-dev": "Expat",
        "libgflags-dev": "BSD-3-Clause", "libgoogle-glog-dev": "BSD-3-Clause", "libjpeg62-turbo-dev": "BSD-style/IJG/Zlib",
        "libmagic-dev": "BSD-2-Clause", "libncurses-dev": "MIT/X11", "libp11-kit-dev": "BSD-3-Clause",
        "libpng-dev": "libpng", "libpq-dev": "PostgreSQL", "libprotobuf-dev": "BSD-3-Clause",
        "libpython3.11-dev": "PSF-2.0", "libssl-dev": "Apache-2.0", "libtorch-dev": "BSD-3-Clause",
        "libunwind-dev": "MIT", "libxml2-dev": "MIT", "libyaml-dev": "MIT", "llvm-14-dev": "Apache-2.0 WITH LLVM-exception",
        "pybind11-dev": "BSD-3-Clause", "python3-numpy": "BSD-3-Clause", "rpcsvc-proto": "BSD-3-Clause",
        "libx11-dev": "MIT/X11", "libxau-dev": "MIT/X11", "libxcb1-dev": "MIT/X11", "libxcomposite-dev": "MIT/X11",
        "libxdmcp-dev": "MIT/X11", "libxext-dev": "MIT/X11", "libxfixes-dev": "MIT/X11", "libxft-dev": "MIT/X11",
        "libxrender-dev": "MIT/X11", "libxss-dev": "MIT/X11", "libxt-dev": "MIT/X11", "libice-dev": "MIT/X11",
        "libsm-dev": "MIT/X11", "x11proto-dev": "MIT/X11", "xtrans-dev": "MIT/X11", "zlib1g-dev": "Zlib",
        "libsqlite3-dev": "public-domain", "liblzma-dev": "public-domain", "libtirpc-dev": "BSD-3-Clause",
        "libicu-dev": "Unicode/MIT (ICU)", "libz3-dev": "MIT", "libxslt1-dev": "MIT", "libxmlsec1-dev": "MIT",
        "libglut-dev": "MIT/X11", "libbz2-dev": "BSD-style", "uuid-dev": "BSD-3-Clause", "libfontconfig-dev": "MIT-style",
        "tcl8.6-dev": "TCL (BSD-style)", "tk8.6-dev": "TCL (BSD-style)", "nodejs": "MIT", "libkrb5-dev": "MIT (krb5)",
        "krb5-multidev": "MIT (krb5)", "python3-pil": "HPND",
    }

    def __init__(self):
        self.owner: dict[str, str] = {}
        for lst in sorted(glob.glob("/var/lib/dpkg/info/*.list")):
            pkg = os.path.basename(lst)[:-5].split(":")[0]
            try:
                for line in read_text(lst).split("\n"):
                    if line.startswith("/usr/include/"):
                        self.owner[line.rstrip("\n")] = pkg
            except OSError:
                pass

    def licence(self, path: str) -> str | None:
        pkg = self.owner.get(path)
        if pkg is None:
            # usr-merge / symlinked dirs: try realpath
            pkg = self.owner.get(os.path.realpath(path))
        return self.ALLOW.get(pkg) if pkg else None


class DebianCopyrightLicences:
    """Licence of a file of a Debian package (Go sources under /usr/share/gocode, Rust crates under
    /usr/share/cargo/registry) from the machine-readable /usr/share/doc/<pkg>/copyright: the last
    `Files:` paragraph whose pattern matches the file's path inside the package's source tree (the
    common directory of the package's files there). Packages without a machine-readable copyright file
    or without a licence for the file are left out."""

    def __init__(self, prefix: str, doc_dir: str = "/usr/share/doc"):
        self.doc_dir = doc_dir
        self.owner: dict[str, str] = {}
        self.by_pkg: dict[str, tuple[str, list] | None] = {}
        prefix = prefix.rstrip("/") + "/"
        files = defaultdict(list)
        for lst in sorted(glob.glob("/var/lib/dpkg/info/*.list")):
            pkg = os.path.basename(lst)[:-5].split(":")[0]
            try:
                for line in read_text(lst).split("\n"):
                    if line.startswith(prefix):
                        path = line
                        self.owner[path] = pkg
                        files[pkg].append(path)
            except OSError:
                pass
        self.files = files

    @staticmethod
    def parse_copyright(text: str) -> list[tuple[list[str], str]] | None:
        """[(patterns, licence)] of the `Files:` paragraphs, or None if the file is not machine-readable."""
        if "Format:" not in text.split("\n\n", 1)[0]:
            return None
        out = []
        for para in re.split(r"\n[ \t]*\n", text):
            m = re.search(r"^Files:[ \t]*(.*(?:\n[ \t]+.*)*)", para, re.M)
            if not m:
                continue
            pats = [p[2:] if p.startswith("./") else p for p in m.group(1).split()]
            lic = re.search(r"^License:[ \t]*(.*)$", para, re.M)
            out.append((pats, lic.group(1).strip() if lic else ""))
        return out

    def _package(self, pkg: str):
        if pkg not in self.by_pkg:
            paras = None
            try:
                text = read_text(os.path.join(self.doc_dir, pkg, "copyright"))
                paras = self.parse_copyright(text)
            except OSError:
                pass
            regular = [f for f in self.files.get(pkg, ()) if os.path.isfile(f) and not os.path.islink(f)]
            root = os.path.dirname(os.path.commonpath(regular)) if len(regular) == 1 else \
                os.path.commonpath(regular) if regular else None
            self.by_pkg[pkg] = (root, paras) if paras and root else None
        return self.by_pkg[pkg]

    def licence(self, path: str) -> str | None:
        pkg = self.owner.get(path) or self.owner.get(os.path.realpath(path))
        info = self._package(pkg) if pkg else None
        if info is None:
            return None
        root, paras = info
        rel = os.path.relpath(path, root)
        lic = None
        for pats, l in paras:  # the last matching paragraph wins (DEP-5; `*` also matches `/`)
            if any(fnmatch.fnmatchcase(rel, p) for p in pats):
                lic = l
        return lic or None


class Fixed:
    def __init__(self, lic: str):
        self.lic = lic

    def licence(self, path: str) -> str | None:
        return self.lic
