#!/usr/bin/env bash
# Source a tinyvmm bash completion script in a plain bash (no bash-completion
# package) and complete a few command lines the way bash does at TAB.
#
#   tests/package/completion.sh FILE     (default: completion/tinyvmm.bash)
#
# Prints one PASS/FAIL line per case and "N passed, N failed".
set -uo pipefail
file=${1:-$(dirname "$0")/../../completion/tinyvmm.bash}
passed=0 failed=0

# shellcheck source=/dev/null
source "$file" || { echo "FAIL: cannot source $file"; echo "0 passed, 1 failed"; exit 1; }

# expect WANT WORDS...: completing WORDS (the last is the word under the
# cursor) offers exactly WANT (space-separated, sorted as bash offers them).
expect() {
  local want=$1 got
  shift
  COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMPREPLY=()
  _tinyvmm 2>/dev/null
  got="${COMPREPLY[*]}"
  if [[ $got == "$want" ]]; then
    echo "PASS: tinyvmm ${*:2}<TAB> -> $got"; passed=$((passed + 1))
  else
    echo "FAIL: tinyvmm ${*:2}<TAB> -> '$got', want '$want'"; failed=$((failed + 1))
  fi
}

if [[ $(complete -p tinyvmm 2>/dev/null) == *_tinyvmm* ]]; then
  echo "PASS: complete -F _tinyvmm tinyvmm"; passed=$((passed + 1))
else
  echo "FAIL: sourcing $file registers no completion for tinyvmm"; failed=$((failed + 1))
fi
expect "auto v2 v3" tinyvmm --gic ""
expect "v2 v3" tinyvmm --gic = v
expect "on off" tinyvmm --tap tap0 --vhost o
expect "--transport" tinyvmm --trans
expect "check" tinyvmm che
expect "create delete show --help" tinyvmm tap ""
expect "--queues" tinyvmm check --q
expect "--address" tinyvmm tap create tap0 --a
expect "" tinyvmm --cpus ""
echo "$passed passed, $failed failed"
((failed == 0))
