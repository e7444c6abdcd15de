#!/usr/bin/env bash
# Issue 18 item 7: does tinyvmm hang 6.12 hosts? RUNS rounds in ONE emulated
# host booted with a 6.12 4K kernel, each a tinyvmm and a QEMU -accel kvm
# (the control) 2-vCPU guest moving verified data over vhost-net, the host's
# dmesg searched for lockup and stall reports after each (tests/lockup/inner.sh).
# The host's raw console (its own watchdog lines included) is kept in
# build/lockup/console.log.
#
# usage: tests/lockup/run.sh [RUNS] [HOST-KERNEL-PACKAGE]
#   default: 8 rounds, linux-image-6.12.117+deb12-arm64-unsigned
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/bench-qemu.sh
. "$ROOT/scripts/lib/bench-qemu.sh"
RUNS=${1:-8}
PKG=${2:-linux-image-6.12.117+deb12-arm64-unsigned}
DIR=$TVM_BUILD/lockup
rm -rf "$DIR" && mkdir -p "$DIR"
bench_qemu_fetch
bench_qemu_stage "$DIR/qemu"
cp "$TVM_BUILD/guest-test.cpio.gz" "$ROOT/tests/lockup/inner.sh" "$DIR/"
EMUHOST_LOG=$DIR/console.log "$ROOT/scripts/emuhost" --host-kernel "$PKG" --gic 3 --cpus 2 \
  --timeout $((RUNS * 600 + 300)) --share "$DIR" -- sh /mnt/share/inner.sh "$RUNS" |
  tee "$DIR/lockup.log"
grep -i -e 'LOCKUP' -e 'soft lockup' -e 'rcu.*stall' "$DIR/console.log" | head -n 5 || true
