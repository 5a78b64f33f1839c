#!/usr/bin/env bash
# The scheduled online refresh: re-signs timestamp, snapshot and targets
# with the online (KMS) keys when they expire soon (ceremony refresh),
# verifies the result against the announced root, commits and pushes it,
# and asks the Pages workflow to publish it (a push made with the
# workflow's token starts no workflow by itself; a workflow_dispatch does).
#
# Environment:
#   CEREMONY_DIR           the ceremony repository, default "."
#   CEREMONY_REFRESH_ARGS  extra arguments for ceremony refresh
#   TRUSTED_ROOT_SHA256    as for verify.sh (required)
#   PAGES_WORKFLOW         the Pages workflow file to start, default
#                          ceremony-pages.yml; "" to start none
#   GH_TOKEN, GH_REPO      for gh workflow run
#   GITHUB_OUTPUT          receives changed=true|false
set -euo pipefail

dir=${CEREMONY_DIR:-.}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2086 # CEREMONY_REFRESH_ARGS is a list of words
ceremony refresh -C "$dir" ${CEREMONY_REFRESH_ARGS:-}

changed=false
if [ -n "$(git -C "$dir" status --porcelain -- repository)" ]; then
  changed=true
fi
echo "changed=$changed" >> "${GITHUB_OUTPUT:-/dev/null}"
if [ "$changed" = false ]; then
  echo "refresh: nothing to re-sign"
  exit 0
fi

CEREMONY_DIR=$dir "$here/verify.sh"

git -C "$dir" config user.name "github-actions[bot]"
git -C "$dir" config user.email "41898282+github-actions[bot]@users.noreply.github.com"
git -C "$dir" add -A repository
git -C "$dir" commit -q -m "repository: online refresh of timestamp, snapshot and targets"
git -C "$dir" push -q origin "HEAD:${GITHUB_REF_NAME:-main}"
echo "refresh: pushed $(git -C "$dir" rev-parse --short HEAD)"

pages=${PAGES_WORKFLOW-ceremony-pages.yml}
if [ -n "$pages" ]; then
  gh workflow run "$pages" --ref "${GITHUB_REF_NAME:-main}"
  echo "refresh: started $pages"
fi
