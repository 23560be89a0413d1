"""The optional speaking part after the adaptive test: two tasks near the test's level,
recordings checked at once and scored by a queued job with the real recogniser
(faster-whisper), the scores on the result page."""
from __future__ import annotations

import io
import re
import threading
import time

import pytest

from assessment.cefr import LEVELS
from scoring.speech.synthetic import silence, synthesize, to_wav_bytes

from .conftest import KEYS, Taker, csrf

SPEAKING_KINDS = ("read_aloud", "speaking_prompt")


@pytest.fixture(params=["sqlite"])
def embedded(request, tmp_path):
    """The embedded default: SQLite and the in-process queue (a thread runs the jobs)."""
    from .conftest import seeded_config

    return seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None)


@pytest.fixture
def embedded_app(embedded):
    from services.testing.app import create_app

    application = create_app(embedded)
    yield application
    res = application.extensions["taitotaso.resources"]
    res.queue.join()  # no job may outlive its database
    res.db.dispose()


def wrong(item):
    """A wrong answer of the right shape: the test ends at its lowest level, whose
    read-aloud texts are short (a quick job for the recogniser)."""
    key = KEYS[item["id"]]
    if item["kind"] == "multiple_choice":
        return next(c["id"] for c in item["choices"] if c["id"] != key)
    if item["kind"] == "yes_no":
        return "no" if key == "yes" else "yes"
    if item["kind"] == "c_test":
        return ["x"] * len(key)
    if item["kind"] == "writing_task":
        return "Minä olen Anna. Minä asun Espoossa. Minä pidän kahvista ja kirjoista."
    return "talo"


def finished(client, ui_language="en") -> Taker:
    t = Taker(client, ui_language)
    t.finish(choose=wrong)
    return t


def speaking(t: Taker):
    return t.client.get(f"/api/v1/sessions/{t.id}/speaking", headers=t.headers)


def upload(t: Taker, item_id: str, data: bytes, filename="answer.wav"):
    return t.client.post(f"/api/v1/sessions/{t.id}/speaking", headers=t.headers,
                         data={"item_id": item_id, "audio": (io.BytesIO(data), filename)},
                         content_type="multipart/form-data")


def as_page_session(client, t: Taker) -> None:
    """The pages keep the test in the Flask session: hand them the API's session."""
    with client.session_transaction() as s:
        s["test"] = {"id": t.id, "token": t.token}


def wait_for(t: Taker, job_id: str, timeout=180.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = {j["id"]: j for j in speaking(t).json["jobs"]}
        if jobs[job_id]["status"] in ("done", "failed"):
            return jobs[job_id]
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} still {jobs[job_id]['status']} after {timeout} s")


def test_speaking_comes_only_after_the_test_is_finished(config):
    from services.testing.app import create_app

    app = create_app(config)
    client = app.test_client()
    t = Taker(client)
    r = speaking(t)
    assert r.status_code == 409 and "after the test" in r.json["message"]
    r = upload(t, "sp-a1-la-esittely", to_wav_bytes(synthesize("Hei")))
    assert r.status_code == 409 and r.json["code"] == 409
    # the page sends the learner back to the items
    as_page_session(client, t)
    page = client.get("/en/speaking")
    assert page.status_code == 302 and page.location.endswith("/en/test")
    app.extensions["taitotaso.resources"].db.dispose()


