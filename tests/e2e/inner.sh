# End-to-end checks that run INSIDE the emulated host (busybox sh), started
# by tests/e2e/run.sh through scripts/emuhost. Not meant to be run directly.
#
# usage (in the host): sh inner.sh HOST LOGDIR [PATTERN [PENDING]]
#   HOST     which host this is: the rows of checks.list (next to this
#            file) naming it run, in the list's order, after setup_HOST
#   LOGDIR   where each check's stdout/stderr and timings.txt go
#   PATTERN  only run checks whose name matches this extended regex
#   PENDING  1: the list's `pending` rows too
#
# Prints `PASS name` / `FAIL name: reason` per check, `RETRY name: reason`
# before a check's second attempt (see try) and, last,
# `e2e-counts: pass=N fail=N retry=N` for the runner to add up. Each check
# also appends a JSON line to results.jsonl beside LOGDIR (checks.sh
# result_line).

SUITE=$1
LOGDIR=$2
PATTERN=${3:-.}
PENDING=${4:-0}
CHECKS_LIST=$(dirname "$0")/checks.list
RESULTS=$(dirname "$LOGDIR")/results.jsonl
# shellcheck source=tests/e2e/checks.sh
. "$(dirname "$0")/checks.sh"
K=$TINYVMM_GUEST_KERNEL
I=$TINYVMM_GUEST_INITRD
# Generous: a nested boot takes ~10-20 s under TCG; a hung tinyvmm must
# not eat the whole emuhost timeout.
RUN_LIMIT=${E2E_RUN_LIMIT:-240}
npass=0
nfail=0
mkdir -p "$LOGDIR"

nretry=0
ATTEMPT=0	# 1 on a check's first attempt under try, 2 on its retry
RETRY_REASON=

pass() { echo "PASS $1"; npass=$((npass + 1)); }
# fail NAME REASON: outside a check (a host's set-up), its result line too.
fail() {
  if [ "$ATTEMPT" = 1 ] && guest_broke; then
    RETRY_REASON="$1: $2"
    return 0
  fi
  echo "FAIL $1: $2"
  nfail=$((nfail + 1))
  CHECK_DETAIL=$2
  [ -n "${CHECK_NAME:-}" ] || result_line "$RESULTS" "$1" "$SUITE" fail 0 0 "$2"
}

# guest_broke: the last run's guest broke by itself (guest-broke.sh).
# shellcheck source=tests/e2e/guest-broke.sh
. "$(dirname "$0")/guest-broke.sh"
guest_broke() { guest_broke_logs "$OUT" "$ERR"; }

# try CHECK [ARGS...]: run a check; if it failed only because its guest
# broke (guest_broke), say RETRY with where the guest was, keep that
# attempt's logs as NAME.try1.out/.err, and run the check once more. The
# retry's verdict is the check's; the runner counts the retries.
try() {
  # No stale logs: a check failing before its first run is not a broken guest.
  ATTEMPT=1 RETRY_REASON= OUT=/nonexistent ERR=/nonexistent
  "$@"
  if [ -n "$RETRY_REASON" ]; then
    echo "RETRY $RETRY_REASON"
    echo "  the guest broke by itself on the first attempt (logs: ${OUT##*/} and ${ERR##*/} as .try1):"
    { grep -h -e '^tinyvmm: at the timeout' -e '^tinyvmm: vCPU [0-9]* stack:' "$ERR"
      grep -h -e 'Kernel panic' -e 'Unable to handle kernel' -e 'Internal error' -e ' pc : ' "$OUT"
    } 2>/dev/null | head -n 6 | sed 's/^/  | /'
    for f in "$OUT" "$ERR"; do
      [ -f "$f" ] && mv "$f" "${f%.*}.try1.${f##*.}"
    done
    nretry=$((nretry + 1))
    ATTEMPT=2
    "$@"
  fi
  ATTEMPT=0
}

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

# The release and the test initramfs of guest kernel $1: the host's own
# kernel (emuhost --host-kernel) has its own initramfs (its modules); any
# other is the default guest kernel, whatever the host runs.
guest_release() {
  if [ "$1" = "${TINYVMM_HOST_KERNEL_IMAGE:-}" ]; then uname -r; else echo "${TINYVMM_GUEST_RELEASE:-$(uname -r)}"; fi
}
guest_initrd() {
  if [ "$1" = "${TINYVMM_HOST_KERNEL_IMAGE:-}" ]; then echo "$TINYVMM_HOST_KERNEL_INITRD"; else echo "$I"; fi
}

# check_boot NAME CPUS GIC KERNEL [ARGS...]: a nested boot to
# guest-test's report line with CPUS CPUs and the GIC banner saying GIC.
check_boot() {
  name=$1 cpus=$2 gic=$3 kernel=$4
  shift 4
  # --timeout: a guest stuck at boot is stopped by tinyvmm itself, which
  # prints each vCPU's stack (the outer limit would only SIGTERM it).
  vmm "$name" --kernel "$kernel" --initrd "$(guest_initrd "$kernel")" --cpus "$cpus" --mem 256 \
    --timeout 150 "$@"
  expect_rc "$name" 0 || return 0
  expect_out "$name" "guest-test: started" || return 0
  expect_out "$name" "guest-test: cpus=$cpus kernel=$(guest_release "$kernel") mem_kib=" || return 0
  expect_err "$name" "=== GIC Version: $gic ===" || return 0
  pass "$name"
}

# The retry machinery itself: a guest that always breaks (no init, so the
# kernel panics; panic=-1 resets it) must give a RETRY, a second attempt
# and a FAIL, with both attempts' logs. Its own counts are put back.
check_retry() {
  name=$1
  counts="$npass $nfail $nretry"
  try check_boot "$name" 1 3 "$K" --cmdline "console=ttyS0 quiet rdinit=/no-such-init panic=-1" \
    >"$LOGDIR/$name.try.log"
  # shellcheck disable=SC2086 # three words
  set -- $counts
  npass=$1 nfail=$2 nretry=$3
  if grep -q "^RETRY $name: exit status 3, want 0" "$LOGDIR/$name.try.log" &&
    grep -q "^FAIL $name: exit status 3, want 0" "$LOGDIR/$name.try.log" &&
    grep -q 'Kernel panic - not syncing' "$LOGDIR/$name.try1.out" &&
    grep -q 'Kernel panic - not syncing' "$LOGDIR/$name.out"; then
    pass "$name"
    return 0
  fi
  fail "$name" "want RETRY, a second attempt, then FAIL; got: $(head -c 300 "$LOGDIR/$name.try.log" | tr '\n' ' ')"
}

