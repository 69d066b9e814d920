#!/usr/bin/env bash
# The upgrade a user makes: install the chart of the previous release tag (taken from git, with
# that tag's deploy/values-kind.yaml), so that deploy/kind/e2e.sh then upgrades it in place to this
# commit's chart and runs `helm test`. Both use this commit's image (IMAGE, loaded into kind): what
# changes between releases that can break an upgrade is the chart's objects (selectors, immutable
# fields, hooks). Without an earlier tag it says so and does nothing.
# Env: IMAGE, RELEASE, NAMESPACE as for e2e.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
image="${IMAGE:-localhost/bucketport:dev}"
release="${RELEASE:-bucketport}"
namespace="${NAMESPACE:-bucketport}"

current=$(git -C "$root" tag --points-at HEAD --list 'v*.*.*')
previous=$(git -C "$root" tag --merged HEAD --list 'v*.*.*' --sort=-v:refname |
  grep -vxF -e "${current:-none}" | head -n 1 || true)
if [[ -z $previous ]]; then
  echo "upgrade-from-previous: no earlier release tag; nothing to upgrade from"
  exit 0
fi

helm="$("$root/deploy/bin/ensure-tools" --which helm)"
kubectl="$("$root/deploy/bin/ensure-tools" --which kubectl)"
old=$(mktemp -d)
trap 'rm -rf "$old"' EXIT
git -C "$root" archive "$previous" helm deploy/values-kind.yaml | tar -x -C "$old"
chart=$(find "$old/helm" -mindepth 1 -maxdepth 1 -type d | head -n 1)

echo "upgrade-from-previous: installing the chart of $previous, then e2e.sh upgrades it"
"$kubectl" create namespace "$namespace" --dry-run=client -o yaml | "$kubectl" apply -f - >/dev/null
"$kubectl" label namespace "$namespace" --overwrite \
  pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/warn=restricted >/dev/null
"$helm" install "$release" "$chart" --namespace "$namespace" \
  --values "$old/deploy/values-kind.yaml" \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" \
  --wait --timeout 5m
