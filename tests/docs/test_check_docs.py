#!/usr/bin/env python3
"""Unit tests of scripts/check-docs (standard library unittest).

    python3 -B -m unittest discover -s tests/docs -p 'test_*.py'   (ctest: check-docs-checker)

Each test writes a small tree (a .c file or two, README.md, docs/, docs/findings/)
next to a copy of scripts/check-docs and runs it there: the checker reads the
tree it sits in.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

SOURCES = {
    "vmm/a.c": "int alpha(void)\n{\n\treturn 0;\n}\n\n"
               "static __attribute__((noreturn)) void omega(void)\n{\n\tfor (;;);\n}\n",
    "vmm/b.c": "void beta(void)\n{\n}\n",
    "scripts/bench": "#!/bin/sh\n",
}


class CheckDocs(unittest.TestCase):
    def setUp(self):
        self.tree = tempfile.mkdtemp(prefix="check-docs-test-")
        os.makedirs(os.path.join(self.tree, "scripts"))
        shutil.copy(os.path.join(ROOT, "scripts", "check-docs"),
                    os.path.join(self.tree, "scripts", "check-docs"))
        for path, text in SOURCES.items():
            self.write(path, text)
        self.write("docs/findings/README.md", "# Findings\n")

    def tearDown(self):
        shutil.rmtree(self.tree)

    def write(self, path, text):
        full = os.path.join(self.tree, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as fh:
            fh.write(textwrap.dedent(text))

    def run_checker(self):
        """(exit status, the lines naming a stale pointer)."""
        r = subprocess.run([sys.executable, "-B", os.path.join(self.tree, "scripts", "check-docs")],
                           capture_output=True, text=True, check=False)
        lines = [l for l in r.stdout.splitlines()
                 if not l.startswith("check-docs:") and " passed, " not in l]
        return r.returncode, lines

    def test_a_clean_tree_passes(self):
        self.write("README.md", """\
            # Top

            `vmm/a.c` has `alpha()`; `alpha()` in vmm/a.c, `beta()` (vmm/b.c) and
            vmm/a.c's `alpha()`; `vmm/a.c:alpha()`; `omega()` (an attribute before its type).
            [the reference](docs/x.md#the-thing-scriptsbench---x), [again](docs/x.md#same-1),
            [findings](docs/findings/README.md), [here](#top), [a site](https://example.org/x#y).
            `[in a code span](nowhere.md)` is no link.

            ```
            [in a fence](nowhere.md) `vmm/nowhere.c` `nowhere()`
            ```
            """)
        self.write("docs/x.md", """\
            # X

            ## The thing (`scripts/bench --x`)

            ## Same

            ## Same

            Back to [the top](../README.md#top); [findings](findings/README.md).
            """)
        self.write("docs/findings/2026-01-01-y.md", "# Y\n\nFrom [x](../x.md#the-thing-scriptsbench---x).\n")
        status, lines = self.run_checker()
        self.assertEqual(lines, [])
        self.assertEqual(status, 0)

    def test_each_stale_pointer_is_one_line(self):
        self.write("README.md", """\
            # Top

            `vmm/missing.c`
            `gamma()`
            `alpha()` in vmm/b.c
            vmm/b.c's `alpha()`
            `beta()` (vmm/a.c)
            `vmm/b.c:alpha()`
            [gone](docs/missing.md)
            [no anchor](docs/x.md#the-thing-scripts-bench---x)
            [no anchor here](#nowhere)
            """)
        self.write("docs/x.md", "# X\n\n## The thing (`scripts/bench --x`)\n")
        self.write("docs/findings/2026-01-01-y.md", "# Y\n\n[up](../x.md#nope)\n")
        status, lines = self.run_checker()
        self.assertEqual(status, 1)
        expect = [
            ("README.md:3:", "`vmm/missing.c`: no such file"),
            ("README.md:4:", "`gamma()`: no definition"),
            ("README.md:5:", "says `alpha()` is in vmm/b.c, but it is defined in vmm/a.c"),
            ("README.md:6:", "says `alpha()` is in vmm/b.c"),
            ("README.md:7:", "says `beta()` is in vmm/a.c, but it is defined in vmm/b.c"),
            ("README.md:8:", "says `alpha()` is in vmm/b.c"),
            ("README.md:9:", "links to docs/missing.md: no such file"),
            ("README.md:10:", "docs/x.md has no heading with the anchor #the-thing-scripts-bench---x"),
            ("README.md:11:", "README.md has no heading with the anchor #nowhere"),
            ("docs/findings/2026-01-01-y.md:3:", "docs/x.md has no heading with the anchor #nope"),
        ]
        self.assertEqual(len(lines), len(expect), "\n".join(lines))
        for (where, what), line in zip(expect, lines):
            self.assertTrue(line.startswith(where) and what in line, f"{line!r}: wanted {where} {what}")


if __name__ == "__main__":
    unittest.main()
