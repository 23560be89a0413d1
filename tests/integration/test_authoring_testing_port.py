"""The authoring service's ports to the testing service (services/authoring/ports.py):
``ItemExposure`` (which versions of an item were given, how often, among how many tests) and
``RecentResults`` (θ of recent tests, a standard-setting study's impact data).

The HTTP adapters are tested against the real testing app served on a real socket: they
give the same answers as the in-process adapters on a test taken through the API, send
what the testing OpenAPI document describes, and get 401 without the authoring service's
credential. With the testing service away, the authoring pages and API say so (a note, 503)
instead of failing. On SQLite and on the real PostgreSQL and Redis."""
from __future__ import annotations

import re
import threading
import urllib.parse
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.serving import make_server

from item_bank.repository import ItemRepository
from services.adapters.testing import InProcessItemExposure, InProcessRecentResults
from services.authoring.app import create_app as make_authoring_app
from services.authoring.ports import (HttpItemExposure, HttpRecentResults, item_exposure_for,
                                      recent_results_for)
from services.common.accounts import create_staff
from services.testing.app import create_app as make_testing_app

from .conftest import Taker, csrf

SECRET = "authoring-service-secret-for-the-testing-api-0123"
AUTH = {"Authorization": f"Bearer {SECRET}"}
PASSWORD = "oikea-salasana-1"
NOBODY_THERE = "http://127.0.0.1:9"   # the discard port: nothing listens
CLOZE = {"id": "st-a2-uusi-kirjasto", "kind": "cloze", "skill": "structure", "cefr": "A2",
         "topic": "general", "text": "Lainaan kirjoja ___.", "hint": "kirjasto",
         "accept": ["kirjastosta"]}


@pytest.fixture
def testing(config):
    """The testing service with the authoring service among its callers; exposure counts
    read afresh for each choice (not once a second), so that exposure control keeps the
    begun test's first item from being the finished one's, as the figures below expect."""
    application = make_testing_app(replace(config, testing_clients={"authoring": SECRET},
                                           exposure_refresh_seconds=0.0))
    yield application
    application.extensions["taitotaso.resources"].db.dispose()


