# shellcheck disable=SC2034 # variables are for the scripts that source this
# shellcheck shell=bash
# Shared helpers for scripts/setup, scripts/emuhost and tests/e2e.
# Sourced, never executed: callers already run with `set -euo pipefail`.

TVM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TVM_CACHE=$TVM_ROOT/.cache
TVM_BUILD=$TVM_ROOT/build
TVM_SYSROOT=$TVM_CACHE/arm64-sysroot
TVM_KERNEL_DIR=$TVM_CACHE/kernel        # Image, version, modules/<name>.ko
TVM_BUSYBOX=$TVM_CACHE/busybox/busybox
TVM_UBOOT_DIR=$TVM_CACHE/u-boot         # u-boot.bin (QEMU virt, arm64), version
TVM_GUEST_INITRD=$TVM_BUILD/guest-test.cpio.gz

# Modules each side needs, in load order (dependencies first). The stock
# Debian arm64 kernel builds all of these as modules, nothing is built in.
TVM_HOST_MODULES=(vhost_iotlb vhost tun tap vhost_net)
TVM_SHARE_MODULES=(virtio_mmio netfs fscache 9pnet 9pnet_virtio 9p)
TVM_GUEST_MODULES=(failover net_failover virtio_mmio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_net)

tvm_log() { printf '%s: %s\n' "${TVM_PROG:-tinyvmm}" "$*" >&2; }
tvm_die() { tvm_log "error: $*"; exit 1; }

# Kernel release string of the unpacked kernel, e.g. 6.1.0-56-arm64.
tvm_kernel_version() { cat "$TVM_KERNEL_DIR/version"; }

# Write a newc cpio of directory $1 to stdout, owned by root, so the
# archive does not depend on who ran setup.
tvm_cpio_dir() {
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0)
}
