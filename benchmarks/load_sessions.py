"""Concurrent job seekers taking whole adaptive tests through the session API, with the
trivial endpoint /healthz as the baseline measured in the same run, against the testing
service as it is deployed (gunicorn -c deploy/gunicorn/testing.py) on PostgreSQL and Redis.

No RQ worker runs: nothing but the server and this load generator shares the cores. The
run alternates phases of equal length, /healthz then the session API, ``--rounds`` times,
at the same concurrency, and reports each round's ratio and their median: both sides of
the ratio are measured under the same conditions, minutes apart at most.

It also counts the SQL statements and commits of each session request (one test taken
in-process against the same database with tests/sql_counts.py; counts do not depend on
load).

Everything runs on this machine (loopback only); the run is bounded in time.

    python benchmarks/load_sessions.py [--users 16] [--rounds 3] [--seconds 10] [--workers 2]
    python benchmarks/load_sessions.py --code /tmp/older-checkout   # serve another checkout
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
SESSION_ENDPOINTS = ("POST /sessions", "GET /next", "POST /responses", "POST /block-responses",
                     "GET /result")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, seconds: float = 60.0) -> None:
    """Until ``base``/healthz answers (at most ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


class Recorder:
    def __init__(self):
        self.lat = defaultdict(list)
        self.errors = defaultdict(int)
        self.slow = defaultdict(int)  # requests over a second, by endpoint and item kind
        self.lock = threading.Lock()

    def timed(self, name, fn, kind: str | None = None):
        t0 = time.perf_counter()
        r = fn()
        dt = (time.perf_counter() - t0) * 1000
        with self.lock:
            self.lat[name].append(dt)
            if r.status_code >= 400:
                self.errors[f"{name} {r.status_code}"] += 1
            if dt > 1000:
                self.slow[f"{name} {kind}" if kind else name] += 1
        return r

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.lat.values())


WRITTEN_ANSWER = ("Hei! Olen ollut töissä kaupassa kaksi vuotta. Pidän työstäni, koska "
                  "asiakkaat ovat mukavia ja työkaverit auttavat minua. Terveisin Olga")


def wrong(item: dict):
    """A wrong answer in the shape the item takes."""
    if item["kind"] == "c_test":
        return [""] * item["max_score"]
    if "choices" in item:
        return item["choices"][-1]["id"]
    return "väärin"  # a typed answer, or a (very short) text for a writing task


def take_test(base, keys, rec: Recorder, http: requests.Session, deadline: float) -> int | None:
    """One whole test (a block of yes/no words in one request); None if the phase ended
    first (the requests made count all the same)."""
    r = rec.timed("POST /sessions", lambda: http.post(f"{base}/api/v1/sessions",
                                                      json={"ui_language": "fi"}))
    sid, token = r.json()["id"], r.json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    n = 0
    while True:
        if time.monotonic() > deadline:
            return None
        body = rec.timed("GET /next", lambda: http.get(f"{base}/api/v1/sessions/{sid}/next",
                                                       headers=h)).json()
        if body["done"]:
            break
        item = body["item"]
        if "block" in body:  # a mixed job seeker: the words of every other block right
            words = body["block"]["items"]
            answers = {w["id"]: keys[w["id"]] if n % 2 == 0 else "yes" for w in words}
            rec.timed("POST /block-responses", lambda: http.post(
                f"{base}/api/v1/sessions/{sid}/block-responses", headers=h,
                json={"block_id": body["block"]["id"], "answers": answers}))
        else:  # right on every other item
            answer = keys[item["id"]] if n % 2 == 0 else wrong(item)
            rec.timed("POST /responses", lambda: http.post(
                f"{base}/api/v1/sessions/{sid}/responses", headers=h,
                json={"item_id": item["id"], "answer": answer}), item["kind"])
        n += 1
    rec.timed("GET /result", lambda: http.get(f"{base}/api/v1/sessions/{sid}/result", headers=h))
    return n


def healthz_phase(base: str, users: int, seconds: float) -> tuple[Recorder, float]:
    rec = Recorder()
    deadline = time.monotonic() + seconds

    def hammer():
        http = requests.Session()
        while time.monotonic() < deadline:
            rec.timed("GET /healthz", lambda: http.get(f"{base}/healthz"))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=hammer) for _ in range(users)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return rec, time.perf_counter() - t0


def session_phase(base: str, keys: dict, users: int, seconds: float) -> tuple[Recorder, float, list[int]]:
    rec = Recorder()
    deadline = time.monotonic() + seconds
    finished: list[int] = []
    lock = threading.Lock()

    def user():
        http = requests.Session()
        while time.monotonic() < deadline:
            n = take_test(base, keys, rec, http, deadline)
            if n is not None:
                with lock:
                    finished.append(n)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=user) for _ in range(users)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return rec, time.perf_counter() - t0, finished


