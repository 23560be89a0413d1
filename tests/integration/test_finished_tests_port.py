"""The results service's port to the testing service (services/results/ports.py
``FinishedTests``): a finished test kept in an account, her tests erased or exported.

The HTTP adapter is tested against the real testing app served on a real socket and
against its OpenAPI document, and gives what the in-process adapter gives; the suite with
the results service reaching the testing service over HTTP keeps a result, and a coach's
review reaches the kept copy through the event ``test.result_changed``.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.adapters.testing import InProcessFinishedTests
from services.results.orm import JobSeeker, OwnedResult
from services.results import ports
from services.results.ports import HttpFinishedTests, finished_tests_for
from services.results.seekers import _moment, keep_in_step
from services.testing.app import create_app as make_testing_app

from .conftest import Taker
from .served import Served

SECRET = "the-suites-credential-for-the-testing-api-42"


@pytest.fixture
def testing(config):
    """The testing service alone, with the suite's credential, on a real port."""
    app = make_testing_app(replace(config, testing_clients={"suite": SECRET}))
    server = Served(app)
    yield app, server.url
    server.stop()
    app.extensions["taitotaso.resources"].db.dispose()


def _same(a: dict | None, b: dict | None) -> None:
    """Both adapters' answers agree (times to the second: the API gives microseconds)."""
    assert (a is None) == (b is None)
    if a is None:
        return
    for key in ("started_at", "finished_at", "result_changed_at"):
        ta, tb = _moment(a[key]), _moment(b[key])
        assert abs(ta - tb) < timedelta(seconds=1), key
    strip = ("started_at", "finished_at", "result_changed_at")
    assert {k: v for k, v in a.items() if k not in strip} == {k: v for k, v in b.items() if k not in strip}


def test_both_adapters_give_the_same_finished_test_answers_and_erasure(testing):
    app, url = testing
    client = app.test_client()
    done, open_ = Taker(client, "sv"), Taker(client)
    done.finish()
    open_.next()
    http = HttpFinishedTests(url, SECRET)
    here = InProcessFinishedTests(app.extensions["taitotaso.resources"].db)

    kept = http.finished(done.id, done.token)
    _same(kept, here.finished(done.id, done.token))
    # the times to the microsecond: kept results are ordered by when they were finished, and
    # two tests finished within one second must not swap places
    from services.testing.orm import TestSession

    with app.extensions["taitotaso.resources"].db.read() as s:
        finished = s.get(TestSession, done.id).finished_at
    for answer in (kept, here.finished(done.id, done.token)):
        assert _moment(answer["finished_at"]) == _moment(finished.isoformat())
        # not reviewed: its result is as it was when the test finished
        assert _moment(answer["result_changed_at"]) == _moment(finished.isoformat())
        assert "result_changed_at" not in answer["result"]
    assert kept["session_id"] == done.id and kept["ui_language"] == "sv"
    assert kept["result"]["overall"]["cefr"] and kept["result"]["n_items"] >= 1
    for session_id, token in ((done.id, "not-the-token"), ("no-such-test", done.token),
                              (open_.id, open_.token), ("../../healthz", done.token),
                              (done.id, "")):
        assert http.finished(session_id, token) is None and here.finished(session_id, token) is None

    answers = http.answers([done.id, open_.id])
    assert answers == here.answers([done.id, open_.id])
    assert answers and {a["test"] for a in answers} == {done.id}

    counts = http.erase([done.id])
    assert counts == {"session_items": len(answers), "test_sessions": 1}
    assert http.finished(done.id, done.token) is None   # her token opens nothing any more
    assert http.answers([done.id]) == [] and here.erase([done.id])["session_items"] == 0


def test_the_service_only_part_wants_a_credential_and_is_in_the_openapi_document(testing):
    app, url = testing
    client = app.test_client()
    r = client.post("/api/v1/testing/erasures", json={"session_ids": ["x"]})
    assert r.status_code == 401 and "TAITOTASO_TESTING_CLIENTS" in r.json["message"]
    wrong = client.post("/api/v1/testing/answers", json={"session_ids": ["x"]},
                        headers={"Authorization": "Bearer " + "n" * 40})
    assert wrong.status_code == 401
    bad = client.post("/api/v1/testing/erasures", json={"session_ids": "x"},
                      headers={"Authorization": f"Bearer {SECRET}"})
    assert bad.status_code == 422 and bad.json["errors"]
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/testing/erasures", "/api/v1/testing/answers",
                 "/api/v1/sessions/{session_id}/result"):
        assert path in paths
    doc = paths["/api/v1/testing/erasures"]["post"]
    assert doc["security"] == [{"serviceAuth": []}]
    assert set(paths["/api/v1/sessions/{session_id}/result"]["get"]["responses"]["200"]["content"]
               ["application/json"]["schema"]["$ref"].split("/")[-1:]) == {"Result"}


