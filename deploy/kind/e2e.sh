#!/usr/bin/env bash
# Install the chart with deploy/values-kind.yaml on the cluster kubectl points at (the GitHub
# Actions kind job), wait for it, and run `helm test` (the image's own smoke round trip).
# The namespace enforces the restricted Pod Security Standard, so the chart must meet it.
# Env: IMAGE, or IMAGE_REPOSITORY and IMAGE_TAG (default localhost/bucketport:dev; load it into the
#      nodes first: kind load docker-image "$IMAGE"), RELEASE and NAMESPACE (default bucketport),
#      HELM_ARGS (more flags for helm upgrade), CHART and VALUES (default this commit's chart and
#      deploy/values-kind.yaml). Idempotent: reruns upgrade the release in place.
# The chart makes no token: a random one goes in through a values file (not the command line);
# a rerun brings a new one, which rolls the pods (checksum/secret) like a real rotation does.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
image="${IMAGE:-${IMAGE_REPOSITORY:-localhost/bucketport}:${IMAGE_TAG:-dev}}"
release="${RELEASE:-bucketport}"
namespace="${NAMESPACE:-bucketport}"
chart="${CHART:-$root/helm/bucketport}"
values="${VALUES:-$root/deploy/values-kind.yaml}"

"$root/deploy/bin/ensure-tools" helm kubectl
helm="$(command -v helm || echo "$root/.tools/helm/helm")"
kubectl="$(command -v kubectl || echo "$root/.tools/kubectl/kubectl")"

diagnose() {
  echo "e2e: failed; state of namespace $namespace:" >&2
  "$kubectl" -n "$namespace" get all,events >&2 || true
  "$kubectl" -n "$namespace" describe pods >&2 || true
  "$kubectl" -n "$namespace" logs --all-containers --prefix -l "app.kubernetes.io/instance=$release" --tail=200 >&2 || true
}
trap diagnose ERR

auth_values="$(mktemp)"
trap 'rm -f "$auth_values"' EXIT
token="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
printf 'auth:\n  tokens:\n    - {name: e2e, token: "%s", scopes: [read, write]}\n' "$token" >"$auth_values"

"$kubectl" create namespace "$namespace" --dry-run=client -o yaml | "$kubectl" apply -f - >/dev/null
"$kubectl" label namespace "$namespace" --overwrite \
  pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/warn=restricted >/dev/null

# shellcheck disable=SC2086 # HELM_ARGS is a list of flags
"$helm" upgrade --install "$release" "$chart" --namespace "$namespace" \
  --values "$values" --values "$auth_values" \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" \
  --wait --timeout 5m ${HELM_ARGS:-}
"$helm" test "$release" --namespace "$namespace" --logs --timeout 5m
