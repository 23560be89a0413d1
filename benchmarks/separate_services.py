"""The suite as separate processes, and what each one weighs.

    .venv/bin/python benchmarks/separate_services.py [--tests 100] [--sqlite]

1. Starts each service alone, ``taitotaso serve --service NAME`` (testing, scoring, results,
   authoring, library), on its own port, over one PostgreSQL database (a fresh schema;
   ``--sqlite``: a SQLite file) and no Redis (each process runs its own jobs). Each service
   reaches the others only through their addresses (``TAITOTASO_SCORING_URL``,
   ``TAITOTASO_TESTING_URL``, ``TAITOTASO_RESULTS_URL``) with its credential, as compose
   and Kubernetes configure them.
2. Takes a test through the testing service's API, its writing scored by the scoring service.
3. Takes another and stops the scoring service just before the first written answer: the
   answer is stored unscored (``scoring: waiting``), the test goes on, the result waits
   (202); the scoring service is started again and the result comes, with the written
   answer scored: nothing lost.
4. Takes ``--tests`` more tests (four at a time) and opens the pages of the other services,
   then prints each service's memory (resident set of its gunicorn worker and arbiter), and
   whether the testing service's process has loaded PyTorch or the writing scorer.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "taitotaso"
PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SERVICES = ("scoring", "testing", "results", "authoring", "library")
# each caller its own secret for each service it calls, as compose and Kubernetes give them
SECRETS = {(caller, called): f"separate-services-{caller}-to-{called}-" + uuid.uuid4().hex
           for caller, called in (("testing", "scoring"), ("results", "scoring"),
                                  ("authoring", "scoring"), ("results", "testing"),
                                  ("authoring", "testing"), ("testing", "results"))}
WRITTEN = ("Hei! Olen ollut töissä kaupassa kaksi vuotta. Pidän työstäni, koska asiakkaat ovat "
           "mukavia ja työkaverit auttavat minua. Haluaisin oppia lisää suomea, jotta voisin "
           "tehdä myös esimiehen tehtäviä. Terveisin Olga")
PAGES = {"results": "/results/", "authoring": "/authoring/", "library": "/katso/"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Suite:
    def __init__(self, env: dict, logs: Path):
        self.env, self.logs = env, logs
        self.ports = {name: free_port() for name in SERVICES}
        self.procs: dict[str, subprocess.Popen] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str) -> None:
        # as compose and Kubernetes configure them: every service finds the others by address
        # and calls them with its credential; each provider lists its callers
        env = dict(self.env) | {
            "TAITOTASO_SCORING_URL": self.url("scoring"), "TAITOTASO_TESTING_URL": self.url("testing"),
            "TAITOTASO_RESULTS_URL": self.url("results")}
        for (caller, called), secret in SECRETS.items():
            if caller == name:
                env[f"TAITOTASO_{called.upper()}_SECRET"] = secret
        clients = [f"{caller}:{secret}" for (caller, called), secret in SECRETS.items() if called == name]
        if clients:
            env[f"TAITOTASO_{name.upper()}_CLIENTS"] = ",".join(clients)
        log = open(self.logs / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            [str(BIN), "serve", "--service", name, "--port", str(self.ports[name]),
             "--workers", "1", "--threads", "4"],
            env=env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise SystemExit(f"the {name} service stopped at start: see {self.logs / name}.log")
            try:
                if requests.get(self.url(name) + "/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise SystemExit(f"the {name} service did not answer /healthz in 180 s")

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)

    def stop_all(self) -> None:
        for name in list(self.procs):
            try:
                self.stop(name)
            except Exception:  # noqa: BLE001 - tearing down
                pass

    def memory(self, name: str) -> dict:
        """Resident memory (MB) of the service's gunicorn arbiter and its worker, and what
        the worker has loaded."""
        arbiter = self.procs[name].pid
        kids = _children(arbiter)
        worker = kids[0] if kids else arbiter
        maps = Path(f"/proc/{worker}/maps").read_text(errors="replace")
        return {"worker_mb": _rss_mb(worker), "arbiter_mb": _rss_mb(arbiter),
                "torch": "libtorch" in maps, "voikko": "libvoikko" in maps}


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(t) for t in text]
    return out


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wrong(item: dict):
    if item["kind"] == "c_test":
        return [""] * item["max_score"]
    if "choices" in item:
        return item["choices"][-1]["id"]
    return "väärin"


class Test:
    """One job seeker through the testing service's JSON API."""

    def __init__(self, base: str, keys: dict):
        self.base, self.keys, self.http = base, keys, requests.Session()
        r = self.http.post(f"{base}/api/v1/sessions", json={"ui_language": "fi"}, timeout=30)
        r.raise_for_status()
        self.id, token = r.json()["id"], r.json()["token"]
        self.h = {"Authorization": f"Bearer {token}"}
        self.n = 0
        self.written: list[dict] = []

    def next(self) -> dict:
        r = self.http.get(f"{self.base}/api/v1/sessions/{self.id}/next", headers=self.h, timeout=30)
        r.raise_for_status()
        return r.json()

    def answer(self, body: dict) -> dict:
        if "block" in body:
            words = body["block"]["items"]
            r = self.http.post(f"{self.base}/api/v1/sessions/{self.id}/block-responses", headers=self.h,
                               json={"block_id": body["block"]["id"],
                                     "answers": {w["id"]: self.keys[w["id"]] for w in words}}, timeout=60)
        else:
            item = body["item"]
            answer = (WRITTEN if item["kind"] == "writing_task" else
                      self.keys[item["id"]] if self.n % 3 else wrong(item))
            r = self.http.post(f"{self.base}/api/v1/sessions/{self.id}/responses", headers=self.h,
                               json={"item_id": item["id"], "answer": answer}, timeout=60)
        if r.status_code != 201:
            raise SystemExit(f"an answer was refused: {r.status_code} {r.text[:300]}")
        self.n += 1
        if "item" in body and body["item"]["kind"] == "writing_task":
            self.written.append(r.json())
        return r.json()

    def run(self, before_writing=None) -> None:
        while True:
            body = self.next()
            if body["done"]:
                return
            if before_writing and body["item"]["kind"] == "writing_task" and not self.written:
                before_writing()
            self.answer(body)

    def result(self):
        return self.http.get(f"{self.base}/api/v1/sessions/{self.id}/result", headers=self.h, timeout=60)


