"""Who may call the scoring API.

- **Services** call it with their own credentials: ``TAITOTASO_SCORING_CLIENTS`` names each
  caller and its secret (``name:secret,…``), sent as ``Authorization: Bearer <secret>``.
  The suite's own services in one process (testing, results) call the scoring service layer
  directly and need no credential; a service deployed apart sends its own.
- **Job seekers' browsers and API clients** only read the jobs of their own test: a job made
  for a test session answers to that session's bearer token (the one ``POST /api/v1/sessions``
  gave), and to nothing else.
- **Staff** (reviewers, admins) use the review queue with the staff session.

Anyone else gets 401. Uploads (``/writing``, ``/speech``) are rate limited per caller, except
for the suite's own services (``testing``, ``results``), whose users are limited upstream.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request

from services.common import service_calls as calls
from services.common.errors import APIError
from services.common.service_calls import bearer
from services.common.rate_limit import Limit, RateLimited, hit


@dataclass(frozen=True)
class Caller:
    kind: str   # "service"
    name: str


def _config():
    return current_app.extensions["taitotaso.resources"].config


def service_caller() -> Caller | None:
    """The configured service whose secret this request carries, if any."""
    name = calls.service_caller(_config().scoring_clients)
    return Caller("service", name) if name is not None else None


UNAUTHENTICATED = ("The scoring API is for the suite's services: send this service's credentials "
                   "as 'Authorization: Bearer <secret>' (TAITOTASO_SCORING_CLIENTS).")


def require_service() -> Caller:
    caller = service_caller()
    if caller is None:
        raise APIError(401, UNAUTHENTICATED)
    return caller


# the suite's own services, by their names in TAITOTASO_SCORING_CLIENTS (authoring reads
# the machine and coach agreement for the validity report): they send the
# answers of many job seekers, each limited where it comes in (session starts, one answer
# an item), so the per-caller limit of API clients would stop whole classrooms
SUITE_SERVICES = frozenset({"testing", "results", "authoring"})


def limit_uploads(caller: Caller) -> None:
    """429 with Retry-After when this caller has sent too many answers this minute (the
    suite's own services are not limited here: see ``SUITE_SERVICES``)."""
    if caller.kind == "service" and caller.name in SUITE_SERVICES:
        return
    limit = Limit("scoring-upload", current_app.extensions["taitotaso.resources"].config
                  .scoring_uploads_per_minute, 60)
    wait = hit(limit, key=f"{caller.kind}:{caller.name}")
    if wait:
        raise RateLimited(wait, f"Too many answers sent for scoring: try again in {wait} s.")


def may_read_job(job: dict) -> None:
    """A service may read every job; a job seeker only the jobs of their own test session.

    401 without credentials; 404 (the same answer as for an unknown job) for a token that
    is not the job's session's, so that job ids cannot be probed."""
    if service_caller() is not None:
        return
    token = bearer()
    if token is None:
        raise APIError(401, "Send the test session's token as 'Authorization: Bearer <token>' "
                            "to see the scoring of its spoken answers.")
    session_id = job.get("session_id")
    if not session_id or not session_token_matches(session_id, token):
        raise APIError(404, "There is no scoring job with this id for this token: check the "
                            "address and the token you were given.")


def session_token_matches(session_id: str, token: str) -> bool:
    """Whether ``token`` is the bearer token of test session ``session_id``: the testing
    service says (services/scoring/ports.py: in this process, or over HTTP)."""
    return current_app.extensions["taitotaso.scoring.sessions"].matches(session_id, token)


__all__ = ["Caller", "require_service", "limit_uploads", "may_read_job", "service_caller",
           "session_token_matches", "bearer"]
