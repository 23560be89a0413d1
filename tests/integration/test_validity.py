"""The validity report (`taitotaso validity report`, the authoring service's validity page):
machine and coach agreement, the latest calibration's flags, exposure, test length, SEM
and provisional items, from real tests on SQLite and PostgreSQL; admins only."""
from __future__ import annotations

import json

import numpy as np
import pytest

from services import calibration, validity
from services.authoring.app import create_app as authoring_app
from services.common.accounts import create_staff
from services.scoring.orm import ScoreReview
from services.testing.app import create_app as testing_app

from .conftest import KEYS, Taker

PASSWORD = "hyvä-salasana-42"
# (kind, machine level, coach level)
REVIEWS = [("writing", "B1", "B1"), ("writing", "B1", "B2"), ("writing", "A2", "B2"),
           ("writing", "C1", "C1"), ("speech", "A2", "A2"), ("speech", "B2", "B1")]


@pytest.fixture
def world(config):
    tapp = testing_app(config)
    db = tapp.extensions["taitotaso.resources"].db
    client = tapp.test_client()
    rng = np.random.default_rng(3)
    for _ in range(6):
        Taker(client).finish(choose=lambda item: KEYS[item["id"]] if rng.random() < 0.6 else
                             (next((c["id"] for c in item.get("choices", []) if c["id"] != KEYS[item["id"]]),
                                   None) or ([""] * item["max_score"] if item["kind"] == "c_test" else "en tiedä")))
    with db.session() as s:
        for kind, machine, coach in REVIEWS:
            s.add(ScoreReview(kind=kind, answer="…", machine={"cefr": machine}, confidence=0.4,
                              status="reviewed", reviewed_cefr=coach, reviewer="coach@example.fi"))
        s.add(ScoreReview(kind="writing", answer="…", machine={"cefr": "A1"}, confidence=0.3,
                          status="open"))
    aapp = authoring_app(config)
    create_staff(db, "anna.admin@example.fi", "Anna Admin", ["admin"], PASSWORD)
    create_staff(db, "aino.author@example.fi", "Aino Author", ["author"], PASSWORD)
    yield db, config, aapp
    aapp.extensions["taitotaso.resources"].db.dispose()
    db.dispose()


