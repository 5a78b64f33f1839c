#!/usr/bin/env bash
# A program that imports the library must not get a cloud KMS provider SDK
# (AWS, GCP, Azure, Vault) in its module graph: the ceremony tool links
# them, so it lives in its own module (examples/go.mod).
#
# This builds a scratch consumer module in a temporary directory that
# requires github.com/trustroot/trustroot (replaced by this checkout) and
# imports root and verify, runs go mod tidy and go mod graph, and fails if
# the graph names a KMS SDK. As a control, the same check on the examples
# module must find them, so the patterns cannot silently match nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOWORK=off GOFLAGS=-mod=mod
repo=$PWD

# The module paths of the providers' SDKs.
sdk='^(github\.com/aws/aws-sdk-go|cloud\.google\.com/go/kms|github\.com/Azure/azure-sdk-for-go|github\.com/hashicorp/vault/api|github\.com/sigstore/sigstore/pkg/signature/kms/)'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/go.mod" <<MOD
module example.com/consumer

go 1.25.0

require github.com/trustroot/trustroot v0.0.0

replace github.com/trustroot/trustroot => $repo
MOD
cat > "$tmp/main.go" <<'GO'
// A service that verifies a root of trust.
package main

import (
	"fmt"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

func main() {
	r, err := root.Parse(nil)
	fmt.Println(r, err, verify.Options{})
}
GO
(cd "$tmp" && go mod tidy)
graph=$(cd "$tmp" && go mod graph)
modules=$(printf '%s\n' "$graph" | tr ' ' '\n' | sed 's/@.*//' | sort -u)
found=$(printf '%s\n' "$modules" | grep -E "$sdk" || true)
echo "consumer module importing root and verify: $(printf '%s\n' "$modules" | grep -vc '^example.com/consumer$') modules in its graph, $(cd "$tmp" && go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' . | grep -vc '^example.com/consumer$') non-standard packages linked"
if [ -n "$found" ]; then
  echo "check-consumer-graph: a consumer of root and verify gets KMS provider SDKs in its module graph:"
  printf '%s\n' "$found" | sed 's/^/  /'
  exit 1
fi
echo "  no KMS provider SDK (AWS, GCP, Azure, Vault) in it"

# Control: the examples module, which links the providers, has them.
control=$(cd examples && go mod graph | tr ' ' '\n' | sed 's/@.*//' | sort -u | grep -cE "$sdk" || true)
if [ "$control" -lt 4 ]; then
  echo "check-consumer-graph: control failed: the examples module's graph names $control KMS SDK modules, want at least 4 (the patterns are stale)"
  exit 1
fi
echo "  control: the examples module's graph names $control of them"
