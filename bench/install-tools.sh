#!/usr/bin/env bash
# What the benchmarks need: Debian nginx (sendfile baseline), wrk (load) and rclone (sync peer),
# and the AWS CLI from PyPI (sync peer) in a venv of its own under .tools/awscli (it pins its own
# botocore, which must not meet the project's). Idempotent and quiet: skips what is present.
# CI runs as root; else uses sudo.
set -euo pipefail
tools="$(cd "$(dirname "$0")/.." && pwd)/.tools"
if [[ ! -x $tools/awscli/bin/aws ]]; then
  python3 -m venv "$tools/awscli"
  "$tools/awscli/bin/pip" install --quiet --disable-pip-version-check awscli
fi
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v rclone >/dev/null || missing+=(rclone)
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