def signed_in(app, email):
    client = app.test_client()
    r = client.post("/api/v1/auth/sign-in", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.json
    return client


def test_the_report_counts_what_happened(world):
    db, config, _app = world
    before = validity.report(db, config)
    assert before["calibration"] is None
    calibration.run(db, mode="free", min_n=2, apply=True)
    out = validity.report(db, config)
    w, sp, both = (out["agreement"][k] for k in ("writing", "speaking", "all"))
    assert (w["reviewed"], sp["reviewed"], both["reviewed"]) == (4, 2, 6)   # open reviews left out
    assert w["exact"] == 0.5 and w["adjacent"] == 0.75 and w["coach_higher"] == 2
    assert sp["exact"] == 0.5 and sp["coach_lower"] == 1
    assert both["qwk"] == pytest.approx(validity.quadratic_weighted_kappa(
        [2, 2, 1, 4, 1, 3], [2, 3, 3, 4, 1, 2]), abs=1e-4)
    assert out["exposure"]["tests"] == out["length"]["tests"] == out["sem"]["tests"] == 6
    assert 0 < out["exposure"]["max_rate"] <= 1
    assert out["exposure"]["live_items"] > out["exposure"]["never_shown"] > 0
    assert 0 <= out["length"]["max_length_share"] <= 1
    assert sum(out["length"]["stop_reasons"].values()) == pytest.approx(1.0, abs=1e-3)
    assert sum(b["share"] for b in out["sem"]["bins"]) == pytest.approx(1.0, abs=1e-3)
    assert out["sem"]["p10"] <= out["sem"]["median"] <= out["sem"]["p90"]
    cal = out["calibration"]
    assert cal["mode"] == "free" and cal["persons"] == 6 and cal["applied"] > 0
    items = out["items"]
    assert items["live"] == before["items"]["live"]
    assert items["provisional"] == before["items"]["provisional"] - cal["applied"]
    kinds = out["kinds"]
    assert kinds["tests"] == 6 and kinds["blueprint"]
    assert sum(kinds["share"].values()) == pytest.approx(1.0, abs=1e-3)
    assert sum(kinds["design"].values()) == pytest.approx(1.0, abs=1e-3)
    # every kind the blueprint names was served, and no live adaptive kind was left out
    assert set(kinds["design"]) <= set(kinds["share"]) and kinds["never_served"] == []
    json.dumps(out)   # all of it is JSON


def test_only_admins_see_the_page(world):
    db, _config, app = world
    calibration.run(db, mode="free", min_n=2, apply=True)
    admin = signed_in(app, "anna.admin@example.fi")
    page = admin.get("/validity", headers={"Accept-Language": "en"})   # the headings in English
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for heading in ("Machine and coach agreement", "Latest calibration", "Exposure", "Test length",
                    "Precision", "Provisional items", "What the tests are made of"):
        assert heading in html
    assert 'id="agreement"' in html and 'id="calibration"' in html and 'id="sem"' in html
    assert 'id="kind-share"' in html and "Real word or not" in html and "Text with its questions" in html
    author = signed_in(app, "aino.author@example.fi")
    refused = author.get("/validity", headers={"Accept-Language": "en"})
    assert refused.status_code == 403
    assert "Only an admin can see the validity report" in refused.get_data(as_text=True)
    anonymous = app.test_client().get("/validity")
    assert anonymous.status_code == 302 and "sign-in" in anonymous.headers["Location"]


def test_the_cli_prints_the_report_as_json(world, monkeypatch, capsys):
    from services.cli import main

    _db, config, _app = world
    monkeypatch.setenv("DATABASE_URL", config.database_url)
    monkeypatch.setenv("TAITOTASO_VAR_DIR", str(config.var_dir))
    assert main(["validity", "report", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["agreement"]["all"]["reviewed"] == 6 and out["exposure"]["tests"] == 6
    assert main(["validity", "report"]) == 0
    printed = capsys.readouterr().out
    assert "machine vs coach, writing: 4 reviewed" in printed
    assert "kinds served over 6 tests" in printed and "yes_no" in printed


# -- each part from its owner, through the authoring service's ports ------------------------
TESTING_SECRET = "authoring-secret-for-the-testing-figures-0123456"
SCORING_SECRET = "authoring-secret-for-the-scoring-agreement-01234"
NOBODY_THERE = "http://127.0.0.1:9"   # the discard port: nothing listens


def serve(app):
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def owners(world):
    """The testing and scoring services on real ports, with the authoring service (and, for
    scoring, an API client that may only send answers) among their callers."""
    from dataclasses import replace

    from services.scoring.app import create_app as scoring_app

    _db, config, _app = world
    apps = [testing_app(replace(config, testing_clients={"authoring": TESTING_SECRET})),
            scoring_app(replace(config, scoring_clients={"authoring": SCORING_SECRET,
                                                         "coach-tool": "an-api-client-secret-0123456789"}))]
    servers = [serve(a) for a in apps]
    yield type("Owners", (), {"testing": apps[0], "scoring": apps[1],
                              "testing_url": servers[0][1], "scoring_url": servers[1][1]})
    for server, _url in servers:
        server.shutdown()
        server.server_close()
    for a in apps:
        a.extensions["taitotaso.resources"].db.dispose()


def test_the_http_adapters_say_what_the_in_process_ones_say(world, owners):
    from dataclasses import replace

    from services.adapters.scoring import InProcessScoringFigures
    from services.adapters.testing import InProcessTestFigures
    from services.authoring.ports import (HttpScoringFigures, HttpTestFigures,
                                          scoring_figures_for, test_figures_for)

    db, config, _app = world
    local_t, remote_t = InProcessTestFigures(db), HttpTestFigures(owners.testing_url, TESTING_SECRET)
    for rate in (config.max_exposure_rate, 0.05, 1.0):
        assert remote_t.figures(rate) == local_t.figures(rate)
    assert local_t.figures(0.25)["exposure"]["tests"] == 6
    local_s = InProcessScoringFigures(db)
    remote_s = HttpScoringFigures(owners.scoring_url, SCORING_SECRET)
    assert remote_s.agreement() == local_s.agreement()
    assert list(remote_s.agreement()) == ["writing", "speaking", "all"]
    assert local_s.agreement()["all"]["reviewed"] == 6
    apart = replace(config, testing_url=owners.testing_url, testing_secret=TESTING_SECRET,
                    scoring_url=owners.scoring_url, scoring_secret=SCORING_SECRET)
    assert isinstance(test_figures_for(apart, db), HttpTestFigures)
    assert isinstance(scoring_figures_for(apart, db), HttpScoringFigures)
    assert isinstance(test_figures_for(config, db), InProcessTestFigures)
    assert isinstance(scoring_figures_for(config, db), InProcessScoringFigures)
    # the whole report is the same either way
    assert validity.report(db, apart) == validity.report(db, config)
    assert validity.report(db, config)["unavailable"] == []


def test_only_the_suites_services_get_the_figures(owners):
    testing, scoring = owners.testing.test_client(), owners.scoring.test_client()
    figures = "/api/v1/testing/figures?max_exposure_rate=0.25"
    agreement = "/api/v1/scoring/records/agreement"
    for headers in ({}, {"Authorization": "Bearer not-the-secret"}):
        r = testing.get(figures, headers=headers)
        assert r.status_code == 401 and "TAITOTASO_TESTING_CLIENTS" in r.json["message"]
        assert testing.get("/api/v1/testing/figures?max_exposure_rate=x",
                           headers=headers).status_code == 401
        assert scoring.get(agreement, headers=headers).status_code == 401
    # an API client that may send answers to be scored reads no agreement
    assert scoring.get(agreement, headers={
        "Authorization": "Bearer an-api-client-secret-0123456789"}).status_code == 403
    # the authoring service reads the agreement figures, not the reviews or answers behind them
    authoring = {"Authorization": f"Bearer {SCORING_SECRET}"}
    assert scoring.get(agreement, headers=authoring).status_code == 200
    r = scoring.post("/api/v1/scoring/records/reviews/search", json={}, headers=authoring)
    assert r.status_code == 403 and "agreement figures" in r.json["message"]
    ok = {"Authorization": f"Bearer {TESTING_SECRET}"}
    assert testing.get(figures, headers=ok).status_code == 200
    for bad in ("", "?max_exposure_rate=2", "?max_exposure_rate=x", "?max_exposure_rate=0.2&x=1"):
        r = testing.get("/api/v1/testing/figures" + bad, headers=ok)
        assert r.status_code == 422 and r.json["errors"]
    r = scoring.get(agreement, headers={"Authorization": f"Bearer {SCORING_SECRET}"})
    assert r.status_code == 200 and r.json["all"]["reviewed"] == 6


def test_with_a_service_away_the_page_shows_the_rest_and_says_what_is_missing(world):
    from dataclasses import replace

    db, config, _app = world
    away = replace(config, testing_url=NOBODY_THERE, testing_secret=TESTING_SECRET,
                   scoring_url=NOBODY_THERE, scoring_secret=SCORING_SECRET)
    out = validity.report(db, away)
    assert out["unavailable"] == ["scoring", "testing"]
    assert out["agreement"] is None and out["exposure"] is None and out["kinds"] is None
    assert out["items"]["live"] > 0
    app = authoring_app(away)
    try:
        page = signed_in(app, "anna.admin@example.fi").get("/validity",
                                                           headers={"Accept-Language": "en"})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'id="agreement-unavailable"' in html and 'id="exposure-unavailable"' in html
        assert "The scoring service cannot be reached now" in html
        assert "The testing service cannot be reached now" in html
        assert 'id="provisional"' in html and "Latest calibration" in html
        fi = signed_in(app, "anna.admin@example.fi").get("/validity",
                                                         headers={"Accept-Language": "fi"})
        assert "The testing service cannot be reached now" not in fi.get_data(as_text=True)
    finally:
        app.extensions["taitotaso.resources"].db.dispose()
