"""`taitotaso calibrate`: item parameters from the answers logged in finished tests.

Reads every answered item version of finished sessions (operational and pretest), builds
the persons x items matrix, and calibrates with ``item_bank.calibration`` (2PL and the
graded response model by marginal maximum likelihood). Two modes:

* ``free``: every item is estimated, the ability scale set by N(0, 1) (first calibration).
* ``anchored``: live items that have been calibrated keep their parameters and fix the
  scale; the others (pretest items, new versions) are estimated onto it.

With ``--apply`` the estimates of items with enough answers are written into the items'
IRT parameters (content and version stay; sessions keep the values they were given).
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime, timezone

import numpy as np
from sqlalchemy import select

from item_bank.calibration import calibrate
from item_bank.orm import ItemRow
from item_bank.repository import ItemRepository

from .testing.orm import SessionItem, TestSession


def load_responses(db):
    """(matrix, item keys, row per item, person languages) from finished sessions."""
    with db.session() as s:
        rows = s.execute(
            select(SessionItem.session_id, SessionItem.item_id, SessionItem.item_version,
                   SessionItem.score, TestSession.ui_language)
            .join(TestSession, TestSession.id == SessionItem.session_id)
            .where(TestSession.status == "finished", SessionItem.answer.is_not(None))).all()
        items = {(r.id, r.version): r for r in s.scalars(select(ItemRow)).all()}
    persons = sorted({r.session_id for r in rows})
    keys = sorted({(r.item_id, r.item_version) for r in rows})
    p_index = {p: i for i, p in enumerate(persons)}
    k_index = {k: j for j, k in enumerate(keys)}
    matrix = np.full((len(persons), len(keys)), np.nan)
    language = {}
    for r in rows:
        matrix[p_index[r.session_id], k_index[(r.item_id, r.item_version)]] = r.score
        language[r.session_id] = r.ui_language
    return matrix, keys, items, np.array([language[p] for p in persons])


def run(db, mode: str | None = None, min_n: int = 100, apply: bool = False, dif_reference="fi",
        progress=None) -> dict:
    matrix, keys, rows, languages = load_responses(db)
    if not keys:
        raise ValueError("no answers from finished tests yet: nothing to calibrate")
    specs = []
    for key in keys:
        irt = rows[key].irt
        if irt.get("model") == "grm":
            specs.append(("grm", len(irt.get("thresholds", [])) + 1))
        else:
            specs.append("2pl")
    anchored_any = any(rows[k].status == "live" and rows[k].irt.get("calibrated") for k in keys)
    mode = mode or ("anchored" if anchored_any else "free")
    anchors = None
    if mode == "anchored":
        anchors = {}
        for j, key in enumerate(keys):
            irt = rows[key].irt
            if rows[key].status == "live" and irt.get("calibrated"):
                anchors[j] = ({"a": irt["a"], "b": irt["thresholds"]} if irt.get("model") == "grm"
                              else {"a": irt["a"], "b": irt["b"]})
        if not anchors:
            raise ValueError("anchored calibration needs live items that have been calibrated: "
                             "run a free calibration first (--mode free)")
    counts = Counter(languages.tolist())
    others = [lang for lang, _ in counts.most_common() if lang != dif_reference]
    focal = others[0] if others and counts.get(dif_reference) else None
    result = calibrate(matrix, specs, anchors=anchors, progress=progress,
                       groups=languages if focal else None,
                       reference=dif_reference if focal else None, focal=focal)
    report_items = []
    applied = 0
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    updates = {}
    for est, key in zip(result.items, keys):
        row = {"id": key[0], "version": key[1], "status": rows[key].status, "model": est.model,
               "n": est.n, "a": _r(est.a), "se_a": _r(est.se_a), "b": [_r(b) for b in est.b],
               "se_b": [_r(b) for b in est.se_b], "anchored": est.anchored,
               "fit_p": _r(est.fit.p_value) if est.fit else None,
               "dif_delta": _r(est.dif.delta_mh) if est.dif else None,
               "dif_class": est.dif.ets_class if est.dif else None}
        report_items.append(row)
        if apply and not est.anchored and est.n >= min_n and math.isfinite(est.a):
            irt = ({"a": est.a, "b": float(np.mean(est.b)), "c": 0.0, "model": "grm",
                    "thresholds": list(est.b)} if est.model == "grm" else
                   {"a": est.a, "b": est.b[0], "c": 0.0, "model": "3pl"})
            irt["calibrated"] = {"at": now, "n": est.n, "mode": mode, "se_a": _r(est.se_a),
                                 "se_b": [_r(b) for b in est.se_b]}
            updates[key] = irt
    if updates:
        with db.session() as s:
            for (item_id, version), irt in updates.items():
                s.get(ItemRow, (item_id, version)).irt = irt
            s.flush()
            ItemRepository(s)._touch()
        applied = len(updates)
    return {"mode": mode, "persons": int(matrix.shape[0]), "items": len(keys),
            "converged": result.converged, "iterations": result.iterations,
            "loglik": _r(result.loglik), "latent_mean": _r(result.latent_mean),
            "latent_sd": _r(result.latent_sd), "dif_groups": [dif_reference, focal] if focal else None,
            "applied": applied, "min_n": min_n, "item_estimates": report_items}


def _r(x, digits=4):
    if x is None:
        return None
    x = float(x)
    return round(x, digits) if math.isfinite(x) else None


__all__ = ["run", "load_responses", "defaultdict"]
