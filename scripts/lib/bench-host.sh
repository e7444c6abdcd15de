#!/bin/sh
# shellcheck shell=sh
# The part of scripts/bench that runs inside the emulated ARM64 host
# (busybox sh, started by emuhost with the staging directory as the share).
#
# usage: sh bench-host.sh RUNS BYTES SEED CONFIGS...
#
# Share layout (made by scripts/bench): qemu/ (run tree), guest-test.cpio.gz.
# Writes out/raw/RUN-CFG.{out,err,peerN,kv,cmd} (peerN: the peer of phase N)
# and out/runs.jsonl (one JSON object per run: its raw sample, named; see
# record) and prints one progress line
# per configuration run. Every configuration gets the same guest kernel,
# initramfs, vCPUs, 256 MiB and transfer size; only the VMM and its network
# flags differ.
#
# CONFIGS are either all from scripts/bench's comparison (tinyvmm-t2 ...
# qemu-1a: 2 vCPUs) or all from its --matrix (t2-q1 t2-q2 t2-q4 1b-q1 1a-q2
# 1a-q4: tinyvmm, Tier and queue pairs; 4 vCPUs, one verified multi-stream
# phase per count in MATRIX_STREAMS, all on the multi-queue tap1).
set -u
# kvm_dir, vmm_threads: copied beside this file (scripts/bench).
. "$(dirname "$0")/bench-vmm-threads.sh"
MATRIX_STREAMS="1 2 4"

# --rerecord OUTDIR [BYTES]: rebuild OUTDIR/runs.jsonl from the raw files in
# OUTDIR/raw (on any host with sh and awk; scripts/bench --rerecord). BYTES
# is only for runs whose .cmd does not say (guest-test.bytes=).
if [ "${1:-}" = --rerecord ]; then
  RERECORD=1 OUT=$2 BYTES_ARG=${3:-} MEM=256 STREAMS=2
  RAW=$OUT/raw
else
  RERECORD=0
  RUNS=$1 BYTES=$2 SEED=$3
  shift 3
fi
if [ $RERECORD = 0 ]; then
  CONFIGS=$*
  SHARE=$(pwd)
  OUT=$SHARE/out
  # A run's files are written on tmpfs and copied to the share after it:
  # 9p requests are served by the outer QEMU's I/O thread, whose timing
  # would leak into the instruction-counted clock (--deterministic).
  RAW=/tmp/raw
  mkdir -p "$OUT/raw"
  # LIMIT (cfg_setup): seconds for one VMM run, then it is killed
  MEM=256
  STREAMS=2 # multi-queue rows: parallel streams (one per vCPU / queue pair)
  mkdir -p "$RAW"
fi

log() { echo "bench-host: $*"; }
now_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
running() { read -r _ _ state _ 2>/dev/null <"/proc/$1/stat" && [ "$state" != Z ]; }

host_setup() {
  mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
  [ -d /sys/kernel/debug/kvm ] || { log "error: no /sys/kernel/debug/kvm"; exit 1; }
  # Local copies: 9p (cache=none) must not be in the measured start-up path.
  cp "$SHARE/guest-test.cpio.gz" /tmp/initrd.gz || exit 1
  cp "$TINYVMM_GUEST_KERNEL" /tmp/Image || exit 1
  K=/tmp/Image
  I=/tmp/initrd.gz
  QLD=/tmp/qemu/lib/ld-linux-aarch64.so.1
  QLIB=/tmp/qemu/lib
  QBIN=/tmp/qemu/qemu-system-aarch64
  case " $CONFIGS" in
    *" qemu-"*)
      cp -r "$SHARE/qemu" /tmp/qemu || exit 1
      "$QLD" --library-path "$QLIB" "$QBIN" --version | head -n1 | sed 's/^/bench-host: /'
      ;;
  esac
  tinyvmm --version 2>&1 | head -n1 | sed 's/^/bench-host: /'
  softirq_setup
  HOST_PIN=$(cat "$SHARE/host-pin" 2>/dev/null)
  PEER_PIN=
  [ "$HOST_PIN" = 1 ] && PEER_PIN="taskset $((1 << ($(nproc) - 1)))"

  # Single-queue TAP for the 1-queue-pair tiers (QEMU's queues=1 netdev cannot
  # attach to a multi-queue TAP), a 2-queue TAP for Tier 1A. Same for both VMMs.
  tinyvmm tap create tap0 --address 169.254.0.1/16 || exit 1
  tinyvmm tap create tap1 --queues 2 --address 10.1.0.1/16 || exit 1
}

