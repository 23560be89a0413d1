"""Speech scoring jobs through RQ on the real PostgreSQL and Redis.

Throughput: the same batch of read-aloud recordings scored by one `taitotaso worker`
with 2 threads and by two workers with 1 thread each (both use the machine's 2 cores),
from the moment the batch is queued until the last result is stored.

Failure: with two workers busy on a batch, one is killed (SIGKILL) while it scores a
job. Reported: how many jobs finished, how many had to run twice, none lost, and how
long the batch took compared with the undisturbed run. A killed job is queued again
by the other worker's sweeper once its heartbeat is ``TAITOTASO_JOB_STALE_S`` old.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis as redis_lib
from sqlalchemy import create_engine, select, text

from scoring.speech import synthetic as sy
from services.common.db import Database
from services.common.queue import RQQueue
from services.scoring import speech
from services.scoring.orm import SpeechJob

PG = os.environ.get("TAITOTASO_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("TAITOTASO_BENCH_REDIS", "redis://127.0.0.1:6379/12")
ROOT = Path(__file__).resolve().parents[1]


def start_workers(n: int, threads: int, env: dict) -> list[subprocess.Popen]:
    procs = [subprocess.Popen([sys.executable, "-m", "services.cli", "worker"], cwd=ROOT,
                              env={**env, "TAITOTASO_ASR_THREADS": str(threads)},
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              start_new_session=True) for _ in range(n)]
    for p in procs:   # each prints a line when its model is loaded
        line = p.stdout.readline()
        if "loaded" not in line:
            raise SystemExit(f"a worker did not start: {line!r}")
    return procs


def stop(procs: list[subprocess.Popen], sig=signal.SIGTERM) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, sig)
    for p in procs:
        p.wait(timeout=30)


def run_batch(db: Database, queue: RQQueue, clips: list[tuple[bytes, str]], kill: subprocess.Popen | None = None,
              timeout: float = 900) -> dict:
    t0 = time.perf_counter()
    ids = [speech.submit(db, queue, data, task="read_aloud", text=txt)["id"] for data, txt in clips]
    killed_at = None
    while time.perf_counter() - t0 < timeout:
        with db.session() as s:
            rows = s.execute(select(SpeechJob.status, SpeechJob.attempts).where(SpeechJob.id.in_(ids))).all()
        if kill is not None and killed_at is None and sum(r.status == "running" for r in rows) >= 2:
            time.sleep(1.0)     # well inside a job
            os.killpg(kill.pid, signal.SIGKILL)
            killed_at = time.perf_counter() - t0
        if all(r.status in ("done", "failed") for r in rows):
            break
        time.sleep(0.25)
    wall = time.perf_counter() - t0
    return {"jobs": len(ids), "done": sum(r.status == "done" for r in rows),
            "failed": sum(r.status == "failed" for r in rows),
            "unfinished": sum(r.status not in ("done", "failed") for r in rows),
            "ran_twice": sum(r.attempts > 1 for r in rows), "wall_s": round(wall, 1),
            "jobs_per_min": round(60 * len(ids) / wall, 1),
            "audio_s_per_s": round(sum((len(d) - 44) / 32000 for d, _ in clips) / wall, 2),
            **({"killed_at_s": round(killed_at, 1)} if killed_at is not None else {})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=12)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG}?options=-csearch_path%3D{schema}"
    r = redis_lib.Redis.from_url(REDIS)
    r.flushdb()
    try:
        db = Database(url)
        db.upgrade()
        queue = RQQueue(r)
        texts = [t for _, t in sy.passages(max_words=25)][: args.jobs]
        clips = [(sy.to_wav_bytes(sy.synthesize(t)), t) for t in texts]
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS, "TAITOTASO_SECRET_KEY": "bench",
               "PYTHONPATH": str(ROOT)}
        out = {}
        for label, n, threads in (("1 worker x 2 threads", 1, 2), ("2 workers x 1 thread", 2, 1)):
            procs = start_workers(n, threads, env)
            try:
                out[label] = run_batch(db, queue, clips)
            finally:
                stop(procs)
            if not args.json:
                print(f"  {label:22s} {out[label]}", flush=True)
        procs = start_workers(2, 1, env)
        try:
            out["2 workers, one killed mid-job"] = run_batch(db, queue, clips, kill=procs[0])
        finally:
            stop(procs)
        if not args.json:
            print(f"  {'2 workers, one killed':22s} {out['2 workers, one killed mid-job']}")
        base = out["1 worker x 2 threads"]["wall_s"]
        out["speedup_2_workers"] = round(base / out["2 workers x 1 thread"]["wall_s"], 2)
        out["stale_after_s"] = speech.STALE_AFTER.total_seconds()
        print(json.dumps(out))
    finally:
        r.flushdb()
        with admin.connect() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
