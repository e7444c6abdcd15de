"""Cycles between the files of one layer, for scripts/check-layers (issue #25).

Two graphs over a layer's .c and .h files:

  includes  a -> b when a has #include "b"
  calls     a -> b when a function body (or an initializer) in a names a
            function that b defines and a does not: a call, or a function
            pointer taken. b's functions are its non-static definitions,
            and for a header every definition (its static inlines).
            Prototypes and macros are not bodies and make no edge.

A strongly connected component of more than one file is a cycle: those
files cannot be read, tested or changed one without the others.

The C reader relies on the tree's kernel style: comments and strings are
blanked, preprocessor lines dropped, and a definition is whatever text at
brace depth 0 ends in ")" before a "{".
"""
import re

NAME_USE = re.compile(r"(\.|->)?\s*\b([A-Za-z_]\w*)")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
ATTRIBUTE = re.compile(r"__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)")
HEAD = re.compile(r"([A-Za-z_]\w*)\s*\(([^()]|\([^()]*\))*\)\s*$", re.S)


def blank_comments_and_strings(text):
    """@text with comments, string and character literals as spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
        elif c in "\"'":
            end = i + 1
            while end < n and text[end] != c and text[end] != "\n":
                end += 2 if text[end] == "\\" else 1
            end = min(end + 1, n)
        else:
            out.append(c)
            i += 1
            continue
        out.append(re.sub(r"[^\n]", " ", text[i:end]))
        i = end
    return "".join(out)


def drop_preprocessor(text):
    """@text without preprocessor lines (continued lines too); newlines kept."""
    lines = text.split("\n")
    continued = False
    for k, line in enumerate(lines):
        directive = continued or line.lstrip().startswith("#")
        continued = directive and line.endswith("\\")
        if directive:
            lines[k] = ""
    return "\n".join(lines)


class FileFacts:
    """What one file defines and names: the input of the call graph."""

    def __init__(self, path, text):
        self.path = path
        self.includes = INCLUDE.findall(text)
        self.defined = set()     # every function it defines
        self.exported = set()    # the ones other files can call
        self.named = set()       # identifiers in its bodies and initializers
        self._read(drop_preprocessor(blank_comments_and_strings(text)))

    def _read(self, code):
        header = self.path.endswith(".h")
        depth, start = 0, 0
        for m in re.finditer(r"[{};]", code):
            c = m.group()
            if depth == 0 and c == "{":
                self._definition(code[start:m.start()], header)
            if depth > 0:
                self._names(code[start:m.start()])
            if c == "{":
                depth += 1
            elif c == "}":
                depth = max(depth - 1, 0)
            start = m.end()

    def _definition(self, head, header):
        head = ATTRIBUTE.sub(" ", head)
        m = HEAD.search(head)
        if not m or "=" in head:
            return  # a struct, union, enum or initializer, not a function
        name = m.group(1)
        self.defined.add(name)
        if header or not re.search(r"\bstatic\b", head[:m.start()]):
            self.exported.add(name)

    def _names(self, body):
        for m in NAME_USE.finditer(body):
            if not m.group(1):  # after "." or "->": a struct member
                self.named.add(m.group(2))


def include_graph(facts):
    """{file: {(included file, "#include")}} for includes between @facts' files."""
    graph = {path: set() for path in facts}
    for path, f in facts.items():
        for target in f.includes:
            if target in facts and target != path:
                graph[path].add((target, "#include"))
    return graph


def call_graph(facts):
    """{file: {(file, function)}}: a names function, defined by b, not by a itself."""
    owners = {}
    for path, f in facts.items():
        for name in f.exported:
            owners.setdefault(name, set()).add(path)
    graph = {path: set() for path in facts}
    for path, f in facts.items():
        for name in f.named - f.defined:
            for owner in owners.get(name, ()):
                if owner != path:
                    graph[path].add((owner, name))
    return graph


def strongly_connected(graph):
    """Tarjan's components of @graph ({node: {(node, label)}}), iteratively."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            pushed = False
            for target, _ in edges:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                    pushed = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if pushed:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                comps.append(sorted(comp))
    return comps


def one_cycle(graph, comp):
    """A shortest cycle through @comp's first file: [(file, label), ..., back to it]."""
    members = set(comp)
    start = comp[0]
    came_from = {start: None}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for target, label in sorted(graph[node]):
                if target not in members:
                    continue
                if target == start:
                    path = [(node, label)]
                    while came_from[path[-1][0]] is not None:
                        path.append(came_from[path[-1][0]])
                    path.reverse()
                    return path
                if target not in came_from:
                    came_from[target] = (node, label)
                    nxt.append(target)
        frontier = nxt
    return []


def describe_cycle(path):
    """"a.c -> b.c (f) -> a.c (g)" from one_cycle()'s steps."""
    if not path:
        return ""
    text = path[0][0]
    for k, (node, label) in enumerate(path):
        target = path[k + 1][0] if k + 1 < len(path) else path[0][0]
        text += f" -> {target} ({label})" if label != "#include" else f" -> {target}"
    return text


def cycles(graph):
    """[(files of one component, its shortest cycle as text)] for components > 1."""
    return [(comp, describe_cycle(one_cycle(graph, comp)))
            for comp in strongly_connected(graph) if len(comp) > 1]
