"""The calibration loop through the testing service (services.calibration_loop): simulated
job seekers' answers land in a real SQLite database, `calibrate --apply` publishes a new
bank version, and the next tests are given on it."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import func, select

from item_bank.content import load_content
from item_bank.orm import CalibrationRun, ItemRow
from services.calibration_loop import (AnswerBook, LoopSettings, calibration_loop, make_world,
                                       open_database)
from services.cli import main
from services.testing.orm import SessionItem, TestSession

ITEMS = load_content()


def test_every_item_gets_answers_that_score_as_drawn(voikko):
    from scoring.adapters.voikko import VoikkoAnalyzer
    from scoring.objective import score

    world = make_world(ITEMS, seed=2, truth={"b_sd": 0.5, "a_logsd": 0.3, "shift": 0.3},
                       anchors=0.2, pretest=0.05, block_sd=0.3)
    analyzer = VoikkoAnalyzer()
    book = AnswerBook(world.items, analyzer)
    rng = np.random.default_rng(1)
    for item in world.items:
        if item.id not in world.truth or item.kind == "writing_task":
            continue
        for k in range(item.max_score + 1):
            assert score(item, book.answer(item.id, k, rng), analyzer) == k, (item.id, k)
    # anchors answer from their own parameters; the others from the perturbed truth
    anchor = next(iter(sorted(world.anchors)))
    by_id = {i.id: i for i in world.items}
    assert world.truth[anchor].b == by_id[anchor].irt.b
    moved = [i for i in world.truth if i not in world.anchors]
    assert np.mean([world.truth[i].b - by_id[i].irt.b for i in moved]) == pytest.approx(0.3, abs=0.1)
    assert all(by_id[i].status == "reviewed" for i in world.pretest)
    assert all(by_id[i].irt.calibrated for i in world.anchors)


def test_answers_land_in_the_database_and_the_next_tests_use_the_new_bank(tmp_path):
    settings = LoopSettings(checkpoints=[24], examinees=5, seed=3, min_n=5, anchors=0.3,
                            truth={"b_sd": 0.4, "a_logsd": 0.2, "shift": 0.4})
    out = calibration_loop(ITEMS, settings, workdir=tmp_path)
    for name in ("before", "oracle"):
        assert set(out[name]) >= {"rmse", "bias", "cefr_exact", "cefr_adjacent", "mean_items"}
        assert out[name]["examinees"] == 5
    point = out["curve"][0]
    cal = point["calibration"]
    assert cal["mode"] == "anchored" and cal["persons"] == 24 and cal["anchors"] > 0
    assert cal["applied"] > 0 and cal["bank_version_after"] != cal["bank_version_before"]
    assert cal["seconds"] > 0
    # the training database holds the 24 tests' answers, pretest answers among them
    train = open_database(tmp_path / "train.db")
    with train.session() as s:
        assert s.scalar(select(func.count()).select_from(TestSession)
                        .where(TestSession.status == "finished")) == 24
        assert s.scalar(select(func.count()).select_from(SessionItem).where(SessionItem.pretest)) > 0
    train.dispose()
    # the calibrated copy: the run is kept, and the evaluation tests after it used the new version
    scratch = open_database(tmp_path / "scratch.db")
    with scratch.session() as s:
        run = s.scalars(select(CalibrationRun)).one()
        assert run.bank_version_after == cal["bank_version_after"]
        versions = s.scalars(select(TestSession.bank_version)).all()
        assert versions.count(cal["bank_version_after"]) == 5
        calibrated = s.scalars(select(ItemRow).where(ItemRow.status == "live")).all()
        assert sum((r.irt.get("calibrated") or {}).get("mode") == "anchored" for r in calibrated) == cal["applied"] \
            - sum(1 for r in s.scalars(select(ItemRow).where(ItemRow.status == "reviewed")).all()
                  if (r.irt.get("calibrated") or {}).get("mode") == "anchored")
    scratch.dispose()
    assert point["after"]["examinees"] == 5


def test_the_cli_prints_before_after_and_oracle(capsys):
    assert main(["simulate", "--bank", "seed", "--truth", "perturbed:b_sd=0.3,shift=0.3",
                 "--recalibrate-after", "12", "--examinees", "3", "--calibrate-min-n", "4",
                 "--seed", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for name in ("before", "after", "oracle"):
        assert {"rmse", "bias", "cefr_exact", "cefr_adjacent", "mean_items"} <= set(out[name])
    assert out["calibration"]["persons"] == 12 and out["config"]["calibration_mode"] == "anchored"


@pytest.mark.parametrize("argv, message", [
    (["--bank", "synthetic:50", "--recalibrate-after", "10"], "needs --bank seed"),
    (["--recalibrate-after", "0"], "must be at least 1"),
    (["--recalibrate-after", "5", "--anchors", "0", "--calibration-mode", "anchored"], "trusted items"),
    (["--recalibrate-after", "5", "--truth", "perturbed:tilt=1"], "unknown truth parameter"),
])
def test_bad_loop_settings_say_what_to_change(argv, message, capsys):
    assert main(["simulate", *argv]) == 2
    assert message in capsys.readouterr().err
