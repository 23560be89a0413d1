"""Who is signed in: Flask-Login, with the staff member's id in the server-side session.

The password provider (``services.common.accounts``) signs in with :func:`sign_in`; other
identity providers can call it too. On every request the account is read again from the
staff table (:func:`load_staff`), so a deactivated account or a changed role counts at once.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import wraps

from flask import current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from services.common.accounts import Staff
from services.common.errors import APIError
# the staff session every service reads (the authoring service signs staff in)
from services.common.staff_login import (STAFF_COOKIE, StaffLogin, _resources,  # noqa: F401
                                         current_staff, init_staff_login, load_staff,
                                         staff_by_id)

SIGNED_IN_AT = "signed_in_at"
# the staff session cookie: set by this service at sign-in, read by the scoring API and by
# the coach pages of the results service (same secret key, same signing)
STAFF_SESSION_LIFETIME = timedelta(hours=10)
# staff pages of other services that signing in may lead back to (gateway paths)
COACH_PAGES = "/results/coach"
LIBRARY_PAGES = "/katso/staff"
# staff pages of other services, by the role that leads there
OTHER_PAGES = {"coach": COACH_PAGES, "curator": LIBRARY_PAGES}
# what a panelist (without an item-bank role) may reach: the standard-setting pages and
# API, and the recordings of the booklet's listening items
PANELIST_BLUEPRINTS = ("standard_setting", "standard_setting_api")
PANELIST_ENDPOINTS = {"staff_api.AssetFile"}
# endpoints anyone may reach
PUBLIC = {"staff.sign_in", "staff.forgot_password", "staff.reset_password", "staff.static",
          "static", "testing_look.static", "healthz", "readyz",
          "prometheus_metrics", "staff_api.SignIn",
          "staff.set_language"}


class SignInThrottled(APIError):
    def __init__(self, seconds: int):
        minutes = max(1, -(-seconds // 60))
        super().__init__(429, _("Too many failed sign-ins with this email address. You can "
                                "try again in %(minutes)s min.", minutes=minutes))
        self.seconds = seconds


def sign_in(staff: Staff) -> None:
    from services.common.sessions import remember_sign_in

    session.clear()
    login_user(StaffLogin(staff))
    session[SIGNED_IN_AT] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    session.permanent = True
    remember_sign_in(f"staff:{staff.id}")   # a fresh session id, listed under the account


def sign_out() -> None:
    """The session is kept on the server (services.common.sessions): clearing it deletes it
    there, so a copy of the cookie taken before signing out is worth nothing."""
    logout_user()
    session.clear()


def is_api() -> bool:
    return request.path.startswith("/api/")


# endpoints any signed-in staff member may reach, whatever their roles
ANY_STAFF = {"staff.sign_out", "staff_api.SignOut", "staff_api.Me"}


def require_staff():
    """before_request: every page and API call but signing in needs a staff member, and
    the item bank (with its answer keys) an author, a reviewer or an admin: a coach has
    pages of their own (``COACH_PAGES``)."""
    if request.endpoint in PUBLIC or request.endpoint is None:
        return None
    staff = current_staff()
    if staff is not None:
        if request.endpoint in ANY_STAFF or staff.has_any("author", "admin"):
            return None
        if staff.has("panelist") and (request.blueprint in PANELIST_BLUEPRINTS
                                      or request.endpoint in PANELIST_ENDPOINTS):
            return None
        if staff.has("panelist"):
            raise APIError(403, _("Your account is for standard setting, not for the item "
                                  "bank. Your studies are at %(path)s.",
                                  path=url_for("standard_setting.studies")))
        if staff.has("coach") and not is_api() and request.method in ("GET", "HEAD"):
            # a coach who opens the item bank is taken to their own pages, where a sentence
            # says why (coach.clients reads ``from=authoring``)
            return redirect(COACH_PAGES + "/?from=authoring", code=303)
        if staff.has("coach"):
            raise APIError(403, _("Your account is for coaching job seekers, not for the item "
                                  "bank. Your pages are at %(path)s.", path=COACH_PAGES + "/"))
        raise APIError(403, _("Your account is for the Katso material library, not for the "
                              "item bank. Your pages are at %(path)s.", path=LIBRARY_PAGES + "/"))
    if is_api():
        raise APIError(401, _("Sign in first: this needs a staff account."))
    target = request.script_root + request.full_path.rstrip("?")
    return redirect(url_for("staff.sign_in", next=target))


def landing(staff: Staff) -> str | None:
    """Where signing in leads without a ``next`` page: a coach to the coach pages, a curator
    to the library's staff pages, the item bank's staff to the item list (None)."""
    if not staff.has_any("author", "admin"):
        if staff.has("panelist"):
            return url_for("standard_setting.studies")
        for role, pages in OTHER_PAGES.items():
            if staff.has(role):
                return pages + "/"
    return None


def safe_next(target: str | None) -> str | None:
    """Only a path inside this app, or the staff pages of another service, may be the page
    after signing in."""
    if not target or target.startswith("//") or "\\" in target:
        return None
    root = request.script_root + "/"
    other = any(target == pages or target.startswith((pages + "/", pages + "?"))
                for pages in OTHER_PAGES.values())
    if not target.startswith(root) and not other:
        return None
    return target


def pages_for(target: str | None) -> str | None:
    """Which other service's staff pages ``target`` leads to ("coach", "curator"), if any."""
    for role, pages in OTHER_PAGES.items():
        if target and (target == pages or target.startswith((pages + "/", pages + "?"))):
            return role
    return None


def role_required(role: str):
    def deco(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            staff = current_staff()
            if staff is None or not staff.has(role):
                raise APIError(403, _("This needs the %(role)s role.", role=role))
            return view(*args, **kwargs)

        return wrapper

    return deco


def attempt_sign_in(email: str, password: str) -> Staff:
    """Sign in with a password: 401 for wrong credentials (one message for a wrong email
    and a wrong password), 429 once an email has too many recent failures."""
    from services.common.accounts import authenticate

    from services.common.rate_limit import client_address

    throttle = current_app.extensions["taitotaso.authoring.throttle"]
    address = client_address()
    wait = throttle.reserve(email, address)   # counted before the password is checked
    if wait:
        raise SignInThrottled(wait)
    staff = authenticate(_resources().db, email, password)
    if staff is None:
        if throttle.remaining(email, address) == 0:
            raise SignInThrottled(throttle.window_seconds)
        raise APIError(401, _("The email address or the password is wrong."))
    throttle.succeeded(email, address)
    sign_in(staff)
    return staff
