#!/usr/bin/env bash
# Installs what the full test suite needs on a fresh Debian machine:
# pcsc-lite headers for the cgo PIV backend, pcscd and the vpcd driver for
# the YubiKey simulator tier, curl for scripts/fetch-testdata.sh, chromium
# for the ceremony page's browser test and mermaid's renderer (mermaid-cli
# from npm, driving Debian's chromium; no browser is downloaded), jq for the
# fake gh of the workflow tests, and the npm packages of the tuf-js interop
# check. Safe to run again; it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in pcscd vsmartcard-vpcd libpcsclite-dev pkg-config curl ca-certificates jq chromium fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ -f interop/tufjs/package.json ]; then
  command -v npm >/dev/null || { echo "install-deps: npm is required for the tuf-js interop check" >&2; exit 1; }
  echo "install-deps: npm ci (interop/tufjs)"
  (cd interop/tufjs && npm ci --no-audit --no-fund --loglevel=error)
fi
mermaid=examples/ceremony/testdata/mermaid
if [ -f "$mermaid/package.json" ]; then
  command -v npm >/dev/null || { echo "install-deps: npm is required for the diagram rendering test" >&2; exit 1; }
  echo "install-deps: npm ci ($mermaid; Debian's chromium, no browser download)"
  (cd "$mermaid" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
echo "install-deps: ok"
