"""The calibration loop through the real system: before / after / oracle by number of tests.

Simulated job seekers take tests through the testing service's service layer (in
process, SQLite in a temporary directory) from a perturbed truth; after N tests
`calibrate --apply` (anchored on the trusted items) publishes a new bank version and the
same evaluation simulees take their tests on it. The training tests accumulate: the
checkpoint at 1,000 uses the answers of the first 1,000 tests, the one at 5,000 all of
them, each calibrated on a copy of the database. See services/calibration_loop.py.

Environment (defaults in brackets): LOOP_CHECKPOINTS [500,1000,2000,5000], LOOP_EXAMINEES
[400] evaluation simulees per condition, LOOP_WORKERS [2] processes taking tests,
LOOP_TRUTH [b_sd=0.5,a_logsd=0.3,shift=0.5], LOOP_ANCHORS [0.2], LOOP_POPULATION_MEAN [0],
LOOP_MODE [anchored; 'free' to see the scale move], LOOP_SEED [1], LOOP_OUT (a JSON file).
Prints a table and one JSON line.
"""
from __future__ import annotations

import json
import os
import sys
import time

from assessment.simulation import parse_truth
from item_bank.content import load_content
from services.calibration_loop import LoopSettings, calibration_loop

KEYS = ("rmse", "bias", "cefr_exact", "cefr_adjacent", "mean_items")


def row(label: str, m: dict) -> str:
    return (f"  {label:<16}" + "".join(f"{m[k]:>14.4f}" for k in KEYS[:-1])
            + f"{m['mean_items']:>12.2f}{m['seconds_per_test']:>10.2f}")


def main() -> int:
    checkpoints = [int(x) for x in os.environ.get("LOOP_CHECKPOINTS", "500,1000,2000,5000").split(",")]
    mode = os.environ.get("LOOP_MODE") or None
    settings = LoopSettings(
        checkpoints=checkpoints, examinees=int(os.environ.get("LOOP_EXAMINEES", "400")),
        seed=int(os.environ.get("LOOP_SEED", "1")),
        truth=parse_truth("perturbed:" + os.environ.get("LOOP_TRUTH", "b_sd=0.5,a_logsd=0.3,shift=0.5")),
        anchors=float(os.environ.get("LOOP_ANCHORS", "0.2")),
        population_mean=float(os.environ.get("LOOP_POPULATION_MEAN", "0")),
        workers=int(os.environ.get("LOOP_WORKERS", "2")), mode=mode)
    started = time.perf_counter()

    def progress(label, done, total):
        if done == total or done % 250 == 0:
            print(f"    {label}: {done}/{total} tests ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr, flush=True)

    def report(stage, figures):
        print(f"    {stage}: {json.dumps(figures)}", file=sys.stderr, flush=True)

    out = calibration_loop(load_content(), settings, progress=progress, report=report)
    out["settings"] = {**settings.__dict__, "wall_seconds": round(time.perf_counter() - started, 1),
                       "cpus": os.cpu_count()}
    print(f"calibration loop: truth {settings.truth}, anchors {settings.anchors:.0%} of the items "
          f"({out['world']['anchors']}), {out['world']['pretest']} pretest items, "
          f"{settings.examinees} evaluation simulees per condition, seed {settings.seed}")
    print(f"  {'condition':<16}" + "".join(f"{k:>14}" for k in KEYS[:-1]) + f"{'mean_items':>12}{'s/test':>10}")
    print(row("before", out["before"]))
    for point in out["curve"]:
        print(row(f"after {point['tests']}", point["after"]))
    print(row("oracle", out["oracle"]))
    print("  calibration by number of tests (anchored unless said):")
    for point in out["curve"]:
        c, p = point["calibration"], point["parameters"]
        print(f"    {point['tests']:>5} tests: {c['mode']} on {c['anchors']} anchors, {c['items']} item "
              f"versions, {c['applied']} applied (n >= {c['min_n']}), {c['wall_seconds']:.1f} s "
              f"(EM {c['em_seconds']:.1f} s, {c['iterations']} cycles), ability mean "
              f"{c['latent_mean']} SD {c['latent_sd']}; RMSE(b) of the calibrated items "
              f"{p['calibrated']['rmse_b_provisional']} -> {p['calibrated']['rmse_b_calibrated']}; "
              f"pretest {p['pretest']['calibrated']}/{p['pretest']['items']} calibrated, RMSE(b) "
              f"{p['pretest']['rmse_b_provisional']} -> {p['pretest']['rmse_b_calibrated']}; "
              f"flagged misfit {c['flagged']['misfit']}, drift {c['flagged']['drift']}; "
              f"{c.get('provisional_shifted', 0)} provisional items moved by "
              f"{c.get('provisional_offsets', {}).get('*')} (all kinds), "
              f"{c.get('provisional_estimated', 0)} estimated from fewer answers (empirical Bayes)")
        gap = point["after"]["cefr_exact"] - out["oracle"]["cefr_exact"]
        print(f"          exact agreement after - oracle {gap:+.4f}; bias {point['after']['bias']:+.4f}")
    print(f"  training: {out['training']['tests']} tests in {out['training']['seconds']} s "
          f"({out['training']['seconds_per_test']} s a test, {settings.workers} worker processes)")
    if os.environ.get("LOOP_OUT"):
        with open(os.environ["LOOP_OUT"], "w") as fh:
            json.dump(out, fh, indent=1)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
