"""Many concurrent job seekers taking whole adaptive tests through the session API,
against gunicorn with PostgreSQL and Redis (and an RQ worker for the queued jobs).

Writing answers are scored inline (in the answer's request); every ``--speech-every``-th
test also sends a read-aloud recording to the scoring API, which queues a speech job for
the RQ worker; the run reports how many of those jobs finished and how long they waited.

Everything runs on this machine (loopback only); the run is bounded in count and time.
Prints requests/s overall and p50/p99 latency per endpoint, with a trivial endpoint
(/healthz) measured in the same run as the baseline.

    python benchmarks/load_sessions.py [--users 16] [--tests 160] [--workers 3]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "taitotaso"
PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


class Recorder:
    def __init__(self):
        self.lat = defaultdict(list)
        self.errors = defaultdict(int)
        self.lock = threading.Lock()

    def timed(self, name, fn):
        t0 = time.perf_counter()
        r = fn()
        dt = (time.perf_counter() - t0) * 1000
        with self.lock:
            self.lat[name].append(dt)
            if r.status_code >= 400:
                self.errors[f"{name} {r.status_code}"] += 1
        return r


WRITTEN_ANSWER = ("Hei! Olen ollut töissä kaupassa kaksi vuotta. Pidän työstäni, koska "
                  "asiakkaat ovat mukavia ja työkaverit auttavat minua. Terveisin Olga")


def wrong(item: dict):
    """A wrong answer in the shape the item takes."""
    if item["kind"] == "c_test":
        return [""] * item["max_score"]
    if "choices" in item:
        return item["choices"][-1]["id"]
    return "väärin"  # a typed answer, or a (very short) text for a writing task


def take_test(base, keys, rec: Recorder, http: requests.Session) -> int:
    r = rec.timed("POST /sessions", lambda: http.post(f"{base}/api/v1/sessions",
                                                      json={"ui_language": "fi"}))
    sid, token = r.json()["id"], r.json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    n = 0
    while True:
        body = rec.timed("GET /next", lambda: http.get(f"{base}/api/v1/sessions/{sid}/next", headers=h)).json()
        if body["done"]:
            break
        item = body["item"]
        # a mixed job seeker: right on every other item
        answer = keys[item["id"]] if n % 2 == 0 else wrong(item)
        rec.timed("POST /responses", lambda: http.post(f"{base}/api/v1/sessions/{sid}/responses", headers=h,
                                                        json={"item_id": item["id"], "answer": answer}))
        n += 1
    rec.timed("GET /result", lambda: http.get(f"{base}/api/v1/sessions/{sid}/result", headers=h))
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=16, help="concurrent job seekers")
    ap.add_argument("--tests", type=int, default=160, help="tests to take in all")
    ap.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--max-seconds", type=float, default=300)
    ap.add_argument("--speech-every", type=int, default=4,
                    help="every n-th test also sends a spoken answer (0: none)")
    args = ap.parse_args()

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    env = dict(os.environ, DATABASE_URL=f"{PG}?options=-csearch_path%3D{schema}", REDIS_URL=REDIS,
               TAITOTASO_SECRET_KEY="bench",
               # every simulated job seeker comes from 127.0.0.1: no per-address limit here
               TAITOTASO_SESSION_STARTS_PER_MINUTE="1000000")
    import redis as redis_lib

    redis_lib.Redis.from_url(REDIS).flushdb()
    procs = []
    try:
        subprocess.run([str(BIN), "db", "seed"], env=env, check=True, capture_output=True)
        keys = {}
        for line in subprocess.run([str(BIN), "items", "export", "--with-keys"], env=env, check=True,
                                   capture_output=True, text=True).stdout.splitlines():
            row = json.loads(line)
            keys[row["id"]] = row["key"] if row["key"] is not None else WRITTEN_ANSWER
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        procs.append(subprocess.Popen([str(BIN), "serve", "--port", str(port), "--workers", str(args.workers),
                                       "--threads", str(args.threads)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen([str(BIN), "worker"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        for _ in range(150):
            try:
                if requests.get(f"{base}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)

        # baseline in the same run: a trivial endpoint, same concurrency
        base_rec = Recorder()
        t0 = time.perf_counter()

        def hammer():
            http = requests.Session()
            for _ in range(200):
                base_rec.timed("GET /healthz", lambda: http.get(f"{base}/healthz"))

        threads = [threading.Thread(target=hammer) for _ in range(args.users)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        base_rps = sum(len(v) for v in base_rec.lat.values()) / (time.perf_counter() - t0)

        from scoring.speech import synthetic as sy

        reading = "Minä asun Espoossa. Käyn töissä joka päivä bussilla."
        recording = sy.to_wav_bytes(sy.synthesize(reading))
        speech_jobs = []

        def speak(http):
            r = rec.timed("POST /scoring/speech", lambda: http.post(
                f"{base}/api/v1/scoring/speech", data={"reference_text": reading},
                files={"audio": ("answer.wav", recording, "audio/wav")}))
            if r.status_code == 202:
                with lock:
                    speech_jobs.append((r.json()["id"], time.perf_counter()))

        rec = Recorder()
        remaining = [args.tests]
        lock = threading.Lock()
        items_given = []
        deadline = time.monotonic() + args.max_seconds

        def user():
            http = requests.Session()
            while time.monotonic() < deadline:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                n = take_test(base, keys, rec, http)
                with lock:
                    items_given.append(n)
                    nth = len(items_given)
                if args.speech_every and nth % args.speech_every == 0:
                    speak(http)

        t0 = time.perf_counter()
        threads = [threading.Thread(target=user) for _ in range(args.users)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        elapsed = time.perf_counter() - t0
        total = sum(len(v) for v in rec.lat.values())
        # the queued speech jobs: how many the worker finished, and their time from upload to done
        waits, finished_by = [], time.monotonic() + 120
        for job_id, queued_at in speech_jobs:
            while time.monotonic() < finished_by:
                job = requests.get(f"{base}/api/v1/scoring/jobs/{job_id}", timeout=10).json()
                if job["status"] in ("done", "failed"):
                    if job["status"] == "done":
                        waits.append(time.perf_counter() - queued_at)
                    break
                time.sleep(0.5)
        print(f"gunicorn {args.workers} workers x {args.threads} threads, PostgreSQL + Redis, "
              f"{args.users} concurrent job seekers, {len(items_given)} whole tests "
              f"({statistics.mean(items_given):.1f} items each) in {elapsed:.1f} s")
        print(f"session API: {total / elapsed:.0f} requests/s, {len(items_given) / elapsed:.2f} tests/s; "
              f"baseline /healthz: {base_rps:.0f} requests/s (ratio {total / elapsed / base_rps:.2f})")
        print(f"{'endpoint':<18}{'n':>7}{'p50 ms':>9}{'p99 ms':>9}")
        summary = {}
        for name, v in list(rec.lat.items()) + list(base_rec.lat.items()):
            p50, p99 = statistics.median(v), pct(v, 99)
            summary[name] = {"n": len(v), "p50_ms": round(p50, 2), "p99_ms": round(p99, 2)}
            print(f"{name:<18}{len(v):>7}{p50:>9.1f}{p99:>9.1f}")
        errors = dict(rec.errors)
        print(f"errors: {errors or 'none'}")
        if speech_jobs:
            print(f"speech jobs queued: {len(speech_jobs)}, done: {len(waits)}; upload to result "
                  f"p50 {statistics.median(waits) if waits else float('nan'):.1f} s, "
                  f"max {max(waits) if waits else float('nan'):.1f} s (one RQ worker)")
        print(json.dumps({"benchmark": "load_sessions", "requests_per_s": round(total / elapsed, 1),
                          "tests_per_s": round(len(items_given) / elapsed, 2),
                          "baseline_healthz_rps": round(base_rps, 1),
                          "ratio_to_baseline": round(total / elapsed / base_rps, 3), "endpoints": summary,
                          "speech_jobs": {"queued": len(speech_jobs), "done": len(waits),
                                          "p50_s": round(statistics.median(waits), 2) if waits else None},
                          "errors": errors}))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        with admin.connect() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
