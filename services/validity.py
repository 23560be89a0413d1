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

import math
from collections import Counter, defaultdict

import numpy as np
from sqlalchemy import func, select

from assessment.cefr import LEVELS
from item_bank.orm import ItemRow

SEM_BINS = (0.2, 0.3, 0.4, 0.5)   # upper edges; the last bin is open
REVIEW_SKILL = {"writing": "writing", "speech": "speaking"}


def quadratic_weighted_kappa(a: list[int], b: list[int], categories: int = len(LEVELS)) -> float | None:
    """Cohen's (1968) weighted kappa with quadratic weights of two ratings on 0..categories-1;
    None when it is undefined (fewer than two ratings, or no spread in the expected table)."""
    if len(a) < 2:
        return None
    observed = np.zeros((categories, categories))
    for x, y in zip(a, b):
        observed[x, y] += 1
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    idx = np.arange(categories)
    weights = (idx[:, None] - idx[None, :]) ** 2 / (categories - 1) ** 2
    denominator = float((weights * expected).sum())
    if denominator == 0:
        return None
    return 1.0 - float((weights * observed).sum()) / denominator


def machine_coach_agreement(s) -> dict:
    from services.scoring.orm import ScoreReview

    rows = s.execute(select(ScoreReview.kind, ScoreReview.machine, ScoreReview.reviewed_cefr)
                     .where(ScoreReview.status == "reviewed",
                            ScoreReview.reviewed_cefr.is_not(None))).all()
    pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for kind, machine, coach in rows:
        level = (machine or {}).get("machine_cefr") or (machine or {}).get("cefr")
        if level in LEVELS and coach in LEVELS:
            pairs[REVIEW_SKILL.get(kind, kind)].append((LEVELS.index(level), LEVELS.index(coach)))
    pairs["all"] = [p for skill in list(pairs) for p in pairs[skill]]
    out = {}
    for skill in ("writing", "speaking", "all"):
        got = pairs.get(skill, [])
        m = [x for x, _ in got]
        c = [y for _, y in got]
        diff = np.abs(np.array(m) - np.array(c)) if got else np.array([])
        out[skill] = {"reviewed": len(got),
                      "exact": _r(float(np.mean(diff == 0))) if got else None,
                      "adjacent": _r(float(np.mean(diff <= 1))) if got else None,
                      "qwk": _r(quadratic_weighted_kappa(m, c)),
                      "coach_higher": int(np.sum(np.array(c) > np.array(m))) if got else 0,
                      "coach_lower": int(np.sum(np.array(c) < np.array(m))) if got else 0}
    return out


def exposure_and_length(s, max_exposure_rate: float) -> tuple[dict, dict, dict]:
    from services.testing.orm import SessionItem, TestSession

    finished = s.execute(select(TestSession.result, TestSession.stop_reason)
                         .where(TestSession.status == "finished")).all()
    n_tests = len(finished)
    shown = dict(s.execute(
        select(SessionItem.item_id, func.count(func.distinct(SessionItem.session_id)))
        .join(TestSession, TestSession.id == SessionItem.session_id)
        .where(TestSession.status == "finished", SessionItem.pretest.is_(False))
        .group_by(SessionItem.item_id)).all())
    live = s.scalars(select(ItemRow.id).where(ItemRow.status == "live",
                                              ItemRow.skill != "speaking")).all()
    rates = {item: count / n_tests for item, count in shown.items()} if n_tests else {}
    over = sorted(((i, r) for i, r in rates.items() if r > max_exposure_rate), key=lambda x: -x[1])
    top = sorted(rates.items(), key=lambda x: -x[1])[:10]
    exposure = {"tests": n_tests, "max_rate": _r(max(rates.values())) if rates else None,
                "limit": max_exposure_rate,
                "over_limit": [{"item": i, "rate": _r(r)} for i, r in over],
                "top": [{"item": i, "rate": _r(r)} for i, r in top],
                "live_items": len(live),
                "never_shown": sum(1 for i in live if i not in shown),
                "median_rate": _r(float(np.median([rates.get(i, 0.0) for i in live]))) if live and n_tests else None}
    lengths = [int((r or {}).get("n_items", 0)) for r, _ in finished]
    reasons = Counter(reason or "unknown" for _r_, reason in finished)
    length = {"tests": n_tests,
              "max_length_share": _r(reasons.get("max_items", 0) / n_tests) if n_tests else None,
              "mean_items": _r(float(np.mean(lengths))) if lengths else None,
              "stop_reasons": {k: _r(v / n_tests) for k, v in sorted(reasons.items())} if n_tests else {}}
    sems = [float(r["overall"]["sem"]) for r, _ in finished
            if r and isinstance(r.get("overall"), dict) and r["overall"].get("sem") is not None]
    sem = {"tests": len(sems)}
    if sems:
        v = np.array(sems)
        edges = (0.0,) + SEM_BINS
        bins = [{"from": lo, "to": hi, "share": _r(float(np.mean((v >= lo) & (v < hi))))}
                for lo, hi in zip(edges[:-1], edges[1:])]
        bins.append({"from": SEM_BINS[-1], "to": None, "share": _r(float(np.mean(v >= SEM_BINS[-1])))})
        sem.update(mean=_r(float(v.mean())), p10=_r(float(np.percentile(v, 10))),
                   median=_r(float(np.median(v))), p90=_r(float(np.percentile(v, 90))),
                   max=_r(float(v.max())), bins=bins)
    return exposure, length, sem


