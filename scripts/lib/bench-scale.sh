#!/bin/sh
# shellcheck shell=sh
# scripts/bench --scale, inside the emulated host (busybox sh): start-up
# time and VMM memory against guest RAM and vCPUs, tinyvmm and QEMU.
#
# usage: sh bench-scale.sh "MEMS" "CPUS"   (MiB list, vCPU list)
#
# Per VMM, guest RAM (vCPUs 2) and vCPUs (RAM 256 MiB): boot the guest-test
# initramfs in guest-test.mode=hang, time the VMM start to the guest's
# first line, then read the VMM's memory (VmRSS minus the resident part of
# the guest-RAM mapping, as bench-host.sh does) and stop it. Prints one
# "scale VMM MEM CPUS start_s own_mib hwm_mib" line per boot.
set -u
MEMS=$1 CPUS_LIST=$2
SHARE=$(pwd)
cp "$SHARE/guest-test.cpio.gz" /tmp/initrd.gz || exit 1
cp "$TINYVMM_GUEST_KERNEL" /tmp/Image || exit 1
QEMU=''
if [ -x "$SHARE/qemu/qemu-system-aarch64" ]; then
  cp -r "$SHARE/qemu" /tmp/qemu || exit 1
  QEMU=/tmp/qemu
fi
now_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }

# boot VMM MEM CPUS
boot() {
  vmm=$1 mem=$2 cpus=$3 fifo=/tmp/scale.fifo
  rm -f "$fifo" && mkfifo "$fifo"
  opts="quiet guest-test.mode=hang"
  t0=$(now_cs)
  if [ "$vmm" = tinyvmm ]; then
    timeout 300 tinyvmm --kernel /tmp/Image --initrd /tmp/initrd.gz --mem "$mem" --cpus "$cpus" \
      --cmdline "console=ttyS0 $opts" >"$fifo" 2>/dev/null </dev/null &
  else
    timeout 300 "$QEMU/lib/ld-linux-aarch64.so.1" --library-path "$QEMU/lib" "$QEMU/qemu-system-aarch64" \
      -M virt -accel kvm -cpu host -smp "$cpus" -m "$mem" -kernel /tmp/Image -initrd /tmp/initrd.gz \
      -append "console=ttyAMA0 $opts" -nographic -nodefaults -serial stdio -no-reboot \
      >"$fifo" 2>/dev/null </dev/null &
  fi
  pid=$! start=''
  while IFS= read -r line; do
    case $line in
      *"guest-test: started"*) start=$(now_cs); break ;;
    esac
  done <"$fifo"
  # The guest is in userspace and stays idle: its RAM use has settled.
  sleep 2
  own=$(awk -v want=$((mem * 1024)) '
    /^Size:/ { size = $2; next }
    /^Rss:/ { total += $2; if (size >= want && $2 >= rss) rss = $2 }
    END { printf "%.1f\n", (total - rss) / 1024 }' "/proc/$pid/smaps" 2>/dev/null)
  hwm=$(awk '/^VmHWM:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null)
  kill "$pid" 2>/dev/null
  cat "$fifo" >/dev/null 2>&1 &
  wait "$pid" 2>/dev/null
  rm -f "$fifo"
  if [ -n "$start" ]; then
    echo "scale $vmm $mem $cpus $(awk -v a="$t0" -v b="$start" 'BEGIN { printf "%.2f", (b - a) / 100 }') ${own:-?} ${hwm:-?}"
  else
    echo "scale $vmm $mem $cpus failed - -"
  fi
}

for vmm in tinyvmm ${QEMU:+qemu}; do
  for m in $MEMS; do boot "$vmm" "$m" 2; done
  for c in $CPUS_LIST; do boot "$vmm" 256 "$c"; done
done
echo "bench-scale: finished"
