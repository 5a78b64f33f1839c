#!/usr/bin/env bash
# The whole test suite, as CI runs it. Installs what it needs first
# (scripts/install-deps.sh), then: formatting, vet, the import rules
# (scripts/check-deps.sh, scripts/check-consumer-graph.sh), staticcheck,
# builds with and without cgo, the race-enabled unit tests, the YubiKey
# simulator tier (pcscd + vpcd, PIV_SIM=1), piv-go's own test suite against
# the simulator, a ceremony rehearsal on simulated YubiKeys, the examples
# (the ceremony diagrams rendered by mermaid-cli with chromium), the fuzzers
# for a fixed number of executions, and the interop module (go-tuf client,
# sigstore-go, tuf-js).
#
# The repository is a Go workspace (go.work: the library, examples,
# interop, tools). "./..." at the root matches the library's packages only;
# the examples module is named explicitly as ./examples/... .
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
FUZZ_EXECS=${FUZZ_EXECS:-60000}
FUZZ_EXECS_SLOW=${FUZZ_EXECS_SLOW:-3000}

step() { printf '\n=== %s\n' "$*"; }

step "install dependencies"
bash scripts/install-deps.sh

step "shared test vectors (the real Sigstore files the tests read)"
# internal/sharedtestdata looks in $TRUSTROOT_SHARED_TESTDATA, else
# ../shared/testdata, else testdata/shared (fetched and checked against
# pinned SHA-256s by scripts/fetch-testdata.sh).
# A clone of a local checkout (git clone /path/to/trustroot) uses the
# vectors beside that checkout, as the checkout itself does, before it
# fetches them.
if [ -z "${TRUSTROOT_SHARED_TESTDATA:-}" ] && [ ! -d ../shared/testdata/sigstore-root ]; then
  origin=$(git remote get-url origin 2>/dev/null || true)
  if [ -n "$origin" ] && [ -d "$origin/../shared/testdata/sigstore-root" ]; then
    TRUSTROOT_SHARED_TESTDATA=$(cd "$origin/../shared/testdata" && pwd)
    export TRUSTROOT_SHARED_TESTDATA
    echo "shared test vectors: $TRUSTROOT_SHARED_TESTDATA (beside the checkout this clone came from)"
  else
    bash scripts/fetch-testdata.sh
  fi
fi

step "gofmt -l"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt: not formatted:"; echo "$unformatted"; exit 1; fi

step "go vet (CGO_ENABLED=0) and go vet -tags pivkey (cgo), library and examples"
CGO_ENABLED=0 go vet ./... ./examples/...
CGO_ENABLED=1 go vet -tags pivkey ./signer/piv/... ./examples/...

step "import rules and dependency counts (scripts/check-deps.sh)"
bash scripts/check-deps.sh

step "a consumer of root and verify gets no KMS SDK in its module graph (scripts/check-consumer-graph.sh)"
bash scripts/check-consumer-graph.sh

step "staticcheck (pinned in tools/go.mod, outside the library's module graph)"
CGO_ENABLED=0 go tool staticcheck ./... ./examples/...
CGO_ENABLED=1 go tool staticcheck -tags pivkey ./signer/piv/... ./examples/...
if [ -d .github/workflows ]; then
  step "actionlint"
  go tool actionlint
fi

