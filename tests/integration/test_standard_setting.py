"""Standard setting by the bookmark method in the authoring service: an admin makes a
study, a panel places bookmarks in two rounds and sees each round's feedback and impact,
the admin publishes the cut scores, and tests started afterwards use (and record) them.
On SQLite and on the real PostgreSQL and Redis."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from assessment.standard_setting import bookmark_cut, impact_shares
from services.authoring.app import create_app
from services.common.accounts import create_staff
from services.testing.app import create_app as make_testing_app
from services.testing.impact import recent_thetas
from services.testing.orm import TestSession

from .conftest import Taker, csrf

PASSWORD = "oikea-salasana-1"
API = "/api/v1/standard-setting"


@pytest.fixture
def app(config):
    application = create_app(config)
    yield application
    application.extensions["taitotaso.resources"].db.dispose()


@pytest.fixture
def db(app):
    return app.extensions["taitotaso.resources"].db


@pytest.fixture
def people(db):
    return {"admin": create_staff(db, "anna.admin@example.fi", "Anna Admin", ["admin"], PASSWORD),
            "pia": create_staff(db, "pia.panelist@example.fi", "Pia Panelist", ["panelist"], PASSWORD),
            "riku": create_staff(db, "riku.reviewer@example.fi", "Riku Reviewer", ["reviewer"], PASSWORD),
            "outi": create_staff(db, "outi.outsider@example.fi", "Outi Outsider", ["panelist"], PASSWORD),
            "aino": create_staff(db, "aino.author@example.fi", "Aino Author", ["author"], PASSWORD)}


def signed_in(app, person):
    client = app.test_client()
    r = client.post("/api/v1/auth/sign-in", json={"email": person.email, "password": PASSWORD})
    assert r.status_code == 200, r.json
    return client


@pytest.fixture
def clients(app, people):
    return {name: signed_in(app, person) for name, person in people.items()}


def error_shape(r, code):
    assert r.status_code == code, (r.status_code, r.get_data(as_text=True)[:600])
    assert r.is_json and r.json["code"] == code and r.json["message"] and r.json["status"]
    return r.json


def make_study(clients, people, **extra):
    body = {"name": "Syksyn paneeli", "boundaries": ["A2", "B1", "B2"],
            "panelists": [people["pia"].id, people["riku"].id], "max_pages": 30, **extra}
    r = clients["admin"].post(f"{API}/studies", json=body)
    assert r.status_code == 201, r.json
    return r.json


def page_for(locations, theta):
    """The bookmark page whose cut (the page before it) is nearest ``theta``."""
    return min(range(2, len(locations) + 1), key=lambda k: abs(locations[k - 2] - theta))


def submit(client, study_id, marks):
    return client.put(f"{API}/studies/{study_id}/bookmarks", json={"bookmarks": marks, "submit": True})


def test_a_panel_sets_the_cut_scores_in_two_rounds_and_new_tests_use_them(config, app, db, people,
                                                                           clients):
    fast = dataclasses.replace(config, bank_check_seconds=0)
    testing = make_testing_app(fast)
    before = Taker(testing.test_client())
    before.finish()
    Taker(testing.test_client()).finish()
    thetas = recent_thetas(db)
    assert len(thetas) == 2

    study = make_study(clients, people)
    sid, booklet = study["id"], study["booklet"]
    assert len(booklet) == 30 and study["round"] == 1 and study["status"] == "open"
    locations = [p["location"] for p in booklet]
    assert locations == sorted(locations) and len(set(locations)) == len(locations)
    assert [b["name"] for b in study["boundaries"]] == ["A1/A2", "A2/B1", "B1/B2"]
    # the panel's bookmarks near the shipped cuts: Pia a little lower, Riku a little higher
    pia1 = {lvl: page_for(locations, t - 0.2) for lvl, t in (("A2", -1.5), ("B1", -0.5), ("B2", 0.5))}
    riku1 = {lvl: page_for(locations, t + 0.2) for lvl, t in (("A2", -1.5), ("B1", -0.5), ("B2", 0.5))}
    assert all(pia1[b] < riku1[b] for b in pia1)

    # each panelist sees only the studies they sit on
    assert [s["id"] for s in clients["pia"].get(f"{API}/studies").json["studies"]] == [sid]
    assert clients["outi"].get(f"{API}/studies").json["studies"] == []
    error_shape(clients["outi"].get(f"{API}/studies/{sid}"), 404)
    error_shape(clients["outi"].get(f"{API}/studies/{sid}/booklet/1"), 404)
    # a page of the booklet: the item with its key, at its location
    page = clients["pia"].get(f"{API}/studies/{sid}/booklet/3").json
    assert page["item"]["id"] == booklet[2]["item_id"] and page["location"] == booklet[2]["location"]
    assert "key" in page["item"]

    # round 1
    assert submit(clients["pia"], sid, pia1).status_code == 200
    assert submit(clients["riku"], sid, riku1).status_code == 200
    view = clients["admin"].get(f"{API}/studies/{sid}").json
    assert view["submitted"] == 2 and [p["name"] for p in view["panel"]] == ["Pia Panelist", "Riku Reviewer"]
    # before the round closes nobody sees the others' bookmarks
    assert clients["pia"].get(f"{API}/studies/{sid}").json["rounds"][0]["summary"] is None
    closed = clients["admin"].post(f"{API}/studies/{sid}/close")
    assert closed.status_code == 200, closed.json

    pia_view = clients["pia"].get(f"{API}/studies/{sid}").json
    assert [p["name"] for p in pia_view["panel"]] == [None, None]  # anonymised
    feedback = pia_view["rounds"][0]["summary"]
    b1 = next(b for b in feedback["boundaries"] if b["boundary"] == "B1")
    assert [(m["seat"], m["page"], m["mine"]) for m in b1["bookmarks"]] == [(1, pia1["B1"], True), (2, riku1["B1"], False)]
    cuts = [bookmark_cut(locations, pia1["B1"]), bookmark_cut(locations, riku1["B1"])]
    assert b1["median"] == pytest.approx(sum(cuts) / 2, abs=1e-3)
    assert b1["iqr"] == pytest.approx((cuts[1] - cuts[0]) / 2, abs=2e-3)
    assert b1["sd"] == pytest.approx(abs(cuts[1] - cuts[0]) / 2 ** 0.5, abs=2e-3)
    impact = feedback["impact"]
    assert impact["n"] == 2
    assert impact["proposed"] == pytest.approx(impact_shares(thetas, feedback["cuts"]))
    assert impact["current"] == pytest.approx(impact_shares(thetas, feedback["current_cuts"]))
    assert feedback["current_version"] == "2026-11-provisional"
    # no bookmarks once the round is closed
    error_shape(submit(clients["pia"], sid, pia1), 409)

    # round 2 starts from each panelist's round-1 bookmarks
    assert clients["admin"].post(f"{API}/studies/{sid}/rounds").status_code == 201
    pia_view = clients["pia"].get(f"{API}/studies/{sid}").json
    assert pia_view["round"] == 2 and pia_view["my_bookmarks"] == pia1
    assert pia_view["my_submitted_at"] is None
    assert submit(clients["pia"], sid, {"B1": riku1["B1"]}).status_code == 200  # the others kept
    assert submit(clients["riku"], sid, riku1).status_code == 200
    error_shape(clients["admin"].post(f"{API}/studies/{sid}/publish", json={}), 409)  # still open
    assert clients["admin"].post(f"{API}/studies/{sid}/close").status_code == 200
    summary2 = clients["admin"].get(f"{API}/studies/{sid}").json["rounds"][1]["summary"]
    b1 = next(b for b in summary2["boundaries"] if b["boundary"] == "B1")
    assert b1["median"] == pytest.approx(bookmark_cut(locations, riku1["B1"]), abs=1e-3) and b1["sd"] == 0

    published = clients["admin"].post(f"{API}/studies/{sid}/publish", json={"version": "2027-01-paneeli"})
    assert published.status_code == 201, published.json
    assert published.json["cuts"] == pytest.approx(summary2["cuts"])
    assert published.json["spread"]["B1"]["median"] == b1["median"]
    versions = clients["pia"].get(f"{API}/cut-scores").json
    assert versions["current"] == "2027-01-paneeli" and versions["shipped"]["version"] == "2026-11-provisional"
    error_shape(clients["admin"].post(f"{API}/studies/{sid}/publish", json={}), 409)  # done

    # tests started from now on use the published cut scores and say so; older ones keep theirs
    after = Taker(testing.test_client())
    after.finish()
    assert after.result().json["cut_scores_version"] == "2027-01-paneeli"
    assert before.result().json["cut_scores_version"] == "2026-11-provisional"
    with db.session() as s:
        stored = dict(s.execute(select(TestSession.id, TestSession.cut_scores_version)).all())
    assert stored[after.id] == "2027-01-paneeli" and stored[before.id] == "2026-11-provisional"
    engine_cuts = testing.extensions["taitotaso.testing"].cut_scores.get("2027-01-paneeli")
    assert engine_cuts.cuts[1] == pytest.approx(summary2["cuts"]["B1"])
    testing.extensions["taitotaso.resources"].db.dispose()


def test_only_admins_run_a_study_and_panelists_reach_no_item_bank(app, people, clients):
    study = make_study(clients, people)
    sid = study["id"]
    for name in ("pia", "riku"):
        error_shape(clients[name].post(f"{API}/studies", json={
            "name": "x", "boundaries": ["B1"], "panelists": [people["pia"].id, people["riku"].id]}), 403)
        error_shape(clients[name].post(f"{API}/studies/{sid}/close"), 403)
        error_shape(clients[name].post(f"{API}/studies/{sid}/rounds"), 403)
        error_shape(clients[name].post(f"{API}/studies/{sid}/publish", json={}), 403)
    # an admin not on the panel runs the study but places no bookmarks
    error_shape(submit(clients["admin"], sid, {"A2": 3}), 403)
    # a panelist has no item bank: its answer keys are not theirs to browse
    denied = error_shape(clients["pia"].get("/api/v1/items"), 403)
    assert "/standard-setting/" in denied["message"]
    assert clients["pia"].get("/items").status_code == 403
    # a reviewer may do both
    assert clients["riku"].get("/api/v1/items").status_code == 200
    # an author cannot sit on a panel or see studies
    error_shape(clients["aino"].get(f"{API}/studies/{sid}"), 404)


def test_bad_input_gets_a_4xx_with_a_message_never_a_500(app, people, clients):
    admin = clients["admin"]
    body = {"name": "Paneeli", "boundaries": ["B1"], "panelists": [people["pia"].id, people["riku"].id]}
    bad = error_shape(admin.post(f"{API}/studies", json={**body, "boundaries": ["X9"]}), 422)
    assert "boundaries" in bad["errors"]
    bad = error_shape(admin.post(f"{API}/studies", json={**body, "boundaries": ["C2"]}), 422)
    assert "no live items at C2" in bad["errors"]["boundaries"][0]
    bad = error_shape(admin.post(f"{API}/studies", json={**body, "panelists": [people["aino"].id,
                                                                               people["pia"].id]}), 422)
    assert "panelist or reviewer" in bad["errors"]["panelists"][0]
    bad = error_shape(admin.post(f"{API}/studies", json={**body, "panelists": [people["pia"].id]}), 422)
    assert "at least 2" in bad["errors"]["panelists"][0]
    error_shape(admin.post(f"{API}/studies", json={**body, "name": "   "}), 422)
    error_shape(admin.post(f"{API}/studies", json={**body, "extra": 1}), 422)
    error_shape(admin.post(f"{API}/studies", data="not json", content_type="text/plain"), 422)
    error_shape(admin.get(f"{API}/studies/999"), 404)

    study = make_study(clients, people)
    sid, locations = study["id"], [p["location"] for p in study["booklet"]]
    pia = clients["pia"]
    error_shape(pia.get(f"{API}/studies/{sid}/booklet/31"), 404)
    bad = error_shape(pia.put(f"{API}/studies/{sid}/bookmarks", json={"bookmarks": {"A2": 31}}), 422)
    assert bad["errors"]["A2"] == ["Choose a page of the booklet, 1–30."]
    bad = error_shape(pia.put(f"{API}/studies/{sid}/bookmarks", json={"bookmarks": {"C1": 3}}), 422)
    assert "A1/A2, A2/B1, B1/B2" in bad["errors"]["C1"][0]
    error_shape(pia.put(f"{API}/studies/{sid}/bookmarks", json={"bookmarks": {"A2": "x"}}), 422)
    error_shape(pia.put(f"{API}/studies/{sid}/bookmarks", json={"bookmarks": []}), 422)
    bad = error_shape(submit(pia, sid, {"A2": 9, "B1": 9}), 422)
    assert "must come after" in bad["errors"]["B1"][0] and "B2" in bad["errors"]
    # a round closes only with a submission; nothing opens while a round is open
    error_shape(clients["admin"].post(f"{API}/studies/{sid}/close"), 409)
    error_shape(clients["admin"].post(f"{API}/studies/{sid}/rounds"), 409)

    assert submit(pia, sid, {lvl: page_for(locations, t) for lvl, t in (("A2", -1.5), ("B1", -0.5),
                                                                     ("B2", 0.5))}).status_code == 200
    assert clients["admin"].post(f"{API}/studies/{sid}/close").status_code == 200
    error_shape(clients["admin"].post(f"{API}/studies/{sid}/publish",
                                      json={"version": "bad name!"}), 422)
    error_shape(clients["admin"].post(f"{API}/studies/{sid}/publish",
                                      json={"version": "2026-11-provisional"}), 409)
    assert clients["admin"].post(f"{API}/studies/{sid}/publish", json={"version": "v-1"}).status_code == 201
    # crossing medians cannot be published: another round is needed
    sid2 = make_study(clients, people, boundaries=["C1"])["id"]
    assert submit(pia, sid2, {"C1": 2}).status_code == 200  # far below the B2 cut
    assert clients["admin"].post(f"{API}/studies/{sid2}/close").status_code == 200
    bad = error_shape(clients["admin"].post(f"{API}/studies/{sid2}/publish", json={}), 409)
    assert "is not above" in bad["message"] and "Run another round" in bad["message"]


def test_the_pages_run_a_round_with_forms_and_show_the_feedback(app, people, clients):
    admin = clients["admin"]
    page = admin.get("/standard-setting/", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "New study" in page.text and "Pia Panelist" in page.text
    token = csrf(page.text)
    # a form with an error comes back with the message, not a 500
    r = admin.post("/standard-setting/", data={"_csrf": token, "name": "Kevät", "boundaries": ["B1"],
                                               "panelists": [str(people["pia"].id)], "max_pages": "20"},
                   headers={"Accept-Language": "en"})
    assert r.status_code == 422 and "Choose at least 2 panelists" in r.text
    r = admin.post("/standard-setting/", data={"_csrf": token, "name": "Kevät", "boundaries": ["B1"],
                                               "panelists": [str(people["pia"].id)], "max_pages": "lots"},
                   headers={"Accept-Language": "en"})
    assert r.status_code == 422 and "from 5 to 300" in r.text
    assert admin.post("/standard-setting/", data={"name": "x"}).status_code == 400  # no token
    r = admin.post("/standard-setting/", data={
        "_csrf": token, "name": "Kevät", "boundaries": ["A2", "B1"], "max_pages": "20",
        "panelists": [str(people["pia"].id), str(people["riku"].id)]})
    assert r.status_code == 302
    sid = int(r.location.rstrip("/").rsplit("/", 1)[-1])
    locations = [p["location"] for p in admin.get(f"{API}/studies/{sid}").json["booklet"]]
    a2, b1 = page_for(locations, -1.5), page_for(locations, -0.5)

    pia = clients["pia"]
    # the sign-in of a panelist lands on their studies
    fresh = app.test_client()
    form = fresh.get("/sign-in")
    landed = fresh.post("/sign-in", data={"_csrf": csrf(form.text), "email": people["pia"].email,
                                          "password": PASSWORD})
    assert landed.location.endswith("/standard-setting/")
    booklet = pia.get(f"/standard-setting/{sid}/booklet/{a2}", headers={"Accept-Language": "en"})
    assert booklet.status_code == 200 and "As the job seeker sees it" in booklet.text
    assert "A1/A2 bookmark here" in booklet.text and "Key" in booklet.text
    placed = pia.post(f"/standard-setting/{sid}/booklet/{a2}",
                      data={"_csrf": csrf(booklet.text), "boundary": "A2"})
    assert placed.status_code == 302
    bad = pia.post(f"/standard-setting/{sid}/booklet/{a2}", data={"_csrf": csrf(booklet.text),
                                                                "boundary": "C2"},
                   headers={"Accept-Language": "en"})
    assert bad.status_code == 422 and "This study sets the boundaries" in bad.text
    study = pia.get(f"/standard-setting/{sid}", headers={"Accept-Language": "en"})
    assert f'value="{a2}"' in study.text and "your A1/A2 bookmark" in study.text
    # submitting in the wrong order: the page says what to fix and keeps what was typed
    wrong = pia.post(f"/standard-setting/{sid}/bookmarks",
                     data={"_csrf": csrf(study.text), "bookmark-A2": "9", "bookmark-B1": "3",
                           "action": "submit"}, headers={"Accept-Language": "en"})
    assert wrong.status_code == 422 and "must come after" in wrong.text and 'value="3"' in wrong.text
    ok = pia.post(f"/standard-setting/{sid}/bookmarks",
                  data={"_csrf": csrf(study.text), "bookmark-A2": str(a2), "bookmark-B1": str(b1),
                        "action": "submit"})
    assert ok.status_code == 302
    error_page = pia.post(f"/standard-setting/{sid}/close", data={"_csrf": csrf(study.text)},
                          headers={"Accept-Language": "en"})
    assert error_page.status_code == 403 and "Only an admin can close a round." in error_page.text

    view = admin.get(f"/standard-setting/{sid}", headers={"Accept-Language": "en"})
    assert "1 of 2 panelists have submitted in round 1." in view.text
    closed = admin.post(f"/standard-setting/{sid}/close", data={"_csrf": csrf(view.text)})
    assert closed.status_code == 302
    feedback = pia.get(f"/standard-setting/{sid}", headers={"Accept-Language": "en"})
    assert "Round 1: where the panel placed its bookmarks" in feedback.text
    assert f"Panelist 1 (you): page {b1}" in feedback.text and "Impact on recent test takers" in feedback.text
    assert "Riku Reviewer" not in feedback.text.split("<main", 1)[1]  # anonymised
    published = admin.post(f"/standard-setting/{sid}/publish",
                           data={"_csrf": csrf(view.text), "version": "kevät 2027"},
                           headers={"Accept-Language": "en"})
    assert published.status_code == 422 and "Use letters, digits" in published.text
    published = admin.post(f"/standard-setting/{sid}/publish",
                           data={"_csrf": csrf(view.text), "version": "kevat-2027"},
                           headers={"Accept-Language": "en"})
    assert published.status_code == 302, published.text.split('role="alert"', 1)[-1][:300]
    listing = pia.get("/standard-setting/", headers={"Accept-Language": "en"})
    assert "kevat-2027" in listing.text and "Tests started now use: kevat-2027" in listing.text


def test_the_openapi_document_describes_the_standard_setting_api(clients):
    spec = clients["admin"].get("/api/v1/openapi.json").json
    for path in ("/studies", "/studies/{study_id}", "/studies/{study_id}/bookmarks",
                 "/studies/{study_id}/booklet/{page}", "/studies/{study_id}/close",
                 "/studies/{study_id}/rounds", "/studies/{study_id}/publish", "/cut-scores"):
        assert f"/api/v1/standard-setting{path}" in spec["paths"], path
