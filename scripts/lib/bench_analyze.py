#!/usr/bin/env python3
"""scripts/bench's analysis, on the build host (Python 3, standard library).

The emulated host writes one raw sample per VMM run as a JSON line
(scripts/lib/bench-host.sh, record): the run's metadata, its debugfs and
schedstat snapshots (kv), the guest's phase lines (guest), the peer's rates
(peer) and tinyvmm's device counters (dev), all named, nothing derived.
This program derives every metric from those samples through ONE table
(COMPARE_METRICS, MATRIX_METRICS), takes medians and ranges over the
verified runs, decides tinyvmm against QEMU with a permutation test, and
writes the reports: Markdown, the per-run TSV, the gnuplot PNG.

    bench_analyze.py report RUNS.jsonl --md OUT.md [--tsv OUT.tsv] [--png OUT.png] [--meta-file F]
    bench_analyze.py metrics RUNS.jsonl      # one JSON line per run: its derived metrics
    bench_analyze.py convert OLD.tsv OUT.jsonl   # an old positional runs.tsv, once, to named records
    bench_analyze.py scale LOG --md OUT.md [--jsonl OUT.jsonl] [--meta-file F]   # scripts/bench --scale
    bench_analyze.py latency RUNS.jsonl... --md OUT.md [--png OUT.png] [--pair A:B ...]   # --latency

Adding a metric: one line in the table (name, unit, better, derivation from
the raw sample, where it appears) plus, if the sample lacks it, the raw
field in bench-host.sh's record (docs/benchmarks.md, "How the data flows").
"""
import argparse
import itertools
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections import Counter, namedtuple

HI, LO = "hi", "lo"  # better direction: higher or lower
ALPHA = 0.05  # significance level of the tinyvmm/QEMU verdict
PERMUTATIONS = 20000  # above this many splits, a sample of them (fixed seed)


def num(x):
    """A raw value as a float, or None (absent, empty, not a number)."""
    if x is None or isinstance(x, bool):
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


class Sample:
    """One raw sample (a JSON object from runs.jsonl) and what it says."""

    def __init__(self, rec):
        self.rec = rec
        self.kv = rec.get("kv", {})
        self.guest = rec.get("guest", {})
        self.bytes = num(rec.get("bytes")) or 0

    @property
    def run(self):
        return self.rec.get("run")

    @property
    def cfg(self):
        return self.rec.get("cfg")

    @property
    def kind(self):
        return self.rec.get("kind", "compare")

    def streams(self):
        """compare: parallel streams of the multi phase; matrix: the list."""
        s = str(self.rec.get("streams", "1"))
        return [int(x) for x in s.split(",") if x.strip()]

    def converted(self):
        """A record converted from an old runs.tsv: metrics, no raw data."""
        return "metrics" in self.rec

    def k(self, name):
        return num(self.kv.get(name))

    def delta(self, counter, a, b):
        """Counter at snapshot b minus at snapshot a (s0: guest ready, sN: after phase N)."""
        x, y = self.k(f"{a}.{counter}"), self.k(f"{b}.{counter}")
        return None if x is None or y is None else y - x

    def line(self, what):
        return self.guest.get(what) or {}

    def multi(self, k):
        """The k-th (1-based) multi phase line."""
        lines = self.guest.get("multi") or []
        return lines[k - 1] if 0 < k <= len(lines) else {}

    def peer_mbs(self, phase):
        return num((self.rec.get("peer") or {}).get(str(phase), {}).get("MB/s"))

    def dev(self, i, key):
        d = self.rec.get("dev") or []
        return num(d[i].get(key)) if i < len(d) else None

    def mb(self, streams=1):
        """MB moved in both directions by a phase of that many streams."""
        return 2 * streams * self.bytes / 1e6

    # -- facts of a run (not metrics: no medians of them)
    def ok(self):
        if self.converted():
            return self.rec.get("ok") == "yes"
        if self.kind == "matrix":
            return all(self.matrix_phase(s)[1].get("ok") == "yes" for s in self.streams())
        single = self.line("single")
        ok1 = single.get("tx_ok") == "yes" and single.get("rx_ok") == "yes"
        return ok1 and (self.streams() == [1] or self.multi(1).get("ok") == "yes")

    def rc(self):
        if self.converted():
            return str(self.rec.get("rc", "?"))
        rc = self.kv.get("rc")
        return "?" if rc is None else str(rc)

    def hung(self):
        if self.converted():
            return self.rec.get("hung") == "yes"
        return bool(self.k("hung_after_done"))

    def features(self):
        f = self.rec.get("features") or ""
        return ",".join(f.split()) if f.strip() else "-"

    def rings(self):
        if self.converted():
            return self.rec.get("rings", "-")
        r = self.line("rings")
        return f"{r['rx']}/{r['tx']}" if "rx" in r and "tx" in r else "-"

    def matrix_phase(self, s):
        """(k, line) of the multi phase with s streams (k: its snapshot number)."""
        for k, line in enumerate(self.guest.get("multi") or [], 1):
            if num(line.get("streams")) == s:
                return k, line
        return 0, {}


def per(x, mb):
    return None if x is None or mb <= 0 else x / mb


def ms_per_mb(ns, mb):
    return None if ns is None or mb <= 0 else ns / 1e6 / mb


def diff(a, b):
    return None if a is None or b is None else a - b


# -- derivations used by the table (each takes a Sample) ----------------
def g2h1(s):
    v = s.peer_mbs(1)  # the receiver's rate; the guest's as a fallback
    return v if v is not None else num(s.line("single").get("tx_MBs"))


def g2h2(s):
    if s.streams() == [1]:
        return None
    v = s.peer_mbs(2)
    return v if v is not None else num(s.multi(1).get("tx_MBs"))


def two_streams(f):
    """Only when the run had a multi phase (Tier 1A rows)."""
    return lambda s: None if s.streams() == [1] else f(s)


def phase1(counter):
    """A snapshot counter over the 1-stream phase, per MB."""
    return lambda s: per(s.delta(counter, "s0", "s1"), s.mb())


def phase1_ms(counter):
    """A schedstat ns counter over the 1-stream phase, in ms per MB."""
    return lambda s: ms_per_mb(s.delta(counter, "s0", "s1"), s.mb())


def ticks_ms(counter):
    """utime+stime ticks (100 Hz) over the 1-stream phase, in ms per MB."""
    return lambda s: per(None if s.delta(counter, "s0", "s1") is None
                         else s.delta(counter, "s0", "s1") * 10, s.mb())


def dev1(key):
    """tinyvmm's device counter (SIGUSR1 blocks 1 and 2) over the 1-stream phase, per MB."""
    return lambda s: per(diff(s.dev(1, key), s.dev(0, key)), s.mb())


def irq1(s):
    return per(diff(num(s.line("single").get("irq")), num(s.line("ready").get("irq"))), s.mb())


def irq2(s):
    return per(diff(num(s.multi(1).get("irq")), num(s.line("single").get("irq"))), s.mb(s.streams()[-1]))


def start_s(s):
    d = diff(s.k("started_cs"), s.k("t0_cs"))
    return None if d is None else d / 100


