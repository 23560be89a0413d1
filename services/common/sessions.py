"""Browser sessions kept on the server (Flask-Session), so that signing out ends them.

A signed cookie holding the session itself stays valid until it expires, whatever the server
does: a copy taken before sign-out still signs in. Here the cookie holds only a random
session id (256 bits); the session lives in Redis (production, ``REDIS_URL``) or in files
under ``var/sessions`` (the embedded default, cachelib's ``FileSystemCache``), expires after
``TAITOTASO_SESSION_HOURS`` (``PERMANENT_SESSION_LIFETIME``), and is deleted on sign-out.
Every service uses the same store and key prefix, so the staff session that the authoring
service makes is read by the coach pages, Katso's staff pages and the scoring API
(:func:`read_session`), and the job seeker's session by the testing and results services.

Each sign-in is also listed under its account (:func:`remember_sign_in`), so that deleting
an account or a staff member's sign-out everywhere ends every session of theirs
(:func:`revoke_sessions_of`).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, current_app, request, session

log = logging.getLogger(__name__)

KEY_PREFIX = "taitotaso:session:"
INDEX_PREFIX = "taitotaso:sessions-of:"


def init_server_sessions(app: Flask, resources) -> None:
    from flask_session import Session

    config = resources.config
    app.config.update(SESSION_KEY_PREFIX=KEY_PREFIX, SESSION_PERMANENT=False,
                      SESSION_SERIALIZATION_FORMAT="json", SESSION_ID_LENGTH=32)
    if resources.redis is not None:
        app.config.update(SESSION_TYPE="redis", SESSION_REDIS=resources.redis)
    else:
        from cachelib import FileSystemCache

        app.config.update(SESSION_TYPE="cachelib", SESSION_CACHELIB=FileSystemCache(
            str(config.var_dir / "sessions"), threshold=0, mode=0o600,
            default_timeout=int(app.permanent_session_lifetime.total_seconds())))
    Session(app)
    app.extensions["taitotaso.session_index"] = _index(resources)


def _interface():
    return current_app.session_interface


def read_session(cookie_name: str) -> dict:
    """The server-side session named by this request's cookie ``cookie_name`` ({} when
    absent, signed out or expired)."""
    sid = request.cookies.get(cookie_name)
    if not sid or len(sid) > 128:
        return {}
    data = _interface()._retrieve_session_data(KEY_PREFIX + sid)
    return data if isinstance(data, dict) else {}


def end_session(cookie_name: str) -> None:
    """Delete the server-side session named by this request's cookie (another service's
    sign-out, e.g. the coach pages ending the staff session)."""
    sid = request.cookies.get(cookie_name)
    if sid and len(sid) <= 128:
        _interface()._delete_session(KEY_PREFIX + sid)


def remember_sign_in(subject: str) -> None:
    """List this session under ``subject`` (e.g. ``seeker:<id>``, ``staff:<id>``), after a
    sign-in. A fresh session id too: an id known before signing in is worth nothing after."""
    _interface().regenerate(session)
    current_app.extensions["taitotaso.session_index"].add(subject, session.sid,
                                                          current_app.permanent_session_lifetime)


def revoke_sessions_of(subject: str, app: Flask | None = None) -> int:
    """End every session ``subject`` signed in with; returns how many there were."""
    app = app or current_app
    sids = app.extensions["taitotaso.session_index"].pop(subject)
    for sid in sids:
        app.session_interface._delete_session(KEY_PREFIX + sid)
    return len(sids)


def _index(resources):
    return _RedisIndex(resources.redis) if resources.redis is not None else \
        _FileIndex(resources.config.var_dir / "sessions")


class _RedisIndex:
    def __init__(self, redis):
        self.redis = redis

    def add(self, subject: str, sid: str, lifetime: timedelta) -> None:
        key = INDEX_PREFIX + subject
        pipe = self.redis.pipeline()
        pipe.sadd(key, sid)
        pipe.expire(key, int(lifetime.total_seconds()) + 60)
        pipe.execute()

    def pop(self, subject: str) -> list[str]:
        key = INDEX_PREFIX + subject
        pipe = self.redis.pipeline()
        pipe.smembers(key)
        pipe.delete(key)
        members, _ = pipe.execute()
        return [m.decode() if isinstance(m, bytes) else m for m in members]


class _FileIndex:
    """The embedded default: one cachelib entry per account, a list of session ids."""

    def __init__(self, path):
        from cachelib import FileSystemCache

        self.cache = FileSystemCache(str(path), threshold=0, mode=0o600)

    def add(self, subject: str, sid: str, lifetime: timedelta) -> None:
        key = INDEX_PREFIX + subject
        sids = list(self.cache.get(key) or [])
        self.cache.set(key, [*sids[-49:], sid], timeout=int(lifetime.total_seconds()) + 60)

    def pop(self, subject: str) -> list[str]:
        key = INDEX_PREFIX + subject
        sids = list(self.cache.get(key) or [])
        self.cache.delete(key)
        return sids


__all__ = ["init_server_sessions", "read_session", "end_session", "remember_sign_in",
           "revoke_sessions_of", "KEY_PREFIX"]
