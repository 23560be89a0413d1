"""What one session request costs the server, in-process: wall and CPU time (the serving
thread's), SQL statements and commits per endpoint, over whole tests taken through Flask's
test client on PostgreSQL + Redis (medians; counts are deterministic, times are not).

    python benchmarks/session_cost.py [CODE_DIR] [TESTS]

CODE_DIR: a checkout whose code is measured (default: this one), e.g. an older commit
unpacked with `git archive <commit> | tar -x -C /tmp/old`, for a before/after on one machine.
"""
import importlib.util
import os
import pathlib
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
code = sys.argv[1] if len(sys.argv) > 1 else str(ROOT)
n_tests = int(sys.argv[2]) if len(sys.argv) > 2 else 4
sys.path.insert(0, code)
spec = importlib.util.spec_from_file_location("sql_counts", str(ROOT / "tests" / "sql_counts.py"))
sc = importlib.util.module_from_spec(spec); spec.loader.exec_module(sc)
from sqlalchemy import create_engine, text
PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
schema = f"inproc_{uuid.uuid4().hex[:8]}"
admin = create_engine(PG, isolation_level="AUTOCOMMIT")
with admin.connect() as c: c.execute(text(f"CREATE SCHEMA {schema}"))
url = f"{PG}?options=-csearch_path%3D{schema}"
import logging; logging.disable(logging.INFO)
try:
    from tests.integration.conftest import seeded_config, KEYS
    import services; assert services.__file__.startswith(code), services.__file__
    cfg = seeded_config(pathlib.Path(tempfile.mkdtemp()), url, os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14"), bank_check_seconds=3600.0)
    from services.testing.app import create_app
    app = create_app(cfg); client = app.test_client()
    eng = app.extensions["taitotaso.resources"].db.engine
    def wrong(item):
        if item["kind"] == "c_test": return [""] * item["max_score"]
        if "choices" in item: return item["choices"][-1]["id"]
        return "väärin"
    stats = {}
    def rec(name, fn):
        w0, c0 = time.perf_counter(), time.thread_time()
        with sc.SqlCounter(eng) as cnt:
            r = fn()
        stats.setdefault(name, []).append(((time.perf_counter()-w0)*1000, (time.thread_time()-c0)*1000, cnt.statements, cnt.commits))
        return r
    def run(k):
        for _ in range(k):
            r = rec("POST /sessions", lambda: client.post("/api/v1/sessions", json={"ui_language": "fi"}))
            sid, h = r.json["id"], {"Authorization": f"Bearer {r.json['token']}"}
            n = 0
            while True:
                body = rec("GET /next", lambda: client.get(f"/api/v1/sessions/{sid}/next", headers=h)).json
                if body["done"]: break
                if "block" in body:
                    ans = {w["id"]: KEYS[w["id"]] if n % 2 == 0 else "yes" for w in body["block"]["items"]}
                    rec("POST /block-responses", lambda: client.post(f"/api/v1/sessions/{sid}/block-responses", headers=h, json={"block_id": body["block"]["id"], "answers": ans}))
                else:
                    it = body["item"]
                    rec("POST /responses", lambda: client.post(f"/api/v1/sessions/{sid}/responses", headers=h, json={"item_id": it["id"], "answer": KEYS[it["id"]] if n % 2 == 0 else wrong(it)}))
                n += 1
            rec("GET /result", lambda: client.get(f"/api/v1/sessions/{sid}/result", headers=h))
    run(2); stats.clear(); run(n_tests)
    print(f"code {code}: {n_tests} tests in-process on PostgreSQL + Redis")
    print(f"{'endpoint':<24}{'n':>5}{'wall ms':>9}{'cpu ms':>8}{'stmts':>7}{'max':>5}{'commits':>9}")
    for k, v in stats.items():
        print(f"{k:<24}{len(v):>5}{statistics.median(x[0] for x in v):>9.1f}{statistics.median(x[1] for x in v):>8.1f}{statistics.mean(x[2] for x in v):>7.2f}{max(x[2] for x in v):>5}{statistics.mean(x[3] for x in v):>9.2f}")
finally:
    with admin.connect() as c: c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
