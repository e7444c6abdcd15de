# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# The one list of e2e checks (tests/e2e/checks.list) and the result lines,
# sourced by tests/e2e/run.sh (bash, on the build machine: which emulated
# hosts to boot) and tests/e2e/inner.sh (busybox sh, in the emulated host:
# what to run). POSIX sh and awk only.

# The hosts a row may name (run.sh knows how to boot each; build: run.sh
# runs the check itself on the build machine).
CHECK_HOSTS='gic3 net novhost gic2 build k16 k16gic2 virt a53'

# checks_rows LIST: every row of LIST as NAME<TAB>HOST<TAB>RUN<TAB>CALL, in
# LIST's order. A row is `NAME | HOST | RUN | CALL | DESCRIPTION`; blank
# lines and lines starting with # are skipped. A malformed row, an unknown
# host or run mode and a name listed twice are errors: one line each on
# stderr, and a non-zero status.
checks_rows() {
  awk -v hosts=" $CHECK_HOSTS " '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    function bad(why) { printf "%s:%d: %s\n", FILENAME, FNR, why > "/dev/stderr"; errors++ }
    /^[ \t]*(#|$)/ { next }
    {
      line = $0
      # NAME | HOST | RUN | CALL | DESCRIPTION; the call may hold a |,
      # the description may not.
      n = 0
      while (n < 3 && (i = index(line, "|")) > 0) { f[++n] = trim(substr(line, 1, i - 1)); line = substr(line, i + 1) }
      last = 0
      for (j = 1; j <= length(line); j++) if (substr(line, j, 1) == "|") last = j
      if (n < 3 || last == 0) { bad("want NAME | HOST | RUN | CALL | DESCRIPTION"); next }
      name = f[1]; host = f[2]; run = f[3]
      call = trim(substr(line, 1, last - 1)); desc = trim(substr(line, last + 1))
      if (name !~ /^[a-z0-9][a-z0-9_-]*$/) { bad("bad check name \"" name "\""); next }
      if (index(hosts, " " host " ") == 0) { bad(name ": unknown host \"" host "\" (known:" hosts ")"); next }
      if (run != "try" && run != "once" && run != "pending") { bad(name ": run is try, once or pending, not \"" run "\""); next }
      if (call !~ /^check_[a-z0-9_]+( |$)/) { bad(name ": the call must start with a check_ function"); next }
      if (desc == "") { bad(name ": no description"); next }
      if (name in seen) { bad(name ": listed twice (also line " seen[name] ")"); next }
      seen[name] = FNR
      printf "%s\t%s\t%s\t%s\n", name, host, run, call
    }
    END { exit errors > 0 }' "$1"
}

# checks_select LIST HOST PATTERN PENDING: the rows (as checks_rows) for
# HOST (every host when empty) whose name the extended regex PATTERN
# matches; `pending` rows only when PENDING is 1. Status non-zero if LIST
# is malformed.
checks_select() {
  select_rows=$(checks_rows "$1") || return 1
  [ -n "$select_rows" ] || return 0
  # One grep over the names (a name a line, as grep -E on each alone).
  select_lines=$(printf '%s\n' "$select_rows" | cut -f1 | grep -nE -- "$3" | cut -d: -f1)
  printf '%s\n' "$select_rows" | awk -F '\t' -v lines=" $(printf '%s' "$select_lines" | tr '\n' ' ') " -v host="$2" -v pending="$4" '
    index(lines, " " NR " ") && (host == "" || $2 == host) && ($3 != "pending" || pending == 1)'
}

# json_string TEXT: TEXT as a JSON string (quotes, backslashes and control
# characters escaped; lines joined with \n).
json_string() {
  printf '%s' "$1" | awk '
    BEGIN { ORS = ""; for (c = 1; c < 32; c++) ctrl = ctrl sprintf("%c", c); print "\"" }
    {
      if (NR > 1) print "\\n"
      n = length($0)
      for (i = 1; i <= n; i++) {
        c = substr($0, i, 1)
        if (c == "\\") print "\\\\"
        else if (c == "\"") print "\\\""
        else if (c == "\t") print "\\t"
        else if (c == "\r") print "\\r"
        else if (index(ctrl, c) > 0) print " "
        else print c
      }
    }
    END { print "\"" }'
}

# result_line FILE NAME HOST RESULT SECONDS RETRIES DETAIL: append one JSON
# line to FILE: {"name", "host", "result" (pass, fail or skip), "seconds",
# "retries", "detail" (the FAIL reason, why it was skipped, or the first
# attempt's reason after a retry)}.
result_line() {
  printf '{"name": %s, "host": %s, "result": %s, "seconds": %s, "retries": %s, "detail": %s}\n' \
    "$(json_string "$2")" "$(json_string "$3")" "$(json_string "$4")" "${5:-0}" "${6:-0}" \
    "$(json_string "$7")" >>"$1"
}
