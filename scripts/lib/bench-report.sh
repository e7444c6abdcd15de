# shellcheck shell=bash
# scripts/bench: turn out/runs.tsv (one line per VMM run, written by
# bench-host.sh) into medians, a Markdown report and a gnuplot PNG.
# Sourced by scripts/bench after common.sh.

# Metrics: column|label|better (hi/lo)|tiers (all or 1a)|summary (1 = in main table)
BENCH_METRICS=(
  "g2h|guest→host TCP MB/s (1 stream)|hi|all|1"
  "h2g|host→guest TCP MB/s (1 stream)|hi|all|1"
  "g2h2|guest→host TCP MB/s (2 streams)|hi|1a|1"
  "h2g2|host→guest TCP MB/s (2 streams)|hi|1a|1"
  "exits_mb|VM exits per MB (1 stream)|lo|all|1"
  "exits_mb2|VM exits per MB (2 streams)|lo|1a|1"
  "irq_mb|guest virtio interrupts per MB (1 stream)|lo|all|1"
  "irq_mb2|guest virtio interrupts per MB (2 streams)|lo|1a|1"
  "guest_cpu_ms_mb|guest CPU ms per MB: the VMM's vCPU threads (1 stream)|lo|all|1"
  "vmm_own_cpu_ms_mb|VMM's own CPU ms per MB: its other threads (1 stream)|lo|all|1"
  "vhost_cpu_ms_mb|vhost worker CPU ms per MB (1 stream)|lo|all|1"
  "start_s|VMM start → \`guest-test: started\` (s)|lo|all|1"
  "rss_nonguest_mib|VMM memory: RSS outside the guest-RAM mapping (MiB)|lo|all|1"
  "hwm_minus_ram_mib|peak RSS (VmHWM) − 256 MiB guest RAM (MiB)¹|lo|all|1"
  "hwm_mib|peak RSS, VmHWM (MiB)|lo|all|0"
  "mmio_user_mb|MMIO exits to userspace per MB|lo|all|0"
  "mmio_kernel_mb|MMIO exits handled in kernel (ioeventfd) per MB|lo|all|0"
  "wfi_mb|WFI exits per MB|lo|all|0"
  "vmm_cpu_ms_mb|VMM process CPU ms per MB (all threads)|lo|all|0"
  "vhost_ticks_ms_mb|vhost worker CPU ms per MB (utime+stime ticks)|lo|all|0"
  "rx_kicks_mb|tinyvmm Tier 2: RX kicks per MB (device counters)|lo|all|0"
  "tx_kicks_mb|tinyvmm Tier 2: TX kicks per MB|lo|all|0"
  "dev_irq_mb|tinyvmm: interrupts raised for the device per MB|lo|all|0"
  "softirq_ms_mb|emulated host: softirq ms per MB, all tasks (tracefs hist)|lo|all|0"
  "own_softirq_ms_mb|…of which in the VMM's own threads|lo|all|0"
  "thp_pct|resident guest RAM in transparent huge pages (%)|hi|all|0"
)
# Every configuration, in report order: name|QEMU's options beyond the tier's.
BENCH_CONFIGS=("tinyvmm-t2|" "tinyvmm-t2-pci|\`--transport pci\`" "qemu-t2|" "tinyvmm-1b|"
  "tinyvmm-1b-pci|\`--transport pci\`" "qemu-1b|"
  "qemu-1b-modern|\`-global virtio-mmio.force-legacy=false\`"
  "qemu-1b-pci|\`virtio-net-pci\`" "tinyvmm-1a|" "tinyvmm-1a-pci|\`--transport pci\`" "qemu-1a|"
  "qemu-1a-pci|\`virtio-net-pci,mq=on,vectors=6\`")
