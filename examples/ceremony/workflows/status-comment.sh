#!/usr/bin/env bash
# Shows the staged root's signing status (ceremony status -format markdown)
# on a pull request: in the job summary, and as ONE comment on the pull
# request that later runs edit in place. The comment is found by a hidden
# marker and must have been written by the workflow's own bot account.
#
# Environment:
#   PR_NUMBER   the pull request (github.event.pull_request.number)
#   GH_REPO     owner/name (github.repository)
#   GH_TOKEN    a token that may write pull-request comments
#   COMMENT     "false" to write the job summary only (fork pull requests,
#               whose token cannot comment); default "true"
#   CEREMONY_DIR  the ceremony repository, default "."
#   BOT_LOGIN   the comment author to look for, default github-actions[bot]
set -euo pipefail

dir=${CEREMONY_DIR:-.}
marker='<!-- trustroot-ceremony-status -->'
bot=${BOT_LOGIN:-github-actions[bot]}

body=$(mktemp)
trap 'rm -f "$body"' EXIT
status=0
{
  echo "$marker"
  if [ -e "$dir/staged/root.json" ]; then
    if ! out=$(ceremony status -C "$dir" -format markdown 2>&1); then
      status=1
      fence='```'
      printf '### ❌ ceremony status failed\n\n%s\n%s\n%s\n' "$fence" "$out" "$fence"
    else
      printf '%s\n' "$out"
    fi
  else
    echo "### No root is staged"
    echo
    echo "This pull request changes keys or staged files, but \`staged/root.json\` does not exist."
    if [ -d "$dir/keys" ]; then
      echo
      printf 'Enrolled keyholders: %s.\n' "$(find "$dir/keys" -maxdepth 1 -name '*.json' -exec basename {} .json \; | sort | paste -sd, - | sed 's/,/, /g')"
    fi
  fi
  echo
  echo "<sub>Updated by the ceremony-status workflow for ${GITHUB_SHA:-this commit}.</sub>"
} > "$body"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$body" >> "$GITHUB_STEP_SUMMARY"
fi
cat "$body"

if [ "${COMMENT:-true}" = "true" ]; then
  : "${PR_NUMBER:?PR_NUMBER is required}" "${GH_REPO:?GH_REPO is required}"
  id=$(gh api --paginate "repos/$GH_REPO/issues/$PR_NUMBER/comments" \
    --jq ".[] | select(.user.login == \"$bot\" and (.body | contains(\"$marker\"))) | .id")
  id=${id%%$'\n'*}
  if [ -n "$id" ]; then
    gh api -X PATCH "repos/$GH_REPO/issues/comments/$id" -F "body=@$body" > /dev/null
    echo "status-comment: updated comment $id on #$PR_NUMBER"
  else
    gh api -X POST "repos/$GH_REPO/issues/$PR_NUMBER/comments" -F "body=@$body" > /dev/null
    echo "status-comment: commented on #$PR_NUMBER"
  fi
fi
exit "$status"
