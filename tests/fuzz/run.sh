#!/usr/bin/env bash
# Build and run tinyvmm's libFuzzer targets (tests/fuzz/fuzz_*.c).
#
#   tests/fuzz/run.sh --smoke         fixed iterations per target, plus the
#                                     regression inputs in regressions/<target>/
#   tests/fuzz/run.sh --long SECONDS  each target for SECONDS; Markdown table of
#                                     executions and coverage, also written to
#                                     docs/fuzzing.md
#   tests/fuzz/run.sh --build         just build
#
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev). Builds in
# build/fuzz with ASan + UBSan. The committed seeds in corpus/<target>/ are
# only read; new inputs go to build/fuzz/work/<target>/ (--smoke: smoke-work/), crashes to
# build/fuzz/artifacts/<target>/. The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."

TARGETS=(split_ring packed_ring virtio_mmio net_ctrl net_rx loader cli guest_walk console pci virtio_pci pl011 pl031)
SMOKE_RUNS=${TINYVMM_FUZZ_RUNS:-20000}
BUILD=build/fuzz
LOGS=$BUILD/logs
WORK=$BUILD/work	# --long keeps growing this corpus; --smoke starts empty each time

mode=${1:-}
seconds=0
case $mode in
  --smoke|--build) ;;
  --long)
    seconds=${2:-}
    [[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 --long SECONDS" >&2; exit 2; } ;;
  *) echo "usage: $0 --smoke | --long SECONDS | --build" >&2; exit 2 ;;
esac

build() {
  local cc=${CC:-clang}
  if ! command -v "$cc" >/dev/null; then
    echo "FAIL build: $cc not found (apt-get install clang libclang-rt-14-dev)"
    return 1
  fi
  mkdir -p "$LOGS"
  if ! { cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER="$cc" -DTINYVMM_FUZZ=ON \
           -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
         cmake --build "$BUILD" -j"$(nproc)" --target "${TARGETS[@]/#/fuzz_}"; } \
       >"$LOGS/build.log" 2>&1; then
    echo "FAIL build: see $LOGS/build.log"
    grep -m5 -E 'error|Error' "$LOGS/build.log" | sed 's/^/  /'
    return 1
  fi
}

# stat NAME LOG: a libFuzzer -print_final_stats value.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n1; }
# last_field FIELD LOG: the last "cov:"/"ft:"/"corp:" value libFuzzer printed.
last_field() { grep -oE "$1: [0-9/]+[a-zA-Z]*" "$2" | tail -n1 | sed "s/^$1: //"; }

# why LOG: the first line that says what went wrong.
why() {
  grep -m1 -E 'invariant failed|ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error|SUMMARY|deadly signal|timeout' "$1" ||
    tail -n1 "$1"
}

# fuzz TARGET OPTIONS...: one libFuzzer session; log in $LOGS/TARGET.log.
fuzz() {
  local t=$1; shift
  local work=$WORK/$t art=$BUILD/artifacts/$t/
  mkdir -p "$work" "$art"
  ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$BUILD/fuzz_$t" -seed=1 -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
      -print_final_stats=1 -artifact_prefix="$art" "$@" \
      "$work" "tests/fuzz/corpus/$t" >"$LOGS/$t.log" 2>&1
}

# replay TARGET: run every file in regressions/TARGET once.
replay() {
  local t=$1 d=tests/fuzz/regressions/$1
  compgen -G "$d/*" >/dev/null || return 0
  ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$BUILD/fuzz_$t" -timeout=10 "$d"/* >"$LOGS/$t.regressions.log" 2>&1
}

passed=0
failed=0

if ! build; then
  echo "0 passed, 1 failed"
  exit 1
fi
[[ $mode == --build ]] && { echo "built: ${TARGETS[*]/#/$BUILD/fuzz_}"; exit 0; }

if [[ $mode == --smoke ]]; then
  WORK=$BUILD/smoke-work
  for t in "${TARGETS[@]}"; do
    # A fresh work dir each time: the same seeds and -seed give the same run.
    rm -rf "${WORK:?}/$t"
    if ! replay "$t"; then
      echo "FAIL $t: regression input: $(why "$LOGS/$t.regressions.log")"
      failed=$((failed + 1)); continue
    fi
    if fuzz "$t" -runs="$SMOKE_RUNS"; then
      echo "PASS $t ($(stat number_of_executed_units "$LOGS/$t.log") execs, cov $(last_field cov "$LOGS/$t.log"))"
      passed=$((passed + 1))
    else
      echo "FAIL $t: $(why "$LOGS/$t.log") (log: $LOGS/$t.log; input in $BUILD/artifacts/$t/)"
      failed=$((failed + 1))
    fi
  done
  echo "$passed passed, $failed failed"
  ((failed == 0))
  exit
fi

# --long
table="| target | seconds | executions | exec/s | coverage (edges) | features | corpus | result |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
for t in "${TARGETS[@]}"; do
  if fuzz "$t" -max_total_time="$seconds"; then
    result=pass
    passed=$((passed + 1))
  else
    result="FAIL: $(why "$LOGS/$t.log" | cut -c1-80)"
    failed=$((failed + 1))
  fi
  log=$LOGS/$t.log
  table+="
| $t | $seconds | $(stat number_of_executed_units "$log") | $(stat average_exec_per_sec "$log") | $(last_field cov "$log") | $(last_field ft "$log") | $(last_field corp "$log") | $result |"
  echo "$t: $result"
done
echo
echo "$table"
{
  cat <<DOC
# Fuzzing

tinyvmm's guest-controlled inputs are fuzzed with libFuzzer (clang) under
AddressSanitizer and UndefinedBehaviorSanitizer. The targets drive the real
code in \`tinyvmm_core\`; tests/fuzz/fuzz_*.c describe each input layout.

| target | code under test |
| --- | --- |
| split_ring | devices/virtio/virtq.c, virtq_split.c: pop/push/unpop/interrupt/kick sequences on a hostile split ring |
| packed_ring | the same for packed rings (devices/virtio/virtq_packed.c) |
| virtio_mmio | devices/virtio/virtio_mmio.c register file over the virtio core (virtio_dev.c): status machine, features, queue setup, DRIVER_OK into virtq_start |
| net_ctrl | net_ctrl_parse() on raw commands, net_ctrl_process() on a fuzzed control ring |
| net_rx | mergeable RX filling in devices/net/net_user.c (net_rx_deliver()) on fuzzed frames and RX rings |
| loader | loader_load_kernel() (Image, gzip, ELF) and loader_place_initrd_and_fdt() |
| cli | cli_parse() on a fuzzed argv |

Every popped chain is checked to lie inside guest RAM with at most
VIRTQ_MAX_IOV buffers; guest RAM is on the heap so ASan reports any access
past it. Packages: \`clang\` and \`libclang-rt-14-dev\` (Debian 12).

    tests/fuzz/run.sh --smoke         # $SMOKE_RUNS runs per target + regressions (scripts/test runs this)
    tests/fuzz/run.sh --long SECONDS  # each target for SECONDS; rewrites this table
    tests/fuzz/make_seeds.py          # regenerate tests/fuzz/corpus/

A crash leaves its input in build/fuzz/artifacts/<target>/; minimize it with
\`build/fuzz/fuzz_<target> -minimize_crash=1 -runs=10000 FILE\`, fix the bug
and add the input to tests/fuzz/regressions/<target>/ (replayed by --smoke).

## Last long run

$(date -u +%Y-%m-%d) ($(nproc) cores, one target at a time, -seed=1, corpus kept in build/fuzz/work/):

$table
DOC
} >docs/fuzzing.md
echo
echo "$passed passed, $failed failed"
((failed == 0))
