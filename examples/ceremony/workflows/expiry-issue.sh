#!/usr/bin/env bash
# The root expiry reminder: ceremony expiry exits non-zero when the root
# expires within its signing period. Then this opens ONE issue (label
# root-expiry), or updates the one that is open, with what the tool said;
# when the root is fine again it closes that issue.
#
# Environment:
#   GH_REPO, GH_TOKEN  the repository, and a token that may write issues
#   CEREMONY_DIR       the ceremony repository, default "."
#   EXPIRY_LABEL       default root-expiry
#   BOT_LOGIN          the issue author to look for, default github-actions[bot]
set -euo pipefail

dir=${CEREMONY_DIR:-.}
label=${EXPIRY_LABEL:-root-expiry}
bot=${BOT_LOGIN:-github-actions[bot]}
: "${GH_REPO:?GH_REPO is required}"

status=0
out=$(ceremony expiry -C "$dir" 2>&1) || status=$?
printf '%s\n' "$out"

open=$(gh api --paginate "repos/$GH_REPO/issues?state=open&labels=$label" \
  --jq ".[] | select(.user.login == \"$bot\" and (.pull_request | not)) | .number")
open=${open%%$'\n'*}

if [ "$status" -eq 0 ]; then
  if [ -n "$open" ]; then
    gh api -X POST "repos/$GH_REPO/issues/$open/comments" -f "body=The root no longer expires within its signing period: closing." > /dev/null
    gh api -X PATCH "repos/$GH_REPO/issues/$open" -f state=closed > /dev/null
    echo "expiry-issue: closed #$open"
  fi
  exit 0
fi

body=$(mktemp)
trap 'rm -f "$body"' EXIT
{
  echo "The root of trust expires within its signing period: it is time to stage the next root and gather the keyholders' signatures."
  echo
  echo '```'
  printf '%s\n' "$out"
  echo '```'
  echo
  echo "Next: \`ceremony stage -expires-days N\` in a pull request, then each keyholder runs \`ceremony sign\`."
  echo
  echo "<sub>Checked by the ceremony-online workflow at $(date -u +%Y-%m-%dT%H:%M:%SZ).</sub>"
} > "$body"
if [ -n "$open" ]; then
  gh api -X PATCH "repos/$GH_REPO/issues/$open" -F "body=@$body" > /dev/null
  echo "expiry-issue: updated #$open"
else
  gh api -X POST "repos/$GH_REPO/issues" -f "title=The root expires soon: time for a signing ceremony" \
    -F "body=@$body" -f "labels[]=$label" > /dev/null
  echo "expiry-issue: opened an issue"
fi