def wait_for_result(t: Test, seconds: float = 60):
    """GET result until it is no longer 202 (a written answer waiting for its score)."""
    deadline = time.monotonic() + seconds
    while (r := t.result()).status_code == 202 and time.monotonic() < deadline:
        time.sleep(1)
    return r


def unscored(database_url: str, session_id: str) -> tuple[int, int]:
    """(written answers of the session, those still without a score), from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as c:
        rows = c.execute(text("SELECT si.score FROM session_items si JOIN items i "
                              "ON i.id = si.item_id AND i.version = si.item_version "
                              "WHERE si.session_id = :s AND i.kind = 'writing_task' "
                              "AND si.answer IS NOT NULL"), {"s": session_id}).all()
    engine.dispose()
    return len(rows), sum(r[0] is None for r in rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tests", type=int, default=100, help="tests taken before memory is read")
    ap.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    args = ap.parse_args()

    var = Path(tempfile.mkdtemp(prefix="taitotaso-separate-"))
    if args.sqlite:
        database_url = f"sqlite:///{var / 'taitotaso.db'}"
    else:
        from sqlalchemy import create_engine, text

        schema = f"sep_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        database_url = f"{PG}?options=-csearch_path%3D{schema}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAITOTASO_", "REDIS_URL"))}
    env |= {"DATABASE_URL": database_url, "TAITOTASO_VAR_DIR": str(var),
            "TAITOTASO_SECRET_KEY": "separate-services", "TAITOTASO_SESSION_STARTS_PER_MINUTE": "100000",
            "TAITOTASO_SCORING_TIMEOUT": "10", "PYTHONPATH": str(ROOT)}
    print(f"database: {'SQLite' if args.sqlite else 'PostgreSQL'}; logs and files in {var}", flush=True)
    subprocess.run([str(BIN), "db", "seed"], env=env, cwd=ROOT, check=True, capture_output=True)
    keys = {}
    for line in subprocess.run([str(BIN), "items", "export", "--with-keys"], env=env, cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.splitlines():
        row = json.loads(line)
        keys[row["id"]] = row["key"] if row["key"] is not None else WRITTEN

    suite = Suite(env, var)
    try:
        for name in SERVICES:   # scoring first: the testing service needs it from its first test
            started = time.monotonic()
            suite.start(name)
            print(f"  {name:<9} taitotaso serve --service {name} --port {suite.ports[name]}"
                  f"   (up in {time.monotonic() - started:.1f} s, pid {suite.procs[name].pid})", flush=True)

        print("\n1. a test through the testing service, its writing scored by the scoring service")
        t = Test(suite.url("testing"), keys)
        t.run()
        r = wait_for_result(t)
        res = r.json()
        print(f"   {t.n} answers, {len(t.written)} written: "
              f"{[w.get('scoring', 'scored') for w in t.written]}; GET result {r.status_code}: "
              f"overall {res['overall']['cefr']}, writing "
              f"{res['skills'].get('writing', {}).get('cefr')}")
        print(f"   written answers in the database, scored: {unscored(database_url, t.id)[0] - unscored(database_url, t.id)[1]}"
              f" of {unscored(database_url, t.id)[0]}")

        print("\n2. the scoring service stopped before the first written answer, then started again")
        t = Test(suite.url("testing"), keys)
        stopped_at = {}

        def stop_scoring():
            suite.stop("scoring")
            stopped_at["n"] = t.n
            print(f"   scoring service stopped after {t.n} answers", flush=True)

        t.run(before_writing=stop_scoring)
        print(f"   written answers while it was down: {[w.get('scoring', 'scored') for w in t.written]}"
              f"; the test went on to the end ({t.n} answers)")
        r = t.result()
        print(f"   GET result: {r.status_code} {json.dumps(r.json(), ensure_ascii=False)[:160]}"
              f" Retry-After: {r.headers.get('Retry-After')}")
        n, waiting = unscored(database_url, t.id)
        print(f"   in the database: {n} written answer(s), {waiting} waiting for a score, the text kept")
        suite.start("scoring")
        print("   scoring service started again", flush=True)
        r = wait_for_result(t)
        res = r.json()
        n, waiting = unscored(database_url, t.id)
        print(f"   GET result: {r.status_code}: overall {res['overall']['cefr']}, writing "
              f"{res['skills'].get('writing', {}).get('cefr')}; written answers {n}, waiting {waiting}")

        print(f"\n3. {args.tests} more tests (4 at a time), the other services' pages opened")
        started = time.monotonic()
        done = []

        def taker(k: int):
            for _ in range(k):
                x = Test(suite.url("testing"), keys)
                x.run()
                assert wait_for_result(x).status_code == 200
                done.append(x.n)
        threads = [threading.Thread(target=taker, args=(args.tests // 4 + (i < args.tests % 4),))
                   for i in range(4)]
        [th.start() for th in threads]
        for name, path in PAGES.items():
            for _ in range(20):
                requests.get(suite.url(name) + path, timeout=30)
        [th.join() for th in threads]
        print(f"   {len(done)} tests, {sum(done)} answers in {time.monotonic() - started:.0f} s")
        print("\n   memory after them (resident, MB):")
        print(f"   {'service':<10} {'worker':>7} {'arbiter':>8}  PyTorch  Voikko")
        for name in SERVICES:
            m = suite.memory(name)
            print(f"   {name:<10} {m['worker_mb']:7.0f} {m['arbiter_mb']:8.0f}  "
                  f"{'yes' if m['torch'] else 'no':>7}  {'yes' if m['voikko'] else 'no':>6}")
    finally:
        suite.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
