#!/usr/bin/env bash
# Debian packages the benchmarks need: nginx (sendfile baseline) and wrk (load).
# Idempotent and quiet: does nothing when both are present. CI runs as root; else uses sudo.
set -euo pipefail
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null || missing+=(nginx-light)
((${#missing[@]})) || exit 0
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
# Installing nginx must not start a system-wide server: policy-rc.d exit 101 forbids it.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  $sudo sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d'
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
