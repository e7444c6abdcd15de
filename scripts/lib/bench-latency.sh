#!/bin/sh
# shellcheck shell=sh
# The part of `scripts/bench --latency` that runs inside the emulated ARM64
# host (busybox sh, the staging directory as the share): Debian's sockperf
# and iperf3 between a guest (guest-test.mode=latency, guest-test/latency.c)
# and servers on the TAP in this host.
#
# usage: sh bench-latency.sh RUNS SECONDS SET CONFIGS...
#   SET: the guest's tests (guest-test.set=, guest-test/latency.c), e.g.
#   rr,rate,bulk. CONFIGS: tinyvmm-t2 tinyvmm-1b tinyvmm-1a (virtio-mmio)
#   and the same with -pci (virtio-pci), as in scripts/bench; each may end
#   in A/B variants: -split (--no-packed), -noei (--no-event-idx), -nomrg
#   (--no-mrg-rxbuf), -poll50 (--vhost-poll-us 50; Tier 2: --worker-poll-us
#   50), -batch (--worker-sched batch: Tier 2's or vhost's workers
#   SCHED_BATCH), in that order. QEMU:
#   qemu-1b-pci (vhost), qemu-t2-pci (userspace) and qemu-1a-pci (vhost,
#   2 queue pairs, as in the bulk mode) on virtio-net-pci, the
#   seed's flags on virtio-mmio (qemu-t2, qemu-1b), and qemu-1b-q256 (the
#   seed's flags with rx/tx_queue_size=256).
#
# Share layout (made by scripts/bench): tools/ (sockperf, iperf3 and their
# libraries: scripts/lib/latency-tools.sh), guest-test.cpio.gz (the same
# tools inside), qemu/ (for qemu-* rows), tinyvmm-extra-args, guest-extra-args.
# At each "latency phase" line of the guest (before each test) the VM's
# KVM exits and its threads' run time (vCPUs, the VMM's own, vhost) are
# read; a test's counts per transaction are the difference to the next
# phase divided by the test's count= (transactions, datagrams or MB).
# Writes out/raw/RUN-CFG[-VARIANT].{out,err,cmd,report.json} (report.json:
# tinyvmm --report-json, its counters at exit) and out/latency.jsonl: one JSON
# object per configuration run, its figures by name (see json_line), and
# prints each line prefixed "bench-latency: " as it is written.
set -u
# kvm_dir, vmm_threads: copied beside this file (scripts/bench).
. "$(dirname "$0")/bench-vmm-threads.sh"
RUNS=$1 SECONDS_PER_TEST=$2 SET=$3
shift 3
CONFIGS=$*
SHARE=$(pwd)
OUT=$SHARE/out
RAW=/tmp/raw # tmpfs, copied to the share after each run (as bench-host.sh)
MEM=256 CPUS=2
LIMIT=${BENCH_RUN_LIMIT:-$((240 + 12 * 40 * SECONDS_PER_TEST))}
mkdir -p "$OUT/raw" "$RAW"

log() { echo "bench-latency: $*"; }

host_setup() {
  mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
  cp "$SHARE/guest-test.cpio.gz" /tmp/initrd.gz || exit 1
  cp "$TINYVMM_GUEST_KERNEL" /tmp/Image || exit 1
  cp -r "$SHARE/tools" /tmp/tools || exit 1
  case " $CONFIGS" in
    *" qemu-"*) cp -r "$SHARE/qemu" /tmp/qemu || exit 1 ;;
  esac
  tinyvmm tap create tap0 --address 169.254.0.1/16 || exit 1
  tinyvmm tap create tap1 --queues 2 --address 10.1.0.1/16 || exit 1
}

# tool NAME ARGS...: run the staged arm64 tool through its own loader.
tool() {
  name=$1
  shift
  /tmp/tools/lib/ld-linux-aarch64.so.1 --library-path /tmp/tools/lib/aarch64-linux-gnu \
    "/tmp/tools/usr/bin/$name" "$@"
}