def kind_share(s) -> dict:
    """Served share of scored units per kind over finished tests (pretest items left out),
    and the live adaptive kinds never served."""
    from item_bank.assembly import ADAPTIVE_KINDS, TEXT_KIND, TEXT_PREFIX, is_unit_id
    from services.testing.orm import SessionItem, TestSession

    kinds = {(i, v): k for i, v, k in s.execute(select(ItemRow.id, ItemRow.version, ItemRow.kind))}
    rows = s.execute(select(SessionItem.session_id, SessionItem.item_id, SessionItem.item_version,
                            SessionItem.testlet_id)
                     .join(TestSession, TestSession.id == SessionItem.session_id)
                     .where(TestSession.status == "finished", SessionItem.pretest.is_(False))).all()
    units: dict[tuple, str] = {}
    served_item_kinds = set()
    for session_id, item_id, version, testlet in rows:
        kind = kinds.get((item_id, version), "unknown")
        served_item_kinds.add(kind)
        if is_unit_id(testlet):
            units[(session_id, testlet)] = TEXT_KIND if testlet.startswith(TEXT_PREFIX) else kind
        else:
            units[(session_id, item_id)] = kind
    counts = Counter(units.values())
    total = sum(counts.values())
    live = set(s.scalars(select(ItemRow.kind).where(ItemRow.status == "live",
                                                    ItemRow.kind.in_(sorted(ADAPTIVE_KINDS)))).all())
    tests = len({sid for sid, _ in units})
    from assessment.selection import Blueprint

    blueprint = Blueprint.load()
    design: Counter = Counter()
    for skill, share in blueprint.shares.items():
        by_kind = blueprint.kinds.get(skill) or {}
        for kind, part in by_kind.items():
            design[kind] += share / sum(blueprint.shares.values()) * part / sum(by_kind.values())
    return {"tests": tests, "units": total, "blueprint": blueprint.version,
            "design": {k: _r(v) for k, v in sorted(design.items())},
            "units_per_test": _r(total / tests) if tests else None,
            "share": {k: _r(v / total) for k, v in sorted(counts.items())} if total else {},
            "never_served": sorted(live - served_item_kinds) if tests else sorted(live)}


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


def calibration_summary(db) -> dict | None:
    from .calibration import latest_run

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


def report(db, config) -> dict:
    """Everything above as one JSON-able dict."""
    with db.session() as s:
        agreement = machine_coach_agreement(s)
        exposure, length, sem = exposure_and_length(s, config.max_exposure_rate)
        provisional = provisional_items(s)
        kinds = kind_share(s)
    return {"agreement": agreement, "calibration": calibration_summary(db), "exposure": exposure,
            "length": length, "sem": sem, "items": provisional, "kinds": kinds}


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
    for skill, a in out["agreement"].items():
        print(f"machine vs coach, {skill}: {a['reviewed']} reviewed, exact {a['exact']}, "
              f"adjacent {a['adjacent']}, QWK {a['qwk']}")
    cal = out["calibration"]
    if cal is None:
        print("calibration: none yet (`taitotaso calibrate`)")
    else:
        print(f"calibration {cal['at']}: {cal['mode']}, {cal['persons']} tests, {cal['items']} item "
              f"versions, {cal['applied']} applied, {cal['seconds']:.1f} s; flagged: misfit "
              f"{cal['misfit']}, drift {cal['drift']}")
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
    i = out["items"]
    print(f"items: {i['provisional']} of {i['live']} live items provisional; pretest "
          f"{i['pretest']['calibrated']} of {i['pretest']['items']} calibrated")
    return 0
