#!/usr/bin/env bash
# End-to-end tests: tinyvmm boots nested guests inside the emulated ARM64
# KVM host (scripts/emuhost). Needs scripts/setup to have built
# build/arm64/tinyvmm and build/guest-test.cpio.gz.
#
# usage: tests/e2e/run.sh [PATTERN]
#   PATTERN  extended regex: only run checks whose name matches
#            (e.g. 'boot|panic'); a host boot with no match is skipped
#
# Six emulated host boots (~3 s each plus the checks): a GICv3 host runs
# the boot, CLI, CPU-feature and CI smoke-test checks, a second GICv3 host
# the network checks (TAPs, tinyvmm-netpeer, all tiers, multi-queue, reset
# loops, unprivileged use), a host without vhost_net the Tier 2 fallback
# checks, a GICv2 host the GICv2 ones, a Cortex-A53 host (no 16K pages,
# 40-bit IPA) the page-size and IPA limit errors, and a GICv3 host the
# checks of QEMU's virt board (U-Boot, bare-metal; VIRT_CHECKS); then 6.12 16K-page hosts
# (GICv3 and GICv2) a representative subset, and docs/ci.md's x86_64 job
# (a host boot of its own) and its arm64 build step on this machine. Each check prints
# `PASS name` or `FAIL name: reason`; the last line is `N passed, N failed`
# and the exit status is non-zero on any failure. A check whose guest
# kernel broke by itself (panic, or stuck before its first line) is run a
# second time after a `RETRY name: ...` line; the last line counts those.
# Logs per check: build/e2e/logs/<name>.{cmd,out,err}; timings.txt there.
set -euo pipefail
# shellcheck disable=SC2034 # read by common.sh
TVM_PROG=e2e
# shellcheck source=SCRIPTDIR/../../scripts/lib/common.sh
source "$(dirname "$0")/../../scripts/lib/common.sh"
# shellcheck source=SCRIPTDIR/../../scripts/lib/host-kernel.sh
source "$(dirname "$0")/../../scripts/lib/host-kernel.sh"

# TVM_E2E_DIR: another work directory, so two runs can share a tree.
E2E_DIR=${TVM_E2E_DIR:-$TVM_BUILD/e2e}
GIC3_CHECKS='boot-cpus1 boot-cpus2 default-cmdline console-flood console-pipe-closed console-stalled-reader console-stalled-input panic-reset hang-timeout sigterm tty-restore gzip-kernel console-log-dtb missing-kernel random-kernel x86-kernel cpus-zero mem-zero unknown-option mem-too-small no-kvm usr1-stats expect-match expect-timeout expect-poweroff fail-on-panic fail-on-user expect-split exit-device expect-bad-regex ci-recipe-arm64 baremetal-elf baremetal-raw cpu-features cpu-features-off host-check-cpu retry-broken-guest'
GIC2_CHECKS='gicv2-host-boot gicv2-host-gic-v2 host-check-gic2 cpu-features-gic2'
NET_CHECKS='tier1b-net tier1b-relay tier2-packed tier2-split busyoff-tier2 busyoff-tier1b tier1a-mq tier2-mq mq-warn mq-single-tap reset-loop-tier1b reset-loop-tier2 tap-cmd unprivileged host-check drop-privileges tap-deleted link-spoof vhost-fault-auto vhost-fault-on hostile-tier2 hostile-oversize-tier2 hostile-oversize-tier1b rx-starve-tier2 hostile-tier1b sigterm-transfer-tier1b sigterm-transfer-tier2 reset-loop-tier1a'
NOVHOST_CHECKS='novhost-auto novhost-on host-check-novhost'
# Run here, not in an emulated host: docs/ci.md's x86_64 job boots its own.
CI_CHECKS='ci-recipe-x86_64 ci-recipe-arm64-build'
# A Cortex-A53 host: no 16K granule, 40-bit IPA (bad input only, no boots).
A53_CHECKS='page-size-unsupported mem-beyond-ipa host-check-a53'
# 6.12 hosts with 16K pages, GICv3 and GICv2 (inner.sh suite_k16_common).
K16_SUBSET='boot guest16k-boot tier1b-net tier2-net elf cpu-features host-check virt-boot'
K16_CHECKS=$(for c in $K16_SUBSET; do printf 'k16-%s ' "$c"; done)
K16GIC2_CHECKS=$(for c in $K16_SUBSET; do printf 'k16gic2-%s ' "$c"; done)
# The MSI backends against the host's KVM (tests/kvm/msi_probe.c), GICv3 and GICv2.
GIC3_CHECKS+=' msi-probe-gic3'
GIC3_CHECKS+=' reboot-loop-timeout'
GIC3_CHECKS+=' reboot-mmio-clean'
GIC3_CHECKS+=' reboot-cpu-features'
GIC2_CHECKS+=' msi-probe-gic2'
NET_CHECKS+=' pci-tier2 pci-tier1b pci-tier1b-relay pci-reset-loop-tier1b'
NET_CHECKS+=' reboot-tier1b reboot-tier2 reboot-pci-tier1b reboot-pci-tier2'
NET_CHECKS+=' tier1b-poll'
# Legacy virtio-mmio (version 1, --virtio-mmio legacy): inner.sh suite_legacy.
NET_CHECKS+=' legacy-tier2 legacy-tier1b legacy-mq-tier2 legacy-mq-tier1a legacy-reset-loop-tier1b legacy-reset-loop-tier2 legacy-reboot-tier1b legacy-reboot-tier2'
GIC2_CHECKS+=' pci-gicv2m'
# Per-queue interrupts over virtio-pci (issue 15's tests).
NET_CHECKS+=' pci-tier2-split pci-tier1a pci-intx pci-hostile-tier2 pci-hostile-tier1b'
GIC2_CHECKS+=' pci-gicv2m-tier1a'
# --machine virt (QEMU's board: PL011, PL031, 32 virtio-mmio transports) and the RTC.
GIC3_CHECKS+=' virt-boot virt-default-cmdline rtc-tinyvmm virt-expect virt-reboot'
GIC2_CHECKS+=' virt-gicv2-boot virt-pci-gicv2m'
NET_CHECKS+=' virt-tier2 virt-tier1b virt-modern-tier2 virt-modern-tier1b virt-pci-tier1a'