# Bad input: exit 2 and exactly one stderr line, starting with "tinyvmm:".
check_bad() {
  name=$1
  shift
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

# check_bad_says NAME REGEX ARGS...: check_bad, and the line matches REGEX.
check_bad_says() {
  name=$1 says=$2
  shift 2
  vmm "$name" "$@"
  expect_rc "$name" 2 || return 0
  if [ "$(grep -c . "$ERR")" != 1 ]; then
    fail "$name" "want one 'tinyvmm: ...' line on stderr, got $(grep -c . "$ERR") lines"
    tail_logs
    return 0
  fi
  expect_err "$name" "$says" || return 0
  pass "$name"
}

# No --cmdline: tinyvmm's default (console=ttyS0 earlycon) must show the
# guest kernel's own log, not just userspace lines. The only boot without
# `quiet`: every UART byte is costly under nested emulation.
check_default_cmdline() {
  name=$1
  vmm "$name" --kernel "$K" --initrd "$I" --cpus 1 --mem 256
  expect_rc "$name" 0 || return 0
  expect_out "$name" "Linux version $(uname -r)" || return 0
  expect_out "$name" "guest-test: cpus=1 " || return 0
  pass "$name"
}

check_panic() {
  name=$1
  vmm "$name" --kernel "$K" --initrd "$I" --cpus 1 --mem 256 \
    --cmdline "console=ttyS0 quiet panic=-1 guest-test.mode=panic"
  expect_rc "$name" 3 || return 0
  expect_out "$name" "guest-test: triggering panic" || return 0
  pass "$name"
}

# The guest idles with its vCPUs in cpu_do_idle's WFI. The guest kernel is
# this host's own, so this host's /proc/kallsyms says where that function
# is in the Image (its address minus the Image start: KASLR does not
# matter). kallsyms has no _text; arm64 links _stext at the first 64 KiB
# boundary after the Image head (SEGMENT_ALIGN), which is _text + 0x10000.
# Some vCPU's stack line must have its pc there: the page-table walk and
# the Image offsets are right, not just well-formed.
check_idle_stack() {
  range=$(awk '$3 == "_stext" { text = $1 }
    start != "" { print text, start, $1; exit }
    $3 == "cpu_do_idle" { start = $1 }' /proc/kallsyms)
  # shellcheck disable=SC2086 # three words
  set -- $range
  if [ $# -ne 3 ]; then
    fail "$name" "no _stext and cpu_do_idle in this host's /proc/kallsyms"
    return 1
  fi
  lo=$((0x$2 - 0x$1 + 0x10000)) hi=$((0x$3 - 0x$1 + 0x10000))
  for pc in $(sed -n 's/^tinyvmm: vCPU [0-9]* stack: pc Image+\(0x[0-9a-f]*\) .*/\1/p' "$ERR"); do
    [ $((pc)) -ge "$lo" ] && [ $((pc)) -lt "$hi" ] && return 0
  done
  fail "$name" "no vCPU stack has its pc in cpu_do_idle (Image+$(printf 0x%x "$lo")-$(printf 0x%x "$hi"))"
  tail_logs
  return 1
}

check_hang_timeout() {
  name=$1
  vmm "$name" --kernel "$K" --initrd "$I" --cpus 2 --mem 256 \
    --cmdline "console=ttyS0 quiet guest-test.mode=hang" --timeout 5
  expect_rc "$name" 4 || return 0
  # Where the hung guest was: a PC per vCPU (or powered off, if the
  # secondary was not up yet), then each kernel stack as Image offsets.
  expect_err "$name" "^tinyvmm: at the timeout: vCPU 0 pc 0x[0-9a-f]* (EL[0-3][ht]*[^)]*), vCPU 1 \(pc 0x[0-9a-f]* (EL[0-3][ht]*[^)]*)\|powered off\)$" || return 0
  expect_err "$name" "^tinyvmm: vCPU 0 stack: pc Image+0x[0-9a-f]* lr Image+0x[0-9a-f]* frames\( Image+0x[0-9a-f]*\)\{3,\}" || return 0
  check_idle_stack || return 0
  # 5 s plus teardown; much longer means --timeout is not enforced.
  if [ "${SECS%.*}" -gt 30 ]; then
    fail "$name" "took ${SECS}s for --timeout 5"
    return 0
  fi
  pass "$name"
}

check_gzip_kernel() {
  name=$1
  gzip -c "$K" >/tmp/Image.gz
  check_boot "$name" 1 3 /tmp/Image.gz --cmdline "console=ttyS0 quiet"
  rm -f /tmp/Image.gz
}

check_too_big() {
  name=$1
  # Kernel (~33 MiB image_size ~35 MiB) + 40 MiB initrd cannot fit in 64 MiB.
  head -c 41943040 /dev/zero >/tmp/big.initrd
  check_bad "$name" --kernel "$K" --initrd /tmp/big.initrd --mem 64 \
    --cmdline console=ttyS0
  rm -f /tmp/big.initrd
}

# A bare-metal guest (guest-test/baremetal.S): its hello and the DTB
# address in x0 on the console, then PSCI SYSTEM_OFF.
# check_baremetal NAME FILE FORMAT: FORMAT as the banner names it ("ELF",
# "raw binary": objcopy'd from the same ELF, linked where QEMU's rule puts
# raw binaries, RAM base + 0x80000).
check_baremetal() {
  name=$1 file=$2 format=$3
  if [ -z "$file" ] || [ ! -e "$file" ]; then
    fail "$name" "no bare-metal guest '$file' in the emulated host (build/arm64/tinyvmm-baremetal missing?)"
    return 0
  fi
  vmm "$name" --kernel "$file" --mem 64 --cpus 1
  expect_rc "$name" 0 || return 0
  expect_err "$name" "=== Guest: 1 vCPU(s), 64 MiB RAM, $format kernel ===" || return 0
  expect_out "$name" "tinyvmm-baremetal: hello from an ELF at EL1" || return 0
  expect_out "$name" "tinyvmm-baremetal: x0 points at a device tree" || return 0
  pass "$name"
}

# Random bytes are neither an Image nor an ELF: by QEMU's rule a raw binary,
# loaded and run. The guest runs garbage; tinyvmm must say what it loaded
# and end the run at --timeout (4) or at a guest crash (5), never die.
check_random_kernel() {
  name=$1
  head -c 1048576 /dev/urandom >/tmp/random.img
  vmm "$name" --kernel /tmp/random.img --mem 64 --timeout 5
  rm -f /tmp/random.img
  case $RC in
  4 | 5) ;;
  *) fail "$name" "exit status $RC, want 4 (timeout) or 5 (guest crash)"; tail_logs; return 0 ;;
  esac
  expect_err "$name" "a raw binary at 0x80080000 (QEMU's rule)" || return 0
  pass "$name"
}

# A file that is recognisably for another architecture: one clear line.
check_x86_kernel() {
  name=$1
  head -c 8192 /dev/zero >/tmp/bzImage
  printf 'HdrS' | dd of=/tmp/bzImage bs=1 seek=514 conv=notrunc 2>/dev/null
  check_bad_says "$name" "^tinyvmm: kernel is an x86 bzImage, not an arm64 kernel" \
    --kernel /tmp/bzImage --initrd "$I"
  rm -f /tmp/bzImage
}

# --on-reset reboot re-initialises every vCPU: the second boot must get the
# first one's CPU, the host's PMUv3, pointer authentication and SVE included.
check_reboot_cpu_features() {
  name=$1
  check_cpu_host_has_them "$name" || return 0
  vmm "$name" --kernel "$K" --initrd "$I" --cpus 2 --mem 256 --on-reset reboot --timeout 200 \
    --cmdline "console=ttyS0 quiet guest-test.mode=reboot guest-test.bytes=0 guest-test.loops=1"
  expect_rc "$name" 0 || return 0
  expect_out "$name" "guest-test: reboot all 2 boots done" || return 0
  expect_clean_boots "$name" 2 || return 0
  n=$(grep -c '^guest-test: cpu pmus=armv8_pmuv3' "$OUT")
  [ "$n" = 2 ] || { fail "$name" "$n boots had a PMUv3, want both"; return 0; }
  n=$(sed -n 's/^guest-test: cpu features=//p' "$OUT" | tr -d '\r' | sort -u | wc -l)
  [ "$n" = 1 ] || { fail "$name" "the two boots' Features differ"; return 0; }
  for f in $CPU_FEATURES_COMPARED; do
    if ! has_word "$f" "$(guest_features)"; then
      fail "$name" "the guest's Features lack the host's '$f' after a reboot: '$(guest_features)'"
      return 0
    fi
  done
  pass "$name"
}

# A reboot while a vCPU is in the middle of MMIO (KVM completes a read only
# at the next KVM_RUN): the bare-metal guest's mmioreset mode has one vCPU
# read the UART in a loop while the other resets, each vCPU in turn, and
# checks every boot's entry registers. Before tinyvmm completed the read
# before re-initialising, the next boot's first KVM_RUN wrote the old value
# into x5 and skipped the entry's first instruction: seen on vCPU 0 in 1 of
# 3 boots after it had been the reader (on the 6.1 host, vCPU 1's PSCI
# CPU_ON reset hid it there), so the mode reboots 12 times.
check_reboot_mmio() {
  name=$1
  vmm "$name" --kernel "$BM" --mem 64 --cpus 2 --timeout 150 --on-reset reboot --cmdline mmioreset
  expect_rc "$name" 0 || return 0
  expect_out "$name" "bare-metal: mmioreset all boots done" || return 0
  if grep -q "entry NOT clean" "$OUT"; then
    fail "$name" "a boot started with the last one's MMIO read: $(grep -m1 'entry NOT clean' "$OUT")"
    return 0
  fi
  n=$(grep -c "bare-metal: boot 0x[0-9a-f]* cpu[01] entry clean" "$OUT")
  [ "$n" = 26 ] || { fail "$name" "$n clean vCPU entries, want 26 (2 vCPUs, 13 boots)"; return 0; }
  pass "$name"
}

# A guest that resets as soon as it starts, under --on-reset reboot: tinyvmm
# keeps rebooting it, fast, until --timeout ends the run (exit 4) as usual;
# SIGTERM is heard the same way.
check_reboot_loop() {
  name=$1
  vmm "$name" --kernel "$BM" --mem 64 --cpus 2 --timeout 20 --on-reset reboot --cmdline reset \
    --report-json "$LOGDIR/report-$name.json"
  expect_rc "$name" 4 || return 0
  expect_err "$name" "--timeout of 20 s expired" || return 0
  n=$(sed -n 's/.*"reboots": \([0-9]*\).*/\1/p' "$LOGDIR/report-$name.json" | tail -n 1)
  lines=$(grep -c 'tinyvmm: guest reset (PSCI SYSTEM_RESET): reboot [0-9]' "$ERR")
  b=$(grep -c 'bare-metal: reset' "$OUT")
  echo "e2e: ${n:-?} reboots in 20 s, $b boots seen, $lines reboot lines" >>"$ERR"
  if [ "${n:-0}" -lt 10 ] || [ "$b" -lt "$n" ]; then
    fail "$name" "${n:-no} reboots and $b boots in 20 s, want at least 10 and a boot after each"
    return 0
  fi
  # The guest chooses how often it reboots: its lines on stderr are rate limited.
  if [ "$lines" -gt 32 ]; then
    fail "$name" "$lines reboot lines on stderr, want at most 32 (the rate limit)"
    return 0
  fi
  expect_report "$name" '"on_reset": "reboot"' '"exit_code": 4' || return 0
  pass "$name"
}

check_console_log_and_dtb() {
  name=$1
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
  name=$1
  OUT=$LOGDIR/$name.out ERR=$LOGDIR/$name.err
  t0=$(now_cs)
  tinyvmm --kernel "$K" --initrd "$I" --cpus 1 --mem 256 \
    --cmdline "console=ttyS0 quiet guest-test.mode=hang" >"$OUT" 2>"$ERR" </dev/null &
  pid=$!
  # Wait for the guest to hang (up to 60 s), so the signal hits a live VM.
  i=0
  while [ $i -lt 120 ] && ! grep -qs "guest-test: hanging" "$OUT"; do
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
  name=$1
  mv /dev/kvm /dev/kvm.hidden
  vmm "$name" --kernel "$K" --initrd "$I" --mem 256 --cmdline console=ttyS0
  mv /dev/kvm.hidden /dev/kvm
  expect_rc "$name" 6 || return 0
  pass "$name"
}

# tty-restore: tinyvmm on a real terminal (a pty, from tinyvmm-ptyrun) has
# it in raw mode while the guest runs and puts it back on every way out:
# power-off, SIGTERM, Ctrl-A x, guest reset (panic=-1), a fatal signal in
# tinyvmm; SIGTERM again with vhost-net, whose monitor thread starts during
# set-up. Exit statuses are the README's. All cases run; one FAIL names
# the ones that went wrong (logs: tty-restore-CASE.out).
check_tty_restore() {
  name=$1
  bad=
  # CASE MODE EXTRA-CMDLINE TINYVMM-ARGS(,-separated) WANT-RC ACTION WAIT-FOR ("-": none)
  while read -r what mode extra args want action text; do
    OUT=$LOGDIR/$name-$what.out ERR=$LOGDIR/$name-$what.err
    [ "$extra" = - ] && extra=
    [ "$args" = - ] && args=
    args=$(echo "$args" | tr , ' ')
    set -- --timeout "$RUN_LIMIT" --wait-for "guest-test: $text"
    [ "$action" = - ] || set -- "$@" --then "$action"
    # shellcheck disable=SC2086 # args is a word list
    set -- "$@" -- tinyvmm --kernel "$K" --initrd "$I" --mem 256 $args \
      --cmdline "console=ttyS0 quiet ${extra:+$extra }guest-test.mode=$mode"
    echo "tinyvmm-ptyrun $*" >"$LOGDIR/$name-$what.cmd"
    t0=$(now_cs)
    tinyvmm-ptyrun "$@" >"$OUT" 2>"$ERR" </dev/null
    RC=$?
    SECS=$(awk -v a="$t0" -v b="$(now_cs)" 'BEGIN { printf "%.1f", (b - a) / 100 }')
    echo "$SUITE $name-$what rc=$RC ${SECS}s" >>"$LOGDIR/timings.txt"
    got=$(sed -n 's/^ptyrun: exit //p' "$OUT")
    if [ "$got" = "$want" ] && [ "$RC" = 0 ] && grep -q '^ptyrun: raw while running$' "$OUT" &&
      grep -q '^ptyrun: terminal restored$' "$OUT"; then
      continue
    fi
    bad="$bad $what"
    echo "  $name $what: tinyvmm exit ${got:-?} (want $want), ptyrun exit $RC:"
    grep '^ptyrun: ' "$OUT" | sed 's/^/    /'
    tail_logs
  done <<EOF
poweroff boot - - 0 - started
sigterm hang - - 143 signal:TERM hanging
ctrl-a-x hang - - 7 keys:0178 hanging
panic-reset panic panic=-1 - 3 - started
fatal-signal hang - - 139 signal:SEGV hanging
sigterm-vhost hang - --tap=ttyr0,--vhost=on 143 signal:TERM hanging
EOF
  if [ -n "$bad" ]; then
    fail "$name" "terminal not raw, not restored or wrong exit status in:$bad (see above)"
    return 0
  fi
  pass "$name"
}

# --- CI smoke tests: --expect, --fail-on, --exit-device, milestones ------
BM=$(dirname "$0")/baremetal.elf	# guest-test/baremetal.c, copied by run.sh

# expect_milestones NAME: the one-line summary at exit, with times.
expect_milestones() {
  expect_err "$1" "^tinyvmm: boot milestones: first console byte [0-9.]* s, first userspace line [0-9.]* s, --expect matched $2, total [0-9.]* s$"
}

# smoke_run NAME WANT-RC GUEST-CMDLINE TINYVMM-ARGS...: a guest-test boot
# (a --timeout in ARGS overrides the generous default); FAIL unless it
# exits WANT-RC. Returns 1 on failure.
smoke_run() {
  name=$1 want=$2 gargs=$3
  shift 3
  vmm "$name" --kernel "$K" --initrd "$I" --mem 256 --timeout $((RUN_LIMIT - 20)) \
    --cmdline "console=ttyS0 quiet $gargs" "$@"
  expect_rc "$name" "$want"
}

# --expect on a guest that would hang after its line: only the match ends it.
check_expect_match() {
  name=$1
  smoke_run "$name" 0 guest-test.mode=hang --expect 'guest-test: hang(ing)?$' \
    --report-json "$LOGDIR/report-expect-match.json" || return 0
  expect_err "$name" "^tinyvmm: console matched --expect 'guest-test: hang(ing)?[$]' after [0-9.]* s; guest stopped; exit code 0$" || return 0
  expect_milestones "$name" "[0-9.]* s" || return 0
  expect_report "$name" '"expect_matched_ms": [0-9]' '"first_userspace_line_ms": [0-9]' '"total_ms": [0-9]' || return 0
  pass "$name"
}

# --expect that never matches: the timeout's code, 4.
check_expect_timeout() {
  name=$1
  smoke_run "$name" 4 guest-test.mode=hang --expect 'never printed' --timeout 30 || return 0
  expect_out "$name" "guest-test: hanging" || return 0
  expect_err "$name" "^tinyvmm: --timeout of 30 s expired" || return 0
  expect_milestones "$name" "-" || return 0
  pass "$name"
}

# --expect and a guest that powers off without the line: 9.
check_expect_poweroff() {
  name=$1
  smoke_run "$name" 9 "" --expect 'never printed' || return 0
  expect_out "$name" "guest-test: cpus=1 " || return 0
  expect_err "$name" "^tinyvmm: guest powered off before the console matched --expect 'never printed'; exit code 9$" || return 0
  pass "$name"
}

# A guest kernel that panics (and, without panic=-1, would sit there until
# the timeout): --expect's default fail patterns end the run with 8, once
# the panic report (reason, backtrace) is out.
check_fail_on_panic() {
  name=$1
  smoke_run "$name" 8 guest-test.mode=panic --expect 'never printed' || return 0
  expect_out "$name" "guest-test: triggering panic" || return 0
  expect_err "$name" "^tinyvmm: console matched --fail-on 'Kernel panic - not syncing' (a default with --expect; --no-default-fail-on drops it) after [0-9.]* s in line \"\[ *[0-9.]*\] Kernel panic - not syncing: sysrq triggered crash\"; guest stopped; exit code 8$" || return 0
  # The guest was stopped only once it had finished its panic report.
  expect_out "$name" "end Kernel panic - not syncing: sysrq triggered crash" || return 0
  pass "$name"
}

# The user's own --fail-on and no --expect, on a line just before a panic
# that (panic=-1) resets the guest within the grace period: still 8.
check_fail_on_user() {
  name=$1
  smoke_run "$name" 8 "panic=-1 guest-test.mode=panic" --fail-on 'triggering (panic|oops)' || return 0
  expect_err "$name" "^tinyvmm: console matched --fail-on 'triggering (panic|oops)' after [0-9.]* s in line \"guest-test: triggering panic.*\"; guest stopped; exit code 8$" || return 0
  pass "$name"
}

# One pattern in two console bursts far apart (the bare-metal guest waits
# between "split-pat" and "tern").
check_expect_split() {
  name=$1
  vmm "$name" --kernel "$BM" --mem 64 --timeout 120 --cmdline "split" --expect 'split-pattern$'
  expect_rc "$name" 0 || return 0
  expect_out "$name" "bare-metal: split-pattern" || return 0
  expect_err "$name" "^tinyvmm: console matched --expect 'split-pattern[$]'" || return 0
  pass "$name"
}

# The exit-status device from the bare-metal guest: each value's exit
# status is the value mod 256; without --exit-device there is no node.
check_exit_device() {
  check=$1 bad=
  for v in 0 1 42 255 300 4294967295; do
    # vmm sets name (to each run's), OUT and ERR.
    vmm "$check-$v" --kernel "$BM" --mem 64 --timeout 60 --exit-device --cmdline "exit=$v"
    want=$((v % 256))
    hex=$(printf '0x%x' "$v")
    if [ "$RC" != "$want" ] || ! grep -q "^tinyvmm: guest wrote $hex to the exit device; exit code $want\$" "$ERR" ||
      ! grep -q "bare-metal: writing $hex to the exit device at 0x9001000" "$OUT"; then
      bad="$bad $v(exit $RC, want $want)"
      tail_logs
    fi
  done
  vmm "$check-absent" --kernel "$BM" --mem 64 --timeout 60 --cmdline "exit=5"
  if [ "$RC" != 3 ] || ! grep -q "no tinyvmm,exit node" "$OUT"; then
    bad="$bad absent(exit $RC, want 3 and no node)"
    tail_logs
  fi
  if [ -n "$bad" ]; then
    fail "$check" "wrong exit status or messages for:$bad"
    return 0
  fi
  pass "$check"
}

# docs/ci.md's arm64-runner boot step, as written there (run.sh extracts
# it), with this host's kernel and guest-test initramfs as the user's.
check_ci_recipe_arm64() {
  name=$1
  OUT=$LOGDIR/$name.out ERR=$LOGDIR/$name.err
  rm -rf /tmp/ci-artifacts && mkdir -p /tmp/ci-artifacts
  cp "$K" /tmp/ci-artifacts/Image && cp "$I" /tmp/ci-artifacts/initrd.img
  recipe=$(dirname "$0")/ci-recipe-arm64.sh
  ARTIFACTS=/tmp/ci-artifacts TINYVMM=tinyvmm BOOT_CMDLINE='console=ttyS0 quiet' \
    BOOT_EXPECT='guest-test: started' timeout "$RUN_LIMIT" sh -e "$recipe" >"$OUT" 2>"$ERR" </dev/null
  RC=$?
  echo "$SUITE $name rc=$RC" >>"$LOGDIR/timings.txt"
  expect_rc "$name" 0 || return 0
  expect_err "$name" "^tinyvmm: console matched --expect 'guest-test: started'" || return 0
  if ! grep -q "guest-test: started" /tmp/ci-artifacts/boot.log 2>/dev/null; then
    fail "$name" "the recipe's boot.log lacks the guest's line"
    return 0
  fi
  cp /tmp/ci-artifacts/boot.json "$LOGDIR/report-$name.json" 2>/dev/null
  expect_report "$name" '"expect_matched_ms": [0-9]' || return 0
  pass "$name"
}

# --- CPU features -----------------------------------------------------
# The guest gets the host's CPU: what this (emulated) host's own
# /proc/cpuinfo lists of paca, pacg and sve is in the guest's too, and
# the guest has a PMU perf can use; with --no-pmu --no-pauth --no-sve
# none of it. The host must have them, or the check proves nothing.
CPU_FEATURES_COMPARED='paca pacg sve'
host_features() { sed -n 's/^Features[[:space:]]*: //p' /proc/cpuinfo | head -n 1; }
guest_features() { sed -n 's/^guest-test: cpu features=//p' "$OUT" | tr -d '\r' | head -n 1; }

# has_word WORD LIST: WORD is one of LIST's words.
has_word() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

check_cpu_host_has_them() {
  for f in $CPU_FEATURES_COMPARED; do
    if ! has_word "$f" "$(host_features)"; then
      fail "$1" "this emulated host's /proc/cpuinfo lacks '$f': $(host_features)"
      return 1
    fi
  done
  ls -d /sys/bus/event_source/devices/armv8_pmuv3* >/dev/null 2>&1 && return 0
  fail "$1" "this emulated host has no armv8_pmuv3 PMU"
  return 1
}

# check_cpu_features NAME CPUS: all on by default, as the host has them.
check_cpu_features() {
  name=$1
  check_cpu_host_has_them "$name" || return 0
  vmm "$name" --kernel "$K" --initrd "$I" --cpus "$2" --mem 256 \
    --report-json "$LOGDIR/report-$name.json" --cmdline "console=ttyS0 quiet guest-test.mode=cpu"
  expect_rc "$name" 0 || return 0
  expect_err "$name" "^=== CPU features: PMUv3 yes, pointer authentication yes, SVE yes ([0-9][-0-9]*[ -]bit vectors) ===$" || return 0
  for f in $CPU_FEATURES_COMPARED; do
    if ! has_word "$f" "$(guest_features)"; then
      fail "$name" "the guest's Features lack the host's '$f': guest '$(guest_features)', host '$(host_features)'"
      return 0
    fi
  done
  expect_out "$name" "guest-test: cpu pmus=armv8_pmuv3" || return 0
  for f in pmu pauth sve; do
    if ! grep -q "^      \"$f\": \"on\"" "$LOGDIR/report-$name.json"; then
      fail "$name" "--report-json lacks guest.cpu_features.$f \"on\""
      return 0
    fi
  done
  echo "host Features:  $(host_features)" >"$LOGDIR/$name.features"
  echo "guest Features: $(guest_features)" >>"$LOGDIR/$name.features"
  pass "$name"
}

check_cpu_features_off() {
  name=$1
  check_cpu_host_has_them "$name" || return 0
  vmm "$name" --kernel "$K" --initrd "$I" --cpus 1 --mem 256 --no-pmu --no-pauth --no-sve \
    --cmdline "console=ttyS0 quiet guest-test.mode=cpu"
  expect_rc "$name" 0 || return 0
  expect_err "$name" "^=== CPU features: PMUv3 no (--no-pmu), pointer authentication no (--no-pauth), SVE no (--no-sve) ===$" || return 0
  for f in $CPU_FEATURES_COMPARED; do
    if has_word "$f" "$(guest_features)"; then
      fail "$name" "the guest's Features have '$f' with it turned off: '$(guest_features)'"
      return 0
    fi
  done
  expect_out "$name" "guest-test: cpu pmus=none" || return 0
  echo "guest Features: $(guest_features)" >"$LOGDIR/$name.features"
  pass "$name"
}

# What the host offers guests, in `tinyvmm check`.
check_host_check_cpu() {
  name=$1
  vmm "$name" check
  expect_rc "$name" 0 || return 0
  expect_out "$name" "\[ok\] CPU features for guests: PMUv3 yes, pointer authentication yes, SVE yes (" || return 0
  pass "$name"
}

# --- a small host CPU: Cortex-A53 (no 16K granule, 40-bit IPA) ------------
# The guest kernel with its Image header saying 16K pages (flags at offset
# 24: bit 0 LE, bits 1-2 page size = 2, bit 3 anywhere): refused before boot.
check_page_size_unsupported() {
  name=$1
  cp "$K" /tmp/Image-16k-header
  printf '\014' | dd of=/tmp/Image-16k-header bs=1 seek=24 conv=notrunc 2>/dev/null
  check_bad_says "$name" \
    "^tinyvmm: kernel: built for 16K pages, but this CPU supports 4K and 64K pages only. Use a kernel built for 4K or 64K pages$" \
    --kernel /tmp/Image-16k-header --initrd "$I" --mem 256
  rm -f /tmp/Image-16k-header
}

check_host_check_a53() {
  name=$1
  vmm "$name" check
  expect_rc "$name" 0 || return 0
  expect_out "$name" "\[ok\] IPA size: up to 40 bits (guest RAM up to 1022 GiB, --mem 1046528)" || return 0
  expect_out "$name" "\[ok\] guest kernel page sizes this CPU runs: 4K and 64K$" || return 0
  expect_out "$name" "\[--\] CPU features for guests: PMUv3 yes, pointer authentication no (host KVM lacks it), SVE no (host KVM lacks it)" || return 0
  pass "$name"
}

# --- --machine virt (QEMU's board) ------------------------------------

# expect_clock NAME T0: the guest's wall clock (set from the PL031 at boot)
# is the host's: between T0 (host seconds before the run) and now, give or
# take 5 s.
expect_clock() {
  g=$(sed -n 's/^guest-test: clock realtime=\([0-9]*\).*/\1/p' "$OUT" | head -n 1)
  now=$(date +%s)
  if [ -z "$g" ] || [ "$g" -lt $(($2 - 5)) ] || [ "$g" -gt $((now + 5)) ]; then
    fail "$1" "guest clock ${g:-missing}, host's was $2..$now (no RTC?)"
    tail_logs
    return 1
  fi
  echo "e2e: guest clock $g, host $2..$now" >>"$ERR"
}

# check_virt_boot NAME CPUS GIC [ARGS...]: --machine virt with the console on
# the PL011 (ttyAMA0, the only UART) to guest-test's report; the guest's
# clock is the host's (PL031).
check_virt_boot() {
  name=$1 cpus=$2 gic=$3
  shift 3
  t0=$(date +%s)
  vmm "$name" --machine virt --kernel "$K" --initrd "$I" --cpus "$cpus" --mem 256 --timeout 150 \
    --cmdline "console=ttyAMA0 quiet" "$@"
  expect_rc "$name" 0 || return 0
  expect_out "$name" "guest-test: cpus=$cpus kernel=$(guest_release "$K") mem_kib=" || return 0
  expect_err "$name" "=== Machine: virt (linux,dummy-virt) ===" || return 0
  expect_err "$name" "=== GIC Version: $gic ===" || return 0
  expect_clock "$name" "$t0" || return 0
  pass "$name"
}

# virt's default command line, console=ttyAMA0 earlycon: the early console
# and then the PL011 driver's (a verbose boot is slow in the emulated host,
# so --expect ends it once the kernel has read its command line).
check_virt_default_cmdline() {
  name=$1
  vmm "$name" --machine virt --kernel "$K" --initrd "$I" --mem 256 --timeout 150 \
    --expect 'Kernel command line: console=ttyAMA0 earlycon'
  expect_rc "$name" 0 || return 0
  expect_out "$name" "earlycon: pl11 at MMIO 0x0000000009000000" || return 0
  pass "$name"
}

# tinyvmm's own board has the PL031 too: a guest no longer boots in 1970.
check_rtc_tinyvmm() {
  name=$1
  t0=$(date +%s)
  vmm "$name" --kernel "$K" --initrd "$I" --mem 256 --timeout 150 --cmdline "console=ttyS0 quiet"
  expect_rc "$name" 0 || return 0
  expect_clock "$name" "$t0" || return 0
  pass "$name"
}

# --expect on the PL011 console: the match ends the run, exit 0.
check_virt_expect() {
  name=$1
  vmm "$name" --machine virt --kernel "$K" --initrd "$I" --mem 256 --timeout 150 \
    --cmdline "console=ttyAMA0 quiet guest-test.mode=hang" --expect 'guest-test: hang(ing)?$'
  expect_rc "$name" 0 || return 0
  expect_err "$name" "^tinyvmm: console matched --expect 'guest-test: hang(ing)?[$]' after [0-9.]* s; guest stopped; exit code 0$" || return 0
  pass "$name"
}

# --on-reset reboot on virt: the second boot comes up on the reset PL011.
check_virt_reboot() {
  name=$1
  vmm "$name" --machine virt --kernel "$K" --initrd "$I" --cpus 2 --mem 256 --on-reset reboot \
    --timeout 200 --cmdline "console=ttyAMA0 quiet guest-test.mode=reboot guest-test.bytes=0 guest-test.loops=1"
  expect_rc "$name" 0 || return 0
  expect_out "$name" "guest-test: reboot all 2 boots done" || return 0
  n=$(grep -c 'guest-test: started' "$OUT")
  [ "$n" = 2 ] || { fail "$name" "the guest started $n times, want 2"; return 0; }
  pass "$name"
}




# --- network ----------------------------------------------------------
# Each TAP has its own /16, so they can coexist in one host:
#   tap0 169.254.0.1 (single queue)   tap1 10.1.0.1 (multi-queue)
#   tap4 (multi-queue, no address)    tapu 10.2.0.1 (owned by tester)
# The guest is .2 in the same /16 (guest-test.ip=, guest-test.peer=).
NET_BYTES=${E2E_NET_BYTES:-2097152}     # each way, net and netreset modes
BUSYOFF_LOOPS=${E2E_BUSYOFF_LOOPS:-3}   # power-offs mid-transfer per busyoff check
MQ_BYTES=${E2E_MQ_BYTES:-1048576}       # each way per stream, netmq mode
RESET_LOOPS=${E2E_RESET_LOOPS:-20}
RESET_BYTES=${E2E_RESET_BYTES:-262144}  # each way per rebind, netreset mode
RESET_LIMIT=${E2E_RESET_LIMIT:-480}     # a netreset run's RUN_LIMIT

# vmm_pid PID: PID once it has become tinyvmm (timeout and su exec in
# place, so the background job's PID is tinyvmm's after the exec).
vmm_pid() {
  i=0
  while [ $i -lt 50 ]; do
    case $(cat "/proc/$1/comm" 2>/dev/null) in tinyvmm | tinyvmm-faults) break ;; esac
    sleep 0.1
    i=$((i + 1))
  done
  echo "$1"
}

