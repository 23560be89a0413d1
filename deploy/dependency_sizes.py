"""How large each service's dependency set is (issue 16): one fresh virtual environment per
extra of pyproject.toml, the project installed into it as each image installs it.

For every set this builds the project's wheel once (from a copy of the source, so that the
checkout gets no build/ or egg-info), makes a new ``python -m venv``, runs a real
``pip install 'taitotaso-….whl[<extra>]'`` (dependencies resolved, nothing skipped) and
measures what landed in site-packages: the distributions (pip itself and the venv's
setuptools left out) and the bytes of their files. torch comes as the pinned CPU build
wherever the scoring extra asks for it (pip's configuration here, the CPU index in the
Dockerfile). Then it imports the service's app module with that environment's packages
(the code from the checkout, as the images run it from /app), to show that the set is
enough to load it.

    python deploy/dependency_sizes.py                  # core, each service, all
    python deploy/dependency_sizes.py testing library  # just these
    python deploy/dependency_sizes.py --json out.json  # the table as JSON too

It downloads what pip's cache does not hold and takes minutes (the scoring set is torch).
The sizes are of the Python packages only, not of the image's Debian packages or base.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "assessment", "item_bank", "scoring", "services")
# extra -> what to import in its environment ("" is the core: the migration job's set)
SETS = {
    "": "services.cli",
    "testing": "services.testing.app",
    "authoring": "services.authoring.app",
    "results": "services.results.app",
    "library": "services.library.app",
    "scoring": "services.scoring.app",
    "all": "services.gateway",
}
LEFT_OUT = {"pip", "setuptools", "wheel"}  # the venv's own tools, in no image's count

# run by the environment's python: its distributions and the bytes of their files
MEASURE = r"""
import json, os, importlib.metadata as md
out = {}
for d in md.distributions():
    name = d.metadata["Name"]
    size = 0
    for f in d.files or ():
        p = d.locate_file(f)
        try:
            size += os.path.getsize(p)
        except OSError:
            pass
    out[name.lower().replace("_", "-")] = {"version": d.version, "bytes": size}
print(json.dumps(out))
"""


def build_wheel(work: Path) -> Path:
    """The project's wheel, built from a copy of the source (the checkout stays clean)."""
    src = work / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
                   check=True)
    (wheel,) = dist.glob("taitotaso-*.whl")
    return wheel


def measure(wheel: Path, extra: str, module: str, work: Path, python: str) -> dict:
    env_dir = work / f"venv-{extra or 'core'}"
    subprocess.run([python, "-m", "venv", str(env_dir)], check=True)
    py = env_dir / "bin" / "python"
    target = f"{wheel}[{extra}]" if extra else str(wheel)
    started = time.monotonic()
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", target],
                         capture_output=True, text=True)
    if pip.returncode:
        sys.stderr.write(pip.stdout + pip.stderr)
        raise SystemExit(f"pip could not install {target}")
    seconds = time.monotonic() - started
    dists = json.loads(subprocess.run([str(py), "-c", MEASURE], check=True, capture_output=True,
                                      text=True).stdout)
    project = dists.pop("taitotaso", None)
    for name in LEFT_OUT:
        dists.pop(name, None)
    # as the images run it: the code from the source tree (PYTHONPATH=/app there), every
    # third-party package from this environment alone
    loads = subprocess.run([str(py), "-c", f"import {module}"], capture_output=True, text=True,
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    total = sum(d["bytes"] for d in dists.values())
    largest = sorted(dists, key=lambda n: -dists[n]["bytes"])[:3]
    return {"extra": extra or "(core)", "distributions": len(dists), "bytes": total,
            "project_bytes": project["bytes"] if project else 0,
            "torch": dists.get("torch", {}).get("version"),
            "largest": [(n, dists[n]["bytes"]) for n in largest],
            "imports": module if loads.returncode == 0 else f"{module} FAILED: "
                       + (loads.stderr.strip().splitlines() or ["?"])[-1],
            "install_s": round(seconds), "packages": {n: d["version"] for n, d in sorted(dists.items())}}


def table(rows: list[dict]) -> str:
    mb = 1e6
    lines = [f"{'extra':<11} {'dists':>5} {'installed MB':>12}  {'torch':<11} largest (MB)",
             "-" * 100]
    for r in rows:
        largest = ", ".join(f"{n} {b / mb:.0f}" for n, b in r["largest"])
        lines.append(f"{r['extra']:<11} {r['distributions']:>5} {r['bytes'] / mb:>12.1f}  "
                     f"{r['torch'] or 'no':<11} {largest}")
    lines.append("")
    lines += [f"{r['extra']:<11} import {r['imports']}" if "FAILED" in r["imports"]
              else f"{r['extra']:<11} imports {r['imports']}: ok" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extras", nargs="*", help="extras to measure; 'core' for none "
                                                  "(default: core, every service, all)")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter of the environments (default: this one)")
    parser.add_argument("--json", type=Path, help="also write the rows, with every package, here")
    args = parser.parse_args(argv)
    wanted = ["" if e == "core" else e for e in args.extras] or list(SETS)
    unknown = [e for e in wanted if e not in SETS]
    if unknown:
        parser.error(f"unknown extras {unknown}; known: core, {', '.join(e for e in SETS if e)}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="taitotaso-sizes-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(work)
        for extra in wanted:
            print(f"measuring {extra or 'core'} ...", file=sys.stderr, flush=True)
            rows.append(measure(wheel, extra, SETS[extra], work, args.python))
            shutil.rmtree(work / f"venv-{extra or 'core'}")
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 1 if any("FAILED" in r["imports"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