# QEMU's virt board (issue 23, inner.sh suite_virt): the harness for U-Boot
# (Debian's u-boot-qemu, network-booting over DHCP and TFTP) and a bare-metal
# program with its own legacy virtio-net driver (guest-test/virtnet.c),
# proven against qemu-system-aarch64 -M virt -accel kvm in the emulated host.
# tinyvmm as the VMM (--machine virt, --bios, --virtio-mmio): U-Boot over
# legacy and modern virtio-mmio and virtio-pci, each in Tier 2 and Tier 1B,
# and the bare-metal program as an ELF and a raw binary. QEMU runs the same
# harness once for U-Boot and once for the bare-metal program, so a failure
# of tinyvmm's can be told from one of the harness's.
VIRT_CHECKS='tinyvmm-uboot-legacy-t2 tinyvmm-uboot-legacy-1b tinyvmm-uboot-modern-t2 tinyvmm-uboot-modern-1b tinyvmm-uboot-pci-t2 tinyvmm-uboot-pci-1b tinyvmm-virt-baremetal-elf tinyvmm-virt-baremetal-bin virt-elf-on-tinyvmm-board qemu-uboot-legacy qemu-virt-baremetal-elf'
# More QEMU variants, for when a tinyvmm check fails and QEMU's behaviour is
# in question (E2E_VIRT_PENDING=1 runs them too, e.g.
# `E2E_VIRT_PENDING=1 tests/e2e/run.sh qemu-uboot`).
VIRT_PENDING_CHECKS='qemu-uboot-modern-vhost qemu-uboot-pci-vhost qemu-virt-baremetal-bin qemu-uboot-legacy-vhost qemu-uboot-modern qemu-uboot-pci'
[[ -n ${E2E_VIRT_PENDING:-} ]] && VIRT_CHECKS+=" $VIRT_PENDING_CHECKS"

total_pass=0
total_fail=0
total_retry=0

any_wanted() {
  local pattern=$1 name
  for name in $2; do
    grep -Eq -- "$pattern" <<<"$name" && return 0
  done
  return 1
}

# run_suite SUITE PATTERN EMUHOST-ARGS...: one host boot; adds its counts.
run_suite() {
  local suite=$1 pattern=$2 out rc=0 counts
  shift 2
  out=$E2E_DIR/$suite.log
  echo "--- $suite host: scripts/emuhost $*"
  set +e
  "$TVM_ROOT/scripts/emuhost" --share "$E2E_DIR" "$@" -- \
    sh /mnt/share/inner.sh "$suite" /mnt/share/logs "$pattern" </dev/null |
    tee "$out" | grep --line-buffered -v '^e2e-counts:'
  rc=${PIPESTATUS[0]}
  set -e
  counts=$(grep '^e2e-counts:' "$out" | tail -n1 || true)
  if [[ -z $counts ]]; then
    echo "FAIL $suite-host: emuhost exited $rc before the checks finished"
    total_fail=$((total_fail + 1))
    return 0
  fi
  [[ $counts =~ pass=([0-9]+)\ fail=([0-9]+)\ retry=([0-9]+) ]]
  total_pass=$((total_pass + BASH_REMATCH[1]))
  total_fail=$((total_fail + BASH_REMATCH[2]))
  total_retry=$((total_retry + BASH_REMATCH[3]))
}

