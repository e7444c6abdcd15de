#!/usr/bin/env python3
"""Unit tests of scripts/lib/layer_cycles.py, the cycle finder of scripts/check-layers.

    python3 -B -m unittest discover -s tests/scripts -p 'test_*.py'   (ctest: layer-cycles)
"""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in scripts/lib
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import layer_cycles as lc  # noqa: E402


def facts(files):
    return {path: lc.FileFacts(path, text) for path, text in files.items()}


# main before issue #25: the stop request in vm.c, called by the loop's
# reboot path and by the vCPUs that vm.c creates.
VM_C = """
#include "core/vm.h"
bool vm_request_stop(struct vm *vm, int code)
{
	return true;
}
int vm_place_images(struct vm *vm)
{
	return 0;
}
int vm_run(struct vm *vm)
{
	vcpu_create(vm);
	return vm_main_loop(vm);
}
"""
LOOP_C = """
int vm_main_loop(struct vm *vm)
{
	return vm_reboot(vm);
}
"""
REBOOT_C = """
int vm_reboot(struct vm *vm)
{
	return vm_place_images(vm);
}
"""
VCPU_C = """
static void run_failed(struct vcpu *vcpu)
{
	vm_request_stop(vcpu->vm, 1);
}
int vcpu_create(struct vm *vm)
{
	return 0;
}
"""


class ReadingC(unittest.TestCase):
    def test_definitions_static_and_exported(self):
        f = lc.FileFacts("a.c", "static int helper(int x)\n{\n\treturn x;\n}\n"
                         "int api(void)\n{\n\treturn helper(1);\n}\n")
        self.assertEqual(f.defined, {"helper", "api"})
        self.assertEqual(f.exported, {"api"})
        self.assertIn("helper", f.named)

    def test_header_inlines_are_exported_prototypes_are_not_named(self):
        f = lc.FileFacts("a.h", "int api(struct x *p);\n"
                         "static inline bool ready(const struct x *p)\n{\n"
                         "\treturn p->ready;\n}\n")
        self.assertEqual(f.exported, {"ready"})
        self.assertNotIn("api", f.named)  # a prototype is no use
        self.assertNotIn("ready", f.named - f.defined)

    def test_comments_strings_members_and_macros_are_not_calls(self):
        f = lc.FileFacts("a.c", "#define CALL() other()\n"
                         "int api(struct x *p)\n{\n"
                         "\t/* other() here */ // other()\n"
                         "\tputs(\"other()\");\n"
                         "\treturn p->other(p) + p.other;\n}\n")
        self.assertNotIn("other", f.named)
        self.assertIn("puts", f.named)

    def test_function_pointers_in_initializers_are_named(self):
        f = lc.FileFacts("a.c", "static const struct ops ops = {\n\t.reset = dev_reset,\n};\n")
        self.assertEqual(f.defined, set())
        self.assertIn("dev_reset", f.named)
        self.assertNotIn("reset", f.named)

    def test_attributes_and_multi_line_heads(self):
        f = lc.FileFacts("a.c", "static void __attribute__((format(printf, 2, 3)))\n"
                         "say(struct v *v, const char *fmt, ...)\n{\n}\n"
                         "int long_one(int a,\n\t     int b)\n{\n\treturn a;\n}\n")
        self.assertEqual(f.defined, {"say", "long_one"})
        self.assertEqual(f.exported, {"long_one"})


class Cycles(unittest.TestCase):
    def test_the_cycle_on_main_before_issue_25(self):
        files = facts({"core/vm.c": VM_C, "core/vm_loop.c": LOOP_C,
                       "core/vm_reboot.c": REBOOT_C, "core/vcpu.c": VCPU_C})
        found = lc.cycles(lc.call_graph(files))
        self.assertEqual(len(found), 1)
        comp, text = found[0]
        self.assertEqual(comp, ["core/vcpu.c", "core/vm.c", "core/vm_loop.c",
                                "core/vm_reboot.c"])
        self.assertEqual(text, "core/vcpu.c -> core/vm.c (vm_request_stop) "
                               "-> core/vcpu.c (vcpu_create)")

    def test_a_chain_is_no_cycle(self):
        files = facts({"a.c": "int a(void)\n{\n\treturn b();\n}\n",
                       "b.c": "int b(void)\n{\n\treturn c();\n}\n",
                       "c.c": "int c(void)\n{\n\treturn 0;\n}\n"})
        self.assertEqual(lc.cycles(lc.call_graph(files)), [])

    def test_a_static_of_the_same_name_is_the_files_own(self):
        files = facts({"a.c": "int a(void)\n{\n\treturn b();\n}\n",
                       "b.c": "static int a(void)\n{\n\treturn 1;\n}\n"
                              "int b(void)\n{\n\treturn a();\n}\n"})
        self.assertEqual(lc.cycles(lc.call_graph(files)), [])

    def test_the_shortest_cycle_of_a_long_one(self):
        files = facts({"a.c": "int a(void)\n{\n\treturn b();\n}\n",
                       "b.c": "int b(void)\n{\n\treturn c();\n}\n",
                       "c.c": "int c(void)\n{\n\treturn a();\n}\n"})
        (comp, text), = lc.cycles(lc.call_graph(files))
        self.assertEqual(comp, ["a.c", "b.c", "c.c"])
        self.assertEqual(text, "a.c -> b.c (b) -> c.c (c) -> a.c (a)")

    def test_include_cycle(self):
        files = facts({"x/a.h": '#include "x/b.h"\n', "x/b.h": '#include "x/a.h"\n',
                       "x/c.h": '#include "x/a.h"\n'})
        (comp, text), = lc.cycles(lc.include_graph(files))
        self.assertEqual(comp, ["x/a.h", "x/b.h"])
        self.assertEqual(text, "x/a.h -> x/b.h -> x/a.h")

    def test_deep_graph_does_not_recurse(self):
        n = 5000  # deeper than Python's recursion limit
        name = "f{:05}.c".format
        graph = {name(i): {(name(i + 1), "f")} for i in range(n)}
        graph[name(n)] = {(name(0), "f")}
        (comp, _), = lc.cycles(graph)
        self.assertEqual(len(comp), n + 1)


class CheckLayers(unittest.TestCase):
    def test_the_tree_passes(self):
        r = subprocess.run([os.path.join(ROOT, "scripts", "check-layers")],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("0 call cycles", r.stdout)


if __name__ == "__main__":
    unittest.main()
