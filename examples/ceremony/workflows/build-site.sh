#!/usr/bin/env bash
# Builds the GitHub Pages site: the published TUF repository (repository/,
# so clients fetch N.root.json, timestamp.json, ... from the site) and the
# ceremony page (index.html) beside it.
#
# Environment:
#   SITE_DIR      output directory, default _site (must not exist or be empty)
#   CEREMONY_DIR  the ceremony repository, default "."
#   TRUSTED_ROOT  optional: the announced root, to verify the page's chain from
set -euo pipefail

dir=${CEREMONY_DIR:-.}
site=${SITE_DIR:-_site}

if [ ! -f "$dir/repository/root.json" ]; then
  echo "build-site: $dir/repository/root.json does not exist; publish a root first" >&2
  exit 1
fi
if [ -e "$site" ] && [ -n "$(ls -A "$site")" ]; then
  echo "build-site: $site is not empty" >&2
  exit 1
fi
mkdir -p "$site"
# Regular files and directories only: the tool refuses symbolic links in a
# ceremony repository, and the site must not follow one either.
if [ -n "$(find "$dir/repository" ! -type f ! -type d -print -quit)" ]; then
  echo "build-site: $dir/repository holds something other than files and directories" >&2
  exit 1
fi
cp -R "$dir/repository/." "$site/"
touch "$site/.nojekyll"
args=(page -C "$dir" -out "$site")
if [ -n "${TRUSTED_ROOT:-}" ]; then
  args+=(-trusted "$TRUSTED_ROOT")
fi
ceremony "${args[@]}"