ci_pass() { echo "PASS $1"; total_pass=$((total_pass + 1)); }
ci_fail() {
  echo "FAIL $1: $2"
  [[ -n ${3:-} ]] && tail -n 8 "$3" | sed 's/^/  | /'
  total_fail=$((total_fail + 1))
}

# docs/ci.md's x86_64 job step as written (tests/e2e/ci-recipe.sh), in this
# tree, with the guest kernel and guest-test initramfs as the user's.
check_ci_recipe_x86_64() {
  local name=ci-recipe-x86_64 art=$E2E_DIR/ci-artifacts log rc=0
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
  local name=ci-recipe-arm64-build log rc=0
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
  if (($2)); then
    echo "PASS $1"
    total_pass=$((total_pass + 1))
  else
    echo "FAIL $1: $3"
    total_fail=$((total_fail + 1))
  fi
}

# On the build host, not in the emulated one: the arm64 tinyvmm under
# qemu-user where /dev/kvm is the build host's (x86) KVM, so it opens but
# every KVM ioctl fails. `tinyvmm check` must call that broken, exit 6.
check_qemu_user() {
  local name=host-check-qemu-user out=$E2E_DIR/logs/host-check-qemu-user.out rc=0 ok=0
  grep -Eq -- "$1" <<<"$name" || return 0
  if [[ $(uname -m) == aarch64 || ! -r /dev/kvm ]] || ! command -v qemu-aarch64-static >/dev/null; then
    echo "--- $name: not run (needs a non-arm64 host with /dev/kvm and qemu-aarch64-static)"
    return 0
  fi
  qemu-aarch64-static "${TINYVMM_BIN:-$TVM_BUILD/arm64/tinyvmm}" check >"$out" 2>&1 || rc=$?
  ((rc == 6)) && grep -q '\[!!\] /dev/kvm: opens, but KVM_GET_API_VERSION fails' "$out" &&
    ! grep -q '\[ok\] /dev/kvm' "$out" && ! grep -q '\[ok\] vCPUs' "$out" && ok=1
  verdict "$name" "$ok" "exit $rc (want 6), output: $(head -n 4 "$out" | tr '\n' ' ')"
}

# On the build host: a --host-kernel apt does not know is one line, exit 125.
check_unknown_host_kernel() {
  local name=emuhost-unknown-host-kernel out=$E2E_DIR/logs/emuhost-unknown-host-kernel.err rc=0 ok=0
  grep -Eq -- "$1" <<<"$name" || return 0
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
    total_fail=$((total_fail + 1))
    return 0
  fi
  run_suite "$suite" "$pattern" --host-kernel "$pkg" "$@"
}

# only_these PATTERN NAMES: a regex matching the NAMES that PATTERN matches,
# and no other name (inner.sh runs only those of a suite).
only_these() {
  local name list=()
  for name in $2; do
    grep -Eq -- "$1" <<<"$name" && list+=("$name")
  done
  local IFS='|'
  echo "^(${list[*]})\$"
}

# run_virt_suite PATTERN: QEMU's arm64 run tree (bench-qemu.sh: Debian's
# qemu-system-arm, fetched once), U-Boot and virtnet in the share, then a
# GICv3 host boot running the virt checks PATTERN picks from VIRT_CHECKS.
run_virt_suite() {
  local bin
  bin=$(dirname "${TINYVMM_BIN:-$TVM_BUILD/arm64/tinyvmm}")
  if ! [[ -s $TVM_UBOOT_DIR/u-boot.bin && -s $bin/tinyvmm-virtnet.bin ]]; then
    echo "FAIL virt-host: no .cache/u-boot/u-boot.bin or build/arm64/tinyvmm-virtnet.bin (run scripts/setup)"
    total_fail=$((total_fail + 1))
    return 0
  fi
  cp "$TVM_UBOOT_DIR/u-boot.bin" "$E2E_DIR/u-boot.bin"
  cp "$bin/tinyvmm-virtnet" "$E2E_DIR/virtnet.elf"
  cp "$bin/tinyvmm-virtnet.bin" "$E2E_DIR/virtnet.bin"
  if any_wanted "$1" "$(tr ' ' '\n' <<<"$VIRT_CHECKS" | grep '^qemu-')"; then
    # shellcheck source=SCRIPTDIR/../../scripts/lib/bench-qemu.sh
    source "$TVM_ROOT/scripts/lib/bench-qemu.sh"
    bench_qemu_fetch
    bench_qemu_stage "$E2E_DIR/qemu"
  fi
  run_suite virt "$(only_these "$1" "$VIRT_CHECKS")" --gic 3 --cpus 2 --timeout 1200
}

