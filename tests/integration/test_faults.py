"""Faults a production installation meets, each made to happen: Redis restarted in the
middle of tests (sessions go on, nothing is lost). The other two are elsewhere: a worker
killed mid-job (``test_speech_jobs.py::test_a_job_whose_worker_is_killed_is_finished_by_another``)
and PostgreSQL connections dropped (``test_operations.py``)."""
from __future__ import annotations

import io
import shutil
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.gateway import create_app
from services.scoring.orm import SpeechJob
from services.testing.orm import SessionItem

from .conftest import KEYS, SCORING_AUTH, Taker, seeded_config

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class PrivateRedis:
    """A redis-server of this test's own, on a free port, that can be stopped and started
    again on the same port; like many installations it keeps nothing on disk, so a restart
    loses everything in it."""

    def __init__(self, tmp_path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = tmp_path
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        for _ in range(100):
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path):
    if not Path(REDIS_SERVER).exists():
        pytest.fail("redis-server is missing (Debian's redis-server package)")
    r = PrivateRedis(tmp_path)
    r.start()
    yield r
    r.stop()


def answered(db, session_id) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(SessionItem).where(
            SessionItem.session_id == session_id, SessionItem.answer.is_not(None)))


def answer_next(taker) -> tuple[int, int]:
    """(status of GET /next, status of the answer); 0 when there was nothing to answer."""
    r = taker.next()
    if r.status_code != 200 or r.json["done"]:
        return r.status_code, 0
    item = r.json["item"]
    return 200, taker.answer(item["id"], KEYS[item["id"]]).status_code


def test_tests_go_on_through_a_redis_restart_and_no_answer_is_lost(tmp_path, pg_url, private_redis, capsys):
    app = create_app(seeded_config(tmp_path, pg_url, private_redis.url))
    db = app.extensions["taitotaso.resources"].db
    takers = [Taker(app.test_client()) for _ in range(3)]
    accepted = {t.id: 0 for t in takers}
    for taker in takers:
        for _ in range(3):
            assert answer_next(taker) == (200, 201)
            accepted[taker.id] += 1

    private_redis.stop()                       # Redis is gone: exposure counts cannot be kept
    during = []
    for taker in takers:
        for _ in range(2):
            status = answer_next(taker)
            during.append(status)
            assert all(code in (0, 200, 201, 503) for code in status), status   # never a 500
            accepted[taker.id] += status[1] == 201
    with capsys.disabled():
        print(f"\nwhile Redis was down: (next, answer) statuses {during}")
    assert app.test_client().get("/readyz").status_code == 503

    private_redis.start()                      # back, empty
    assert app.test_client().get("/readyz").status_code == 200
    for taker in takers:
        taker.finish()
        assert taker.result().status_code == 200
        assert answered(db, taker.id) >= accepted[taker.id] >= 5
    app.extensions["taitotaso.resources"].db.dispose()


def test_a_speech_job_queued_before_a_redis_restart_is_queued_again(tmp_path, pg_url, private_redis):
    """A restart empties the job queue; the job is still in PostgreSQL, and the sweeper that
    runs beside the workers queues it again."""
    from scoring.speech import synthetic as sy
    from services.common.queue import RQQueue
    from services.common.redis_client import make_redis
    from services.scoring.speech import recover_stale_jobs

    config = seeded_config(tmp_path, pg_url, private_redis.url)
    app = create_app(config)
    client = app.test_client()
    audio = sy.to_wav_bytes(sy.synthesize("Minä asun Espoossa."))
    r = client.post("/api/v1/scoring/speech", headers=SCORING_AUTH, data={
        "reference_text": "Minä asun Espoossa.", "audio": (io.BytesIO(audio), "answer.wav")},
        content_type="multipart/form-data")
    assert r.status_code == 202, r.json
    job_id = r.json["id"]
    assert RQQueue(make_redis(private_redis.url)).depth() == 1
    private_redis.stop()
    private_redis.start()
    queue = RQQueue(make_redis(private_redis.url))
    assert queue.depth() == 0                  # the restart lost the queued job …
    db = app.extensions["taitotaso.resources"].db
    with db.session() as s:
        assert s.get(SpeechJob, job_id).status == "queued"      # … but not the job
    assert recover_stale_jobs(db, queue, older_than=timedelta(0)) == [job_id]
    assert queue.depth() == 1
    db.dispose()
