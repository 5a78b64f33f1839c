#!/bin/sh
# Runs signer/piv's unit and simulator tiers and internal/pivsim's tests:
# the real piv-go, libpcsclite, pcscd and vsmartcard's vpcd driver
# against the Go YubiKey simulator on 127.0.0.1:35963/35964.
#
# Needs root (pcscd creates /run/pcscd), no other pcscd running, and the
# Debian packages pcscd vsmartcard-vpcd libpcsclite-dev pkg-config.
# With PIV_SIM=1 missing prerequisites FAIL the tests; they never skip.
set -eu
cd "$(dirname "$0")/../../.."
PIV_SIM=1 CGO_ENABLED=1 exec go test -tags pivkey -race -v -count=1 ./signer/piv/... ./internal/pivsim/...
