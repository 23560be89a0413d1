"""The testing service's port to the results service's supervised sittings
(services/testing/ports.py ``Sittings``).

The HTTP adapter is tested against the real results app, served over a real socket, and
against its OpenAPI document; the in-process adapter answers the same. A supervised test
starts through the testing pages of a testing service deployed apart; with the results
service away, a job seeker who typed a code gets a clear 503 page and no test is started.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import timedelta

import jsonschema
import pytest
from sqlalchemy import func, select, update

from services.adapters.results import InProcessSittings
from services.common.accounts import create_staff
from services.results import sittings
from services.results.orm import SupervisedSitting
from services.testing.orm import TestSession as SessionRow
from services.testing.ports import (HttpSittings, SittingRefused, SittingsUnavailable,
                                    sittings_for)

from .conftest import csrf
from .served import Served

SECRET = "testing-service-secret-for-the-results-api-0123"
CLAIMS = "/api/v1/results/sittings/claims"
BAD_CODE_EN = "This supervision code does not work"
UNAVAILABLE_EN = "cannot be checked right now"


class ResultsServer(Served):
    """The results service's app on a real port, stopped and started again at will."""

    def __init__(self, config):
        from services.results.app import create_app as results_app

        super().__init__(results_app(replace(config, results_clients={"testing": SECRET})))

    @property
    def db(self):
        return self.app.extensions["taitotaso.resources"].db


@pytest.fixture
def results(config):
    server = ResultsServer(config)
    yield server
    server.stop()
    server.db.dispose()


@pytest.fixture
def coach(results):
    return create_staff(results.db, f"coach-{uuid.uuid4().hex[:8]}@example.fi", "Cecilia Coach",
                        ["coach"], "correct horse battery")


@pytest.fixture
def new_code(results, coach, config):
    def make() -> str:
        return sittings.open_sitting(results.db, coach, "passport", None, True,
                                     config.secret_key)[1]
    return make


@pytest.fixture
def testing_apart(config, results):
    """The testing service deployed apart: it reaches the results service over HTTP."""
    from services.testing.app import create_app

    application = create_app(replace(config, results_url=results.url, results_secret=SECRET))
    yield application
    application.extensions["taitotaso.resources"].db.dispose()


def sid() -> str:
    return str(uuid.uuid4())


def refused(adapter, code, session_id=None) -> str:
    with pytest.raises(SittingRefused) as err:
        adapter.claim(code, session_id or sid())
    return err.value.reason


