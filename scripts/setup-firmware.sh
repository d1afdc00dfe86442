#!/usr/bin/env bash
# Builds and tests the device firmware's portable C core on the host (firmware/host):
#   1. installs the Debian packages it needs (cmake gcc make libc6-dev libmbedtls-dev
#      libcjson-dev) with apt-get, only those that are missing (apt-get update only then);
#   2. configures + builds firmware/host/build (core + unit tests under ASan/UBSan, the device
#      simulator fleetgate-sim, the codec benchmark);
#   3. runs the unit tests with ctest.
# Idempotent: a second run only rebuilds what changed. Concurrent runs on the same build dir
# (the test runner runs tests/firmware/c-unit.test.ts and e2e.test.ts side by side) take turns:
# each holds an exclusive flock on "<build dir>.lock" for its whole run. Called by those tests
# (so `npm test` covers the C tests and the simulator) and usable by hand:
#   bash scripts/setup-firmware.sh            # install if needed, build, test
#   bash scripts/setup-firmware.sh --no-test  # install if needed, build
#   bash scripts/setup-firmware.sh --clean    # start from an empty build dir
# Env: FG_BUILD_DIR (default firmware/host/build), FG_JOBS (default: nproc).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${FG_BUILD_DIR:-$ROOT/firmware/host/build}"
JOBS="${FG_JOBS:-$(nproc 2>/dev/null || echo 2)}"
RUN_TESTS=1
CLEAN=0
for arg in "$@"; do
  case "$arg" in
    --no-test) RUN_TESTS=0 ;;
    --clean) CLEAN=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "setup-firmware: unknown option $arg" >&2; exit 2 ;;
  esac
done

# One run at a time per build dir: cmake/make in the same tree twice at once corrupts it.
if command -v flock >/dev/null 2>&1; then
  mkdir -p "$(dirname "$BUILD")"
  exec 9>"$BUILD.lock"
  if ! flock -n 9; then
    echo "setup-firmware: waiting for another build of $BUILD"
    flock 9
  fi
fi

PKGS=(cmake gcc make libc6-dev libmbedtls-dev libcjson-dev)
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1 || ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-firmware: installing ${missing[*]}"
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
      echo "setup-firmware: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$CLEAN" -eq 1 ]; then rm -rf "$BUILD"; fi
start=$(date +%s)
cmake -S "$ROOT/firmware/host" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$BUILD" -j "$JOBS"
echo "setup-firmware: build took $(( $(date +%s) - start ))s"

if [ "$RUN_TESTS" -eq 1 ]; then
  ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS"
fi
