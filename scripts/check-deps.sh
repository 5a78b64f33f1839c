#!/usr/bin/env bash
# The import rules a consumer relies on, checked on the linked package
# graph (go list -deps), and the dependency counts the README quotes.
#
# Fails when
#   - root, repository, verify or verify/client link sigstore's KMS registry
#     (.../signature/kms) or os/exec, which the registry's plugin runner
#     needs: a verifier must never be able to start a program;
#   - signer, attestation, root, repository or verify link anything outside
#     the standard library and this module: what a service imports to
#     verify pulls in no third-party code.
# Prints, for ./verify, ./root, ./repository and go-tuf's metadata package
# (the yardstick), how many packages outside the standard library each
# links, the package itself included.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
# The library's own module graph, as a consumer builds it: not the
# workspace (go.work), whose build list the examples' KMS SDKs raise.
export GOWORK=off

module=$(go list -m)
fail=0

deps() { go list -deps "$@"; }
nonstd() { go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$@"; }

for pkg in ./root ./repository ./verify ./verify/client; do
  bad=$(deps "$pkg" | grep -E '^os/exec$|/signature/kms(/|$)' || true)
  if [ -n "$bad" ]; then
    echo "check-deps: $pkg links what a verifier must not (KMS registry or a program runner):"
    echo "$bad" | sed 's/^/  /'
    fail=1
  fi
done

for pkg in ./signer ./attestation ./root ./repository ./verify; do
  bad=$(nonstd "$pkg" | grep -v "^${module}/" || true)
  if [ -n "$bad" ]; then
    echo "check-deps: $pkg must use the standard library only, but links:"
    echo "$bad" | sed 's/^/  /'
    fail=1
  fi
done

echo "non-standard packages linked (go list -deps, the package itself included):"
for pkg in ./verify ./root ./repository github.com/theupdateframework/go-tuf/v2/metadata; do
  if n=$(nonstd "$pkg" 2>/dev/null | wc -l); then
    printf '  %-50s %4d\n' "$pkg" "$n"
  else
    printf '  %-50s %4s\n' "$pkg" "n/a (not in the module graph)"
  fi
done

exit "$fail"