# running PID: PID exists and is not a zombie.
running() {
  read -r _ _ state _ 2>/dev/null <"/proc/$1/stat" && [ "$state" != Z ]
}

# watch_vmm PID: sample tinyvmm's open files every 0.5 s until it exits.
# Sets MAX_VHOST and MAX_TUN (most /dev/vhost-net and /dev/net/tun fds
# open at once), VHOST_THREAD (yes once a vhost-PID worker ran: before
# Linux 6.4 a kernel thread, since then a thread inside tinyvmm, so look
# in both places), VHOST_POLICY (that worker's scheduling policy as last
# seen with WATCH_POLICY set: 0 normal, 3 batch) and VMM_UID (tinyvmm's
# real uid, as last seen).
watch_vmm() {
  MAX_VHOST=0 MAX_TUN=0 VHOST_THREAD=no VHOST_POLICY= VMM_UID= MARK_TICKS= LAST_TICKS= MARK_CS= ticks_seen=0
  while running "$1"; do
    # WATCH_MARK: from its first line on the console, count tinyvmm's CPU.
    ticks=$(cpu_ticks "$1")
    [ -n "$ticks" ] && LAST_TICKS=$ticks LAST_CS=$(now_cs)
    if [ -n "${WATCH_MARK:-}" ] && [ -z "$MARK_TICKS" ] && grep -q "$WATCH_MARK" "$OUT" 2>/dev/null; then
      MARK_TICKS=$ticks MARK_CS=$(now_cs)
    fi
    # WATCH_TICKS (grep -E): tinyvmm's CPU ticks and the time when each such console line is first seen.
    if [ -n "${WATCH_TICKS:-}" ] && [ -n "$ticks" ]; then
      n=$(grep -cE "$WATCH_TICKS" "$OUT" 2>/dev/null)
      while [ "$ticks_seen" -lt "${n:-0}" ]; do
        ticks_seen=$((ticks_seen + 1))
        echo "$ticks_seen $ticks $(now_cs) $(vmm_own_ticks "$1")" >>"$TICKS_LOG"
      done
    fi
    # The last uid seen: --user drops root only after set-up.
    uid=$(awk '/^Uid:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
    [ -n "$uid" ] && VMM_UID=$uid
    fds=$(ls -l "/proc/$1/fd" 2>/dev/null)
    v=$(echo "$fds" | grep -c ' /dev/vhost-net$')
    t=$(echo "$fds" | grep -c ' /dev/net/tun$')
    [ "$v" -gt "$MAX_VHOST" ] && MAX_VHOST=$v
    [ "$t" -gt "$MAX_TUN" ] && MAX_TUN=$t
    # --on-reset reboot checks: the most fds open during each boot, BOOT_FDS_<boot>.
    if [ -n "${WATCH_REBOOTS:-}" ]; then
      nfd=$(echo "$fds" | grep -c ' -> ')
      b=$(($(grep -c 'guest reset (PSCI SYSTEM_RESET): reboot' "$ERR" 2>/dev/null) + 1))
      was=0
      eval "was=\${BOOT_FDS_$b:-0}"
      [ "$nfd" -gt "$was" ] && eval "BOOT_FDS_$b=$nfd"
    fi
    # Until a worker is seen, or all along with WATCH_POLICY set: its scheduling
    # policy, field 41 of its stat (the 39th after "pid (comm) "); a worker gone
    # at teardown leaves the last value read.
    if [ $VHOST_THREAD = no ] || [ -n "${WATCH_POLICY:-}" ]; then
      worker=$(grep -lx "vhost-$1" /proc/[0-9]*/comm "/proc/$1/task/"*/comm 2>/dev/null | head -n 1)
      if [ -n "$worker" ]; then
        VHOST_THREAD=yes
        policy=$(sed 's/.*) //' "${worker%comm}stat" 2>/dev/null | cut -d' ' -f39)
        [ -n "$policy" ] && VHOST_POLICY=$policy
      fi
    fi
    sleep 0.5
  done
}

# net_vmm NAME TAP GUEST-OPTS [TINYVMM-ARGS...]: `tinyvmm-netpeer $PEER`
# in the background, then a guest on TAP with GUEST-OPTS on its cmdline,
# watched by watch_vmm. Runs tinyvmm as $AS_USER when set. Limits: LIMIT
# (default RUN_LIMIT) for the run; tinyvmm's --timeout and the peer's
# timeout ($PEER_TIMEOUT, set from it) 20 s less, so they end first.
# Sets RC, PRC (the peer's status), SECS, OUT, ERR, PEERLOG.
net_vmm() {
  name=$1 tap=$2 gopts=$3
  shift 3
  limit=${LIMIT:-$RUN_LIMIT}
  OUT=$LOGDIR/$name.out
  ERR=$LOGDIR/$name.err
  PEERLOG=$LOGDIR/$name.peer
  # The guest's console: QEMU's virt board has a PL011 (ttyAMA0), tinyvmm's a 16550.
  case " $* " in
  *" --machine virt "*) console=ttyAMA0 ;;
  *) console=ttyS0 ;;
  esac
  set -- --kernel "$K" --initrd "$I" --mem 256 --tap "$tap" --timeout $((limit - 20)) \
    --cmdline "console=$console quiet $gopts" "$@"
  { echo "tinyvmm-netpeer $PEER &"; echo "${AS_USER:+su $AS_USER: }${VMM:-tinyvmm} $*"; } >"$LOGDIR/$name.cmd"
  t0=$(now_cs)
  # shellcheck disable=SC2086 # PEER is a word list
  tinyvmm-netpeer $PEER >"$PEERLOG" 2>&1 &
  peer=$!
  if [ -n "${AS_USER:-}" ]; then
    # su -c CMD -- USER ARG0 ARGS: the arguments reach tinyvmm as they are
    # (`--` keeps su from parsing tinyvmm's options as its own).
    # shellcheck disable=SC2016 # $0 and $@ are for the user's shell
    timeout "$limit" su -s /bin/sh -c 'exec "$0" "$@"' -- "$AS_USER" "$(command -v tinyvmm)" \
      "$@" >"$OUT" 2>"$ERR" </dev/null &
  else
    timeout "$limit" "${VMM:-tinyvmm}" "$@" >"$OUT" 2>"$ERR" </dev/null &
  fi
  pid=$(vmm_pid $!)
  watch_vmm "$pid"
  wait "$pid"
  RC=$?
  t1=$(now_cs)
  # The peer is done soon after the guest; a failed guest leaves it waiting.
  i=0
  while [ $i -lt 20 ] && running "$peer"; do
    sleep 0.5
    i=$((i + 1))
  done
  kill "$peer" 2>/dev/null
  wait "$peer"
  PRC=$?
  SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 100 }')
  echo "$SUITE $name rc=$RC ${SECS}s" >>"$LOGDIR/timings.txt"
  echo "e2e: tinyvmm held up to $MAX_VHOST /dev/vhost-net and $MAX_TUN /dev/net/tun fds; vhost-$pid thread seen: $VHOST_THREAD; uid $VMM_UID" >>"$PEERLOG"
}

expect_peer() {
  [ "$PRC" = 0 ] && return 0
  fail "$1" "tinyvmm-netpeer exited $PRC (transfers not verified on the host)"
  tail_logs
  echo "  --- netpeer, end of build/e2e/logs/${PEERLOG##*/}"
  tail -n 6 "$PEERLOG" | sed 's/^/  | /'
  return 1
}

# The guest's `net negotiated:` feature list, padded with spaces (the
# guest's tty ends console lines with \r\n).
negotiated() {
  echo " $(grep -m1 'guest-test: net negotiated:' "$OUT" | tr -d '\r' | sed 's/.*negotiated: *//') "
}

# expect_features NAME WANT...: the guest negotiated every WANT.
expect_features() {
  name=$1
  shift
  line=$(negotiated)
  for f in "$@"; do
    case "$line" in
    *" $f "*) ;;
    *)
      fail "$name" "guest did not negotiate $f (negotiated:$line)"
      return 1
      ;;
    esac
  done
}

expect_no_feature() {
  line=$(negotiated)
  case "$line" in
  *" $2 "*)
    fail "$1" "guest negotiated $2 (negotiated:$line)"
    return 1
    ;;
  esac
}

# expect_fds NAME VHOST TUN: the most fds of each open at once while it ran.
expect_fds() {
  [ "$MAX_VHOST" = "$2" ] && [ "$MAX_TUN" = "$3" ] && return 0
  fail "$1" "tinyvmm held up to $MAX_VHOST /dev/vhost-net and $MAX_TUN /dev/net/tun fds, want $2 and $3"
  return 1
}

# check_net NAME TAP GUEST-OPTS [TINYVMM-ARGS...]: guest-test.mode=net with
# both transfers verified by guest and peer ($PEER). Returns 1 if it
# failed; the caller adds its own expectations and says PASS.
check_net() {
  name=$1 tap=$2 gopts=$3
  shift 3
  net_vmm "$name" "$tap" "guest-test.mode=net guest-test.bytes=$NET_BYTES $gopts" "$@"
  expect_rc "$name" 0 || return 1
  expect_out "$name" "guest-test: net ping .*: [1-3]/3 replies" || return 1
  expect_out "$name" "guest-test: net tx bytes=$NET_BYTES verified=yes" || return 1
  expect_out "$name" "guest-test: net rx bytes=$NET_BYTES .*verified=yes" || return 1
  expect_out "$name" "guest-test: net ok" || return 1
  expect_peer "$name" || return 1
}

TAP0_PEER="serve 169.254.0.1 $NET_BYTES $((RUN_LIMIT - 20))"

check_tier1b_net() {
  name=$1
  PEER=$TAP0_PEER
  check_net "$name" tap0 "" --report-json "$LOGDIR/report-$name.json" || return 0
  expect_err "$name" "=== Network: KVM with vhost-net acceleration (Tier 1B), 1 queue pair(s), TAP tap0 ===" || return 0
  expect_report "$name" '"tier": "1B"' '"backend": "vhost-net"' '"activations": 1' '"ring": "split"' '"phase": "exit"' '"guest_tso4"' \
    '"interrupt_acks_in_kernel": [1-9]' '"trapped_kicks": 0,' '"vhost_stalls": 0,' \
    "\"kind\": \"$(vhost_workers_kind)\"" || return 0
  expect_err "$name" "driver ready: split ring, .*backend vhost-net, interrupts irqfd-direct" || return 0
  expect_features "$name" mac csum guest_csum host_tso4 guest_tso4 mrg_rxbuf event_idx || return 0
  # The emulated host's 6.1 TAP takes UFO (probed); USO needs 6.2.
  expect_features "$name" guest_ufo host_ufo || return 0
  expect_fds "$name" 1 1 || return 0
  if [ "$VHOST_THREAD" != yes ]; then
    fail "$name" "no vhost-<tinyvmm pid> worker (kernel thread, or a thread of tinyvmm on 6.4+) seen while tinyvmm ran"
    return 0
  fi
  pass "$name"
}

