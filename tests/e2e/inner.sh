# End-to-end checks that run INSIDE the emulated host (busybox sh), started
# by tests/e2e/run.sh through scripts/emuhost. Not meant to be run directly.
#
# usage (in the host): sh inner.sh SUITE LOGDIR [PATTERN]
#   SUITE    gic3 (most checks) or gic2 (the GICv2 host checks)
#   LOGDIR   where each check's stdout/stderr and timings.txt go
#   PATTERN  only run checks whose name matches this extended regex
#
# Prints `PASS name` / `FAIL name: reason` per check and, last,
# `e2e-counts: pass=N fail=N` for the runner to add up.

SUITE=$1
LOGDIR=$2
PATTERN=${3:-.}
K=$TINYVMM_GUEST_KERNEL
I=$TINYVMM_GUEST_INITRD
# Generous: a nested boot takes ~10-20 s under TCG; a hung tinyvmm must
# not eat the whole emuhost timeout.
RUN_LIMIT=${E2E_RUN_LIMIT:-240}
npass=0
nfail=0
mkdir -p "$LOGDIR"

pass() { echo "PASS $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }

# Centiseconds since boot: busybox date has no sub-second format.
now_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }

# vmm NAME ARGS...: run tinyvmm, output in $LOGDIR/NAME.{out,err}, status
# in RC, duration in SECS. OUT and ERR name the log files.
vmm() {
  name=$1
  shift
  OUT=$LOGDIR/$name.out
  ERR=$LOGDIR/$name.err
  t0=$(now_cs)
  echo "tinyvmm $*" >"$LOGDIR/$name.cmd"
  timeout "$RUN_LIMIT" tinyvmm "$@" >"$OUT" 2>"$ERR" </dev/null
  RC=$?
  t1=$(now_cs)
  SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 100 }')
  echo "$SUITE $name rc=$RC ${SECS}s" >>"$LOGDIR/timings.txt"
}

# Last few lines of the current check's logs, for FAIL reasons.
tail_logs() {
  # LOGDIR is build/e2e/logs on the machine that ran tests/e2e/run.sh.
  echo "  --- stdout, end of build/e2e/logs/${OUT##*/}"
  tail -n 8 "$OUT" | sed 's/^/  | /'
  echo "  --- stderr, end of build/e2e/logs/${ERR##*/}"
  tail -n 8 "$ERR" | sed 's/^/  | /'
}

wanted() { echo "$1" | grep -Eq -- "$PATTERN"; }

# expect_rc NAME WANT: FAIL unless RC is WANT; returns 1 on failure.
expect_rc() {
  [ "$RC" = "$2" ] && return 0
  fail "$1" "exit status $RC, want $2 (after ${SECS}s)"
  tail_logs
  return 1
}

expect_out() {
  grep -q -- "$2" "$OUT" && return 0
  fail "$1" "guest output lacks '$2'"
  tail_logs
  return 1
}

expect_err() {
  grep -q -- "$2" "$ERR" && return 0
  fail "$1" "stderr lacks '$2'"
  tail_logs
  return 1
}

# check_boot NAME CPUS GIC KERNEL [ARGS...]: a nested boot to
# guest-test's report line with CPUS CPUs and the GIC banner saying GIC.
check_boot() {
  name=$1 cpus=$2 gic=$3 kernel=$4
  shift 4
  wanted "$name" || return 0
  vmm "$name" --kernel "$kernel" --initrd "$I" --cpus "$cpus" --mem 256 "$@"
  expect_rc "$name" 0 || return 0
  expect_out "$name" "guest-test: started" || return 0
  expect_out "$name" "guest-test: cpus=$cpus kernel=$(uname -r) mem_kib=" || return 0
  expect_err "$name" "=== GIC Version: $gic ===" || return 0
  pass "$name"
}

# Bad input: exit 2 and exactly one stderr line, starting with "tinyvmm:".
check_bad() {
  name=$1
  shift
  wanted "$name" || return 0
  vmm "$name" "$@"
  expect_rc "$name" 2 || return 0
  lines=$(grep -c . "$ERR")
  if [ "$lines" != 1 ] || ! head -n 1 "$ERR" | grep -q '^tinyvmm: '; then
    fail "$name" "want one 'tinyvmm: ...' line on stderr, got $lines lines"
    tail_logs
    return 0
  fi
  pass "$name"
}

# No --cmdline: tinyvmm's default (console=ttyS0 earlycon) must show the
# guest kernel's own log, not just userspace lines. The only boot without
# `quiet`: every UART byte is costly under nested emulation.
check_default_cmdline() {
  name=default-cmdline
  wanted "$name" || return 0
  vmm "$name" --kernel "$K" --initrd "$I" --cpus 1 --mem 256
  expect_rc "$name" 0 || return 0
  expect_out "$name" "Linux version $(uname -r)" || return 0
  expect_out "$name" "guest-test: cpus=1 " || return 0
  pass "$name"
}

check_panic() {
  wanted panic-reset || return 0
  vmm panic-reset --kernel "$K" --initrd "$I" --cpus 1 --mem 256 \
    --cmdline "console=ttyS0 quiet panic=-1 guest-test.mode=panic"
  expect_rc panic-reset 3 || return 0
  expect_out panic-reset "guest-test: triggering panic" || return 0
  pass panic-reset
}