# servers_start ADDR: sockperf UDP 11111 and TCP 11112, iperf3 5201 (the
# ports guest-test/latency.c uses); sets SERVER_PIDS.
servers_start() {
  tool sockperf server -i "$1" -p 11111 >"$RAW/sockperf-udp.log" 2>&1 &
  SERVER_PIDS=$!
  tool sockperf server --tcp -i "$1" -p 11112 >"$RAW/sockperf-tcp.log" 2>&1 &
  SERVER_PIDS="$SERVER_PIDS $!"
  tool iperf3 -s -B "$1" -p 5201 >"$RAW/iperf3.log" 2>&1 &
  SERVER_PIDS="$SERVER_PIDS $!"
  sleep 1
}

servers_stop() {
  for p in $SERVER_PIDS; do kill "$p" 2>/dev/null; done
  for p in $SERVER_PIDS; do wait "$p" 2>/dev/null; done
  SERVER_PIDS=
}

# cfg_setup CFG: VMM TAP ADDR GIP NETARGS (tinyvmm) or NETDEV QDEV DEVX
# (QEMU, as scripts/lib/bench-host.sh runs it), or returns 1.
QNET_DEV=mrg_rxbuf=on,packed=on,event_idx=on,tx_queue_size=1024,rx_queue_size=1024
cfg_setup() {
  TAP=tap0 ADDR=169.254.0.1 GIP=169.254.0.2 VMM=tinyvmm base=$1 NETARGS='' QNET=$QNET_DEV
  case $base in tinyvmm-*-batch) NETARGS="--worker-sched batch" base=${base%-batch} ;; esac
  # -poll50: vhost-net's busy poll in Tiers 1A/1B, the worker's adaptive poll in Tier 2.
  case $base in
    tinyvmm-t2*-poll50) NETARGS="--worker-poll-us 50 $NETARGS" base=${base%-poll50} ;;
    *-poll50) NETARGS="--vhost-poll-us 50 $NETARGS" base=${base%-poll50} ;;
  esac
  case $base in *-nomrg) NETARGS="--no-mrg-rxbuf $NETARGS" base=${base%-nomrg} ;; esac
  case $base in *-noei) NETARGS="--no-event-idx $NETARGS" base=${base%-noei} ;; esac
  case $base in *-split) NETARGS="--no-packed $NETARGS" base=${base%-split} ;; esac
  case $base in
    tinyvmm-t2) NETARGS="--vhost off --transport mmio $NETARGS" ;;
    tinyvmm-1b) NETARGS="--vhost on --transport mmio $NETARGS" ;;
    tinyvmm-1a) NETARGS="--vhost on --queues 2 --transport mmio $NETARGS" ;;
    tinyvmm-t2-pci) NETARGS="--vhost off --transport pci $NETARGS" ;;
    tinyvmm-1b-pci) NETARGS="--vhost on --transport pci $NETARGS" ;;
    tinyvmm-1a-pci) NETARGS="--vhost on --queues 2 --transport pci $NETARGS" ;;
    qemu-t2) VMM=qemu NETDEV=vhost=off QDEV=virtio-net-device DEVX= ;;
    qemu-1b) VMM=qemu NETDEV=vhost=on QDEV=virtio-net-device DEVX= ;;
    qemu-1b-q256) VMM=qemu NETDEV=vhost=on QDEV=virtio-net-device DEVX=
      QNET=mrg_rxbuf=on,packed=on,event_idx=on,tx_queue_size=256,rx_queue_size=256 ;;
    qemu-t2-pci) VMM=qemu NETDEV=vhost=off QDEV=virtio-net-pci DEVX=romfile=, ;;
    qemu-1b-pci) VMM=qemu NETDEV=vhost=on QDEV=virtio-net-pci DEVX=romfile=, ;;
    qemu-1a-pci) VMM=qemu NETDEV=vhost=on,queues=2 QDEV=virtio-net-pci DEVX=mq=on,vectors=6,romfile=, ;;
    *) log "error: unknown configuration $1"; return 1 ;;
  esac
  [ "$VMM" = qemu ] && [ -n "$NETARGS" ] && { log "error: $1: variants are tinyvmm's"; return 1; }
  case $1 in *-1a*) TAP=tap1 ADDR=10.1.0.1 GIP=10.1.0.2 ;; esac
  [ "$VMM" = tinyvmm ] && NETARGS="$NETARGS $(cat "$SHARE/tinyvmm-extra-args" 2>/dev/null) $VAR_TVM"
  return 0
}

