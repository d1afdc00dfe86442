#!/bin/sh
# Offline smoke test of fleetgate-sim: boot, provisioning, status, reboot (boot epoch/boot id
# logic is exercised when a nonce is taken; here: slot/otadata and RAM emulation, usage errors).
set -eu
SIM="$1"
DIR=$(mktemp -d /tmp/fg-sim-XXXXXX)
trap 'rm -rf "$DIR"' EXIT
out=$("$SIM" --state-dir "$DIR" --device-id meter-1 \
  --key-hex 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f --fw-version 2.3.4 provision)
echo "$out"
echo "$out" | grep -q '"action":"boot","ok":true,"reset_reason":"poweron","firmware_version":"2.3.4"'
echo "$out" | grep -q '"action":"provision","ok":true,"device_id":"meter-1","key_stored":true'
out=$("$SIM" --state-dir "$DIR" status)
echo "$out"
echo "$out" | grep -q '"action":"status","ok":true,"device_id":"meter-1","provisioned":true'
! echo "$out" | grep -q '"action":"boot"'            # same boot: no new boot line
out=$("$SIM" --state-dir "$DIR" reboot --reason panic)
echo "$out"
echo "$out" | grep -q '"action":"reboot","ok":true,"reset_reason":"panic"'
out=$("$SIM" --state-dir "$DIR" status)
echo "$out" | grep -q '"reset_reason":"panic"'
# Samples that cannot be read are a usage error: a missing file (inside DIR, so surely absent), and
# a directory (fopen succeeds on one; its "size" once made the reader ask malloc for 2^63 bytes).
for samples in "$DIR/no-such-samples.json" "$DIR"; do
  set +e
  "$SIM" --state-dir "$DIR" upload --samples "$samples" >/dev/null 2>&1
  rc=$?
  set -e
  [ "$rc" -eq 2 ] || { echo "expected exit 2 for unreadable samples $samples, got $rc"; exit 1; }
done
echo "sim_offline: 1 passed, 0 failed"