def test_two_tasks_near_the_result_level_the_same_every_time(embedded_app):
    client = embedded_app.test_client()
    t = finished(client)
    level = t.result().json["overall"]["cefr"]
    r = speaking(t)
    assert r.status_code == 200, r.json
    tasks = r.json["tasks"]
    assert [x["kind"] for x in tasks] == list(SPEAKING_KINDS)
    assert r.json["jobs"] == [] and all(x["job"] is None for x in tasks)
    read, talk = tasks
    assert read["task"] == "read_aloud" and read["text"] and read["max_seconds"] == 120
    assert talk["task"] == "open_speaking" and talk["prompt"] and talk["prep_seconds"] > 0
    assert 30 <= talk["max_seconds"] <= 120
    # the items' own level is the nearest the bank has to the test's result
    bank = embedded_app.extensions["taitotaso.testing"].bank.get()
    for task in tasks:
        item = next(i for i in bank.speaking if i.id == task["item_id"])
        levels = {i.cefr for i in bank.speaking if i.kind == item.kind}
        nearest = min(abs(LEVELS.index(lv) - LEVELS.index(level)) for lv in levels)
        assert abs(LEVELS.index(item.cefr) - LEVELS.index(level)) == nearest
    assert speaking(t).json["tasks"] == tasks  # deterministic for the session


def test_recordings_that_cannot_be_scored_are_refused_with_what_to_do(config):
    from services.testing.app import create_app

    app = create_app(config)
    client = app.test_client()
    t = finished(client)
    read, _talk = speaking(t).json["tasks"]

    r = upload(t, read["item_id"], b"this is not a recording, just text", "notes.txt")
    assert r.status_code == 422 and r.json["errors"] == {"audio": ["not_audio"]}
    assert "not a recording we can read" in r.json["message"]

    r = upload(t, read["item_id"], to_wav_bytes(silence(3.0)))
    assert r.status_code == 422 and r.json["errors"] == {"audio": ["silent"]}
    assert r.json["message"].startswith("We heard nothing")

    r = upload(t, read["item_id"], b"\0" * (10 * 1024 * 1024 + 10), "big.wav")
    assert r.status_code == 413 and "larger than 10 MB" in r.json["message"]
    r = upload(t, read["item_id"], b"\0" * (12 * 1024 * 1024), "bigger.wav")  # over the body limit
    assert r.status_code == 413 and "larger than 10 MB" in r.json["message"]

    r = upload(t, "sp-c1-la-no-such-item", to_wav_bytes(synthesize("Hei, olen Anna.")))
    assert r.status_code == 404 and r.json["errors"]["item_id"]

    r = client.post(f"/api/v1/sessions/{t.id}/speaking", headers=t.headers,
                    data={"item_id": read["item_id"]}, content_type="multipart/form-data")
    assert r.status_code == 422 and r.json["errors"] == {"audio": ["missing"]}
    r = client.post(f"/api/v1/sessions/{t.id}/speaking",
                    data={"item_id": read["item_id"]}, content_type="multipart/form-data")
    assert r.status_code == 401
    assert speaking(t).json["jobs"] == []  # nothing was stored
    app.extensions["taitotaso.resources"].db.dispose()


