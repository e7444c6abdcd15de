#!/usr/bin/env python3
"""Unit tests of scripts/lib/bench_analyze.py (standard library unittest).

    python3 -B -m unittest discover -s tests/bench -p 'test_*.py'   (ctest: bench-analyze)

Fixtures in tests/bench/fixtures/:
  quick.jsonl    the raw samples (bench-host.sh's record) of a real
                 `scripts/bench --quick` run: one per configuration
  quick-old.tsv  what the positional record() before the JSON lines (main
                 until 2026-12-07) derived from the same raw logs
  old-det.tsv    an old positional TSV from bench/results (3 runs each)
  old-matrix.tsv an old --matrix TSV (bench/results/matrix-20261125-113429.tsv)
  scale.log      an emulated-host log of scripts/bench --scale (its result lines)
  raw/           the raw logs of quick.jsonl's tinyvmm-1a run (.kv .out .err
                 .peer1 .peer2 .cmd), for bench-host.sh --rerecord
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in scripts/lib
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import bench_analyze as ba  # noqa: E402

FIX = os.path.join(HERE, "fixtures")


def old_rows(path):
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n").split("\t") for l in f]
    return [dict(zip(lines[0], l)) for l in lines[1:]]


class PermutationTest(unittest.TestCase):
    def test_three_against_three_cannot_be_significant(self):
        # 20 splits; only the observed one and its mirror are as extreme.
        self.assertAlmostEqual(ba.permutation_test([1, 2, 3], [4, 5, 6]), 2 / 20)
        self.assertEqual(ba.verdict([1, 2, 3], [4, 5, 6], ba.HI), ("few", None))

    def test_four_against_four_separated(self):
        p = ba.permutation_test([1, 2, 3, 4], [5, 6, 7, 8])
        self.assertAlmostEqual(p, 2 / 70)
        self.assertEqual(ba.verdict([5, 6, 7, 8], [1, 2, 3, 4], ba.HI)[0], "better")
        self.assertEqual(ba.verdict([5, 6, 7, 8], [1, 2, 3, 4], ba.LO)[0], "worse")

    def test_same_samples_are_not_different(self):
        self.assertEqual(ba.permutation_test([1, 2, 3, 4], [1, 2, 3, 4]), 1.0)
        word, p = ba.verdict([10, 11, 12, 13, 14], [10.5, 11.5, 12.5, 13.5, 12], ba.HI)
        self.assertEqual(word, "same")
        self.assertGreater(p, 0.5)

    def test_overlapping_samples_exact_p(self):
        # a = {1,2,3,5}, b = {4,6,7,8}: |mean diff| 3.5; of the 70 splits,
        # 4 are at least that far apart (these two and their mirrors).
        self.assertAlmostEqual(ba.permutation_test([1, 2, 3, 5], [4, 6, 7, 8]), 4 / 70)

    def test_sampled_when_too_many_splits(self):
        a, b = list(range(10)), list(range(100, 110))
        self.assertGreater(math.comb(20, 10), ba.PERMUTATIONS)
        p = ba.permutation_test(a, b)
        self.assertAlmostEqual(p, 1 / (ba.PERMUTATIONS + 1))
        self.assertEqual(p, ba.permutation_test(a, b), "a fixed seed: the same p every time")

    def test_smallest_p(self):
        self.assertAlmostEqual(ba.smallest_p(3, 3), 0.1)
        self.assertAlmostEqual(ba.smallest_p(4, 4), 2 / 70)
        self.assertAlmostEqual(ba.smallest_p(3, 5), 1 / 56)
        self.assertEqual(ba.verdict([1], [2], ba.HI), ("few", None))


class Derivation(unittest.TestCase):
    """The table's derivations on real raw samples agree with what the
    positional awk record() computed from the same raw logs."""

    @classmethod
    def setUpClass(cls):
        cls.samples = ba.load(os.path.join(FIX, "quick.jsonl"))
        cls.old = {r["cfg"]: r for r in old_rows(os.path.join(FIX, "quick-old.tsv"))}

    def test_every_metric_matches_the_old_record(self):
        compared = 0
        for s in self.samples:
            old, new = self.old[s.cfg], ba.derive(s)
            self.assertEqual(old["ok"], "yes" if s.ok() else "no", s.cfg)
            self.assertEqual(old["rings"], s.rings(), s.cfg)
            self.assertEqual(old["features"], s.features(), s.cfg)
            self.assertEqual(old["rc"], s.rc(), s.cfg)
            for m in ba.COMPARE_METRICS:
                want = old.get(m.name, "")
                got = ba.fmt_tsv(new[m.name], m.fmt)
                if want == "":
                    self.assertEqual(got, "", f"{s.cfg} {m.name}")
                else:
                    self.assertAlmostEqual(float(got), float(want), delta=1e-9 + 0.002 * abs(float(want)),
                                           msg=f"{s.cfg} {m.name}: {got} vs {want}")
                    compared += 1
        self.assertGreater(compared, 20 * len(self.samples))

    def test_exits_per_mb_by_hand(self):
        s = next(x for x in self.samples if x.cfg == "tinyvmm-1b")
        exits = s.kv["s1.exits"] - s.kv["s0.exits"]
        self.assertAlmostEqual(ba.derive(s)["exits_mb"], exits / (2 * s.rec["bytes"] / 1e6))
        self.assertIsNone(ba.derive(s)["g2h2"], "one stream only: no 2-stream figure")

    def test_two_streams_only_on_tier_1a(self):
        for s in self.samples:
            has = ba.derive(s)["g2h2"] is not None
            self.assertEqual(has, s.cfg.endswith("-1a"), s.cfg)

    def test_a_missing_snapshot_gives_no_figure(self):
        rec = json.loads(json.dumps(self.samples[0].rec))
        del rec["kv"]["s1.exits"]
        self.assertIsNone(ba.derive(ba.Sample(rec))["exits_mb"])


class Rerecord(unittest.TestCase):
    def test_raw_logs_give_the_same_sample_on_this_host(self):
        """bench-host.sh's record, run here (--rerecord, this host's awk),
        writes the sample the emulated host's busybox awk wrote."""
        d = tempfile.mkdtemp()
        shutil.copytree(os.path.join(FIX, "raw"), os.path.join(d, "raw"))
        subprocess.run(["sh", os.path.join(ROOT, "scripts", "lib", "bench-host.sh"), "--rerecord", d], check=True)
        with open(os.path.join(d, "runs.jsonl"), encoding="utf-8") as f:
            got = [json.loads(l) for l in f]
        want = [s.rec for s in ba.load(os.path.join(FIX, "quick.jsonl")) if s.cfg == got[0]["cfg"]]
        self.assertEqual(len(got), 1)
        for rec in (got[0], want[0]):
            del rec["host_kernel"], rec["host_cpus"]  # the emulated host's own, unknown here
        self.assertEqual(got[0], want[0])


