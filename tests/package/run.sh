#!/usr/bin/env bash
# The Debian package, built and installed as a user would (scripts/test runs
# this as its own stage; a few minutes, most of it the cross build):
#   - scripts/package builds it from this tree and lintian passes;
#   - its control data: Architecture arm64, no Depends a bare arm64 root
#     lacks (the binary is static), no maintainer scripts (removing it can
#     touch no TAP, group or module);
#   - dpkg refuses it in a clean amd64 root and installs it into a clean
#     arm64 one (dpkg --root, no network), then removes it leaving nothing;
#   - in the emulated ARM64 host (scripts/emuhost --share), the installed
#     usr/bin/tinyvmm --version names this package version and commit, and
#     the installed tinyvmm check finds KVM usable;
#   - bash sources the installed completion and completes option values.
#
#   tests/package/run.sh [--deb FILE]    FILE: test this .deb, do not build
#
# One PASS/FAIL line per check, then "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
work=$root/build/package-test
passed=0 failed=0

pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1: $2"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; ((failed == 0)); exit; }

deb=""
[[ ${1:-} == --deb ]] && deb=$2
version=$(dpkg-parsechangelog -S Version)
commit=$(git rev-parse --short=12 HEAD)
git diff --quiet HEAD -- || commit+=-dirty

if [[ -z $deb ]]; then
  deb=build/package/tinyvmm_${version}_arm64.deb
  if scripts/package >build/package.log 2>&1; then
    pass "scripts/package builds $deb, lintian clean"
  else
    tail -n 20 build/package.log | sed 's/^/  /'
    fail "scripts/package" "failed (build/package.log)"
    finish
  fi
fi

# --- control data ------------------------------------------------------------
arch=$(dpkg-deb -f "$deb" Architecture)
if [[ $arch == arm64 ]]; then pass "Architecture: arm64"; else fail "architecture" "is '$arch', want arm64"; fi
scripts=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -E 'inst$|rm$|config$' || true)
if [[ -z $scripts ]]; then
  pass "no maintainer scripts (removal leaves TAPs, groups, modules alone)"
else
  fail "maintainer scripts" "$(echo "$scripts" | tr '\n' ' ')"
fi
# --- dpkg --root: refused on amd64, installed on arm64, removed ----------------
# new_root DIR: an empty system for dpkg --root (its own database, nothing installed).
new_root() {
  rm -rf "$1" && mkdir -p "$1/var/lib/dpkg/info" "$1/var/lib/dpkg/updates" "$1/var/lib/dpkg/triggers"
  touch "$1/var/lib/dpkg/status" "$1/var/lib/dpkg/available"
}
rm -rf "$work" && mkdir -p "$work"
new_root "$work/amd64"
native=$(dpkg --print-architecture)
if [[ $native != amd64 ]]; then
  echo "SKIP: refusal on amd64: this dpkg's own architecture is $native"
elif out=$(dpkg --root="$work/amd64" -i "$deb" 2>&1); then
  fail "install on amd64" "dpkg installed it"
elif grep -q 'architecture (arm64) does not match system (amd64)' <<<"$out"; then
  pass "dpkg refuses it on amd64: $(grep -o 'package architecture.*' <<<"$out" | head -n1)"
else
  fail "install on amd64" "refused, but not for its architecture: $out"
fi

arm=$work/arm64
new_root "$arm"
# The root's native architecture cannot be changed; arm64 as its only other one.
[[ $native == arm64 ]] || dpkg --root="$arm" --add-architecture arm64
if out=$(dpkg --root="$arm" -i "$deb" 2>&1); then
  pass "dpkg --root installs it into a clean arm64 root"
else
  fail "install into arm64 root" "$out"
  finish
fi
# Static (no program interpreter) and no Depends: nothing else need be in the root.
depends=$(dpkg-deb -f "$deb" Pre-Depends Depends)
if ! headers=$(readelf -l "$arm/usr/bin/tinyvmm" 2>&1) || ! grep -q 'Program Headers' <<<"$headers"; then
  fail "dependencies" "readelf cannot read usr/bin/tinyvmm: $headers"
elif [[ -n $depends ]] || grep -q 'program interpreter' <<<"$headers"; then
  fail "dependencies" "Depends '$depends'; $(grep -o 'program interpreter: [^]]*' <<<"$headers"): a bare arm64 root cannot run it"
else
  pass "static binary, no Depends"
fi
want_file() { # PATH [GREP]: installed, and holding GREP
  if [[ ! -s $arm/$1 ]]; then
    fail "installed $1" "missing or empty"
  elif [[ -n ${2:-} ]] && ! zgrep -qF -- "$2" "$arm/$1"; then
    fail "installed $1" "has no '$2'"
  else
    pass "installed /$1${2:+ ($2)}"
  fi
}
want_file usr/bin/tinyvmm
want_file usr/share/man/man1/tinyvmm.1.gz "tinyvmm check"
want_file usr/share/bash-completion/completions/tinyvmm "complete -F _tinyvmm tinyvmm"
want_file lib/udev/rules.d/60-tinyvmm.rules 'KERNEL=="vhost-net", GROUP="kvm", MODE="0660"'
want_file usr/lib/modules-load.d/tinyvmm.conf vhost_net
want_file usr/share/doc/tinyvmm/README.md.gz "docs/install.md"
want_file usr/share/doc/tinyvmm/install.md.gz "tinyvmm check"
want_file usr/share/doc/tinyvmm/copyright "License: Expat"

# --- the installed program in the emulated ARM64 host --------------------------
out=$(scripts/emuhost --share "$arm" -- sh -c \
      'usr/bin/tinyvmm --version; usr/bin/tinyvmm check; echo "check exit $?"' 2>&1)
rc=$?
echo "$out" >"$work/emuhost.log"
if ((rc == 125)); then
  fail "emulated host" "did not boot or timed out (build/emuhost/console.log)"
else
  want="tinyvmm $version (commit $commit)"
  if grep -qxF "$want" <<<"$out"; then
    pass "installed tinyvmm --version: $want"
  else
    fail "installed tinyvmm --version" "want '$want', got: $(head -n1 <<<"$out")"
  fi
  if grep -qx 'check exit 0' <<<"$out" && grep -q '\[ok\] /dev/kvm: opens, KVM API 12' <<<"$out"; then
    pass "installed tinyvmm check: KVM usable (exit 0)"
  else
    fail "installed tinyvmm check" "$(grep -E '\[!!\]|check exit' <<<"$out" | tr '\n' ' ')(build/package-test/emuhost.log)"
  fi
fi

# --- completion, as installed -----------------------------------------------
if tests/package/completion.sh "$arm/usr/share/bash-completion/completions/tinyvmm" >"$work/completion.log"; then
  pass "installed completion in bash: $(grep -c PASS "$work/completion.log") cases (tinyvmm --gic <TAB>: auto v2 v3)"
else
  fail "installed completion" "$(grep FAIL "$work/completion.log" | tr '\n' ' ')"
fi

# --- removal -----------------------------------------------------------------
if out=$(dpkg --root="$arm" -r tinyvmm 2>&1); then
  left=$(find "$arm" -path "$arm/var/lib/dpkg" -prune -o -type f -print)
  if [[ -z $left ]]; then
    pass "dpkg -r removes it, leaving no file behind"
  else
    fail "removal" "left $(echo "$left" | tr '\n' ' ')"
  fi
else
  fail "removal" "$out"
fi
finish
