"""The library's folders depend on each other one way.

The order is the Makefile's LIB_DIRS, top layer first: a file may include
headers of its own folder and of folders after its own, never of a folder
before it. This keeps the layers honest as files move and grow; the README's
layout section names the same order.
"""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layers():
    with open(os.path.join(ROOT, "Makefile")) as f:
        m = re.search(r"^LIB_DIRS\s*:=\s*(.+)$", f.read(), re.M)
    assert m, "Makefile has no LIB_DIRS"
    return m.group(1).split()


def sources(folder):
    for name in sorted(os.listdir(os.path.join(ROOT, folder))):
        if name.endswith((".c", ".h", ".cc", ".def")):
            yield os.path.join(folder, name)


def test_every_library_folder_is_a_layer_and_says_its_job():
    order = layers()
    for d in order:
        readme = os.path.join(ROOT, d, "README.md")
        assert os.path.isfile(readme), "%s/ has no README.md saying its job" % d
        with open(readme) as f:
            assert f.read().strip(), "%s/README.md is empty" % d


def test_includes_run_one_way():
    order = layers()
    rank = {d: i for i, d in enumerate(order)}
    wrong = []
    for d in order:
        for path in sources(d):
            with open(os.path.join(ROOT, path)) as f:
                for inc in INCLUDE.findall(f.read()):
                    top = inc.split("/", 1)[0]
                    if top in rank and rank[top] < rank[d]:
                        wrong.append("%s includes %s (%s/ is above %s/)" % (path, inc, top, d))
    assert not wrong, "\n".join(wrong)


def includes_of(path, cache={}):
    """The project headers path includes (directly)."""
    if path not in cache:
        full = os.path.join(ROOT, path)
        if not os.path.isfile(full):
            cache[path] = set()
        else:
            with open(full) as f:
                cache[path] = set(INCLUDE.findall(f.read()))
    return cache[path]


def reach(path):
    """Every project header path reaches through headers (transitively)."""
    seen, todo = set(), list(includes_of(path))
    while todo:
        h = todo.pop()
        if h in seen:
            continue
        seen.add(h)
        todo.extend(includes_of(h))
    return seen


def test_no_circle_of_files():
    # Two units tie each other in a circle when each reaches the other's
    # header (directly or through headers): a.c -> b.h and b.c -> a.h.
    units = [p for d in layers() for p in sources(d) if p.endswith((".c", ".cc"))]
    stem = {p: os.path.splitext(p)[0] for p in units}
    reached = {p: {os.path.splitext(h)[0] for h in reach(p)} - {stem[p]} for p in units}
    circles = sorted("%s <-> %s" % (a, b) for a in units for b in units
                     if a < b and stem[b] in reached[a] and stem[a] in reached[b])
    assert not circles, "circles of files: " + ", ".join(circles)
