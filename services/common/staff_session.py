"""The staff session as the other services read it.

Staff sign in once, on the authoring service's sign-in page; its session (kept on the
server, named by the cookie ``taitotaso_staff``: services.common.sessions) is read by the coach pages of the results
service and by the Katso library's staff pages, and checked against the staff table on
every request, so that a deactivated account or a removed role counts at once.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable
from urllib.parse import quote

from flask import current_app, g, redirect, request, session
from flask_babel import refresh

from services.common.accounts import Staff
from services.common.errors import APIError
from services.common.i18n import LANGUAGES

from .staff_login import STAFF_COOKIE, staff_by_id

SIGN_IN = "/authoring/sign-in"  # the gateway path of the staff sign-in page


def staff_record() -> dict:
    """The authoring service's staff session, read from the server-side session store by the
    id in its cookie ({} when absent, signed out or expired)."""
    if "staff_session" in g:
        return g.staff_session
    from services.common.sessions import read_session

    g.staff_session = read_session(STAFF_COOKIE)
    return g.staff_session


def current_staff() -> Staff | None:
    if "staff" in g:
        return g.staff
    # the id Flask-Login keeps in the authoring service's session (auth.StaffLogin)
    g.staff = staff_by_id(current_app.extensions["taitotaso.resources"].db,
                          staff_record().get("_user_id"))
    return g.staff


def sign_in_redirect():
    """To the staff sign-in page, and back to this page afterwards."""
    target = request.script_root + request.full_path.rstrip("?")
    return redirect(current_app.config.get("STAFF_SIGN_IN_URL", SIGN_IN) + "?next=" +
                    quote(target, safe="/"))


def staff_language(session_key: str) -> str:
    """The language of another service's staff pages: ``?lang=`` (kept in this app's
    session under ``session_key``), else the one chosen at sign-in, else the browser's."""
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session[session_key] = lang
    lang = session.get(session_key) or staff_record().get("lang")
    if lang not in LANGUAGES:
        lang = request.accept_languages.best_match(LANGUAGES) or "fi"
    g.lang = lang
    refresh()
    return lang


def staff_with(roles: tuple[str, ...], refusal: Callable[[], str]):
    """A view for staff holding one of ``roles``: signed out → the sign-in page, then back
    here; signed in without the role → 403 with ``refusal()`` (which says what is needed)."""

    def deco(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                return sign_in_redirect()
            if not staff.has_any(*roles):
                raise APIError(403, refusal())
            return view(*args, **kwargs)

        return wrapper

    return deco
