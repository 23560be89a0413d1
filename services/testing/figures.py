"""The testing service's figures for the validity report (services/validity.py), from the
tables it owns (``test_sessions``, ``session_items``) and the item bank (the shared kernel):

* exposure: the share of finished tests that showed each item (the restricted method keeps
  it under ``max_exposure_rate``), the items over it and the live items never shown;
* test length: the share of finished tests that stopped at the maximum length (stop reason
  ``max_items``), the mean length and the stop reasons;
* precision: the distribution of the overall SEM of finished tests;
* what the tests are made of: the share of the scored units each kind of item had in
  finished tests, against the blueprint's design, and the live adaptive kinds never served.

Other services reach them through ``GET /api/v1/testing/figures`` (service_api.py) or the
in-process adapter (services/adapters/testing.py).
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
from sqlalchemy import func, select

from item_bank.orm import ItemRow

from .orm import SessionItem, TestSession

SEM_BINS = (0.2, 0.3, 0.4, 0.5)   # upper edges; the last bin is open


def _r(x, digits: int = 4):
    if x is None:
        return None
    x = float(x)
    return round(x, digits) if math.isfinite(x) else None


def figures(db, max_exposure_rate: float) -> dict:
    """``{"exposure", "length", "sem", "kinds"}`` over the finished tests."""
    with db.read() as s:
        exposure, length, sem = exposure_and_length(s, max_exposure_rate)
        kinds = kind_share(s)
    return {"exposure": exposure, "length": length, "sem": sem, "kinds": kinds}


def exposure_and_length(s, max_exposure_rate: float) -> tuple[dict, dict, dict]:
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
    from assessment.selection import Blueprint
    from item_bank.assembly import ADAPTIVE_KINDS, TEXT_KIND, TEXT_PREFIX, is_unit_id

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
