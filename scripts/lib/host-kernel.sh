# shellcheck shell=bash
# Other Debian arm64 kernels for the emulated host (scripts/emuhost
# --host-kernel PACKAGE), e.g. linux-image-6.12.<n>+deb12-arm64-16k-unsigned
# (bookworm-security carries linux 6.12; no extra apt source is needed). Sourced after common.sh; callers run with
# `set -euo pipefail` as root.
#
# Each kernel goes to .cache/host-kernels/<release>/: Image, version,
# modules/*.ko, host.modules and share.modules (what emuhost insmods, in
# dependency order, leaving out what that kernel has built in: 6.12 has
# no fscache.ko, its netfs took it over), and guest-test.cpio.gz, the
# test initramfs with that kernel's guest modules, so the same kernel can
# also be the nested guest (a 16K guest on a 16K host).

TVM_HOST_KERNELS=$TVM_CACHE/host-kernels
# What each side needs, by what it is for; tvm_module_order adds the
# dependencies that kernel has (6.1's 9p needs fscache, 6.12's netfs).
TVM_HOST_MODULE_ROOTS=(tun vhost_net)
TVM_SHARE_MODULE_ROOTS=(virtio_mmio 9pnet_virtio 9p)
TVM_GUEST_MODULE_ROOTS=(virtio_mmio virtio_net)
# tvm_newest_host_kernel FLAVOUR: the newest 6.12 kernel package apt can
# download for FLAVOUR (arm64 or arm64-16k); Debian 12 carries linux 6.12
# in bookworm-security, and its ABI number moves with each update.
tvm_newest_host_kernel() {
  local p names
  names=$(apt-cache pkgnames linux-image-6.12. |
    grep -E "^linux-image-6\.12\.[0-9]+\+deb12-$1-unsigned\$" | sort -rV || true)
  for p in $names; do
    if [[ $(apt-cache policy "$p:arm64" </dev/null) == *"Candidate: "[0-9]* ]]; then
      echo "$p"
      return 0
    fi
  done
}

# Print the modules a .ko (or .ko.xz, as 6.12 ships them) depends on.
tvm_ko_depends() {
  xz -dcf "$1" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n1 | tr ',' ' '
}

# The file of module MOD in unpacked kernel SRC (release VER), or nothing.
tvm_ko_file() {
  local f
  # Module names use _ where file names may use -.
  for f in "$3" "${3//_/-}"; do
    find "$1/lib/modules/$2/kernel" \( -name "$f.ko" -o -name "$f.ko.xz" \) | head -n1
  done | head -n1
}

# tvm_module_order SRC VER MODULE...: "name file" of the modules and what
# they depend on, dependencies first, each once; a module the kernel has
# built in is skipped. Fails naming a module the kernel has neither way.
tvm_module_order() {
  local src=$1 ver=$2 m
  shift 2
  local -A seen=()
  _tvm_visit() {
    local mod=$1 f d
    [[ -n ${seen[$mod]:-} ]] && return 0
    seen[$mod]=1
    f=$(tvm_ko_file "$src" "$ver" "$mod")
    if [[ -z $f ]]; then
      grep -Eq "/($mod|${mod//_/-})\.ko\$" "$src/lib/modules/$ver/modules.builtin" 2>/dev/null &&
        return 0
      tvm_die "kernel $ver has no module $mod (neither a .ko nor built in)"
    fi
    for d in $(tvm_ko_depends "$f"); do _tvm_visit "$d"; done
    echo "$mod $f"
  }
  for m in "$@"; do _tvm_visit "$m"; done
}

# tvm_unpack_modules SRC VER DIR LIST MODULE...: the modules (and their
# dependencies) uncompressed in DIR/modules, their load order in DIR/LIST.
tvm_unpack_modules() {
  local src=$1 ver=$2 dir=$3 list=$4 name path order
  shift 4
  # Not a process substitution: a tvm_die in there must stop us too.
  order=$(tvm_module_order "$src" "$ver" "$@")
  mkdir -p "$dir/modules"
  : >"$dir/$list"
  while read -r name path; do
    [[ -n $name ]] || continue
    xz -dcf "$path" >"$dir/modules/$name.ko"
    echo "$name" >>"$dir/$list"
  done <<<"$order"
}