class MatrixDerivation(unittest.TestCase):
    """A --matrix sample as bench-host.sh's record writes it: phase k (the
    multi line with S streams) lies between snapshots s(k-1) and sk."""

    REC = {"schema": 1, "run": 1, "cfg": "1a-q2", "kind": "matrix", "bytes": 1000000, "streams": "1,2,4",
           "kv": {"s0.exits": 100, "s1.exits": 300, "s2.exits": 700, "s3.exits": 1500, "rc": 0},
           "guest": {"ready": {"irq": 10}, "channels": {"combined": 2, "max": 2},
                     "multi": [{"streams": 1, "ok": "yes", "tx_MBs": 5.0, "rx_MBs": 6.0, "irq": 30,
                                "txq": 1, "rxq": 1, "tx_bytes": "100,0", "rx_bytes": "90,10"},
                               {"streams": 2, "ok": "yes", "tx_MBs": 7.0, "rx_MBs": 8.0, "irq": 70,
                                "txq": 2, "rxq": 2, "tx_bytes": "50,50", "rx_bytes": "75,25"},
                               {"streams": 4, "ok": "yes", "tx_MBs": 9.0, "rx_MBs": 9.5, "irq": 150,
                                "txq": 2, "rxq": 2, "tx_bytes": "60,40", "rx_bytes": "50,50"}]},
           "peer": {"1": {"MB/s": 5.5}, "2": {"MB/s": 7.5}, "3": {"MB/s": 9.9}}, "dev": [], "features": "mq"}

    def test_per_stream_count(self):
        s = ba.Sample(self.REC)
        self.assertTrue(s.ok())
        d = ba.derive(s)
        self.assertEqual((d["g2h_1"], d["g2h_2"], d["g2h_4"]), (5.5, 7.5, 9.9), "the receiver's rate")
        self.assertEqual(d["h2g_2"], 8.0)
        # 2 streams move 2 x 2 x 1 MB: 400 exits, 40 interrupts.
        self.assertEqual(d["exits_mb_2"], 100)
        self.assertEqual(d["irq_mb_2"], 10)
        self.assertEqual(d["exits_mb_1"], 100)
        self.assertEqual(d["irq_mb_1"], 10)
        self.assertEqual(d["txmax_2"], 50)
        self.assertEqual(d["rxmax_1"], 90)
        self.assertEqual(d["pairs_on"], 2)

    def test_a_failed_phase_fails_the_run(self):
        rec = json.loads(json.dumps(self.REC))
        rec["guest"]["multi"][1]["ok"] = "no"
        self.assertFalse(ba.Sample(rec).ok())