step "GitHub workflows of the ceremony tool (actionlint)"
go tool actionlint examples/ceremony/workflows/*.yml

step "go build: everything with CGO_ENABLED=0 (signer/piv builds its no-PIV stub), then with cgo and PIV support"
CGO_ENABLED=0 go build ./... ./examples/...
CGO_ENABLED=1 go build -tags pivkey ./... ./examples/...
(cd examples && GOWORK=off CGO_ENABLED=0 go build ./...) # the examples module on its own, as cloned

step "go test -race ./..."
# The ceremony page's browser test and the diagram rendering test must run
# (chromium and mermaid-cli from install-deps): with their gates set they
# fail, never skip, when a part is missing. The page's screenshot goes to
# out/artifacts.
export TRUSTROOT_BROWSER=1 CEREMONY_MERMAID=1 TRUSTROOT_ARTIFACTS="$PWD/out/artifacts"
go test -race -count=1 ./... ./examples/...
echo "screenshot of the ceremony page: out/artifacts/ceremony-page.png"

step "YubiKey simulator tier (PIV_SIM=1, real piv-go through pcscd + vpcd)"
# The tier runs its own pcscd with a private reader config; a system pcscd
# (socket-activated by systemd after apt installs it) would hold the socket.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet pcscd.socket 2>/dev/null; then
  echo "stopping the system pcscd (socket activation) for the simulator tier"
  systemctl stop pcscd.socket pcscd.service || true
fi
if [ "${CI:-}" = "true" ] && pgrep -x pcscd >/dev/null 2>&1; then
  echo "CI: stopping a running system pcscd for the simulator tier"
  pkill -x pcscd || true; sleep 1
fi
PIV_SIM=1 CGO_ENABLED=1 go test -tags pivkey -race -count=1 -v -run . ./signer/piv/... ./internal/pivsim/... ./internal/pivattest/... 2>&1 | tee /tmp/trustroot-pivsim.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|pivsim:' || true
grep -q -- '--- SKIP' /tmp/trustroot-pivsim.log && { echo "simulator tier: tests were skipped with PIV_SIM=1"; exit 1; }
grep -qE '^(FAIL|--- FAIL|panic)' /tmp/trustroot-pivsim.log && { echo "simulator tier failed; log in /tmp/trustroot-pivsim.log"; exit 1; }
grep -qE '^ok ' /tmp/trustroot-pivsim.log || { echo "simulator tier did not report ok"; exit 1; }

step "ceremony rehearsal on simulated YubiKeys (pivsim, -token piv through pcscd + vpcd)"
# The rehearsal's repository (root keys on simulated YubiKeys, Ed25519
# ones among them) goes to the interop clients below.
rehearsal_repo="$(mktemp -d)/repository"
CEREMONY_PIV_SIM=1 CEREMONY_REHEARSAL_OUT="$rehearsal_repo" CGO_ENABLED=1 go test -tags pivkey -count=1 -v -run '^TestPIVRehearsal$' ./examples/ceremony 2>&1 | tee /tmp/trustroot-ceremony-piv.log | grep -E '^(=== RUN|--- |ok|FAIL|panic)' || true
grep -q -- '--- PASS: TestPIVRehearsal' /tmp/trustroot-ceremony-piv.log || { echo "ceremony PIV rehearsal test did not pass; log in /tmp/trustroot-ceremony-piv.log"; tail -20 /tmp/trustroot-ceremony-piv.log; exit 1; }

step "piv-go's own test suite against one simulated YubiKey (scripts/pivgo-suite.sh)"
bash scripts/pivgo-suite.sh

step "examples: the ceremony demo from scratch"
demo=$(mktemp -d)
go run ./examples/ceremony demo -out "$demo/out" > "$demo/demo.log"
tail -n 5 "$demo/demo.log"
rm -rf "$demo"

step "fuzz each target for a fixed number of executions"
# Count budgets, not durations: a -fuzztime duration races Go's fuzz
# coordinator (go.dev/issue/75804, unfixed in 1.26) and can fail with
# "context deadline exceeded" and no failing input.
for f in $(git ls-files '*_test.go'); do
  for fn in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$f" | awk '{print $2}'); do
    budget=$FUZZ_EXECS
    case "$f" in examples/*) budget=$FUZZ_EXECS_SLOW ;; esac # each run drives the whole tool
    echo "fuzz $fn in ./$(dirname "$f") for ${budget}x"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "${budget}x" "./$(dirname "$f")" > /tmp/trustroot-fuzz.log 2>&1 || { cat /tmp/trustroot-fuzz.log; exit 1; }
  done
done

if [ -f interop/go.mod ]; then
  step "interop module (go-tuf client, sigstore-go, tuf-js; Ed25519 root keys from the rehearsal)"
  (cd interop && go vet ./... && INTEROP_ED25519_REPO="$rehearsal_repo" go test -count=1 ./...)
fi
rm -rf "$(dirname "$rehearsal_repo")"

step "all checks passed"