QNET_DEV=mrg_rxbuf=on,packed=on,event_idx=on,tx_queue_size=1024,rx_queue_size=1024

is_matrix() { case $1 in t2-q*|1b-q*|1a-q*) return 0 ;; esac; return 1; }

# matrix_setup CFG: a --matrix configuration (TIER-qPAIRS): tinyvmm, 4 vCPUs,
# the multi-queue tap1 for every row, one multi phase per stream count.
matrix_setup() {
  VMM=tinyvmm CPUS=4 TAP=tap1 ADDR=10.1.0.1 GIP=10.1.0.2
  PHASES=$MATRIX_STREAMS
  case $1 in
    t2-q*) NETARGS="--vhost off --queues ${1#t2-q}" ;;
    *) NETARGS="--vhost on --queues ${1#*-q}" ;;
  esac
  NETARGS="$NETARGS $(cat /mnt/share/tinyvmm-extra-args 2>/dev/null || :)"
  GOPTS="quiet guest-test.mode=bench guest-test.bytes=$BYTES guest-test.streams=$(echo "$MATRIX_STREAMS" | tr ' ' ,) guest-test.ip=$GIP guest-test.peer=$ADDR"
  # A run moves (sum of the stream counts) x BYTES each way: allow 0.2 MB/s.
  sum=0 # (not n: main_loop's counter; sh has no locals)
  for s in $MATRIX_STREAMS; do sum=$((sum + s)); done
  LIMIT=${BENCH_RUN_LIMIT:-$((300 + 2 * sum * BYTES / 200000))}
}

# cfg_setup CFG: sets VMM CPUS TAP ADDR GIP NSTREAMS PHASES LIMIT GOPTS and
# the network options of start_vmm.
cfg_setup() {
  is_matrix "$1" && { matrix_setup "$1"; return; }
  NSTREAMS=1 CPUS=2
  LIMIT=${BENCH_RUN_LIMIT:-400}
  TAP=tap0 ADDR=169.254.0.1 GIP=169.254.0.2
  case $1 in
    *-1a | *-1a-*) TAP=tap1 ADDR=10.1.0.1 GIP=10.1.0.2 NSTREAMS=$STREAMS ;;
  esac
  PHASES=single
  [ "$NSTREAMS" -gt 1 ] && PHASES="single $NSTREAMS"
  GOPTS="quiet guest-test.mode=bench guest-test.bytes=$BYTES guest-test.streams=$NSTREAMS guest-test.ip=$GIP guest-test.peer=$ADDR"
  # scripts/bench --guest-args: more guest kernel command line (e.g. guest-test.cpu=0).
  GOPTS="$GOPTS $(cat /mnt/share/guest-extra-args 2>/dev/null || :)"
  case $1 in
    tinyvmm-*)
      VMM=tinyvmm CONSOLE=ttyS0
      case $1 in
        # QEMU's board with its legacy virtio-mmio: the seed's own QEMU rows' twins.
        tinyvmm-virt-legacy-t2) NETARGS="--machine virt --vhost off" CONSOLE=ttyAMA0 ;;
        tinyvmm-virt-legacy-1b) NETARGS="--machine virt --vhost on" CONSOLE=ttyAMA0 ;;
        # --transport mmio: the default (auto) would put Tier 1A on virtio-pci.
        *-t2) NETARGS="--vhost off --transport mmio" ;;
        *-1b) NETARGS="--vhost on --transport mmio" ;;
        *-1a) NETARGS="--vhost on --queues 2 --transport mmio" ;;
        *-t2-pci) NETARGS="--vhost off --transport pci" ;;
        *-1b-pci) NETARGS="--vhost on --transport pci" ;;
        *-1a-pci) NETARGS="--vhost on --queues 2 --transport pci" ;;
        *) log "error: unknown configuration $1"; return 1 ;;
      esac
      # scripts/bench --tinyvmm-args: extra options for every tinyvmm run.
      NETARGS="$NETARGS $(cat /mnt/share/tinyvmm-extra-args 2>/dev/null || :)"
      ;;
    qemu-*)
      # QDEV: the virtio-net device; QX: more QEMU options. The -modern
      # and -pci rows are QEMU as an expert runs it: modern virtio-mmio
      # (VERSION_1, so packed can happen), or virtio-net-pci (MSI-X,
      # 2N+2 vectors for N queue pairs; no option ROM: -kernel boots).
      VMM=qemu QDEV=virtio-net-device QX=""
      case $1 in
        *-t2) NETDEV="vhost=off" DEVX="" ;;
        *-1b) NETDEV="vhost=on" DEVX="" ;;
        *-1b-modern) NETDEV="vhost=on" DEVX="" QX="-global virtio-mmio.force-legacy=false" ;;
        *-1b-pci) NETDEV="vhost=on" DEVX="romfile=," QDEV=virtio-net-pci ;;
        *-1a) NETDEV="vhost=on,queues=2" DEVX="mq=on," ;;
        *-1a-pci) NETDEV="vhost=on,queues=2" DEVX="mq=on,vectors=6,romfile=," QDEV=virtio-net-pci ;;
        *) log "error: unknown configuration $1"; return 1 ;;
      esac
      ;;
    *) log "error: unknown configuration $1"; return 1 ;;
  esac
}