# "EXITS GUEST_NS OWN_NS VHOST_NS": the VM's KVM exits and the run time of
# its vCPU threads, the VMM's other threads and the vhost workers
# (bench-vmm-threads.sh, as bench-host.sh reads them).
counters() {
  d=$(kvm_dir)
  e=$(cat "$d/exits" 2>/dev/null || echo 0)
  vmm_threads | awk -v e="$e" '{ s[$1] += $3 } END { printf "%s %.0f %.0f %.0f\n", e, s["g"], s["o"], s["v"] }'
}

# guest_value FILE PATTERN KEY: value of KEY= on the first guest line matching PATTERN.
guest_value() {
  tr -d '\r' <"$1" | awk -v pat="$2" -v key="$3" '
    $0 ~ pat { for (i = 1; i <= NF; i++) if (index($i, key "=") == 1) { print substr($i, length(key) + 2); exit } }'
}

# num V: V when it is a number, else null (JSON).
num() { case $1 in '' | *[!0-9.]*) echo null ;; *) echo "$1" ;; esac; }

# The vCPU that took most of virtio*-input.0's interrupts, and their total.
input0() {
  tr -d '\r' <"$1" | awk '$2 == "irqs" && $3 ~ /-input\.0$/ {
    n = split(substr($5, 9), c, ","); best = 0
    for (i = 1; i <= n; i++) if (c[i] + 0 > c[best + 1] + 0) best = i - 1
    print best, substr($6, 7); exit }'
}

# json_escape S: S with backslashes and double quotes escaped for a JSON string.
json_escape() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }

# words ARGS: the words of ARGS, one space apart (no leading or trailing blank).
words() { printf '%s' "$*"; }

# tick_stall FILE: true when a sockperf p50 round trip is at least 3900 us,
# i.e. the run fell into the host-tick stall of
# docs/findings/2026-12-07-tick-stall.md (a vCPU in the guest without an
# exit, most likely spinning on a guest lock
# whose holder the one emulated host CPU has preempted, until the host's
# 4 ms tick); false when sockperf ran without it; null when it did not run.
tick_stall() {
  sed -n 's/^guest-test: latency sockperf proto=[a-z]* .*p50_us=\([0-9.]*\).*/\1/p' "$1" |
    awk 'BEGIN { r = "null" } { r = (r == "true" || $1 >= 3900) ? "true" : "false" } END { print r }'
}