def mib(x):
    return None if x is None else x / 1024


def thp_pct(s):
    rss, thp = s.k("guest_ram_rss_kb"), s.k("guest_ram_thp_kb")
    return None if not rss or thp is None else 100 * thp / rss


Metric = namedtuple("Metric", "name unit better derive where label short fmt")


def M(name, unit, better, derive, where, label, short="", fmt=".1f"):
    """where: 'main' (the Results table and the chart), 'main-1a' (Results,
    Tier 1A rows only: 2 streams), 'diag' (Diagnostics), 'tsv' (TSV only);
    short: its column label in "Every configuration" (empty: not there)."""
    return Metric(name, unit, better, derive, where, label, short, fmt)


# Every metric of a comparison run, in report order. The TSV's columns are
# these names. Derivations read the raw sample (see Sample).
COMPARE_METRICS = [
    M("g2h", "MB/s", HI, g2h1, "main", "guest→host TCP MB/s (1 stream)", "g2h MB/s"),
    M("h2g", "MB/s", HI, lambda s: num(s.line("single").get("rx_MBs")), "main", "host→guest TCP MB/s (1 stream)", "h2g MB/s"),
    M("g2h2", "MB/s", HI, g2h2, "main-1a", "guest→host TCP MB/s (2 streams)", "g2h MB/s, 2 streams"),
    M("h2g2", "MB/s", HI, two_streams(lambda s: num(s.multi(1).get("rx_MBs"))), "main-1a", "host→guest TCP MB/s (2 streams)", "h2g MB/s, 2 streams"),
    M("exits_mb", "/MB", LO, phase1("exits"), "main", "VM exits per MB (1 stream)", "VM exits/MB"),
    M("exits_mb2", "/MB", LO, two_streams(lambda s: per(s.delta("exits", "s1", "s2"), s.mb(s.streams()[-1]))), "main-1a", "VM exits per MB (2 streams)"),
    M("irq_mb", "/MB", LO, irq1, "main", "guest virtio interrupts per MB (1 stream)", "guest irqs/MB"),
    M("irq_mb2", "/MB", LO, two_streams(irq2), "main-1a", "guest virtio interrupts per MB (2 streams)"),
    M("guest_cpu_ms_mb", "ms/MB", LO, phase1_ms("guest_ns"), "main", "guest CPU ms per MB: the VMM's vCPU threads (1 stream)", "guest (vCPU threads) CPU ms/MB", ".3g"),
    M("vmm_own_cpu_ms_mb", "ms/MB", LO, phase1_ms("own_ns"), "main", "VMM's own CPU ms per MB: its other threads (1 stream)", "VMM own CPU ms/MB", ".3g"),
    M("vhost_cpu_ms_mb", "ms/MB", LO, phase1_ms("vhost_ns"), "main", "vhost worker CPU ms per MB (1 stream)", "vhost CPU ms/MB", ".3g"),
    M("start_s", "s", LO, start_s, "main", "VMM start → `guest-test: started` (s)", fmt=".2f"),
    M("rss_nonguest_mib", "MiB", LO, lambda s: mib(diff(s.k("rss_kb"), s.k("guest_ram_rss_kb"))), "main", "VMM memory: RSS outside the guest-RAM mapping (MiB)"),
    M("hwm_minus_ram_mib", "MiB", LO, lambda s: mib(diff(s.k("hwm_kb"), num(s.rec.get("mem_mib", 256)) * 1024)), "main", "peak RSS (VmHWM) − 256 MiB guest RAM (MiB)¹"),
    M("hwm_mib", "MiB", LO, lambda s: mib(s.k("hwm_kb")), "diag", "peak RSS, VmHWM (MiB)"),
    M("mmio_user_mb", "/MB", LO, phase1("mmio_exit_user"), "diag", "MMIO exits to userspace per MB", "MMIO exits to user/MB"),
    M("mmio_kernel_mb", "/MB", LO, phase1("mmio_exit_kernel"), "diag", "MMIO exits handled in kernel (ioeventfd) per MB", "MMIO exits in kernel/MB"),
    M("wfi_mb", "/MB", LO, phase1("wfi_exit_stat"), "diag", "WFI exits per MB"),
    M("vmm_cpu_ms_mb", "ms/MB", LO, ticks_ms("cpu"), "diag", "VMM process CPU ms per MB (all threads)"),
    M("vhost_ticks_ms_mb", "ms/MB", LO, ticks_ms("vhost_cpu"), "diag", "vhost worker CPU ms per MB (utime+stime ticks)"),
    M("rx_kicks_mb", "/MB", LO, dev1("rx_kicks"), "diag", "tinyvmm Tier 2: RX kicks per MB (device counters)"),
    M("tx_kicks_mb", "/MB", LO, dev1("tx_kicks"), "diag", "tinyvmm Tier 2: TX kicks per MB"),
    M("dev_irq_mb", "/MB", LO, dev1("irq"), "diag", "tinyvmm: interrupts raised for the device per MB"),
    M("softirq_ms_mb", "ms/MB", LO, phase1_ms("si_ns"), "diag", "emulated host: softirq ms per MB, all tasks (tracefs hist)", fmt=".3g"),
    M("own_softirq_ms_mb", "ms/MB", LO, phase1_ms("own_si_ns"), "diag", "…of which in the VMM's own threads", fmt=".3g"),
    M("guest_softirq_ms_mb", "ms/MB", LO, phase1_ms("guest_si_ns"), "tsv", "…of which in the vCPU threads", fmt=".3g"),
    M("vhost_softirq_ms_mb", "ms/MB", LO, phase1_ms("vhost_si_ns"), "tsv", "…of which in the vhost workers", fmt=".3g"),
    M("thp_pct", "%", HI, thp_pct, "diag", "resident guest RAM in transparent huge pages (%)", fmt=".0f"),
]


# --matrix: per stream count S (the phase with S streams).
def m_rate(key, peer):
    def f(s, S):
        k, line = s.matrix_phase(S)
        v = s.peer_mbs(k) if peer and k else None
        return v if v is not None else num(line.get(key))
    return f


def m_field(key):
    return lambda s, S: num(s.matrix_phase(S)[1].get(key))


def m_maxshare(key):
    def f(s, S):
        vals = [num(x) or 0 for x in str(s.matrix_phase(S)[1].get(key, "")).split(",") if x]
        return 100 * max(vals) / sum(vals) if vals and sum(vals) > 0 else None
    return f


def m_exits(s, S):
    k = s.matrix_phase(S)[0]
    return per(s.delta("exits", f"s{k - 1}", f"s{k}"), s.mb(S)) if k else None


def m_irq(s, S):
    k, line = s.matrix_phase(S)
    if not k:
        return None
    before = s.multi(k - 1).get("irq") if k > 1 else s.line("ready").get("irq")
    return per(diff(num(line.get("irq")), num(before)), s.mb(S))


