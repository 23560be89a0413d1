"""Pretest items ride along unscored in live tests; `taitotaso calibrate` estimates item
parameters from finished tests, freely at first, then anchored on calibrated live items."""
from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select, update

from assessment import irt
from item_bank.assembly import is_block_id
from item_bank.orm import ItemRow
from services import calibration
from services.testing.orm import SessionItem

from .conftest import ITEMS, KEYS, Taker

BY_ID = {i.id: i for i in ITEMS}


def simulee(theta, rng):
    """Answers like a person of ability theta under the items' current parameters."""
    def choose(item):
        it = BY_ID[item["id"]]
        if it.kind == "writing_task":
            return KEYS[item["id"]] if theta > 0 else "Minä olen."
        if it.kind in ("dictation", "c_test"):
            p = irt.icc(theta, it.irt.a, it.irt.b)
        else:
            p = irt.icc(theta, it.irt.a, it.irt.b, it.irt.c)
        if rng.random() < p:
            return KEYS[item["id"]]
        if item["kind"] in ("cloze", "dictation", "sentence_building", "writing_task"):
            return "en tiedä"
        if item["kind"] == "c_test":
            assert "max_score" in item, item
            return [""] * item["max_score"]
        return next(c["id"] for c in item["choices"] if c["id"] != KEYS[item["id"]])
    return choose


@pytest.fixture
def pretest_ids(app):
    db = app.extensions["taitotaso.resources"].db
    chosen = [i.id for i in ITEMS if i.kind == "cloze" and i.cefr == "B1"][:3]
    with db.session() as s:
        s.execute(update(ItemRow).where(ItemRow.id.in_(chosen)).values(status="reviewed"))
    return chosen


def test_pretest_then_free_then_anchored_calibration(app, client, pretest_ids):
    db = app.extensions["taitotaso.resources"].db
    rng = np.random.default_rng(5)
    for theta in rng.normal(0, 1, 24):
        t = Taker(client)
        t.finish(choose=simulee(theta, rng))
        res = t.result().json
        with db.session() as s:
            rows = s.scalars(select(SessionItem).where(SessionItem.session_id == t.id)).all()
        pre = [r for r in rows if r.pretest]
        assert 1 <= len(pre) <= 2 and all(r.item_id in pretest_ids for r in pre)
        # pretest answers never count (a block of yes/no words counts as one scored item)
        units = {r.testlet_id if is_block_id(r.testlet_id) else r.item_id for r in rows if not r.pretest}
        assert 1 <= res["n_items"] <= len(units)

    with pytest.raises(ValueError, match="free calibration first"):
        calibration.run(db, mode="anchored")
    free = calibration.run(db, mode="free", min_n=5, apply=True)
    assert free["mode"] == "free" and free["persons"] == 24 and free["applied"] > 0
    estimates = {(r["id"], r["version"]): r for r in free["item_estimates"]}
    assert all(r["n"] >= 1 and (r["a"] is None or r["a"] > 0) for r in estimates.values())
    with db.session() as s:
        calibrated = s.scalars(select(ItemRow).where(ItemRow.status == "live")).all()
        assert any(r.irt.get("calibrated", {}).get("n", 0) >= 5 for r in calibrated)

    anchored = calibration.run(db, min_n=5)
    assert anchored["mode"] == "anchored"
    rows = {r["id"]: r for r in anchored["item_estimates"]}
    assert any(r["anchored"] for r in rows.values())
    for item_id in pretest_ids:
        if item_id in rows:
            assert rows[item_id]["anchored"] is False  # estimated onto the anchors' scale


def test_calibrate_without_answers_says_so(app):
    with pytest.raises(ValueError, match="no answers from finished tests"):
        calibration.run(app.extensions["taitotaso.resources"].db)


def test_a_run_is_kept_with_its_flags_and_the_bank_version_it_made(app, client):
    db = app.extensions["taitotaso.resources"].db
    rng = np.random.default_rng(8)
    for theta in rng.normal(0, 1, 12):
        Taker(client).finish(choose=simulee(theta, rng))
    assert calibration.latest_run(db) is None
    report = calibration.run(db, mode="free", min_n=3, apply=True)
    assert report["applied"] > 0 and report["seconds"] > 0
    assert report["bank_version_after"] != report["bank_version_before"]
    kept = calibration.latest_run(db)
    assert kept["run_id"] == report["run_id"] and kept["mode"] == "free"
    assert len(kept["item_estimates"]) == report["items"]
    by_id = {r["id"]: r for r in kept["item_estimates"]}
    mc = next(r for r in by_id.values() if r["kind"] == "multiple_choice")
    assert mc["model"] == "3pl"            # guessing kept as the item's own, not estimated
    assert all(set(r["flags"]) <= {"misfit", "drift"} for r in by_id.values())
    with db.session() as s:
        row = s.scalars(select(ItemRow).where(ItemRow.id == mc["id"])).first()
        # applied when it had enough answers and its estimate is inside the bounds (an
        # estimate at a bound keeps the item's parameters until more answers come)
        if mc["n"] >= 3 and mc["interior"]:
            assert row.irt["c"] > 0 and row.irt["calibrated"]["mode"] == "free"
        else:
            assert "calibrated" not in row.irt
    with pytest.raises(ValueError, match="mode"):
        calibration.run(db, mode="sideways")