# --vhost-poll-us: the busy-poll time is set on the rings (read back at start,
# so a kernel that dropped it fails the run) and in the report; data still flows.
check_tier1b_poll() {
  name=$1
  PEER=$TAP0_PEER
  check_net "$name" tap0 "" --vhost on --vhost-poll-us 50 --report-json "$LOGDIR/report-$name.json" || return 0
  expect_report "$name" '"tier": "1B"' '"vhost_poll_us": 50,' '"phase": "exit"' || return 0
  pass "$name"
}

# --worker-sched batch: each Tier 2 worker makes itself SCHED_BATCH after
# set-up, under the default seccomp filter (a call it lacks ends the run
# with SIGSYS); verified transfers pass and the report says batch.
check_tier2_batch() {
  name=$1
  PEER=$TAP0_PEER
  check_net "$name" tap0 "" --vhost off --worker-sched batch --report-json "$LOGDIR/report-$name.json" || return 0
  expect_report "$name" '"tier": "2"' '"worker_sched": "batch"' '"phase": "exit"' || return 0
  pass "$name"
}

# --worker-sched batch with vhost-net: tinyvmm makes vhost-net's worker
# SCHED_BATCH at start-up (a kernel thread before Linux 6.4, a thread of
# tinyvmm since); the policy is read from the worker's own /proc stat.
check_tier1b_batch() {
  name=$1
  PEER=$TAP0_PEER
  WATCH_POLICY=yes
  check_net "$name" tap0 "" --vhost on --worker-sched batch --report-json "$LOGDIR/report-$name.json"
  rc=$?
  WATCH_POLICY=
  [ $rc = 0 ] || return 0
  expect_report "$name" '"tier": "1B"' '"worker_sched": "batch"' '"phase": "exit"' || return 0
  if [ "$VHOST_POLICY" != 3 ]; then
    fail "$name" "vhost-net's worker ran with scheduling policy '${VHOST_POLICY:-not seen}', not 3 (SCHED_BATCH)"
    return 0
  fi
  pass "$name"
}

# --worker-poll-us: Tier 2's worker polls before it sleeps; verified
# transfers still pass, the report says the limit and that polls ran. The
# limit is the largest: polls start only once a wake-up comes within it of
# the worker going idle, and in the emulated host a short transfer's 60-odd
# wake-ups may all come later than 50 µs (one CI run saw none).
check_tier2_poll() {
  name=$1
  PEER=$TAP0_PEER
  check_net "$name" tap0 "" --vhost off --worker-poll-us 1000 --report-json "$LOGDIR/report-$name.json" || return 0
  expect_report "$name" '"tier": "2"' '"worker_poll_us": 1000,' '"vhost_poll_us": null' '"phase": "exit"' || return 0
  if ! grep -Eq '"polls_(found|missed)": [1-9]' "$LOGDIR/report-$name.json"; then
    fail "$name" "report-$name.json: no poll found or missed work (polls_found, polls_missed all 0)"
    return 0
  fi
  pass "$name"
}

# expect_report NAME PATTERN...: the --report-json file has each PATTERN
# (run.sh validates every report-*.json against docs/report.schema.json).
expect_report() {
  name=$1
  shift
  for want in "$@"; do
    grep -q -- "$want" "$LOGDIR/report-$name.json" 2>/dev/null && continue
    fail "$name" "report-$name.json lacks $want"
    return 1
  done
}

# The report's vhost_workers.ids: how many (one per queue pair, each found
# right after its pair's VHOST_SET_OWNER), all different.
report_vhost_worker_ids() {
  awk '/"vhost_workers"/ { f = 1 } f && /^ *[0-9]+,?$/ { sub(/,/, ""); print $1 } f && /\]/ { exit }' \
    "$LOGDIR/report-$1.json" 2>/dev/null | sort -u | wc -l
}

# The report's vhost_workers.kind this host kernel must give: threads of
# tinyvmm from Linux 6.4 (vhost_task), kernel threads before.
vhost_workers_kind() {
  uname -r | awk -F. '{ print ($1 > 6 || ($1 == 6 && $2 >= 4)) ? "threads" : "kernel_threads" }'
}

# tinyvmm check on a host with vhost-net and a 2-queue TAP.
check_host_check() {
  name=$1
  vmm "$name" check --tap tap1 --queues 2 --cpus 2
  expect_rc "$name" 0 || return 0
  expect_out "$name" "\[ok\] /dev/kvm: opens, KVM API 12" || return 0
  expect_out "$name" "vGIC: v3 yes" || return 0
  expect_out "$name" "\[ok\] /dev/vhost-net: opens; packed ring no" || return 0
  expect_out "$name" "TAP tap1: exists, multi-queue" || return 0
  expect_out "$name" "\[ok\] MSI routing: KVM_SET_GSI_ROUTING yes, KVM_SIGNAL_MSI yes, irqfd yes" || return 0
  expect_out "$name" "=== Network: KVM with vhost-net acceleration and multi-queue (Tier 1A), 2 queue pair(s), TAP tap1 ===" || return 0
  pass "$name"
}

check_host_check_novhost() {
  name=$1
  vmm "$name" check
  expect_rc "$name" 0 || return 0
  expect_out "$name" "\[!!\] /dev/vhost-net does not exist (module not loaded). Load it: modprobe vhost_net" || return 0
  expect_out "$name" "(Tier 2), 1 queue pair(s)" || return 0
  expect_out "$name" "To reach Tier 1A" || return 0
  pass "$name"
}

check_host_check_gic2() {
  name=$1
  vmm "$name" check
  expect_rc "$name" 0 || return 0
  expect_out "$name" "vGIC: v3 no, v2 yes; --gic auto uses v2" || return 0
  expect_out "$name" "PCI interrupts (--transport pci): GICv2m" || return 0
  expect_out "$name" "\[ok\] MSI routing: KVM_SET_GSI_ROUTING yes, .*irqfd yes" || return 0
  pass "$name"
}

# check_msi_probe NAME MODE: tinyvmm's MSI backends (routes, irqfds, GICv2m)
# against this host's KVM, tests/kvm/msi_probe.c; MODE is what it must pick.
check_msi_probe() {
  name=$1
  OUT=$LOGDIR/$name.out
  ERR=$LOGDIR/$name.err
  SECS=0
  if [ ! -x /mnt/share/tinyvmm-msiprobe ]; then
    fail "$name" "no tinyvmm-msiprobe (build/arm64 lacks it: run scripts/setup)"
    return 0
  fi
  timeout "$RUN_LIMIT" /mnt/share/tinyvmm-msiprobe >"$OUT" 2>"$ERR" </dev/null
  RC=$?
  expect_rc "$name" 0 || return 0
  expect_out "$name" "PCI interrupt mode $2" || return 0
  expect_out "$name" "msiprobe: all passed" || return 0
  pass "$name"
}

# Started as root with --user: devices opened as root, the guest runs as 65534.
check_drop_privileges() {
  name=$1
  PEER=$TAP0_PEER
  # Every file the run writes is created as the --user target (README).
  files=$LOGDIR/$name.files
  rm -rf "$files" && mkdir -p "$files" && chown 65534 "$files"
  check_net "$name" tap0 "" --user 65534 --console-log "$files/console.log" \
    --report-json "$files/report.json" --dump-dtb "$files/board.dtb" || return 0
  if [ "$VMM_UID" != 65534 ]; then
    fail "$name" "tinyvmm ran with uid '$VMM_UID' after --user 65534"
    return 0
  fi
  for f in console.log report.json board.dtb; do
    owner=$(stat -c %u "$files/$f" 2>/dev/null)
    if [ "$owner" != 65534 ]; then
      fail "$name" "--user 65534 left $f owned by uid '${owner:-(no file)}', want 65534"
      return 0
    fi
  done
  pass "$name"
}

# cpu_ticks PID: user + system clock ticks used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

# The TAP is deleted while the guest sends: the guest sees its carrier drop,
# tinyvmm says so, stays idle (no busy loop) and exits 0 when the guest does.
# linkdown_guest NAME TAP SUBNET: a guest (mode linkdown) sending through TAP
# (created here as SUBNET.0.1/16) until its carrier goes; returns once it
# sends (PID, PEER set).
linkdown_guest() {
  name=$1 ltap=$2 net=$3
  tinyvmm tap create "$ltap" --address "$net.0.1/16" >>"$LOGDIR/$SUITE-taps.log" 2>&1
  OUT=$LOGDIR/$name.out
  ERR=$LOGDIR/$name.err
  tinyvmm-netpeer serve "$net.0.1" 1099511627776 $((RUN_LIMIT - 20)) >"$LOGDIR/$name.peer" 2>&1 &
  peer=$!
  timeout "$RUN_LIMIT" tinyvmm --kernel "$K" --initrd "$I" --mem 256 --tap "$ltap" \
    --timeout $((RUN_LIMIT - 20)) --report-json "$LOGDIR/report-$name.json" \
    --cmdline "console=ttyS0 quiet guest-test.mode=linkdown guest-test.ip=$net.0.2 guest-test.peer=$net.0.1 guest-test.hold=4" \
    >"$OUT" 2>"$ERR" </dev/null &
  pid=$(vmm_pid $!)
  i=0
  while [ $i -lt 400 ] && running "$pid" && ! grep -q "linkdown: sending" "$OUT"; do
    sleep 0.5
    i=$((i + 1))
  done
}

# A local process sends tinyvmm's link monitor a forged RTM_DELLINK for its
# TAP (unicast to tinyvmm's netlink port): only the kernel is believed, so
# the guest's link stays up until the TAP is really deleted.
check_link_spoof() {
  name=$1
  linkdown_guest "$name" taps 10.4
  tinyvmm-netpeer spoof-dellink "$pid" taps >>"$LOGDIR/$name.peer" 2>&1
  sleep 5
  if grep -q "link is now down" "$ERR" || grep -q "carrier down" "$OUT"; then
    fail "$name" "a forged RTM_DELLINK took the guest's link down"
    kill "$pid" "$peer" 2>/dev/null
    return 0
  fi
  ip link delete taps
  wait "$pid"
  RC=$?
  kill "$peer" 2>/dev/null
  wait "$peer" 2>/dev/null
  grep -q "netpeer: spoof-dellink: sent" "$LOGDIR/$name.peer" || { fail "$name" "the forged message was not sent"; return 0; }
  expect_rc "$name" 0 || return 0
  expect_out "$name" "linkdown: carrier down" || return 0
  pass "$name"
}

check_tap_deleted() {
  name=$1
  linkdown_guest "$name" tapd 10.3
  ip link delete tapd
  i=0
  while [ $i -lt 60 ] && running "$pid" && ! grep -q "carrier down" "$OUT"; do
    sleep 0.5
    i=$((i + 1))
  done
  t0=$(cpu_ticks "$pid")
  sleep 3
  t1=$(cpu_ticks "$pid")
  wait "$pid"
  RC=$?
  kill "$peer" 2>/dev/null
  wait "$peer" 2>/dev/null
  SECS=-
  expect_rc "$name" 0 || return 0
  expect_out "$name" "linkdown: carrier down" || return 0
  expect_err "$name" "TAP tapd .*: the guest's link is now down; the guest keeps running" || return 0
  expect_report "$name" '"link_up": false' || return 0
  if [ -n "$t0" ] && [ -n "$t1" ] && [ $((t1 - t0)) -gt 100 ]; then
    fail "$name" "tinyvmm used $((t1 - t0)) clock ticks in 3 s with the TAP gone (busy loop?)"
    return 0
  fi
  pass "$name"
}

