"""Schemathesis against the OpenAPI document of every service with an API: requests
generated from each operation's schema are sent to the app in-process (WSGI), and each
answer is checked: never a 5xx, a status code the document lists, the content type and
body and headers the document promises.

A share of the generated requests is pointed at real state (a live test session with its
bearer token; a signed-in staff member for the item bank), so that the checks reach the
code behind authentication, not only the 401 and 404 answers.

Used by ``tests/integration/test_openapi_fuzz.py`` (a bounded run in `make test`) and by
``benchmarks/openapi_fuzz.py`` (a longer run that prints the figures).
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

STAFF_COOKIE = "taitotaso_staff"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
DOCUMENTS = {  # service -> its OpenAPI document in the suite
    "testing": "/api/v1/openapi.json",
    "scoring": "/api/v1/scoring/openapi.json",
    "results": "/api/v1/results/openapi.json",
    "authoring": "/authoring/api/v1/openapi.json",
}


@dataclass
class Report:
    requests: Counter = field(default_factory=Counter)      # per service
    statuses: Counter = field(default_factory=Counter)      # per status code
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.requests.values())


def _failure_text(service, case, err) -> str:
    parts = getattr(err, "exceptions", None) or [err]
    lines = [(str(p).strip().splitlines() or [type(p).__name__])[0][:200] for p in parts]
    return f"{service}: {case.method.upper()} {case.formatted_path}: " + " | ".join(lines)


def fuzz(app, examples: int, state: dict, seed: int = 1) -> Report:
    """``state``: ``session_id`` and ``token`` of a live test session, and ``staff_cookie``
    (the session cookie of a signed-in staff member, who may read the item bank's API
    document and call it)."""
    report = Report()
    rnd = random.Random(seed)
    for service, path in DOCUMENTS.items():
        cookies = {STAFF_COOKIE: state["staff_cookie"]} if service == "authoring" else {}
        client = app.test_client()
        for name, value in cookies.items():
            client.set_cookie(name, value)
        document = client.get(path)
        assert document.status_code == 200, (path, document.status_code)
        schema = schemathesis.openapi.from_dict(document.json)
        schema.app, schema.location = app, path
        for result in schema.get_all_operations():
            _run_operation(result.ok(), service, cookies, examples, state, rnd, report)
    return report


def _run_operation(operation, service, cookies, examples, state, rnd, report) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case):
        call_headers = {}
        if rnd.random() < 0.5:         # half of the requests reach real state
            if "session_id" in (case.path_parameters or {}):
                case.path_parameters["session_id"] = state["session_id"]
            call_headers["Authorization"] = f"Bearer {state['token']}"
        try:
            response = case.call_and_validate(checks=CHECKS, headers=call_headers, cookies=cookies)
            report.statuses[response.status_code] += 1
        except BaseException as err:   # a failed check: kept, the run goes on
            report.failures.append(_failure_text(service, case, err))
        report.requests[service] += 1

    run()
