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
#
# Narrow on purpose, because guest memory corruption, a lost interrupt or
# bad vCPU state caused by tinyvmm look the same: never once a device of
# tinyvmm reached DRIVER_OK (from then on tinyvmm writes guest memory and
# raises interrupts), and never when the guest's trace names virtio, virtnet,
# vring or vhost.
guest_broke_logs() {
  grep -q 'virtio-net: driver ready' "$2" 2>/dev/null && return 1
  if grep -q -e 'Kernel panic - not syncing' -e 'Unable to handle kernel' -e 'Internal error: Oops' \
    "$1" 2>/dev/null; then
    ! sed -n '/Unable to handle kernel\|Internal error: Oops\|Kernel panic - not syncing/,$p' "$1" |
      grep -qi -e virtio -e virtnet -e vring -e vhost
    return
  fi
  grep -q '^tinyvmm: --timeout of .* expired' "$2" 2>/dev/null &&
    ! grep -q '^guest-test: started' "$1" 2>/dev/null
}
