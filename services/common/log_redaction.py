"""What access logs may say about a request: never a bearer secret carried in its address.

The employer's link (``/results/v/<token>`` and ``/results/v/<token>/credential.jwt``) is the
secret itself: anyone holding it sees a job seeker's result. Access logs keep the path with
the token replaced by ``[token]`` and no query string (query strings can carry tokens too).
gunicorn uses :func:`redact_atoms` (deploy/gunicorn/common.py); nginx does the same with a
``map`` (deploy/nginx/nginx.conf), checked against :data:`TOKEN_PATH` by tests/unit/test_deploy.
"""
from __future__ import annotations

import re

# a path segment after /v/ (the employer's link) is a token
TOKEN_PATH = re.compile(r"^(.*/v/)[^/?#]+(.*)$")


def redact_path(path: str | None) -> str:
    if not path:
        return path or ""
    match = TOKEN_PATH.match(path)
    return f"{match.group(1)}[token]{match.group(2)}" if match else path


def redact_uri(uri: str | None) -> str:
    """A request target (path and query) as it may be logged."""
    path, sep, _query = (uri or "").partition("?")
    return redact_path(path) + ("?[query]" if sep else "")


def redact_atoms(atoms: dict) -> dict:
    """gunicorn's access-log atoms with the request line, path, query and referrer redacted."""
    atoms = dict(atoms)
    if atoms.get("r"):
        method, _, rest = str(atoms["r"]).partition(" ")
        target, _, protocol = rest.rpartition(" ") if " " in rest else (rest, "", "")
        atoms["r"] = " ".join(p for p in (method, redact_uri(target), protocol) if p)
    if "U" in atoms:
        atoms["U"] = redact_path(atoms["U"])
    if atoms.get("q"):
        atoms["q"] = "[query]"
    if atoms.get("f") and atoms["f"] != "-":
        atoms["f"] = redact_uri(str(atoms["f"]))
    for key in [k for k in atoms if k.startswith("{") and k.lower().endswith("}e")]:
        atoms[key] = "-"   # environment atoms such as {raw_uri}e
    return atoms


__all__ = ["redact_path", "redact_uri", "redact_atoms", "TOKEN_PATH"]