check_hang_timeout() {
  wanted hang-timeout || return 0
  vmm hang-timeout --kernel "$K" --initrd "$I" --cpus 1 --mem 256 \
    --cmdline "console=ttyS0 quiet guest-test.mode=hang" --timeout 5
  expect_rc hang-timeout 4 || return 0
  # 5 s plus teardown; much longer means --timeout is not enforced.
  if [ "${SECS%.*}" -gt 30 ]; then
    fail hang-timeout "took ${SECS}s for --timeout 5"
    return 0
  fi
  pass hang-timeout
}

check_gzip_kernel() {
  wanted gzip-kernel || return 0
  gzip -c "$K" >/tmp/Image.gz
  check_boot gzip-kernel 1 3 /tmp/Image.gz --cmdline "console=ttyS0 quiet"
  rm -f /tmp/Image.gz
}

check_too_big() {
  wanted mem-too-small || return 0
  # Kernel (~33 MiB image_size ~35 MiB) + 40 MiB initrd cannot fit in 64 MiB.
  head -c 41943040 /dev/zero >/tmp/big.initrd
  check_bad mem-too-small --kernel "$K" --initrd /tmp/big.initrd --mem 64 \
    --cmdline console=ttyS0
  rm -f /tmp/big.initrd
}

check_console_log_and_dtb() {
  name=console-log-dtb
  wanted "$name" || return 0
  vmm "$name" --kernel "$K" --initrd "$I" --cpus 2 --mem 256 --quiet \
    --cmdline "console=ttyS0 quiet" \
    --console-log "$LOGDIR/$name.console" --dump-dtb "$LOGDIR/$name.dtb"
  expect_rc "$name" 0 || return 0
  if ! grep -q "guest-test: cpus=2 " "$LOGDIR/$name.console" 2>/dev/null; then
    fail "$name" "--console-log file lacks the guest's report line"
    return 0
  fi
  magic=$(od -An -tx1 -N4 "$LOGDIR/$name.dtb" 2>/dev/null | tr -d ' \n')
  if [ "$magic" != d00dfeed ]; then
    fail "$name" "--dump-dtb file is not a DTB (magic '$magic')"
    return 0
  fi
  pass "$name"
}

# SIGTERM while a guest runs: exit 143 (and the guest is torn down).
check_sigterm() {
  name=sigterm
  wanted "$name" || return 0
  OUT=$LOGDIR/$name.out ERR=$LOGDIR/$name.err
  t0=$(now_cs)
  tinyvmm --kernel "$K" --initrd "$I" --cpus 1 --mem 256 \
    --cmdline "console=ttyS0 quiet guest-test.mode=hang" >"$OUT" 2>"$ERR" </dev/null &
  pid=$!
  # Wait for the guest to hang (up to 60 s), so the signal hits a live VM.
  i=0
  while [ $i -lt 120 ] && ! grep -q "guest-test: hanging" "$OUT"; do
    sleep 0.5
    i=$((i + 1))
  done
  kill -TERM "$pid"
  wait "$pid"
  RC=$?
  SECS=$(awk -v a="$t0" -v b="$(now_cs)" 'BEGIN { printf "%.1f", (b - a) / 100 }')
  echo "$SUITE $name rc=$RC ${SECS}s" >>"$LOGDIR/timings.txt"
  expect_out "$name" "guest-test: hanging" || return 0
  expect_rc "$name" 143 || return 0
  pass "$name"
}

# KVM missing on the host must give exit 6, not a crash or exit 1.
check_no_kvm() {
  wanted no-kvm || return 0
  mv /dev/kvm /dev/kvm.hidden
  vmm no-kvm --kernel "$K" --initrd "$I" --mem 256 --cmdline console=ttyS0
  mv /dev/kvm.hidden /dev/kvm
  expect_rc no-kvm 6 || return 0
  pass no-kvm
}

suite_gic3() {
  check_boot boot-cpus1 1 3 "$K" --cmdline "console=ttyS0 quiet"
  check_boot boot-cpus2 2 3 "$K" --cmdline "console=ttyS0 quiet"
  check_default_cmdline
  check_panic
  check_hang_timeout
  check_sigterm
  check_gzip_kernel
  check_console_log_and_dtb
  check_bad missing-kernel --kernel /nonexistent/Image --initrd "$I"
  head -c 1048576 /dev/urandom >/tmp/random.img
  check_bad random-kernel --kernel /tmp/random.img --initrd "$I"
  check_bad cpus-zero --kernel "$K" --initrd "$I" --cpus 0
  check_bad mem-zero --kernel "$K" --initrd "$I" --mem 0
  check_bad unknown-option --kernel "$K" --initrd "$I" --no-such-option
  check_too_big
  check_no_kvm
}

suite_gic2() {
  check_boot gicv2-host-boot 2 2 "$K" --cmdline "console=ttyS0 quiet"
  check_boot gicv2-host-gic-v2 1 2 "$K" --gic v2 --cmdline "console=ttyS0 quiet"
}

if ! command -v tinyvmm >/dev/null; then
  fail "$SUITE-setup" "no tinyvmm in the emulated host (build/arm64/tinyvmm missing?)"
else
  "suite_$SUITE"
fi
echo "e2e-counts: pass=$npass fail=$nfail"
