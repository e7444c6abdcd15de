#!/usr/bin/env bash
# End-to-end tests: tinyvmm boots nested guests inside the emulated ARM64
# KVM host (scripts/emuhost). Needs scripts/setup to have built
# build/arm64/tinyvmm and build/guest-test.cpio.gz.
#
# usage: tests/e2e/run.sh [PATTERN]
#        tests/e2e/run.sh --list [PATTERN]
#   PATTERN  extended regex: only run checks whose name matches
#            (e.g. 'boot|panic'); a host boot with no match is skipped
#   --list   boot nothing: print `HOST NAME RUN` for each check PATTERN picks
#
# The checks and the host each needs are one table, tests/e2e/checks.list.
# Emulated host boots (~3 s each plus the checks): a GICv3 host (gic3) runs
# the boot, CLI, CPU-feature and CI smoke-test checks, a second GICv3 host
# (net) the network checks (TAPs, tinyvmm-netpeer, all tiers, multi-queue,
# reset loops, unprivileged use), a host without vhost_net (novhost) the
# Tier 2 fallback checks, a GICv2 host (gic2) the GICv2 ones, 6.12
# 16K-page hosts (k16, k16gic2: GICv3 and GICv2) a representative subset, a
# GICv3 host (virt) the checks of QEMU's virt board (U-Boot, bare-metal) and
# a Cortex-A53 host (a53: no 16K pages, 40-bit IPA) the page-size and IPA
# limit errors. Checks of host build run here first: docs/ci.md's x86_64
# job (a host boot of its own) and arm64 build step, tinyvmm check under
# qemu-user. Each check prints `PASS name` or `FAIL name: reason`; the last
# line is `N passed, N failed` and the exit status is non-zero on any
# failure. A check whose guest kernel broke by itself (panic, or stuck
# before its first line) is run a second time after a `RETRY name: ...`
# line; the last line counts those. Logs per check:
# build/e2e/logs/<name>.{cmd,out,err}; timings.txt there. One JSON line per
# check in build/e2e/results.jsonl (name, host, result pass/fail/skip,
# seconds, retries, detail: tests/e2e/checks.sh result_line).
set -euo pipefail
# shellcheck disable=SC2034 # read by common.sh
TVM_PROG=e2e
# shellcheck source=SCRIPTDIR/../../scripts/lib/common.sh
source "$(dirname "$0")/../../scripts/lib/common.sh"
# shellcheck source=SCRIPTDIR/../../scripts/lib/host-kernel.sh
source "$(dirname "$0")/../../scripts/lib/host-kernel.sh"

# TVM_E2E_DIR: another work directory, so two runs can share a tree.
E2E_DIR=${TVM_E2E_DIR:-$TVM_BUILD/e2e}
# The one list of checks (name, host, how to run, the call, a description):
# tests/e2e/checks.list, read with tests/e2e/checks.sh here and in inner.sh.
# E2E_CHECKS_LIST: another list (tests/e2e/test_checks.py's malformed ones).
CHECKS_LIST=${E2E_CHECKS_LIST:-$(dirname "$0")/checks.list}
# shellcheck source=SCRIPTDIR/checks.sh
source "$(dirname "$0")/checks.sh"
# E2E_VIRT_PENDING=1: the list's `pending` rows too (more QEMU variants, for
# when a tinyvmm check fails and QEMU's behaviour is in question, e.g.
# `E2E_VIRT_PENDING=1 tests/e2e/run.sh qemu-uboot`).
PENDING=0
[[ -n ${E2E_VIRT_PENDING:-} ]] && PENDING=1
SELECTED=   # the rows PATTERN picks (checks_select), set by main
RESULTS=$E2E_DIR/results.jsonl

total_pass=0
total_fail=0
total_retry=0

# host_selected HOST: some row PATTERN picked is for HOST.
host_selected() { awk -F'\t' -v host="$1" '$2 == host { found = 1 } END { exit !found }' <<<"$SELECTED"; }

# run_suite SUITE PATTERN EMUHOST-ARGS...: one host boot; adds its counts.
run_suite() {
  local suite=$1 pattern=$2 out rc=0 counts
  shift 2
  out=$E2E_DIR/$suite.log
  echo "--- $suite host: scripts/emuhost $*"
  set +e
  "$TVM_ROOT/scripts/emuhost" --share "$E2E_DIR" "$@" -- \
    sh /mnt/share/inner.sh "$suite" /mnt/share/logs "$pattern" "$PENDING" </dev/null |
    tee "$out" | grep --line-buffered -v '^e2e-counts:'
  rc=${PIPESTATUS[0]}
  set -e
  counts=$(grep '^e2e-counts:' "$out" | tail -n1 || true)
  if [[ -z $counts ]]; then
    echo "FAIL $suite-host: emuhost exited $rc before the checks finished"
    result_line "$RESULTS" "$suite-host" "$suite" fail 0 0 "emuhost exited $rc before the checks finished"
    total_fail=$((total_fail + 1))
    return 0
  fi
  [[ $counts =~ pass=([0-9]+)\ fail=([0-9]+)\ retry=([0-9]+) ]]
  total_pass=$((total_pass + BASH_REMATCH[1]))
  total_fail=$((total_fail + BASH_REMATCH[2]))
  total_retry=$((total_retry + BASH_REMATCH[3]))
}