# Every per-stream-count metric of a --matrix run: NAME_S in the TSV.
MATRIX_METRICS = [
    M("g2h", "MB/s", HI, m_rate("tx_MBs", True), "main", "g2h"),
    M("h2g", "MB/s", HI, m_rate("rx_MBs", False), "main", "h2g"),
    M("txq", "queues", HI, m_field("txq"), "main", "TX queues with traffic", fmt=".0f"),
    M("rxq", "queues", HI, m_field("rxq"), "main", "RX queues with traffic", fmt=".0f"),
    M("txmax", "%", LO, m_maxshare("tx_bytes"), "diag", "busiest TX queue, % of the bytes", fmt=".0f"),
    M("rxmax", "%", LO, m_maxshare("rx_bytes"), "diag", "busiest RX queue, % of the bytes", fmt=".0f"),
    M("exits_mb", "/MB", LO, m_exits, "diag", "exits/MB"),
    M("irq_mb", "/MB", LO, m_irq, "diag", "virtio irqs/MB"),
]
MATRIX_RUN_METRICS = [
    M("pairs_on", "pairs", HI, lambda s: num(s.line("channels").get("combined")), "diag", "pairs the guest enabled", fmt=".0f"),
]


def matrix_columns(streams):
    """(column name, metric, S) of a matrix TSV, in its order."""
    cols = [(f"{m.name}_{S}", m, S) for S in streams for m in MATRIX_METRICS]
    return cols + [(m.name, m, None) for m in MATRIX_RUN_METRICS]


def derive(sample, streams=None):
    """{metric name: value or None} of one sample."""
    if sample.converted():
        return {k: num(v) for k, v in sample.rec["metrics"].items()}
    if sample.kind == "matrix":
        return {name: (m.derive(sample, S) if S is not None else m.derive(sample))
                for name, m, S in matrix_columns(streams or sample.streams())}
    return {m.name: m.derive(sample) for m in COMPARE_METRICS}


# -- statistics ------------------------------------------------------------
def permutation_test(a, b, rounds=PERMUTATIONS, seed=1):
    """Two-sided p-value of "a and b are one distribution": how often a
    relabelling of the pooled runs gives a difference of means at least as
    large as the observed one. Exact (every split) when there are at most
    ROUNDS splits, else ROUNDS random ones with a fixed seed."""
    pooled = list(a) + list(b)
    n, total = len(a), math.comb(len(a) + len(b), len(a))
    whole = sum(pooled)

    def stat(idx):
        sa = sum(pooled[i] for i in idx)
        return abs(sa / n - (whole - sa) / (len(pooled) - n))

    observed = stat(range(n)) - 1e-12 * (1 + abs(whole))
    if total <= rounds:
        hits = sum(1 for idx in itertools.combinations(range(len(pooled)), n) if stat(idx) >= observed)
        return hits / total
    rng = random.Random(seed)
    hits = sum(1 for _ in range(rounds) if stat(rng.sample(range(len(pooled)), n)) >= observed)
    return (hits + 1) / (rounds + 1)


def smallest_p(n, m):
    """The smallest p-value the exact test can give for n and m runs."""
    if n < 1 or m < 1:
        return 1.0
    return min(1.0, (2 if n == m else 1) / math.comb(n + m, n))


def verdict(a, b, better):
    """tinyvmm's runs a against QEMU's b: ('better'|'worse'|'same'|'few', p)."""
    if len(a) < 2 or len(b) < 2 or smallest_p(len(a), len(b)) >= ALPHA:
        return "few", None
    p = permutation_test(a, b)
    if p >= ALPHA:
        return "same", p
    higher = statistics.mean(a) > statistics.mean(b)
    return ("better" if higher == (better == HI) else "worse"), p


def spread(vals):
    """(median, min, max) or None."""
    return (statistics.median(vals), min(vals), max(vals)) if vals else None


# -- loading ---------------------------------------------------------------
def load(path):
    with open(path, encoding="utf-8") as f:
        return [Sample(json.loads(l)) for l in f if l.strip()]


def convert_tsv(tsv):
    """Named records from an old positional runs.tsv (its header names the
    columns; pooled files repeat it)."""
    recs, header = [], None
    with open(tsv, encoding="utf-8") as f:
        for line in f:
            cells = line.rstrip("\n").split("\t")
            if cells[:2] == ["run", "cfg"]:
                header = cells
                continue
            if header is None or len(cells) < 3:
                continue
            row = dict(zip(header, cells))
            text = {"run", "cfg", "ok", "features", "rings", "rc", "hung"}
            matrix = any(h.startswith("g2h_") for h in header)
            streams = ",".join(h[4:] for h in header if h.startswith("g2h_")) if matrix else "2"
            recs.append({
                "schema": 1, "kind": "matrix" if matrix else "compare", "converted_from": os.path.basename(tsv),
                "run": int(row["run"]) if row["run"].isdigit() else row["run"], "cfg": row["cfg"],
                "streams": streams, "ok": row.get("ok", "no"), "features": row.get("features", "-").replace(",", " "),
                "rings": row.get("rings", "-"), "rc": row.get("rc", "?"), "hung": row.get("hung", "no"),
                "metrics": {k: num(v) for k, v in row.items() if k not in text and v != ""},
            })
    return recs


# -- formatting --------------------------------------------------------------
def fmt_cell(x):
    """A median as the reports show it (3 significant figures, at most 2 decimals)."""
    if x is None:
        return "–"
    if abs(x) >= 100 or x == int(x):
        return f"{x:.0f}"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def fmt_tsv(x, f):
    if x is None:
        return ""
    return format(x, f) if f != ".3g" else format(float(format(x, f)), "g")


class Table:
    """Medians and per-run values of every metric, per configuration."""

    def __init__(self, samples):
        self.samples = samples
        streams = sorted({S for s in samples if s.kind == "matrix" for S in s.streams()})
        self.streams = streams
        self.values = {}  # (cfg, metric) -> [values of the verified runs]
        self.count = Counter()  # (cfg, 'ok'|'failed'|'unclean')
        self.derived = []  # (sample, {metric: value})
        for s in samples:
            d = derive(s, streams if s.kind == "matrix" else None)
            self.derived.append((s, d))
            if s.rc() != "0" or s.hung():
                self.count[s.cfg, "unclean"] += 1
            if not s.ok():
                self.count[s.cfg, "failed"] += 1
                continue
            self.count[s.cfg, "ok"] += 1
            for name, v in d.items():
                if v is not None:
                    self.values.setdefault((s.cfg, name), []).append(v)

    def ran(self, cfg):
        return self.count[cfg, "ok"] + self.count[cfg, "failed"] > 0

    def median(self, cfg, name):
        v = self.values.get((cfg, name))
        return statistics.median(v) if v else None

    def has(self, name):
        return any(n == name for _, n in self.values) or any(name in d for _, d in self.derived)

    def mode(self, cfg, what):
        c = Counter(getattr(s, what)() for s in self.samples if s.cfg == cfg)
        return c.most_common(1)[0][0] if c else "-"


