#!/usr/bin/env python3
"""The layer rule of ARCHITECTURE.md, checked over the source tree.

Every `#include "..."` of a lockrig source file (rig/, drivers/, reports/) must point at its own
layer or a layer below it:

    rig/base        -> (nothing of lockrig)
    reports/stats   -> (nothing of lockrig: a pure library)
    rig/journal     -> rig/base
    drivers         -> rig/base, drivers
    reports         -> rig/base, rig/journal, reports/stats
    web             -> rig/base, rig/journal, reports/stats, reports   (lockrig serve, issue 16)
    rig/engine      -> rig/base, rig/journal, drivers, reports/stats
    rig/app         -> anything

and only rig/journal may include <sqlite3.h> or the statement wrapper rig/journal/sql.hpp.
The folder graph must have no cycles (checked too, so a rule table that allowed one would fail).

Usage: check_layers.py ROOT        check the tree at ROOT (exit 1 listing each violation)
       check_layers.py --self-test  check that planted violations in a scratch tree are reported
"""
import os
import re
import sys
import tempfile

LAYERS = ["rig/base", "reports/stats", "rig/journal", "drivers", "reports", "web", "rig/engine",
          "rig/app"]
ALLOWED = {
    "rig/base": set(),
    "reports/stats": set(),
    "rig/journal": {"rig/base"},
    "drivers": {"rig/base"},
    "reports": {"rig/base", "rig/journal", "reports/stats"},
    "web": {"rig/base", "rig/journal", "reports/stats", "reports"},
    "rig/engine": {"rig/base", "rig/journal", "drivers", "reports/stats"},
    "rig/app": set(LAYERS),
}
SQLITE_OWNERS = {"rig/journal"}
SOURCE = re.compile(r"\.(cpp|hpp|h|cc)$")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def layer_of(path):
    """The layer a repository-relative path belongs to (longest prefix), or None."""
    best = None
    for layer in LAYERS:
        if path == layer or path.startswith(layer + "/"):
            if best is None or len(layer) > len(best):
                best = layer
    return best


def violations(root):
    found = []
    edges = {}
    for top in ("rig", "drivers", "reports", "web"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not SOURCE.search(name):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                src = layer_of(rel)
                if src is None:
                    found.append(f"{rel}: not in any layer (rig/ files belong in base, journal, "
                                 f"engine or app)")
                    continue
                with open(full, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for m in INCLUDE.finditer(text):
                    line = text.count("\n", 0, m.start()) + 1
                    kind, target = m.group(1), m.group(2)
                    if kind == "<":
                        if target == "sqlite3.h" and src not in SQLITE_OWNERS:
                            found.append(f"{rel}:{line}: includes <sqlite3.h>; only rig/journal "
                                         f"talks to SQLite")
                        continue
                    dst = layer_of(target)
                    if dst is None or dst == src:
                        continue
                    edges.setdefault(src, set()).add(dst)
                    if target == "rig/journal/sql.hpp" and src not in SQLITE_OWNERS:
                        found.append(f"{rel}:{line}: includes rig/journal/sql.hpp, which is "
                                     f"internal to rig/journal")
                    if dst not in ALLOWED[src]:
                        found.append(f"{rel}:{line}: {src} may not include {target} ({dst}); "
                                     f"{src} may include "
                                     f"{', '.join(sorted(ALLOWED[src])) or 'nothing of lockrig'}")
    # The folder graph (from the includes actually present) has no cycles.
    state = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt]
                found.append("folder cycle: " + " -> ".join(cycle))
            elif state.get(nxt) is None:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


def self_test():
    """Plants one violation of each kind in a scratch tree and expects each to be reported."""
    cases = {
        "rig/base/a.hpp": '#include "rig/journal/journal.hpp"\n',
        "drivers/sim/b.cpp": '#include "rig/engine/runner.hpp"\n',
        "reports/c.cpp": '#include "rig/engine/session.hpp"\n#include <sqlite3.h>\n',
        "reports/stats/d.cpp": '#include "rig/base/text.hpp"\n',
        "rig/engine/e.cpp": '#include "rig/app/run_lock.hpp"\n#include "reports/layout.hpp"\n',
        "rig/journal/f.cpp": '#include "drivers/lock_link.hpp"\n',
        "rig/stray.cpp": "\n",
        "reports/g.cpp": '#include "web/server.hpp"\n',
        "web/h.cpp": '#include "rig/engine/runner.hpp"\n#include <sqlite3.h>\n',
    }
    ok_files = {
        "rig/app/ok.cpp": '#include "rig/engine/runner.hpp"\n#include "reports/layout.hpp"\n',
        "rig/journal/ok.cpp": '#include <sqlite3.h>\n#include "rig/base/text.hpp"\n',
        "drivers/ok.cpp": '#include "rig/base/clock.hpp"\n#include "drivers/lock_link.hpp"\n',
    }
    expected = [
        ("rig/base/a.hpp:1", "rig/base may not include rig/journal/journal.hpp"),
        ("drivers/sim/b.cpp:1", "drivers may not include rig/engine/runner.hpp"),
        ("reports/c.cpp:1", "reports may not include rig/engine/session.hpp"),
        ("reports/c.cpp:2", "<sqlite3.h>"),
        ("reports/stats/d.cpp:1", "reports/stats may not include rig/base/text.hpp"),
        ("rig/engine/e.cpp:1", "rig/engine may not include rig/app/run_lock.hpp"),
        ("rig/engine/e.cpp:2", "rig/engine may not include reports/layout.hpp"),
        ("rig/journal/f.cpp:1", "rig/journal may not include drivers/lock_link.hpp"),
        ("rig/stray.cpp", "not in any layer"),
        ("reports/g.cpp:1", "reports may not include web/server.hpp"),
        ("web/h.cpp:1", "web may not include rig/engine/runner.hpp"),
        ("web/h.cpp:2", "<sqlite3.h>"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in {**cases, **ok_files}.items():
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "w") as f:
                f.write(text)
        got = violations(tmp)
    missing = [e for e in expected if not any(g.startswith(e[0]) and e[1] in g for g in got)]
    wrongly = [g for g in got if "ok.cpp" in g]
    cycles = [g for g in got if g.startswith("folder cycle")]
    if missing or wrongly or not cycles:
        print("self-test failed")
        for e in missing:
            print("  not reported:", e)
        for g in wrongly:
            print("  reported an allowed include:", g)
        if not cycles:
            print("  the planted cycle (rig/journal <-> drivers <-> ...) was not reported")
        print("  got:", *got, sep="\n    ")
        return 1
    print(f"self-test: {len(expected)} planted violations and a cycle reported, 3 allowed files "
          f"passed")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 2:
        print(__doc__)
        return 2
    found = violations(argv[1])
    for v in found:
        print(v)
    if found:
        print(f"{len(found)} layering violation(s); the rule is in ARCHITECTURE.md")
        return 1
    print("layers: every include goes down a layer; no folder cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
