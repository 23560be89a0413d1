"""One place where request bodies are parsed, for every service.

Two kinds of JSON used to end in a 500: a body nested deeper than Python's recursion limit
(``[[[[…]]]]`` 100,000 deep), and a string with a lone surrogate (``"\\ud800"``), which JSON
allows but UTF-8 (the database, Voikko, the logs) does not. Both are refused here with a 400
that says what to change, before any view or schema sees the body: :func:`init_request_parsing`
checks every JSON body in a ``before_request`` hook (flask-smorest's webargs parses the raw
body itself, so the check cannot live only in Flask's JSON provider) and installs the same
parser as the app's JSON provider for ``request.get_json()``.
"""
from __future__ import annotations

import json
import re

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from .errors import APIError

MAX_DEPTH = 32  # no API of the suite nests deeper than a few levels
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadJSON(ValueError):
    """A body that is not JSON the suite can take; the message says what to change."""


def loads(data) -> object:
    """``json.loads`` that refuses deep nesting and lone surrogates with :class:`BadJSON`."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise BadJSON("The request body is not UTF-8: send JSON encoded as UTF-8.") from None
    if _SURROGATE.search(data):  # raw surrogates (only possible after a lenient decode)
        raise BadJSON(_surrogate_message())
    try:
        value = json.loads(data)
    except RecursionError:
        raise BadJSON(_depth_message()) from None
    except ValueError as err:
        raise BadJSON("The request body is not valid JSON (%s): send a JSON object with "
                      "Content-Type: application/json." % err) from None
    _check(value)
    return value


def _depth_message() -> str:
    return (f"The JSON is nested too deeply: at most {MAX_DEPTH} levels of objects and "
            "arrays are accepted.")


def _surrogate_message() -> str:
    return ("The JSON contains a lone UTF-16 surrogate (an escape such as \\ud800 without its "
            "pair), which is not a character: send text as UTF-8 or as complete escape pairs.")


def _check(value: object) -> None:
    """Walk the parsed value without recursion: depth and strings (keys too)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise BadJSON(_surrogate_message())
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise BadJSON(_depth_message())
            if isinstance(item, dict):
                for k, v in item.items():
                    stack.append((k, depth))
                    stack.append((v, depth + 1))
            else:
                stack.extend((v, depth + 1) for v in item)


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with :func:`loads` for reading."""

    def loads(self, s, **kwargs):
        return loads(s)


def _is_json_body() -> bool:
    mimetype = request.mimetype or ""
    return mimetype == "application/json" or mimetype.endswith("+json")


def init_request_parsing(app: Flask) -> None:
    app.json_provider_class = SafeJSONProvider
    app.json = SafeJSONProvider(app)

    @app.before_request
    def _check_json_body():
        if request.method in ("GET", "HEAD", "OPTIONS") or not _is_json_body():
            return None
        raw = request.get_data(cache=True)
        if not raw.strip():
            return None  # an empty body: the view's schema says what is missing
        try:
            loads(raw)
        except BadJSON as err:
            raise APIError(400, str(err), {"json": [str(err)]}) from None
        return None


__all__ = ["BadJSON", "MAX_DEPTH", "loads", "init_request_parsing", "SafeJSONProvider"]
