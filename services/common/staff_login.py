"""The staff session as every service reads it: Flask-Login on the server-side session
named by the cookie ``STAFF_COOKIE`` (services.common.sessions).

The authoring service signs staff in (``services.authoring.auth.sign_in``); the scoring
service's review queue, the coach pages and the library's staff pages read who is signed
in from the same session. On every request the account is read again from the staff
table (``services.common.accounts``), so a deactivated account or a changed role counts
at once.
"""
from __future__ import annotations

from flask import current_app, g
from flask_login import LoginManager, UserMixin, current_user

from services.common.accounts import Staff, get_staff

STAFF_COOKIE = "taitotaso_staff"


def _resources():
    return current_app.extensions["taitotaso.resources"]


class StaffLogin(UserMixin):
    """A staff member as Flask-Login keeps them: the session holds the account's id
    (``_user_id``); the account is read again on every request (:func:`load_staff`)."""

    def __init__(self, staff: Staff):
        self.staff = staff

    def get_id(self) -> str:
        return str(self.staff.id)


def staff_by_id(db, user_id) -> Staff | None:
    """The active staff member ``user_id`` (Flask-Login's string, or a number) names."""
    if not str(user_id or "").isdigit():
        return None
    found = get_staff(db, int(user_id))
    return found if found is not None and found.active else None


def load_staff(user_id: str) -> StaffLogin | None:
    """Flask-Login's user_loader: None for a deactivated or deleted account."""
    found = staff_by_id(_resources().db, user_id)
    return StaffLogin(found) if found is not None else None


def init_staff_login(app) -> None:
    """Flask-Login on the server-side staff session (cookie ``STAFF_COOKIE``), for every app
    that reads it with :func:`current_staff`; no remember-me cookie."""
    manager = LoginManager(app)
    manager.user_loader(load_staff)


def current_staff() -> Staff | None:
    if "staff" in g:
        return g.staff
    g.staff = current_user.staff if current_user.is_authenticated else None
    return g.staff
