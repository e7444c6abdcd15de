# shellcheck shell=bash
# The field's latency and throughput tools, Debian's arm64 sockperf and
# iperf3, with the shared libraries they load, for the guest-test initramfs
# (scripts/setup, scripts/bench) and the emulated host (scripts/bench shares
# them). Sourced after common.sh. The .debs are fetched by scripts/setup.
#
# Layout of a copy (tvm_latency_tools_copy DEST):
#   DEST/usr/bin/{sockperf,iperf3}
#   DEST/lib/ld-linux-aarch64.so.1     the interpreter both binaries name (a link)
#   DEST/lib/aarch64-linux-gnu/*.so.*  their DT_NEEDED closure, nothing else
#   DEST/tmp                           (iperf3 writes a scratch file)
# In the guest DEST is /, where glibc searches /lib/aarch64-linux-gnu by
# itself; elsewhere run them as DEST/lib/ld-linux-aarch64.so.1
# --library-path DEST/lib/aarch64-linux-gnu DEST/usr/bin/TOOL.

# Packages whose files the closure may need (readelf -d decides which).
TVM_LATENCY_PACKAGES=(sockperf iperf3 libiperf0 libsctp1 libssl3 libc6 libgcc-s1 libstdc++6)
TVM_LATENCY_BINS=(usr/bin/sockperf usr/bin/iperf3)
TVM_LATENCY_ROOT=$TVM_CACHE/latency-tools-root

# Unpack the packages' .debs into TVM_LATENCY_ROOT (once per set of .debs).
tvm_latency_unpack() {
  local stamp=$TVM_LATENCY_ROOT/.stamp p deb debs=()
  for p in "${TVM_LATENCY_PACKAGES[@]}"; do
    deb=$(compgen -G "$TVM_CACHE/debs/${p}_*_arm64.deb" | head -n1) ||
      tvm_die "no $p arm64 .deb in .cache/debs (run scripts/setup)"
    debs+=("$deb")
  done
  [[ -e $stamp && $(cat "$stamp") == "${debs[*]}" ]] && return 0
  rm -rf "$TVM_LATENCY_ROOT" && mkdir -p "$TVM_LATENCY_ROOT"
  for deb in "${debs[@]}"; do dpkg -x "$deb" "$TVM_LATENCY_ROOT"; done
  printf '%s\n' "${debs[*]}" >"$stamp"
}

# The DT_NEEDED names of ELF file $1.
tvm_elf_needed() {
  readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'
}

# Path under TVM_LATENCY_ROOT of library $1, or nothing.
tvm_latency_lib() {
  local d
  for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
    [[ -e $TVM_LATENCY_ROOT/$d/$1 ]] && { echo "$TVM_LATENCY_ROOT/$d/$1"; return 0; }
  done
  return 1
}

# Copy the tools and their library closure into DEST (see the layout above).
tvm_latency_tools_copy() {
  local dest=$1 todo=() lib path b n
  local -A seen=()
  tvm_latency_unpack
  # /tmp: iperf3 keeps its send buffer in a file there (mkstemp).
  mkdir -p "$dest/usr/bin" "$dest/lib/aarch64-linux-gnu" "$dest/tmp"
  for b in "${TVM_LATENCY_BINS[@]}"; do
    cp "$TVM_LATENCY_ROOT/$b" "$dest/usr/bin/"
    todo+=("$TVM_LATENCY_ROOT/$b")
  done
  while ((${#todo[@]})); do
    path=${todo[0]} todo=("${todo[@]:1}")
    for lib in $(tvm_elf_needed "$path"); do
      [[ -n ${seen[$lib]:-} ]] && continue
      seen[$lib]=1
      # The interpreter is linked from /lib below, not copied twice.
      [[ $lib == ld-linux-aarch64.so.1 ]] && continue
      n=$(tvm_latency_lib "$lib") || tvm_die "$lib (needed by ${path##*/}) is in none of: ${TVM_LATENCY_PACKAGES[*]}"
      cp -L "$n" "$dest/lib/aarch64-linux-gnu/$lib"
      todo+=("$n")
    done
  done
  cp -L "$TVM_LATENCY_ROOT/lib/ld-linux-aarch64.so.1" "$dest/lib/aarch64-linux-gnu/"
  ln -sf aarch64-linux-gnu/ld-linux-aarch64.so.1 "$dest/lib/ld-linux-aarch64.so.1"
}
