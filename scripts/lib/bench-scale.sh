#!/bin/sh
# shellcheck shell=sh
# scripts/bench --scale, inside the emulated host (busybox sh): start-up
# time and VMM memory against guest RAM and vCPUs, tinyvmm and QEMU.
#
# usage: sh bench-scale.sh "MEMS" "CPUS" ["COUNTS"]
#        (MiB list, vCPU list, how many VMs at once: default "1 4 8")
#
# Per VMM, guest RAM (vCPUs 2) and vCPUs (RAM 256 MiB): boot the guest-test
# initramfs in guest-test.mode=hang, time the VMM start to the guest's
# first line, then read the VMM's memory (VmRSS minus the resident part of
# the guest-RAM mapping, as bench-host.sh does) and stop it. Prints one
# "scale VMM MEM CPUS start_s own_mib hwm_mib" line per boot. A second boot
# of each with earlycon (and not quiet) times the VMM start to the guest
# kernel's first line, which is the VMM's own start-up plus a few thousand
# guest instructions: "scale-first VMM MEM CPUS first_s". Then COUNTS VMs
# started at once, each on its own TAP: "scale-many VMM N last_s own_mib".
set -u
MEMS=$1 CPUS_LIST=$2 COUNTS=${3:-1 4 8}
SHARE=$(pwd)
cp "$SHARE/guest-test.cpio.gz" /tmp/initrd.gz || exit 1
cp "$TINYVMM_GUEST_KERNEL" /tmp/Image || exit 1
QEMU=''
if [ -x "$SHARE/qemu/qemu-system-aarch64" ]; then
  cp -r "$SHARE/qemu" /tmp/qemu || exit 1
  QEMU=/tmp/qemu
fi
now_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }

# launch VMM MEM CPUS OPTS OUT [TAP]: the VMM in the background, its
# console to OUT, on TAP when given (tinyvmm's default tier; QEMU
# vhost=on); pid in $pid.
launch() {
  if [ "$1" = tinyvmm ]; then
    timeout 300 tinyvmm --kernel /tmp/Image --initrd /tmp/initrd.gz --mem "$2" --cpus "$3" \
      ${6:+--tap "$6"} --cmdline "console=ttyS0 $4" >"$5" 2>/dev/null </dev/null &
  else
    timeout 300 "$QEMU/lib/ld-linux-aarch64.so.1" --library-path "$QEMU/lib" "$QEMU/qemu-system-aarch64" \
      -M virt -accel kvm -cpu host -smp "$3" -m "$2" -kernel /tmp/Image -initrd /tmp/initrd.gz \
      -append "console=ttyAMA0 $4" -nographic -nodefaults -serial stdio -no-reboot \
      ${6:+-netdev "tap,id=n0,ifname=$6,script=no,downscript=no,vhost=on" -device virtio-net-device,netdev=n0} \
      >"$5" 2>/dev/null </dev/null &
  fi
  pid=$!
}

# start_vmm VMM MEM CPUS OPTS: launch with the console to $fifo, start
# time in $t0.
start_vmm() {
  vmm=$1 mem=$2 cpus=$3 fifo=/tmp/scale.fifo
  rm -f "$fifo" && mkfifo "$fifo"
  t0=$(now_cs)
  launch "$vmm" "$mem" "$cpus" "$4" "$fifo"
}

# stop_vmm: kill it, drain its console, reap it.
stop_vmm() {
  kill "$pid" 2>/dev/null
  cat "$fifo" >/dev/null 2>&1 &
  wait "$pid" 2>/dev/null
  rm -f "$fifo"
}

# seconds from $t0 to the centisecond time $1
since_t0() { awk -v a="$t0" -v b="$1" 'BEGIN { printf "%.2f", (b - a) / 100 }'; }

# first_line VMM MEM CPUS: VMM start to the guest kernel's first earlycon
# line. The FIFO stays open on fd 3 until the VMM is gone (no SIGPIPE race).
first_line() {
  start_vmm "$1" "$2" "$3" "earlycon guest-test.mode=hang"
  exec 3<"$fifo"
  first=''
  IFS= read -r line <&3 && first=$(now_cs)
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  exec 3<&-
  rm -f "$fifo"
  echo "scale-first $1 $2 $3 $([ -n "$first" ] && since_t0 "$first" || echo failed)"
}

# own_mib PID MEM: VmRSS minus the resident part of the guest-RAM mapping.
own_mib() {
  awk -v want=$(($2 * 1024)) '
    /^Size:/ { size = $2; next }
    /^Rss:/ { total += $2; if (size >= want && $2 >= rss) rss = $2 }
    END { printf "%.1f\n", (total - rss) / 1024 }' "/proc/$1/smaps" 2>/dev/null
}

# many VMM N: N VMs started at once, 256 MiB and 1 vCPU each, each on a TAP
# of its own (tinyvmm's default, Tier 1B; QEMU vhost=on): the time until the
# last of them printed its first line, and their mean own memory.
many() {
  vmm=$1 n=$2 i=0 pids=''
  while [ $i -lt "$n" ]; do
    tinyvmm tap create "tvs$i" --address "10.20.$i.1/24" >/dev/null || return 1
    i=$((i + 1))
  done
  t0=$(now_cs) i=0
  while [ $i -lt "$n" ]; do
    launch "$vmm" 256 1 "quiet guest-test.mode=hang" "/tmp/many.$i" "tvs$i"
    pids="$pids $pid"
    i=$((i + 1))
  done
  last='' i=0
  while [ $i -lt 600 ] && [ -z "$last" ]; do
    [ "$(grep -l 'guest-test: started' /tmp/many.* 2>/dev/null | wc -l)" -ge "$n" ] && last=$(now_cs)
    sleep 0.2
    i=$((i + 1))
  done
  sleep 2
  own=$(for p in $pids; do own_mib "$p" 256; done | awk '{ s += $1; k++ } END { if (k) printf "%.1f", s / k }')
  for p in $pids; do kill "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  rm -f /tmp/many.*
  i=0
  while [ $i -lt "$n" ]; do tinyvmm tap delete "tvs$i" >/dev/null 2>&1; i=$((i + 1)); done
  echo "scale-many $vmm $n $([ -n "$last" ] && since_t0 "$last" || echo failed) ${own:-?}"
}

# boot VMM MEM CPUS
boot() {
  start_vmm "$1" "$2" "$3" "quiet guest-test.mode=hang"
  start=''
  while IFS= read -r line; do
    case $line in
      *"guest-test: started"*) start=$(now_cs); break ;;
    esac
  done <"$fifo"
  # The guest is in userspace and stays idle: its RAM use has settled.
  sleep 2
  own=$(own_mib "$pid" "$mem")
  hwm=$(awk '/^VmHWM:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null)
  stop_vmm
  if [ -n "$start" ]; then
    echo "scale $vmm $mem $cpus $(since_t0 "$start") ${own:-?} ${hwm:-?}"
  else
    echo "scale $vmm $mem $cpus failed - -"
  fi
}

for vmm in tinyvmm ${QEMU:+qemu}; do
  for m in $MEMS; do boot "$vmm" "$m" 2; first_line "$vmm" "$m" 2; done
  for c in $CPUS_LIST; do boot "$vmm" 256 "$c"; first_line "$vmm" 256 "$c"; done
  for k in $COUNTS; do many "$vmm" "$k"; done
done
echo "bench-scale: finished"
