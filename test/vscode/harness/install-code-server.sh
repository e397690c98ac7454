#!/usr/bin/env bash
# Installs what the VS Code server tests need, idempotently:
#  - Debian packages: chromium (the browser that drives the workbench), libkrb5-dev (code-server
#    builds the kerberos module), ripgrep (stands in for the ripgrep download below);
#  - code-server into its own prefix (.cache/code-server), never as a project dependency.
# Usage: test/vscode/harness/install-code-server.sh   (env CODE_SERVER_PREFIX overrides the prefix)
set -euo pipefail

CODE_SERVER_VERSION=4.100.3   # newest release whose engines.node is 20 (VS Code 1.100.3)
RIPGREP_VERSION=1.15.11       # the @vscode/ripgrep that code-server pins
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
prefix="${CODE_SERVER_PREFIX:-$repo_root/.cache/code-server}"
server_main="$prefix/node_modules/code-server/lib/vscode/out/server-main.js"
stamp="$prefix/.installed-$CODE_SERVER_VERSION"

# What is missing, said in one line before anything is installed.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
need_code_server=1
[[ -f "$stamp" && -f "$server_main" ]] && need_code_server=0
plan=()
((${#missing[@]})) && plan+=("Debian packages ${missing[*]} (apt-get, system-wide)")
((need_code_server)) && plan+=("code-server $CODE_SERVER_VERSION into $prefix (npm, about 80 s)")
if ((${#plan[@]})); then
  joined="${plan[0]}${plan[1]:+; ${plan[1]}}"
  echo "[install-code-server] for the VS Code server tests, installing: $joined"
fi

# 1. Debian packages, only those missing.
if ((${#missing[@]})); then
  echo "[install-code-server] apt-get install ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# 2. code-server, cached.
if ((!need_code_server)); then
  echo "[install-code-server] code-server $CODE_SERVER_VERSION already in $prefix"
  exit 0
fi

# @vscode/ripgrep's postinstall downloads from GitHub, which is unreachable here; it looks in
# $TMPDIR/vscode-ripgrep-cache-<version>/ first, so pack Debian's rg under the expected name.
rg_cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$RIPGREP_VERSION"
if [[ ! -f "$rg_cache/$RIPGREP_ASSET" ]]; then
  mkdir -p "$rg_cache"
  tmp_rg="$(mktemp -d)"
  cp "$(command -v rg)" "$tmp_rg/rg"
  tar -czf "$rg_cache/$RIPGREP_ASSET" -C "$tmp_rg" rg
  rm -rf "$tmp_rg"
fi

# Its native modules build with node-gyp, which otherwise downloads Node's headers from
# nodejs.org (unreachable here); the nodejs package ships them under /usr/include/node.
if [[ -z "${npm_config_nodedir:-}" && -z "$(npm config get nodedir 2>/dev/null | grep -v undefined)" \
      && -f /usr/include/node/node.h ]]; then
  export npm_config_nodedir=/usr
fi

echo "[install-code-server] npm install code-server@$CODE_SERVER_VERSION into $prefix (about 80 s)"
mkdir -p "$prefix"
# As root, npm needs unsafe_perm for the native builds, and yes=true so a nested `npx node-gyp`
# does not stop to ask. The prefix gets its own package.json so npm does not climb to the repo.
# Run from `npm test`, this script inherits the repository's ignore-scripts=true (.npmrc), which
# would skip the install scripts that build code-server's native modules: turn it back on.
[[ -f "$prefix/package.json" ]] || echo '{"name":"code-server-cache","private":true}' >"$prefix/package.json"
(cd "$prefix" && npm_config_unsafe_perm=true npm_config_yes=true npm_config_ignore_scripts=false \
  npm install --no-audit --no-fund --prefix "$prefix" "code-server@$CODE_SERVER_VERSION")

[[ -f "$server_main" ]] || { echo "[install-code-server] $server_main missing after install" >&2; exit 1; }
touch "$stamp"
echo "[install-code-server] done: $server_main"