class Reports(unittest.TestCase):
    def run_report(self, jsonl, *extra):
        d = tempfile.mkdtemp()
        md, tsv = os.path.join(d, "r.md"), os.path.join(d, "r.tsv")
        rc = ba.main(["report", jsonl, "--md", md, "--tsv", tsv, *extra])
        self.assertEqual(rc, 0)
        with open(md, encoding="utf-8") as f:
            return f.read(), tsv

    def test_report_from_the_quick_fixture(self):
        text, tsv = self.run_report(os.path.join(FIX, "quick.jsonl"))
        self.assertIn("## Results (median of the verified runs", text)
        row = next(l for l in text.splitlines() if l.startswith("| guest→host TCP MB/s (1 stream)"))
        self.assertEqual(row.count("(too few runs)"), 3, "1 run each: no verdict, said so")
        self.assertNotIn("≈", row)
        self.assertIn("| tinyvmm-1a | 1 |", text)
        rows = old_rows(tsv)
        self.assertEqual(sorted(r["cfg"] for r in rows), sorted(s.cfg for s in ba.load(os.path.join(FIX, "quick.jsonl"))))
        self.assertEqual(rows[0]["run"], "1")

    def test_old_tsv_converted_and_reported(self):
        d = tempfile.mkdtemp()
        jsonl = os.path.join(d, "old.jsonl")
        self.assertEqual(ba.main(["convert", os.path.join(FIX, "old-det.tsv"), jsonl]), 0)
        with open(jsonl, encoding="utf-8") as f:
            recs = [json.loads(l) for l in f]
        self.assertTrue(all(isinstance(r["metrics"]["g2h"], float) for r in recs if r["ok"] == "yes"))
        text, _ = self.run_report(jsonl)
        # 3 runs each: the exact test cannot reach p < 0.05.
        self.assertIn("× (too few runs)", text)
        self.assertNotIn("× **worse**", text)
        self.assertNotIn("× better", text)
        self.assertNotIn("× ≈", text)

    def test_old_matrix_tsv_gives_the_matrix_report(self):
        d = tempfile.mkdtemp()
        jsonl = os.path.join(d, "m.jsonl")
        ba.main(["convert", os.path.join(FIX, "old-matrix.tsv"), jsonl])
        text, tsv = self.run_report(jsonl)
        self.assertIn("# tinyvmm network matrix", text)
        row = next(l for l in text.splitlines() if l.startswith("| Tier 1B, 1 pair (`--vhost on`)"))
        old = [r for r in old_rows(os.path.join(FIX, "old-matrix.tsv")) if r["cfg"] == "1b-q1" and r["ok"] == "yes"]
        want = ba.fmt_cell(ba.statistics.median(float(r["g2h_1"]) for r in old))
        self.assertEqual(row.split("|")[2].strip(), want)
        # The reference row against itself, run by run: exactly 1.
        ref = next(l for l in text.splitlines() if l.startswith("| Tier 1B, 1 pair |"))
        self.assertEqual(ref.split("|")[2].strip(), "1.00×")

    def test_a_new_metric_is_one_table_line(self):
        with open(os.path.join(FIX, "quick.jsonl"), encoding="utf-8") as f:
            rec = json.loads(f.readline())
        rec["kv"]["lat_p99_us"] = 42.5
        d = tempfile.mkdtemp()
        jsonl = os.path.join(d, "x.jsonl")
        with open(jsonl, "w", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
        saved = list(ba.COMPARE_METRICS)
        ba.COMPARE_METRICS.append(ba.M("lat_p99_us", "µs", ba.LO, lambda s: s.k("lat_p99_us"), "diag", "TCP latency p99 (µs)"))
        try:
            text, tsv = self.run_report(jsonl)
        finally:
            ba.COMPARE_METRICS[:] = saved
        self.assertIn("| TCP latency p99 (µs) (lower is better) |", text)
        self.assertEqual(old_rows(tsv)[0]["lat_p99_us"], "42.5")

    def test_scale_report_and_records(self):
        d = tempfile.mkdtemp()
        md, jsonl = os.path.join(d, "s.md"), os.path.join(d, "s.jsonl")
        self.assertEqual(ba.main(["scale", os.path.join(FIX, "scale.log"), "--md", md, "--jsonl", jsonl]), 0)
        with open(md, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("| tinyvmm | 256 | 2 | 3.81 | 0.32 | 1.0 | 68.8 |", text)
        self.assertIn("| tinyvmm | 4096 | 2 | 4.70 | failed | 1.0 | 207.0 |", text)
        self.assertIn("| qemu | 256 | 2 | failed | – | - | - |", text)
        self.assertIn("| tinyvmm | 4 | 9.12 | 1.1 |", text)
        self.assertIn("| qemu | 8 | failed | ? |", text)
        with open(jsonl, encoding="utf-8") as f:
            recs = [json.loads(l) for l in f]
        self.assertEqual(recs[0], {"kind": "scale", "vmm": "tinyvmm", "mem_mib": 256, "cpus": 2,
                                   "start_s": 3.81, "own_mib": 1.0, "hwm_mib": 68.8})
        self.assertEqual(len(recs), 7)

    def test_metrics_command_names_every_metric(self):
        out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "lib", "bench_analyze.py"), "metrics",
                              os.path.join(FIX, "quick.jsonl")], capture_output=True, text=True, check=True).stdout
        recs = [json.loads(l) for l in out.splitlines()]
        self.assertTrue(recs)
        for r in recs:
            self.assertEqual(set(r["metrics"]), {m.name for m in ba.COMPARE_METRICS})