# The per-configuration table's columns (BENCH_METRICS names).
# column|short label
BENCH_CFG_COLS=("g2h|g2h MB/s" "h2g|h2g MB/s" "g2h2|g2h MB/s, 2 streams" "h2g2|h2g MB/s, 2 streams"
  "guest_cpu_ms_mb|guest (vCPU threads) CPU ms/MB" "vmm_own_cpu_ms_mb|VMM own CPU ms/MB"
  "vhost_cpu_ms_mb|vhost CPU ms/MB" "exits_mb|VM exits/MB" "irq_mb|guest irqs/MB"
  "mmio_user_mb|MMIO exits to user/MB" "mmio_kernel_mb|MMIO exits in kernel/MB")
BENCH_TIERS=("t2|Tier 2: userspace virtio-net (tinyvmm \`--vhost off\`, packed ring; QEMU \`vhost=off\`)"
  "1b|Tier 1B: vhost-net, 1 queue pair (tinyvmm default; QEMU \`vhost=on\`)"
  "1a|Tier 1A: vhost-net, 2 queue pairs (tinyvmm \`--queues 2\`; QEMU \`vhost=on,queues=2\` + \`mq=on\`)")

# An awk function for the programs below: sorts a[1..m] in place (few
# values: insertion sort) and returns their median.
BENCH_AWK_MEDIAN='
function sort_median(a, m,   i, j, x) {
  for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
  return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}'

# bench_medians TSV: "cfg<TAB>column<TAB>median<TAB>n" for every numeric
# cell of the runs that verified their transfers (ok=yes).
bench_medians() {
  awk -F'\t' "$BENCH_AWK_MEDIAN"'
    NR == 1 { for (i = 1; i <= NF; i++) { col[i] = $i; idx[$i] = i }; next }
    (idx["rc"] && $idx["rc"] != 0) || (idx["hung"] && $idx["hung"] == "yes") { unclean[$2]++ }
    $3 != "yes" { bad[$2]++; next }
    {
      good[$2]++
      for (i = 4; i <= NF; i++) if ($i ~ /^-?[0-9.]+$/) { k = $2 SUBSEP col[i]; n[k]++; v[k, n[k]] = $i + 0 }
    }
    END {
      for (k in n) {
        m = n[k]
        for (i = 1; i <= m; i++) a[i] = v[k, i]
        med = sort_median(a, m)
        split(k, p, SUBSEP)
        printf "%s\t%s\t%g\t%d\n", p[1], p[2], med, m
      }
      for (c in good) printf "%s\tok_runs\t%d\t%d\n", c, good[c], good[c]
      for (c in bad) printf "%s\tfailed_runs\t%d\t%d\n", c, bad[c], bad[c]
      for (c in unclean) printf "%s\tunclean_runs\t%d\t%d\n", c, unclean[c], unclean[c]
    }' "$1"
}

# Most frequent value of a text column for a configuration.
bench_mode_text() {
  awk -F'\t' -v cfg="$2" -v name="$3" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
    $2 == cfg && c { n[$c]++ }
    END { best = "-"; for (k in n) if (n[k] > bn) { bn = n[k]; best = k }; print best }' "$1"
}

bench_fmt() { awk -v x="$1" 'BEGIN { if (x == "") print "–"; else if (x + 0 >= 100 || x == int(x)) printf "%.0f\n", x; else if (x + 0 >= 10) printf "%.1f\n", x; else printf "%.2f\n", x }'; }