def test_items_still_provisional_move_by_the_offset_of_the_calibrated_ones(app, client):
    """Answers from a bank whose items are all 0.6 logits harder than their CEFR targets:
    the calibrated items show it, and the items without enough answers move with them."""
    db = app.extensions["taitotaso.resources"].db
    rng = np.random.default_rng(12)
    for theta in rng.normal(-0.6, 1, 30):      # easier items for these persons = harder items
        Taker(client).finish(choose=simulee(theta, rng))
    with db.session() as s:
        before = {(r.id, r.version): dict(r.irt) for r in s.scalars(select(ItemRow)).all()}
    report = calibration.run(db, mode="free", min_n=4, apply=True)
    offsets = report["provisional_offsets"]
    assert offsets and offsets["*"] > 0 and report["provisional_shifted"] > 0
    with db.session() as s:
        rows = s.scalars(select(ItemRow).where(ItemRow.status == "live")).all()
        moved = [r for r in rows if r.irt.get("provisional_shift")]
        estimated = [r for r in moved if r.irt.get("provisional_estimate")]
        assert len(moved) - len(estimated) == report["provisional_shifted"]
        assert len(estimated) == report["provisional_estimated"]
        for r in moved:
            assert not r.irt.get("calibrated")
            shift = offsets.get(r.kind, offsets["*"])
            assert r.irt["b"] == pytest.approx(before[(r.id, r.version)]["b"]
                                               + r.irt["provisional_shift"], abs=1e-3)
            if r.irt.get("provisional_estimate"):
                # its own answers (too few to calibrate, or its estimate at a bound) moved
                # it from the offset
                est = r.irt["provisional_estimate"]
                assert est["n"] >= 4 and est["prior"]["offset"] == pytest.approx(shift, abs=1e-3)
                assert est["target_a"] == pytest.approx(before[(r.id, r.version)]["a"])
            else:
                assert r.irt["provisional_shift"] == pytest.approx(shift, abs=1e-3)
        assert not any(r.irt.get("provisional_shift") for r in rows if r.kind == "read_aloud")
    # a second run moves them to the new offset, not by it again
    again = calibration.run(db, mode="free", min_n=4, apply=True)
    with db.session() as s:
        for r in s.scalars(select(ItemRow).where(ItemRow.status == "live")).all():
            if r.irt.get("provisional_shift") and not r.irt.get("calibrated"):
                target = before[(r.id, r.version)]["b"]
                assert r.irt["b"] == pytest.approx(target + r.irt["provisional_shift"], abs=1e-3)
    assert "provisional_offsets" in again


def test_items_with_too_few_answers_get_an_estimate_and_the_bank_still_serves(app, client):
    """Items with some answers, too few to calibrate, get an empirical-Bayes estimate:
    provisional, recorded with its n and prior; the calibrated ones keep their own
    maximum-likelihood values beside theirs; and the testing service loads the new bank
    version and serves a whole test from it."""
    db = app.extensions["taitotaso.resources"].db
    rng = np.random.default_rng(12)
    for theta in rng.normal(-0.6, 1, 30):
        Taker(client).finish(choose=simulee(theta, rng))
    report = calibration.run(db, mode="free", min_n=5, apply=True, estimate_min_n=2)
    assert report["applied"] > 0 and report["provisional_estimated"] > 0
    assert report["kind_priors"]["*"]["sd"] is not None
    with db.session() as s:
        estimated = [r for r in s.scalars(select(ItemRow)).all() if r.irt.get("provisional_estimate")]
        assert len(estimated) == report["provisional_estimated"]
        for r in estimated:
            est = r.irt["provisional_estimate"]
            assert not r.irt.get("calibrated") and 2 <= est["n"] < 5
            # its difficulty lies between its kind's prior and its own answers' estimate
            row = next(x for x in report["item_estimates"] if x["id"] == r.id)
            prior = est["target_b"] + est["prior"]["offset"]
            own = sum(row["b"]) / len(row["b"])
            b = (sum(r.irt["thresholds"]) / len(r.irt["thresholds"]) if r.irt.get("thresholds")
                 else r.irt["b"])
            assert min(prior, own) - 1e-3 <= b <= max(prior, own) + 1e-3
        calibrated = [r for r in s.scalars(select(ItemRow)).all() if r.irt.get("calibrated")]
        assert calibrated and all("estimate_b" in r.irt["calibrated"]["prior"] for r in calibrated
                                  if r.kind not in ("read_aloud", "speaking_prompt"))
    served = Taker(client).finish()          # the service reloads the bank and serves from it
    assert served and Taker(client).result().status_code in (200, 409)
