/**
 * The projects the real-code benchmark is cut from, pinned to exact releases. Each is absent from
 * everything the training corpus reads (models/train/dllm_train/data/corpus.py), and its `paths` keep it absent
 * wherever it might be installed later. Permissive licences only.
 */
import type { Language } from './language';

export type Source = { kind: 'npm'; package: string } | { kind: 'debian'; package: string; version: string };

export interface ProjectSpec {
  name: string;
  language: Language;
  /** The upstream version. */
  version: string;
  source: Source;
  homepage: string;
  /** SPDX licence id of the code the tasks come from. */
  licence: string;
  /** The folder of the unpacked release that task paths are relative to. */
  root: string;
  /** Files (relative to `root`) tasks may come from. */
  include: RegExp;
  /** Regular expressions, searched in a file's absolute POSIX path, matching this project wherever installed. */
  paths: string[];
}

/** `@scope/name` as a file name: `scope-name`. */
export function safeName(name: string): string {
  return name.replace(/^@/, '').replace(/[/:~]/g, '-');
}

/** A string as a regular expression matching itself, in both Python `re` and JavaScript (even with the `u` flag). */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Debian's `[epoch:]upstream[+dfsg…]-revision` → the upstream version. */
export function upstreamVersion(debianVersion: string): string {
  return debianVersion.replace(/^\d+:/, '').replace(/-[^-]+$/, '').replace(/\+(dfsg|ds)\d*$/, '');
}

function npm(name: string, version: string, language: Language, licence: string, homepage: string, include: RegExp): ProjectSpec {
  return {
    name, language, version, source: { kind: 'npm', package: name }, homepage, licence, root: 'package', include,
    paths: [`(^|/)node_modules/${literal(name)}/`],
  };
}

type DebianFields = Pick<ProjectSpec, 'name' | 'language' | 'licence' | 'homepage' | 'root' | 'include' | 'paths'>;

function debian(pkg: string, version: string, fields: DebianFields): ProjectSpec {
  return { ...fields, version: upstreamVersion(version), source: { kind: 'debian', package: pkg, version } };
}

/** A pure-Python package from Debian: `module` is its top-level import name. */
function python(module: string, pkg: string, version: string, licence: string, homepage: string): ProjectSpec {
  return debian(pkg, version, {
    name: module, language: 'python', licence, homepage, root: 'usr/lib/python3/dist-packages', include: new RegExp(`^${literal(module)}/`),
    // The package folder anywhere: site-packages, dist-packages, vendored copies.
    paths: [`(^|/)${literal(module)}/`],
  });
}

/** A Go module from Debian, named by its import path. */
function go(importPath: string, pkg: string, version: string, licence: string, homepage: string): ProjectSpec {
  // GOPATH and vendor folders (`…/github.com/x/y/`) and the module cache (`…/github.com/x/y@v1.2.3/`,
  // where an upper-case letter is written `!` + lower case).
  const pattern = importPath.replace(/[A-Z]/g, (c) => `\0${c}`).split('\0').map((part, i) =>
    i === 0 ? literal(part) : `(${part.charAt(0)}|!${part.charAt(0).toLowerCase()})${literal(part.slice(1))}`).join('');
  return debian(pkg, version, {
    name: importPath, language: 'go', licence, homepage, root: `usr/share/gocode/src/${importPath}`, include: /\.go$/,
    paths: [`(^|/)${pattern}[/@]`],
  });
}

/** A Rust crate from Debian; tasks come from its `src/`. */
function rust(crate: string, pkg: string, version: string, licence: string, homepage: string): ProjectSpec {
  return debian(pkg, version, {
    name: crate, language: 'rust', licence, homepage, root: `usr/share/cargo/registry/${crate}-${upstreamVersion(version)}`, include: /^src\//,
    // Debian's and Cargo's registries (`registry/src/<index>/<crate>-<version>/`), and `cargo vendor` folders.
    paths: [`(^|/)registry/(.*/)?${literal(crate)}-[0-9][^/]*/`, `(^|/)vendor/${literal(crate)}/`],
  });
}