# The verdict of a check run here (host build): PASS/FAIL line, the counts,
# and what run_build_check writes into its result line.
BUILD_RESULT='' BUILD_DETAIL=''
ci_pass() { echo "PASS $1"; total_pass=$((total_pass + 1)); BUILD_RESULT=pass; }
ci_fail() {
  echo "FAIL $1: $2"
  [[ -n ${3:-} ]] && tail -n 8 "$3" | sed 's/^/  | /'
  total_fail=$((total_fail + 1))
  BUILD_RESULT=fail BUILD_DETAIL=$2
}
# not_run NAME WHY: a check that cannot run on this machine (result skip).
not_run() { echo "--- $1: not run ($2)"; BUILD_RESULT=skip BUILD_DETAIL=$2; }

# run_build_check NAME CALL: a row of checks.list for host build: its
# function with NAME and the row's arguments, and its result line.
run_build_check() {
  local name=$1 t0 args
  eval "args=($2)"
  BUILD_RESULT=skip BUILD_DETAIL="no PASS or FAIL line"
  t0=$(date +%s.%N)
  "${args[0]}" "$name" "${args[@]:1}"
  result_line "$RESULTS" "$name" build "$BUILD_RESULT" \
    "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" 0 "$BUILD_DETAIL"
}

# docs/ci.md's x86_64 job step as written (tests/e2e/ci-recipe.sh), in this
# tree, with the guest kernel and guest-test initramfs as the user's.
check_ci_recipe_x86_64() {
  local name=$1 art=$E2E_DIR/ci-artifacts log rc=0
  log=$E2E_DIR/logs/$name.log
  rm -rf "$art" && mkdir -p "$art"
  cp "$TVM_KERNEL_DIR/Image" "$art/Image" && cp "$TVM_GUEST_INITRD" "$art/initrd.img"
  "$(dirname "$0")/ci-recipe.sh" x86_64 >"$E2E_DIR/$name.sh"
  (cd "$TVM_ROOT" && ARTIFACTS=$art BOOT_CMDLINE='console=ttyS0 quiet' \
    BOOT_EXPECT='guest-test: started' bash --noprofile --norc -eo pipefail "$E2E_DIR/$name.sh") \
    >"$log" 2>&1 </dev/null || rc=$?
  if ((rc != 0)); then
    ci_fail "$name" "the recipe exited $rc, want 0" "$log"
  elif ! grep -q "^tinyvmm: console matched --expect 'guest-test: started'" "$log"; then
    ci_fail "$name" "no '--expect matched' line" "$log"
  elif ! grep -q 'guest-test: started' "$art/boot.log" 2>/dev/null; then
    ci_fail "$name" "out/boot.log lacks the guest's line" "$log"
  else
    cp "$art/boot.json" "$E2E_DIR/logs/report-$name.json"
    ci_pass "$name"
  fi
}

# The arm64 job's build step, but its apt-get line (no network in tests):
# the same cmake lines, here on whatever this machine is.
check_ci_recipe_arm64_build() {
  local name=$1 log rc=0
  log=$E2E_DIR/logs/$name.log
  "$(dirname "$0")/ci-recipe.sh" arm64-build | grep -v '^apt-get ' >"$E2E_DIR/$name.sh"
  rm -rf "$TVM_ROOT/build/ci"
  (cd "$TVM_ROOT" && bash --noprofile --norc -eo pipefail "$E2E_DIR/$name.sh") >"$log" 2>&1 </dev/null ||
    rc=$?
  if ((rc != 0)); then
    ci_fail "$name" "the build step exited $rc, want 0" "$log"
  elif ! "$TVM_ROOT/build/ci/tinyvmm" --version >>"$log" 2>&1; then
    ci_fail "$name" "build/ci/tinyvmm --version failed" "$log"
  else
    ci_pass "$name"
  fi
  rm -rf "$TVM_ROOT/build/ci"
}

# verdict NAME OK REASON: a check run on the build host; PASS NAME when OK
# is 1, else FAIL NAME: REASON.
verdict() {
  if (($2)); then ci_pass "$1"; else ci_fail "$1" "$3"; fi
}