def write_tsv(table, path, matrix):
    if matrix:
        cols = [c for c, _, _ in matrix_columns(table.streams)]
        fmts = {c: m.fmt for c, m, _ in matrix_columns(table.streams)}
        tail = ["features", "rc", "hung"]
    else:
        cols = [m.name for m in COMPARE_METRICS]
        fmts = {m.name: m.fmt for m in COMPARE_METRICS}
        tail = ["features", "rings", "rc", "hung"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\t".join(["run", "cfg", "ok"] + cols + tail) + "\n")
        for s, d in table.derived:
            facts = {"features": s.features(), "rings": s.rings(), "rc": s.rc(), "hung": "yes" if s.hung() else "no"}
            row = [str(s.run), s.cfg, "yes" if s.ok() else "no"]
            row += [fmt_tsv(d.get(c), fmts[c]) for c in cols] + [facts[t] for t in tail]
            f.write("\t".join(row) + "\n")


# -- the comparison report ---------------------------------------------------
CONFIGS = [("tinyvmm-t2", ""), ("tinyvmm-t2-pci", "`--transport pci`"),
           ("tinyvmm-virt-legacy-t2", "`--machine virt` (legacy virtio-mmio)"), ("qemu-t2", ""),
           ("tinyvmm-1b", ""), ("tinyvmm-1b-pci", "`--transport pci`"),
           ("tinyvmm-virt-legacy-1b", "`--machine virt` (legacy virtio-mmio)"), ("qemu-1b", ""),
           ("qemu-1b-modern", "`-global virtio-mmio.force-legacy=false`"),
           ("qemu-1b-pci", "`virtio-net-pci`"), ("tinyvmm-1a", ""), ("tinyvmm-1a-pci", "`--transport pci`"),
           ("qemu-1a", ""), ("qemu-1a-pci", "`virtio-net-pci,mq=on,vectors=6`")]
TIERS = [("t2", "T2", "Tier 2", "Tier 2: userspace virtio-net (tinyvmm `--vhost off`, packed ring; QEMU `vhost=off`)"),
         ("1b", "1B", "Tier 1B", "Tier 1B: vhost-net, 1 queue pair (tinyvmm default; QEMU `vhost=on`)"),
         ("1a", "1A", "Tier 1A", "Tier 1A: vhost-net, 2 queue pairs (tinyvmm `--queues 2`; QEMU `vhost=on,queues=2` + `mq=on`)")]
VERDICT_TEXT = {"better": "better", "worse": "**worse**", "same": "≈", "few": "(too few runs)"}


def value_cell(table, cfg, name):
    v = table.values.get((cfg, name))
    if not v:
        return "–"
    med, lo, hi = spread(v)
    return fmt_cell(med) if lo == hi else f"{fmt_cell(med)} ({fmt_cell(lo)}–{fmt_cell(hi)})"


def ratio_cell(table, t, m, chart):
    """'1.04× better' for tier t, and the chart's factor (> 1: tinyvmm better)."""
    a, b = table.values.get((f"tinyvmm-{t}", m.name)), table.values.get((f"qemu-{t}", m.name))
    if not a or not b:
        return ""
    ma, mb = statistics.median(a), statistics.median(b)
    if ma <= 0 or mb <= 0:
        return ""
    r = ma / mb
    word, p = verdict(a, b, m.better)
    chart.setdefault(m.name, {})[t] = r if m.better == HI else 1 / r
    shown = "" if p is None or word == "same" else " (p<0.001)" if p < 0.001 else f" (p={p:.2g})"
    return f"{r:.2f}× {VERDICT_TEXT[word]}{shown}"


def compare_report(table, md, png, meta, tsv_name):
    out, chart = [], {}
    w = out.append
    w("# tinyvmm vs QEMU: virtio-net benchmark\n")
    w(meta + "\n")
    for main in (True, False):
        if main:
            w("## Results (median of the verified runs, their range in brackets; ratio = tinyvmm / QEMU)\n")
        else:
            w("## Diagnostics (same runs; 1-stream phase)\n")
        w("| Metric | T2 tinyvmm | T2 QEMU | T2 ratio | 1B tinyvmm | 1B QEMU | 1B ratio | 1A tinyvmm | 1A QEMU | 1A ratio |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for m in COMPARE_METRICS:
            if m.where.startswith("main") != main or m.where == "tsv" or not table.has(m.name):
                continue
            row = f"| {m.label} ({'higher' if m.better == HI else 'lower'} is better) "
            for t, *_ in TIERS:
                if m.where == "main-1a" and t != "1a":
                    row += "| | | "
                    continue
                cell = ratio_cell(table, t, m, chart if main and m.name != "hwm_minus_ram_mib" else {})
                row += f"| {value_cell(table, f'tinyvmm-{t}', m.name)} | {value_cell(table, f'qemu-{t}', m.name)} | {cell} "
            w(row + "|")
        w("")
    w(f"Ratio verdicts: a two-sided permutation test of tinyvmm's runs against QEMU's (difference of\n"
      f"means, every relabelling of the pooled runs): **better**/**worse** when p < {ALPHA}, ≈ when not;\n"
      f"\"too few runs\" when no outcome of that many runs could reach p < {ALPHA} (it takes at least\n"
      f"4 verified runs of each, or 3 of one and 5 of the other).\n")
    w("¹ As asked for, but the guest touches only part of its 256 MiB, so this can be negative;\n"
      "the row above (VmRSS minus the resident part of the guest-RAM mapping, /proc/PID/smaps,\n"
      "read at the end of the transfers) is the VMM's own memory.\n")
    cols = [m for m in COMPARE_METRICS if m.short and table.has(m.name)]
    w("## Every configuration (median of the verified runs; CPU, exits, interrupts: 1-stream phase)\n")
    w("| Configuration " + "".join(f"| {m.short} " for m in cols) + "|")
    w("|---|" + "---:|" * len(cols))
    for c, opts in CONFIGS:
        if table.count[c, "ok"]:
            w(f"| {c}{f' ({opts})' if opts else ''} " + "".join(f"| {fmt_cell(table.median(c, m.name))} " for m in cols) + "|")
    w("")
    w("## What each configuration ran\n")
    w("| Configuration | verified runs | failed runs | VMM did not exit cleanly² | features the guest negotiated | rings rx/tx (guest view) |")
    w("|---|---:|---:|---:|---|---|")
    for c, _ in CONFIGS:
        if table.ran(c):
            n = [table.count[c, k] or "" for k in ("ok", "failed", "unclean")]
            w(f"| {c} | {n[0]} | {n[1]} | {n[2]} | {table.mode(c, 'features').replace(',', ' ')} | {table.mode(c, 'rings')} |")
    w("")
    for t in TIERS:
        w(f"- {t[3]}")
    w("")
    w("² Exit status not 0, or still running 30 s after the guest printed `bench done` and\n"
      "powered off (then killed; column `hung` in the TSV). Its measurements are complete and\n"
      "counted: everything is read before the guest powers off. See the run's `.out` in\n"
      "build/bench/share/out/raw/ for what the guest printed meanwhile.\n")
    w("How to read it: exits are KVM's per-VM debugfs counters (`/sys/kernel/debug/kvm/PID-FD/exits`),\n"
      "read by the host script at the guest's phase markers, the same way for both VMMs; interrupts\n"
      "are the guest's own `/proc/interrupts` virtio lines. Per MB = per MB moved in both\n"
      "directions (2 × bytes, × streams). Guest→host MB/s is measured by the receiver\n"
      "(tinyvmm-netpeer), host→guest by the guest; 2-stream rates are aggregates over both\n"
      "streams, one direction at a time (see guest-test/bench.c). Start time: host shell before exec of the VMM to the\n"
      "guest's first userspace line on the VMM's stdout (includes kernel boot).\n")
    png_name = os.path.basename(png) if png else ""
    w(f"Per-run numbers: `{tsv_name}` (named records: `{os.path.splitext(tsv_name)[0]}.jsonl`)"
      + (f"; chart: `{png_name}`." if png else "."))
    if png:
        w(f"\n![ratios]({png_name})")
    with open(md, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    if png:
        plot(chart, png)


def gnuplot_histogram(png, rows, titles, title, axis):
    """Grouped bars with gnuplot: rows [(label, [value or None per title])],
    the chart's TITLE line and AXIS (its y-axis lines) differing by chart."""
    try:
        subprocess.run(["gnuplot", "--version"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        print(f"bench: no gnuplot: skipping {png}", file=sys.stderr)
        return
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as dat:
        for label, vals in rows:
            dat.write("\t".join([label] + [f"{v:.6g}" if v is not None else "NaN" for v in vals]) + "\n")
    plots = ", ".join(f'"{dat.name}" using {i}:xtic(1) title "{t}"' for i, t in enumerate(titles, 2))
    script = f"""set terminal pngcairo size 1200,600 noenhanced font ",10"
set output "{png}"
set title "{title}"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
{axis}
set xtics rotate by -30 nomirror
set grid ytics
set key top left
plot {plots}
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    os.unlink(dat.name)
    if r.returncode:
        print(f"bench: gnuplot failed: no {png}\n{r.stderr}", file=sys.stderr)


def plot(chart, png):
    """Grouped bars of the advantage factor per metric and tier (gnuplot)."""
    rows = [m.name for m in COMPARE_METRICS if m.name in chart]
    tiers = [t for t in TIERS if any(t[0] in chart[r] for r in rows)]
    if not tiers:
        print("bench: nothing to plot", file=sys.stderr)
        return
    gnuplot_histogram(png, [(r, [chart[r].get(t[0]) for t in tiers]) for r in rows], [t[2] for t in tiers],
                      "tinyvmm vs QEMU (same guest, 2 vCPUs, 256 MiB): advantage factor, > 1 = tinyvmm better\\n"
                      "(throughput: tinyvmm/QEMU; exits, interrupts, start time, memory: QEMU/tinyvmm)",
                      "set logscale y 2\nset yrange [0.125:*]\nset ylabel \"factor (log2 scale)\"\n"
                      "set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb \"black\"")


# -- the --matrix report -------------------------------------------------------
# configuration, tier, queue pairs, tinyvmm's network options
MATRIX_ROWS = [("t2-q1", "Tier 2", 1, "--vhost off --queues 1"), ("t2-q2", "Tier 2", 2, "--vhost off --queues 2"),
               ("t2-q4", "Tier 2", 4, "--vhost off --queues 4"), ("1b-q1", "Tier 1B", 1, "--vhost on"),
               ("1a-q2", "Tier 1A", 2, "--vhost on --queues 2"), ("1a-q4", "Tier 1A", 4, "--vhost on --queues 4")]
MATRIX_REF = "1b-q1"  # the ratio table's reference: tinyvmm's default tier


def streams_label(S):
    return f"{S} stream{'s' if S > 1 else ''}"


def row_label(row):
    return f"{row[1]}, {row[2]} pair{'s' if row[2] > 1 else ''}"


def run_ratios(table):
    """Ratios taken within each run, as {(cfg, key): [ratio per run]}: key
    ref_COL (COL against MATRIX_REF in the same run), scale_COL (g2h_S or
    h2g_S against the same VM run's 1 stream)."""
    by_run = {}
    for s, d in table.derived:
        if s.ok():
            by_run.setdefault(s.run, {})[s.cfg] = d
    out = {}
    for cfgs in by_run.values():
        ref = cfgs.get(MATRIX_REF)
        for cfg, d in cfgs.items():
            for S in table.streams:
                for dirn in ("g2h", "h2g"):
                    col, x, one = f"{dirn}_{S}", d.get(f"{dirn}_{S}"), d.get(f"{dirn}_1")
                    y = ref.get(col) if ref else None
                    if x and y and x > 0 and y > 0:
                        out.setdefault((cfg, "ref_" + col), []).append(x / y)
                    if x and one and x > 0 and one > 0:
                        out.setdefault((cfg, "scale_" + col), []).append(x / one)
    return out


def ratio_range(ratios, cfg, key):
    v = ratios.get((cfg, key))
    if not v:
        return ""
    med, lo, hi = spread(v)
    return f"{med:.2f}×" if f"{lo:.2f}" == f"{hi:.2f}" else f"{med:.2f}× ({lo:.2f}–{hi:.2f})"


def matrix_report(table, md, meta, tsv_name):
    out = []
    w = out.append
    ss = table.streams
    rows = [r for r in MATRIX_ROWS if table.ran(r[0])]
    ratios = run_ratios(table)
    w("# tinyvmm network matrix: tiers × queue pairs × parallel TCP streams\n")
    w(meta + "\n")
    w("## Throughput (MB/s) and queue pairs with traffic (median of the verified runs)\n")
    w("| Configuration " + "".join(f"| {streams_label(S)} {p} " for S in ss for p in ("g2h", "h2g"))
      + "".join(f"| pairs with traffic tx/rx, {streams_label(S)} " for S in ss) + "|")
    w("|---|" + "---:|" * (3 * len(ss)))
    for r in rows:
        line = f"| {row_label(r)} (`{r[3]}`) "
        line += "".join(f"| {fmt_cell(table.median(r[0], f'{p}_{S}'))} " for S in ss for p in ("g2h", "h2g"))
        for S in ss:
            a, b = table.median(r[0], f"txq_{S}"), table.median(r[0], f"rxq_{S}")
            line += f"| {fmt_cell(a)}/{fmt_cell(b)} of {r[2]} " if a is not None or b is not None else "|  "
        w(line + "|")
    w("")
    w("## Ratios within each run: against Tier 1B, 1 pair (tinyvmm's default) in the same run; and S streams against 1 stream in the same VM\n")
    w("Median over the runs (range in brackets). Taken run by run, so a change of\n"
      "the machine's load between runs cancels out; a change during a run does not.\n")
    w("| Configuration " + "".join(f"| {streams_label(S)} {p} vs 1B " for S in ss for p in ("g2h", "h2g"))
      + "".join(f"| {S} streams vs 1: g2h | {S} streams vs 1: h2g " for S in ss if S != 1) + "|")
    w("|---|" + "---:|" * (4 * len(ss) - 2))
    for r in rows:
        if not table.count[r[0], "ok"]:
            continue
        line = f"| {row_label(r)} "
        line += "".join(f"| {ratio_range(ratios, r[0], f'ref_{p}_{S}')} " for S in ss for p in ("g2h", "h2g"))
        line += "".join(f"| {ratio_range(ratios, r[0], f'scale_{p}_{S}')} " for S in ss if S != 1 for p in ("g2h", "h2g"))
        w(line + "|")
    w("")
    w("## Diagnostics (same runs)\n")
    w("| Configuration | verified runs | failed runs | VMM did not exit cleanly | pairs the guest enabled "
      + "".join(f"| busiest queue, % of the bytes tx/rx, {streams_label(S)} " for S in ss)
      + "".join(f"| exits/MB, {streams_label(S)} " for S in ss)
      + "".join(f"| virtio irqs/MB, {streams_label(S)} " for S in ss) + "|")
    w("|---|" + "---:|" * (4 + 3 * len(ss)))
    for r in rows:
        c = r[0]
        n = [table.count[c, k] or "" for k in ("ok", "failed", "unclean")]
        line = f"| {row_label(r)} | {n[0]} | {n[1]} | {n[2]} | {fmt_cell(table.median(c, 'pairs_on'))} "
        line += "".join(f"| {fmt_cell(table.median(c, f'txmax_{S}'))}/{fmt_cell(table.median(c, f'rxmax_{S}'))} " for S in ss)
        line += "".join(f"| {fmt_cell(table.median(c, f'exits_mb_{S}'))} " for S in ss)
        line += "".join(f"| {fmt_cell(table.median(c, f'irq_mb_{S}'))} " for S in ss)
        w(line + "|")
    w("")
    w("Features the guest negotiated (most frequent per configuration):\n")
    for r in rows:
        w(f"- {row_label(r)}: {table.mode(r[0], 'features').replace(',', ' ')}")
    w("")
    w(MATRIX_HOWTO)
    w(f"Per-run numbers: `{tsv_name}` (named records: `{os.path.splitext(tsv_name)[0]}.jsonl`).")
    with open(md, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


MATRIX_HOWTO = """How to read it (docs/benchmarks.md, "The matrix"): a phase runs S parallel verified TCP
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
"""


# -- --scale -----------------------------------------------------------------------
# bench-scale.sh's result lines, by their first word: the names of the rest.
SCALE_LINES = {"scale": ["vmm", "mem_mib", "cpus", "start_s", "own_mib", "hwm_mib"],
               "scale-first": ["vmm", "mem_mib", "cpus", "first_line_s"],
               "scale-many": ["vmm", "vms", "all_started_s", "own_mib_per_vm"]}


def scale_records(log):
    """Named records of bench-scale.sh's lines in an emulated-host log."""
    recs = []
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            w = line.replace("\r", "").split()
            if w and w[0] in SCALE_LINES and len(w) == len(SCALE_LINES[w[0]]) + 1:
                rec = {"kind": w[0]}
                rec.update((k, int(v) if v.isdigit() else num(v) if num(v) is not None else v)
                           for k, v in zip(SCALE_LINES[w[0]], w[1:]))
                recs.append(rec)
    return recs


def scale_cell(x):
    """As bench-scale.sh printed it: 2 decimals for seconds, 1 for MiB."""
    return x if isinstance(x, (str, int)) else f"{x:.2f}"


def scale_report(recs, md, meta):
    first = {(r["vmm"], r["mem_mib"], r["cpus"]): r["first_line_s"] for r in recs if r["kind"] == "scale-first"}
    mib = lambda x: x if isinstance(x, str) else f"{x:.1f}"  # noqa: E731
    out = ["# Start-up time and VMM memory against guest RAM and vCPUs", "", meta, "",
           "| VMM | guest RAM (MiB) | vCPUs | start (s) | first kernel line (s) | own memory (MiB) | VmHWM (MiB) |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for r in (r for r in recs if r["kind"] == "scale"):
        f = first.get((r["vmm"], r["mem_mib"], r["cpus"]), "–")
        out.append(f"| {r['vmm']} | {r['mem_mib']} | {r['cpus']} | {scale_cell(r['start_s'])} | {scale_cell(f)} "
                   f"| {mib(r['own_mib'])} | {mib(r['hwm_mib'])} |")
    out += ["", "VMs started at once, each with its own TAP (tinyvmm's default tier, Tier 1B; QEMU `-netdev tap,vhost=on` "
            "+ `virtio-net-device`), 256 MiB and 1 vCPU each: the time until the last of them printed "
            "`guest-test: started`, and their mean own memory.", "",
            "| VMM | VMs | all started (s) | own memory per VM (MiB) |", "|---|---:|---:|---:|"]
    for r in (r for r in recs if r["kind"] == "scale-many"):
        out.append(f"| {r['vmm']} | {r['vms']} | {scale_cell(r['all_started_s'])} | {mib(r['own_mib_per_vm'])} |")
    with open(md, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


# -- the --latency report ----------------------------------------------------------
# (metric, label, unit, better, format): the columns people read, in order.
LATENCY_COLUMNS = [
    ("sockperf_udp_64_p50_us", "UDP 64 B p50", "µs", LO, ".1f"),
    ("sockperf_udp_64_p99_us", "UDP 64 B p99", "µs", LO, ".1f"),
    ("sockperf_tcp_64_p50_us", "TCP 64 B p50", "µs", LO, ".1f"),
    ("sockperf_tcp_64_p99_us", "TCP 64 B p99", "µs", LO, ".1f"),
    ("sockperf_udp_1400_p50_us", "UDP 1400 B p50", "µs", LO, ".1f"),
    ("sockperf_tcp_1400_p50_us", "TCP 1400 B p50", "µs", LO, ".1f"),
    ("sockperf_udp_64_tps", "UDP 64 B trans/s", "/s", HI, ".0f"),
    ("udp64_g2h_pps", "64 B UDP g2h pkt/s", "/s", HI, ".0f"),
    ("udp64_g2h_lost", "g2h lost", "", LO, ".0f"),
    ("udp64_h2g_pps", "64 B UDP h2g pkt/s", "/s", HI, ".0f"),
    ("udp64_h2g_lost", "h2g lost", "", LO, ".0f"),
    ("iperf3_g2h_1_mbps", "g2h 1 stream", "Mbit/s", HI, ".0f"),
    ("iperf3_h2g_1_mbps", "h2g 1 stream", "Mbit/s", HI, ".0f"),
    ("iperf3_g2h_4_mbps", "g2h 4 streams", "Mbit/s", HI, ".0f"),
    ("iperf3_h2g_4_mbps", "h2g 4 streams", "Mbit/s", HI, ".0f"),
]
# Per-transaction counts: (test prefix, what one transaction is).
LATENCY_COUNT_TESTS = [("sockperf_udp_64", "UDP 64 B round trip"), ("udp64_g2h", "64 B datagram g2h"),
                       ("udp64_h2g", "64 B datagram h2g"), ("iperf3_g2h_1", "MB g2h"), ("iperf3_h2g_1", "MB h2g")]
LATENCY_COUNTS = [("exits_per_tx", "exits", ".2f"), ("irqs_per_tx", "guest irqs", ".3f"),
                  ("guest_us_per_tx", "vCPU µs", ".1f"), ("vmm_us_per_tx", "VMM-own µs", ".2f"),
                  ("vhost_us_per_tx", "vhost µs", ".2f")]


# A/B variant suffixes of --latency configurations (scripts/lib/bench-latency.sh,
# cfg_setup): B is A plus one of these.
LATENCY_VARIANTS = ("-split", "-noei", "-nomrg", "-poll50", "-batch", "-q256")
# A 64-byte round trip whose p50 is at least this long waited for a guest
# timer tick (4000 µs at HZ=250; a full round trip that waits one tick each
# way is 8000 µs): the tick stall of issue 27.
STALL_P50_US = 3900.0
STALL_KEYS = ("sockperf_udp_64_p50_us", "sockperf_tcp_64_p50_us")


def latency_pairs(cfgs):
    """(A, B) for every configuration B in cfgs that is a configuration A in
    cfgs with one A/B variant suffix more, anywhere among its suffixes
    (X-batch against X-noei-batch as well as X against X-batch), in cfgs'
    order: the pairs the report compares when none are given."""
    present, pairs = set(cfgs), []
    for b in cfgs:
        for v in LATENCY_VARIANTS:
            i = b.rfind(v)
            if i < 0 or b[i + len(v):i + len(v) + 1] not in ("", "-"):
                continue
            a = b[:i] + b[i + len(v):]
            if a in present and (a, b) not in pairs:
                pairs.append((a, b))
    return pairs


def latency_named(recs):
    """The records with a configuration that ran in several variants
    (scripts/bench --variants: each configuration once per variant line)
    named CFG/VARIANT, so that the report keeps the variants apart instead
    of pooling them; a configuration with one variant keeps its name."""
    variants = {}
    for r in recs:
        variants.setdefault(r["config"], set()).add(r.get("variant") or "")
    return [dict(r, config=f'{r["config"]}/{r["variant"]}') if len(variants[r["config"]]) > 1 else r
            for r in recs]


def variant_pairs(cfgs):
    """(CFG/first, CFG/other) for every --variants configuration: each
    variant against the first of its configuration in cfgs' order (the
    variants file's first line: the baseline)."""
    first, pairs = {}, []
    for c in cfgs:
        base, slash, _ = c.partition("/")
        if not slash:
            continue
        if base not in first:
            first[base] = c
        elif (first[base], c) not in pairs:
            pairs.append((first[base], c))
    return pairs


def latency_stalls(recs):
    """(config, run, p50 µs) of every finished run whose 64-byte UDP or TCP
    p50 reached STALL_P50_US; run is "DATE run N" when the record has its
    date (reports of several runs' files)."""
    out = []
    for r in recs:
        vals = [r["metrics"].get(k) for k in STALL_KEYS]
        worst = max((v for v in vals if isinstance(v, (int, float))), default=None)
        if r.get("ok") and worst is not None and worst >= STALL_P50_US:
            run = f"{r['date']} run {r.get('run')}" if r.get("date") else f"run {r.get('run')}"
            out.append((r["config"], run, worst))
    return out


def latency_rx_cpus(recs, cfg):
    """'input.0 vCPU / tool vCPU' of each finished run of cfg (virtio-pci
    only: over virtio-mmio input0_cpu is null), or '' when none is known.
    The tool on the vCPU that takes input.0 is the stall-prone placement."""
    cells = []
    for r in recs:
        m = r["metrics"]
        if r["config"] != cfg or not r.get("ok") or m.get("input0_cpu") is None:
            continue
        tool = m.get("guest_tool_cpu")
        cells.append(f"{m['input0_cpu']}/{'–' if tool is None else tool}")
    return ", ".join(cells)


def latency_meta(recs, names):
    """How the runs were measured, from their records: one line for the
    report's head. A field that differs between records lists each value."""
    def vals(key, fmt=str):
        v = list(dict.fromkeys(fmt(r[key]) for r in recs if r.get(key) not in (None, "")))
        return " / ".join(v)
    det = vals("deterministic", lambda d: "--deterministic (-icount)" if d else "wall clock")
    parts = [p for p in (det, vals("icount_shift", lambda n: f"shift={n}"),
                         vals("host_cpus", lambda n: f"{n} emulated host CPU(s)"),
                         vals("host_kernel", lambda k: f"host kernel {k}"),
                         vals("seconds", lambda n: f"{n} s per test"), vals("set", lambda t: f"tests {t}"),
                         vals("guest_args", lambda a: f"guest command line +{a}"),
                         vals("date") and "run " + vals("date")) if p]
    return "(from " + ", ".join(names) + (": " + "; ".join(parts) if parts else "") + ")"


def latency_values(recs, cfg, name):
    return [r["metrics"][name] for r in recs if r["config"] == cfg and r.get("ok")
            and isinstance(r["metrics"].get(name), (int, float))]


def latency_cell(vals, fmt):
    if not vals:
        return "–"
    med = statistics.median(vals)
    if min(vals) == max(vals):  # one run, or every run the same
        return f"{med:{fmt}}"
    return f"{med:{fmt}} ({min(vals):{fmt}}–{max(vals):{fmt}})"


def latency_pair(recs, a, b, name, better):
    """B against A on one metric: 'B/A = x (runs' range), verdict'."""
    va, vb = latency_values(recs, a, name), latency_values(recs, b, name)
    if not va or not vb or statistics.median(va) == 0:
        return "–"
    ratios = [y / x for x, y in itertools.product(va, vb) if x]
    cell = f"{statistics.median(vb) / statistics.median(va):.3f}"
    if len(ratios) > 1:
        cell += f" ({min(ratios):.3f}–{max(ratios):.3f})"
    v, pv = verdict(vb, va, better)
    cell += " (too few runs)" if v == "few" else f", {v} (p={pv:.3f})"
    return cell


def latency_report(recs, md, png, pairs, meta):
    cfgs = list(dict.fromkeys(r["config"] for r in recs))
    out = ["# scripts/bench --latency", "", meta, "",
           "Medians over the runs that finished (range in brackets when there are several). "
           "Metric names and meanings: docs/benchmarks.md, \"Latency with the field's tools\".", ""]
    cols = [c for c in LATENCY_COLUMNS if any(latency_values(recs, cfg, c[0]) for cfg in cfgs)]
    out.append("| configuration | runs | " + " | ".join(f"{c[1]} ({c[2]})" if c[2] else c[1] for c in cols) + " |")
    out.append("|---|---:|" + "---:|" * len(cols))
    rx = {cfg: latency_rx_cpus(recs, cfg) for cfg in cfgs}
    rx_col = any(rx.values())
    if rx_col:
        out[-2] += " input.0 / tool vCPU per run |"
        out[-1] += "---|"
    for cfg in cfgs:
        n = sum(1 for r in recs if r["config"] == cfg and r.get("ok"))
        out.append(f"| {cfg} | {n} | " + " | ".join(latency_cell(latency_values(recs, cfg, c[0]), c[4]) for c in cols)
                   + (f" | {rx[cfg] or '–'}" if rx_col else "") + " |")
    stalls = latency_stalls(recs)
    out += ["", f"## Runs in the timer-tick stall (64-byte p50 ≥ {STALL_P50_US:.0f} µs)", ""]
    out += [f"- {c} {run}: p50 {p:.0f} µs" for c, run, p in stalls] or ["None."]
    counted = [(t, what) for t, what in LATENCY_COUNT_TESTS
               if any(latency_values(recs, cfg, f"{t}_exits_per_tx") for cfg in cfgs)]
    if counted:
        out += ["", "## Per transaction (deterministic runs: instruction-counted CPU)", "",
                "| configuration | per | " + " | ".join(c[1] for c in LATENCY_COUNTS) + " |",
                "|---|---|" + "---:|" * len(LATENCY_COUNTS)]
        for cfg in cfgs:
            for t, what in counted:
                if latency_values(recs, cfg, f"{t}_exits_per_tx"):
                    out.append(f"| {cfg} | {what} | " + " | ".join(
                        latency_cell(latency_values(recs, cfg, f"{t}_{k}"), f) for k, _, f in LATENCY_COUNTS) + " |")
    if pairs:
        names = [(c[0], c[1], c[3]) for c in cols]
        names += [(f"{t}_{k}", f"{what}: {label}", LO) for t, what in counted for k, label, _ in LATENCY_COUNTS]
        out += ["", ("## A/B pairs: B/A (range: each B run over each A run; verdict: the permutation test of the runs, "
                "which takes 4 runs of each for p < 0.05)"), ""]
        for a, b in pairs:
            out += [f"### {b} against {a}", "", "| metric | B/A |", "|---|---:|"]
            for name, label, better in names:
                cell = latency_pair(recs, a, b, name, better)
                if cell != "–":
                    out.append(f"| {label} | {cell} |")
            out.append("")
    with open(md, "w", encoding="utf-8") as f:
        f.write("\n".join(out).rstrip("\n") + "\n")
    if png:
        latency_plot(recs, cfgs, png)


def latency_plot(recs, cfgs, png):
    """p50 and p99 of the 64-byte UDP and TCP round trip per configuration (gnuplot)."""
    keys = ["sockperf_udp_64_p50_us", "sockperf_udp_64_p99_us", "sockperf_tcp_64_p50_us", "sockperf_tcp_64_p99_us"]
    rows = [c for c in cfgs if latency_values(recs, c, keys[0])]
    if not rows:
        print("bench: no latency figures to plot", file=sys.stderr)
        return
    meds = [(c, [statistics.median(v) if v else None for v in (latency_values(recs, c, k) for k in keys)])
            for c in rows]
    gnuplot_histogram(png, meds, ["UDP p50", "UDP p99", "TCP p50", "TCP p99"],
                      "sockperf ping-pong, 64-byte messages: round-trip latency per configuration "
                      "(median over runs; lower is better)",
                      "set logscale y 10\nset ylabel \"µs (log scale)\"")


# -- command line ----------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("report", help="Markdown report (and TSV, PNG) of a runs.jsonl")
    r.add_argument("jsonl")
    r.add_argument("--md", required=True)
    r.add_argument("--tsv", help="also write the per-run metrics as TSV")
    r.add_argument("--png", help="the chart (comparison runs; needs gnuplot)")
    r.add_argument("--tsv-name", help="the per-run file the report names (default: --tsv's)")
    r.add_argument("--meta-file", help="Markdown put under the title")
    m = sub.add_parser("metrics", help="one JSON line per run: its derived metrics")
    m.add_argument("jsonl")
    sc = sub.add_parser("scale", help="the --scale report from the emulated host's log")
    sc.add_argument("log")
    sc.add_argument("--md", required=True)
    sc.add_argument("--jsonl", help="also write the named records")
    sc.add_argument("--meta-file")
    la = sub.add_parser("latency", help="the --latency report (and chart) of latency-*.jsonl files")
    la.add_argument("jsonl", nargs="+")
    la.add_argument("--md", required=True)
    la.add_argument("--png", help="p50/p99 per configuration (needs gnuplot)")
    la.add_argument("--pair", action="append", default=[],
                    help="A:B, an A/B pair of configurations (default: every B that is an A plus a variant suffix)")
    la.add_argument("--meta-file")
    c = sub.add_parser("convert", help="an old positional runs.tsv to named records")
    c.add_argument("tsv")
    c.add_argument("jsonl")
    a = ap.parse_args(argv)
    if a.cmd == "convert":
        with open(a.jsonl, "w", encoding="utf-8") as f:
            for rec in convert_tsv(a.tsv):
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return 0
    if a.cmd == "latency":
        recs = []
        for path in a.jsonl:
            with open(path, encoding="utf-8") as f:
                recs += [json.loads(l) for l in f if l.strip()]
        recs = latency_named(recs)
        meta = latency_meta(recs, [os.path.basename(p) for p in a.jsonl])
        if a.meta_file:
            with open(a.meta_file, encoding="utf-8") as f:
                meta = f.read().rstrip("\n") or meta
        pairs = [tuple(p.split(":", 1)) for p in a.pair]
        cfgs = list(dict.fromkeys(r["config"] for r in recs))
        latency_report(recs, a.md, a.png, pairs or latency_pairs(cfgs) + variant_pairs(cfgs), meta)
        return 0
    if a.cmd == "scale":
        recs = scale_records(a.log)
        if a.jsonl:
            with open(a.jsonl, "w", encoding="utf-8") as f:
                f.writelines(json.dumps(r) + "\n" for r in recs)
        meta = ""
        if a.meta_file:
            with open(a.meta_file, encoding="utf-8") as f:
                meta = f.read().rstrip("\n")
        scale_report(recs, a.md, meta)
        return 0
    samples = load(a.jsonl)
    if not samples:
        print(f"bench: no runs in {a.jsonl}", file=sys.stderr)
        return 1
    table = Table(samples)
    if a.cmd == "metrics":
        for s, d in table.derived:
            print(json.dumps({"run": s.run, "cfg": s.cfg, "kind": s.kind, "ok": s.ok(), "rc": s.rc(),
                              "hung": s.hung(), "features": s.features(), "rings": s.rings(), "metrics": d},
                             ensure_ascii=False))
        return 0
    matrix = any(s.kind == "matrix" for s in samples)
    # An old run's TSV (its records converted from it) stays as it was.
    if a.tsv and not (all(s.converted() for s in samples) and os.path.exists(a.tsv)):
        write_tsv(table, a.tsv, matrix)
    meta = "(report regenerated from " + os.path.basename(a.jsonl) + ")"
    if a.meta_file:
        with open(a.meta_file, encoding="utf-8") as f:
            meta = f.read().rstrip("\n") or meta
    tsv_name = a.tsv_name or os.path.basename(a.tsv or os.path.splitext(a.jsonl)[0] + ".tsv")
    if matrix:
        matrix_report(table, a.md, meta, tsv_name)
    else:
        compare_report(table, a.md, a.png, meta, tsv_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