def test_a_read_aloud_recording_is_scored_by_a_job_and_shown_on_the_result_page(embedded_app):
    client = embedded_app.test_client()
    t = finished(client)
    read, talk = speaking(t).json["tasks"]
    recording = to_wav_bytes(synthesize(read["text"], wpm=130))
    started = time.monotonic()
    r = upload(t, read["item_id"], recording)
    assert r.status_code == 202, r.json
    assert time.monotonic() - started < 5  # the answer never waits for the scoring
    job = r.json
    assert r.headers["Location"] == f"/api/v1/scoring/jobs/{job['id']}"
    assert job["status"] in ("queued", "running", "done") and job["item_id"] == read["item_id"]

    # a second recording for the same task is refused: the first one is kept
    again = upload(t, read["item_id"], recording)
    assert again.status_code == 409 and "already been sent" in again.json["message"]

    # the result page does not wait for the score: a progress bar while it is scored
    as_page_session(client, t)
    page = client.get("/en/result")
    assert page.status_code == 200 and 'id="speaking-results"' in page.text
    assert "Overall level" in page.text and "Reading aloud" in page.text
    if 'data-finished="false"' in page.text:
        assert "<progress" in page.text and "speaking.js" in page.text

    done = wait_for(t, job["id"])
    assert done["status"] == "done", done
    result = done["result"]
    assert result["task"] == "read_aloud" and result["transcript"]
    assert result["cefr"] is None or result["cefr"] in LEVELS
    assert set(result["subscores"]) == {"accuracy", "fluency"}
    assert all(f["message"] for f in result["feedback"])  # feedback in the session's language
    assert [w["word"] for w in result["words"]] == read["text"].split()

    status = client.get("/en/speaking/status")
    assert status.status_code == 200 and status.json["finished"] is True
    (polled,) = status.json["jobs"]
    assert polled["status"] == "done" and 'class="speech-job"' in polled["html"]

    page = client.get("/en/result")
    assert 'data-finished="true"' in page.text and "<progress" not in page.text
    assert "What we heard" in page.text and "The text you read" in page.text
    if result["cefr"]:
        assert re.search(r'Level: <span class="level">[ABC][12]</span>', page.text)
        assert "Fluency" in page.text and "Accuracy" in page.text
    else:
        assert "Too unclear to judge" in page.text
    if result.get("review_id"):
        assert "A coach will check this score." in page.text
    for w in result["words"]:
        if w["status"] == "skipped":
            assert f"<del>{w['word']}</del>" in page.text
        elif w["status"] == "changed":
            assert f"<mark>{w['word']}</mark>" in page.text

    # the speaking page goes on to the second task, then to the result
    page = client.get("/en/speaking")
    assert page.status_code == 200 and talk["item_id"] in page.text and "Task 2 of 2" in page.text
    r = client.post("/en/speaking/skip", data={"_csrf": csrf(page.text), "item_id": talk["item_id"]})
    assert r.status_code == 303
    assert client.get("/en/speaking").location.endswith("/en/result")