@pytest.fixture
def served(testing):
    """The testing service on a real port; ``paths`` are the requests it was sent."""
    paths = []

    def recording(environ, start_response):
        paths.append((environ["PATH_INFO"], environ.get("QUERY_STRING", "")))
        return testing(environ, start_response)

    server = make_server("127.0.0.1", 0, recording, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield type("Served", (), {"url": f"http://127.0.0.1:{server.server_port}", "paths": paths})
    server.shutdown()
    server.server_close()


@pytest.fixture
def taken(testing):
    """One finished test and one begun: (items of the finished one, the begun one's first)."""
    finished = Taker(testing.test_client()).finish()
    begun = Taker(testing.test_client()).next().json["item"]
    return finished, begun


def db_of(app):
    return app.extensions["taitotaso.resources"].db


def made_at(db, item_id: str, version: int = 1) -> datetime:
    with db.session() as s:
        return dict((i.version, at) for i, at in ItemRepository(s).versions(item_id))[version]


def test_the_http_adapters_say_what_the_in_process_ones_say(testing, served, taken):
    finished, begun = taken
    db = db_of(testing)
    local, remote = InProcessItemExposure(db), HttpItemExposure(served.url, SECRET)
    with db.session() as s:
        unserved = next(i.id for i in ItemRepository(s).live_items()
                        if i.id not in {x["id"] for x in finished} | {begun["id"]})
    for item_id in (finished[0]["id"], finished[-1]["id"], begun["id"], unserved, "no-such-item"):
        assert remote.served_versions(item_id) == local.served_versions(item_id)
    assert local.served_versions(finished[0]["id"]) == [1]
    assert local.served_versions(unserved) == []
    since = made_at(db, begun["id"])
    for item_id, version, moment in ((begun["id"], 1, since), (finished[0]["id"], 1, since),
                                     (unserved, 1, since), (begun["id"], 2, since),
                                     (begun["id"], 1, datetime.now(timezone.utc) + timedelta(days=1))):
        assert remote.exposure(item_id, version, moment) == local.exposure(item_id, version, moment)
    assert local.exposure(begun["id"], 1, since) == {"served": 1, "sessions": 2}
    assert local.exposure(begun["id"], 1, datetime.now(timezone.utc) + timedelta(days=1)) == \
        {"served": 1, "sessions": 0}
    # the θ of the finished test, and none of the begun one
    thetas = InProcessRecentResults(db).thetas(365)
    assert len(thetas) == 1
    assert HttpRecentResults(served.url, SECRET).thetas(365) == pytest.approx(thetas)
    assert HttpRecentResults(served.url, SECRET).thetas(1) == pytest.approx(thetas)


def test_the_configuration_picks_the_adapter(config, served):
    apart = replace(config, testing_url=served.url, testing_secret=SECRET)
    assert isinstance(item_exposure_for(apart, None), HttpItemExposure)
    assert isinstance(recent_results_for(apart, None), HttpRecentResults)
    assert isinstance(item_exposure_for(config, None), InProcessItemExposure)
    assert isinstance(recent_results_for(config, None), InProcessRecentResults)


def test_the_adapters_send_what_the_testing_openapi_document_describes(testing, served):
    spec = testing.test_client().get("/api/v1/openapi.json").json
    HttpItemExposure(served.url, SECRET).served_versions("lu-a1-1")
    HttpItemExposure(served.url, SECRET).exposure("lu-a1-1", 1, datetime(2024, 1, 1))
    HttpRecentResults(served.url, SECRET).thetas(30)
    assert len(served.paths) == 3
    for path, query in served.paths:
        documented = [p for p in spec["paths"]
                      if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", p), path)]
        assert len(documented) == 1, path
        operation = spec["paths"][documented[0]]["get"]
        assert operation["security"] == [{"serviceAuth": []}]
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        assert set(urllib.parse.parse_qs(query)) <= names, (path, query)
        assert {p["name"] for p in operation.get("parameters", [])
                if p["in"] == "query" and p["required"]} <= set(urllib.parse.parse_qs(query))
    assert "serviceAuth" in spec["components"]["securitySchemes"]


PATHS = ["/api/v1/testing/items/lu-a1-1/served-versions",
         "/api/v1/testing/items/lu-a1-1/exposure?version=1&since=2024-01-01T00:00:00Z",
         "/api/v1/testing/recent-thetas?days=30"]


@pytest.mark.parametrize("path", PATHS)
def test_only_a_service_with_its_credential_gets_in(testing, path):
    client = testing.test_client()
    for headers in ({}, {"Authorization": "Bearer not-the-secret"}, {"Authorization": SECRET}):
        r = client.get(path, headers=headers)
        assert r.status_code == 401 and "TAITOTASO_TESTING_CLIENTS" in r.json["message"]
    # the credential is checked before the parameters: no hint to a stranger
    assert client.get(path.split("?")[0] + "?version=x&days=x").status_code == 401
    assert client.get(path, headers=AUTH).status_code == 200


@pytest.mark.parametrize("query, field", [
    ("version=1", "since"), ("since=2024-01-01T00:00:00Z", "version"),
    ("version=x&since=2024-01-01T00:00:00Z", "version"),
    ("version=0&since=2024-01-01T00:00:00Z", "version"),
    ("version=99999999999&since=2024-01-01T00:00:00Z", "version"),
    ("version=1&since=yesterday", "since"),
    ("version=1&since=2024-01-01T00:00:00Z&extra=1", "extra")])
def test_bad_exposure_parameters_get_422_naming_the_field(testing, query, field):
    r = testing.test_client().get(f"/api/v1/testing/items/lu-a1-1/exposure?{query}", headers=AUTH)
    assert r.status_code == 422 and r.json["message"]
    assert field in str(r.json["errors"]), r.json


def test_an_id_no_item_can_have_is_no_item_not_a_500(testing):
    client = testing.test_client()
    r = client.get("/api/v1/testing/items/a%00b/served-versions", headers=AUTH)
    assert r.status_code == 200 and r.json["versions"] == []
    r = client.get("/api/v1/testing/items/a%00b/exposure?version=1&since=2024-01-01T00:00:00Z",
                   headers=AUTH)
    assert r.status_code == 200 and r.json["served"] == 0
    assert client.get(f"/api/v1/testing/items/{'x' * 81}/served-versions",
                      headers=AUTH).status_code == 404


@pytest.mark.parametrize("days", ["0", "3651", "many"])
def test_bad_days_get_422(testing, days):
    r = testing.test_client().get(f"/api/v1/testing/recent-thetas?days={days}", headers=AUTH)
    assert r.status_code == 422 and "days" in str(r.json["errors"])


def test_a_naive_or_offset_moment_is_read_as_the_same_instant(testing, taken):
    _finished, begun = taken
    client = testing.test_client()
    base = f"/api/v1/testing/items/{begun['id']}/exposure?version=1&since="
    utc = client.get(base + "2000-01-01T03:00:00Z", headers=AUTH).json
    naive = client.get(base + "2000-01-01T03:00:00", headers=AUTH).json
    helsinki = client.get(base + urllib.parse.quote("2000-01-01T05:00:00+02:00"), headers=AUTH).json
    assert utc == naive == helsinki
    assert utc["sessions"] == 2 and utc["served"] == 1 and utc["since"] == "2000-01-01T03:00:00+00:00"


# -- the authoring service with its testing service apart ---------------------------------
def authoring_app(config, testing_url):
    return make_authoring_app(replace(config, testing_url=testing_url, testing_secret=SECRET))


def signed_in(app, person):
    client = app.test_client()
    r = client.post("/api/v1/auth/sign-in", json={"email": person.email, "password": PASSWORD})
    assert r.status_code == 200, r.json
    return client


@pytest.fixture
def staff(testing):
    db = db_of(testing)
    return {"author": create_staff(db, "aino.author@example.fi", "Aino Author", ["author"], PASSWORD),
            "admin": create_staff(db, "anna.admin@example.fi", "Anna Admin", ["admin"], PASSWORD),
            "pia": create_staff(db, "pia.panelist@example.fi", "Pia Panelist", ["panelist"], PASSWORD),
            "riku": create_staff(db, "riku.reviewer@example.fi", "Riku Reviewer", ["reviewer"],
                                 PASSWORD)}


def test_the_authoring_service_apart_shows_the_same_figures(config, served, taken, staff):
    _finished, begun = taken
    embedded, apart = make_authoring_app(config), authoring_app(config, served.url)
    try:
        here, there = signed_in(embedded, staff["author"]), signed_in(apart, staff["author"])
        for path in (f"/api/v1/items/{begun['id']}", f"/api/v1/items/{begun['id']}/statistics"):
            a, b = here.get(path), there.get(path)
            assert a.status_code == b.status_code == 200 and a.json == b.json
        stats = there.get(f"/api/v1/items/{begun['id']}/statistics").json
        assert (stats["served"], stats["sessions"], stats["exposure_rate"]) == (1, 2, 0.5)
        assert there.get(f"/api/v1/items/{begun['id']}").json["used"] is True
        page = there.get(f"/items/{begun['id']}", headers={"Accept-Language": "en"})
        assert page.status_code == 200 and "exposure-unknown" not in page.text
        assert re.search(r"Exposure rate</dt><dd>50\.0 %", page.text)
    finally:
        db_of(embedded).dispose()
        db_of(apart).dispose()


def test_without_the_testing_service_the_item_pages_say_so(config, staff):
    app = authoring_app(config, NOBODY_THERE)
    try:
        author = signed_in(app, staff["author"])
        with db_of(app).session() as s:
            item_id = ItemRepository(s).live_items()[0].id
        # the API: the exposure figures are 503 with what to do, the item itself is shown
        r = author.get(f"/api/v1/items/{item_id}/statistics")
        assert r.status_code == 503 and r.json["code"] == 503
        assert "testing service" in r.json["message"] and "minute" in r.json["message"]
        detail = author.get(f"/api/v1/items/{item_id}")
        assert detail.status_code == 200 and detail.json["used"] is None
        assert {v["used"] for v in detail.json["versions"]} == {None}
        # the page: shown, with a note where the figures were
        page = author.get(f"/items/{item_id}", headers={"Accept-Language": "en"})
        assert page.status_code == 200
        assert 'id="exposure-unknown"' in page.text and "Reload the page in a minute" in page.text
        assert "Given in tests</dt><dd>–" in page.text
        # a live version: an edit makes a new version whatever the testing service says
        source = detail.json["item"]["source"]
        topic = "general" if source["topic"] != "general" else "work"
        r = author.put(f"/api/v1/items/{item_id}", json={**source, "topic": topic})
        assert r.status_code == 200 and r.json["new_version"] is True, r.json
        # a draft: whether it was given decides, so nothing is saved and the form is kept
        created = author.post("/api/v1/items", json=CLOZE)
        assert created.status_code == 201 and created.json["used"] is None, created.json
        r = author.put(f"/api/v1/items/{CLOZE['id']}", json={**CLOZE, "cefr": "B1"})
        assert r.status_code == 503 and "Nothing was saved" in r.json["message"], r.json
        form = author.get(f"/items/{CLOZE['id']}/edit")
        r = author.post(f"/items/{CLOZE['id']}/edit", headers={"Accept-Language": "en"}, data={
            "_csrf": csrf(form.text), "kind": "cloze", "skill": "structure", "cefr": "B1",
            "topic": "general", "base_version": "1",
            "fields": "text: Lainaan kirjoja ___ (muokattu).\nhint: kirjasto\naccept: [kirjastosta]\n"})
        assert r.status_code == 503 and "Nothing was saved" in r.text and "(muokattu)" in r.text
        kept = author.get(f"/api/v1/items/{CLOZE['id']}").json["item"]
        assert (kept["version"], kept["cefr"]) == (1, "A2")
    finally:
        db_of(app).dispose()


def test_without_the_testing_service_a_round_is_not_closed(config, staff):
    app = authoring_app(config, NOBODY_THERE)
    try:
        admin, pia = signed_in(app, staff["admin"]), signed_in(app, staff["pia"])
        r = admin.post("/api/v1/standard-setting/studies", json={
            "name": "Paneeli", "boundaries": ["A2", "B1"], "max_pages": 20,
            "panelists": [staff["pia"].id, staff["riku"].id]})
        assert r.status_code == 201, r.json
        sid = r.json["id"]
        r = pia.put(f"/api/v1/standard-setting/studies/{sid}/bookmarks",
                    json={"bookmarks": {"A2": 5, "B1": 12}, "submit": True})
        assert r.status_code == 200, r.json
        r = admin.post(f"/api/v1/standard-setting/studies/{sid}/close")
        assert r.status_code == 503 and "was not closed" in r.json["message"]
        assert admin.get(f"/api/v1/standard-setting/studies/{sid}").json["status"] == "open"
        page = admin.get(f"/standard-setting/{sid}", headers={"Accept-Language": "en"})
        r = admin.post(f"/standard-setting/{sid}/close", data={"_csrf": csrf(page.text)},
                       headers={"Accept-Language": "en"})
        assert r.status_code == 503 and "was not closed" in r.text
    finally:
        db_of(app).dispose()


def test_a_round_closes_with_the_impact_data_read_over_http(config, served, taken, staff):
    app = authoring_app(config, served.url)
    try:
        admin, pia = signed_in(app, staff["admin"]), signed_in(app, staff["pia"])
        sid = admin.post("/api/v1/standard-setting/studies", json={
            "name": "Paneeli", "boundaries": ["A2", "B1"], "max_pages": 20,
            "panelists": [staff["pia"].id, staff["riku"].id]}).json["id"]
        pia.put(f"/api/v1/standard-setting/studies/{sid}/bookmarks",
                json={"bookmarks": {"A2": 5, "B1": 12}, "submit": True})
        assert admin.post(f"/api/v1/standard-setting/studies/{sid}/close").status_code == 200
        assert any(p.endswith("/recent-thetas") for p, _q in served.paths)
    finally:
        db_of(app).dispose()
