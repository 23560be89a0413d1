"""The results service's port to the scoring service (services/results/ports.py,
``ScoringRecords``): the reviews and spoken answers a coach sees, a coach's decision, and a
job seeker's export and erasure.

The HTTP adapter is tested against the real scoring app served on a socket, beside the
in-process adapter on the same rows: both give the same answers. The adapter's paths and
bodies are what the scoring OpenAPI document names and accepts; the service-only part
refuses a caller without the credential. A decision sent over HTTP is committed by the
scoring service, which publishes ``review.decided``: the session's result is estimated again
and the decision audited, as on the embedded default. With the scoring service away, a
coach's decision answers 503 and saves nothing, and an account's erasure stops before it
deletes anything of the results service, so that trying again completes it.
"""
from __future__ import annotations

from dataclasses import replace

import jsonschema
import pytest
from sqlalchemy import func, select

from assessment.cefr import LEVELS
from services.adapters.scoring import InProcessScoringRecords
from services.gateway import create_app as gateway_app
from services.results.orm import AuditEvent, JobSeeker, OwnedResult
from services.results.ports import (AlreadyReviewed, DecisionRefused, HttpScoringRecords,
                                    NoSuchReview, ScoringUnavailable, scoring_records_for)
from services.scoring.orm import ScoreReview, SpeechJob
from services.testing.orm import SessionItem
from services.testing.orm import TestSession as SessionRow

from .conftest import csrf
from .served import Served
from .queued import run_queued_jobs
from .test_coach import COACH, WAV, World, signed_in

SECRET = "results-service-secret-for-the-scoring-api-0123"
API_CLIENT = "an-api-client-that-sends-texts-to-be-scored-42"


class ScoringServer(Served):
    """The scoring service's app on a real port, stopped and started again at will."""

    def __init__(self, config):
        from services.scoring.app import create_app as scoring_app

        app = scoring_app(config)
        super().__init__(app)


@pytest.fixture
def world(config):
    w = World(config)
    yield w
    w.db.dispose()


@pytest.fixture
def scoring(config, world):
    server = ScoringServer(replace(config, scoring_clients={"results": SECRET,
                                                            "coach-tool": API_CLIENT}))
    yield server
    try:
        server.stop()
    except OSError:
        pass
    res = server.app.extensions["taitotaso.resources"]
    res.queue.join()
    res.db.dispose()


def http(scoring, **kw) -> HttpScoringRecords:
    return HttpScoringRecords(scoring.url, SECRET, timeout=kw.pop("timeout", 5.0), **kw)


def count(db, model, *where) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def review_ids(db, sessions) -> set[int]:
    """The reviews of ``sessions`` in the database (the real test's own uncertain written
    answer among them, when it had one)."""
    with db.session() as s:
        return set(s.scalars(select(ScoreReview.id).where(ScoreReview.session_id.in_(sessions))))


def test_the_configuration_chooses_http_where_a_scoring_url_is_set(config):
    apart = scoring_records_for(replace(config, scoring_url="http://scoring:8000",
                                        scoring_secret="s"), None)
    assert isinstance(apart, HttpScoringRecords) and apart.base == "http://scoring:8000"
    assert isinstance(scoring_records_for(config, None), InProcessScoringRecords)


def test_both_adapters_give_the_same_reviews_recordings_jobs_and_export(config, world, scoring):
    over_http, in_process = http(scoring), InProcessScoringRecords(world.db, config)
    aino, bertta = world.sessions["aino"], world.sessions["bertta"]
    asked = aino + bertta
    for status in ("all", "open", "reviewed"):
        assert over_http.reviews(asked, status=status) == in_process.reviews(asked, status=status)
    got = over_http.reviews(asked)
    assert {r["id"] for r in got} == review_ids(world.db, asked) >= \
        {world.reviews[k] for k in ("aino_writing", "aino_speech", "bertta_speech")}
    assert {r["session_id"] for r in got} <= set(asked)           # only the sessions asked for
    assert over_http.reviews(None) == in_process.reviews(None)    # the whole queue
    assert len(over_http.reviews(None)) == count(world.db, ScoreReview) > len(got)
    assert over_http.reviews(None, limit=2) == in_process.reviews(None, limit=2)
    assert len(over_http.reviews(None, limit=2)) == 2
    assert over_http.reviews([]) == in_process.reviews([]) == []

    speech, writing = world.reviews["aino_speech"], world.reviews["aino_writing"]
    one = over_http.review(speech)
    assert one == in_process.review(speech)
    assert (one["kind"], one["machine_cefr"], one["status"]) == ("speech", "B1", "open")
    assert over_http.review(10**9) is None and in_process.review(10**9) is None
    assert over_http.review_audio(speech) == in_process.review_audio(speech) == WAV
    assert over_http.review_audio(writing) is None and in_process.review_audio(writing) is None

    jobs = over_http.speech_jobs(asked)
    assert jobs == in_process.speech_jobs(asked)
    assert set(jobs) == set(aino[1:] + bertta)                    # sessions with spoken answers
    assert jobs[aino[1]][0]["result"]["cefr"] == "B1" and "audio" not in jobs[aino[1]][0]

    exported = over_http.export(aino)
    assert exported == in_process.export(aino)
    (spoken,) = exported["spoken_answers"]
    assert spoken["transcript"] == "minä teen töitä" and spoken["test"] == aino[1]
    assert {r["kind"] for r in exported["reviews"]} == {"writing", "speech"}
    assert set(exported["review_ids"]) == review_ids(world.db, aino) >= {writing, speech}


