"""Parameter recovery on simulated data (2,000 simulees): our MML-EM calibration vs girth.

Case 1: a 2PL bank of 30 items (a ~ lognormal(0, 0.3), b ~ N(0, 1)) answered completely by
2,000 simulees with theta ~ N(0, 1). Case 2, adaptive-like: 60 items, each simulee answers
20 random ones (the other 40 missing). Both seeded. Each calibrator runs three times on the
same data in this process; the wall time is the median. girth (PyPI ``girth``, optional,
not a project dependency) is calibrated with ``twopl_mml`` and its defaults; missing
responses are given to it as its own ``INVALID_RESPONSE`` code, which its MML routines
skip. Prints readable lines and one JSON line.
"""
from __future__ import annotations

import json
import statistics
import time
from importlib import metadata

import numpy as np

from assessment import irt
from item_bank.calibration import calibrate

SEED = 20240917
SIMULEES = 2000
RUNS = 3


def simulate(rng, n_items: int, answered: int):
    a = rng.lognormal(0.0, 0.3, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    theta = rng.normal(0.0, 1.0, SIMULEES)
    p = irt.icc(theta[:, None], a[None, :], b[None, :])
    x = (rng.random(p.shape) < p).astype(float)
    if answered < n_items:
        keep = np.argsort(rng.random(x.shape), axis=1)[:, :answered]
        sparse = np.full(x.shape, np.nan)
        np.put_along_axis(sparse, keep, np.take_along_axis(x, keep, axis=1), axis=1)
        x = sparse
    return a, b, x


def timed(fn):
    times, out = [], None
    for _ in range(RUNS):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, statistics.median(times)


def recovery(a, b, a_hat, b_hat) -> dict:
    return {
        "corr_b": round(float(np.corrcoef(b, b_hat)[0, 1]), 4),
        "corr_a": round(float(np.corrcoef(a, a_hat)[0, 1]), 4),
        "rmse_b": round(float(np.sqrt(np.mean((b - b_hat) ** 2))), 4),
        "rmse_a": round(float(np.sqrt(np.mean((a - a_hat) ** 2))), 4),
    }


def ours(x, full: bool):
    def run():
        return calibrate(x, ["2pl"] * x.shape[1], standard_errors=full, item_fit=full)
    res, seconds = timed(run)
    return res, seconds


def girth_2pl(x):
    try:
        from girth import INVALID_RESPONSE, twopl_mml
    except ImportError:
        return None
    data = np.where(np.isnan(x), INVALID_RESPONSE, x).astype(int).T   # girth: items x persons
    out, seconds = timed(lambda: twopl_mml(data))
    return np.asarray(out["Discrimination"]), np.asarray(out["Difficulty"]), seconds


def show(label: str, r: dict) -> None:
    print(f"  {label:<34} corr(b)={r['corr_b']:.4f} corr(a)={r['corr_a']:.4f} "
          f"RMSE(b)={r['rmse_b']:.4f} RMSE(a)={r['rmse_a']:.4f} time={r['seconds']:.3f}s"
          + (f" iterations={r['iterations']}" if "iterations" in r else ""))


def main() -> None:
    rng = np.random.default_rng(SEED)
    cases = {"complete 30 items": (30, 30), "sparse 20 of 60 items": (60, 20)}
    report = {"simulees": SIMULEES, "seed": SEED, "runs": RUNS, "cases": {}}
    try:
        import girth  # noqa: F401
        girth_version = metadata.version("girth")
    except ImportError:
        girth_version = None
    report["girth"] = girth_version
    print(f"Parameter recovery on simulated data ({SIMULEES:,} simulees, seed {SEED}, "
          f"median wall time of {RUNS} runs)")
    if girth_version is None:
        print("  girth is not installed (pip install girth): its rows are skipped")
    for name, (n_items, answered) in cases.items():
        a, b, x = simulate(rng, n_items, answered)
        print(f"{name}: {n_items} items, {answered} answered per simulee, "
              f"{int(np.sum(~np.isnan(x))):,} responses")
        rows = {}
        res, seconds = ours(x, full=True)
        rows["ours (with SEs and fit)"] = {**recovery(a, b, res.a, res.difficulty),
                                           "seconds": round(seconds, 4),
                                           "iterations": res.iterations, "converged": res.converged}
        se_b = np.array([it.se_b[0] for it in res.items])
        rows["ours (with SEs and fit)"]["coverage_b_95"] = round(
            float(np.mean(np.abs(res.difficulty - b) < 1.96 * se_b)), 4)
        res2, seconds2 = ours(x, full=False)
        rows["ours (estimation only)"] = {**recovery(a, b, res2.a, res2.difficulty),
                                          "seconds": round(seconds2, 4), "iterations": res2.iterations}
        g = girth_2pl(x)
        if g is not None:
            rows["girth twopl_mml"] = {**recovery(a, b, g[0], g[1]), "seconds": round(g[2], 4)}
        for label, r in rows.items():
            show(label, r)
        if "coverage_b_95" in rows["ours (with SEs and fit)"]:
            print(f"  ours: share of b within 1.96 SE of the truth: "
                  f"{rows['ours (with SEs and fit)']['coverage_b_95']:.3f}")
        report["cases"][name] = rows
    print(json.dumps({"benchmark": "calibration", **report}))


if __name__ == "__main__":
    main()
