#!/usr/bin/env bash
# Installs what the observability tests need: Debian's prometheus, which test/observability scrapes the gateway with.
# Idempotent: when the package is installed it only says so.
set -euo pipefail

log() { echo "setup-observability: $*"; }

if dpkg-query -W -f='${Status}' prometheus 2>/dev/null | grep -q 'install ok installed'; then
  log "prometheus present ($(dpkg-query -W -f='${Version}' prometheus))"
  exit 0
fi
log "installing Debian's prometheus"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
# No recommends (exporters, web assets). The test runs its own prometheus on a free port, never the packaged service.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus
log "done: $(command -v prometheus)"
