"""The testing service's port to the scoring service (services/testing/ports.py).

The HTTP adapter is tested against the real scoring app, served over a real socket, and
against its OpenAPI document; a test taken with the scoring service stopped before its
written answer shows that the answer is kept and scored once the service is back.

Spoken answers (``SpeechScoring``): both adapters, the in-process one and the HTTP one, pass
the same contract tests with real espeak-ng recordings; the HTTP adapter's form is what the
scoring OpenAPI document accepts; with the scoring service away, the testing API answers
503 with what to do, not 500.
"""
from __future__ import annotations

import io

import jsonschema
import pytest
from sqlalchemy import select

from services.common.errors import APIError
from services.testing.app import create_app
from scoring.speech.audio import AudioProblem
from scoring.speech.synthetic import silence, to_wav_bytes
from services.testing.ports import (HttpScorer, HttpSpeechScoring, ScoringUnavailable, scorer_for,
                                    speech_scoring_for)

from .conftest import GOOD_TEXT, KEYS, Taker, csrf, make_audio
from .served import Served

SECRET = "testing-service-secret-for-the-scoring-api-0123"
PROMPT = "Kirjoita sähköposti työpaikkaan. Kerro itsestäsi ja työkokemuksestasi."


class ScoringServer(Served):
    """The scoring service's app on a real port, stopped and started again at will."""

    def __init__(self, config):
        from services.scoring.app import create_app as scoring_app

        app = scoring_app(config)
        # as `taitotaso serve --service scoring` does at start: the language tools are loaded
        # before the first answer, whose call would otherwise wait for them
        app.extensions["taitotaso.scoring"].warm_up()
        super().__init__(app)


@pytest.fixture
def scoring(config):
    from dataclasses import replace

    server = ScoringServer(replace(config, scoring_clients={"testing": SECRET}))
    yield server
    server.stop()
    res = server.app.extensions["taitotaso.resources"]
    res.queue.join()   # no speech job may outlive its database
    res.db.dispose()


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
    # a written answer waiting for its score counts toward writing's share: the test does
    # not serve writing task after writing task while the scoring service is away
    assert len(written) <= 3
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
    from services.testing.pending import ResultWaiting

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


# -- spoken answers: services.testing.ports.SpeechScoring ---------------------------------

READ_TEXT = "Kirjasto on auki maanantaista perjantaihin. Lauantaina kirjasto on auki kello kymmenestä."
TALK_PROMPT = "Kerro itsestäsi: kuka olet, missä asut ja mitä teet vapaa-aikanasi."


def test_the_configuration_chooses_the_http_speech_adapter_where_a_scoring_url_is_set(config):
    from dataclasses import replace

    from services.adapters.scoring import InProcessSpeechScoring

    assert isinstance(speech_scoring_for(replace(config, scoring_url="http://scoring:8000",
                                                 scoring_secret="s"), None), HttpSpeechScoring)
    assert isinstance(speech_scoring_for(config, None), InProcessSpeechScoring)


@pytest.fixture(params=["in-process", "http"])
def speech_port(request, scoring):
    """Both adapters of the port, over the same scoring service."""
    if request.param == "http":
        return HttpSpeechScoring(scoring.url, SECRET)
    from services.adapters.scoring import InProcessSpeechScoring

    return InProcessSpeechScoring(None, None, service=scoring.app.extensions["taitotaso.scoring"])


def _submit(port, data, session_id, item_id="sp-live-read", task="read_aloud", text=READ_TEXT,
            **kw):
    return port.submit(data, **{"task": task, "text": text, "item_id": item_id,
                                "passage_cefr": "A2", "max_seconds": None,
                                "session_id": session_id, "ui_language": "fi"} | kw)


