#!/usr/bin/env bash
# Makes `promtool` available for tests/observability/promtool.test.ts (`promtool check metrics`
# on the gateway's /metrics): installs Debian's `prometheus` package, which ships it, with apt-get,
# only when promtool is missing (apt-get update only then). Idempotent; prints promtool's path.
# The package also holds the Prometheus server, whose service is not started where there is no
# init system (containers, CI: invoke-rc.d blocks it); nothing here starts it.
# Usage: bash scripts/setup-prometheus.sh
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  command -v promtool
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "setup-prometheus: need root (or sudo) to apt-get install prometheus" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# Another setup script (scripts/setup-firmware.sh) may be running apt-get at the same time: wait for
# dpkg's lock rather than fail on it.
APT=(-o DPkg::Lock::Timeout=300 -qq)
echo "setup-prometheus: installing prometheus (for promtool)" >&2
for attempt in 1 2 3; do
  if "${SUDO[@]}" apt-get "${APT[@]}" update; then break; fi
  [ "$attempt" -eq 3 ] && exit 1
  sleep 5
done
"${SUDO[@]}" apt-get "${APT[@]}" install -y --no-install-recommends prometheus >&2
command -v promtool
