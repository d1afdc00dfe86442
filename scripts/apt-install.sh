#!/usr/bin/env bash
# Makes commands available by installing the Debian packages that ship them, with apt-get, only
# for those missing (apt-get update only then). Idempotent; prints each command's path.
# Usage: bash scripts/apt-install.sh <command>[=<package>]...   e.g. jq curl promtool=prometheus
# Needs root or sudo when something is missing. Waits for dpkg's lock when another setup script
# (scripts/setup-firmware.sh) runs apt-get at the same time, rather than failing on it.
set -euo pipefail

missing=()
for spec in "$@"; do
  cmd=${spec%%=*}
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${spec#*=}")
done

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
      echo "apt-install: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  APT=(-o DPkg::Lock::Timeout=300 -qq)
  echo "apt-install: installing ${missing[*]}" >&2
  for attempt in 1 2 3; do
    if "${SUDO[@]}" apt-get "${APT[@]}" update; then break; fi
    [ "$attempt" -eq 3 ] && exit 1
    sleep 5
  done
  "${SUDO[@]}" apt-get "${APT[@]}" install -y --no-install-recommends "${missing[@]}" >&2
fi

for spec in "$@"; do
  command -v "${spec%%=*}" || { echo "apt-install: ${spec%%=*} still missing after installing ${spec#*=}" >&2; exit 1; }
done