def test_speech_port_contract_a_recording_becomes_a_job_of_its_session(speech_port):
    import uuid

    session_id = str(uuid.uuid4())
    first = _submit(speech_port, make_audio(READ_TEXT, "A2"), session_id)
    second = _submit(speech_port, make_audio("Asun Espoossa ja pidän kirjoista.", "A1"), session_id,
                     item_id="sp-live-talk", task="open_speaking", text=TALK_PROMPT, max_seconds=60)
    for job, item_id, task in ((first, "sp-live-read", "read_aloud"),
                               (second, "sp-live-talk", "open_speaking")):
        assert job["id"] and job["session_id"] == session_id and job["item_id"] == item_id
        assert job["task"] == task and job["status"] in ("queued", "running", "done")
        assert job["duration_s"] > 1 and job["created_at"]
    listed = speech_port.jobs(session_id)
    assert [j["id"] for j in listed] == [first["id"], second["id"]]   # in the order sent
    assert all({"id", "item_id", "task", "status", "stage", "progress", "duration_s", "result",
                "created_at", "finished_at", "session_id"} <= set(j) for j in listed)
    one = speech_port.job(first["id"])
    assert one["id"] == first["id"] and one["session_id"] == session_id
    assert speech_port.job("no-such-job") is None
    assert speech_port.jobs(str(uuid.uuid4())) == []


@pytest.mark.parametrize("data, code", [
    (b"this is not a recording, just text" * 20, "not_audio"),
    (to_wav_bytes(silence(3.0)), "silent"),
    (b"\0" * (10 * 1024 * 1024 + 10), "too_large"),
])
def test_speech_port_contract_a_refused_recording_is_an_audio_problem(speech_port, data, code):
    session_id = "9b1c2a55-8b0e-4c43-a6a4-6c8e3e1f0a13"
    with pytest.raises(AudioProblem) as err:
        _submit(speech_port, data, session_id)
    assert err.value.code == code and str(err.value)
    assert speech_port.jobs(session_id) == []   # nothing was kept


