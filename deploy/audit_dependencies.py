"""Dependency audit for CI (`make audit`): pip-audit over the installed environment.

Fails (exit 1) on any known vulnerability. pip-audit asks a vulnerability service (PyPI's
JSON API or OSV) about every package; where that service cannot be reached (a closed
network with only a package mirror) it skips every package and still says "No known
vulnerabilities found". That is not a clean audit, so this says plainly that nothing was
audited, and exits 0 only if ``--allow-offline`` is given (CI on a closed network),
otherwise 2.

    python deploy/audit_dependencies.py [--allow-offline] [--ignore-vuln ID ...]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def verdict(report: dict, ignored: set[str]) -> tuple[int, list[str]]:
    """(exit code, lines to print) for pip-audit's JSON report."""
    deps = report.get("dependencies", [])
    audited = [d for d in deps if not d.get("skip_reason")]
    found = [(d["name"], d["version"], v) for d in audited for v in d.get("vulns", [])
             if v["id"] not in ignored and not set(v.get("aliases", [])) & ignored]
    lines = [f"{len(audited)} of {len(deps)} installed packages audited"]
    for name, version, vuln in found:
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
        lines.append(f"VULNERABLE {name} {version}: {vuln['id']} (fixed in {fixed})")
    if found:
        return 1, lines
    if deps and not audited:
        lines.append("no vulnerability service could be reached: nothing was audited")
        return 2, lines
    lines.append("no known vulnerabilities")
    return 0, lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--allow-offline", action="store_true",
                   help="exit 0 when no vulnerability service can be reached")
    p.add_argument("--ignore-vuln", action="append", default=[], metavar="ID",
                   help="a vulnerability id judged not to apply (say why in the commit)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        run = subprocess.run([sys.executable, "-m", "pip_audit", "--local", "--progress-spinner", "off",
                              "--format", "json", "--output", str(out)], capture_output=True, text=True)
        if not out.exists():
            print(run.stderr[-2000:], file=sys.stderr)
            return 2
        code, lines = verdict(json.loads(out.read_text()), set(args.ignore_vuln))
    print("dependency audit: " + "\n  ".join(lines))
    if code == 2 and args.allow_offline:
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