# Start the VMM for CFG in the background with stdout on $FIFO; sets PID.
start_vmm() {
  if [ "$VMM" = tinyvmm ]; then
    # shellcheck disable=SC2086 # NETARGS is a word list
    set -- tinyvmm --kernel "$K" --initrd "$I" --mem "$MEM" --cpus "$CPUS" --tap "$TAP" \
      $NETARGS --timeout $((LIMIT - 10)) --cmdline "console=$CONSOLE $GOPTS"
  else
    # shellcheck disable=SC2086 # QX is a word list
    set -- "$QLD" --library-path "$QLIB" "$QBIN" -M virt -accel kvm -cpu host \
      -smp "$CPUS" -m "$MEM" -kernel "$K" -initrd "$I" -append "console=ttyAMA0 $GOPTS" \
      -nographic -nodefaults -serial stdio -no-reboot -name debug-threads=on $QX \
      -netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,$NETDEV" \
      -device "$QDEV,netdev=n0,$DEVX$QNET_DEV"
  fi
  echo "$*" >"$BASE.cmd"
  # busybox timeout execs the command: $! is the VMM's own pid.
  timeout "$LIMIT" "$@" >"$FIFO" 2>"$BASE.err" </dev/null &
  PID=$!
}

# CPU ticks (utime+stime) of PID and of its vhost-PID kernel workers. On
# Linux 6.4+ the workers are threads of PID, already in its own ticks, and
# this finds no separate process: the sum is right on both.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
vhost_ticks() {
  t=0
  for c in /proc/[0-9]*/comm; do
    read -r name <"$c" 2>/dev/null || continue
    case $name in
      vhost-"$PID") p=${c#/proc/}; p=${p%/comm}; t=$((t + $(cpu_ticks "$p"))) ;;
    esac
  done
  echo "$t"
}

# Softirq time per task. Debian's kernels have no IRQ_TIME_ACCOUNTING, so
# a task's run time includes the softirqs that ran in its context; these
# columns say how much that is. (Measured: about 0.2 ms per MB in all, the
# VMM's share a few µs: a TAP write runs the peer's TCP receive in process
# context with BHs off, not as a softirq, so it is the writer's own time.)
# A hist trigger pair (synthetic event tvm_softirq: each softirq's length
# and the task it ran in) sums it per PID in the kernel; SOFTIRQ_HIST is
# empty when this kernel cannot (the softirq columns are then empty).
TRACEFS=/sys/kernel/tracing
SOFTIRQ_HIST=
softirq_setup() {
  [ -d $TRACEFS/events/irq ] || mount -t tracefs tracefs $TRACEFS 2>/dev/null
  ev=$TRACEFS/events
  # shellcheck disable=SC2016 # $t0, $ns, $p are hist variables, not shell
  if echo 'tvm_softirq u64 ns; pid_t pid' >>$TRACEFS/synthetic_events &&
    echo 'hist:keys=common_cpu:t0=common_timestamp' >>$ev/irq/softirq_entry/trigger &&
    echo 'hist:keys=common_cpu:ns=common_timestamp-$t0,p=common_pid:onmatch(irq.softirq_entry).tvm_softirq($ns,$p)' \
      >>$ev/irq/softirq_exit/trigger &&
    echo 'hist:keys=pid:vals=ns:size=16384' >>$ev/synthetic/tvm_softirq/trigger; then
    SOFTIRQ_HIST=$ev/synthetic/tvm_softirq/hist
  else
    log "note: no softirq accounting here (tracefs hist triggers); its columns stay empty"
  fi
} 2>/dev/null