def statements_per_request(database_url: str, redis_url: str, keys: dict) -> dict:
    """SQL statements and commits of each session request, one test taken in-process
    (Flask's test client) against the benchmark's database: max and mean per endpoint."""
    sys.path.insert(0, str(ROOT))
    from services.common.config import Config
    from services.testing.app import create_app
    from tests.sql_counts import SqlCounter

    cfg = Config.from_env(database_url=database_url, redis_url=redis_url,
                          secret_key="bench", bank_check_seconds=3600.0)
    app = create_app(cfg)
    db = app.extensions["taitotaso.resources"].db
    client = app.test_client()
    counts = defaultdict(list)

    def count(name, fn):
        with SqlCounter(db.engine) as c:
            r = fn()
        counts[name].append((c.statements, c.commits))
        return r

    client.post("/api/v1/sessions", json={"ui_language": "fi"})  # warm: the bank is loaded
    r = count("POST /sessions", lambda: client.post("/api/v1/sessions", json={"ui_language": "fi"}))
    sid, h = r.json["id"], {"Authorization": f"Bearer {r.json['token']}"}
    n = 0
    while True:
        body = count("GET /next", lambda: client.get(f"/api/v1/sessions/{sid}/next", headers=h)).json
        if body["done"]:
            break
        if "block" in body:
            answers = {w["id"]: keys[w["id"]] for w in body["block"]["items"]}
            count("POST /block-responses", lambda: client.post(
                f"/api/v1/sessions/{sid}/block-responses", headers=h,
                json={"block_id": body["block"]["id"], "answers": answers}))
        else:
            answer = keys[body["item"]["id"]] if n % 2 == 0 else wrong(body["item"])
            count("POST /responses", lambda: client.post(
                f"/api/v1/sessions/{sid}/responses", headers=h,
                json={"item_id": body["item"]["id"], "answer": answer}))
        n += 1
    count("GET /result", lambda: client.get(f"/api/v1/sessions/{sid}/result", headers=h))
    db.dispose()
    return {name: {"n": len(v), "statements_max": max(s for s, _ in v),
                   "statements_mean": round(statistics.mean(s for s, _ in v), 2),
                   "commits_mean": round(statistics.mean(c for _, c in v), 2)}
            for name, v in counts.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=16, help="concurrent job seekers")
    ap.add_argument("--rounds", type=int, default=3, help="pairs of phases: /healthz, sessions")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--code", type=Path, default=ROOT,
                    help="the checkout whose code gunicorn serves (default: this one)")
    ap.add_argument("--warmup", type=float, default=120.0,
                    help="at most this many seconds for the warm-up: one whole test per client (each "
                         "worker loads the bank, the Voikko analyser and the writing scorer on "
                         "first use)")
    ap.add_argument("--no-count", action="store_true", help="skip counting SQL statements")
    ap.add_argument("--scoring-apart", action="store_true",
                    help="written answers go to a scoring service in its own process "
                         "(taitotaso serve --service scoring), as deployed, instead of being "
                         "scored in the testing service's workers")
    args = ap.parse_args()

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    database_url = f"{PG}?options=-csearch_path%3D{schema}"
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=REDIS,
               TAITOTASO_SECRET_KEY="bench", BIND=f"127.0.0.1:{port}",
               WEB_CONCURRENCY=str(args.workers), GUNICORN_THREADS=str(args.threads),
               # every simulated job seeker comes from 127.0.0.1: no per-address limit here
               TAITOTASO_SESSION_STARTS_PER_MINUTE="1000000",
               PROMETHEUS_MULTIPROC_DIR=f"/tmp/taitotaso-bench-prom-{schema}",
               # the deploy recycles a worker after ~5,000 requests; the /healthz phases alone
               # would do that every other round, and the new worker's cold start (bank, pool,
               # writing scorer) would be charged to the session API's phase
               GUNICORN_CMD_ARGS="--max-requests 0")
    import redis as redis_lib

    redis_lib.Redis.from_url(REDIS).flushdb()
    server = scoring = None
    try:
        subprocess.run([str(BIN), "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([str(BIN), "db", "seed"], env=env, check=True, capture_output=True)
        keys = {}
        for line in subprocess.run([str(BIN), "items", "export", "--with-keys"], env=env, check=True,
                                   capture_output=True, text=True).stdout.splitlines():
            row = json.loads(line)
            keys[row["id"]] = row["key"] if row["key"] is not None else WRITTEN_ANSWER
        counted = None if args.no_count else statements_per_request(database_url, REDIS, keys)
        base = f"http://127.0.0.1:{port}"
        if args.scoring_apart:
            scoring_port = free_port()
            secret = "load-sessions-testing-secret-" + uuid.uuid4().hex
            scoring = subprocess.Popen(
                [str(BIN), "serve", "--service", "scoring", "--port", str(scoring_port),
                 "--workers", "1", "--threads", "4"],
                env=dict(env, TAITOTASO_SCORING_CLIENTS=f"testing:{secret}"), cwd=str(args.code),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_healthy(f"http://127.0.0.1:{scoring_port}")
            env |= {"TAITOTASO_SCORING_URL": f"http://127.0.0.1:{scoring_port}",
                    "TAITOTASO_SCORING_SECRET": secret}
        # the testing service as deployed; no RQ worker beside it
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c",
                                   str(ROOT / "deploy" / "gunicorn" / "testing.py"),
                                   "--chdir", str(args.code)], env=env, cwd=str(args.code),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_healthy(base)
        # warm-up: every client takes one whole test, so every worker has loaded the bank,
        # its pool and the scorers (a writing task comes late in a test) before measuring
        warm = [threading.Thread(target=take_test, args=(base, keys, Recorder(), requests.Session(),
                                                          time.monotonic() + args.warmup))
                for _ in range(args.users)]
        [t.start() for t in warm]
        [t.join() for t in warm]

        rounds = []
        all_sessions = Recorder()
        all_healthz = Recorder()
        tests_done: list[int] = []
        for _ in range(args.rounds):
            hrec, helapsed = healthz_phase(base, args.users, args.seconds)
            srec, selapsed, finished = session_phase(base, keys, args.users, args.seconds)
            rounds.append({"healthz_rps": hrec.total / helapsed,
                           "session_rps": srec.total / selapsed,
                           "tests_per_s": len(finished) / selapsed})
            for rec, into in ((hrec, all_healthz), (srec, all_sessions)):
                for name, v in rec.lat.items():
                    into.lat[name] += v
                for name, n in rec.errors.items():
                    into.errors[name] += n
                for name, n in rec.slow.items():
                    into.slow[name] += n
            tests_done += finished
        for r in rounds:
            r["ratio"] = r["session_rps"] / r["healthz_rps"]
        med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        total_s = args.rounds * args.seconds
        print(f"testing service: gunicorn -c deploy/gunicorn/testing.py --max-requests 0, {args.workers} workers x "
              f"{args.threads} threads, PostgreSQL + Redis, no RQ worker; {args.users} concurrent "
              f"clients; {args.rounds} rounds of /healthz {args.seconds:.0f} s then the session "
              f"API {args.seconds:.0f} s ({os.cpu_count()} CPUs shared with the load generator)")
        print("written answers: " + ("scored by a scoring service in its own process on the same "
                                     "CPUs (--scoring-apart)" if args.scoring_apart else
                                     "scored in the testing service's workers"))
        for n, r in enumerate(rounds, 1):
            print(f"round {n}: /healthz {r['healthz_rps']:.0f} requests/s, session API "
                  f"{r['session_rps']:.0f} requests/s, ratio {r['ratio']:.2f}")
        print(f"median: /healthz {med['healthz_rps']:.0f} requests/s, session API "
              f"{med['session_rps']:.0f} requests/s ({med['tests_per_s']:.2f} whole tests/s, "
              f"{statistics.mean(tests_done) if tests_done else float('nan'):.1f} requests of "
              f"answers each), ratio {med['ratio']:.2f}")
        print(f"{'endpoint':<24}{'n':>7}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}")
        summary = {}
        for name in SESSION_ENDPOINTS + ("GET /healthz",):
            v = all_sessions.lat.get(name) or all_healthz.lat.get(name)
            if not v:
                continue
            p50, p99 = statistics.median(v), pct(v, 99)
            summary[name] = {"n": len(v), "requests_per_s": round(len(v) / total_s, 1),
                             "p50_ms": round(p50, 2), "p99_ms": round(p99, 2)}
            print(f"{name:<24}{len(v):>7}{len(v) / total_s:>8.1f}{p50:>9.1f}{p99:>9.1f}")
        errors = dict(all_sessions.errors) | dict(all_healthz.errors)
        print(f"errors: {errors or 'none'}; requests over 1 s: {dict(all_sessions.slow) or 'none'}")
        if counted:
            print("SQL statements per request (one test in-process on the same database; "
                  "commits per request):")
            for name in SESSION_ENDPOINTS:
                if name in counted:
                    c = counted[name]
                    print(f"  {name:<22} max {c['statements_max']}, mean {c['statements_mean']:.2f}"
                          f" statements; {c['commits_mean']:.2f} commits  (n={c['n']})")
        with create_engine(database_url).connect() as c:  # which code served: the lean path keeps states
            sessions, active, kept = c.execute(text(
                "SELECT count(*), count(*) FILTER (WHERE status = 'active'), count(engine_state) "
                "FROM test_sessions")).one()
        print(f"sessions: {sessions} ({active} unfinished), with a kept engine state: {kept} (the "
              f"lean path keeps one in each unfinished session with an answer; code served: {args.code})")
        print(json.dumps({"benchmark": "load_sessions", "rounds": rounds, "median": med,
                          "endpoints": summary, "sql_per_request": counted, "errors": errors}))
    finally:
        if scoring is not None:
            scoring.terminate()
            scoring.wait(timeout=15)
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        with admin.connect() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
