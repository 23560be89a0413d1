"""Calls between the suite's services over HTTP, both ends.

**The caller** (an HTTP adapter of a port, ``services/<name>/ports.py``) sends its own
credential, ``Authorization: Bearer <secret>``, and goes through :func:`call_service`: a
failed connection or an overloaded service (429, 5xx) is tried again, a 404 is None, the
caller's user's mistakes (413, 422 and whatever ``passed`` names) are raised as
``urllib.error.HTTPError`` for the caller to explain, and anything else is the caller's
``unavailable`` exception, our own mistakes (400, 401, 403, 405, 415: a bug or a setting)
logged as errors.

**The provider** lists who may call it as ``name:secret`` pairs
(``TAITOTASO_<SERVICE>_CLIENTS``) and checks a request with :func:`service_caller` /
:func:`require_service`. Every secret is compared in constant time.
"""
from __future__ import annotations

import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping

from flask import request

from services.common.errors import APIError

log = logging.getLogger("taitotaso.service_calls")


class ServiceUnavailable(RuntimeError):
    """The other service did not answer, or not usefully: try again later."""


# -- the caller ---------------------------------------------------------------------------
def json_request(base: str, path: str, secret: str | None, *, method: str = "GET",
                 body: Mapping | None = None, query: Mapping | None = None,
                 headers: Mapping | None = None) -> urllib.request.Request:
    """A request to ``base`` + ``path`` carrying this service's credential and, for
    ``body``, JSON."""
    url = base.rstrip("/") + path
    if query:
        url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None},
                                            doseq=True)
    data = None if body is None else json.dumps(dict(body)).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if secret:
        req.add_header("Authorization", f"Bearer {secret}")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    return req


def call_service(service: str, base: str, request_of: Callable[[], urllib.request.Request], *,
                 timeout: float, retries: int = 2, retry_wait: float = 0.5,
                 retry_timeouts: bool = True, passed: tuple[int, ...] = (),
                 unavailable: type[Exception] = ServiceUnavailable, raw: bool = False):
    """One call to ``service`` at ``base``: the JSON answer (None for 404 or an empty body;
    with ``raw``, the body's bytes, e.g. a recording).

    ``request_of`` makes the request afresh for each try (a body is read once). Tried
    ``retries`` more times when the connection fails or the service is overloaded (429,
    5xx), after a timeout only if ``retry_timeouts`` (not for work the service may already be
    doing). HTTPError 413, 422 and ``passed`` are raised for the caller; anything else is
    ``unavailable``."""
    last = "no answer"
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(retry_wait)
        try:
            with urllib.request.urlopen(request_of(), timeout=timeout) as response:
                body = response.read()
                if raw:
                    return body
                return json.loads(body) if body else None
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return None
            if err.code in (413, 422) or err.code in passed:
                raise
            if err.code in (400, 401, 403, 405, 415):   # our own mistake: a bug or a setting
                log.error("the %s service refused the call: %s %s", service, err.code,
                          error_body(err).get("message"))
                raise unavailable(f"the {service} API refused the call ({err.code})") from None
            last = f"HTTP {err.code}"   # 429, 5xx: try again, then later
        except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as err:
            reason = getattr(err, "reason", err)
            last = str(reason)
            if not retry_timeouts and (isinstance(reason, TimeoutError) or "timed out" in last):
                last = f"no answer in {timeout:g} s"
                break
    raise unavailable(f"the {service} service at {base} did not answer: {last}")


def error_body(err: urllib.error.HTTPError) -> dict:
    """The JSON error a service answered with, or {}."""
    try:
        out = json.loads(err.read() or b"{}")
        return out if isinstance(out, dict) else {}
    except ValueError:
        return {}


# -- the provider -------------------------------------------------------------------------
def bearer() -> str | None:
    """The bearer token of the request being served, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def service_caller(clients: Mapping[str, str]) -> str | None:
    """The name of the configured caller whose secret this request carries, if any."""
    token = bearer()
    if not token:
        return None
    found = None
    for name, secret in clients.items():
        # every secret is compared, so the time does not say which one nearly matched
        if hmac.compare_digest(token.encode(), secret.encode()):
            found = name
    return found


def require_service(clients: Mapping[str, str], variable: str, service: str) -> str:
    """The calling service's name, or 401 saying how a service gets in."""
    name = service_caller(clients)
    if name is None:
        raise APIError(401, f"This part of the {service} API is for the suite's services: send "
                            "the calling service's credentials as 'Authorization: Bearer "
                            f"<secret>' ({variable}).")
    return name
