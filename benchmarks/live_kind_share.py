"""What live tests are made of: every kind in the bank served, through the HTTP API.

Simulated job seekers take tests through the testing service's JSON API (the Flask app
as `taitotaso serve` builds it, SQLite in a temporary directory, the real writing scorer),
answering from the bank's own parameters: ``POST /api/v1/sessions``, ``GET /next``, and
``POST /responses`` or, for a block of yes/no words, ``POST /block-responses``. Then the
validity report (`taitotaso validity report`, what an admin sees at /authoring/validity)
counts the scored units served per kind in the database, and the same number of
simulees take `taitotaso simulate --rule production` for the simulation's ``kind_share``.

Environment: LIVE_TESTS [100] tests through the API, LIVE_SEED [1].
Prints a table (served live, simulated, designed) and one JSON line.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BIN = Path(sys.executable).parent / "taitotaso"


def take_test(client, simulee) -> int:
    """One test through the API; returns the number of requests it took."""
    r = client.post("/api/v1/sessions", json={"ui_language": "fi"})
    assert r.status_code == 201, r.json
    sid, headers = r.json["id"], {"Authorization": f"Bearer {r.json['token']}"}
    requests = 1
    while True:
        body = client.get(f"/api/v1/sessions/{sid}/next", headers=headers).json
        requests += 1
        if body.get("done"):
            return requests
        if "block" in body:
            answers = {w["id"]: simulee.answer(w) for w in body["block"]["items"]}
            r = client.post(f"/api/v1/sessions/{sid}/block-responses", headers=headers,
                            json={"block_id": body["block"]["id"], "answers": answers})
        else:
            r = client.post(f"/api/v1/sessions/{sid}/responses", headers=headers,
                            json={"item_id": body["item"]["id"], "answer": simulee.answer(body["item"])})
        requests += 1
        if r.status_code != 201:
            raise RuntimeError(f"answer refused: {r.status_code} {r.json}")


def main() -> int:
    from item_bank.content import load_content
    from scoring.adapters.voikko import VoikkoAnalyzer
    from services import validity
    from services.calibration_loop import AnswerBook, Simulee, make_world, seed_database
    from services.common.config import Config
    from services.testing.app import create_app

    tests = int(os.environ.get("LIVE_TESTS", "100"))
    seed = int(os.environ.get("LIVE_SEED", "1"))
    world = make_world(load_content(), seed=seed, truth={"b_sd": 0.0, "a_logsd": 0.0, "shift": 0.0},
                       anchors=0.0, pretest=0.0, block_sd=0.0)
    book = AnswerBook(world.items, VoikkoAnalyzer())
    thetas = np.random.default_rng([seed, 10]).normal(0.0, 1.0, tests)
    with tempfile.TemporaryDirectory(prefix="taitotaso-live-") as tmp:
        path = Path(tmp) / "live.db"
        seed_database(path, world)
        cfg = Config.from_env(database_url=f"sqlite:///{path}", redis_url=None, var_dir=Path(tmp),
                              secret_key="benchmark", testing=True)
        app = create_app(cfg)
        client = app.test_client()
        started, requests = time.perf_counter(), 0
        for n, theta in enumerate(thetas):
            requests += take_test(client, Simulee(float(theta), world, book,
                                                  np.random.default_rng([seed, 21, n])))
            if (n + 1) % 25 == 0:
                print(f"    {n + 1}/{tests} tests ({time.perf_counter() - started:.0f} s)",
                      file=sys.stderr, flush=True)
        seconds = time.perf_counter() - started
        res = app.extensions["taitotaso.resources"]
        report = validity.report(res.db, res.config)
        res.db.dispose()
    live = report["kinds"]
    simulated = json.loads(subprocess.run(
        [str(BIN), "simulate", "--bank", "seed", "--rule", "production", "--examinees", str(tests),
         "--seed", str(seed), "--json"], check=True, capture_output=True, text=True).stdout)
    sim_share = simulated["kind_share"]
    print(f"kinds served: {live['tests']} tests through the HTTP API ({requests} requests, "
          f"{seconds:.0f} s) and {tests} simulated (production rule), blueprint {live['blueprint']}")
    print(f"  {'kind':<20}{'live':>10}{'simulated':>12}{'designed':>11}")
    for kind in sorted(set(live["design"]) | set(live["share"]) | set(sim_share)):
        print(f"  {kind:<20}{live['share'].get(kind, 0):>10.3f}{sim_share.get(kind, 0):>12.3f}"
              f"{live['design'].get(kind, 0):>11.3f}")
    print(f"  scored units a test: live {live['units_per_test']}, simulated {simulated['mean_items']:.2f}; "
          f"live mean length {report['length']['mean_items']}, at the maximum "
          f"{report['length']['max_length_share']}")
    print(f"  live adaptive kinds never served: {live['never_served'] or 'none'}")
    print(json.dumps({"live": live, "simulated_kind_share": sim_share,
                      "simulated_mean_items": simulated["mean_items"], "length": report["length"],
                      "requests": requests, "seconds": round(seconds, 1)}))
    return 0 if not live["never_served"] else 1


if __name__ == "__main__":
    sys.exit(main())