# tvm_guest_initrd INIT KERNEL_DIR OUT MODULE...: the nested guests'
# initramfs: INIT as /init, the modules (in KERNEL_DIR/modules, in load
# order) and /modules.list naming them for guest-test's finit_module().
tvm_guest_initrd() {
  local init=$1 kdir=$2 out=$3 ver tmp m
  shift 3
  ver=$(cat "$kdir/version")
  tmp=$(mktemp -d)
  mkdir -p "$tmp/lib/modules/$ver" "$tmp/dev" "$tmp/proc" "$tmp/sys"
  cp "$init" "$tmp/init"
  # The kernel opens /dev/console for PID 1 before anything mounts devtmpfs.
  mknod -m 600 "$tmp/dev/console" c 5 1
  for m in "$@"; do
    cp "$kdir/modules/$m.ko" "$tmp/lib/modules/$ver/"
    echo "/lib/modules/$ver/$m.ko" >>"$tmp/modules.list"
  done
  tvm_cpio_dir "$tmp" | gzip -9n >"$out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$tmp"
}

# tvm_host_kernel PACKAGE: fetch and unpack PACKAGE (once); prints its
# directory. One clear line and exit 125 when apt does not know it.
tvm_host_kernel() {
  local pkg=${1%:arm64} ver dir src deb candidate init
  [[ $pkg =~ ^linux-image-[0-9][A-Za-z0-9.+~-]*$ ]] ||
    { echo "emuhost: --host-kernel '$1' is not a Debian kernel package name. Give one like linux-image-6.12.<n>+deb12-arm64 (apt-cache search linux-image-6.12)" >&2; exit 125; }
  ver=${pkg#linux-image-}
  ver=${ver%-unsigned}
  dir=$TVM_HOST_KERNELS/$ver
  if [[ ! -e $dir/.stamp ]]; then
    candidate=$(apt-cache policy "$pkg:arm64" 2>/dev/null </dev/null | awk '/Candidate:/ {print $2}')
    if [[ -z $candidate || $candidate == "(none)" ]]; then
      echo "emuhost: --host-kernel $pkg: apt knows no such arm64 package. Pick one apt offers: apt-cache search --names-only '^linux-image-6\.12.*arm64'" >&2
      exit 125
    fi
    mkdir -p "$TVM_CACHE/debs" && chmod 0777 "$TVM_CACHE/debs"
    deb=$(compgen -G "$TVM_CACHE/debs/${pkg}_*_arm64.deb" | head -n1 || true)
    if [[ -z $deb ]]; then
      tvm_log "downloading $pkg:arm64 ($candidate)"
      (cd "$TVM_CACHE/debs" && apt-get download -qq "$pkg:arm64" 2>&1) |
        { grep -v unsandboxed || true; } >&2
      deb=$(compgen -G "$TVM_CACHE/debs/${pkg}_*_arm64.deb" | head -n1 || true)
      [[ -n $deb ]] || tvm_die "download of $pkg:arm64 failed"
    fi
    tvm_log "unpacking $pkg"
    src=$(mktemp -d)
    dpkg -x "$deb" "$src"
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$src/boot/vmlinuz-$ver" "$dir/Image"
    echo "$ver" >"$dir/version"
    tvm_unpack_modules "$src" "$ver" "$dir" host.modules "${TVM_HOST_MODULE_ROOTS[@]}"
    tvm_unpack_modules "$src" "$ver" "$dir" share.modules "${TVM_SHARE_MODULE_ROOTS[@]}"
    tvm_unpack_modules "$src" "$ver" "$dir" guest.modules "${TVM_GUEST_MODULE_ROOTS[@]}"
    rm -rf "$src"
    touch "$dir/.stamp"
  fi
  init=$TVM_BUILD/arm64/guest-test-init
  if [[ -x $init && ! $dir/guest-test.cpio.gz -nt $init ]]; then
    # shellcheck disable=SC2046 # one module name per line
    tvm_guest_initrd "$init" "$dir" "$dir/guest-test.cpio.gz" $(cat "$dir/guest.modules")
  fi
  echo "$dir"
}