# "s PID NS" per task that ran softirqs since softirq_setup, and "S - NS", the sum.
softirq_ns() {
  [ -n "$SOFTIRQ_HIST" ] || return 0
  awk '/^\{ pid:/ { pid = ""; ns = ""
         for (i = 1; i < NF; i++) { if ($i == "pid:") pid = $(i + 1); if ($i == "ns:") ns = $(i + 1) }
         if (pid != "" && ns != "") { print "s " pid " " ns; all += ns } }
       END { printf "S - %.0f\n", all }' "$SOFTIRQ_HIST"
}

# Run time in ns (first field of schedstat; it follows the host's clock,
# which --deterministic makes the instruction count) per thread class, and
# the softirq part of each: "guest VMM_OWN VHOST guest_si own_si vhost_si
# all_si". guest: the VMM's vCPU threads (tinyvmm vcpuN, QEMU "CPU N/KVM");
# vhost: vhost-PID workers, kernel threads (Linux < 6.4) or threads of the
# VMM (6.4+); VMM_OWN: every other thread of the VMM; all_si: softirqs in
# any task (the host network stack's work, wherever it ran).
thread_ns() {
  {
    softirq_ns
    vmm_threads
  } | awk '$1 == "s" { si[$2] = $3; next }
           $1 == "S" { all = $3; next }
           { s[$1] += $3; s[$1 "si"] += si[$2] }
           END { printf "%.0f %.0f %.0f %.0f %.0f %.0f %s\n", s["g"], s["o"], s["v"],
                   s["gsi"], s["osi"], s["vsi"], all == "" ? "-" : sprintf("%.0f", all) }'
}

# snap NAME: counters at a phase boundary, as NAME.key=value lines.
snap() {
  d=$(kvm_dir)
  {
    echo "$1.t_cs=$(now_cs)"
    for f in exits mmio_exit_user mmio_exit_kernel wfi_exit_stat wfe_exit_stat \
        hvc_exit_stat signal_exits halt_wakeup; do
      [ -n "$d" ] && [ -r "$d/$f" ] && echo "$1.$f=$(cat "$d/$f")"
    done
    echo "$1.cpu=$(cpu_ticks "$PID")"
    echo "$1.vhost_cpu=$(vhost_ticks)"
    thread_ns | {
      read -r g o v gsi osi vsi si
      echo "$1.guest_ns=$g"; echo "$1.own_ns=$o"; echo "$1.vhost_ns=$v"
      [ "$si" = - ] || { echo "$1.guest_si_ns=$gsi"; echo "$1.own_si_ns=$osi"; echo "$1.vhost_si_ns=$vsi"; echo "$1.si_ns=$si"; }
    }
    # tinyvmm prints its device counters (Tier 2: kicks per ring) on stderr;
    # record reads the Nth block as this snapshot's.
    [ "$VMM" = tinyvmm ] && kill -USR1 "$PID" 2>/dev/null
  } >>"$BASE.kv"
}

# Memory at the end of the transfers: peak and current RSS, and the resident
# part of the guest RAM mapping (of the mappings of at least MEM MiB, the
# one with the most resident memory: a VMM may also reserve large areas).
mem_snap() {
  awk '/^VmHWM:/ { print "hwm_kb=" $2 } /^VmRSS:/ { print "rss_kb=" $2 }' \
    "/proc/$PID/status" >>"$BASE.kv"
  awk -v want=$((MEM * 1024)) '
    /^Size:/ { size = $2; next }
    /^Rss:/ { cand = size >= want && $2 >= rss; if (cand) rss = $2; next }
    /^AnonHugePages:/ { if (cand) thp = $2; cand = 0 }
    END { print "guest_ram_rss_kb=" rss + 0; print "guest_ram_thp_kb=" thp + 0 }' \
    "/proc/$PID/smaps" >>"$BASE.kv"
}

# detached OUT CMD...: CMD in the background as a grandchild of this shell,
# output in OUT; prints its PID. Its exit must not interrupt the read loop
# (see run_one), so init, not this shell, reaps it.
detached() {
  out=$1
  shift
  ( "$@" >"$out" 2>&1 & echo $! )
}

