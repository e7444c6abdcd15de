"""The e2e check list (tests/e2e/checks.list) and its result lines, on the
build machine, without an emulated host: run.sh --list picks hosts from the
one list, a malformed list is refused, inner.sh runs a list's rows with
their arguments (against a fake tinyvmm) and writes one JSON line each.

Run: python3 -m unittest discover -s tests/e2e -p 'test_*.py' (ctest
e2e-check-list)."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

E2E = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(E2E, "run.sh")


def run_list(pattern, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("E2E_VIRT_PENDING", "E2E_CHECKS_LIST")}
    env.update(env_extra or {})
    return subprocess.run([RUN, "--list", pattern], capture_output=True, text=True, env=env, check=False)


def listed(pattern, env_extra=None):
    out = run_list(pattern, env_extra)
    if out.returncode != 0:
        raise AssertionError(f"run.sh --list {pattern!r} exited {out.returncode}: {out.stderr}")
    return [tuple(line.split()) for line in out.stdout.splitlines()]


def rows():
    """checks_rows over the real list: (name, host, run, call)."""
    out = subprocess.run(["sh", "-c", '. "$1/checks.sh" && checks_rows "$1/checks.list"', "sh", E2E],
                         capture_output=True, text=True, check=True)
    return [tuple(line.split("\t")) for line in out.stdout.splitlines()]


def defined_functions(path):
    with open(path, encoding="utf-8") as f:
        return set(re.findall(r"^([a-z_][a-z0-9_]*)\(\) \{", f.read(), re.M))


class TestTheList(unittest.TestCase):
    def test_every_row_calls_a_function_its_host_runs(self):
        inner = defined_functions(os.path.join(E2E, "inner.sh"))
        build = defined_functions(RUN)
        table = rows()
        self.assertGreater(len(table), 100)
        for name, host, _run, call in table:
            func = call.split()[0]
            where = "run.sh" if host == "build" else "inner.sh"
            with self.subTest(check=name):
                self.assertTrue(func in (build if host == "build" else inner), f"{func} is no function of {where}")

    def test_nothing_else_lists_checks(self):
        with open(os.path.join(E2E, "inner.sh"), encoding="utf-8") as f:
            inner = f.read()
        with open(RUN, encoding="utf-8") as f:
            run = f.read()
        self.assertNotRegex(inner, r"(?m)^suite_[a-z0-9_]*\(\)")
        self.assertNotRegex(inner, r"(?m)^\s*(try )?check_[a-z0-9_]+ [a-z0-9-]+ ")
        self.assertNotRegex(run, r"(?m)^[A-Z0-9_]*_CHECKS=")

    def test_list_picks_hosts_for_a_regex(self):
        self.assertEqual(
            listed("^(boot-cpus1|pci-tier2|gicv2-host-boot|k16gic2-elf|host-check-qemu-user)$"),
            [("gic3", "boot-cpus1", "try"), ("net", "pci-tier2", "try"), ("gic2", "gicv2-host-boot", "try"),
             ("build", "host-check-qemu-user", "once"), ("k16gic2", "k16gic2-elf", "once")])

    def test_order_is_the_lists(self):
        names = [r[0] for r in rows() if r[1] == "net"]
        got = [n for _h, n, _r in listed("^pci-tier") if n.startswith("pci-tier")]
        self.assertEqual(got, [n for n in names if n.startswith("pci-tier")])

    def test_no_match_lists_nothing(self):
        self.assertEqual(listed("^no-such-check$"), [])

    def test_pending_rows_only_when_asked(self):
        self.assertEqual(listed("^qemu-uboot-pci$"), [])
        self.assertEqual(listed("^qemu-uboot-pci$", {"E2E_VIRT_PENDING": "1"}),
                         [("virt", "qemu-uboot-pci", "pending")])
        self.assertEqual(listed("^qemu-uboot-legacy$"), [("virt", "qemu-uboot-legacy", "once")])


class TestMalformedLists(unittest.TestCase):
    def list_says(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as f:
            f.write(text)
        try:
            out = run_list(".", {"E2E_CHECKS_LIST": f.name})
        finally:
            os.unlink(f.name)
        self.assertEqual(out.returncode, 2, out.stdout)
        return out.stderr

    def test_missing_fields(self):
        self.assertIn(":2: want NAME | HOST | RUN | CALL | DESCRIPTION",
                      self.list_says("# a comment\nboot | gic3 | try\n"))

    def test_unknown_host(self):
        self.assertIn('boot: unknown host "gic4"', self.list_says("boot | gic4 | try | check_boot 1 3 | d\n"))

    def test_unknown_run_mode(self):
        self.assertIn('boot: run is try, once or pending, not "twice"',
                      self.list_says("boot | gic3 | twice | check_boot 1 3 | d\n"))

    def test_call_without_check_function(self):
        self.assertIn("boot: the call must start with a check_ function",
                      self.list_says("boot | gic3 | try | tinyvmm --kernel x | d\n"))

    def test_no_description(self):
        self.assertIn("boot: no description", self.list_says("boot | gic3 | try | check_boot 1 3 |\n"))

    def test_name_twice(self):
        self.assertIn(":3: boot: listed twice (also line 1)",
                      self.list_says("boot | gic3 | try | check_boot 1 3 | d\n\nboot | net | once | check_boot 1 3 | d\n"))

    def test_a_bar_in_the_call_is_kept(self):
        with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as f:
            f.write("a | gic3 | once | check_bad_says 'x|y' --z | has a bar in its call\n")
        try:
            out = subprocess.run(["sh", "-c", '. "$1/checks.sh" && checks_rows "$2"', "sh", E2E, f.name],
                                 capture_output=True, text=True, check=True)
        finally:
            os.unlink(f.name)
        self.assertEqual(out.stdout, "a\tgic3\tonce\tcheck_bad_says 'x|y' --z\n")


class TestResultLines(unittest.TestCase):
    DETAIL = 'guest output lacks \'\\[ok\\] "x"\'\tand a tab\nsecond line \x01'

    def test_result_line_is_one_json_object(self):
        for shell in ("sh", "bash"):
            if not shutil.which(shell):
                continue
            with self.subTest(shell=shell), tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "r.jsonl")
                subprocess.run([shell, "-c", '. "$1/checks.sh" && result_line "$2" pci-tier2 net fail 12.5 1 "$3"',
                                shell, E2E, path, self.DETAIL], check=True)
                with open(path, encoding="utf-8") as f:
                    lines = f.read().splitlines()
                self.assertEqual(len(lines), 1)
                self.assertEqual(json.loads(lines[0]), {
                    "name": "pci-tier2", "host": "net", "result": "fail", "seconds": 12.5, "retries": 1,
                    "detail": self.DETAIL.replace("\x01", " ")})


FAKE_TINYVMM = """#!/bin/sh
# A stand-in for tinyvmm: `check` says 16K pages; bad options one line, exit 2.
case "$1" in
check) echo '[ok] host page size: 16K (fake)'; exit 0 ;;
esac
echo "tinyvmm: $*: fake refusal" >&2
exit 2
"""

TEST_LIST = """# rows for test_checks.py
bad-one | gic3 | once | check_bad --no-such-option "two words" | exit 2, one line
page-16k | gic3 | try | check_host_check_page 16K | the fake says 16K
page-4k | gic3 | try | check_host_check_page 4K | the fake does not say 4K: FAIL
elsewhere | net | once | check_bad --x | another host's: not run here
"""


class TestInnerRunsTheRows(unittest.TestCase):
    """inner.sh staged as run.sh stages it, with a list of its own and a fake tinyvmm."""

    def run_inner(self, pattern):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        for f in ("inner.sh", "checks.sh", "guest-broke.sh"):
            shutil.copy(os.path.join(E2E, f), tmp)
        with open(os.path.join(tmp, "checks.list"), "w", encoding="utf-8") as f:
            f.write(TEST_LIST)
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        with open(os.path.join(bindir, "tinyvmm"), "w", encoding="utf-8") as f:
            f.write(FAKE_TINYVMM)
        os.chmod(os.path.join(bindir, "tinyvmm"), 0o755)
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
        out = subprocess.run(["sh", os.path.join(tmp, "inner.sh"), "gic3", os.path.join(tmp, "logs"), pattern],
                             capture_output=True, text=True, env=env, timeout=120, check=False)
        results = []
        path = os.path.join(tmp, "results.jsonl")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                results = [json.loads(line) for line in f]
        cmd = ""
        if os.path.exists(os.path.join(tmp, "logs", "bad-one.cmd")):
            with open(os.path.join(tmp, "logs", "bad-one.cmd"), encoding="utf-8") as f:
                cmd = f.read()
        return out.stdout, results, cmd

    def test_rows_run_in_order_with_their_arguments(self):
        stdout, results, cmd = self.run_inner(".")
        self.assertEqual(cmd, 'tinyvmm --no-such-option two words\n')
        lines = [line for line in stdout.splitlines() if not line.startswith("  ")]
        self.assertEqual(lines, [
            "PASS bad-one", "PASS page-16k",
            "FAIL page-4k: guest output lacks '\\[ok\\] host page size: 4K '",
            "e2e-counts: pass=2 fail=1 retry=0"])
        self.assertEqual([(r["name"], r["host"], r["result"], r["retries"]) for r in results],
                         [("bad-one", "gic3", "pass", 0), ("page-16k", "gic3", "pass", 0),
                          ("page-4k", "gic3", "fail", 0)])
        self.assertEqual(results[2]["detail"], "guest output lacks '\\[ok\\] host page size: 4K '")
        self.assertEqual(results[0]["detail"], "")
        for r in results:
            self.assertIsInstance(r["seconds"], float)

    def test_pattern_picks_rows(self):
        stdout, results, _ = self.run_inner("^page-16k$")
        self.assertIn("PASS page-16k", stdout)
        self.assertNotIn("bad-one", stdout)
        self.assertEqual([r["name"] for r in results], ["page-16k"])


if __name__ == "__main__":
    unittest.main()
