"""Adaptive engine figures from `taitotaso simulate`: precision, exposure, speed.

Runs the must-show command (synthetic 5,000-item bank, 1,000 simulees, 20 items, seed 1)
with and without exposure control, more seeds for the spread, and the seed bank with a
fixed length and with the production stopping rule (benchmarks/test_design.py has the
test design's own figures). Prints a table and JSON lines.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "taitotaso"


def simulate(*args: str) -> dict:
    out = subprocess.run([str(BIN), "simulate", "--json", *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def show(label: str, r: dict) -> None:
    keys = ["rmse", "bound_rmse", "bias", "mean_items", "cefr_exact", "cefr_adjacent",
            "max_exposure", "step_us_median", "step_us_p99"]
    ratio = r["rmse"] / r["bound_rmse"]
    print(f"{label:<44} " + " ".join(f"{k}={r[k]}" for k in keys) + f" rmse/bound={ratio:.3f}")


def main() -> None:
    base = ["--bank", "synthetic:5000", "--examinees", "1000", "--max-items", "20"]
    runs = {}
    runs["synthetic:5000 seed 1, exposure control"] = simulate(*base, "--seed", "1")
    runs["synthetic:5000 seed 1, no exposure control"] = simulate(*base, "--seed", "1", "--no-exposure-control")
    spread = [simulate(*base, "--seed", str(s)) for s in (2, 3, 4, 5)]
    runs["seed bank, 20 items fixed"] = simulate("--bank", "seed", "--examinees", "1000",
                                                 "--max-items", "20", "--seed", "1")
    runs["seed bank, production rule (assessment/data/stopping.json)"] = simulate(
        "--bank", "seed", "--examinees", "1000", "--rule", "production", "--seed", "1")
    for label, r in runs.items():
        show(label, r)
    rmses = [runs["synthetic:5000 seed 1, exposure control"]["rmse"]] + [r["rmse"] for r in spread]
    print(f"synthetic:5000 with exposure control, seeds 1-5: RMSE median {statistics.median(rmses):.4f}, "
          f"min {min(rmses):.4f}, max {max(rmses):.4f}")
    free = runs["synthetic:5000 seed 1, no exposure control"]
    ctrl = runs["synthetic:5000 seed 1, exposure control"]
    print(f"cost of exposure control: RMSE x{ctrl['rmse'] / free['rmse']:.3f}, "
          f"max exposure {free['max_exposure']} -> {ctrl['max_exposure']}")
    for label, r in runs.items():
        print(json.dumps({"benchmark": "simulate", "run": label, **r}))


if __name__ == "__main__":
    main()
