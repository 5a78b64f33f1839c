#!/usr/bin/env bash
# Fetches the real Sigstore files the tests read (root chains, YubiKey
# attestation certificates, and the production repository as git holds it
# and as its CDN serves it) from their public source, sigstore/root-signing
# and sigstore/root-signing-staging on GitHub at pinned commits, checks each
# against the SHA-256 pinned in scripts/fetch-testdata.list, and installs
# them in testdata/shared/ (git-ignored), laid out like ../shared/testdata.
# Nothing is installed unless every file matches its hash.
#
# Usage: scripts/fetch-testdata.sh [-o DIR]
#
#   -o DIR   install into DIR instead of testdata/shared
#
# TRUSTROOT_TESTDATA_BASE_URL replaces https://raw.githubusercontent.com: a
# mirror laid out as OWNER/REPO/COMMIT/PATH (file:///... works too).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
list="$here/fetch-testdata.list"
out="$(cd "$here/.." && pwd)/testdata/shared"
base=${TRUSTROOT_TESTDATA_BASE_URL:-https://raw.githubusercontent.com}
base=${base%/}

die() { echo "fetch-testdata: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    -o) [ $# -ge 2 ] || die "-o needs a directory"; out=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (usage: scripts/fetch-testdata.sh [-o DIR])" ;;
  esac
done

command -v curl >/dev/null || die "curl is required"
if command -v sha256sum >/dev/null; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  die "sha256sum or shasum is required"
fi
[ -f "$list" ] || die "missing $list"

# Read and check the list: SHA256 DEST OWNER/REPO COMMIT PATH[#CONST].
sums=() dests=() repos=() commits=() paths=() tops=()
n=0
while read -r sum dest repo commit path extra; do
  n=$((n + 1))
  case "$sum" in ''|'#'*) continue ;; esac
  if [ -n "${extra:-}" ] || [ -z "${path:-}" ]; then die "$list line $n: want SHA256 DEST OWNER/REPO COMMIT PATH"; fi
  [[ $sum =~ ^[0-9a-f]{64}$ ]] || die "$list line $n: bad SHA-256 $sum"
  [[ $commit =~ ^[0-9a-f]{40}$ ]] || die "$list line $n: bad commit $commit"
  [[ $repo =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || die "$list line $n: bad repository $repo"
  [[ $dest =~ ^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$ && $dest != *..* ]] || die "$list line $n: bad destination $dest"
  sums+=("$sum") dests+=("$dest") repos+=("$repo") commits+=("$commit") paths+=("$path")
  top=${dest%%/*}
  case " ${tops[*]:-} " in *" $top "*) ;; *) tops+=("$top") ;; esac
done < "$list"
[ ${#sums[@]} -gt 0 ] || die "$list lists no files"

# Already installed and intact: nothing to do.
intact=1
for i in "${!dests[@]}"; do
  f="$out/${dests[$i]}"
  if [ ! -f "$f" ] || [ "$(sha256 "$f")" != "${sums[$i]}" ]; then intact=0; break; fi
done
if [ $intact = 1 ]; then
  echo "fetch-testdata: all ${#dests[@]} files present and verified in $out"
  exit 0
fi

mkdir -p "$out"
tmp=$(mktemp -d "$out/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# goconst NAME FILE: the Go raw-string constant NAME in FILE, with a final
# newline (the form the PEM files are kept in).
goconst() {
  sed -n "/^const $1 = \`/,/\`\$/p" "$2" | sed -e "1s/^const $1 = \`//" -e '$s/`$//'
}

echo "fetch-testdata: fetching ${#dests[@]} files from $base"
bad=()
for i in "${!dests[@]}"; do
  path=${paths[$i]} name=""
  case "$path" in *'#'*) name=${path#*#}; path=${path%%#*} ;; esac
  url="$base/${repos[$i]}/${commits[$i]}/$path"
  dst="$tmp/${dests[$i]}"
  mkdir -p "$(dirname "$dst")"
  if ! curl -fsSL --proto '=https,file' --proto-redir '=https' --max-filesize 4194304 --retry 2 -o "$dst.download" "$url"; then
    die "${dests[$i]}: could not fetch $url"
  fi
  if [ -n "$name" ]; then
    goconst "$name" "$dst.download" > "$dst"
    rm -f "$dst.download"
  else
    mv "$dst.download" "$dst"
  fi
  got=$(sha256 "$dst")
  if [ "$got" != "${sums[$i]}" ]; then
    bad+=("${dests[$i]}: SHA-256 $got, want ${sums[$i]} (from $url)")
  fi
done
if [ ${#bad[@]} -gt 0 ]; then
  printf 'fetch-testdata: %s\n' "${bad[@]}" >&2
  die "${#bad[@]} of ${#dests[@]} files do not match their pinned SHA-256; nothing installed"
fi

# Every file verified: swap each top-level directory in whole.
for top in "${tops[@]}"; do
  rm -rf "$out/.old-$top"
  if [ -e "$out/$top" ]; then mv "$out/$top" "$out/.old-$top"; fi
  mv "$tmp/$top" "$out/$top"
  rm -rf "$out/.old-$top"
done
echo "fetch-testdata: ${#dests[@]} files verified and installed in $out"