def test_without_the_testing_service_the_adapter_says_so(config):
    tests = finished_tests_for(replace(config, testing_url="http://127.0.0.1:9",
                                       testing_secret=SECRET, scoring_timeout=0.5), None)
    assert isinstance(tests, HttpFinishedTests)
    with pytest.raises(ports.TestingUnavailable):
        tests.finished("some-test", "some-token")
    with pytest.raises(ports.TestingUnavailable):
        tests.erase(["some-test"])


def test_the_suite_keeps_a_result_through_the_testing_api(config, testing):
    """The results service with the testing service apart (``TAITOTASO_TESTING_URL``):
    keeping a result asks the testing service over HTTP, and the account shows the copy."""
    from services.gateway import create_app as gateway_app

    from .test_keep_after_sign_up import finished_test_in, sign_up

    _app, url = testing
    suite = gateway_app(replace(config, testing_url=url, testing_secret=SECRET))
    try:
        client = suite.test_client()
        session_id = finished_test_in(client)
        assert client.get("/results/en/keep").status_code == 302
        page = sign_up(client, "kept-over-http@example.fi")
        assert page.status_code == 200 and "The result is now kept in your account." in page.text
        with suite.extensions["taitotaso.resources"].db.read() as s:
            kept = s.get(OwnedResult, session_id)
            assert kept.result["overall"]["cefr"] and kept.ui_language == "en"
            assert kept.finished_at is not None and kept.bank_version
    finally:
        suite.extensions["taitotaso.resources"].db.dispose()


def test_an_older_change_does_not_overwrite_a_newer_copy(config):
    from services.common.db import Database

    db = Database(config.database_url)
    with db.session() as s:
        s.add(JobSeeker(id="js-step", ui_language="fi"))
        s.add(OwnedResult(session_id="t-step", job_seeker_id="js-step",
                          result={"overall": {"cefr": "A2"}},
                          result_changed_at=_moment("2026-12-07T10:00:00+00:00")))
    newer = {"session_id": "t-step", "changed_at": "2026-12-07T11:00:00+00:00",
             "test": {"result": {"overall": {"cefr": "B1"}}, "finished_at": "2026-12-07T09:00:00+00:00"}}
    older = {**newer, "changed_at": "2026-12-07T10:30:00+00:00",
             "test": {"result": {"overall": {"cefr": "A1"}}}}
    assert keep_in_step(db, newer) is True
    assert keep_in_step(db, newer) is True     # again: the same state
    assert keep_in_step(db, older) is False    # late and older: changes nothing
    assert keep_in_step(db, {**newer, "session_id": "nobody-keeps-it"}) is False
    with db.read() as s:
        row = s.scalar(select(OwnedResult).where(OwnedResult.session_id == "t-step"))
        assert row.result["overall"]["cefr"] == "B1" and row.finished_at is not None
    db.dispose()


def test_with_the_testing_service_away_the_offer_waits_and_keeping_is_a_clear_503(config):
    from services.gateway import create_app as gateway_app

    from .test_keep_after_sign_up import finished_test_in

    suite = gateway_app(replace(config, testing_url="http://127.0.0.1:9", testing_secret=SECRET,
                                scoring_timeout=0.5))
    try:
        client = suite.test_client()
        taken = finished_test_in(client)   # the suite's own testing app: the test is taken
        page = client.get("/results/en/")
        assert page.status_code == 200 and 'id="keep-result"' not in page.text   # no offer
        from services.common.errors import is_unavailable
        from services.results.seekers import claim

        tests = HttpFinishedTests("http://127.0.0.1:9", SECRET, timeout=0.5)
        with pytest.raises(ports.TestingUnavailable) as err:
            claim(suite.extensions["taitotaso.resources"].db, "js-away",
                  {"id": taken, "token": "whatever"}, tests=tests)
        assert is_unavailable(err.value)   # answered 503 with Retry-After, as a database away
        with suite.extensions["taitotaso.resources"].db.read() as s:
            assert s.scalar(select(OwnedResult.session_id)) is None
    finally:
        suite.extensions["taitotaso.resources"].db.dispose()