export const projects: readonly ProjectSpec[] = [
  // TypeScript: packages that ship their `src/**/*.ts`.
  npm('chevrotain', '11.2.0', 'typescript', 'Apache-2.0', 'https://chevrotain.io', /^src\//),
  npm('@tiptap/core', '3.34.0', 'typescript', 'MIT', 'https://tiptap.dev', /^src\//),
  npm('@tanstack/table-core', '8.21.3', 'typescript', 'MIT', 'https://tanstack.com/table', /^src\//),
  npm('@tanstack/router-core', '1.171.39', 'typescript', 'MIT', 'https://tanstack.com/router', /^src\//),
  npm('msw', '2.15.0', 'typescript', 'MIT', 'https://mswjs.io', /^src\//),
  // JavaScript: hand-written sources (not Babel output, not bundles).
  npm('joi', '18.3.2', 'javascript', 'BSD-3-Clause', 'https://joi.dev', /^lib\//),
  npm('svgo', '4.1.0', 'javascript', 'MIT', 'https://svgo.dev', /^(lib|plugins)\//),
  npm('clean-css', '5.3.3', 'javascript', 'MIT', 'https://github.com/clean-css/clean-css', /^lib\//),
  npm('stylus', '0.64.0', 'javascript', 'MIT', 'https://stylus-lang.com', /^lib\//),
  npm('jsdom', '29.1.1', 'javascript', 'MIT', 'https://github.com/jsdom/jsdom', /^lib\/jsdom\//),
  // Its acorn.js is a copy of acorn, which the corpus has.
  npm('js-beautify', '2.0.3', 'javascript', 'MIT', 'https://beautifier.io', /^js\/src\/(?!javascript\/acorn\.js$)/),
  // Its constants folder is tables of error codes and charsets, not code.
  npm('mysql', '2.18.1', 'javascript', 'MIT', 'https://github.com/mysqljs/mysql', /^lib\/(?!protocol\/constants\/)/),
  // Python: small pure-Python libraries, unlikely in a machine-learning environment.
  python('boltons', 'python3-boltons', '21.0.0-2', 'BSD-3-Clause', 'https://github.com/mahmoud/boltons'),
  python('funcy', 'python3-funcy', '1.18-1', 'BSD-3-Clause', 'https://github.com/Suor/funcy'),
  python('textdistance', 'python3-textdistance', '4.5.0-1', 'MIT', 'https://github.com/life4/textdistance'),
  python('tinydb', 'python3-tinydb', '3.15.2-4', 'MIT AND BSD-3-Clause', 'https://github.com/msiemens/tinydb'),
  python('parsimonious', 'python3-parsimonious', '0.10.0-1', 'MIT', 'https://github.com/erikrose/parsimonious'),
  python('cerberus', 'python3-cerberus', '1.3.2-2', 'ISC', 'https://github.com/pyeve/cerberus'),
  python('transitions', 'python3-transitions', '0.9.0-1', 'MIT', 'https://github.com/pytransitions/transitions'),
  // Go: modules absent from Debian's shared GOPATH that the corpus reads.
  go('github.com/emirpasic/gods', 'golang-github-emirpasic-gods-dev', '1.12.0-2', 'BSD-2-Clause', 'https://github.com/emirpasic/gods'),
  go('github.com/antonmedv/expr', 'golang-github-antonmedv-expr-dev', '1.8.9-2', 'MIT', 'https://github.com/antonmedv/expr'),
  go('github.com/gobwas/glob', 'golang-github-gobwas-glob-dev', '0.2.3+git20180208.19c076c-2', 'MIT', 'https://github.com/gobwas/glob'),
  go('github.com/montanaflynn/stats', 'golang-github-montanaflynn-stats-dev', '0.6.4-2', 'MIT', 'https://github.com/montanaflynn/stats'),
  go('github.com/robfig/cron', 'golang-github-robfig-cron-dev', '3.0.1-1', 'MIT', 'https://github.com/robfig/cron'),
  go('github.com/Masterminds/semver', 'golang-github-masterminds-semver-dev', '3.2.0-1', 'MIT', 'https://github.com/Masterminds/semver'),
  // Rust: crates absent from Debian's Cargo registry that the corpus reads.
  rust('combine', 'librust-combine-dev', '4.6.6-3', 'MIT', 'https://github.com/Marwes/combine'),
  rust('quick-xml', 'librust-quick-xml-dev', '0.26.0-3', 'MIT', 'https://github.com/tafia/quick-xml'),
  rust('pest', 'librust-pest-dev', '2.5.2-1', 'MIT OR Apache-2.0', 'https://pest.rs'),
  rust('similar', 'librust-similar-dev', '2.2.1-1', 'Apache-2.0', 'https://github.com/mitsuhiko/similar'),
  rust('indicatif', 'librust-indicatif-dev', '0.17.3-2', 'MIT', 'https://github.com/console-rs/indicatif'),
  rust('semver', 'librust-semver-dev', '1.0.14-1', 'MIT OR Apache-2.0', 'https://github.com/dtolnay/semver'),
  rust('arrayvec', 'librust-arrayvec-dev', '0.7.2-2', 'MIT OR Apache-2.0', 'https://github.com/bluss/arrayvec'),
];