# vmm_own_ticks PID: CPU ticks of tinyvmm's own threads, the vCPUs' left out
# (they run the guest's code: an idle guest's timer ticks are not tinyvmm's).
# The process's ticks minus the vCPUs': a Tier 2 worker that has exited (a
# device reset) still counts.
vmm_own_ticks() {
  n=$(cpu_ticks "$1")
  n=${n:-0}
  for t in /proc/"$1"/task/*; do
    case $(cat "$t/comm" 2>/dev/null) in
      vcpu*) v=$(cpu_ticks "${t#/proc/}") && n=$((n - ${v:-0})) ;;
    esac
  done
  echo "$n"
}

# check_oversize_idle NAME RING: the hostile guest's 16 MiB TX descriptor on
# RING came back at once (Tier 2 once retried it for ever, its worker a host
# core at 100 %), and over the 10 s the guest then idled tinyvmm's own
# threads used under 3 % of a core (TICKS_LOG: whole-process and own-thread
# CPU ticks when each line was seen).
check_oversize_idle() {
  expect_out "$1" "hostile: oversize TX ($2 ring): chain returned, needs_reset=0; idle 10 s" || return 1
  expect_out "$1" "hostile: oversize TX ($2 ring): idle done" || return 1
  first=1
  [ "$2" = packed ] && first=3
  pct=$(awk -v a=$first '$1 == a { t0 = $4; c0 = $3 } $1 == a + 1 { t1 = $4; c1 = $3 }
    END { if (c1 > c0) printf "%.1f", 100 * (t1 - t0) / (c1 - c0); else print "none" }' "$TICKS_LOG")
  all=$(awk -v a=$first '$1 == a { t0 = $2; c0 = $3 } $1 == a + 1 { t1 = $2; c1 = $3 }
    END { if (c1 > c0) printf "%.1f", 100 * (t1 - t0) / (c1 - c0); else print "none" }' "$TICKS_LOG")
  echo "e2e: $1: while the guest idled after the $2-ring oversize TX tinyvmm's own threads used $pct % of a core ($all % with the vCPU's)" >>"$PEERLOG"
  if [ "$pct" = none ] || awk -v p="$pct" 'BEGIN { exit !(p >= 3) }'; then
    fail "$1" "tinyvmm used $pct % of a core (want < 3) over the 10 s after the $2-ring oversize TX"
    return 1
  fi
}

# guest-test.mode=hostile: the guest drives the device itself with garbage
# (random features, ring addresses, descriptors) for 200 rounds; tinyvmm
# must survive and the real driver must work afterwards.
# check_hostile NAME STDERR-PATTERN [rounds=N] [oversize=1] [TINYVMM-ARGS...]:
# the pattern ("" for none) is what tinyvmm must have said about the
# attack. rounds=: other than 200; oversize=1: also a 16 MiB TX descriptor
# on each ring layout (check_oversize_idle).
check_hostile() {
  name=$1 said=$2 rounds=200 oversize=0
  shift 2
  while :; do
    case ${1:-} in
    rounds=*) rounds=${1#rounds=} ;;
    oversize=*) oversize=${1#oversize=} ;;
    *) break ;;
    esac
    shift
  done
  PEER=$TAP0_PEER
  TICKS_LOG=$LOGDIR/$name.ticks
  rm -f "$TICKS_LOG"
  [ "$oversize" = 1 ] && WATCH_TICKS='hostile: oversize TX .*(idle 10 s|idle done)'
  net_vmm "$name" tap0 "guest-test.mode=hostile guest-test.rounds=$rounds guest-test.bytes=$NET_BYTES guest-test.oversize=$oversize" "$@"
  WATCH_TICKS=
  expect_rc "$name" 0 || return 0
  if [ "$oversize" = 1 ]; then
    check_oversize_idle "$name" split || return 0
    check_oversize_idle "$name" packed || return 0
    expect_report "$name" '"tx_oversize": [1-9]' || return 0
  fi
  expect_out "$name" "guest-test: hostile: seed=[0-9]* (re-run with guest-test.seed=" || return 0
  expect_out "$name" "guest-test: hostile: rounds=$rounds " || return 0
  expect_out "$name" "hostile: device recovered, transfer verified" || return 0
  # What the guest makes tinyvmm print is rate-limited (32 a minute).
  ready=$(grep -c 'virtio-net: driver ready' "$ERR")
  allowed=$(awk -v s="$SECS" 'BEGIN { printf "%d", 32 * (1 + int(s / 60)) }')
  if [ "$ready" -gt "$allowed" ]; then
    fail "$name" "the guest made tinyvmm print $ready activation reports in ${SECS}s (limit $allowed)"
    return 0
  fi
  if [ -n "$said" ]; then
    expect_err "$name" "$said" || return 0
    # Each later error is counted, not printed.
    expect_report "$name" '"vhost_ring_errors": [1-9]' || return 0
  fi
  expect_peer "$name" || return 0
  pass "$name"
}

# vhost_worker_stats: the /proc stat files of the vhost-PID workers of the
# one tinyvmm running (kernel threads before Linux 6.4, threads of tinyvmm
# since); nothing until its first VHOST_SET_OWNER.
vhost_worker_stats() {
  for c in /proc/[0-9]*/comm; do
    case $(cat "$c" 2>/dev/null) in
    vhost-[0-9]*) echo "${c%/comm}/stat" ;;
    tinyvmm*) for t in "${c%/comm}"/task/*; do
        grep -q '^vhost-' "$t/comm" 2>/dev/null && echo "$t/stat"
      done ;;
    esac
  done
}

# vhost_sampler LOG OUT MARK: about once a second until killed, a line
# "PHASE TICKS CS" in LOG: PHASE how many lines of OUT match the regex MARK
# so far, TICKS the CPU ticks (utime + stime) of the vhost workers, CS the
# time. The workers are looked up once (the whole of /proc is slow to walk
# in the emulated host), then only their stat files are read.
vhost_sampler() {
  stats=
  while [ -z "$stats" ]; do
    stats=$(vhost_worker_stats)
    [ -n "$stats" ] || sleep 0.2
  done
  while :; do
    # shellcheck disable=SC2086 # one path per word
    t=$(cat $stats 2>/dev/null | awk '{ sub(/^.*\) /, ""); s += $12 + $13 } END { print s + 0 }')
    n=$(grep -cE "$3" "$2" 2>/dev/null)
    echo "${n:-0} $t $(now_cs)" >>"$1"
    sleep 1
  done
}

# vhost_busy_pct LOG PHASE: the workers' share of a core (%) over PHASE in a
# vhost_sampler log, from its first sample to the next phase's first.
vhost_busy_pct() {
  awk -v p="$2" '$1 == p && !c0 { t0 = $2; c0 = $3 } $1 == p + 1 && !c1 { t1 = $2; c1 = $3 }
    END { if (c1 > c0) printf "%.1f", 100 * (t1 - t0) / (c1 - c0); else print "none" }' "$1"
}

# vhost_spin_summary LOG: what the workers used while they spun, from a
# vhost_sampler log: the mean of phase 0's samples at >= 50 % of a core
# (the boot's are lower) and how many there were.
vhost_spin_summary() {
  awk '$1 == 0 && c && $3 > c { r = 100 * ($2 - t) / ($3 - c); if (r >= 50) { n++; s += r } }
    { t = $2; c = $3 } END { if (n) printf "%.0f %% of a core in %d samples", s / n, n; else print "no busy sample" }' "$1"
}

# check_hostile_oversize_vhost NAME [mib=N] [TINYVMM-ARGS...]: the 16 MiB
# (N MiB) TX descriptor under vhost-net (Tier 1B): the kernel retries it
# for ever (the TAP answers ENOBUFS), the vhost worker a host core at 100 %,
# until tinyvmm's watchdog stops the ring and asks for a reset. The chain is
# returned or the device needs a reset; over the 10 s the guest then idles
# the vhost workers use under 3 % of a core; the real driver works after.
# The log says what the workers used while they spun and how long the
# guest waited (docs/findings/2026-12-07-vhost-tx-enobufs-spin.md).
check_hostile_oversize_vhost() {
  name=$1 mib=16
  shift
  case ${1:-} in mib=*) mib=${1#mib=} && shift ;; esac
  PEER=$TAP0_PEER
  vlog=$LOGDIR/$name.vhost-ticks
  rm -f "$vlog" "$LOGDIR/$name.out"
  vhost_sampler "$vlog" "$LOGDIR/$name.out" 'oversize TX \(split ring\): .*(idle 10 s|idle done)' &
  sampler=$!
  net_vmm "$name" tap0 "guest-test.mode=hostile guest-test.rounds=0 guest-test.bytes=$NET_BYTES guest-test.oversize=1 guest-test.oversize_mib=$mib guest-test.oversize_wait=60" \
    --vhost on --report-json "$LOGDIR/report-$name.json" "$@"
  kill "$sampler" 2>/dev/null
  wait "$sampler" 2>/dev/null
  expect_rc "$name" 0 || return 0
  if ! grep -Eq 'oversize TX \(split ring\): (chain returned, needs_reset=0|chain NOT returned, needs_reset=1); idle 10 s' "$OUT"; then
    fail "$name" "the oversize chain was neither returned nor the device marked NEEDS_RESET"
    tail_logs
    return 0
  fi
  spin=$(vhost_spin_summary "$vlog")
  pct=$(vhost_busy_pct "$vlog" 1)
  echo "e2e: $name: the vhost workers used $spin while they spun; $pct % of a core while the guest idled after; $(grep -o 'oversize TX (split ring): .*' "$OUT" | head -n 1)" >>"$PEERLOG"
  if [ "$pct" = none ] || awk -v p="$pct" 'BEGIN { exit !(p >= 3) }'; then
    fail "$name" "the vhost workers used $pct % of a core (want < 3) over the 10 s after the oversize TX"
    return 0
  fi
  if grep -q 'chain NOT returned' "$OUT"; then
    expect_err "$name" "vhost-net: queue pair 0's worker .* without moving a ring" || return 0
    expect_report "$name" '"vhost_stalls": [1-9]' || return 0
  fi
  expect_out "$name" "hostile: device recovered, transfer verified" || return 0
  expect_peer "$name" || return 0
  pass "$name"
}

# Tier 2, the reproduced defect of issue #13: the guest takes eth0 down (its
# RX buffers run out and are never refilled) while the host floods it with
# 9000-byte frames; tinyvmm must sleep, not spin (it burned a whole core),
# and the guest's driver unbind (a device reset) must return (it hung).
check_rx_starve() {
  name=$1
  PEER="flood tap0 60 9000"
  WATCH_MARK="netstarve eth0 down"
  LIMIT=200
  net_vmm "$name" tap0 "guest-test.mode=netstarve guest-test.seconds=20" --vhost off
  LIMIT= WATCH_MARK=
  expect_rc "$name" 0 || return 0
  expect_out "$name" "netstarve driver unbound (device reset) in" || return 0
  grep -q "frames of 9000 bytes sent" "$PEERLOG" || { fail "$name" "the flood did not run"; return 0; }
  if [ -z "$MARK_TICKS" ]; then
    fail "$name" "never saw the guest take eth0 down"
    return 0
  fi
  # CPU per second of wall time while starved (ticks are 1/100 s): a
  # spinning worker shows ~100; a sleeping one next to nothing.
  rate=$(awk -v t=$((LAST_TICKS - MARK_TICKS)) -v a="$MARK_CS" -v b="$LAST_CS" \
    'BEGIN { d = (b - a) / 100; printf "%d", (d > 0 ? t / d : 0) }')
  echo "e2e: $name: tinyvmm used $((LAST_TICKS - MARK_TICKS)) CPU ticks while starved, $rate per s" >>"$PEERLOG"
  if [ "$rate" -gt 30 ]; then
    fail "$name" "tinyvmm used $rate CPU ticks per second while the guest was starved (spinning?)"
    return 0
  fi
  pass "$name"
}

# `yes | tinyvmm` with a guest that never reads its console: tinyvmm must not
# spin on stdin, and the guest must still get to sleep and power off (it ran
# into --timeout instead).
check_console_flood() {
  name=$1
  OUT=$LOGDIR/$name.out
  ERR=$LOGDIR/$name.err
  echo "yes | tinyvmm --kernel K --initrd I --cmdline 'guest-test.mode=sleep guest-test.seconds=15' --timeout 150" >"$LOGDIR/$name.cmd"
  yes | timeout "$RUN_LIMIT" tinyvmm --kernel "$K" --initrd "$I" --mem 256 --timeout 150 \
    --cmdline "console=ttyS0 quiet guest-test.mode=sleep guest-test.seconds=15" >"$OUT" 2>"$ERR" &
  pid=$(vmm_pid $!)
  WATCH_MARK="guest-test: started"
  watch_vmm "$pid"
  WATCH_MARK=
  wait "$pid"
  RC=$?
  expect_rc "$name" 0 || return 0
  expect_out "$name" "guest-test: slept" || return 0
  echo "e2e: $name: tinyvmm used $((LAST_TICKS - MARK_TICKS)) CPU ticks from the guest's first line to its power-off" >"$LOGDIR/$name.peer"
  pass "$name"
}

# Input that ends (a pipe that closes) while the guest is still reading it
# slowly: with stdin out of the epoll set only by its events, the pipe's
# EPOLLHUP woke the main loop forever. tinyvmm's main thread (comm tinyvmm)
# must stay nearly idle; the vCPU thread does the guest's work.
check_console_pipe_closed() {
  name=$1
  OUT=$LOGDIR/$name.out
  ERR=$LOGDIR/$name.err
  echo "65536 bytes of y, then EOF | tinyvmm --kernel K --initrd I --cmdline guest-test.mode=sleep guest-test.seconds=15" >"$LOGDIR/$name.cmd"
  head -c 65536 /dev/zero | tr '\0' y | timeout "$RUN_LIMIT" tinyvmm --kernel "$K" --initrd "$I" \
    --mem 256 --timeout 150 \
    --cmdline "console=ttyS0 quiet guest-test.mode=sleep guest-test.seconds=15" >"$OUT" 2>"$ERR" &
  pid=$(vmm_pid $!)
  main_ticks=0
  while running "$pid"; do
    t=$(cpu_ticks "$pid/task/$pid")
    [ -n "$t" ] && main_ticks=$t
    sleep 0.5
  done
  wait "$pid"
  RC=$?
  expect_rc "$name" 0 || return 0
  expect_out "$name" "guest-test: slept" || return 0
  echo "e2e: $name: tinyvmm's main thread used $main_ticks CPU ticks" >"$LOGDIR/$name.peer"
  if [ "$main_ticks" -gt 300 ]; then
    fail "$name" "tinyvmm's main thread used $main_ticks CPU ticks (busy loop on a closed stdin?)"
    return 0
  fi
  pass "$name"
}

# vcpus_waiting_on_output PID: how many vCPU threads wait to write the
# console (in pipe_write, or polling for room), not running the guest.
vcpus_waiting_on_output() {
  n=0
  for t in /proc/"$1"/task/*; do
    case $(cat "$t/comm" 2>/dev/null) in vcpu*) ;; *) continue ;; esac
    case $(cat "$t/wchan" 2>/dev/null) in *pipe_write* | *poll*) n=$((n + 1)) ;; esac
  done
  echo "$n"
}

# console-stalled-reader: tinyvmm's stdout is a pipe whose reader holds it
# open and never reads (a stuck log collector; tinyvmm-netpeer stall-reader
# shrinks it to one page). The guest's console output then waits for room
# in its vCPU thread, and --timeout (exit 4) and SIGTERM (exit 143) must
# still end the run within seconds. They did not: the vCPU sat in
# pipe_write() and the main thread joined it for ever. "input": one byte
# of console input once the vCPU waits, then --timeout (the vCPU waited
# holding the UART lock, and the main loop blocked on it in uart_receive()
# until the reader went away: lib/dev_lock.h's rule).
check_console_stalled_reader() {
  name=$1
  for what in timeout sigterm input; do
    OUT=$LOGDIR/$name-$what.out ERR=$LOGDIR/$name-$what.err fifo=/tmp/$name.fifo
    infifo=/tmp/$name-in.fifo
    rm -f "$fifo" "$infifo" && mkfifo "$fifo" "$infifo"
    # Read-write: opening it neither blocks nor ever reads end of file.
    exec 7<>"$infifo"
    tinyvmm-netpeer stall-reader "$fifo" 200 >"$OUT" 2>&1 &
    stall=$!
    limit='' want=143
    [ $what != sigterm ] && limit='--timeout 30' want=4
    echo "tinyvmm $limit --kernel K --initrd I --cmdline 'console=ttyS0 guest-test.mode=hang' >FIFO-nobody-reads <FIFO-$what" >"$LOGDIR/$name-$what.cmd"
    # Not quiet: the boot log fills the page within seconds of the console's start.
    # shellcheck disable=SC2086 # $limit is empty or two words
    timeout "$RUN_LIMIT" tinyvmm --kernel "$K" --initrd "$I" --mem 256 $limit \
      --cmdline "console=ttyS0 guest-test.mode=hang" >"$fifo" 2>"$ERR" <"$infifo" &
    pid=$(vmm_pid $!)
    i=0 blocked=0
    while [ $i -lt 50 ] && [ "$blocked" = 0 ]; do
      sleep 0.5
      i=$((i + 1))
      blocked=$(vcpus_waiting_on_output "$pid")
    done
    [ $what = sigterm ] && kill -TERM "$pid"
    [ $what = input ] && printf x >&7
    t0=$(now_cs)
    wait "$pid"
    RC=$?
    SECS=$(awk -v a="$t0" -v b="$(now_cs)" 'BEGIN { printf "%.1f", (b - a) / 100 }')
    kill "$stall" 2>/dev/null
    wait "$stall" 2>/dev/null
    exec 7>&-
    rm -f "$fifo" "$infifo"
    if [ "$blocked" = 0 ]; then
      fail "$name" "$what: the console never waited on the full pipe, so this proved nothing"
      return 0
    fi
    expect_rc "$name" "$want" || return 0
    # SIGTERM: at once; --timeout: when it is due (from start), not later.
    if awk -v s="$SECS" -v w=$what 'BEGIN { exit !(s > (w == "sigterm" ? 10 : 40)) }'; then
      fail "$name" "$what: tinyvmm took ${SECS}s to stop with its stdout full"
      return 0
    fi
  done
  pass "$name"
}

# The same as a user types it: `(sleep 2; echo x) | tinyvmm --timeout 5 ...
# | sleep 60` must exit 4 in about 5 s, whatever the console is doing when
# the byte arrives (a reader that never reads, input waiting).
check_console_stalled_input() {
  name=$1
  OUT=$LOGDIR/$name.out ERR=$LOGDIR/$name.err rcf=/tmp/$name.rc
  rm -f "$rcf"
  echo "(sleep 2; echo x) | tinyvmm --timeout 5 --kernel K --initrd I --cmdline 'console=ttyS0 guest-test.mode=hang' | sleep 60" >"$LOGDIR/$name.cmd"
  t0=$(now_cs)
  { (sleep 2; echo x) | timeout "$RUN_LIMIT" tinyvmm --timeout 5 --kernel "$K" --initrd "$I" --mem 256 \
      --cmdline "console=ttyS0 guest-test.mode=hang" 2>"$ERR"; echo $? >"$rcf"; } | sleep 60 &
  sleeper=$!
  while [ ! -s "$rcf" ] && [ $(($(now_cs) - t0)) -lt 9000 ]; do sleep 0.2; done
  SECS=$(awk -v a="$t0" -v b="$(now_cs)" 'BEGIN { printf "%.1f", (b - a) / 100 }')
  RC=$(cat "$rcf" 2>/dev/null)
  kill "$sleeper" 2>/dev/null
  wait "$sleeper" 2>/dev/null
  rm -f "$rcf"
  : >"$OUT"
  expect_rc "$name" 4 || return 0
  # 5 s, plus the emulated host's start-up and teardown.
  if awk -v s="$SECS" 'BEGIN { exit !(s > 20) }'; then
    fail "$name" "tinyvmm took ${SECS}s to stop at --timeout 5"
    return 0
  fi
  pass "$name"
}

# SIGTERM while the guest is in the middle of a transfer: a clean stop with
# exit code 143 within seconds, whatever the data path is doing.
check_sigterm_transfer() {
  name=$1
  shift
  OUT=$LOGDIR/$name.out
  ERR=$LOGDIR/$name.err
  tinyvmm-netpeer serve 169.254.0.1 1099511627776 $((RUN_LIMIT - 20)) >"$LOGDIR/$name.peer" 2>&1 &
  peer=$!
  timeout "$RUN_LIMIT" tinyvmm --kernel "$K" --initrd "$I" --mem 256 --tap tap0 "$@" \
    --cmdline "console=ttyS0 quiet guest-test.mode=linkdown" >"$OUT" 2>"$ERR" </dev/null &
  pid=$(vmm_pid $!)
  i=0
  while [ $i -lt 400 ] && running "$pid" && ! grep -q "linkdown: sending" "$OUT"; do
    sleep 0.5
    i=$((i + 1))
  done
  sleep 2	# well into the transfer
  # vhost-net cannot be unloaded under a VM that uses it: the open fds pin
  # the module, so "the module goes away mid-run" cannot happen.
  rmmod_rc=none
  if [ -e /dev/vhost-net ] && grep -q "backend vhost-net" "$ERR"; then
    rmmod vhost_net >"$LOGDIR/$name.rmmod" 2>&1
    rmmod_rc=$?
  fi
  t0=$(now_cs)
  kill -TERM "$pid"
  wait "$pid"
  RC=$?
  t1=$(now_cs)
  kill "$peer" 2>/dev/null
  wait "$peer" 2>/dev/null
  SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 100 }')
  expect_rc "$name" 143 || return 0
  expect_out "$name" "linkdown: sending" || return 0
  expect_err "$name" "stopped by signal 15; exit code 143" || return 0
  if [ "$rmmod_rc" = 0 ]; then
    fail "$name" "rmmod vhost_net succeeded while tinyvmm used it"
    return 0
  fi
  case $name in
  *tier1b)
    if [ "$rmmod_rc" = none ]; then
      fail "$name" "rmmod vhost_net was not tried (no vhost-net backend?)"
      return 0
    fi ;;
  esac
  if [ $((t1 - t0)) -gt 1000 ]; then
    fail "$name" "tinyvmm took ${SECS}s to stop after SIGTERM"
    return 0
  fi
  pass "$name"
}

# vhost-net failing at a driver re-init, injected (TINYVMM_FAULT, lib/fault.h)
# at the 2nd DRIVER_OK of a netreset run with 2 rebinds. --vhost auto: that
# session runs in userspace (Tier 2), the next one in vhost-net again, every
# transfer verified. --vhost on: the device goes to NEEDS_RESET, the guest's
# network is down from then on, and tinyvmm neither hangs nor crashes: it
# ends when the guest powers off.
check_vhost_fault() {
  name=$1 mode=$2
  plimit=$((RESET_LIMIT - 20))
  PEER="serve 169.254.0.1 $NET_BYTES $plimit 3 $RESET_BYTES"
  LIMIT=$RESET_LIMIT
  # --vhost on: the guest must give up soon (tries=5), not after 100 ARP timeouts.
  tries=100
  [ "$mode" = on ] && tries=5
  # The hooks exist only in the test build (lib/fault.h; CTest
  # release-has-no-test-hooks checks the release core has none).
  export TINYVMM_FAULT=VHOST_SET_FEATURES:2
  VMM=tinyvmm-faults
  # auto: the fallback session's worker makes itself SCHED_BATCH under the filter.
  batch=
  [ "$mode" = auto ] && batch="--worker-sched batch"
  # shellcheck disable=SC2086 # $batch: no option or two words
  net_vmm "$name" tap0 \
    "guest-test.mode=netreset guest-test.bytes=$NET_BYTES guest-test.loops=2 guest-test.loopbytes=$RESET_BYTES guest-test.tries=$tries" \
    --vhost "$mode" $batch
  unset TINYVMM_FAULT
  VMM=
  LIMIT=
  expect_rc "$name" 0 || return 0
  expect_err "$name" "injected fault at VHOST_SET_FEATURES (pass 2" || return 0
  if [ "$mode" = auto ]; then
    expect_err "$name" "using userspace virtio-net (Tier 2) for this session" || return 0
    expect_out "$name" "guest-test: netreset 2 of 2 rebinds verified" || return 0
    backends=$(sed -n 's/.*driver ready: .*backend \([a-z-]*\).*/\1/p' "$ERR" | tr '\n' ' ')
    if [ "$backends" != "vhost-net userspace vhost-net " ]; then
      fail "$name" "backends per session: '$backends', want 'vhost-net userspace vhost-net'"
      return 0
    fi
    expect_peer "$name" || return 0
  else
    expect_err "$name" "step 12 VHOST_SET_FEATURES (queue pair 0) failed: Input/output error; the device needs a reset" || return 0
    expect_out "$name" "guest-test: netreset error: loop 1/2: transfer after rebind failed" || return 0
  fi
  pass "$name"
}

