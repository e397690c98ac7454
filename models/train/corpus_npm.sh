#!/usr/bin/env bash
# Install the npm packages pinned in corpus-npm.txt (name@version per line, `#` comments, an optional
# `# before: YYYY-MM-DD` line that pins their dependencies to what the registry had on that day) into a
# folder outside the project's node_modules, as JS/TS for the corpus builder (dllm_train.data.corpus). No install scripts run.
# Usage: ./corpus_npm.sh [PREFIX]   (default work/npm-corpus; the corpus builder reads work/npm-corpus/node_modules)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
list="$here/corpus-npm.txt"
prefix="${1:-$here/work/npm-corpus}"
mkdir -p "$prefix"
before="$(sed -n 's/^#[[:space:]]*before:[[:space:]]*//p' "$list" | head -n 1)"
# package.json written from the list on every run: npm then installs exactly these (and prunes the rest);
# having its own package.json also keeps npm from walking up to the repository's
node - "$list" "$prefix/package.json" <<'JS'
const fs = require("fs");
const [list, out] = process.argv.slice(2);
const deps = {};
for (const raw of fs.readFileSync(list, "utf8").split("\n")) {
  const line = raw.replace(/#.*/, "").trim();
  if (!line) continue;
  const at = line.lastIndexOf("@");
  if (at <= 0) throw new Error(`corpus-npm.txt: not name@version: ${line}`);
  deps[line.slice(0, at)] = line.slice(at + 1);
}
fs.writeFileSync(out, JSON.stringify({ name: "dllm-npm-corpus", private: true, dependencies: deps }, null, 2) + "\n");
console.error(`corpus_npm: ${Object.keys(deps).length} packages`);
JS
cd "$prefix"
# legacy peer deps: peers (react, typescript, …) are not needed as corpus and often conflict
npm install --prefix "$prefix" --ignore-scripts --no-audit --no-fund --legacy-peer-deps \
  ${before:+--before "$before"}
du -sh "$prefix/node_modules" >&2
