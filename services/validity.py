"""Validity monitoring for admins (`taitotaso validity report`, the authoring service's
validity page): does the test measure what it claims, and is the bank in shape?

* Machine against coach: on the written and spoken answers a coach reviewed, how often the
  coach kept the machine's level (exact), how far off it was (adjacent) and the quadratic
  weighted kappa (Cohen 1968), per skill. The reviewed answers are the uncertain ones, so
  this agreement is a lower bound of the machine's agreement on all answers.
* The latest calibration (``calibration_runs``): mode, data, time, and the items flagged
  for misfit or drift.
* Exposure: the share of finished tests that showed each item (the restricted method
  keeps it under ``max_exposure_rate``), the items over it and the live items never shown.
* Test length: the share of finished tests that stopped at the maximum length (stop
  reason ``max_items``: their precision target was not met), the mean length and the
  stop reasons.
* Precision: the distribution of the overall SEM of finished tests.
* What the tests are made of: the share of the scored units each kind of item had in
  finished tests (a yes/no block or a text with its questions is one unit, as in
  ``taitotaso simulate``'s ``kind_share``), against the blueprint's design, and the kinds of
  live adaptive items that no test served.
* Provisional items: live items whose parameters are still the initial ones from their
  CEFR target, by skill, and the pretest items waiting for calibration data.
"""
from __future__ import annotations

import logging
import math
from collections import defaultdict

from sqlalchemy import select

from assessment.agreement import quadratic_weighted_kappa
from item_bank.orm import CalibrationRun, ItemRow
from services.common.service_calls import ServiceUnavailable

log = logging.getLogger(__name__)

# Each part is computed by the service that owns its tables, reached through a port
# (services/authoring/ports.py): machine against coach by the scoring service
# (``score_reviews``), exposure, length, precision and kinds served by the testing service
# (``test_sessions``, ``session_items``). The item bank's parts (provisional items, the latest
# calibration) are read here: the item bank is the shared kernel.
TESTING_PARTS = ("exposure", "length", "sem", "kinds")
SCORING_PARTS = ("agreement",)


def provisional_items(s) -> dict:
    rows = s.execute(select(ItemRow.skill, ItemRow.status, ItemRow.irt)
                     .where(ItemRow.status.in_(("live", "reviewed")), ItemRow.skill != "speaking")).all()
    by_skill: dict[str, dict[str, int]] = defaultdict(lambda: {"live": 0, "provisional": 0})
    pretest = {"items": 0, "calibrated": 0}
    for skill, status, irt in rows:
        calibrated = bool((irt or {}).get("calibrated"))
        if status == "live":
            by_skill[skill]["live"] += 1
            by_skill[skill]["provisional"] += not calibrated
        else:
            pretest["items"] += 1
            pretest["calibrated"] += calibrated
    total_live = sum(v["live"] for v in by_skill.values())
    total_prov = sum(v["provisional"] for v in by_skill.values())
    return {"live": total_live, "provisional": total_prov,
            "provisional_share": _r(total_prov / total_live) if total_live else None,
            "by_skill": dict(sorted(by_skill.items())), "pretest": pretest}


def latest_run(db) -> dict | None:
    """The report of the latest calibration run (``calibration_runs``, the item bank's), or
    None; as ``services.calibration.latest_run``, without importing the calibration, which
    reads the testing service's tables."""
    with db.read() as s:
        row = s.scalars(select(CalibrationRun).order_by(CalibrationRun.id.desc()).limit(1)).first()
        if row is None:
            return None
        return {**row.report, "run_id": row.id, "at": row.created_at.isoformat(timespec="seconds")}


def calibration_summary(db) -> dict | None:
    run = latest_run(db)
    if run is None:
        return None
    flagged = [{"item": f"{r['id']}@{r['version']}", "kind": r.get("kind"), "skill": r.get("skill"),
                "flags": r["flags"], "n": r["n"], "fit_p": r.get("fit_p"),
                "change_b": r.get("change_b"), "anchored": r["anchored"]}
               for r in run.get("item_estimates", []) if r.get("flags")]
    keys = ("run_id", "at", "mode", "persons", "items", "anchors", "applied", "converged",
            "iterations", "seconds", "latent_mean", "latent_sd", "bank_version_before",
            "bank_version_after")
    return {**{k: run.get(k) for k in keys},
            "misfit": sum("misfit" in f["flags"] for f in flagged),
            "drift": sum("drift" in f["flags"] for f in flagged), "flagged": flagged}