def start_page(app, code: str, lang: str = "en"):
    """A job seeker's browser: the start page, then the start with ``code``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    page = client.get(f"/{lang}/")
    assert page.status_code == 200
    return client, client.post(f"/{lang}/start", data={"_csrf": csrf(page.text),
                                                       "supervision_code": code})


def sessions_count(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(SessionRow))


def test_the_configuration_chooses_http_where_a_results_url_is_set(config):
    chosen = sittings_for(replace(config, results_url="http://results:8000", results_secret="s"),
                          None)
    assert isinstance(chosen, HttpSittings) and chosen.secret == "s"
    assert isinstance(sittings_for(config, None), InProcessSittings)


def test_both_adapters_claim_a_code_once_and_answer_the_same(results, config, new_code):
    http = HttpSittings(results.url, SECRET)
    local = InProcessSittings(results.db, config)
    for adapter, other in ((http, local), (local, http)):
        code, session_id = new_code(), sid()
        got = adapter.claim(code.lower().replace("-", " "), session_id)   # typed loosely
        assert got["session_id"] == session_id and got["sitting_id"] and got["used_at"]
        assert set(got) == {"sitting_id", "session_id", "coach_id", "used_at", "expires_at"}
        # the same claim again (a retry) is the same sitting, whichever adapter asks
        assert adapter.claim(code, session_id) == got == other.claim(code, session_id)
        # another test cannot have it, not even a moment later
        assert refused(adapter, code) == refused(other, code) == "used"
        assert refused(adapter, "ABCD-EFGH") == refused(other, "ABCD-EFGH") == "unknown"
        assert refused(adapter, "AB12") == refused(other, "AB12") == "malformed"
        assert refused(adapter, "x" * 40) == "malformed"
    with results.db.session() as s:
        assert s.scalar(select(func.count()).select_from(SupervisedSitting)
                        .where(SupervisedSitting.used_at.is_not(None))) == 2
    expired = new_code()
    with results.db.session() as s:
        s.execute(update(SupervisedSitting).where(SupervisedSitting.used_at.is_(None))
                  .values(expires_at=sittings.utcnow() - timedelta(minutes=1)))
    assert refused(http, expired) == refused(local, expired) == "expired"


def test_the_claims_endpoint_is_for_the_suites_services_only(results, new_code):
    client = results.app.test_client()
    body = HttpSittings.body(new_code(), sid())
    for headers in ({}, {"Authorization": "Bearer not-the-secret"}):
        r = client.post(CLAIMS, json=body, headers=headers)
        assert r.status_code == 401 and "TAITOTASO_RESULTS_CLIENTS" in r.json["message"]
    r = client.post(CLAIMS, json={}, headers={})   # no credential: 401 before the body is read
    assert r.status_code == 401
    auth = {"Authorization": f"Bearer {SECRET}"}
    bad = client.post(CLAIMS, json={"code": "ABCD-EFGH", "session_id": "not-a-uuid"}, headers=auth)
    assert bad.status_code == 422 and "session_id" in bad.json["errors"]
    extra = client.post(CLAIMS, json={**body, "coach": 1}, headers=auth)
    assert extra.status_code == 422 and "coach" in extra.json["errors"]
    unknown = client.post(CLAIMS, json={**body, "code": "ABCD-EFGH"}, headers=auth)
    assert unknown.status_code == 422 and unknown.json["errors"] == {"code": ["unknown"]}
    assert unknown.json["message"] == "No sitting has this code."
    malformed = client.post(CLAIMS, json={**body, "code": "1234"}, headers=auth)
    assert malformed.status_code == 422 and malformed.json["errors"] == {"code": ["malformed"]}
    ok = client.post(CLAIMS, json=body, headers=auth)
    assert ok.status_code == 200 and ok.json["session_id"] == body["session_id"]
    used = client.post(CLAIMS, json={**body, "session_id": sid()}, headers=auth)
    assert used.status_code == 409 and used.json["errors"] == {"code": ["used"]}
    assert "works once" in used.json["message"]


def test_the_adapter_calls_what_the_results_openapi_document_describes(results):
    spec = results.app.test_client().get("/api/v1/results/openapi.json").json
    assert spec["components"]["securitySchemes"]["serviceAuth"]["scheme"] == "bearer"
    post = spec["paths"][HttpSittings.CLAIM]["post"]
    assert post["security"] == [{"serviceAuth": []}]
    assert {"200", "401", "409", "422"} <= set(post["responses"])
    schemas = spec["components"]["schemas"]
    request = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    jsonschema.validate(HttpSittings.body("ABCD-EFGH", sid()), schemas[request])
    response = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schemas[response.rsplit("/", 1)[1]]["properties"]) == {
        "sitting_id", "session_id", "coach_id", "used_at", "expires_at"}


def test_a_supervised_test_starts_through_the_testing_pages_over_http(testing_apart, results,
                                                                       new_code):
    code = new_code()
    _, wrong = start_page(testing_apart, "ABCD-EFGH")
    assert wrong.status_code == 422 and BAD_CODE_EN in wrong.text
    client, started = start_page(testing_apart, code)
    assert started.status_code == 302, started.text
    with client.session_transaction() as s:
        session_id = s["test"]["id"]
    with results.db.session() as s:
        row = s.scalars(select(SupervisedSitting).where(SupervisedSitting.session_id == session_id)).one()
        assert row.used_at is not None
    assert client.get("/en/test").status_code == 200   # the test itself goes on as ever
    # the code was used up: another browser is refused, in its own language
    other, again = start_page(testing_apart, code, lang="fi")
    assert again.status_code == 422 and "Tämä valvontakoodi ei toimi" in again.text
    with other.session_transaction() as s:
        assert "test" not in s


def test_without_the_results_service_a_code_gets_a_clear_503_and_no_test(testing_apart, results,
                                                                           coach, new_code):
    code = new_code()
    db = testing_apart.extensions["taitotaso.resources"].db
    before = sessions_count(db)
    results.stop()
    try:
        client, r = start_page(testing_apart, code)
        assert r.status_code == 503 and UNAVAILABLE_EN in r.text and r.headers["Retry-After"]
        assert 'aria-invalid="true"' in r.text and re.search(rf'value="{code}"', r.text)
        with client.session_transaction() as s:
            assert "test" not in s
        _, fi = start_page(testing_apart, code, lang="fi")
        assert fi.status_code == 503 and "Valvontakoodiasi ei voi tarkistaa juuri nyt" in fi.text
        assert sessions_count(db) == before   # nothing was started
        with results.db.session() as s:
            row = s.scalars(select(SupervisedSitting)
                            .where(SupervisedSitting.coach_id == coach.id)).one()
            assert row.used_at is None and row.session_id is None
        # a test without a code does not need the results service
        assert start_page(testing_apart, "")[1].status_code == 302
    finally:
        results.start()
    # back again: the same code starts the test
    client, r = start_page(testing_apart, code)
    assert r.status_code == 302


def test_an_adapter_that_gets_no_answer_says_unavailable(config):
    adapter = HttpSittings("http://127.0.0.1:9", SECRET, timeout=1.0, retries=1, retry_wait=0)
    with pytest.raises(SittingsUnavailable):
        adapter.claim("ABCD-EFGH", sid())
