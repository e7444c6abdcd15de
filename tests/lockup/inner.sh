#!/bin/sh
# shellcheck shell=sh
# tests/lockup/run.sh, inside the emulated host (busybox sh): RUNS rounds,
# each a tinyvmm and then a QEMU (-accel kvm, the control) 2-vCPU guest in
# guest-test.mode=net on tap0 (Tier 1B for both), with tinyvmm-netpeer
# verifying the transfers. After every run the host's kernel log is
# searched for the hard-lockup detector, soft lockups and RCU stalls.
# Prints one "lockup: VMM ROUND rc=N net=ok|FAIL SECS dmesg=none|WHAT"
# line per run and a "lockup-summary:" line per VMM.
set -u
RUNS=$1 BYTES=${2:-2097152}
SHARE=$(pwd)
cp "$SHARE/guest-test.cpio.gz" /tmp/initrd.gz || exit 1
cp "$TINYVMM_GUEST_KERNEL" /tmp/Image || exit 1
cp -r "$SHARE/qemu" /tmp/qemu || exit 1
QLD=/tmp/qemu/lib/ld-linux-aarch64.so.1
now_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
echo "lockup: host $(uname -r), $(nproc) CPUs"
tinyvmm tap create tap0 --address 169.254.0.1/16 >/dev/null || exit 1
LIMIT=240
GOPTS="quiet guest-test.mode=net guest-test.bytes=$BYTES"

run_one() {
  vmm=$1 round=$2 base=/tmp/lockup-$1-$2
  dmesg -c >/dev/null 2>&1
  tinyvmm-netpeer serve 169.254.0.1 "$BYTES" $((LIMIT - 20)) >"$base.peer" 2>&1 &
  peer=$!
  t0=$(now_cs)
  if [ "$vmm" = tinyvmm ]; then
    timeout $LIMIT tinyvmm --kernel /tmp/Image --initrd /tmp/initrd.gz --mem 256 --cpus 2 \
      --tap tap0 --timeout $((LIMIT - 20)) --cmdline "console=ttyS0 $GOPTS" \
      >"$base.out" 2>"$base.err" </dev/null
  else
    timeout $LIMIT "$QLD" --library-path /tmp/qemu/lib /tmp/qemu/qemu-system-aarch64 \
      -M virt -accel kvm -cpu host -smp 2 -m 256 -kernel /tmp/Image -initrd /tmp/initrd.gz \
      -append "console=ttyAMA0 $GOPTS" -nographic -nodefaults -serial stdio -no-reboot \
      -netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=on \
      -device virtio-net-device,netdev=n0 >"$base.out" 2>"$base.err" </dev/null
  fi
  rc=$?
  t1=$(now_cs)
  # The peer finishes soon after the guest; a failed guest leaves it waiting.
  i=0
  while [ $i -lt 20 ] && kill -0 "$peer" 2>/dev/null; do
    sleep 0.5
    i=$((i + 1))
  done
  kill "$peer" 2>/dev/null
  wait "$peer"
  prc=$?
  net=FAIL
  grep -q 'guest-test: net ok' "$base.out" && [ "$prc" = 0 ] && net=ok
  what=$(dmesg | grep -i -E 'hard LOCKUP|soft lockup|rcu.*stall' | head -n1 | cut -c1-120)
  echo "lockup: $vmm $round rc=$rc net=$net $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 100 }')s dmesg=${what:-none}"
  if [ "$net" != ok ]; then
    echo "  --- $vmm $round console (last lines):"
    tail -n 8 "$base.out" | sed 's/^/  | /'
    tail -n 4 "$base.err" | sed 's/^/  | /'
  fi
  [ -n "$what" ] && dmesg | tail -n 40 | sed 's/^/  dmesg| /'
  [ "$net" = ok ]
}

tv_ok=0 q_ok=0
for r in $(seq 1 "$RUNS"); do
  run_one tinyvmm "$r" && tv_ok=$((tv_ok + 1))
  run_one qemu "$r" && q_ok=$((q_ok + 1))
done
echo "lockup-summary: tinyvmm $tv_ok of $RUNS verified, qemu $q_ok of $RUNS verified on $(uname -r)"