# bench_report TSV MD PNG META: META is Markdown put under the title.
bench_report() {
  local tsv=$1 md=$2 png=$3 meta=$4 med tier t m col label better scope main
  local a b r verdict dat header c
  dat=$(mktemp)
  med=$(bench_medians "$tsv")
  header=$(head -n 1 "$tsv")
  get() { awk -F'\t' -v c="$1" -v k="$2" '$1 == c && $2 == k { print $3; exit }' <<<"$med"; }
  : >"$dat"
  {
    echo "# tinyvmm vs QEMU: virtio-net benchmark"
    echo
    echo "$meta"
    echo
    for main in 1 0; do
      if ((main)); then
        echo "## Results (median of the verified runs; ratio = tinyvmm / QEMU)"
      else
        echo "## Diagnostics (same runs; 1-stream phase)"
      fi
      echo
      echo "| Metric | T2 tinyvmm | T2 QEMU | T2 ratio | 1B tinyvmm | 1B QEMU | 1B ratio | 1A tinyvmm | 1A QEMU | 1A ratio |"
      echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      for m in "${BENCH_METRICS[@]}"; do
        IFS='|' read -r col label better scope mflag <<<"$m"
        [[ $mflag == "$main" ]] || continue
        # A TSV from before a metric existed has no such column: no row.
        [[ $'\t'$header$'\t' == *$'\t'"$col"$'\t'* ]] || continue
        printf '| %s (%s) ' "$label" "$([[ $better == hi ]] && echo "higher is better" || echo "lower is better")"
        for tier in "${BENCH_TIERS[@]}"; do
          t=${tier%%|*}
          if [[ $scope == 1a && $t != 1a ]]; then printf '| | | '; continue; fi
          a=$(get "tinyvmm-$t" "$col") b=$(get "qemu-$t" "$col")
          r=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a == "" || b == "" || a + 0 <= 0 || b + 0 <= 0) print ""; else printf "%.2f", a / b }')
          verdict=
          if [[ -n $r ]]; then
            verdict=$(awk -v r="$r" -v hb="$better" 'BEGIN {
              if (r >= 0.95 && r <= 1.05) print "≈"; else if ((hb == "hi") == (r > 1)) print "better"; else print "**worse**" }')
            ((main)) && awk -v a="$a" -v b="$b" -v c="$col" -v t="$t" \
              'BEGIN { printf "%s\t%s\t%.6g\n", c, t, a / b }' >>"$dat"
          fi
          printf '| %s | %s | %s ' "$(bench_fmt "$a")" "$(bench_fmt "$b")" "${r:+${r}× $verdict}"
        done
        echo "|"
      done
      echo
    done
    echo "¹ As asked for, but the guest touches only part of its 256 MiB, so this can be negative;"
    echo "the row above (VmRSS minus the resident part of the guest-RAM mapping, /proc/PID/smaps,"
    echo "read at the end of the transfers) is the VMM's own memory."
    echo
    bench_cfg_table "$header"
    echo "## What each configuration ran"
    echo
    echo "| Configuration | verified runs | failed runs | VMM did not exit cleanly² | features the guest negotiated | rings rx/tx (guest view) |"
    echo "|---|---:|---:|---:|---|---|"
    for c in "${BENCH_CONFIGS[@]}"; do
      c=${c%%|*}
      [[ -n $(get "$c" ok_runs)$(get "$c" failed_runs) ]] || continue
      printf '| %s | %s | %s | %s | %s | %s |\n' "$c" \
        "$(get "$c" ok_runs)" "$(get "$c" failed_runs)" "$(get "$c" unclean_runs)" \
        "$(bench_mode_text "$tsv" "$c" features | tr ',' ' ')" \
        "$(bench_mode_text "$tsv" "$c" rings)"
    done
    echo
    for tier in "${BENCH_TIERS[@]}"; do echo "- ${tier#*|}"; done
    echo
    echo "² Exit status not 0, or still running 30 s after the guest printed \`bench done\` and"
    echo "powered off (then killed; column \`hung\` in the TSV). Its measurements are complete and"
    echo "counted: everything is read before the guest powers off. See the run's \`.out\` in"
    echo "build/bench/share/out/raw/ for what the guest printed meanwhile."
    echo
    echo "How to read it: exits are KVM's per-VM debugfs counters (\`/sys/kernel/debug/kvm/PID-FD/exits\`),"
    echo "read by the host script at the guest's phase markers, the same way for both VMMs; interrupts"
    echo "are the guest's own \`/proc/interrupts\` virtio lines. Per MB = per MB moved in both"
    echo "directions (2 × bytes, × streams). Guest→host MB/s is measured by the receiver"
    echo "(tinyvmm-netpeer), host→guest by the guest; 2-stream rates are aggregates over both"
    echo "streams, one direction at a time (see guest-test/bench.c). Start time: host shell before exec of the VMM to the"
    echo "guest's first userspace line on the VMM's stdout (includes kernel boot)."
    echo
    echo "Per-run numbers: \`$(basename "${tsv}")\`; chart: \`$(basename "$png")\`."
    echo
    echo "![ratios]($(basename "$png"))"
  } >"$md"
  bench_plot "$dat" "$png"
  rm -f "$dat"
}

