#!/usr/bin/env bash
# Build and run tinyvmm's libFuzzer targets (tests/fuzz/fuzz_*.c).
#
#   tests/fuzz/run.sh --smoke         fixed iterations per target, plus the
#                                     regression inputs in regressions/<target>/
#   tests/fuzz/run.sh --long SECONDS [--jobs N]
#                                     each target for SECONDS (N at a time,
#                                     default 1); Markdown table of executions,
#                                     CPU seconds and coverage, also written to
#                                     docs/fuzzing.md
#   tests/fuzz/run.sh --build         just build
#   tests/fuzz/run.sh --minimize      add to corpus/<target>/ the fewest,
#                                     smallest inputs of what --long found
#                                     (build/fuzz/work/<target>/) that cover
#                                     what the committed seeds do not
#                                     (libFuzzer -merge=1; the named seeds of
#                                     make_seeds.py stay)
#
# Any mode takes target names after its arguments to run only those (e.g.
# two --long sessions in parallel, one per core); --long rewrites
# docs/fuzzing.md only when it ran every target.
#
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev). Builds in
# build/fuzz with ASan + UBSan. The committed seeds in corpus/<target>/ are
# only read; new inputs go to build/fuzz/work/<target>/ (--smoke: smoke-work/), crashes to
# build/fuzz/artifacts/<target>/. The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."

TARGETS=(split_ring packed_ring virtio_mmio net_ctrl net_rx loader cli guest_walk console pci virtio_pci pl011 pl031 msi)
SMOKE_RUNS=${TINYVMM_FUZZ_RUNS:-20000}
BUILD=build/fuzz
LOGS=$BUILD/logs
WORK=$BUILD/work	# --long keeps growing this corpus; --smoke starts empty each time

usage() {
  echo "usage: $0 --smoke | --long SECONDS [--jobs N] | --build | --minimize  [TARGET...]" >&2
  exit 2
}
mode=${1:-}
seconds=0
jobs=1
case $mode in
  --smoke|--build|--minimize) shift ;;
  --long)
    seconds=${2:-}
    [[ $seconds =~ ^[1-9][0-9]*$ ]] || usage
    shift 2
    if [[ ${1:-} == --jobs ]]; then
      jobs=${2:-}
      [[ $jobs =~ ^[1-9][0-9]*$ ]] || usage
      shift 2
    fi ;;
  *) usage ;;
esac
all_targets=1
if (($#)); then
  for t in "$@"; do
    [[ " ${TARGETS[*]} " == *" $t "* ]] || { echo "$0: no target '$t' (${TARGETS[*]})" >&2; exit 2; }
  done
  TARGETS=("$@")
  all_targets=0
fi

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

if [[ $mode == --minimize ]]; then
  for t in "${TARGETS[@]}"; do
    mkdir -p "$WORK/$t" "tests/fuzz/corpus/$t"
    # -use_counters=0: a new edge earns a place, not a new hit count of one.
    if "$BUILD/fuzz_$t" -merge=1 -use_counters=0 -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
         "tests/fuzz/corpus/$t" "$WORK/$t" >"$LOGS/$t.minimize.log" 2>&1; then
      echo "PASS $t: $(ls "tests/fuzz/corpus/$t" | wc -l) inputs, $(du -sh "tests/fuzz/corpus/$t" | cut -f1)"
      passed=$((passed + 1))
    else
      echo "FAIL $t: $(why "$LOGS/$t.minimize.log")"
      failed=$((failed + 1))
    fi
  done
  echo "$passed passed, $failed failed"
  ((failed == 0))
  exit
fi

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
      echo "PASS $t ($(stat number_of_executed_units "$LOGS/$t.log") execs, cov $(last_field cov "$LOGS/$t.log"), ft $(last_field ft "$LOGS/$t.log"), corpus $(last_field corp "$LOGS/$t.log"))"
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
# long_one TARGET: one timed session; its CPU seconds (user + system) go to
# $LOGS/TARGET.cpu, so a run that shared the cores says how much it really had.
long_one() {
  local t=$1 rc
  local TIMEFORMAT='%U %S'
  { time fuzz "$t" -max_total_time="$seconds"; } 2>"$LOGS/$t.time"
  rc=$?
  awk '{ printf "%d\n", $1 + $2 + 0.5 }' "$LOGS/$t.time" >"$LOGS/$t.cpu"
  return $rc
}

declare -A pid_of
for t in "${TARGETS[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  long_one "$t" &
  pid_of[$t]=$!
done
table="| target | seconds | CPU seconds | executions | exec/s | coverage (edges) | features | corpus | result |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
total=0
for t in "${TARGETS[@]}"; do
  if wait "${pid_of[$t]}"; then
    result=pass
    passed=$((passed + 1))
  else
    result="FAIL: $(why "$LOGS/$t.log" | cut -c1-80)"
    failed=$((failed + 1))
  fi
  log=$LOGS/$t.log
  execs=$(stat number_of_executed_units "$log")
  total=$((total + ${execs:-0}))
  table+="
| $t | $seconds | $(cat "$LOGS/$t.cpu") | $execs | $(stat average_exec_per_sec "$log") | $(last_field cov "$log") | $(last_field ft "$log") | $(last_field corp "$log") | $result |"
  echo "$t: $result"
done
echo
echo "$table"
if ((!all_targets)); then
  echo
  echo "$passed passed, $failed failed (docs/fuzzing.md not rewritten: not every target ran)"
  ((failed == 0))
  exit
fi
# Everything above "## Last long run" in docs/fuzzing.md is kept as written
# (the target table and how to run them live there, in one place).
doc_head=$(sed '/^## Last long run/,$d' docs/fuzzing.md)
{
  printf '%s\n\n' "$doc_head"
  cat <<DOC
## Last long run

$(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown) ($(nproc) cores, $jobs target(s) at a time, so each had about $(nproc)/$jobs of a core when the machine was otherwise idle: "CPU seconds" is what each really got; -seed=1, corpus kept in build/fuzz/work/; $total executions in all):

$table
DOC
} >docs/fuzzing.md
echo
echo "$passed passed, $failed failed"
((failed == 0))