# kill -USR1 prints statistics; SIGTERM then stops cleanly (143).
check_usr1() {
  name=$1
  OUT=$LOGDIR/$name.out
  ERR=$LOGDIR/$name.err
  timeout "$RUN_LIMIT" tinyvmm --kernel "$K" --initrd "$I" --mem 256 \
    --cmdline "console=ttyS0 quiet guest-test.mode=hang" >"$OUT" 2>"$ERR" </dev/null &
  pid=$(vmm_pid $!)
  i=0
  while [ $i -lt 240 ] && ! grep -qs "guest-test: hanging" "$OUT"; do
    sleep 0.5
    i=$((i + 1))
  done
  kill -USR1 "$pid"
  sleep 1
  kill -TERM "$pid"
  wait "$pid"
  RC=$?
  SECS=-
  expect_rc "$name" 143 || return 0
  expect_err "$name" "tinyvmm: statistics after" || return 0
  expect_err "$name" "vCPU exits to tinyvmm: [0-9]* (mmio [0-9]*" || return 0
  expect_err "$name" "KVM: exits [0-9]" || return 0
  pass "$name"
}

check_tier1b_relay() {
  name=$1
  PEER=$TAP0_PEER
  check_net "$name" tap0 "" --vhost-irq relay || return 0
  expect_err "$name" "backend vhost-net, interrupts relayed" || return 0
  pass "$name"
}

check_tier2_packed() {
  name=$1
  PEER=$TAP0_PEER
  check_net "$name" tap0 "" --vhost off --report-json "$LOGDIR/report-$name.json" || return 0
  expect_err "$name" "=== Network: KVM with userspace virtio-net (Tier 2), 1 queue pair(s), TAP tap0 ===" || return 0
  # The guest's InterruptACK(VRING) writes complete in KVM, not in tinyvmm.
  expect_report "$name" '"interrupt_acks_in_kernel": [1-9]' '"trapped_kicks": 0,' || return 0
  expect_err "$name" "driver ready: packed ring, .*backend userspace" || return 0
  expect_features "$name" ring_packed guest_ufo host_ufo || return 0
  expect_fds "$name" 0 1 || return 0
  pass "$name"
}

# check_pci NAME MSI TIER [ring=RING] [exit=RE] [report=RE] [TINYVMM-ARGS...]:
# the verified transfer with virtio-net on virtio-pci, its MSI-X vectors
# delivered the MSI way (ITS on a GICv3 host, GICv2m on a GICv2 one) and
# really used. ring=: the ring the driver must use (default: any); exit=:
# what the exit line must say after "MSI-X offered, " (default: tinyvmm
# itself sent MSI-X messages); report=: what network.pci must hold
# (default: per vector, tinyvmm sent some).
check_pci() {
  name=$1 msi=$2 tier=$3 ring='[a-z]*' exits='[1-9][0-9]* MSI-X messages'
  report='"messages_by_tinyvmm": [1-9]'
  shift 3
  while :; do
    case ${1:-} in
    ring=*) ring=${1#ring=} ;;
    exit=*) exits=${1#exit=} ;;
    report=*) report=${1#report=} ;;
    *) break ;;
    esac
    shift
  done
  PEER=$TAP0_PEER
  check_net "$name" tap0 "" --transport pci --report-json "$LOGDIR/report-$name.json" "$@" || return 0
  expect_err "$name" "=== Transport: virtio-pci, $msi: MSI-X through" || return 0
  # Every notification completed in KVM (ioeventfds on the BAR the guest chose).
  expect_report "$name" '"trapped_kicks": 0,' '"phase": "exit"' || return 0
  expect_err "$name" "=== Network: $tier, 1 queue pair(s), virtio-pci, MSI-X via $msi ([0-9]* vectors), TAP tap0 ===" || return 0
  expect_err "$name" "driver ready: $ring ring" || return 0
  expect_err "$name" "virtio-pci: MSI-X offered, $exits" || return 0
  # network.pci: the mode, and per vector what tinyvmm counted.
  expect_report "$name" "\"msi\": \"$msi\"" "\"eventfd_pending_at_unmask\": " "$report" || return 0
  # The guest's view: a vector per queue (and config), none shared.
  expect_out "$name" "guest-test: irqs virtio[0-9]*-input.0 chip=" || return 0
  expect_out "$name" "guest-test: irqs virtio[0-9]*-config chip=" || return 0
  expect_out "$name" "guest-test: irqs summary lines=3 input=1 output=1 " || return 0
  pass "$name"
}

# check_pci_mq NAME MSI [TINYVMM-ARGS...]: Tier 1A over virtio-pci, 2 queue
# pairs, 2 vCPUs (netmq on tap1): ETHTOOL_SCHANNELS to 1 with a verified
# stream, back to 2 with 2 verified streams that use both queue pairs; the
# guest has one MSI-X vector per queue and took receive interrupts on both
# vCPUs; tinyvmm held 2 vhost-net and 2 TAP queue fds.
check_pci_mq() {
  name=$1 msi=$2
  shift 2
  PEER="serve-multi 10.1.0.1 $MQ_BYTES 1,2 $((RUN_LIMIT - 20))"
  net_vmm "$name" tap1 \
    "guest-test.mode=netmq guest-test.single=1 guest-test.bytes=$MQ_BYTES guest-test.ip=10.1.0.2 guest-test.peer=10.1.0.1" \
    --cpus 2 --queues 2 --transport pci --report-json "$LOGDIR/report-$name.json" "$@"
  expect_rc "$name" 0 || return 0
  expect_err "$name" "=== Transport: virtio-pci, $msi: MSI-X through" || return 0
  expect_err "$name" "=== Network: KVM with vhost-net acceleration and multi-queue (Tier 1A), 2 queue pair(s), virtio-pci, MSI-X via $msi ([0-9]* vectors), TAP tap1 ===" || return 0
  expect_out "$name" "guest-test: netmq channels: max_combined=2" || return 0
  expect_out "$name" "guest-test: netmq channels set to 1: ok" || return 0
  expect_out "$name" "guest-test: netmq 1 stream on 1 channel: verified" || return 0
  expect_out "$name" "guest-test: netmq channels set to 2: ok" || return 0
  expect_out "$name" "guest-test: netmq stream 1: .* verified=yes" || return 0
  expect_out "$name" "guest-test: netmq queues with traffic: tx=2 rx=2 of 2" || return 0
  expect_out "$name" "guest-test: netmq ok" || return 0
  for v in input.0 input.1 output.0 output.1 config; do
    expect_out "$name" "guest-test: irqs virtio[0-9]*-$v chip=" || return 0
  done
  expect_out "$name" "guest-test: irqs summary lines=5 input=2 output=2 rx_cpus=2 of 2" || return 0
  expect_err "$name" "guest enabled 2 of 2 queue pairs" || return 0
  # --vhost-irq direct (default): vhost's rings signal their vectors' irqfds themselves.
  expect_err "$name" "virtio-pci: MSI-X offered, .*started on their vector.s irqfd: [1-9]" || return 0
  # Both pairs' workers busy with the transfer: the spin watchdog stays out of it.
  expect_report "$name" '"trapped_kicks": 0,' '"vhost_stalls": 0,' || return 0
  n=$(report_vhost_worker_ids "$name")
  if [ "$n" != 2 ]; then
    fail "$name" "the report names $n different vhost workers, not 1 per queue pair (2)"
    return 0
  fi
  expect_peer "$name" || return 0
  if [ "$(grep -c 'netpeer: stream .* verified=yes' "$PEERLOG")" != 3 ]; then
    fail "$name" "netpeer did not verify 3 streams (1, then 2)"
    return 0
  fi
  expect_fds "$name" 2 2 || return 0
  pass "$name"
}

# pci=nomsi on the guest's command line: the driver cannot use MSI-X, so
# virtio-pci falls back to INTx (ISR + INTA through the interrupt-map).
check_pci_intx() {
  name=$1
  PEER=$TAP0_PEER
  check_net "$name" tap0 "pci=nomsi" --transport pci || return 0
  expect_err "$name" "=== Network: KVM with vhost-net acceleration (Tier 1B), 1 queue pair(s), virtio-pci, .*TAP tap0 ===" || return 0
  expect_err "$name" "virtio-pci: MSI-X offered, 0 MSI-X messages (0 fired while masked), [1-9][0-9]* INTx assertions" || return 0
  # One shared line, named after the device alone, no per-queue vectors.
  expect_out "$name" "guest-test: irqs virtio[0-9]* chip=" || return 0
  expect_out "$name" "guest-test: irqs summary lines=1 input=0 output=0 " || return 0
  pass "$name"
}

check_tier2_split() {
  name=$1
  PEER=$TAP0_PEER
  check_net "$name" tap0 "" --vhost off --no-packed || return 0
  expect_err "$name" "=== Network: KVM with userspace virtio-net (Tier 2)" || return 0
  expect_err "$name" "driver ready: split ring, .*backend userspace" || return 0
  expect_no_feature "$name" ring_packed || return 0
  pass "$name"
}

# check_busyoff NAME [TINYVMM-ARGS...]: guest-test.mode=busyoff on tap0,
# BUSYOFF_LOOPS times: the guest powers off in the middle of a TCP stream
# to the peer and must reach PSCI SYSTEM_OFF every time (exit 0). Without
# guest-test's orderly interface shutdown, Debian's 6.1 guest kernel spins
# in virtnet_poll_cleantx() in about 2 of 3 such power-offs (guest bug).
check_busyoff() {
  name=$1
  shift
  i=1
  while [ $i -le "$BUSYOFF_LOOPS" ]; do
    tinyvmm-netpeer serve 169.254.0.1 1099511627776 120 >"$LOGDIR/$name.peer" 2>&1 &
    peer=$!
    vmm "$name" --kernel "$K" --initrd "$I" --mem 256 --cpus 2 --tap tap0 --timeout 90 \
      --cmdline "console=ttyS0 quiet guest-test.mode=busyoff guest-test.seconds=1 guest-test.ip=169.254.0.2 guest-test.peer=169.254.0.1" \
      "$@"
    kill "$peer" 2>/dev/null
    wait "$peer" 2>/dev/null
    expect_rc "$name" 0 || { echo "  (power-off $i of $BUSYOFF_LOOPS)"; return 0; }
    expect_out "$name" "guest-test: busyoff: powering off mid-transfer" || return 0
    i=$((i + 1))
  done
  pass "$name"
}

# check_mq NAME TIER VHOST-FDS [via=TEXT] [TINYVMM-ARGS...]: netmq, 2 pairs
# on tap1. via=: the banner's transport part (legacy virtio-mmio), empty by
# default.
check_mq() {
  name=$1 tier=$2 nvhost=$3 via=''
  shift 3
  case ${1:-} in via=*) via=${1#via=}; shift ;; esac
  PEER="serve-multi 10.1.0.1 $MQ_BYTES 2 $((RUN_LIMIT - 20))"
  net_vmm "$name" tap1 \
    "guest-test.mode=netmq guest-test.bytes=$MQ_BYTES guest-test.ip=10.1.0.2 guest-test.peer=10.1.0.1" \
    --cpus 2 --queues 2 "$@"
  expect_rc "$name" 0 || return 0
  expect_err "$name" "=== Network: $tier, 2 queue pair(s), ${via}TAP tap1 ===" || return 0
  expect_out "$name" "guest-test: netmq channels: max_combined=2" || return 0
  expect_out "$name" "guest-test: netmq channels set to 1: ok" || return 0
  expect_out "$name" "guest-test: netmq channels set to 2: ok" || return 0
  expect_out "$name" "guest-test: netmq queues with traffic: tx=2 rx=2 of 2" || return 0
  expect_out "$name" "guest-test: netmq ok" || return 0
  expect_err "$name" "guest enabled 2 of 2 queue pairs" || return 0
  expect_peer "$name" || return 0
  expect_fds "$name" "$nvhost" 2 || return 0
  pass "$name"
}

check_mq_warn() {
  name=$1
  vmm "$name" --kernel "$K" --initrd "$I" --mem 256 --cpus 2 --queues 4 --tap tap4 --transport mmio \
    --cmdline "console=ttyS0 quiet"
  expect_rc "$name" 0 || return 0
  expect_out "$name" "guest-test: cpus=2 " || return 0
  expect_err "$name" "warning: --queues 4 is more than --cpus 2" || return 0
  expect_err "$name" "4 queue pair(s), TAP tap4" || return 0
  pass "$name"
}

check_mq_single_tap() {
  name=$1
  vmm "$name" --kernel "$K" --initrd "$I" --mem 256 --cpus 2 --queues 2 --tap tap0 --transport mmio \
    --cmdline "console=ttyS0 quiet"
  expect_rc "$name" 1 || return 0
  expect_err "$name" "tinyvmm tap create" || return 0
  pass "$name"
}

