# shellcheck shell=bash
# Debian's ARM64 QEMU for scripts/bench, without installing it anywhere:
# qemu-system-arm:arm64 and its runtime dependency closure are downloaded
# as .debs (.cache/qemu-arm64-debs), unpacked with dpkg -x
# (.cache/qemu-arm64-root), and the binary plus the shared libraries it
# really loads are copied into a small run tree:
#   DIR/qemu-system-aarch64  DIR/lib/ld-linux-aarch64.so.1  DIR/lib/*.so*
# The emulated host runs it as
#   DIR/lib/ld-linux-aarch64.so.1 --library-path DIR/lib DIR/qemu-system-aarch64
# Sourced by scripts/bench after common.sh.

BENCH_QEMU_PKG=qemu-system-arm:arm64
BENCH_QEMU_DEBS=$TVM_CACHE/qemu-arm64-debs
BENCH_QEMU_ROOT=$TVM_CACHE/qemu-arm64-root

# Real arm64 packages in the Depends/PreDepends closure of $1 (virtual
# packages and the native/all packages pulled in by maintainer scripts of
# arch:all dependencies are dropped: nothing of theirs is loaded at run time).
bench_qemu_closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
      --no-breaks --no-replaces --no-enhances "$1" 2>/dev/null |
    grep -v '^[ <]' | grep ':arm64$' | LC_ALL=C sort -u |
    while read -r p; do
      # A virtual package has no version of its own to download.
      [[ -n $(apt-cache show --no-all-versions "$p" 2>/dev/null | sed -n 's/^Version: //p' | head -n1) ]] &&
        echo "$p"
    done
}

bench_qemu_fetch() {
  local stamp=$BENCH_QEMU_ROOT/.stamp want=() p d
  [[ -e $stamp && -x $BENCH_QEMU_ROOT/usr/bin/qemu-system-aarch64 ]] && return 0
  dpkg --print-foreign-architectures | grep -qx arm64 ||
    tvm_die "arm64 is not a dpkg architecture (run scripts/setup first)"
  mapfile -t want < <(bench_qemu_closure "$BENCH_QEMU_PKG")
  if ((${#want[@]} == 0)); then
    tvm_log "apt knows no $BENCH_QEMU_PKG; running apt-get update"
    apt-get update -qq
    mapfile -t want < <(bench_qemu_closure "$BENCH_QEMU_PKG")
  fi
  ((${#want[@]})) || tvm_die "cannot resolve $BENCH_QEMU_PKG"
  mkdir -p "$BENCH_QEMU_DEBS"
  chmod 0777 "$BENCH_QEMU_DEBS" # apt downloads as _apt
  local missing=()
  for p in "${want[@]}"; do
    compgen -G "$BENCH_QEMU_DEBS/${p%%:*}_*_arm64.deb" >/dev/null || missing+=("$p")
  done
  if ((${#missing[@]})); then
    tvm_log "downloading ${#missing[@]} arm64 .debs for $BENCH_QEMU_PKG"
    (cd "$BENCH_QEMU_DEBS" && apt-get download -qq "${missing[@]}" 2>&1) |
      { grep -v 'unsandboxed' || true; } >&2
  fi
  rm -rf "$BENCH_QEMU_ROOT" && mkdir -p "$BENCH_QEMU_ROOT"
  for p in "${want[@]}"; do
    d=$(compgen -G "$BENCH_QEMU_DEBS/${p%%:*}_*_arm64.deb" | head -n1)
    [[ -n $d ]] || tvm_die "download of $p failed"
    dpkg -x "$d" "$BENCH_QEMU_ROOT"
  done
  [[ -x $BENCH_QEMU_ROOT/usr/bin/qemu-system-aarch64 ]] ||
    tvm_die "no qemu-system-aarch64 in $BENCH_QEMU_PKG"
  printf '%s\n' "${want[@]}" >"$BENCH_QEMU_ROOT/.packages"
  touch "$stamp"
}

# Find a library the way ld.so would in the unpacked tree.
bench_qemu_findlib() {
  local d
  for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu lib usr/lib; do
    [[ -e $BENCH_QEMU_ROOT/$d/$1 ]] && { echo "$BENCH_QEMU_ROOT/$d/$1"; return 0; }
  done
  return 1
}

# bench_qemu_stage DIR: the run tree (binary + DT_NEEDED closure, ~50 MB).
bench_qemu_stage() {
  local dir=$1 f n p
  local -A seen=()
  local queue=("$BENCH_QEMU_ROOT/usr/bin/qemu-system-aarch64")
  rm -rf "$dir" && mkdir -p "$dir/lib"
  cp "${queue[0]}" "$dir/"
  cp -L "$BENCH_QEMU_ROOT/lib/ld-linux-aarch64.so.1" "$dir/lib/"
  while ((${#queue[@]})); do
    f=${queue[0]}
    queue=("${queue[@]:1}")
    for n in $(aarch64-linux-gnu-readelf -d "$f" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
      [[ -n ${seen[$n]:-} ]] && continue
      seen[$n]=1
      p=$(bench_qemu_findlib "$n") || tvm_die "qemu needs $n, not in the unpacked closure"
      cp -L "$p" "$dir/lib/$n"
      queue+=("$p")
    done
  done
  cp "$BENCH_QEMU_ROOT/.packages" "$dir/packages.txt"
}