# peer_start single|STREAMS: the peer of phase $PHASE, output in $BASE.peer$PHASE.
peer_start() {
  # shellcheck disable=SC2086 # PEER_PIN is empty or a taskset command
  if [ "$1" = single ]; then
    PEERS="$PEERS $(detached "$BASE.peer$PHASE" $PEER_PIN tinyvmm-netpeer serve "$ADDR" "$BYTES" $((LIMIT - 20)))"
  else
    PEERS="$PEERS $(detached "$BASE.peer$PHASE" $PEER_PIN tinyvmm-netpeer serve-multi "$ADDR" "$BYTES" "$1" $((LIMIT - 20)))"
  fi
}

# next_phase: the guest finished phase $PHASE (0: it is ready). Snapshot,
# then start the peer of the next phase in $PHASES, or let the guest finish.
# scripts/bench --host-pin: the same thread placement on the emulated host
# for every VMM, set when the guest is ready (every worker exists then):
# vCPU thread N on host CPU N mod CPUs, everything else of the VMM (its
# I/O threads, vhost workers) and the peer on the last host CPU.
pin_threads() {
  [ "$HOST_PIN" = 1 ] || return 0
  pin_last=$(($(nproc) - 1))
  for pin_t in /proc/"$PID"/task/[0-9]*; do
    read -r pin_name <"$pin_t/comm" 2>/dev/null || continue
    case $pin_name in
      vcpu[0-9]*) pin_cpu=${pin_name#vcpu} ;;
      "CPU "*/KVM) pin_cpu=${pin_name#CPU }; pin_cpu=${pin_cpu%/KVM} ;;
      *) pin_cpu=$pin_last ;;
    esac
    taskset -p $((1 << (pin_cpu % (pin_last + 1)))) "${pin_t##*/}" >/dev/null 2>&1
  done
  for pin_t in /proc/[0-9]*/comm; do
    read -r pin_name <"$pin_t" 2>/dev/null || continue
    [ "$pin_name" = "vhost-$PID" ] || continue
    pin_t=${pin_t%/comm}
    taskset -p $((1 << pin_last)) "${pin_t#/proc/}" >/dev/null 2>&1
  done
}

next_phase() {
  [ "$PHASE" = 0 ] && pin_threads
  snap "s$PHASE"
  # shellcheck disable=SC2086 # PHASES is a word list
  set -- $PHASES
  [ $# -gt 0 ] || { final; return; }
  PHASE=$((PHASE + 1))
  what=$1
  shift
  PHASES=$*
  peer_start "$what"
}

# After the last phase: memory, then let the guest go (it waits for a listener).
final() {
  mem_snap
  ACK=$(detached /dev/null tinyvmm-netpeer serve "$ADDR" 0 30)
}

kv() { sed -n "s/^$1=//p" "$BASE.kv" | tail -n1; }

# run_one RUN CFG: one VMM run, then its line in runs.jsonl.
run_one() {
  run=$1 cfg=$2
  BASE=$RAW/$run-$cfg
  FIFO=/tmp/bench.fifo
  PEERS='' ACK='' WATCH='' PHASE=0
  rm -f "$BASE".* "$FIFO"
  mkfifo "$FIFO"
  cfg_setup "$cfg" || return 1
  t0=$(now_cs)
  echo "t0_cs=$t0" >"$BASE.kv"
  : >"$BASE.out" # a VMM that prints nothing still gets its (failed) row
  start_vmm
  # The peers are not children of this shell: busybox ash restarts a read
  # that a SIGCHLD interrupted from scratch, losing what it had read of the
  # line (seen: a peer exiting as the guest printed "guest-test: bench
  # single ..." cut the line's first 45 bytes, and the run hung).
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$BASE.out"
    case $line in
      *"guest-test: started"*) echo "started_cs=$(now_cs)" >>"$BASE.kv" ;;
      *"guest-test: bench ready"* | *"guest-test: bench single "* | *"guest-test: bench multi "*)
        next_phase
        ;;
      *"guest-test: bench done"*)
        # Everything is measured. A VMM still running 30 s after the guest
        # began powering off is stuck: kill it, and say so in the results.
        ( sleep 30; running "$PID" && echo "hung_after_done=1" >>"$BASE.kv" &&
            kill -9 "$PID" ) 2>/dev/null &
        WATCH=$!
        ;;
    esac
  done <"$FIFO"
  wait "$PID"
  rc=$?
  echo "rc=$rc" >>"$BASE.kv"
  echo "end_cs=$(now_cs)" >>"$BASE.kv"
  [ -n "$WATCH" ] && kill "$WATCH" 2>/dev/null
  [ -n "$ACK" ] && kill "$ACK" 2>/dev/null && wait "$ACK" 2>/dev/null
  for p in $PEERS; do
    i=0
    while [ $i -lt 20 ] && running "$p"; do sleep 0.5; i=$((i + 1)); done
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  rm -f "$FIFO"
  record "$run" "$cfg"
  cp "$BASE".* "$OUT/raw/"
}

