#!/usr/bin/env bash
# Installs what the end-to-end editor test needs: Debian's chromium and ripgrep, the headers code-server's
# native modules build against, and code-server 4.100.3 (VS Code 1.100, runs on Node 20) in a cache folder.
# Idempotent: a finished install is marked by a stamp file and skipped in a second.
set -euo pipefail

CS_VERSION=4.100.3
CACHE_DIR="${KT_E2E_CACHE:-${HOME:-/root}/.cache/kt-gateway}"
CS_ROOT="$CACHE_DIR/code-server"
CS="$CS_ROOT/node_modules/code-server"
STAMP="$CS_ROOT/.installed-$CS_VERSION"

log() { echo "setup-e2e: $*"; }

apt_packages=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep chromium python3 make g++)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing apt packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "apt packages present"
fi

if [ -f "$STAMP" ]; then
  log "code-server $CS_VERSION already installed in $CS"
  exit 0
fi

log "installing code-server $CS_VERSION into $CS_ROOT (takes a few minutes)"
mkdir -p "$CS_ROOT"
cd "$CS_ROOT"
[ -f package.json ] || echo '{"name":"kt-e2e-code-server","private":true}' > package.json
# Its post-install downloads ripgrep and builds kerberos; we do those steps ourselves below.
npm install --no-audit --no-fund --ignore-scripts "code-server@$CS_VERSION"
npm rebuild argon2

cd "$CS/lib/vscode"
npm install --no-audit --no-fund --omit=dev --ignore-scripts
# Build every native module of VS Code's server (node-pty, spdlog, watcher, kerberos, ...).
failed=0
while read -r gyp; do
  dir="$(dirname "$gyp")"
  log "node-gyp rebuild in $dir"
  if ! (cd "$dir" && npx --yes node-gyp rebuild >/dev/null 2>&1); then
    log "warning: node-gyp rebuild failed in $dir"
    failed=1
  fi
done < <(find node_modules -name binding.gyp -not -path '*/test/*' -not -path '*/deps/*')

mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
[ -e node_modules.asar ] || ln -s node_modules node_modules.asar
(cd bin/remote-cli && { [ -e code-server ] || ln -s code-linux.sh code-server; })
(cd bin/helpers && { [ -e browser.sh ] || ln -s browser-linux.sh browser.sh; })

cd extensions
npm install --no-audit --no-fund --omit=dev --ignore-scripts

if [ "$failed" -ne 0 ]; then
  # No stamp: the next run tries again instead of trusting a half-built install.
  log "done with native build warnings (see above): $CS"
else
  touch "$STAMP"
  log "done: $CS"
fi
