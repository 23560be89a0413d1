"""Employer-link tokens never reach the access logs (issue 15): gunicorn and nginx."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from services.common.log_redaction import redact_atoms, redact_path, redact_uri

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
TOKEN = "q7Vd3kLx9_secret-employer-token"


def test_the_token_segment_of_an_employer_link_is_replaced():
    assert redact_path(f"/results/v/{TOKEN}") == "/results/v/[token]"
    assert redact_path(f"/results/v/{TOKEN}/credential.jwt") == "/results/v/[token]/credential.jwt"
    assert redact_path("/results/en/results") == "/results/en/results"
    assert redact_uri(f"/results/v/{TOKEN}?lang=fi&t={TOKEN}") == "/results/v/[token]?[query]"


def _gunicorn_access_line(path: str, query: str = "") -> str:
    from gunicorn.config import Config
    from gunicorn.glogging import SafeAtoms

    import os
    from unittest import mock

    namespace = {"__file__": str(DEPLOY / "gunicorn" / "common.py"), "__name__": "__config__"}
    with mock.patch.dict(os.environ):   # the config sets PROMETHEUS_MULTIPROC_DIR: not for later tests
        exec(compile((DEPLOY / "gunicorn" / "common.py").read_text(), "common.py", "exec"), namespace)
    cfg = Config()
    cfg.set("logger_class", namespace["logger_class"])
    logger = namespace["logger_class"](cfg)

    class Resp:
        status, sent, headers = "200 OK", 123, []

    class Req:
        headers = [("X-REQUEST-ID", "rid-1")]

    raw = path + (f"?{query}" if query else "")
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": raw, "SERVER_PROTOCOL": "HTTP/1.1",
               "PATH_INFO": path, "QUERY_STRING": query, "REMOTE_ADDR": "10.0.0.1",
               "HTTP_REFERER": f"https://taitotaso.example.fi/results/v/{TOKEN}"}
    atoms = logger.atoms(Resp(), Req(), environ, timedelta(milliseconds=5))
    fmt = namespace["access_log_format"] + ' %(U)s %(q)s %(f)s'
    return fmt % SafeAtoms(atoms)


def test_gunicorn_access_lines_hold_no_token():
    line = _gunicorn_access_line(f"/results/v/{TOKEN}", f"x={TOKEN}")
    assert TOKEN not in line
    assert '"GET /results/v/[token]?[query] HTTP/1.1" 200' in line and "rid=rid-1" in line


def test_redact_atoms_leaves_other_requests_readable():
    atoms = redact_atoms({"r": "POST /api/v1/sessions HTTP/1.1", "U": "/api/v1/sessions", "q": ""})
    assert atoms["r"] == "POST /api/v1/sessions HTTP/1.1" and atoms["U"] == "/api/v1/sessions"


def test_nginx_logs_the_uri_with_the_token_replaced():
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    log_format = conf[conf.index("log_format json"):conf.index("access_log /dev/stdout json;")]
    assert '"uri":"$loggable_uri"' in log_format
    assert "$uri" not in log_format.replace("$loggable_uri", "") and "$request " not in log_format
    assert "$request_uri" not in log_format and "$args" not in log_format
    assert "$http_referer" not in log_format
    pattern, replacement = re.search(r'map \$uri \$loggable_uri \{\s*"~([^"]+)"\s+"([^"]+)";', conf).groups()
    python = replacement.replace("$1", r"\1").replace("$2", r"\2")
    assert re.sub(pattern, python, f"/results/v/{TOKEN}/credential.jwt") == "/results/v/[token]/credential.jwt"
    assert re.sub(pattern, python, "/katso/fi/cards/candle") == "/katso/fi/cards/candle"
