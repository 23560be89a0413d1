"""The dependency graph between the services, read from the code (grimp, import-linter's
graph builder): which service package imports which, through which modules.

    .venv/bin/python deploy/service_graph.py            # a table, then each import
    .venv/bin/python deploy/service_graph.py --dot      # Graphviz
    .venv/bin/python deploy/service_graph.py --ignores  # the lines of pyproject.toml's
                                                        # independence contract's ignore_imports

Each service owns its package under ``services/``; ``services.common`` (and the ports,
once each service has them) are shared. Every import listed here from one service into
another is a coupling that issue 16 removes: the independence contract in pyproject.toml
lists the ones left, so that no new one can come in.
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict

SERVICES = ("testing", "scoring", "results", "authoring", "library")


def cross_imports() -> dict[tuple[str, str], list[tuple[str, str]]]:
    import grimp

    graph = grimp.build_graph("services", "scoring", "item_bank", "assessment")
    out: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for a in SERVICES:
        for b in SERVICES:
            if a == b:
                continue
            for imp in graph.find_matching_direct_imports(
                    import_expression=f"services.{a}.** -> services.{b}.**"):
                out[(a, b)].append((imp["importer"], imp["imported"]))
    return {k: sorted(set(v)) for k, v in sorted(out.items())}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dot", action="store_true")
    p.add_argument("--ignores", action="store_true")
    args = p.parse_args(argv)
    edges = cross_imports()
    if args.dot:
        print("digraph services {")
        for (a, b), pairs in edges.items():
            print(f'  "{a}" -> "{b}" [label="{len(pairs)}"];')
        print("}")
        return 0
    if args.ignores:
        for pairs in edges.values():
            for importer, imported in pairs:
                print(f'    "{importer} -> {imported}",')
        return 0
    total = sum(len(v) for v in edges.values())
    print(f"imports from one service's package into another's: {total} module pairs")
    for (a, b), pairs in edges.items():
        print(f"  {a:>9} -> {b:<9} {len(pairs):>3}")
    for (a, b), pairs in edges.items():
        for importer, imported in pairs:
            print(f"    {importer} -> {imported}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