# On the build host, not in the emulated one: the arm64 tinyvmm under
# qemu-user where /dev/kvm is the build host's (x86) KVM, so it opens but
# every KVM ioctl fails. `tinyvmm check` must call that broken, exit 6.
check_qemu_user() {
  local name=$1 out=$E2E_DIR/logs/$1.out rc=0 ok=0
  if [[ $(uname -m) == aarch64 || ! -r /dev/kvm ]] || ! command -v qemu-aarch64-static >/dev/null; then
    not_run "$name" "needs a non-arm64 host with /dev/kvm and qemu-aarch64-static"
    return 0
  fi
  qemu-aarch64-static "${TINYVMM_BIN:-$TVM_BUILD/arm64/tinyvmm}" check >"$out" 2>&1 || rc=$?
  ((rc == 6)) && grep -q '\[!!\] /dev/kvm: opens, but KVM_GET_API_VERSION fails' "$out" &&
    ! grep -q '\[ok\] /dev/kvm' "$out" && ! grep -q '\[ok\] vCPUs' "$out" && ok=1
  verdict "$name" "$ok" "exit $rc (want 6), output: $(head -n 4 "$out" | tr '\n' ' ')"
}

# On the build host: a --host-kernel apt does not know is one line, exit 125.
check_unknown_host_kernel() {
  local name=$1 out=$E2E_DIR/logs/$1.err rc=0 ok=0
  "$TVM_ROOT/scripts/emuhost" --host-kernel linux-image-6.12.0+deb12-arm64-nosuch -- true \
    >/dev/null 2>"$out" </dev/null || rc=$?
  ((rc == 125)) && [[ $(grep -c . "$out") == 1 ]] &&
    grep -q '^emuhost: --host-kernel linux-image-6.12.0+deb12-arm64-nosuch: apt knows no such arm64 package' "$out" &&
    ok=1
  verdict "$name" "$ok" "exit $rc (want 125), stderr: $(head -c 300 "$out" | tr '\n' ' ')"
}

# run_k16_suite SUITE PATTERN EMUHOST-ARGS...: a 6.12 16K-page host, the
# newest such kernel apt offers (its ABI number moves with updates).
run_k16_suite() {
  local suite=$1 pattern=$2 pkg
  shift 2
  pkg=$(tvm_newest_host_kernel arm64-16k)
  if [[ -z $pkg ]]; then
    echo "FAIL $suite-host: apt offers no linux-image-6.12.*+deb12-arm64-16k-unsigned (apt-get update?)"
    result_line "$RESULTS" "$suite-host" "$suite" fail 0 0 "apt offers no linux-image-6.12.*+deb12-arm64-16k-unsigned"
    total_fail=$((total_fail + 1))
    return 0
  fi
  run_suite "$suite" "$pattern" --host-kernel "$pkg" "$@"
}

# run_virt_suite PATTERN: QEMU's arm64 run tree (bench-qemu.sh: Debian's
# qemu-system-arm, fetched once), U-Boot and virtnet in the share, then a
# GICv3 host boot running the virt checks PATTERN picks.
run_virt_suite() {
  local bin
  bin=$(dirname "${TINYVMM_BIN:-$TVM_BUILD/arm64/tinyvmm}")
  if ! [[ -s $TVM_UBOOT_DIR/u-boot.bin && -s $bin/tinyvmm-virtnet.bin ]]; then
    echo "FAIL virt-host: no .cache/u-boot/u-boot.bin or build/arm64/tinyvmm-virtnet.bin (run scripts/setup)"
    result_line "$RESULTS" virt-host virt fail 0 0 "no .cache/u-boot/u-boot.bin or build/arm64/tinyvmm-virtnet.bin"
    total_fail=$((total_fail + 1))
    return 0
  fi
  cp "$TVM_UBOOT_DIR/u-boot.bin" "$E2E_DIR/u-boot.bin"
  cp "$bin/tinyvmm-virtnet" "$E2E_DIR/virtnet.elf"
  cp "$bin/tinyvmm-virtnet.bin" "$E2E_DIR/virtnet.bin"
  if awk -F'\t' '$2 == "virt" && $1 ~ /^qemu-/ { found = 1 } END { exit !found }' <<<"$SELECTED"; then
    # shellcheck source=SCRIPTDIR/../../scripts/lib/bench-qemu.sh
    source "$TVM_ROOT/scripts/lib/bench-qemu.sh"
    bench_qemu_fetch
    bench_qemu_stage "$E2E_DIR/qemu"
  fi
  run_suite virt "$1" --gic 3 --cpus 2 --timeout 1200
}