# bench_cfg_table HEADER: every configuration that ran (the QEMU variants
# too), one row each, medians of the BENCH_CFG_COLS that HEADER has; uses
# bench_report's get.
bench_cfg_table() {
  local header=$1 c opts col cols=()
  for col in "${BENCH_CFG_COLS[@]}"; do
    [[ $'\t'$header$'\t' == *$'\t'"${col%%|*}"$'\t'* ]] && cols+=("$col")
  done
  echo "## Every configuration (median of the verified runs; CPU, exits, interrupts: 1-stream phase)"
  echo
  printf '| Configuration '
  for col in "${cols[@]}"; do printf '| %s ' "${col#*|}"; done
  echo "|"
  printf '|---|'
  for col in "${cols[@]}"; do printf -- '---:|'; done
  echo
  for c in "${BENCH_CONFIGS[@]}"; do
    opts=${c#*|} c=${c%%|*}
    [[ -n $(get "$c" ok_runs) ]] || continue
    printf '| %s%s ' "$c" "${opts:+ ($opts)}"
    for col in "${cols[@]}"; do printf '| %s ' "$(bench_fmt "$(get "$c" "${col%%|*}")")"; done
    echo "|"
  done
  echo
}

# Grouped bars: tinyvmm/QEMU per metric (normalised so that > 1 is always
# "tinyvmm better": the ratio for higher-is-better metrics, its inverse for
# lower-is-better ones), one group per metric, one bar per tier.
bench_plot() {
  local dat=$1 png=$2 plot m col label better scope mflag
  plot=$(mktemp)
  command -v gnuplot >/dev/null || { tvm_log "no gnuplot: skipping $png"; return 0; }
  {
    for m in "${BENCH_METRICS[@]}"; do
      IFS='|' read -r col label better scope mflag <<<"$m"
      [[ $mflag == 1 && $col != hwm_minus_ram_mib ]] || continue
      awk -F'\t' -v c="$col" -v hb="$better" -v lab="$col" '
        $1 == c { v[$2] = (hb == "hi") ? $3 : ($3 > 0 ? 1 / $3 : 0) }
        END { printf "%s\t%s\t%s\t%s\n", lab, (("t2" in v) ? v["t2"] : "NaN"), (("1b" in v) ? v["1b"] : "NaN"), (("1a" in v) ? v["1a"] : "NaN") }' "$dat"
    done
  } >"$plot"
  # Only tiers with at least one number (gnuplot rejects an all-NaN column).
  local plotcmd='' i name
  for i in 2 3 4; do
    name=("" "" "Tier 2" "Tier 1B" "Tier 1A")
    awk -F'\t' -v c="$i" '$c != "NaN" { f = 1 } END { exit !f }' "$plot" || continue
    plotcmd+="${plotcmd:+, }\"$plot\" using $i:xtic(1) title \"${name[$i]}\""
  done
  [[ -n $plotcmd ]] || { tvm_log "nothing to plot"; rm -f "$plot"; return 0; }
  gnuplot <<EOF || tvm_log "gnuplot failed: no $png"
set terminal pngcairo size 1200,600 noenhanced font ",10"
set output "$png"
set title "tinyvmm vs QEMU (same guest, 2 vCPUs, 256 MiB): advantage factor, > 1 = tinyvmm better\n(throughput: tinyvmm/QEMU; exits, interrupts, start time, memory: QEMU/tinyvmm)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set logscale y 2
set yrange [0.125:*]
set ylabel "factor (log2 scale)"
set xtics rotate by -30 nomirror
set grid ytics
set key top left
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb "black"
plot $plotcmd
EOF
  rm -f "$plot"
}

# --- scripts/bench --matrix ---------------------------------------------

# Rows: configuration|tier|queue pairs|tinyvmm network options
BENCH_MATRIX_ROWS=("t2-q1|Tier 2|1|--vhost off --queues 1"
  "t2-q2|Tier 2|2|--vhost off --queues 2"
  "t2-q4|Tier 2|4|--vhost off --queues 4"
  "1b-q1|Tier 1B|1|--vhost on"
  "1a-q2|Tier 1A|2|--vhost on --queues 2"
  "1a-q4|Tier 1A|4|--vhost on --queues 4")
BENCH_MATRIX_REF=1b-q1 # reference of the ratio table: tinyvmm's default tier

# Stream counts of a matrix TSV, from its g2h_N columns.
bench_matrix_streams() {
  head -n1 "$1" | tr '\t' '\n' | sed -n 's/^g2h_//p' | tr '\n' ' '
}

bench_is_matrix() { head -n1 "$1" | grep -q $'\tg2h_1\t'; }

# "1 stream", "2 streams"
bench_streams() { printf '%s stream%s' "$1" "$( (($1 > 1)) && echo s)"; }

# bench_matrix_cols STREAMS LABEL...: a header cell per stream count and label.
bench_matrix_cols() {
  local streams=$1 s p
  shift
  for s in $streams; do
    for p in "$@"; do printf '| %s %s ' "$(bench_streams "$s")" "$p"; done
  done
}

# bench_matrix_align N: the Markdown alignment row, N numeric columns.
bench_matrix_align() {
  local i
  printf '|---|'
  for ((i = 0; i < $1; i++)); do printf -- '---:|'; done
  echo
}

# bench_row_label CFG-ROW: "Tier 1A, 2 pairs"
bench_row_label() {
  local cfg tier pairs
  IFS='|' read -r cfg tier pairs _ <<<"$1"
  printf '%s, %s pair%s' "$tier" "$pairs" "$( ((pairs > 1)) && echo s)"
}

# MED (medians, set by bench_matrix_report) lookup: bench_get CFG COLUMN
bench_get() { awk -F'\t' -v c="$1" -v k="$2" '$1 == c && $2 == k { print $3; exit }' <<<"$MED"; }

# bench_has CFG: the configuration ran at all.
bench_has() { [[ -n $(bench_get "$1" ok_runs)$(bench_get "$1" failed_runs) ]]; }

# bench_matrix_main STREAMS: MB/s and pairs with traffic per configuration.
bench_matrix_main() {
  local streams=$1 row cfg pairs s a b
  echo "## Throughput (MB/s) and queue pairs with traffic (median of the verified runs)"
  echo
  printf '| Configuration '
  bench_matrix_cols "$streams" g2h h2g
  for s in $streams; do printf '| pairs with traffic tx/rx, %s ' "$(bench_streams "$s")"; done
  echo "|"
  bench_matrix_align $((3 * $(wc -w <<<"$streams")))
  for row in "${BENCH_MATRIX_ROWS[@]}"; do
    cfg=${row%%|*} pairs=$(cut -d'|' -f3 <<<"$row")
    bench_has "$cfg" || continue
    printf '| %s (%s) ' "$(bench_row_label "$row")" "\`${row##*|}\`"
    for s in $streams; do
      printf '| %s | %s ' "$(bench_fmt "$(bench_get "$cfg" "g2h_$s")")" \
        "$(bench_fmt "$(bench_get "$cfg" "h2g_$s")")"
    done
    for s in $streams; do
      a=$(bench_get "$cfg" "txq_$s") b=$(bench_get "$cfg" "rxq_$s")
      printf '| %s ' "$([[ -n $a$b ]] && echo "$(bench_fmt "$a")/$(bench_fmt "$b") of $pairs")"
    done
    echo "|"
  done
  echo
}

# bench_run_ratios TSV REF: ratios taken within each run, then their median
# and range over the runs: "cfg<TAB>key<TAB>median<TAB>min<TAB>max" with key
# ref_COL (COL against configuration REF in the same run) and scale_COL
# (COL = g2h_S or h2g_S against the same VM run's 1 stream).
bench_run_ratios() {
  awk -F'\t' -v ref="$2" "$BENCH_AWK_MEDIAN"'
    NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^(g2h|h2g)_[0-9]+$/) col[i] = $i; next }
    $3 == "yes" { ok[$1, $2] = 1; for (i in col) v[$1, $2, col[i]] = $i; runs[$1] = 1; cfgs[$2] = 1 }
    function add(k, x) { n[k]++; r[k, n[k]] = x }
    END {
      for (run in runs) for (c in cfgs) {
        if (!ok[run, c]) continue
        for (i in col) {
          x = v[run, c, col[i]]; split(col[i], p, "_"); one = v[run, c, p[1] "_1"]
          y = v[run, ref, col[i]]
          if (ok[run, ref] && x > 0 && y > 0) add(c SUBSEP "ref_" col[i], x / y)
          if (x > 0 && one > 0) add(c SUBSEP "scale_" col[i], x / one)
        }
      }
      for (k in n) {
        m = n[k]
        for (i = 1; i <= m; i++) a[i] = r[k, i]
        med = sort_median(a, m)
        split(k, q, SUBSEP)
        printf "%s\t%s\t%.2f\t%.2f\t%.2f\n", q[1], q[2], med, a[1], a[m]
      }
    }' "$1"
}