def test_the_records_api_refuses_a_caller_without_the_services_credential(world, scoring):
    client = scoring.app.test_client()
    ids = {"session_ids": world.sessions["aino"]}
    calls = [("post", "/api/v1/scoring/records/reviews/search", {}),
             ("get", f"/api/v1/scoring/records/reviews/{world.reviews['aino_speech']}", None),
             ("get", f"/api/v1/scoring/records/reviews/{world.reviews['aino_speech']}/audio", None),
             ("post", f"/api/v1/scoring/records/reviews/{world.reviews['aino_speech']}/decision",
              {"cefr": "B1", "reviewer": COACH}),
             ("post", "/api/v1/scoring/records/speech-jobs/search", ids),
             ("post", "/api/v1/scoring/records/export", ids),
             ("post", "/api/v1/scoring/records/erasure", ids)]
    for headers in ({}, {"Authorization": "Bearer not-the-secret"}):
        for method, path, body in calls:
            r = getattr(client, method)(path, json=body, headers=headers)
            assert r.status_code == 401, (path, r.status_code)
            assert "TAITOTASO_SCORING_CLIENTS" in r.json["message"]
    # a caller without the credential learns nothing, even of a body it got wrong
    assert client.post("/api/v1/scoring/records/erasure", json={"x": 1}).status_code == 401
    # an API client may send answers to be scored, not read or erase the suite's rows
    for method, path, body in calls:
        r = getattr(client, method)(path, json=body, headers={"Authorization": f"Bearer {API_CLIENT}"})
        assert r.status_code == 403 and "suite's own services" in r.json["message"], path
    with pytest.raises(ScoringUnavailable, match="refused"):
        HttpScoringRecords(scoring.url, "not-the-secret").reviews(None)
    # nothing was decided or erased
    with world.db.session() as s:
        assert s.get(ScoreReview, world.reviews["aino_speech"]).status == "open"
    assert count(world.db, SpeechJob) == 4


def test_the_adapters_paths_and_bodies_are_in_the_scoring_openapi_document(world, scoring):
    spec = scoring.app.test_client().get("/api/v1/scoring/openapi.json").json
    documented = {(method, path) for path, ops in spec["paths"].items() for method in ops}
    for method, paths in HttpScoringRecords.PATHS.items():
        for path in paths:
            assert (method, path.replace("{id}", "{review_id}")) in documented, (method, path)

    def body_schema(path):
        op = spec["paths"][path]["post"]
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        assert op.get("security") == [{"serviceAuth": []}]
        return {**schema, "components": spec["components"]}

    aino = world.sessions["aino"]
    bodies = {HttpScoringRecords.REVIEWS: [{"status": "all", "limit": 200, "session_ids": aino},
                                           {"status": "open", "limit": 5}],
              HttpScoringRecords.DECISION: [{"cefr": "B1", "reviewer": COACH},
                                            {"cefr": "C1", "reviewer": COACH, "note": "kuulin itse"}],
              HttpScoringRecords.SPEECH_JOBS: [{"session_ids": aino}],
              HttpScoringRecords.EXPORT: [{"session_ids": aino}],
              HttpScoringRecords.ERASURE: [{"session_ids": aino}]}
    for path, examples in bodies.items():
        schema = body_schema(path.replace("{id}", "{review_id}"))
        for body in examples:
            jsonschema.validate(body, schema)
    audio = spec["paths"]["/api/v1/scoring/records/reviews/{review_id}/audio"]["get"]
    assert "audio/wav" in audio["responses"]["200"]["content"]


