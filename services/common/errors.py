"""One error shape for every service: ``{code, status, message, errors}``.

API paths (``/api/``) answer JSON; pages answer an HTML page in the visitor's language.
5xx is only for our own bugs, and then the message says so without details.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class APIError(Exception):
    """An error a client can act on; ``status`` is a 4xx code."""

    def __init__(self, status: int, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_body(code: int, message: str, errors: dict | None = None) -> dict:
    from http import HTTPStatus

    try:
        status = HTTPStatus(code).phrase
    except ValueError:
        status = "Error"
    body = {"code": code, "status": status, "message": message}
    if errors:
        body["errors"] = _json_safe(errors)
    return body


def _json_safe(errors):
    """Field errors with string keys only: a form field named by the client can come back as
    a key marshmallow reports as ``None``, which JSON (with sorted keys) cannot write."""
    if isinstance(errors, dict):
        return {("_form" if k is None else str(k)): _json_safe(v) for k, v in errors.items()}
    if isinstance(errors, (list, tuple)):
        return [_json_safe(v) for v in errors]
    return errors


def _respond(code: int, message: str, errors: dict | None = None):
    if _wants_json():
        return jsonify(error_body(code, message, errors)), code
    try:
        return render_template("error.html", code=code, message=message), code
    except Exception:  # no template in this service: plain text is still readable
        return f"{code}: {message}", code, {"Content-Type": "text/plain; charset=utf-8"}


def error_response(code: int, message: str, errors: dict | None = None):
    """The suite's error answer (JSON for the API, a page otherwise) for use in handlers."""
    return _respond(code, message, errors)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(APIError)
    def _api_error(err: APIError):
        result = _respond(err.status, err.message, err.errors)
        if getattr(err, "retry_after", None):
            from flask import make_response

            response = make_response(result)
            response.headers["Retry-After"] = str(err.retry_after)
            return response
        return result

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        data = getattr(err, "data", None) or {}
        errors = data.get("messages") or data.get("errors")
        message = data.get("message") or err.description or err.name
        if err.code == 422 and errors:
            message = "The request body is not valid: see errors for each field."
        elif err.code == 400 and errors:
            message = ("The request body is not valid JSON: send a JSON object with "
                       "Content-Type: application/json.")
        return _respond(err.code or 500, message, _flatten(errors) if errors else None)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if is_unavailable(err):
            log.warning("a backing service is unavailable on %s %s: %s", request.method,
                        request.path, type(err).__name__)
            return _retry_after(_respond(503, "The service is briefly unavailable. Nothing you "
                                              "sent was half saved: try again in a moment."))
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500, "Something went wrong on our side. Your answers are saved; "
                             "please try again in a moment.")


def is_unavailable(err: BaseException) -> bool:
    """The database, Redis or another of the suite's services could not be reached or
    dropped the connection: not our bug, and the transaction was rolled back
    (``Database.session``; a call to another service comes before this service's own
    writes), so the request can be retried."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from services.common.service_calls import ServiceUnavailable

    if isinstance(err, ServiceUnavailable):   # another of the suite's services did not answer
        return True
    if isinstance(err, OperationalError) or (isinstance(err, DBAPIError) and err.connection_invalidated):
        return True
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeout
    except ImportError:  # pragma: no cover - redis is a dependency
        return False
    return isinstance(err, (RedisConnectionError, RedisTimeout))


def _retry_after(result):
    from flask import make_response

    response = make_response(result)
    response.headers["Retry-After"] = "5"
    return response


def _flatten(errors):
    """flask-smorest nests field errors under the location (json, query, …); keep fields."""
    if isinstance(errors, dict) and len(errors) == 1:
        (loc, inner), = errors.items()
        if loc in ("json", "query", "form", "files", "headers") and isinstance(inner, dict):
            return inner
    return errors


__all__ = ["APIError", "register_error_handlers", "error_body", "error_response", "InternalServerError"]