# RATIOS (set by bench_matrix_report) lookup: "1.23× (0.90–1.60)", or nothing.
bench_ratio_cell() {
  awk -F'\t' -v c="$1" -v k="$2" '$1 == c && $2 == k {
    if ($4 == $5) printf "%s×", $3; else printf "%s× (%s–%s)", $3, $4, $5; exit }' <<<"$RATIOS"
}

# bench_matrix_ratios STREAMS: each cell against the reference row, and
# each row's S streams against its 1 stream, both within each run.
bench_matrix_ratios() {
  local streams=$1 row cfg s ns
  ns=$(wc -w <<<"$streams")
  echo "## Ratios within each run: against Tier 1B, 1 pair (tinyvmm's default) in the same run; and S streams against 1 stream in the same VM"
  echo
  echo "Median over the runs (range in brackets). Taken run by run, so a change of"
  echo "the machine's load between runs cancels out; a change during a run does not."
  echo
  printf '| Configuration '
  bench_matrix_cols "$streams" "g2h vs 1B" "h2g vs 1B"
  for s in $streams; do
    [[ $s == 1 ]] || printf '| %s streams vs 1: g2h | %s streams vs 1: h2g ' "$s" "$s"
  done
  echo "|"
  bench_matrix_align $((4 * ns - 2))
  for row in "${BENCH_MATRIX_ROWS[@]}"; do
    cfg=${row%%|*}
    [[ -n $(bench_get "$cfg" ok_runs) ]] || continue
    printf '| %s ' "$(bench_row_label "$row")"
    for s in $streams; do
      printf '| %s | %s ' "$(bench_ratio_cell "$cfg" "ref_g2h_$s")" "$(bench_ratio_cell "$cfg" "ref_h2g_$s")"
    done
    for s in $streams; do
      [[ $s == 1 ]] && continue
      printf '| %s | %s ' "$(bench_ratio_cell "$cfg" "scale_g2h_$s")" "$(bench_ratio_cell "$cfg" "scale_h2g_$s")"
    done
    echo "|"
  done
  echo
}