def test_the_speaking_page_works_without_javascript(embedded_app):
    client = embedded_app.test_client()
    page = client.get("/fi/")
    client.post("/fi/start", data={"_csrf": csrf(page.text)})
    with client.session_transaction() as s:
        current = s["test"]
    api = {"Authorization": f"Bearer {current['token']}"}  # to see the item the page shows
    # the last answer of the test leads to the speaking page, not straight to the result
    for _ in range(40):
        nxt = client.get(f"/api/v1/sessions/{current['id']}/next", headers=api).json
        assert not nxt["done"]
        page = client.get("/fi/test")
        answer = wrong(nxt["item"])
        form = {"_csrf": csrf(page.text), "item_id": nxt["item"]["id"]}
        if isinstance(answer, list):
            form.update({f"answer_{i}": part for i, part in enumerate(answer)}, gaps=str(len(answer)))
        else:
            form["answer"] = answer
        r = client.post("/fi/test", data=form)
        assert r.status_code == 302
        if not r.location.endswith("/fi/test"):
            break
    assert r.location.endswith("/fi/speaking")

    page = client.get("/fi/speaking")
    assert page.status_code == 200 and '<html lang="fi" dir="ltr">' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert re.search(r'<input type="file" id="audio" name="audio" accept="audio/\*" capture', page.text)
    assert '<label for="audio"' in page.text and 'role="alert"' in page.text
    assert 'id="record"' in page.text and 'id="stop"' in page.text and "speaking.js" in page.text
    assert 'href="/fi/result"' in page.text  # skip to the result
    read_id = re.search(r'name="item_id" value="([^"]+)"', page.text).group(1)
    assert read_id.startswith("sp-") and "-la-" in read_id

    # a file that is not a recording: the page again, with the reason next to the recorder
    r = client.post("/fi/speaking", data={"_csrf": csrf(page.text), "item_id": read_id,
                                          "audio": (io.BytesIO(b"not audio"), "a.txt")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    alert = re.search(r'<p class="error" role="alert" id="upload-error">([^<]+)</p>', r.text)
    assert alert and alert.group(1).strip()
    # nothing chosen
    r = client.post("/fi/speaking", data={"_csrf": csrf(page.text), "item_id": read_id,
                                          "audio": (io.BytesIO(b""), "")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and 'role="alert" id="upload-error">' in r.text
    # the same, as speaking.js sends it: JSON in the suite's error shape
    r = client.post("/fi/speaking", data={"_csrf": csrf(page.text), "item_id": read_id,
                                          "audio": (io.BytesIO(b"not audio"), "a.webm")},
                    content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert r.status_code == 422 and r.json["code"] == 422 and r.json["message"]

    # a body over the limit is refused before any view runs, still with the recorder's reason
    r = client.post("/fi/speaking", data={"_csrf": csrf(page.text), "item_id": read_id,
                                          "audio": (io.BytesIO(b"\0" * (12 * 2**20)), "big.wav")},
                    content_type="multipart/form-data")
    assert r.status_code == 413 and "10 megatavua" in r.text and 'role="alert"' in r.text

    # a recording sent by the plain form: on to the second task at once
    text = re.search(r'<article class="stimulus" lang="fi"[^>]*>(.*?)</article>', page.text, re.S).group(1)
    text = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    r = client.post("/fi/speaking", data={"_csrf": csrf(page.text), "item_id": read_id,
                                          "audio": (io.BytesIO(to_wav_bytes(synthesize(text))), "a.wav")},
                    content_type="multipart/form-data")
    assert r.status_code == 303 and r.location.endswith("/fi/speaking")
    page = client.get(r.location)
    talk_id = re.search(r'name="item_id" value="([^"]+)"', page.text).group(1)
    assert "-sp-" in talk_id and 'id="prep"' in page.text
    # skipping the second task leads to the result, with the spoken answer on it
    r = client.post("/fi/speaking/skip", data={"_csrf": csrf(page.text), "item_id": talk_id})
    assert client.get(r.location).location.endswith("/fi/result")
    result = client.get("/fi/result")
    assert result.status_code == 200 and 'id="speaking-results"' in result.text
    assert result.text.count('class="speech-job"') == 1


@pytest.mark.parametrize("config", ["postgres"], indirect=True)
def test_on_postgresql_a_task_keeps_one_recording_and_an_rq_worker_scores_it(config):
    """Production: PostgreSQL and RQ on Redis. Two uploads for one task at the same moment
    give one job (the other is refused, not lost silently); a worker process scores it."""
    from rq import Queue, SimpleWorker

    from services.common.queue import QUEUE_NAME, JobContext, set_worker_context
    from services.testing.app import create_app

    app = create_app(config)
    res = app.extensions["taitotaso.resources"]
    assert res.redis is not None
    t = finished(app.test_client())
    read, _talk = speaking(t).json["tasks"]
    recording = to_wav_bytes(synthesize(read["text"], wpm=130))
    answers = []

    def send():
        client = app.test_client()
        r = client.post(f"/api/v1/sessions/{t.id}/speaking", headers=t.headers,
                        data={"item_id": read["item_id"], "audio": (io.BytesIO(recording), "a.wav")},
                        content_type="multipart/form-data")
        answers.append((r.status_code, r.json))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(code for code, _ in answers) == [202, 409], answers
    (job,) = [body for code, body in answers if code == 202]
    assert [j["id"] for j in speaking(t).json["jobs"]] == [job["id"]]
    assert speaking(t).json["jobs"][0]["status"] == "queued"  # waiting in Redis for a worker

    set_worker_context(JobContext(db=res.db, config=config))
    SimpleWorker([Queue(QUEUE_NAME, connection=res.redis)], connection=res.redis).work(burst=True)
    done = speaking(t).json["jobs"][0]
    assert done["status"] == "done" and done["result"]["transcript"]
    assert done["result"]["cefr"] is None or done["result"]["cefr"] in LEVELS
    res.db.dispose()