# json_line RUN CFG FILE SECS KV: the run's figures as one JSON object.
# Metrics (null when the tool failed or the test was not in the set):
#   sockperf_{udp,tcp}_{64,1400}_{p50_us,p99_us,p999_us,tps}
#   udp64_{g2h,h2g}_{pps,lost}            64-byte UDP datagrams delivered/s, lost
#   iperf3_{g2h,h2g}_{1,2,4}_{mbps,retr}  bulk TCP, 1/2/4 streams
#   TEST_{exits,irqs}_per_tx, TEST_{guest,vmm,vhost}_us_per_tx: per
#   transaction (sockperf), datagram (udp64) or MB (iperf3), TEST one of the
#   prefixes above (sockperf_udp_64, udp64_g2h, iperf3_g2h_1, ...)
json_line() {
  f=$3
  ok=false
  grep -q '^guest-test: latency done' "$f" && ok=true
  i0=$(input0 "$f")
  in_cpu=${i0% *} in_irqs=${i0#* }
  # shellcheck disable=SC2086 # split on purpose: words()
  printf '{"kind":"latency","run":%s,"config":"%s","variant":"%s","vmm":"%s","tinyvmm_args":"%s","guest_args":"%s","host_cmd":"%s","seconds":%s,"set":"%s","ok":%s,"tick_stall":%s,"metrics":{' \
    "$1" "$2" "$VAR_NAME" "$VMM" "$(words $NETARGS)" "$(words $GUEST_EXTRA)" "$(json_escape "$VAR_HOST")" "$4" "$SET" "$ok" "$(tick_stall "$f")"
  tr -d '\r' <"$f" | awk -v kvf="$5" '
    function kv(line, key,   i, n, w) {
      n = split(line, w, " ")
      for (i = 1; i <= n; i++) if (index(w[i], key "=") == 1) return substr(w[i], length(key) + 2)
      return ""
    }
    function put(name, v) {
      printf "%s\"%s\":%s", sep, name, (v ~ /^[0-9.]+$/ ? v : "null"); sep = ","
    }
    BEGIN {
      while ((getline l < kvf) > 0) { split(l, w, " "); k = w[1]
        exits[k] = w[2]; g[k] = w[3]; o[k] = w[4]; v[k] = w[5] }
      n = split("sockperf_udp_64 sockperf_tcp_64 sockperf_udp_1400 sockperf_tcp_1400", rr, " ")
      for (i = 1; i <= n; i++) tests[++nt] = rr[i]
      tests[++nt] = "udp64_g2h"; tests[++nt] = "udp64_h2g"
      for (p = 1; p <= 4; p *= 2) { tests[++nt] = "iperf3_g2h_" p; tests[++nt] = "iperf3_h2g_" p }
    }
    / latency phase / { name = kv($0, "name"); order[++np] = name; irq[name] = kv($0, "irq"); next }
    / latency sockperf / { t = "sockperf_" kv($0, "proto") "_" kv($0, "msg")
      val[t "_p50_us"] = kv($0, "p50_us"); val[t "_p99_us"] = kv($0, "p99_us")
      val[t "_p999_us"] = kv($0, "p999_us"); val[t "_tps"] = kv($0, "tps"); count[t] = kv($0, "count") }
    / latency rate / { t = "udp64_" kv($0, "dir")
      val[t "_pps"] = kv($0, "pps"); val[t "_lost"] = kv($0, "lost"); count[t] = kv($0, "count") }
    / latency iperf3 / { t = "iperf3_" kv($0, "dir") "_" kv($0, "streams")
      val[t "_mbps"] = kv($0, "mbps"); val[t "_retr"] = kv($0, "retr"); count[t] = kv($0, "count") }
    END {
      for (i = 1; i < np; i++) next_of[order[i]] = order[i + 1]
      for (i = 1; i <= nt; i++) {
        t = tests[i]
        if (t ~ /^sockperf/) { put(t "_p50_us", val[t "_p50_us"]); put(t "_p99_us", val[t "_p99_us"])
          put(t "_p999_us", val[t "_p999_us"]); put(t "_tps", val[t "_tps"]) }
        else if (t ~ /^udp64/) { put(t "_pps", val[t "_pps"]); put(t "_lost", val[t "_lost"]) }
        else { put(t "_mbps", val[t "_mbps"]); put(t "_retr", val[t "_retr"]) }
        nx = next_of[t]; c = count[t] + 0
        if (nx == "" || c <= 0 || !(t in exits) || !(nx in exits)) {
          put(t "_exits_per_tx", ""); put(t "_irqs_per_tx", ""); put(t "_guest_us_per_tx", "")
          put(t "_vmm_us_per_tx", ""); put(t "_vhost_us_per_tx", ""); continue
        }
        put(t "_exits_per_tx", sprintf("%.3f", (exits[nx] - exits[t]) / c))
        put(t "_irqs_per_tx", sprintf("%.3f", (irq[nx] - irq[t]) / c))
        put(t "_guest_us_per_tx", sprintf("%.3f", (g[nx] - g[t]) / c / 1000))
        put(t "_vmm_us_per_tx", sprintf("%.3f", (o[nx] - o[t]) / c / 1000))
        put(t "_vhost_us_per_tx", sprintf("%.3f", (v[nx] - v[t]) / c / 1000))
      }
    }'
  printf ',"input0_cpu":%s,"input0_irqs":%s,"guest_tool_cpu":%s}}\n' "$(num "$in_cpu")" "$(num "$in_irqs")" \
    "$(num "$(guest_value "$f" "latency ready" cpu | sed 's/^-1$//')")"
}

# Start the VMM for the configuration in the background, its console on
# $FIFO; sets PID.
start_vmm() {
  cmdline="quiet guest-test.mode=latency guest-test.ip=$GIP guest-test.peer=$ADDR guest-test.seconds=$SECONDS_PER_TEST guest-test.set=$SET $GUEST_EXTRA"
  if [ "$VMM" = tinyvmm ]; then
    # shellcheck disable=SC2086 # NETARGS is a word list
    set -- tinyvmm --kernel /tmp/Image --initrd /tmp/initrd.gz --mem "$MEM" --cpus "$CPUS" \
      --tap "$TAP" $NETARGS --report-json "$base.report.json" --timeout $((LIMIT - 10)) \
      --cmdline "console=ttyS0 $cmdline"
  else
    set -- /tmp/qemu/lib/ld-linux-aarch64.so.1 --library-path /tmp/qemu/lib /tmp/qemu/qemu-system-aarch64 \
      -M virt -accel kvm -cpu host -smp "$CPUS" -m "$MEM" -kernel /tmp/Image -initrd /tmp/initrd.gz \
      -append "console=ttyAMA0 $cmdline" -nographic -nodefaults -serial stdio -no-reboot \
      -name debug-threads=on -netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,$NETDEV" \
      -device "$QDEV,netdev=n0,$DEVX$QNET"
  fi
  echo "$*" >"$base.cmd"
  timeout "$LIMIT" "$@" >"$FIFO" 2>"$base.err" </dev/null &
  PID=$!
}

# run_one RUN CFG: one guest run with the current variant (VAR_*).
run_one() {
  run=$1 cfg=$2
  cfg_setup "$cfg" || return 1
  base=$RAW/$run-$cfg${VAR_NAME:+-$VAR_NAME}
  FIFO=/tmp/latency.fifo
  # The guest takes an option's first value: the variant's go first.
  GUEST_EXTRA="$VAR_GUEST $(cat "$SHARE/guest-extra-args" 2>/dev/null)"
  rm -f "$base".* "$FIFO" && mkfifo "$FIFO"
  : >"$base.kv"
  servers_start "$ADDR"
  host_pid=
  if [ -n "$VAR_HOST" ]; then
    BENCH_GUEST_OUT=$base.out sh -c "$VAR_HOST" >"$base.host" 2>&1 &
    host_pid=$!
  fi
  start_vmm
  # Counters at each phase line, while the guest pauses (latency.c).
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$base.out"
    case $line in
      *"guest-test: latency phase name="*)
        phase=${line##*name=} phase=${phase%% *}
        echo "$phase $(counters)" >>"$base.kv"
        ;;
    esac
  done <"$FIFO"
  wait "$PID"
  echo "rc=$?" >"$base.rc"
  if [ -n "$host_pid" ]; then kill "$host_pid" 2>/dev/null; wait "$host_pid" 2>/dev/null; fi
  rm -f "$FIFO"
  servers_stop
  json_line "$run" "$cfg" "$base.out" "$SECONDS_PER_TEST" "$base.kv" >"$base.json"
  cat "$base.json" >>"$OUT/latency.jsonl"
  sed 's/^/bench-latency: /' "$base.json"
  grep -h '^guest-test: latency error' "$base.out" | head -n 3 | sed 's/^/bench-latency:   /'
  cp "$base".* "$OUT/raw/"
}

host_setup
tool sockperf --version 2>&1 | head -n1 | sed 's/^/bench-latency: /'
tool iperf3 --version 2>&1 | head -n1 | sed 's/^/bench-latency: /'
: >"$OUT/latency.jsonl"
# run_variants RUN CFG: the configuration once per line of the variants
# file (or once, plainly, without one).
run_variants() {
  VAR_NAME='' VAR_TVM='' VAR_GUEST='' VAR_HOST=''
  if [ ! -s "$SHARE/variants" ]; then
    run_one "$1" "$2"
    return
  fi
  while IFS='|' read -r VAR_NAME VAR_TVM VAR_GUEST VAR_HOST; do
    case $VAR_NAME in '' | '#'*) continue ;; esac
    run_one "$1" "$2" </dev/null
  done <"$SHARE/variants"
}

r=1
while [ "$r" -le "$RUNS" ]; do
  for c in $CONFIGS; do run_variants "$r" "$c"; done
  r=$((r + 1))
done
log "done"