# Every --report-json file the checks left must match the documented schema.
validate_reports() {
  local reports=("$E2E_DIR"/logs/report-*.json)
  [[ -e ${reports[0]} ]] || return 0
  local why
  if python3 "$TVM_ROOT/tests/validate_report.py" "${reports[@]}" >"$E2E_DIR/logs/report-schema.log" 2>&1; then
    echo "PASS report-json-schema (${#reports[@]} reports valid against docs/report.schema.json)"
    result_line "$RESULTS" report-json-schema build pass 0 0 "${#reports[@]} reports valid"
    total_pass=$((total_pass + 1))
  else
    why=$(grep -v ': valid$' "$E2E_DIR/logs/report-schema.log" | head -n 3 | tr '\n' ' ')
    echo "FAIL report-json-schema: $why"
    result_line "$RESULTS" report-json-schema build fail 0 0 "$why"
    total_fail=$((total_fail + 1))
  fi
}

# list_checks PATTERN: which checks PATTERN picks and where they would run,
# one `HOST NAME RUN` line each in checks.list's order; nothing is booted.
list_checks() {
  local rows
  rows=$(checks_select "$CHECKS_LIST" '' "$1" "$PENDING") || exit 2
  [[ -z $rows ]] || awk -F'\t' '{ print $2, $1, $3 }' <<<"$rows"
}

main() {
  if [[ ${1:-} == --list ]]; then
    list_checks "${2:-.}"
    return 0
  fi
  local pattern=${1:-.} name call
  SELECTED=$(checks_select "$CHECKS_LIST" '' "$pattern" "$PENDING") || {
    echo "e2e: $CHECKS_LIST is malformed (above)" >&2
    exit 2
  }
  [[ -x $TVM_BUILD/arm64/tinyvmm || -n ${TINYVMM_BIN:-} ]] ||
    echo "e2e: warning: no build/arm64/tinyvmm (run scripts/setup)" >&2
  rm -rf "$E2E_DIR" && mkdir -p "$E2E_DIR/logs"
  cp "$(dirname "$0")/inner.sh" "$(dirname "$0")/guest-broke.sh" "$(dirname "$0")/checks.sh" "$E2E_DIR/"
  cp "$CHECKS_LIST" "$E2E_DIR/checks.list"
  # The bare-metal guest and docs/ci.md's arm64 boot step, for inner.sh.
  cp "$TVM_BUILD/arm64/guest-test-baremetal" "$E2E_DIR/baremetal.elf" 2>/dev/null || true
  cp "$TVM_BUILD/arm64/tinyvmm-baremetal.bin" "$E2E_DIR/baremetal-raw.bin" 2>/dev/null || true
  "$(dirname "$0")/ci-recipe.sh" arm64 >"$E2E_DIR/ci-recipe-arm64.sh"
  # The build machine's own checks first (host-check-qemu-user, docs/ci.md's recipes, ...).
  if host_selected build; then
    echo "--- checks on this machine"
    while IFS=$'\t' read -r name _ _ call <&3; do
      run_build_check "$name" "$call"
    done 3< <(awk -F'\t' '$2 == "build"' <<<"$SELECTED")
  fi
  # The MSI probe runs from the share (scripts/emuhost copies only tinyvmm's own binaries).
  local probe
  probe=$(dirname "${TINYVMM_BIN:-$TVM_BUILD/arm64/tinyvmm}")/tinyvmm-msiprobe
  [[ -x $probe ]] && cp "$probe" "$E2E_DIR/"
  host_selected gic3 && run_suite gic3 "$pattern" --gic 3 --cpus 2 --timeout 1500
  host_selected net && run_suite net "$pattern" --gic 3 --cpus 2 --timeout 2400
  host_selected novhost && run_suite novhost "$pattern" --gic 3 --cpus 2 --no-vhost --timeout 900
  host_selected gic2 && run_suite gic2 "$pattern" --gic 2 --cpus 2 --timeout 900
  host_selected k16 && run_k16_suite k16 "$pattern" --gic 3 --cpus 2 --timeout 1200
  host_selected k16gic2 && run_k16_suite k16gic2 "$pattern" --gic 2 --cpus 2 --timeout 1200
  host_selected virt && run_virt_suite "$pattern"
  host_selected a53 && EMUHOST_CPU=cortex-a53 run_suite a53 "$pattern" --gic 3 --cpus 2 --timeout 600
  validate_reports
  if [[ -s $E2E_DIR/logs/timings.txt ]]; then
    echo "--- durations (suite check status time):"
    sed 's/^/  /' "$E2E_DIR/logs/timings.txt"
  fi
  if ((total_retry)); then
    echo "$total_pass passed, $total_fail failed; $total_retry check(s) passed or failed on a second attempt after the guest broke by itself (RETRY lines above)"
  else
    echo "$total_pass passed, $total_fail failed"
  fi
  ((total_fail == 0 && total_pass > 0))
}

main "$@"