def test_http_speech_scoring_sends_what_the_scoring_openapi_document_accepts(scoring):
    spec = scoring.app.test_client().get("/api/v1/scoring/openapi.json").json
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    body = paths["/api/v1/scoring/speech"]["post"]["requestBody"]["content"]["multipart/form-data"]
    form_schema = schemas[body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert "audio" in form_schema["required"]
    assert form_schema["properties"]["audio"]["format"] == "binary"
    assert {"session_id", "item_id", "reference_text", "prompt_text", "passage_cefr",
            "max_seconds"} <= set(form_schema["properties"])
    listing = paths["/api/v1/scoring/jobs"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"session_id"}
    assert "/api/v1/scoring/jobs/{job_id}" in paths
    session_id = "2c7c2a55-8b0e-4c43-a6a4-6c8e3e1f0a14"
    recording = make_audio(READ_TEXT, "A2")
    for form in (HttpSpeechScoring.form(task="read_aloud", text=READ_TEXT, item_id="sp-1",
                                        passage_cefr="A2", max_seconds=None,
                                        session_id=session_id, ui_language="fi"),
                 HttpSpeechScoring.form(task="open_speaking", text=TALK_PROMPT, item_id="sp-2",
                                        passage_cefr="B1", max_seconds=90, session_id=session_id,
                                        ui_language="en")):
        assert set(form) <= set(form_schema["properties"])
        typed = {k: float(v) if form_schema["properties"][k].get("type") in ("number", "integer")
                 else v for k, v in form.items()}   # a form's values are text on the wire
        jsonschema.validate(typed | {"audio": "(the recording)"}, form_schema)
        r = scoring.app.test_client().post(
            "/api/v1/scoring/speech", headers={"Authorization": f"Bearer {SECRET}"},
            data=form | {"audio": (io.BytesIO(recording), "answer.mp3")},
            content_type="multipart/form-data")
        assert r.status_code == 202, r.json
        assert r.json["session_id"] == session_id and r.json["item_id"] == form["item_id"]
    client = scoring.app.test_client()
    r = client.get(f"/api/v1/scoring/jobs?session_id={session_id}")
    assert r.status_code == 401   # the listing is for the suite's services only
    r = client.get(f"/api/v1/scoring/jobs?session_id={session_id}",
                   headers={"Authorization": f"Bearer {SECRET}"})
    assert r.status_code == 200 and [j["item_id"] for j in r.json["jobs"]] == ["sp-1", "sp-2"]


def test_http_speech_scoring_without_the_scoring_service_is_unavailable(scoring):
    port = HttpSpeechScoring(scoring.url, SECRET, timeout=2.0)
    scoring.stop()
    with pytest.raises(ScoringUnavailable):
        _submit(port, make_audio(READ_TEXT, "A2"), "7d7c2a55-8b0e-4c43-a6a4-6c8e3e1f0a15")
    with pytest.raises(ScoringUnavailable):
        port.jobs("7d7c2a55-8b0e-4c43-a6a4-6c8e3e1f0a15")
    with pytest.raises(ScoringUnavailable):
        port.job("any")
    scoring.start()
    assert port.jobs("7d7c2a55-8b0e-4c43-a6a4-6c8e3e1f0a15") == []
    with pytest.raises(ScoringUnavailable, match="refused"):
        HttpSpeechScoring(scoring.url, "not-the-secret").jobs("7d7c2a55-8b0e-4c43-a6a4-6c8e3e1f0a15")


def test_the_speaking_part_of_a_testing_service_apart_goes_through_the_scoring_api(testing_apart, scoring):
    """The testing service deployed apart: the speaking tasks, a recording sent, the one
    recording per task rule, the job read back, all through the scoring API; with the
    scoring service away, a recording is refused with 503 and what to do (nothing kept),
    and the speaking part answers 503, never 500."""
    from .test_speaking import finished, speaking, upload

    client = testing_apart.test_client()
    t = finished(client)
    r = speaking(t)
    assert r.status_code == 200, r.json
    read, talk = r.json["tasks"]
    assert r.json["jobs"] == []
    r = upload(t, read["item_id"], to_wav_bytes(silence(3.0)))
    assert r.status_code == 422 and r.json["errors"] == {"audio": ["silent"]}
    assert r.json["message"].startswith("Emme kuulleet") or r.json["message"]
    r = upload(t, read["item_id"], make_audio(read["text"], "A1"), "answer.mp3")
    assert r.status_code == 202, r.json
    job = r.json
    assert job["item_id"] == read["item_id"] and job["task"] == "read_aloud"
    assert r.headers["Location"] == f"/api/v1/scoring/jobs/{job['id']}"
    r = upload(t, read["item_id"], make_audio(read["text"], "A1"), "answer.mp3")
    assert r.status_code == 409 and r.json["errors"]["item_id"] == ["already answered"]
    r = upload(t, "sp-no-such-item", make_audio(read["text"], "A1"), "answer.mp3")
    assert r.status_code == 404
    body = speaking(t).json
    assert [j["id"] for j in body["jobs"]] == [job["id"]]
    assert body["tasks"][0]["job"]["id"] == job["id"] and body["tasks"][1]["job"] is None
    service = testing_apart.extensions["taitotaso.testing"]
    assert service.speaking_job(t.id, t.token, job["id"])["id"] == job["id"]
    # the learner's browser polls the job at its address in the scoring API, with its token
    r = scoring.app.test_client().get(job["status_url"], headers=t.headers)
    assert r.status_code == 200 and r.json["id"] == job["id"]

    scoring.stop()
    r = upload(t, talk["item_id"], make_audio("Asun Espoossa.", "A1"), "answer.mp3")
    assert r.status_code == 503, r.json
    assert "send it again in a minute" in r.json["message"]
    assert speaking(t).status_code == 503
    scoring.start()
    assert [j["id"] for j in speaking(t).json["jobs"]] == [job["id"]]   # nothing else was kept


def test_a_poll_of_the_sessions_jobs_queues_again_a_job_whose_worker_stopped(config):
    """The embedded default has no sweeper: the scoring service queues again a job whose
    worker died when the testing service asks for the session's jobs (its own rule, on its
    side of the port)."""
    import uuid
    from datetime import timedelta

    from item_bank.orm import utcnow
    from services.adapters.scoring import InProcessSpeechScoring
    from services.common.db import Database
    from services.scoring.orm import SpeechJob

    class Queue:
        def __init__(self):
            self.sent = []

        def enqueue(self, path, *args, **kwargs):
            self.sent.append(args)

    db, queue = Database(config.database_url), Queue()
    session_id, job_id = str(uuid.uuid4()), str(uuid.uuid4())
    long_ago = utcnow() - timedelta(minutes=10)
    try:
        with db.session() as s:
            s.add(SpeechJob(id=job_id, task="read_aloud", item_id="sp-live-read", session_id=session_id,
                            text=READ_TEXT, ui_language="fi", audio=b"RIFF" + b"\1" * 4000,
                            duration_s=3.0, status="running", stage="recognising", progress=0.4,
                            attempts=1, created_at=long_ago, heartbeat_at=long_ago))
        port = InProcessSpeechScoring(db, config, queue=queue)
        (job,) = port.jobs(session_id)
        assert queue.sent == [(job_id,)] and job["status"] == "queued"
    finally:
        db.dispose()