# check_reset NAME TIER VHOST-FDS [via=TEXT] [driver=DRIVER] [tap=TAP]
# [addr=ADDR] [pairs=N] [TINYVMM-ARGS...]: guest-test.mode=netreset on tap0:
# a verified transfer, then RESET_LOOPS driver unbind/bind cycles (device
# reset, re-negotiation) each followed by a verified transfer. via=: the
# banner's transport part (virtio-pci, legacy virtio-mmio; empty by
# default); driver=: what the guest rebinds (virtio-pci: the PCI function,
# MSI-X set up anew; default virtio_net); tap=, addr=, pairs=: another TAP
# (default tap0, 169.254.0.1, 1 pair).
check_reset() {
  name=$1 tier=$2 nvhost=$3 via='' rdriver=virtio_net rtap=tap0 raddr=169.254.0.1 rpairs=1
  shift 3
  while :; do
    case ${1:-} in
    via=*) via=${1#via=} ;;
    driver=*) rdriver=${1#driver=} ;;
    tap=*) rtap=${1#tap=} ;;
    addr=*) raddr=${1#addr=} ;;
    pairs=*) rpairs=${1#pairs=} ;;
    *) break ;;
    esac
    shift
  done
  plimit=$((RESET_LIMIT - 20))
  PEER="serve $raddr $NET_BYTES $plimit $((RESET_LOOPS + 1)) $RESET_BYTES"
  LIMIT=$RESET_LIMIT
  net_vmm "$name" "$rtap" \
    "guest-test.mode=netreset guest-test.bytes=$NET_BYTES guest-test.loops=$RESET_LOOPS guest-test.loopbytes=$RESET_BYTES guest-test.ip=${raddr%.1}.2 guest-test.peer=$raddr" "$@"
  LIMIT=
  expect_rc "$name" 0 || return 0
  expect_err "$name" "=== Network: $tier, $rpairs queue pair(s), ${via}TAP $rtap ===" || return 0
  expect_out "$name" "guest-test: netreset device=.* driver=$rdriver " || return 0
  expect_out "$name" "guest-test: netreset $RESET_LOOPS of $RESET_LOOPS rebinds verified" || return 0
  expect_out "$name" "guest-test: netreset ok" || return 0
  expect_peer "$name" || return 0
  if ! grep -q "netpeer: all rounds verified" "$PEERLOG"; then
    fail "$name" "netpeer did not verify all $((RESET_LOOPS + 1)) rounds"
    return 0
  fi
  ready=$(grep -c 'virtio-net: driver ready' "$ERR")
  if [ "$ready" != $((RESET_LOOPS + 1)) ]; then
    fail "$name" "tinyvmm reported 'driver ready' $ready times, want $((RESET_LOOPS + 1))"
    return 0
  fi
  # Resets must not leak: never more than one of each per pair open at once.
  expect_fds "$name" "$nvhost" "$rpairs" || return 0
  pass "$name"
}

# expect_clean_boots NAME BOOTS: every boot of guest-test.mode=reboot read
# its kernel's taint mask as 0 and found no GIC warning in its kernel log
# (read with klogctl, so `quiet` does not hide them): a reboot that left the
# last boot's state (LPIs enabled, an interrupt pending) shows in the boots
# after the first.
expect_clean_boots() {
  name=$1
  for b in $(seq 1 "$2"); do
    t=$(sed -n "s/.*guest-test: reboot boot $b tainted \([-0-9]*\).*/\1/p" "$OUT" | tail -n 1)
    w=$(sed -n "s/.*guest-test: reboot boot $b GIC warnings: \([-0-9]*\).*/\1/p" "$OUT" | tail -n 1)
    if [ "$t" != 0 ]; then
      fail "$name" "boot $b: the guest kernel's tainted is '${t:-not reported}', want 0 ($(grep -m1 "reboot boot $b GIC warning:" "$OUT"))"
      return 1
    fi
    if [ "$w" != 0 ]; then
      fail "$name" "boot $b: ${w:-no count of} GIC warnings in the guest's kernel log: $(grep -m1 "reboot boot $b GIC warning:" "$OUT")"
      return 1
    fi
  done
  echo "e2e: $2 boots: tainted 0 and no GIC warnings in each" >>"$ERR"
}

# check_reboot NAME TIER VHOST-FDS [TINYVMM-ARGS...]: --on-reset reboot with
# guest-test.mode=reboot on tap0: a verified transfer on each of REBOOTS+1
# boots, a guest `reboot` after each but the last, then power off (exit 0).
# tinyvmm reports each reboot and its count; every boot holds the same fds.
REBOOTS=${E2E_REBOOTS:-3}
REBOOT_BYTES=${E2E_REBOOT_BYTES:-262144}   # each way, per boot
check_reboot() {
  name=$1 tier=$2 nvhost=$3
  shift 3
  boots=$((REBOOTS + 1))
  for b in $(seq 1 $boots); do eval "BOOT_FDS_$b="; done
  PEER="serve 169.254.0.1 $REBOOT_BYTES $((RESET_LIMIT - 40)) $boots $REBOOT_BYTES"
  LIMIT=$RESET_LIMIT WATCH_REBOOTS=1
  net_vmm "$name" tap0 "guest-test.mode=reboot guest-test.bytes=$REBOOT_BYTES guest-test.loops=$REBOOTS" \
    --on-reset reboot --report-json "$LOGDIR/report-$name.json" "$@"
  LIMIT='' WATCH_REBOOTS=''
  expect_rc "$name" 0 || return 0
  # On --transport pci the banner names the transport and MSI mode before the TAP.
  expect_err "$name" "=== Network: $tier, 1 queue pair(s), .*TAP tap0 ===" || return 0
  expect_out "$name" "guest-test: reboot all $boots boots done" || return 0
  expect_out "$name" "guest-test: reboot ok" || return 0
  n=$(grep -c 'guest-test: started' "$OUT")
  [ "$n" = "$boots" ] || { fail "$name" "the guest started $n times, want $boots"; return 0; }
  n=$(grep -c 'guest-test: reboot boot [0-9]* transfer verified' "$OUT")
  [ "$n" = "$boots" ] || { fail "$name" "$n verified transfers, want one per boot ($boots)"; return 0; }
  expect_clean_boots "$name" "$boots" || return 0
  n=$(grep -c 'tinyvmm: guest reset (PSCI SYSTEM_RESET): reboot [0-9]' "$ERR")
  [ "$n" = "$REBOOTS" ] || { fail "$name" "tinyvmm reported $n reboots, want $REBOOTS"; return 0; }
  expect_peer "$name" || return 0
  if ! grep -q "netpeer: all rounds verified" "$PEERLOG"; then
    fail "$name" "netpeer did not verify all $boots rounds"
    return 0
  fi
  expect_report "$name" '"phase": "exit"' '"on_reset": "reboot"' "\"reboots\": $REBOOTS," || return 0
  expect_fds "$name" "$nvhost" 1 || return 0
  # No leak across reboots: each boot's peak fd count is the first boot's.
  fdlist=
  for b in $(seq 1 $boots); do eval "fdlist=\"\$fdlist \${BOOT_FDS_$b:-?}\""; done
  echo "e2e: most fds open per boot:$fdlist" >>"$PEERLOG"
  first=${fdlist# }
  first=${first%% *}
  for f in $fdlist; do
    [ "$f" = "$first" ] && [ "$f" != "?" ] && continue
    fail "$name" "fds open per boot changed across reboots (or a boot was not seen):$fdlist"
    return 0
  done
  pass "$name"
}

# tap_step WANT-RC PATTERN ARGS...: one `tinyvmm ARGS` of the tap-cmd
# check, logged to its .out; sets TAP_BAD (first mismatch only).
tap_step() {
  want=$1 pat=$2
  shift 2
  echo "\$ tinyvmm $*" >>"$OUT"
  tinyvmm "$@" >/tmp/tap-step 2>&1
  rc=$?
  cat /tmp/tap-step >>"$OUT"
  echo "[exit $rc]" >>"$OUT"
  [ -n "$TAP_BAD" ] && return 0
  case "$want" in
  nonzero) [ "$rc" != 0 ] || TAP_BAD="'tinyvmm $*' exited 0, want non-zero" ;;
  *) [ "$rc" = "$want" ] || TAP_BAD="'tinyvmm $*' exited $rc, want $want" ;;
  esac
  if [ -z "$TAP_BAD" ] && [ -n "$pat" ] && ! grep -q -- "$pat" /tmp/tap-step; then
    TAP_BAD="'tinyvmm $*' output lacks '$pat'"
  fi
}

check_tap_cmd() {
  name=$1
  OUT=$LOGDIR/$name.out
  : >"$OUT"
  TAP_BAD=
  t0=$(now_cs)
  tap_step 0 "created, single-queue" tap create tapx
  tap_step 0 "multi-queue: no" tap show tapx
  tap_step 0 "created, multi-queue" tap create tapy --queues 2
  tap_step 0 "multi-queue: yes" tap show tapy
  tap_step 0 "persistent: yes" tap show tapy
  tap_step nonzero "tinyvmm tap delete tapx" tap create tapx --queues 2
  tap_step nonzero "tinyvmm tap delete tapy" tap create tapy
  tap_step 0 "updated, single-queue" tap create tapx --address 10.9.0.1/16
  tap_step 0 "deleted" tap delete tapx
  [ -e /sys/class/net/tapx ] && [ -z "$TAP_BAD" ] && TAP_BAD="tapx still exists after delete"
  tap_step 0 "does not exist" tap delete tapx
  tap_step nonzero "tinyvmm tap create tapx" tap show tapx
  tap_step 0 "deleted" tap delete tapy
  [ -e /sys/class/net/tapy ] && [ -z "$TAP_BAD" ] && TAP_BAD="tapy still exists after delete"
  SECS=$(awk -v a="$t0" -v b="$(now_cs)" 'BEGIN { printf "%.1f", (b - a) / 100 }')
  echo "$SUITE $name rc=- ${SECS}s" >>"$LOGDIR/timings.txt"
  if [ -n "$TAP_BAD" ]; then
    fail "$name" "$TAP_BAD"
    tail -n 8 "$OUT" | sed 's/^/  | /'
    return 0
  fi
  pass "$name"
}

# tinyvmm as an ordinary user (uid 1000, in group kvm) on a TAP it owns:
# /dev/kvm and /dev/vhost-net group kvm 0660, /dev/net/tun 0666 (as
# distributions set them up).
check_unprivileged() {
  name=$1
  if ! grep -q '^tester:' /etc/passwd 2>/dev/null; then
    mkdir -p /etc
    [ -e /etc/passwd ] || echo 'root:x:0:0:root:/root:/bin/sh' >/etc/passwd
    [ -e /etc/group ] || echo 'root:x:0:' >/etc/group
    echo 'tester:x:1000:1000:tester:/tmp:/bin/sh' >>/etc/passwd
    echo 'tester:x:1000:' >>/etc/group
    echo 'kvm:x:994:tester' >>/etc/group
  fi
  chgrp kvm /dev/kvm /dev/vhost-net && chmod 660 /dev/kvm /dev/vhost-net
  chmod 666 /dev/net/tun
  setup=$LOGDIR/$name.setup
  ls -l /dev/kvm /dev/vhost-net /dev/net/tun >"$setup"
  if ! tinyvmm tap create tapu --user tester --address 10.2.0.1/16 >>"$setup" 2>&1; then
    fail "$name" "tinyvmm tap create tapu --user tester failed: $(tail -n 1 "$setup")"
    return 0
  fi
  ids=$(su -s /bin/sh tester -c id 2>&1)
  echo "$ids" >>"$setup"
  case "$ids" in
  uid=1000*994\(kvm\)*) ;;
  *)
    fail "$name" "su to tester gave '$ids', want uid 1000 in group kvm"
    return 0
    ;;
  esac
  PEER="serve 10.2.0.1 $NET_BYTES $((RUN_LIMIT - 20))"
  AS_USER=tester
  check_net "$name" tapu "guest-test.ip=10.2.0.2 guest-test.peer=10.2.0.1"
  ok=$?
  AS_USER=
  [ $ok = 0 ] || return 0
  expect_err "$name" "(Tier 1B), 1 queue pair(s), TAP tapu" || return 0
  if [ "$VMM_UID" != 1000 ]; then
    fail "$name" "tinyvmm ran with uid '$VMM_UID', want 1000"
    return 0
  fi
  pass "$name"
}

# The no-vhost host (no /dev/vhost-net): auto falls back, on refuses.
check_novhost_auto() {
  name=$1
  PEER=$TAP0_PEER
  check_net "$name" tap0 "" || return 0
  expect_err "$name" "warning: vhost-net is not available: .*; using userspace virtio-net (Tier 2)" || return 0
  expect_err "$name" "=== Network: KVM with userspace virtio-net (Tier 2), 1 queue pair(s), TAP tap0 ===" || return 0
  expect_err "$name" "driver ready: packed ring, .*backend userspace" || return 0
  pass "$name"
}

check_novhost_on() {
  name=$1
  vmm "$name" --kernel "$K" --initrd "$I" --mem 256 --tap tap0 --vhost on \
    --cmdline "console=ttyS0 quiet"
  expect_rc "$name" 1 || return 0
  expect_err "$name" "modprobe vhost_net" || return 0
  pass "$name"
}

# net_setup TAP ARGS...: `tinyvmm tap create TAP ARGS`, FAIL net-setup if not.
net_setup() {
  tinyvmm tap create "$@" >>"$LOGDIR/$SUITE-taps.log" 2>&1 && return 0
  fail "$SUITE-setup" "tinyvmm tap create $* failed: $(tail -n 1 "$LOGDIR/$SUITE-taps.log")"
}


# check_legacy NAME BACKEND [TINYVMM-ARGS...]: verified transfers both ways on
# tap0 with --virtio-mmio legacy: Linux's virtio_mmio drives a version 1
# device, no VERSION_1 or packed ring is negotiated, the reports say legacy
# (the guest takes mrg_rxbuf, so the 12-byte legacy header).
LEGACY_VIA='legacy virtio-mmio (version 1), '
check_legacy() {
  name=$1 backend=$2
  shift 2
  PEER=$TAP0_PEER
  check_net "$name" tap0 "" --virtio-mmio legacy --report-json "$LOGDIR/report-$name.json" "$@" || return 0
  expect_err "$name" "=== Network: .*, 1 queue pair(s), ${LEGACY_VIA}TAP tap0 ===" || return 0
  expect_err "$name" "driver ready: split ring, .*backend $backend.*, legacy interface (virtio-mmio version 1, 12-byte header)" || return 0
  expect_report "$name" '"virtio_interface": "legacy"' '"transport": "mmio"' '"ring": "split"' || return 0
  expect_features "$name" mac csum guest_csum host_tso4 guest_tso4 mrg_rxbuf event_idx indirect_desc || return 0
  expect_no_feature "$name" version_1 || return 0
  expect_no_feature "$name" ring_packed || return 0
  pass "$name"
}


# check_virt_net NAME legacy|modern [TINYVMM-ARGS...]: verified transfers both
# ways on --machine virt, whose NIC is in the last of its 32 transports (the
# others say DeviceID 0); it speaks the interface asked for (legacy is virt's
# default).
check_virt_net() {
  name=$1 iface=$2
  shift 2
  PEER=$TAP0_PEER
  check_net "$name" tap0 "" --machine virt --report-json "$LOGDIR/report-$name.json" "$@" || return 0
  if [ "$iface" = legacy ]; then via=$LEGACY_VIA; else via=; fi
  expect_err "$name" "=== Network: .*, 1 queue pair(s), ${via}TAP tap0 ===" || return 0
  expect_report "$name" "\"virtio_interface\": \"$iface\"" '"transport": "mmio"' || return 0
  pass "$name"
}

# check_net_tier NAME TIER [ARGS...]: verified transfers both ways on tap0,
# the banner naming TIER; a vhost-net tier also needs its worker seen.
check_net_tier() {
  name=$1 tier=$2
  shift 2
  PEER=$TAP0_PEER
  check_net "$name" tap0 "" --report-json "$LOGDIR/report-$name.json" "$@" || return 0
  expect_err "$name" "=== Network: KVM with $tier, 1 queue pair(s), TAP tap0 ===" || return 0
  case $tier in
    *vhost-net*)
      if [ "$VHOST_THREAD" != yes ]; then
        fail "$name" "no vhost-<tinyvmm pid> worker (kernel thread, or a thread of tinyvmm on 6.4+) seen"
        return 0
      fi
      expect_report "$name" "\"kind\": \"$(vhost_workers_kind)\"" || return 0 ;;
  esac
  pass "$name"
}

check_host_check_page() {
  name=$1
  vmm "$name" check
  expect_rc "$name" 0 || return 0
  expect_out "$name" "\[ok\] host page size: $2 " || return 0
  pass "$name"
}

