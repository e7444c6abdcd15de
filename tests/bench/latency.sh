#!/usr/bin/env bash
# `scripts/bench --latency --quick` works (issue 27): one short run of
# Debian's sockperf and iperf3 on one configuration (tinyvmm-1b), from the
# guest-test initramfs to servers in the emulated host: the full test set
# (64- and 1400-byte request/response, 64-byte UDP rate, bulk with 1, 2, 4
# streams) at 1 s each. Checks that the tools ran and every metric,
# per-transaction counts included, is a number: not their values (speed
# stays in the benchmark). Run by tests/bench/quick.sh; alone after scripts/setup.
#
# usage: tests/bench/latency.sh   (prints PASS or FAIL lines; exit 0 if all passed)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

out=build/bench-latency-test
METRICS=""
for t in sockperf_udp_64 sockperf_tcp_64 sockperf_udp_1400 sockperf_tcp_1400; do
  METRICS+=" ${t}_p50_us ${t}_p99_us ${t}_p999_us ${t}_tps"
done
METRICS+=" udp64_g2h_pps udp64_g2h_lost udp64_h2g_pps udp64_h2g_lost"
for p in 1 2 4; do METRICS+=" iperf3_g2h_${p}_mbps iperf3_g2h_${p}_retr iperf3_h2g_${p}_mbps iperf3_h2g_${p}_retr"; done
# Per transaction: every test but the last has a next phase to subtract from.
for t in sockperf_udp_64 udp64_g2h iperf3_g2h_1 iperf3_h2g_4; do
  METRICS+=" ${t}_exits_per_tx ${t}_irqs_per_tx ${t}_guest_us_per_tx ${t}_vmm_us_per_tx ${t}_vhost_us_per_tx"
done

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
print(f"PASS bench-latency: sockperf UDP/TCP 64/1400, 64-byte UDP rate and iperf3 1/2/4 streams both ways ran in the guest, {n} run(s), every metric a number ({path})")
PY
