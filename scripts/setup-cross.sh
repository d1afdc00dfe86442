#!/usr/bin/env bash
# Cross-compiles the firmware's portable core (firmware/components/fleetgate/src, without the
# ESP-IDF port) for the chips, and measures it:
#   1. installs the Debian toolchains if missing (apt-get): gcc-xtensa-lx106 with
#      picolibc-xtensa-lx106-elf (the ESP8266's Xtensa core: the closest ESP toolchain Debian
#      ships; ESP32 is an Xtensa LX6/LX7, built by ESP-IDF's own toolchain in CI), and
#      gcc-arm-none-eabi with libnewlib-arm-none-eabi (Cortex-M4), plus libmbedtls-dev for the
#      mbedTLS headers (used with the project's MBEDTLS_CONFIG_FILE, not Debian's config);
#   2. compiles every core module with -Os -Wall -Wextra -Werror -Wshadow for each target;
#   3. prints one JSON object: .text/.data/.bss per module and in total, per target (`size`).
# Usage: bash scripts/setup-cross.sh [--json FILE]      (build dir: firmware/host/build-cross)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${FG_CROSS_BUILD_DIR:-$ROOT/firmware/host/build-cross}"
OUT=""
if [ "${1:-}" = "--json" ]; then OUT="$2"; fi

PKGS=(gcc-xtensa-lx106 picolibc-xtensa-lx106-elf gcc-arm-none-eabi libnewlib-arm-none-eabi libmbedtls-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-cross: installing ${missing[*]}" >&2
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -n); fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq >&2
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

mkdir -p "$BUILD/include"
# mbedTLS headers only (no host libc headers may leak into a cross build)
rm -rf "$BUILD/include/mbedtls" && cp -r /usr/include/mbedtls "$BUILD/include/mbedtls"

FG="$ROOT/firmware/components/fleetgate"
COMMON=(-std=c99 -Os -Wall -Wextra -Werror -Wshadow -ffunction-sections -fdata-sections
        -I"$FG/include" -I"$FG/mbedtls" -I"$BUILD/include" "-DMBEDTLS_CONFIG_FILE=\"fg_mbedtls_config.h\"")
declare -A CC SIZE FLAGS
CC[xtensa]=xtensa-lx106-elf-gcc; SIZE[xtensa]=xtensa-lx106-elf-size
FLAGS[xtensa]="--specs=/usr/lib/xtensa-lx106-elf/picolibc.specs -mlongcalls"
CC[cortex-m4]=arm-none-eabi-gcc; SIZE[cortex-m4]=arm-none-eabi-size
FLAGS[cortex-m4]="-mcpu=cortex-m4 -mthumb -mfloat-abi=soft"

json="{"
first_target=1
for target in xtensa cortex-m4; do
  dir="$BUILD/$target"
  mkdir -p "$dir"
  # shellcheck disable=SC2206
  extra=(${FLAGS[$target]})
  pids=()
  for src in "$FG"/src/*.c; do
    "${CC[$target]}" "${extra[@]}" "${COMMON[@]}" -c "$src" -o "$dir/$(basename "$src" .c).o" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  [ "$first_target" -eq 1 ] || json+=","
  first_target=0
  json+="\"$target\":{\"compiler\":\"$(${CC[$target]} --version | head -1)\",\"modules\":{"
  tt=0; td=0; tb=0; first=1
  while read -r text data bss _ _ file; do
    [ "$first" -eq 1 ] || json+=","
    first=0
    json+="\"$(basename "$file" .o)\":{\"text\":$text,\"data\":$data,\"bss\":$bss}"
    tt=$((tt + text)); td=$((td + data)); tb=$((tb + bss))
  done < <("${SIZE[$target]}" "$dir"/*.o | tail -n +2)
  json+="},\"total\":{\"text\":$tt,\"data\":$td,\"bss\":$tb}}"
done
json+="}"
if [ -n "$OUT" ]; then echo "$json" > "$OUT"; else echo "$json"; fi
