# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# The one rule for "this guest broke by itself", sourced by tests/e2e/inner.sh
# (busybox sh, in the emulated host) and tests/bench/quick.sh (bash).
#
# guest_broke_logs OUT ERR: the guest whose console is OUT and whose tinyvmm
# stderr is ERR went wrong in its own kernel, not in what a test looks at:
# it panicked or oopsed, or it never reached its first userspace line and
# ran into --timeout. In the emulated host (QEMU TCG running KVM) about 3
# guests in 1000 do this for no reason found in tinyvmm (docs/testing.md,
# "Guests that break by themselves"). A stalled network or a wrong result
# with a live guest is not this.
guest_broke_logs() {
  grep -q -e 'Kernel panic - not syncing' -e 'Unable to handle kernel' -e 'Internal error: Oops' \
    "$1" 2>/dev/null && return 0
  grep -q '^tinyvmm: --timeout of .* expired' "$2" 2>/dev/null &&
    ! grep -q '^guest-test: started' "$1" 2>/dev/null
}
