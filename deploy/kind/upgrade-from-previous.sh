#!/usr/bin/env bash
# The upgrade a user makes: install (with e2e.sh, so `helm test` runs) the chart of the previous
# release tag, taken from git with that tag's deploy/values-kind.yaml; the next e2e.sh run upgrades
# it in place to this commit's chart. Both use this commit's image (IMAGE, loaded into kind): what
# changes between releases that can break an upgrade is the chart's objects (selectors, immutable
# fields, hooks). Without an earlier tag it says so and does nothing.
# Env: IMAGE, RELEASE, NAMESPACE as for e2e.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

current=$(git -C "$root" tag --points-at HEAD --list 'v*.*.*')
previous=$(git -C "$root" tag --merged HEAD --list 'v*.*.*' --sort=-v:refname |
  grep -vxF -e "${current:-none}" | head -n 1 || true)
if [[ -z $previous ]]; then
  echo "upgrade-from-previous: no earlier release tag; nothing to upgrade from"
  exit 0
fi

old=$(mktemp -d)
trap 'rm -rf "$old"' EXIT
git -C "$root" archive "$previous" helm deploy/values-kind.yaml | tar -x -C "$old"
chart=$(find "$old/helm" -mindepth 1 -maxdepth 1 -type d | head -n 1)

echo "upgrade-from-previous: installing the chart of $previous; the next e2e.sh upgrades it"
CHART="$chart" VALUES="$old/deploy/values-kind.yaml" "$root/deploy/kind/e2e.sh"
