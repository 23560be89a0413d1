"""Spoken answers through the scoring API and the job queue: the in-process queue on
SQLite, RQ workers (`taitotaso worker`) on the real PostgreSQL and Redis, and a worker
killed in the middle of a job."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from scoring.speech import synthetic as sy
from services.scoring.app import create_app

from .conftest import as_scoring_client, seeded_config

READ = "Kirjasto on auki maanantaista perjantaihin. Lauantaina kirjasto on auki kello kymmenestä."
REQUIRED = {"transcript", "cefr", "confidence", "speech_rate", "articulation_rate", "pause_count",
            "mean_pause_s", "accuracy", "wcpm"}


@pytest.fixture(scope="module")
def reading() -> bytes:
    return sy.to_wav_bytes(sy.synthesize(READ))


@pytest.fixture
def app(config):
    return create_app(config)


def _worker_env(config, **extra) -> dict:
    return {**os.environ, "DATABASE_URL": config.database_url, "REDIS_URL": config.redis_url,
            "TAITOTASO_SECRET_KEY": "test-secret", "TAITOTASO_VAR_DIR": str(config.var_dir),
            "TAITOTASO_ASR_THREADS": "1", **extra}


def _taitotaso() -> list[str]:
    return [sys.executable, "-m", "services.cli"]


def _wait(client, job_id: str, until=("done", "failed"), timeout: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/scoring/jobs/{job_id}?ui_language=fi").json
        if job["status"] in until:
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")


def test_a_read_aloud_recording_is_scored_by_a_queued_job(app, config, reading):
    client = as_scoring_client(app.test_client())
    r = client.post("/api/v1/scoring/speech", data={
        "reference_text": READ, "audio": (__import__("io").BytesIO(reading), "answer.wav")},
        content_type="multipart/form-data")
    assert r.status_code == 202, r.json
    assert r.headers["Location"] == f"/api/v1/scoring/jobs/{r.json['id']}"
    assert r.json["status"] == "queued"
    if config.redis_url:   # production: an RQ worker process takes it
        subprocess.run([*_taitotaso(), "worker", "--burst"], env=_worker_env(config), check=True,
                       timeout=300, capture_output=True)
    else:                  # embedded: the in-process queue
        app.extensions["taitotaso.scoring"].queue.join()
    job = _wait(client, r.json["id"])
    assert job["status"] == "done", job
    result = job["result"]
    assert REQUIRED <= set(result)
    assert result["cefr"] in ("A1", "A2", "B1", "B2", "C1", "C2")
    assert result["accuracy"] >= 0.7 and result["wcpm"] > 30
    assert all(f["message"] for f in result["feedback"])   # in the language asked for
    assert job["attempts"] == 1 and job["progress"] == 1.0


@pytest.fixture
def embedded(tmp_path):
    return as_scoring_client(
        create_app(seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None)).test_client())


def _post(client, data: bytes | None, **fields):
    import io

    form = dict(fields)
    if data is not None:
        form["audio"] = (io.BytesIO(data), "answer.webm")
    return client.post("/api/v1/scoring/speech", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize("audio, fields, status, words", [
    (b"not a recording at all" * 50, {"prompt_text": "Kerro itsestäsi."}, 422, "not a recording"),
    (sy.to_wav_bytes(sy.silence(3.0)), {"prompt_text": "Kerro itsestäsi."}, 422, "heard nothing"),
    (b"\0" * (10 * 2**20 + 10), {"prompt_text": "Kerro itsestäsi."}, 413, "10 MB"),
    (None, {"prompt_text": "Kerro itsestäsi."}, 422, "file field audio"),
    (b"x", {"prompt_text": "Kerro.", "reference_text": "Lue."}, 422, "not valid"),
    (b"x", {}, 422, "not valid"),
    (b"x", {"item_id": "no-such-item"}, 404, "no speaking item"),
])
def test_bad_uploads_get_a_message_a_person_can_act_on(embedded, audio, fields, status, words):
    r = _post(embedded, audio, **fields)
    assert r.status_code == status, r.json
    assert words in r.json["message"]


def test_messages_follow_the_interface_language(embedded):
    r = _post(embedded, sy.to_wav_bytes(sy.silence(3.0)), prompt_text="Kerro.", ui_language="fi")
    assert r.status_code == 422 and "mikrofoni" in r.json["message"]


def test_json_and_unknown_jobs_are_refused_clearly(embedded):
    assert embedded.post("/api/v1/scoring/speech", json={"prompt_text": "x"}).status_code == 415
    r = embedded.get("/api/v1/scoring/jobs/no-such-job")
    assert r.status_code == 404 and "no scoring job" in r.json["message"]


@pytest.mark.integration
def test_a_job_whose_worker_is_killed_is_finished_by_another(tmp_path, pg_url, redis_url, reading):
    config = seeded_config(tmp_path, pg_url, redis_url)
    client = as_scoring_client(create_app(config).test_client())
    env = _worker_env(config, TAITOTASO_JOB_STALE_S="4", TAITOTASO_SWEEP_S="1")
    # a long recording, so the job is still running when its worker dies
    long_audio = sy.to_wav_bytes(sy.synthesize(" ".join([READ] * 4)))
    first = subprocess.Popen([*_taitotaso(), "worker"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    second = None
    try:
        r = _post(client, long_audio, reference_text=" ".join([READ] * 4))
        assert r.status_code == 202, r.json
        job = _wait(client, r.json["id"], until=("running",), timeout=120)
        time.sleep(1.0)
        os.killpg(first.pid, signal.SIGKILL)      # the worker dies mid-job
        first.wait(timeout=10)
        assert client.get(f"/api/v1/scoring/jobs/{job['id']}").json["status"] == "running"
        second = subprocess.Popen([*_taitotaso(), "worker"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        done = _wait(client, job["id"], timeout=240)
        assert done["status"] == "done" and done["attempts"] == 2
        assert done["result"]["accuracy"] > 0.5
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)


def test_a_coach_hears_a_spoken_answer_the_machine_could_not_judge(tmp_path, reading):
    from services.common.accounts import create_staff
    from services.common.db import Database
    from services.gateway import create_app as suite

    config = seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None)
    client = as_scoring_client(suite(config).test_client())
    # the recording is of another text than the one given: too unclear to judge
    r = _post(client, reading, reference_text="Bussi tulee kymmenen minuutin päästä. Odota pysäkillä.")
    assert r.status_code == 202
    job = _wait(client, r.json["id"])
    result = job["result"]
    assert result["cefr"] is None and result["recognised_as"] == "unclear"
    assert [f["code"] for f in result["feedback"]] == ["unclear_audio"]
    review_id = result["review_id"]
    assert client.get(f"/api/v1/scoring/reviews/{review_id}/audio").status_code == 401
    create_staff(Database(config.database_url), "coach@example.fi", "Coach", ["reviewer"], "tarkistaja-sana-2468")
    assert client.post("/authoring/api/v1/auth/sign-in", json={
        "email": "coach@example.fi", "password": "tarkistaja-sana-2468"}).status_code == 200
    queue = client.get("/api/v1/scoring/reviews").json["reviews"]
    assert [q["id"] for q in queue if q["kind"] == "speech"] == [review_id]
    audio = client.get(f"/api/v1/scoring/reviews/{review_id}/audio")
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    assert audio.data[:4] == b"RIFF" and len(audio.data) > 16000
    assert client.get("/api/v1/scoring/reviews/999/audio").status_code == 404
