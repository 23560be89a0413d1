"""Schemathesis against every service's OpenAPI document, a longer run than the test's:
prints how many requests were generated per service, the status codes they got and every
failed check (none expected).

    python benchmarks/openapi_fuzz.py [--examples 60]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=60, help="generated requests per operation")
    args = ap.parse_args()

    import logging

    logging.disable(logging.WARNING)
    from services.common.accounts import create_staff
    from services.gateway import create_app
    from tests.integration.conftest import Taker, csrf, seeded_config
    from tests.integration.openapi_fuzz import fuzz

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        app = create_app(seeded_config(tmp, f"sqlite:///{tmp / 'fuzz.db'}", None))
        create_staff(app.extensions["taitotaso.resources"].db, "fuzz@example.fi", "Fuzz", ["reviewer", "admin"],
                     "kalibrointi-ovi-7319")
        client = app.test_client()
        page = client.get("/authoring/sign-in")
        client.post("/authoring/sign-in", data={"email": "fuzz@example.fi", "password": "kalibrointi-ovi-7319",
                                                "_csrf": csrf(page.text)})
        taker = Taker(app.test_client())
        state = {"session_id": taker.id, "token": taker.token,
                 "staff_cookie": client.get_cookie("taitotaso_staff").value}
        t0 = time.perf_counter()
        report = fuzz(app, examples=args.examples, state=state)
        elapsed = time.perf_counter() - t0
    print(f"Schemathesis, {args.examples} examples per operation: {report.total} requests in "
          f"{elapsed:.0f} s, per service {dict(report.requests)}")
    print(f"status codes: {dict(sorted(report.statuses.items()))}")
    print(f"failures: {len(report.failures)}")
    for line in report.failures[:50]:
        print("  " + line)
    print(json.dumps({"benchmark": "openapi_fuzz", "requests": report.total,
                      "per_service": dict(report.requests),
                      "statuses": {str(k): v for k, v in sorted(report.statuses.items())},
                      "failures": len(report.failures)}))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
