#!/bin/sh
# shellcheck shell=sh
# The part of `scripts/bench --latency` that runs inside the emulated ARM64
# host (busybox sh, the staging directory as the share): Debian's sockperf
# and iperf3 between a guest (guest-test.mode=latency, guest-test/latency.c)
# and servers on the TAP in this host.
#
# usage: sh bench-latency.sh RUNS SECONDS CONFIGS...
#   CONFIGS: tinyvmm-t2 tinyvmm-1b tinyvmm-1a (virtio-mmio) and the same
#   with -pci (virtio-pci), as in scripts/bench.
#
# Share layout (made by scripts/bench): tools/ (sockperf, iperf3 and their
# libraries: scripts/lib/latency-tools.sh), guest-test.cpio.gz (the same
# tools inside), tinyvmm-extra-args, guest-extra-args.
# Writes out/raw/RUN-CFG[-VARIANT].{out,err,cmd,report.json} (report.json:
# tinyvmm --report-json, its counters at exit) and out/latency.jsonl: one JSON
# object per configuration run, its figures by name (see json_line), and
# prints each line prefixed "bench-latency: " as it is written.
set -u
RUNS=$1 SECONDS_PER_TEST=$2
shift 2
CONFIGS=$*
SHARE=$(pwd)
OUT=$SHARE/out
RAW=/tmp/raw # tmpfs, copied to the share after each run (as bench-host.sh)
MEM=256 CPUS=2
LIMIT=${BENCH_RUN_LIMIT:-$((240 + 4 * 40 * SECONDS_PER_TEST))}
mkdir -p "$OUT/raw" "$RAW"

log() { echo "bench-latency: $*"; }

host_setup() {
  cp "$SHARE/guest-test.cpio.gz" /tmp/initrd.gz || exit 1
  cp "$TINYVMM_GUEST_KERNEL" /tmp/Image || exit 1
  cp -r "$SHARE/tools" /tmp/tools || exit 1
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

# cfg_setup CFG: TAP ADDR GIP NETARGS, or returns 1.
cfg_setup() {
  TAP=tap0 ADDR=169.254.0.1 GIP=169.254.0.2
  case $1 in
    tinyvmm-t2) NETARGS="--vhost off --transport mmio" ;;
    tinyvmm-1b) NETARGS="--vhost on --transport mmio" ;;
    tinyvmm-1a) NETARGS="--vhost on --queues 2 --transport mmio" ;;
    tinyvmm-t2-pci) NETARGS="--vhost off --transport pci" ;;
    tinyvmm-1b-pci) NETARGS="--vhost on --transport pci" ;;
    tinyvmm-1a-pci) NETARGS="--vhost on --queues 2 --transport pci" ;;
    *) log "error: unknown configuration $1"; return 1 ;;
  esac
  case $1 in *-1a*) TAP=tap1 ADDR=10.1.0.1 GIP=10.1.0.2 ;; esac
  NETARGS="$NETARGS $(cat "$SHARE/tinyvmm-extra-args" 2>/dev/null) $VAR_TVM"
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

# json_line RUN CFG FILE SECS: the run's figures as one JSON object.
json_line() {
  f=$3
  ok=false
  grep -q '^guest-test: latency done' "$f" && ok=true
  i0=$(input0 "$f")
  in_cpu=${i0% *} in_irqs=${i0#* }
  # shellcheck disable=SC2086 # split on purpose: words()
  printf '{"kind":"latency","run":%s,"config":"%s","variant":"%s","vmm":"tinyvmm","tinyvmm_args":"%s","guest_args":"%s","host_cmd":"%s","seconds":%s,"ok":%s,"tick_stall":%s,"metrics":{' \
    "$1" "$2" "$VAR_NAME" "$(words $NETARGS)" "$(words $GUEST_EXTRA)" "$(json_escape "$VAR_HOST")" "$4" "$ok" "$(tick_stall "$f")"
  sep=
  for proto in udp tcp; do
    for k in p50_us p99_us p999_us tps; do
      printf '%s"sockperf_%s_64_%s":%s' "$sep" "$proto" "$k" \
        "$(num "$(guest_value "$f" "latency sockperf proto=$proto " "$k")")"
      sep=,
    done
  done
  for dir in g2h h2g; do
    for k in mbps retr; do
      printf ',"iperf3_%s_1_%s":%s' "$dir" "$k" "$(num "$(guest_value "$f" "latency iperf3 dir=$dir " "$k")")"
    done
  done
  printf ',"input0_cpu":%s,"input0_irqs":%s,"guest_tool_cpu":%s}}\n' "$(num "$in_cpu")" "$(num "$in_irqs")" \
    "$(num "$(guest_value "$f" "latency ready" cpu | sed 's/^-1$//')")"
}

# run_one RUN CFG: one guest run with the current variant (VAR_*).
run_one() {
  run=$1 cfg=$2
  cfg_setup "$cfg" || return 1
  base=$RAW/$run-$cfg${VAR_NAME:+-$VAR_NAME}
  GUEST_EXTRA="$(cat "$SHARE/guest-extra-args" 2>/dev/null) $VAR_GUEST"
  servers_start "$ADDR"
  host_pid=
  if [ -n "$VAR_HOST" ]; then
    BENCH_GUEST_OUT=$base.out sh -c "$VAR_HOST" >"$base.host" 2>&1 &
    host_pid=$!
  fi
  # shellcheck disable=SC2086 # NETARGS and GUEST_EXTRA are word lists
  set -- tinyvmm --kernel /tmp/Image --initrd /tmp/initrd.gz --mem "$MEM" --cpus "$CPUS" \
    --tap "$TAP" $NETARGS --report-json "$base.report.json" --timeout $((LIMIT - 10)) --cmdline \
    "console=ttyS0 quiet guest-test.mode=latency guest-test.ip=$GIP guest-test.peer=$ADDR guest-test.seconds=$SECONDS_PER_TEST $GUEST_EXTRA"
  echo "$*" >"$base.cmd"
  timeout "$LIMIT" "$@" >"$base.out" 2>"$base.err" </dev/null
  if [ -n "$host_pid" ]; then kill "$host_pid" 2>/dev/null; wait "$host_pid" 2>/dev/null; fi
  servers_stop
  json_line "$run" "$cfg" "$base.out" "$SECONDS_PER_TEST" >"$base.json"
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
