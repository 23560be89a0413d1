"""What operators see of every service: a request id carried through logs and jobs,
structured JSON logs, liveness and readiness, and Prometheus metrics.

- **Request id**: taken from an incoming ``X-Request-ID`` (the gateway, nginx or the Ingress
  sets one) when it looks like an id, otherwise made here; it is sent back in the
  response, put on every log line written while the request runs, and handed to queued
  jobs, so a speech job's log lines in a worker carry the id of the upload that queued it.
- **Logs**: ``TAITOTASO_LOG_FORMAT=json`` writes one JSON object a line (time, level,
  logger, message, service, request_id); otherwise readable text for a terminal.
- **Liveness** ``/healthz``: the process answers. **Readiness** ``/readyz``: the database
  answers a query and Redis (when configured) a ping; 503 naming what is down otherwise.
- **Metrics** ``/metrics`` (Prometheus text): request latency histograms per service, route
  and status; the depth of the job queue; scoring time per kind of answer. Under gunicorn
  with several processes set ``PROMETHEUS_MULTIPROC_DIR`` (the gunicorn configs do) and the
  numbers of all processes are summed.
"""
from __future__ import annotations

import logging
import os
import re
import time
import uuid
from contextvars import ContextVar
from functools import lru_cache

from flask import Flask, Response, g, request

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
request_id_var: ContextVar[str | None] = ContextVar("taitotaso_request_id", default=None)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
SCORING_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


def current_request_id() -> str | None:
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


# -- logs ------------------------------------------------------------------------------------
class RequestIdFilter(logging.Filter):
    """Puts the request id and the service name on every record."""

    def __init__(self, service: str = ""):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        if not getattr(record, "service", None):
            record.service = self.service or os.environ.get("TAITOTASO_SERVICE", "taitotaso")
        return True


_configured = False


def configure_logging(service: str = "") -> None:
    """One handler on the root logger, JSON or text by ``TAITOTASO_LOG_FORMAT`` (once per
    process; later calls change nothing)."""
    global _configured
    if _configured:
        return
    _configured = True
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter(service))
    if os.environ.get("TAITOTASO_LOG_FORMAT", "text").lower() == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(os.environ.get("TAITOTASO_LOG_LEVEL", "INFO").upper())


# -- metrics ---------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def metrics():
    """The suite's metric objects, made once per process on first use."""
    from prometheus_client import Counter, Gauge, Histogram

    class Metrics:
        request_seconds = Histogram(
            "taitotaso_http_request_duration_seconds", "Time to answer an HTTP request",
            ["service", "method", "route", "status"], buckets=LATENCY_BUCKETS)
        queue_depth = Gauge("taitotaso_queue_depth", "Jobs waiting in the queue",
                            ["queue"], multiprocess_mode="livemax")
        scoring_seconds = Histogram(
            "taitotaso_scoring_seconds", "Time to score one answer", ["kind"],
            buckets=SCORING_BUCKETS)
        scoring_failures = Counter("taitotaso_scoring_failures_total",
                                   "Answers whose scoring failed", ["kind"])

    return Metrics


def observe_scoring(kind: str, seconds: float) -> None:
    metrics().scoring_seconds.labels(kind=kind).observe(seconds)


def metrics_text(queue=None) -> bytes:
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

    if queue is not None:
        depth = queue.depth()
        if depth is not None:
            metrics().queue_depth.labels(queue="jobs").set(depth)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


# -- wiring ----------------------------------------------------------------------------------
def init_observability(app: Flask, resources) -> None:
    service = app.import_name.split(".")[1] if app.import_name.startswith("services.") else app.import_name
    configure_logging(service)
    m = metrics()

    @app.before_request
    def _start():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if _VALID_ID.match(incoming) else new_request_id()
        g.request_id = rid
        g.request_id_token = request_id_var.set(rid)
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        started = g.get("request_started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            m.request_seconds.labels(service=service, method=request.method, route=route,
                                     status=str(response.status_code)).observe(time.perf_counter() - started)
        return response

    @app.teardown_request
    def _forget(_exc):
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        down = readiness_problems(resources)
        if down:
            return {"status": "unavailable", "down": down}, 503
        return {"status": "ready"}

    @app.get("/metrics")
    def prometheus_metrics():
        metrics_allowed(resources.config)
        return Response(metrics_text(resources.queue), mimetype="text/plain; version=0.0.4")


_FORWARDED = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def metrics_allowed(config) -> None:
    """``/metrics`` is for the cluster's Prometheus, not the internet.

    With ``TAITOTASO_METRICS_TOKEN`` set, the scrape sends ``Authorization: Bearer <token>``.
    Without it, only a direct request from a loopback or private address is answered: one
    that came through the gateway (nginx, the Ingress: they add X-Forwarded-For) is refused
    even from inside, since the gateway itself sits on the private network."""
    import hmac
    import ipaddress

    from .errors import APIError

    token = getattr(config, "metrics_token", None)
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode()):
            return
        raise APIError(401, "Metrics need the scrape token: 'Authorization: Bearer <token>' "
                            "(TAITOTASO_METRICS_TOKEN).")
    try:
        address = ipaddress.ip_address(request.environ.get("REMOTE_ADDR") or "")
    except ValueError:
        address = None
    forwarded = any(request.headers.get(h) for h in _FORWARDED)
    if address is None or forwarded or not (address.is_loopback or address.is_private):
        raise APIError(403, "Metrics are answered only inside the cluster network (or with "
                            "TAITOTASO_METRICS_TOKEN), not through the gateway.")


def readiness_problems(resources) -> dict[str, str]:
    """What this service needs and cannot reach now (empty when ready)."""
    from sqlalchemy import text

    down = {}
    try:
        with resources.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as err:  # any failure means not ready; the reason is for operators
        down["database"] = type(err).__name__
    if resources.redis is not None:
        try:
            resources.redis.ping()
        except Exception as err:
            down["redis"] = type(err).__name__
    return down
