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
  "start_s|VMM start → \`guest-test: started\` (s)|lo|all|1"
  "rss_nonguest_mib|VMM memory: RSS outside the guest-RAM mapping (MiB)|lo|all|1"
  "hwm_minus_ram_mib|peak RSS (VmHWM) − 256 MiB guest RAM (MiB)¹|lo|all|1"
  "hwm_mib|peak RSS, VmHWM (MiB)|lo|all|0"
  "mmio_user_mb|MMIO exits to userspace per MB|lo|all|0"
  "mmio_kernel_mb|MMIO exits handled in kernel (ioeventfd) per MB|lo|all|0"
  "wfi_mb|WFI exits per MB|lo|all|0"
  "vmm_cpu_ms_mb|VMM process CPU ms per MB (all threads)|lo|all|0"
  "vhost_cpu_ms_mb|vhost worker CPU ms per MB|lo|all|0"
)
BENCH_TIERS=("t2|Tier 2: userspace virtio-net (tinyvmm \`--vhost off\`, packed ring; QEMU \`vhost=off\`)"
  "1b|Tier 1B: vhost-net, 1 queue pair (tinyvmm default; QEMU \`vhost=on\`)"
  "1a|Tier 1A: vhost-net, 2 queue pairs (tinyvmm \`--queues 2\`; QEMU \`vhost=on,queues=2\` + \`mq=on\`)")

# bench_medians TSV: "cfg<TAB>column<TAB>median<TAB>n" for every numeric
# cell of the runs that verified their transfers (ok=yes).
bench_medians() {
  awk -F'\t' '
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
        for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
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
  local a b r verdict dat
  dat=$(mktemp)
  med=$(bench_medians "$tsv")
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
    echo "## What each configuration ran"
    echo
    echo "| Configuration | verified runs | failed runs | VMM did not exit cleanly² | features the guest negotiated | rings rx/tx (guest view) |"
    echo "|---|---:|---:|---:|---|---|"
    for tier in "${BENCH_TIERS[@]}"; do
      t=${tier%%|*}
      for v in tinyvmm qemu; do
        printf '| %s %s | %s | %s | %s | %s | %s |\n' "$v" "$(tr a-z A-Z <<<"$t")" \
          "$(get "$v-$t" ok_runs)" "$(get "$v-$t" failed_runs)" "$(get "$v-$t" unclean_runs)" \
          "$(bench_mode_text "$tsv" "$v-$t" features | tr ',' ' ')" \
          "$(bench_mode_text "$tsv" "$v-$t" rings)"
      done
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
    echo "directions (2 × bytes, × streams). 1-stream guest→host MB/s is measured by the receiver"
    echo "(tinyvmm-netpeer), host→guest by the guest; 2-stream rates are aggregates measured in the"
    echo "guest (see guest-test/bench.c). Start time: host shell before exec of the VMM to the"
    echo "guest's first userspace line on the VMM's stdout (includes kernel boot)."
    echo
    echo "Per-run numbers: \`$(basename "${tsv}")\`; chart: \`$(basename "$png")\`."
    echo
    echo "![ratios]($(basename "$png"))"
  } >"$md"
  bench_plot "$dat" "$png"
  rm -f "$dat"
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