# bench_matrix_diag TSV STREAMS: runs, exits and interrupts per MB, features.
bench_matrix_diag() {
  local tsv=$1 streams=$2 row cfg s
  echo "## Diagnostics (same runs)"
  echo
  printf '| Configuration | verified runs | failed runs | VMM did not exit cleanly | pairs the guest enabled '
  for s in $streams; do printf '| busiest queue, %% of the bytes tx/rx, %s ' "$(bench_streams "$s")"; done
  for s in $streams; do printf '| exits/MB, %s ' "$(bench_streams "$s")"; done
  for s in $streams; do printf '| virtio irqs/MB, %s ' "$(bench_streams "$s")"; done
  echo "|"
  bench_matrix_align $((4 + 3 * $(wc -w <<<"$streams")))
  for row in "${BENCH_MATRIX_ROWS[@]}"; do
    cfg=${row%%|*}
    bench_has "$cfg" || continue
    printf '| %s | %s | %s | %s | %s ' "$(bench_row_label "$row")" "$(bench_get "$cfg" ok_runs)" \
      "$(bench_get "$cfg" failed_runs)" "$(bench_get "$cfg" unclean_runs)" \
      "$(bench_fmt "$(bench_get "$cfg" pairs_on)")"
    for s in $streams; do
      printf '| %s/%s ' "$(bench_fmt "$(bench_get "$cfg" "txmax_$s")")" "$(bench_fmt "$(bench_get "$cfg" "rxmax_$s")")"
    done
    for s in $streams; do printf '| %s ' "$(bench_fmt "$(bench_get "$cfg" "exits_mb_$s")")"; done
    for s in $streams; do printf '| %s ' "$(bench_fmt "$(bench_get "$cfg" "irq_mb_$s")")"; done
    echo "|"
  done
  echo
  echo "Features the guest negotiated (most frequent per configuration):"
  echo
  for row in "${BENCH_MATRIX_ROWS[@]}"; do
    cfg=${row%%|*}
    bench_has "$cfg" || continue
    echo "- $(bench_row_label "$row"): $(bench_mode_text "$tsv" "$cfg" features | tr ',' ' ')"
  done
  echo
}