def report(db, config, test_figures=None, scoring_figures=None) -> dict:
    """Everything above as one JSON-able dict. ``test_figures`` and ``scoring_figures`` are
    the ports to the testing and scoring services (by default as configured: in this process,
    or over HTTP where their URLs are set). A part whose service cannot answer now is None,
    and ``unavailable`` names that service ("testing", "scoring")."""
    from services.authoring.ports import scoring_figures_for, test_figures_for

    test_figures = test_figures or test_figures_for(config, db)
    scoring_figures = scoring_figures or scoring_figures_for(config, db)
    unavailable = []
    try:
        agreement = scoring_figures.agreement()
    except ServiceUnavailable as err:
        log.warning("validity report without machine and coach agreement: %s", err)
        agreement = None
        unavailable.append("scoring")
    try:
        tests = test_figures.figures(config.max_exposure_rate)
    except ServiceUnavailable as err:
        log.warning("validity report without the testing service's figures: %s", err)
        tests = dict.fromkeys(TESTING_PARTS)
        unavailable.append("testing")
    with db.read() as s:
        provisional = provisional_items(s)
    return {"agreement": agreement, "calibration": calibration_summary(db),
            "exposure": tests["exposure"], "length": tests["length"], "sem": tests["sem"],
            "items": provisional, "kinds": tests["kinds"], "unavailable": unavailable}


def _r(x, digits: int = 4):
    if x is None:
        return None
    x = float(x)
    return round(x, digits) if math.isfinite(x) else None


__all__ = ["report", "quadratic_weighted_kappa"]


def cmd_report(args) -> int:
    """`taitotaso validity report [--json]`."""
    import json

    from services.common.config import Config
    from services.common.db import Database

    cfg = Config.from_env()
    db = Database(cfg.database_url)
    db.upgrade()
    out = report(db, cfg)
    db.dispose()
    if args.json:
        print(json.dumps(out))
        return 0
    for service in out["unavailable"]:
        print(f"the {service} service cannot be reached now: its part of the report is left out")
    for skill, a in (out["agreement"] or {}).items():
        print(f"machine vs coach, {skill}: {a['reviewed']} reviewed, exact {a['exact']}, "
              f"adjacent {a['adjacent']}, QWK {a['qwk']}")
    cal = out["calibration"]
    if cal is None:
        print("calibration: none yet (`taitotaso calibrate`)")
    else:
        print(f"calibration {cal['at']}: {cal['mode']}, {cal['persons']} tests, {cal['items']} item "
              f"versions, {cal['applied']} applied, {cal['seconds']:.1f} s; flagged: misfit "
              f"{cal['misfit']}, drift {cal['drift']}")
    if out["exposure"] is not None:
        _print_tests(out)
    i = out["items"]
    print(f"items: {i['provisional']} of {i['live']} live items provisional; pretest "
          f"{i['pretest']['calibrated']} of {i['pretest']['items']} calibrated")
    return 0


def _print_tests(out: dict) -> None:
    e, n, s = out["exposure"], out["length"], out["sem"]
    print(f"exposure over {e['tests']} finished tests: highest {e['max_rate']} (limit {e['limit']}), "
          f"{len(e['over_limit'])} over the limit, {e['never_shown']} of {e['live_items']} live items never shown")
    print(f"length: mean {n['mean_items']}, at the maximum length {n['max_length_share']}")
    print(f"SEM: median {s.get('median')}, 90th percentile {s.get('p90')}")
    k = out["kinds"]
    print(f"kinds served over {k['tests']} tests (units a test {k['units_per_test']}): "
          + ", ".join(f"{kind} {share} (designed {k['design'].get(kind, 0)})"
                      for kind, share in k["share"].items())
          + (f"; never served: {', '.join(k['never_served'])}" if k["never_served"] else ""))