# record RUN CFG: the run's raw sample as one JSON line in runs.jsonl (the
# analysis, scripts/lib/bench_analyze.py, derives every metric from it on
# the build host). Named fields only, nothing derived here:
#   run cfg kind vmm bytes mem_mib cpus streams host_kernel host_cpus cmd
#   kv      every NAME=VALUE of RUN-CFG.kv (snapshots: s0.exits, s1.guest_ns, ...)
#   guest   each "guest-test: bench WHAT k=v ..." line as guest.WHAT {k: v}
#           (multi: a list, one per phase, in order)
#   peer    per phase N ("1", "2", ...): the k=v of the peer's guest->host line
#           (single) or its aggregate line (multi); MB/s is the receiver's rate
#   dev     tinyvmm's SIGUSR1 blocks on stderr, one per snapshot: irq (its
#           interrupts raised), rx_kicks, tx_kicks (summed over the pairs)
#   features  what the guest negotiated (the "negotiated:" line)
# Numbers are JSON numbers, everything else strings.
record() {
  tr -d '\r' <"$BASE.out" >"$BASE.out.tmp" && mv "$BASE.out.tmp" "$BASE.out"
  kind=compare streams=$NSTREAMS
  is_matrix "$2" && kind=matrix streams=$(echo "$MATRIX_STREAMS" | tr ' ' ,)
  awk -v run="$1" -v cfg="$2" -v kind="$kind" -v vmm="$VMM" -v bytes="$BYTES" -v mem="$MEM" \
      -v cpus="$CPUS" -v streams="$streams" -v rerecord="$RERECORD" \
      -v base="$BASE" '
    function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, "\\t", s); return "\"" s "\"" }
    function val(s) { return (s ~ /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) ? s : q(s) }
    # kvobj(LINE): the k=v words of LINE as a JSON object (the first of a repeated key).
    function kvobj(line,   n, a, i, k, o, seen) {
      n = split(line, a, " ")
      for (i = 1; i <= n; i++) {
        if (!index(a[i], "=")) continue
        k = substr(a[i], 1, index(a[i], "=") - 1)
        if (k in seen) continue
        seen[k] = 1
        o = o (o == "" ? "" : ",") q(k) ":" val(substr(a[i], length(k) + 2))
      }
      return "{" o "}"
    }
    BEGIN {
      f = base ".kv"
      while ((getline l < f) > 0) if ((i = index(l, "=")) > 1) { k = substr(l, 1, i - 1); if (!(k in KV)) ko[++nk] = k; KV[k] = substr(l, i + 1) }
      for (i = 1; i <= nk; i++) kvs = kvs (i > 1 ? "," : "") q(ko[i]) ":" val(KV[ko[i]])
      f = base ".err"
      while ((getline l < f) > 0) {
        if (l ~ /^ *virtio-net \(Tier/) { nd++; t = l; sub(/.*: /, "", t); sub(/ .*/, "", t); IR[nd] = t; RK[nd] = TK[nd] = 0 }
        if (nd && l ~ /pair [0-9]+: rx .*kicks rx/) { split(l, w, "kicks rx "); split(w[2], kx, " "); RK[nd] += kx[1]; TK[nd] += kx[3] }
      }
      for (i = 1; i <= nd; i++) devs = devs (i > 1 ? "," : "") "{\"irq\":" val(IR[i]) ",\"rx_kicks\":" RK[i] ",\"tx_kicks\":" TK[i] "}"
      for (p = 1; ; p++) {
        f = base ".peer" p; agg = one = ""; seen_file = 0
        while ((getline l < f) > 0) {
          seen_file = 1
          if (l ~ /aggregate/) agg = l; else if (l ~ /guest->host/ && l ~ /MB\/s=/) one = l
        }
        if (!seen_file) break
        close(f)
        peers = peers (p > 1 ? "," : "") q(p) ":" kvobj(agg != "" ? agg : one)
      }
      # The emulated host itself; unknown when re-recorded on another host.
      if (!rerecord) { "uname -r" | getline kernel; "nproc" | getline hostcpus }
      cmd = ""; f = base ".cmd"
      if ((getline cmd < f) <= 0) cmd = ""
    }
    /guest-test: bench multi / { sub(/.*guest-test: bench multi /, ""); multi = multi (multi == "" ? "" : ",") kvobj($0); next }
    /guest-test: bench [a-z]+( |$)/ {
      rest = $0; sub(/.*guest-test: bench /, "", rest); what = rest; sub(/ .*/, "", what)
      if (what == "done") { G["done"] = "{}"; next }
      sub(/^[a-z]+/, "", rest); G[what] = kvobj(rest); next
    }
    /negotiated:/ { sub(/.*negotiated: */, ""); feat = $0 }
    END {
      for (k in G) gs = gs (gs == "" ? "" : ",") q(k) ":" G[k]
      if (multi != "") gs = gs (gs == "" ? "" : ",") "\"multi\":[" multi "]"
      printf "{\"schema\":1,\"run\":%s,\"cfg\":%s,\"kind\":%s,\"vmm\":%s,\"bytes\":%s,\"mem_mib\":%s,\"cpus\":%s,\"streams\":%s,",
        val(run), q(cfg), q(kind), q(vmm), val(bytes), val(mem), val(cpus), val(streams)
      printf "\"host_kernel\":%s,\"host_cpus\":%s,\"cmd\":%s,", q(kernel), val(hostcpus), q(cmd)
      printf "\"kv\":{%s},\"guest\":{%s},\"peer\":{%s},\"dev\":[%s],\"features\":%s}\n", kvs, gs, peers, devs, q(feat)
    }' "$BASE.out" >>"$OUT/runs.jsonl"
}

