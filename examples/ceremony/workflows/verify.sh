#!/usr/bin/env bash
# Verifies the whole ceremony repository against the announced first root,
# never against the copy under review: the root's SHA-256 comes from the
# workflow's configuration (a repository variable that pull requests cannot
# change), and the file is accepted only if it has that hash.
#
# Environment:
#   TRUSTED_ROOT_SHA256  SHA-256 of the announced root (required)
#   TRUSTED_ROOT         where that root is: a file, or an https:// URL;
#                        default: repository/1.root.json of the checkout
#   CEREMONY_DIR         the ceremony repository, default "."
set -euo pipefail

dir=${CEREMONY_DIR:-.}
want=${TRUSTED_ROOT_SHA256:-}
want=$(printf '%s' "$want" | tr 'A-F' 'a-f')
if ! [[ $want =~ ^[0-9a-f]{64}$ ]]; then
  echo "verify: set TRUSTED_ROOT_SHA256 to the SHA-256 of the announced root (a repository variable)" >&2
  exit 2
fi
src=${TRUSTED_ROOT:-$dir/repository/1.root.json}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trusted="$tmp/trusted.root.json"
case "$src" in
  https://*) curl -fsSL --proto '=https' --max-filesize 524288 -o "$trusted" "$src" ;;
  *) cp "$src" "$trusted" ;;
esac
got=$(sha256sum "$trusted" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "verify: $src has SHA-256 $got, not the announced $want; refusing to trust it" >&2
  exit 1
fi
echo "verify: trusting $src (SHA-256 $got, as announced)"
ceremony verify -C "$dir" -trusted "$trusted"
