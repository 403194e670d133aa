#!/usr/bin/env bash
# Installs the real servers the test suite starts and stops itself, from Debian: nginx (the load balancer
# of the replicas test) and prometheus (which scrapes the gateway in test/observability). Idempotent:
# present packages are skipped in well under a second. No recommends (exporters, web assets).
set -euo pipefail

log() { echo "setup-servers: $*"; }

packages=(nginx-light prometheus)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  log "present: ${packages[*]}"
  exit 0
fi
log "installing: ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
# The packages' own services are not wanted (the tests start their servers on 127.0.0.1 with their own
# configs): policy-rc.d keeps Debian from starting them at install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
log "done"