def test_bad_input_to_the_records_api_is_a_4xx_that_says_what_is_wrong(world, scoring):
    client = scoring.app.test_client()
    auth = {"Authorization": f"Bearer {SECRET}"}
    review = world.reviews["aino_writing"]
    for path, body, field in [
            ("/api/v1/scoring/records/reviews/search", {"status": "maybe"}, "status"),
            ("/api/v1/scoring/records/reviews/search", {"limit": 0}, "limit"),
            ("/api/v1/scoring/records/speech-jobs/search", {"session_ids": "one"}, "session_ids"),
            ("/api/v1/scoring/records/export", {}, "session_ids"),
            ("/api/v1/scoring/records/erasure", {"session_ids": ["x" * 37]}, "session_ids"),
            (f"/api/v1/scoring/records/reviews/{review}/decision", {"cefr": "D9", "reviewer": COACH}, "cefr"),
            (f"/api/v1/scoring/records/reviews/{review}/decision", {"cefr": "B1", "reviewer": "me"}, "reviewer"),
            (f"/api/v1/scoring/records/reviews/{review}/decision", {"cefr": "B1"}, "reviewer")]:
        r = client.post(path, json=body, headers=auth)
        assert r.status_code == 422, (path, body, r.status_code)
        assert r.json["message"] and field in str(r.json.get("errors")), (path, r.json)
    assert client.get("/api/v1/scoring/records/reviews/999999", headers=auth).status_code == 404
    assert client.get(f"/api/v1/scoring/records/reviews/{review}/audio", headers=auth).status_code == 404
    with world.db.session() as s:
        assert s.get(ScoreReview, review).status == "open"


def test_a_decision_sent_over_http_is_saved_by_scoring_and_re_estimates_the_result(world, scoring):
    over_http = http(scoring)
    review_id = world.reviews["aino_writing"]
    new = "A1" if world.machine_level != "A1" else "C1"
    with world.db.session() as s:
        before = s.get(SessionRow, world.real_session).result
    with pytest.raises(DecisionRefused) as refused:   # a changed level needs a reason
        over_http.decide(review_id, cefr=new, reviewer=COACH, reason=None)
    assert "note" in refused.value.errors
    out = over_http.decide(review_id, cefr=new, reviewer=COACH, reason="Vastaus on ohi aiheen.")
    assert (out["status"], out["reviewed_cefr"], out["reviewer"]) == ("reviewed", new, COACH)
    assert (out["effect"], out["events"]) == ("session_result_queued", ["review.decided"])
    run_queued_jobs(scoring.app)   # the scoring service published review.decided
    with world.db.session() as s:
        assert s.get(SessionItem, (world.real_session, world.writing_item)).score == LEVELS.index(new)
        after = s.get(SessionRow, world.real_session).result
        assert after["reviewed_answers"] == {world.writing_item: new}
        assert after["skills"]["writing"]["theta"] != before["skills"]["writing"]["theta"]
        event = s.scalars(select(AuditEvent)).one()
        assert (event.actor, event.action, event.target, event.reason) == \
            (COACH, "review.override", f"score_review:{review_id}", "Vastaus on ohi aiheen.")
    with pytest.raises(AlreadyReviewed, match=COACH):
        over_http.decide(review_id, cefr="B1", reviewer="someone@example.fi", reason="x")
    with pytest.raises(NoSuchReview):
        over_http.decide(10**9, cefr="B1", reviewer=COACH, reason=None)
    # a spoken answer's job shows the reviewed level at once
    speech = world.reviews["aino_speech"]
    assert over_http.decide(speech, cefr="B1", reviewer=COACH, reason=None)["effect"] == "speech_job"
    job_id = over_http.review(speech)["machine"]["job_id"]
    (job,) = [j for jobs in over_http.speech_jobs(world.sessions["aino"]).values() for j in jobs
              if j["id"] == job_id]
    assert job["result"]["reviewed"]["review_id"] == speech


def test_an_erasure_over_http_deletes_the_sessions_rows_once(world, scoring):
    over_http, aino = http(scoring), world.sessions["aino"]
    hers, everyone = review_ids(world.db, aino), count(world.db, ScoreReview)
    out = over_http.erase(aino)
    assert out["erased"] == {"score_reviews": len(hers), "speech_jobs": 1}
    assert set(out["review_ids"]) == hers >= {world.reviews["aino_writing"], world.reviews["aino_speech"]}
    assert count(world.db, ScoreReview, ScoreReview.session_id.in_(aino)) == 0
    assert count(world.db, SpeechJob, SpeechJob.session_id.in_(aino)) == 0
    assert count(world.db, ScoreReview) == everyone - len(hers) > 0   # the others' rows stay
    assert over_http.erase(aino) == {"erased": {"score_reviews": 0, "speech_jobs": 0}, "review_ids": []}
    assert over_http.export(aino) == {"spoken_answers": [], "reviews": [], "review_ids": []}