# Every --report-json file the checks left must match the documented schema.
validate_reports() {
  local reports=("$E2E_DIR"/logs/report-*.json)
  [[ -e ${reports[0]} ]] || return 0
  if python3 "$TVM_ROOT/tests/validate_report.py" "${reports[@]}" >"$E2E_DIR/logs/report-schema.log" 2>&1; then
    echo "PASS report-json-schema (${#reports[@]} reports valid against docs/report.schema.json)"
    total_pass=$((total_pass + 1))
  else
    echo "FAIL report-json-schema: $(grep -v ': valid$' "$E2E_DIR/logs/report-schema.log" | head -n 3 | tr '\n' ' ')"
    total_fail=$((total_fail + 1))
  fi
}

main() {
  local pattern=${1:-.}
  [[ -x $TVM_BUILD/arm64/tinyvmm || -n ${TINYVMM_BIN:-} ]] ||
    echo "e2e: warning: no build/arm64/tinyvmm (run scripts/setup)" >&2
  rm -rf "$E2E_DIR" && mkdir -p "$E2E_DIR/logs"
  cp "$(dirname "$0")/inner.sh" "$(dirname "$0")/guest-broke.sh" "$E2E_DIR/"
  # The bare-metal guest and docs/ci.md's arm64 boot step, for inner.sh.
  cp "$TVM_BUILD/arm64/guest-test-baremetal" "$E2E_DIR/baremetal.elf" 2>/dev/null || true
  cp "$TVM_BUILD/arm64/tinyvmm-baremetal.bin" "$E2E_DIR/baremetal-raw.bin" 2>/dev/null || true
  "$(dirname "$0")/ci-recipe.sh" arm64 >"$E2E_DIR/ci-recipe-arm64.sh"
  check_qemu_user "$pattern"
  check_unknown_host_kernel "$pattern"
  # The MSI probe runs from the share (scripts/emuhost copies only tinyvmm's own binaries).
  local probe
  probe=$(dirname "${TINYVMM_BIN:-$TVM_BUILD/arm64/tinyvmm}")/tinyvmm-msiprobe
  [[ -x $probe ]] && cp "$probe" "$E2E_DIR/"
  any_wanted "$pattern" "$GIC3_CHECKS" &&
    run_suite gic3 "$pattern" --gic 3 --cpus 2 --timeout 1500
  any_wanted "$pattern" "$NET_CHECKS" &&
    run_suite net "$pattern" --gic 3 --cpus 2 --timeout 2400
  any_wanted "$pattern" "$NOVHOST_CHECKS" &&
    run_suite novhost "$pattern" --gic 3 --cpus 2 --no-vhost --timeout 900
  any_wanted "$pattern" "$GIC2_CHECKS" &&
    run_suite gic2 "$pattern" --gic 2 --cpus 2 --timeout 900
  if any_wanted "$pattern" "$CI_CHECKS"; then
    echo "--- docs/ci.md recipes on this machine"
    any_wanted "$pattern" ci-recipe-x86_64 && check_ci_recipe_x86_64
    any_wanted "$pattern" ci-recipe-arm64-build && check_ci_recipe_arm64_build
  fi
  any_wanted "$pattern" "$K16_CHECKS" &&
    run_k16_suite k16 "$pattern" --gic 3 --cpus 2 --timeout 1200
  any_wanted "$pattern" "$K16GIC2_CHECKS" &&
    run_k16_suite k16gic2 "$pattern" --gic 2 --cpus 2 --timeout 1200
  any_wanted "$pattern" "$VIRT_CHECKS" && run_virt_suite "$pattern"
  any_wanted "$pattern" "$A53_CHECKS" &&
    EMUHOST_CPU=cortex-a53 run_suite a53 "$pattern" --gic 3 --cpus 2 --timeout 600
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
