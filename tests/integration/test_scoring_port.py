"""The testing service's port to the scoring service (services/testing/ports.py).

The HTTP adapter is tested against the real scoring app, served over a real socket, and
against its OpenAPI document; a test taken with the scoring service stopped before its
written answer shows that the answer is kept and scored once the service is back.
"""
from __future__ import annotations

import threading

import jsonschema
import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from services.common.errors import APIError
from services.testing.app import create_app
from services.testing.ports import HttpScorer, ScoringUnavailable, scorer_for

from .conftest import GOOD_TEXT, KEYS, Taker, csrf

SECRET = "testing-service-secret-for-the-scoring-api-0123"
PROMPT = "Kirjoita sähköposti työpaikkaan. Kerro itsestäsi ja työkokemuksestasi."


class ScoringServer:
    """The scoring service's app on a real port, stopped and started again at will."""

    def __init__(self, config):
        from services.scoring.app import create_app as scoring_app

        self.app = scoring_app(config)
        self.port = 0
        self.server = None
        self.start()

    def start(self):
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def scoring(config):
    from dataclasses import replace

    server = ScoringServer(replace(config, scoring_clients={"testing": SECRET}))
    yield server
    server.stop()


@pytest.fixture
def testing_apart(config, scoring):
    """The testing service deployed apart: it reaches the scoring service over HTTP."""
    from dataclasses import replace

    application = create_app(replace(config, scoring_url=scoring.url, scoring_secret=SECRET,
                                      scoring_timeout=5.0))
    yield application
    application.extensions["taitotaso.resources"].db.dispose()


def score(scorer, text=GOOD_TEXT, **kw):
    return scorer.score_writing(text, **{"item_id": "w-port", "prompt": PROMPT, "min_words": 20,
                                         "session_id": None} | kw)


def test_the_configuration_chooses_http_where_a_scoring_url_is_set(config):
    from dataclasses import replace

    from services.adapters.scoring import InProcessScorer

    assert isinstance(scorer_for(replace(config, scoring_url="http://scoring:8000",
                                         scoring_secret="s"), None), HttpScorer)
    assert isinstance(scorer_for(config, None), InProcessScorer)


def test_http_scorer_scores_a_text_through_the_real_scoring_api(scoring):
    out = score(HttpScorer(scoring.url, SECRET))
    assert out["cefr"] in ("A1", "A2", "B1", "B2", "C1", "C2") and 0 <= out["confidence"] <= 1