# -- without the scoring service ------------------------------------------------------------
@pytest.fixture
def suite_apart(config, scoring):
    """The suite whose results service reaches the scoring service over HTTP."""
    app = gateway_app(replace(config, scoring_url=scoring.url, scoring_secret=SECRET,
                              scoring_timeout=2.0))
    yield app
    app.extensions["taitotaso.resources"].db.dispose()


def test_without_the_scoring_service_a_coachs_decision_is_a_503_and_nothing_is_saved(
        world, scoring, suite_apart):
    coach = signed_in(suite_apart, COACH)
    review_id = world.reviews["aino_speech"]
    page = coach.get(f"/results/coach/reviews/{review_id}")
    assert page.status_code == 200 and "minä teen töitä" in page.text
    assert coach.get(f"/results/coach/reviews/{review_id}/audio").data == WAV
    scoring.stop()
    r = coach.post(f"/results/coach/reviews/{review_id}", data={"cefr": "B1", "reason": "",
                                                              "_csrf": csrf(page.text)})
    assert r.status_code == 503 and "try again" in r.text
    with world.db.session() as s:
        assert s.get(ScoreReview, review_id).status == "open"
    assert count(world.db, AuditEvent) == 0
    # the pages that list reviews say so; the rest of the client's page stands
    client_page = coach.get(f"/results/coach/clients/{world.clients['aino']}")
    assert client_page.status_code == 200 and 'id="reviews-away"' in client_page.text
    assert "Aino Asiakas" in client_page.text
    queue = coach.get("/results/coach/reviews")
    assert queue.status_code == 503 and "scoring service is not answering" in queue.text
    assert coach.get(f"/results/coach/reviews/{review_id}").status_code == 503
    assert coach.get("/results/coach/").status_code == 200        # the clients' list
    scoring.start()   # back: the same decision goes through, once
    r = coach.post(f"/results/coach/reviews/{review_id}", data={"cefr": "B1", "reason": "",
                                                              "_csrf": csrf(page.text)})
    assert r.status_code == 302
    again = coach.post(f"/results/coach/reviews/{review_id}", data={"cefr": "B1", "reason": "",
                                                                  "_csrf": csrf(page.text)})
    assert again.status_code == 302   # the same coach's same decision sent twice: saved, as asked
    run_queued_jobs(scoring.app)
    with world.db.session() as s:
        row = s.get(ScoreReview, review_id)
        assert (row.status, row.reviewed_cefr, row.reviewer) == ("reviewed", "B1", COACH)
        assert s.scalars(select(AuditEvent.action)).all() == ["review.confirm"]
    assert 'id="reviews-away"' not in coach.get(f"/results/coach/clients/{world.clients['aino']}").text


def test_without_the_scoring_service_an_erasure_deletes_nothing_and_a_retry_completes_it(
        world, scoring):
    from services.results.erasure import erase_account, kept_about

    from services.adapters.testing import InProcessFinishedTests

    seeker, aino = world.clients["aino"], world.sessions["aino"]
    over_http = http(scoring, timeout=2.0)
    tests = InProcessFinishedTests(world.db)   # the testing service's part, here
    scoring.stop()
    exported = kept_about(world.db, seeker, over_http, tests)   # the export says which part is missing
    assert exported["spoken_answers"] is None and exported["reviews"] is None
    assert set(exported["missing"]) == {"spoken_answers", "reviews"}
    assert "scoring service" in exported["missing"]["spoken_answers"]
    assert len(exported["answers"]) > 0   # her answers, which the testing service keeps, are there
    with pytest.raises(ScoringUnavailable):
        erase_account(world.db, seeker, over_http, tests)
    with world.db.session() as s:   # nothing of hers was deleted here
        row = s.get(JobSeeker, seeker)
        assert row.deleted_at is None and row.email == "aino@example.fi"
        assert count(world.db, OwnedResult, OwnedResult.job_seeker_id == seeker) == 2
    hers = review_ids(world.db, aino)
    assert len(hers) >= 2
    scoring.start()
    counts = erase_account(world.db, seeker, over_http, tests)
    assert (counts["score_reviews"], counts["speech_jobs"]) == (len(hers), 1)
    with world.db.session() as s:
        row = s.get(JobSeeker, seeker)
        assert row.deleted_at is not None and row.email is None
    assert count(world.db, ScoreReview, ScoreReview.session_id.in_(aino)) == 0
    assert count(world.db, SpeechJob, SpeechJob.session_id.in_(aino)) == 0
    assert count(world.db, SessionItem, SessionItem.session_id.in_(aino)) == 0