def latency_rec(cfg, run, ok=True, **metrics):
    """A --latency record as scripts/lib/bench-latency.sh writes it (the fields the report reads)."""
    m = {"input0_cpu": None, "input0_irqs": None, "guest_tool_cpu": 0}
    m.update(metrics)
    return {"kind": "latency", "run": run, "config": cfg, "deterministic": True, "ok": ok, "metrics": m}


class LatencyReport(unittest.TestCase):
    def report(self, recs, *extra):
        d = tempfile.mkdtemp()
        jsonl, md = os.path.join(d, "latency-x.jsonl"), os.path.join(d, "latency-x.md")
        with open(jsonl, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in recs)
        self.assertEqual(ba.main(["latency", jsonl, "--md", md, *extra]), 0)
        with open(md, encoding="utf-8") as f:
            return f.read()

    @staticmethod
    def section(text, title):
        """The lines of the section that starts with the heading line TITLE."""
        lines = text.splitlines()
        i = lines.index(title)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("#")), len(lines))
        return [l for l in lines[i + 1:end] if l]

    def test_pairs_are_a_configuration_and_one_variant_of_it(self):
        cfgs = ["tinyvmm-t2", "tinyvmm-t2-split", "tinyvmm-t2-pci-noei", "tinyvmm-1b-poll50",
                "qemu-1b", "qemu-1b-q256", "tinyvmm-t2-split-nomrg", "tinyvmm-t2-batch"]
        self.assertEqual(ba.latency_pairs(cfgs), [("tinyvmm-t2", "tinyvmm-t2-split"), ("qemu-1b", "qemu-1b-q256"),
                                                  ("tinyvmm-t2-split", "tinyvmm-t2-split-nomrg"),
                                                  ("tinyvmm-t2", "tinyvmm-t2-batch")])

    def test_a_variant_before_another_pairs_with_the_configuration_without_it(self):
        cfgs = ["tinyvmm-t2-pci-batch", "tinyvmm-t2-pci-noei-batch", "tinyvmm-1b-poll50-batch",
                "tinyvmm-1b-batch"]
        self.assertEqual(ba.latency_pairs(cfgs), [("tinyvmm-t2-pci-batch", "tinyvmm-t2-pci-noei-batch"),
                                                  ("tinyvmm-1b-batch", "tinyvmm-1b-poll50-batch")])

    def test_four_runs_each_give_a_verdict_two_do_not(self):
        recs = [latency_rec("tinyvmm-t2", r, sockperf_udp_64_p50_us=300.0 + r) for r in range(1, 5)]
        recs += [latency_rec("tinyvmm-t2-split", r, sockperf_udp_64_p50_us=330.0 + r) for r in range(1, 5)]
        for r in recs:
            r["metrics"]["udp64_g2h_lost"] = 0
        text = self.report(recs)
        row = next(l for l in text.splitlines() if l.startswith("| tinyvmm-t2 |"))
        self.assertEqual(row, "| tinyvmm-t2 | 4 | 302.5 (301.0–304.0) | 0 |", "equal runs: one number")
        rows = self.section(text, "### tinyvmm-t2-split against tinyvmm-t2")
        # medians 332.5 / 302.5; every B run over every A run: 331/304 .. 334/301; 4 against 4
        # separated: the smallest two-sided p of 70 splits, 2/70.
        self.assertIn("| UDP 64 B p50 | 1.099 (1.089–1.110), worse (p=0.029) |", rows)
        text = self.report([r for r in recs if r["run"] <= 2])
        rows = self.section(text, "### tinyvmm-t2-split against tinyvmm-t2")
        self.assertIn("| UDP 64 B p50 | 1.100 (1.096–1.103) (too few runs) |", rows)

    def test_lower_packet_cost_is_better(self):
        recs = [latency_rec("tinyvmm-1b", r, udp64_g2h_pps=5000, udp64_g2h_exits_per_tx=3.0,
                            udp64_g2h_vhost_us_per_tx=40.0 + r) for r in range(1, 5)]
        recs += [latency_rec("tinyvmm-1b-noei", r, udp64_g2h_pps=5000, udp64_g2h_exits_per_tx=3.0,
                             udp64_g2h_vhost_us_per_tx=30.0 + r) for r in range(1, 5)]
        rows = self.section(self.report(recs), "### tinyvmm-1b-noei against tinyvmm-1b")
        self.assertIn("| 64 B datagram g2h: vhost µs | 0.765 (0.705–0.829), better (p=0.029) |", rows)
        self.assertIn("| 64 B UDP g2h pkt/s | 1.000 (1.000–1.000), same (p=1.000) |", rows)

    def test_the_head_says_how_the_runs_were_measured(self):
        recs = [dict(latency_rec(c, 1), date=d, icount_shift=2, host_cpus=1, host_kernel="6.1.0-57-arm64",
                     seconds=2, set="rr64,rate,bulk1", guest_args="guest-test.cpu=0")
                for c, d in (("tinyvmm-t2", "20261207-070946"), ("tinyvmm-t2-split", "20261207-123625"))]
        recs[1]["guest_args"] = ""
        head = self.report(recs).splitlines()[2]
        self.assertEqual(head, "(from latency-x.jsonl: --deterministic (-icount); shift=2; 1 emulated host CPU(s); "
                               "host kernel 6.1.0-57-arm64; 2 s per test; tests rr64,rate,bulk1; "
                               "guest command line +guest-test.cpu=0; run 20261207-070946 / 20261207-123625)")

    def test_given_pairs_replace_the_derived_ones(self):
        recs = [latency_rec(c, 1, sockperf_udp_64_p50_us=v)
                for c, v in (("tinyvmm-1b", 250.0), ("tinyvmm-1b-poll50", 310.0), ("qemu-1b-pci", 280.0))]
        text = self.report(recs, "--pair", "qemu-1b-pci:tinyvmm-1b")
        self.assertIn("### tinyvmm-1b against qemu-1b-pci", text)
        self.assertNotIn("### tinyvmm-1b-poll50 against tinyvmm-1b", text)
        self.assertIn("| UDP 64 B p50 | 0.893 (too few runs) |", self.section(text, "### tinyvmm-1b against qemu-1b-pci"))

    def test_variants_are_kept_apart_and_compared_with_the_first(self):
        recs = [dict(latency_rec("tinyvmm-1b-pci", r, sockperf_udp_64_p50_us=p), variant=v)
                for r in range(1, 5) for v, p in (("n0", 275.0 + r), ("n5", 367.0 + r))]
        text = self.report(recs)
        self.assertNotIn("| tinyvmm-1b-pci |", text, "the variants pooled")
        row = next(l for l in text.splitlines() if l.startswith("| tinyvmm-1b-pci/n0 |"))
        self.assertTrue(row.startswith("| tinyvmm-1b-pci/n0 | 4 | 277.5 (276.0–279.0) |"), row)
        rows = self.section(text, "### tinyvmm-1b-pci/n5 against tinyvmm-1b-pci/n0")
        self.assertIn("| UDP 64 B p50 | 1.332 (1.319–1.344), worse (p=0.029) |", rows)
        one = [dict(latency_rec(c, 1, sockperf_udp_64_p50_us=p), variant=v)
               for c, v, p in (("tinyvmm-t2", "normal", 300.0), ("tinyvmm-t2-batch", "batch", 360.0))]
        text = self.report(one)
        self.assertIn("### tinyvmm-t2-batch against tinyvmm-t2", text, "one variant each: names kept")

    def test_stalled_runs_and_the_rx_vcpu_are_named(self):
        recs = [latency_rec("tinyvmm-1b", 1, sockperf_udp_64_p50_us=255.0, sockperf_tcp_64_p50_us=280.0),
                latency_rec("qemu-1b-pci", 1, sockperf_udp_64_p50_us=7999.5, sockperf_tcp_64_p50_us=300.0,
                            input0_cpu=0, input0_irqs=1400),
                latency_rec("qemu-1b-pci", 2, sockperf_udp_64_p50_us=260.0, sockperf_tcp_64_p50_us=290.0,
                            input0_cpu=1, input0_irqs=20000),
                latency_rec("qemu-1b-pci", 3, ok=False, sockperf_udp_64_p50_us=9000.0, input0_cpu=1),
                dict(latency_rec("tinyvmm-1b-pci", 1, sockperf_tcp_64_p50_us=4000.0), date="20261207-070946")]
        text = self.report(recs)
        self.assertEqual(self.section(text, "## Runs in the timer-tick stall (64-byte p50 ≥ 3900 µs)"),
                         ["- qemu-1b-pci run 1: p50 8000 µs", "- tinyvmm-1b-pci 20261207-070946 run 1: p50 4000 µs"])
        row = next(l for l in text.splitlines() if l.startswith("| qemu-1b-pci |"))
        self.assertTrue(row.endswith("| 0/0, 1/0 |"), row)
        row = next(l for l in text.splitlines() if l.startswith("| tinyvmm-1b |"))
        self.assertTrue(row.endswith("| – |"), row)
        quiet = self.report(recs[:1])
        self.assertEqual(self.section(quiet, "## Runs in the timer-tick stall (64-byte p50 ≥ 3900 µs)"), ["None."])
        self.assertNotIn("input.0 / tool vCPU", quiet)


if __name__ == "__main__":
    unittest.main()