# Deterministic shuffle per run (awk srand(SEED+RUN)): no configuration is
# always first or always after the same neighbour.
shuffle() { echo "$2" | tr ' ' '\n' | grep . | awk -v s="$1" 'BEGIN { srand(s) } { print rand() "\t" $0 }' | sort -n | cut -f2; }

# progress N TOTAL CFG: one line about the run just recorded, the guest's
# own phase lines as they came (scripts/bench's report has the metrics).
progress() {
  awk -v n="$1" -v t="$2" -v run="$run" -v cfg="$3" -v rc="$rc" '
    /guest-test: bench (single|multi) / { sub(/.*guest-test: bench /, ""); sub(/ (txq|tx_bytes)=.*/, ""); ph = ph " | " $0 }
    END { printf "bench: [%d/%d] run %s %-11s VMM exit status %s%s\n", n, t, run, cfg, rc, ph == "" ? " | no phase finished" : ph }' "$BASE.out"
}

main_loop() {
  total=0
  for c in $CONFIGS; do total=$((total + 1)); done
  total=$((total * RUNS))
  n=0
  r=1
  while [ $r -le "$RUNS" ]; do
    for cfg in $(shuffle $((SEED + r)) "$CONFIGS"); do
      n=$((n + 1))
      run_one "$r" "$cfg"
      progress "$n" "$total" "$cfg"
    done
    r=$((r + 1))
  done
  tinyvmm tap delete tap0 >/dev/null 2>&1
  tinyvmm tap delete tap1 >/dev/null 2>&1
  echo "bench-host: finished"
}

if [ $RERECORD = 1 ]; then
  rm -f "$OUT/runs.jsonl"
  for f in "$RAW"/*.kv; do
    name=${f##*/}
    name=${name%.kv}
    run=${name%%-*}
    cfg=${name#*-}
    BASE=$RAW/$name
    # The transfer size the run really used, from its command line.
    BYTES=$(sed -n 's/.*guest-test\.bytes=\([0-9]*\).*/\1/p' "$BASE.cmd" 2>/dev/null)
    BYTES=${BYTES:-$BYTES_ARG}
    cfg_setup "$cfg" && record "$run" "$cfg"
  done
else
  host_setup
  main_loop
fi
