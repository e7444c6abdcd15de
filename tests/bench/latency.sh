#!/usr/bin/env bash
# `scripts/bench --latency --quick` works (issue 27): one short run of
# Debian's sockperf and iperf3 on one configuration (tinyvmm-1b), from the
# guest-test initramfs to servers in the emulated host. Checks that the
# tools ran and every metric is a number: not their values (speed stays in
# the benchmark). Run by tests/bench/quick.sh; alone after scripts/setup.
#
# usage: tests/bench/latency.sh   (prints PASS or FAIL lines; exit 0 if all passed)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

out=build/bench-latency-test
METRICS="sockperf_udp_64_p50_us sockperf_udp_64_p99_us sockperf_udp_64_p999_us sockperf_udp_64_tps
sockperf_tcp_64_p50_us sockperf_tcp_64_p99_us sockperf_tcp_64_p999_us sockperf_tcp_64_tps
iperf3_g2h_1_mbps iperf3_g2h_1_retr iperf3_h2g_1_mbps iperf3_h2g_1_retr"

rm -rf "$out" && mkdir -p "$out"
TVM_BENCH_RESULTS=$PWD/$out scripts/bench --latency --quick --seconds 1 2>&1 | tee "$out/bench.log"
rc=${PIPESTATUS[0]}
json=$(find "$out" -maxdepth 1 -name 'latency-*.jsonl' | head -n1)
if ((rc != 0)) || [[ ! -s $json ]]; then
  echo "FAIL bench-latency: scripts/bench --latency --quick exited $rc, no JSON lines (log $out/bench.log)"
  exit 1
fi
python3 - "$json" "$METRICS" <<'PY'
import json, sys
path, want = sys.argv[1], sys.argv[2].split()
bad = []
for n, line in enumerate(open(path), 1):
    row = json.loads(line)
    m = row.get("metrics", {})
    missing = [k for k in want if not isinstance(m.get(k), (int, float))]
    if not row.get("ok") or missing:
        bad.append(f"line {n} ({row.get('config')}): ok={row.get('ok')} no number for {' '.join(missing) or '-'}")
if bad or n == 0:
    print("FAIL bench-latency: " + "; ".join(bad or ["no runs"]) + f" ({path})")
    sys.exit(1)
print(f"PASS bench-latency: sockperf UDP/TCP and iperf3 both ways ran in the guest, {n} run(s), every metric a number ({path})")
PY