bench_matrix_howto() {
  cat <<'EOF'
How to read it (docs/benchmarks.md, "The matrix"): a phase runs S parallel verified TCP
streams, BYTES each way each, stream i pinned to vCPU i × 4 / S. The peer receives all
streams before it sends on any, so each direction is measured on its own: g2h (guest→host)
is the aggregate the receiver (tinyvmm-netpeer) saw from the first byte to the last of all
streams, h2g (host→guest) the aggregate the guest saw, likewise.

"Pairs with traffic tx/rx": of the queue pairs configured, how many TX queues carried at
least 5% of the phase's guest→host bytes, and how many RX queues at least 5% of its
host→guest bytes (the guest driver's per-queue byte counters; the ACKs of the other
direction stay below 5%). "Busiest queue": that queue's share of the bytes. The guest picks
a TX queue by the vCPU that transmits (XPS: contiguous groups of vCPUs per queue); the host
TAP sends a flow to the RX queue its packets last came in on. All queues of one virtio-mmio
device share one interrupt line, so the guest handles every pair's interrupts, and the
ACK-driven transmits that follow them, on one vCPU (docs/vhost-net.md): more pairs add
host-side parallelism (a vhost worker, or a Tier 2 thread, per pair), not parallel
interrupt handling in the guest.

Exits and interrupts per MB: per MB moved in both directions (2 × S × BYTES).
EOF
}

# bench_matrix_report TSV MD META: the --matrix report (META: Markdown under the title).
bench_matrix_report() {
  local tsv=$1 md=$2 meta=$3 streams
  MED=$(bench_medians "$tsv")
  RATIOS=$(bench_run_ratios "$tsv" "$BENCH_MATRIX_REF")
  streams=$(bench_matrix_streams "$tsv")
  {
    echo "# tinyvmm network matrix: tiers × queue pairs × parallel TCP streams"
    echo
    echo "$meta"
    echo
    bench_matrix_main "$streams"
    bench_matrix_ratios "$streams"
    bench_matrix_diag "$tsv" "$streams"
    bench_matrix_howto
    echo
    echo "Per-run numbers: \`$(basename "$tsv")\`."
  } >"$md"
}
