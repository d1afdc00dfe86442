#!/usr/bin/env bash
# Makes a PostgreSQL server available for the tests and the benchmarks (a throwaway cluster is
# started from it by scripts/pg-cluster.mjs; nothing here starts a server): installs Debian's
# `postgresql` package with apt-get only when no server binaries are found (apt-get update only
# then). Idempotent; prints the directory holding initdb, pg_ctl and postgres.
# Usage: bash scripts/setup-postgres.sh
set -euo pipefail

find_bin() {
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then echo "$dir"; fi
  done | sort -V | tail -1
}

bin="$(find_bin)"
if [ -n "$bin" ]; then
  echo "$bin"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "setup-postgres: need root (or sudo) to apt-get install postgresql" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# Other setup scripts may run apt-get at the same time: wait for dpkg's lock rather than fail.
APT=(-o DPkg::Lock::Timeout=300 -qq)
echo "setup-postgres: installing postgresql" >&2
for attempt in 1 2 3; do
  if "${SUDO[@]}" apt-get "${APT[@]}" update; then break; fi
  [ "$attempt" -eq 3 ] && exit 1
  sleep 5
done
# The package's own cluster (if its postinst creates one) is not used: tests start their own.
"${SUDO[@]}" apt-get "${APT[@]}" install -y --no-install-recommends postgresql postgresql-contrib >&2
bin="$(find_bin)"
if [ -z "$bin" ]; then
  echo "setup-postgres: postgresql installed but no initdb/pg_ctl/postgres under /usr/lib/postgresql/*/bin" >&2
  exit 1
fi
echo "$bin"