def test_http_scorer_sends_what_the_scoring_openapi_document_accepts(scoring):
    spec = scoring.app.test_client().get("/api/v1/scoring/openapi.json").json
    post = spec["paths"]["/api/v1/scoring/writing"]["post"]
    schemas = spec["components"]["schemas"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"] \
        if "requestBody" in post else "#/components/schemas/WritingRequest"
    name = ref.rsplit("/", 1)[1]
    assert set(schemas[name]["properties"]) >= {"answer", "item_id", "prompt_text", "min_words",
                                                "session_id", "review"}
    for body in (HttpScorer.body(GOOD_TEXT, item_id="w1", prompt=PROMPT, min_words=20,
                                 session_id="0f0e4a55-8b0e-4c43-a6a4-6c8e3e1f0a11"),
                 HttpScorer.body(GOOD_TEXT, item_id="w1", prompt=PROMPT, min_words=None,
                                 session_id=None, review=False)):
        jsonschema.validate(body, schemas[name])
        r = scoring.app.test_client().post("/api/v1/scoring/writing", json=body,
                                           headers={"Authorization": f"Bearer {SECRET}"})
        assert r.status_code == 200, r.json


def test_http_scorer_without_the_scoring_service_says_it_is_unavailable(scoring):
    scorer = HttpScorer(scoring.url, SECRET, timeout=2.0)
    scoring.stop()
    with pytest.raises(ScoringUnavailable, match="did not answer"):
        score(scorer)
    scoring.start()
    assert score(scorer)["cefr"]


def test_http_scorer_with_a_wrong_credential_is_unavailable_not_a_crash(scoring):
    with pytest.raises(ScoringUnavailable, match="refused"):
        score(HttpScorer(scoring.url, "not-the-secret"))


def test_http_scorer_passes_a_refused_text_on_as_the_learners_error(scoring):
    with pytest.raises(APIError) as err:
        score(HttpScorer(scoring.url, SECRET), text="x" * 200_001)
    assert err.value.status == 422 and err.value.message


def test_the_suites_own_services_are_not_held_by_the_api_clients_upload_limit(config):
    from dataclasses import replace

    server = ScoringServer(replace(config, scoring_clients={"testing": SECRET, "tests": "t" * 32},
                                   scoring_uploads_per_minute=1))
    try:
        scorer = HttpScorer(server.url, SECRET)
        assert all(score(scorer, review=False)["cefr"] for _ in range(3))
        client = HttpScorer(server.url, "t" * 32, retries=0)
        score(client, review=False)
        with pytest.raises(ScoringUnavailable):   # 429 for an API client over its limit
            score(client, review=False)
    finally:
        server.stop()


def _reviews(db, session_id):
    from services.scoring.orm import ScoreReview

    with db.session() as s:
        return s.scalars(select(ScoreReview).where(ScoreReview.session_id == session_id)).all()


def test_a_review_is_kept_once_however_often_the_same_answer_is_scored(scoring, config):
    """A caller that timed out and asks again does not put the answer in the queue twice."""
    from services.common.db import Database

    scorer = HttpScorer(scoring.url, SECRET)
    session_id = "5d7c2a55-8b0e-4c43-a6a4-6c8e3e1f0a12"
    padded = (GOOD_TEXT + " ") * 3   # repetition set aside changed the level: a coach checks it
    first = score(scorer, text=padded, session_id=session_id)
    again = score(scorer, text=padded, session_id=session_id)
    db = Database(config.database_url)
    try:
        rows = _reviews(db, session_id)
    finally:
        db.dispose()
    assert first.get("review_id") and first["review_id"] == again["review_id"] and len(rows) == 1


def test_a_test_goes_on_while_the_scoring_service_is_down_and_its_result_waits(testing_apart, scoring):
    """The scoring service stops before the first written answer: the answer is stored
    unscored, the test goes on to its end, the result waits (202 with Retry-After, the
    page says so); with the scoring service back, the result comes with the answer scored."""
    from services.testing.orm import SessionItem

    client = testing_apart.test_client()
    t = Taker(client)
    written = []
    while True:
        body = t.next().json
        if body["done"]:
            break
        if "block" in body:
            words = body["block"]["items"]
            r = client.post(f"/api/v1/sessions/{t.id}/block-responses", headers=t.headers,
                            json={"block_id": body["block"]["id"],
                                  "answers": {w["id"]: KEYS[w["id"]] for w in words}})
        else:
            item = body["item"]
            if item["kind"] == "writing_task" and not written:
                scoring.stop()
            r = t.answer(item["id"], KEYS[item["id"]])
            if item["kind"] == "writing_task":
                written.append(r.json)
        assert r.status_code == 201, r.json
    assert written and written[0]["scoring"] == "waiting"
    db = testing_apart.extensions["taitotaso.resources"].db
    with db.session() as s:
        waiting = s.scalars(select(SessionItem).where(SessionItem.session_id == t.id,
                                                      SessionItem.answer.is_not(None),
                                                      SessionItem.score.is_(None))).all()
        assert waiting and all(w.answer == GOOD_TEXT for w in waiting)   # the text is kept

    r = t.result()
    assert r.status_code == 202 and r.json["status"] == "scoring" and r.json["waiting"] >= 1
    assert int(r.headers["Retry-After"]) > 0 and "lost" in r.json["message"]
    # another answer now is refused: the test is over for the learner
    assert t.answer("any-item", "x").status_code == 409

    scoring.start()
    r = t.result()
    assert r.status_code == 200, r.json
    assert r.json["skills"]["writing"]["n_items"] >= 1
    with db.session() as s:
        rows = s.scalars(select(SessionItem).where(SessionItem.session_id == t.id)).all()
        assert all(row.score is not None for row in rows if row.answer is not None)


def test_the_result_page_says_the_writing_is_being_scored_and_updates_itself(testing_apart, scoring):
    from services.testing.handlers import ResultWaiting

    service = testing_apart.extensions["taitotaso.testing"]
    client = testing_apart.test_client()
    original = service.result

    def waiting(*_a, **_kw):
        raise ResultWaiting(1)

    page = client.get("/fi/")
    client.post("/fi/start", data={"_csrf": csrf(page.text)})
    service.result = waiting
    try:
        page = client.get("/fi/result")
    finally:
        service.result = original
    assert page.status_code == 202
    assert 'http-equiv="refresh"' in page.text and "arvioidaan" in page.text