# check_boot_host_kernel NAME CPUS GIC [ARGS...]: check_boot with the host's
# own kernel as the guest (a 6.12 16K-page host: emuhost --host-kernel).
check_boot_host_kernel() {
  if [ -z "${TINYVMM_HOST_KERNEL_IMAGE:-}" ]; then
    fail "$1" "no TINYVMM_HOST_KERNEL_IMAGE (emuhost without --host-kernel?)"
    return 0
  fi
  name=$1 cpus=$2 gic=$3
  shift 3
  check_boot "$name" "$cpus" "$gic" "$TINYVMM_HOST_KERNEL_IMAGE" "$@"
}

# --- QEMU's virt board: firmware and bare-metal programs (issue 23) -----
# The same checks for any VMM: each takes the VMM's command line as its
# arguments (QEMU_VIRT or TINYVMM_VIRT and more, in checks.list). One TAP,
# tapv 10.3.0.1/16; the guest is 10.3.0.2 (udhcpd offers it; virtnet.c has
# it built in).
VIRT_TAP=tapv
VIRT_HOST=10.3.0.1
VIRT_GUEST=10.3.0.2
VIRT_LIMIT=${E2E_VIRT_LIMIT:-240}      # seconds for one VMM run (~60 s on a quiet machine)
UBOOT_BYTES=${E2E_UBOOT_BYTES:-4194304} # the payload U-Boot loads by TFTP
VIRT_DIR=/tmp/virt                      # TFTP root, udhcpd files
# shellcheck disable=SC2034 # used by checks.list rows (run_check evals them)
UBOOT=/mnt/share/u-boot.bin
# shellcheck disable=SC2034 # used by checks.list rows (run_check evals them)
VIRTNET=/mnt/share/virtnet
# QEMU as its users run it for the virt board: KVM, the host's CPU, the
# PL011 on stdio; -netdev "$QEMU_TAP,vhost=on|off" on tapv (vhost=on: Tier
# 1B's equivalent). Without the run tree (run.sh stages it) the qemu-*
# checks fail: exit 127.
# shellcheck disable=SC2034 # used by checks.list rows (run_check evals them)
QEMU_VIRT='qemu-system-aarch64 -M virt -accel kvm -cpu host -m 256 -nographic -nodefaults -serial stdio -no-reboot'
# shellcheck disable=SC2034 # used by checks.list rows (run_check evals them)
QEMU_TAP="tap,id=n0,ifname=$VIRT_TAP,script=no,downscript=no"
# tinyvmm's side: the same guests, on --machine virt.
# shellcheck disable=SC2034 # used by checks.list rows (run_check evals them)
TINYVMM_VIRT="tinyvmm --machine virt --mem 256 --tap $VIRT_TAP --timeout $((VIRT_LIMIT - 10)) --no-pmu --no-pauth --no-sve"

# virt_run NAME CMD ARGS...: vmm's logs and RC/SECS, for any command;
# FAIL NAME and return 1 if it ran into VIRT_LIMIT.
virt_run() {
  name=$1
  shift
  OUT=$LOGDIR/$name.out
  ERR=$LOGDIR/$name.err
  echo "$*" >"$LOGDIR/$name.cmd"
  t0=$(now_cs)
  timeout "$VIRT_LIMIT" "$@" >"$OUT" 2>"$ERR" </dev/null
  RC=$?
  SECS=$(awk -v a="$t0" -v b="$(now_cs)" 'BEGIN { printf "%.1f", (b - a) / 100 }')
  echo "$SUITE $name rc=$RC ${SECS}s" >>"$LOGDIR/timings.txt"
  # QEMU stopped by timeout's SIGTERM exits 0: say it ran out of time.
  if awk -v s="$SECS" -v l="$VIRT_LIMIT" 'BEGIN { exit !(s >= l - 1) }'; then
    fail "$name" "still running at the ${VIRT_LIMIT}s limit"
    tail_logs
    return 1
  fi
}

# uboot_files: the TFTP root, once: a random payload, its CRC32 (busybox
# crc32 is zlib's, as U-Boot's), and boot.scr.uimg, which U-Boot's distro
# boot (bootcmd_dhcp) loads from the DHCP server's siaddr and sources: ping
# the host, load the payload (8 blocks a window, RFC 7440: lock-step takes
# minutes in the emulated host; 64 overflow U-Boot's receive ring, which it
# does not recover from), compare its CRC32 with the host's (crc32 stores it big-endian; mw.l
# writes a little-endian word), say so, power off.
uboot_files() {
  [ -s $VIRT_DIR/boot.scr.uimg ] && return 0
  mkdir -p $VIRT_DIR
  head -c "$UBOOT_BYTES" /dev/urandom >$VIRT_DIR/payload.bin || return 1
  UBOOT_CRC=$(crc32 $VIRT_DIR/payload.bin | cut -d' ' -f1)
  echo "$UBOOT_CRC" >$VIRT_DIR/payload.crc32
  swapped=$(echo "$UBOOT_CRC" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')
  cat >$VIRT_DIR/boot.cmd <<SCRIPT
echo uboot-e2e: script from \${serverip}, address \${ipaddr}
if ping \${serverip}; then echo uboot-e2e: ping ok; else echo uboot-e2e: FAIL ping; poweroff; fi
setenv tftpwindowsize 8
if tftpboot \${kernel_addr_r} payload.bin; then echo uboot-e2e: tftp ok; else echo uboot-e2e: FAIL tftp; poweroff; fi
crc32 \${kernel_addr_r} \${filesize} 0x40380000
mw.l 0x40380010 0x$swapped
if cmp.l 0x40380000 0x40380010 1; then echo uboot-e2e: crc32 ok; else echo uboot-e2e: FAIL crc32; fi
poweroff
SCRIPT
  tinyvmm-netpeer uimage-script $VIRT_DIR/boot.cmd $VIRT_DIR/boot.scr.uimg
}

# virt_servers_start NAME / virt_servers_stop: udhcpd (one lease, the
# guest's address, siaddr = the host) and tinyvmm-netpeer's TFTP server on
# tapv, logs in NAME.dhcp and NAME.tftp.
virt_servers_start() {
  cat >$VIRT_DIR/udhcpd.conf <<CONF
interface $VIRT_TAP
start $VIRT_GUEST
end $VIRT_GUEST
max_leases 1
siaddr $VIRT_HOST
lease_file $VIRT_DIR/udhcpd.leases
pidfile $VIRT_DIR/udhcpd.pid
option subnet 255.255.0.0
option lease 600
CONF
  rm -f $VIRT_DIR/udhcpd.leases && touch $VIRT_DIR/udhcpd.leases
  udhcpd -f $VIRT_DIR/udhcpd.conf >"$LOGDIR/$1.dhcp" 2>&1 &
  DHCPD=$!
  tinyvmm-netpeer tftp $VIRT_HOST $VIRT_DIR "$VIRT_LIMIT" >"$LOGDIR/$1.tftp" 2>&1 &
  TFTPD=$!
}
virt_servers_stop() {
  kill "$DHCPD" "$TFTPD" 2>/dev/null
  wait "$DHCPD" "$TFTPD" 2>/dev/null
}

# check_uboot NAME VMM-ARGS...: Debian's U-Boot (as the VMM's firmware)
# gets its address by DHCP, loads boot.scr.uimg by TFTP and runs it: a
# ping of the host, the payload by TFTP with its CRC32 checked in U-Boot
# and on the console, then power-off (exit 0).
check_uboot() {
  name=$1
  shift
  if ! uboot_files; then
    fail "$name" "could not make the TFTP files in $VIRT_DIR"
    return 0
  fi
  crc=$(cat $VIRT_DIR/payload.crc32)
  virt_servers_start "$name"
  virt_run "$name" "$@"
  rc=$?
  virt_servers_stop
  [ $rc = 0 ] || return 0
  expect_rc "$name" 0 || return 0
  expect_out "$name" "DHCP client bound to address $VIRT_GUEST" || return 0
  expect_out "$name" "uboot-e2e: script from $VIRT_HOST, address $VIRT_GUEST" || return 0
  expect_out "$name" "host $VIRT_HOST is alive" || return 0
  expect_out "$name" "Bytes transferred = $UBOOT_BYTES " || return 0
  expect_out "$name" "==> $crc" || return 0
  expect_out "$name" "uboot-e2e: crc32 ok" || return 0
  if ! grep -q "^netpeer: tftp: sent payload.bin to $VIRT_GUEST:[0-9]*: $UBOOT_BYTES bytes" "$LOGDIR/$name.tftp"; then
    fail "$name" "the TFTP server did not send the whole payload: $(tail -n 2 "$LOGDIR/$name.tftp" | tr '\n' ' ')"
    return 0
  fi
  pass "$name"
}

# check_virt_baremetal NAME FORMAT VMM-ARGS...: guest-test/virtnet.c (an
# elf or a raw bin, the VMM's arguments load it) finds the NIC in the last
# virtio-mmio transport, as QEMU places the first one, drives it as a
# legacy device and gets the host's ARP reply. Raw binaries are entered
# with x0 = the device tree.
check_virt_baremetal() {
  name=$1 format=$2
  shift 2
  virt_run "$name" "$@" || return 0
  expect_rc "$name" 0 || return 0
  expect_out "$name" "virtnet: hello from 0x40080000" || return 0
  if [ "$format" = bin ]; then
    expect_out "$name" "virtnet: hello from 0x40080000, x0=0x[0-9a-f]* (a device tree)" || return 0
  fi
  expect_out "$name" "virtnet: virtio-net in transport 31 at 0x0a003e00, version 1" || return 0
  expect_out "$name" "virtnet: ARP reply: $VIRT_HOST is-at " || return 0
  expect_out "$name" "virtnet: ok" || return 0
  pass "$name"
}

# check_qemu_oversize_vhost NAME QEMU-ARGS...: the hostile guest's 16 MiB TX
# descriptor under QEMU with vhost=on (modern virtio-mmio), for comparison
# with hostile-oversize-tier1b: QEMU is not judged, what its vhost worker did
# is logged (the share of a core while the guest waited 20 s for the chain
# and while it idled after resetting the device). PASS: the guest got as
# far as the oversize TX's verdict line.
check_qemu_oversize_vhost() {
  name=$1
  shift
  vlog=$LOGDIR/$name.vhost-ticks
  rm -f "$vlog" "$LOGDIR/$name.out"
  tinyvmm-netpeer serve $VIRT_HOST $REBOOT_BYTES $((VIRT_LIMIT - 20)) >"$LOGDIR/$name.peer" 2>&1 &
  peer=$!
  vhost_sampler "$vlog" "$LOGDIR/$name.out" 'oversize TX \(split ring\): .*(idle 10 s|idle done)' &
  sampler=$!
  virt_run "$name" "$@" -kernel "$K" -initrd "$I" -append "console=ttyAMA0 quiet guest-test.mode=hostile guest-test.rounds=0 guest-test.oversize=1 guest-test.oversize_wait=20 guest-test.ip=$VIRT_GUEST guest-test.peer=$VIRT_HOST guest-test.bytes=$REBOOT_BYTES"
  kill "$sampler" "$peer" 2>/dev/null
  wait "$sampler" "$peer" 2>/dev/null
  if ! grep -q 'oversize TX (split ring): .*idle 10 s' "$OUT"; then
    fail "$name" "the guest never reported the oversize TX (see $name.out)"
    tail_logs
    return 0
  fi
  spin=$(vhost_spin_summary "$vlog")
  echo "e2e: $name: QEMU's vhost worker used $spin while the guest waited; $(vhost_busy_pct "$vlog" 1) % of a core while it idled (its reset comes after); $(grep -o 'oversize TX (split ring): .*' "$OUT" | head -n 1); $(grep -o 'hostile: device recovered.*' "$OUT" || echo 'no transfer after the reset')" >>"$LOGDIR/$name.peer"
  pass "$name"
}

# QEMU (scripts/lib/bench-qemu.sh's run tree, which run.sh puts in the
# share) as `qemu-system-aarch64`, from /tmp: 9p is slow to load it from.
virt_qemu_install() {
  [ -x /usr/local/bin/qemu-system-aarch64 ] && return 0
  [ -x /mnt/share/qemu/qemu-system-aarch64 ] || return 1
  cp -r /mnt/share/qemu /tmp/qemu || return 1
  mkdir -p /usr/local/bin
  cat >/usr/local/bin/qemu-system-aarch64 <<'WRAP'
#!/bin/sh
exec /tmp/qemu/lib/ld-linux-aarch64.so.1 --library-path /tmp/qemu/lib /tmp/qemu/qemu-system-aarch64 "$@"
WRAP
  chmod 755 /usr/local/bin/qemu-system-aarch64
}

# --- each host's set-up (setup_HOST, if any), before its checks ---------
# The TAPs: see "--- network" above; tapv 10.3.0.1 in the virt host.
setup_net() {
  net_setup tap0 --address 169.254.0.1/16
  net_setup tap1 --queues 2 --address 10.1.0.1/16
  net_setup tap4 --queues 4
}
setup_novhost() { net_setup tap0 --address 169.254.0.1/16; }
# The GICv2 host's network checks only: the TAPs their functions use.
setup_gic2() {
  selected_call check_pci && net_setup tap0 --address 169.254.0.1/16
  selected_call check_pci_mq && net_setup tap1 --queues 2 --address 10.1.0.1/16
  return 0
}
setup_k16() { net_setup tap0 --address 169.254.0.1/16; }
setup_k16gic2() { setup_k16; }
setup_virt() {
  net_setup $VIRT_TAP --address $VIRT_HOST/16
  virt_qemu_install || echo "e2e: no QEMU run tree in /mnt/share/qemu" >>"$LOGDIR/$SUITE-setup.log"
}

# selected_call FUNCTION: a check selected for this host calls FUNCTION.
selected_call() { printf '%s\n' "$SELECTED" | grep -Eq "	$1( |\$)"; }

# run_check NAME RUN CALL: one row of checks.list: CALL's function with
# NAME and CALL's arguments (expanded now), through try when RUN is try;
# then its result line (pass, fail, or skip if it said neither).
run_check() {
  CHECK_NAME=$1 CHECK_RUN=$2 CHECK_DETAIL=
  eval "set -- $3"
  CHECK_FUNC=$1
  shift
  CHECK_COUNTS="$npass $nfail $nretry" CHECK_T0=$(now_cs)
  if [ "$CHECK_RUN" = try ]; then
    try "$CHECK_FUNC" "$CHECK_NAME" "$@"
  else
    "$CHECK_FUNC" "$CHECK_NAME" "$@"
  fi
  # shellcheck disable=SC2086 # three words
  set -- $CHECK_COUNTS
  if [ "$nfail" != "$2" ]; then CHECK_RESULT=fail
  elif [ "$npass" != "$1" ]; then CHECK_RESULT=pass CHECK_DETAIL=
  else CHECK_RESULT=skip CHECK_DETAIL="no PASS or FAIL line"
  fi
  CHECK_RETRIES=$((nretry - $3))
  [ "$CHECK_RETRIES" = 0 ] || CHECK_DETAIL="${CHECK_DETAIL:+$CHECK_DETAIL; }first attempt: $RETRY_REASON"
  result_line "$RESULTS" "$CHECK_NAME" "$SUITE" "$CHECK_RESULT" \
    "$(awk -v a="$CHECK_T0" -v b="$(now_cs)" 'BEGIN { printf "%.1f", (b - a) / 100 }')" \
    "$CHECK_RETRIES" "$CHECK_DETAIL"
  CHECK_NAME=
}

# run_checks: this host's rows of checks.list that PATTERN picks, in order.
run_checks() {
  if ! SELECTED=$(checks_select "$CHECKS_LIST" "$SUITE" "$PATTERN" "$PENDING" 2>"$LOGDIR/$SUITE-list.err"); then
    fail "$SUITE-setup" "$CHECKS_LIST: $(head -n 1 "$LOGDIR/$SUITE-list.err")"
    return 0
  fi
  ! command -v "setup_$SUITE" >/dev/null || "setup_$SUITE"
  old_ifs=$IFS
  IFS='
'
  set -f
  # shellcheck disable=SC2086 # one row a line
  set -- $SELECTED
  set +f
  IFS=$old_ifs
  tab=$(printf '\t')
  for row in "$@"; do
    row_name=${row%%"$tab"*} row=${row#*"$tab"}
    row=${row#*"$tab"}   # the host: this one
    row_run=${row%%"$tab"*} row_call=${row#*"$tab"}
    run_check "$row_name" "$row_run" "$row_call"
  done
}

if ! command -v tinyvmm >/dev/null; then
  fail "$SUITE-setup" "no tinyvmm in the emulated host (build/arm64/tinyvmm missing?)"
else
  run_checks
fi
echo "e2e-counts: pass=$npass fail=$nfail retry=$nretry"
