"""The job seeker's pages (account, kept results, sharing, GDPR) and the employer's link page.

Inside the results app the job seeker's pages are ``/<lang>/...``; the gateway mounts the
app at ``/results``. The app shares the testing service's session cookie (same name, same
key), so it sees ``session["test"]``, the test this browser has just taken. The employer's
page ``/v/<token>`` has no language in its path (``?lang=`` or the browser's languages) and
never touches the session.

This module holds the blueprint and what every page shares (the results context, times in
the local zone, who is signed in, the language in the path) and the landing, sign-up,
sign-in and sign-out pages; ``seeker_pages.py`` has My results, sharing and the account,
``employer_pages.py`` the employer's link and the verification page. Their views join
``bp`` through the import at the end of this module.
"""
from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from functools import wraps
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   send_from_directory, session, url_for)
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from assessment.cefr import LEVELS
from assessment.reporting import level_range, range_text
from services.common.accounts import SignInThrottle
from services.common.rate_limit import Limit
from services.common.i18n import LEARNER_LANGUAGES, language_in_path

from . import seekers
from .credentials import KeyRing
from .seekers import SeekerError
from .texts import ASSURANCE_NAMES, SKILL_NAMES

bp = Blueprint("results_pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/results")

TESTING_STYLE = Path(__file__).resolve().parents[1] / "testing" / "static"
LINK_LOOKUPS_PER_MINUTE = 30
EXTENSION = "taitotaso.results"


# -- wiring --------------------------------------------------------------------------------
class ResultsContext:
    """What the pages and the API share per app: the signing keys (made on first use), the
    link look-ups' rate limit, the sign-in throttle and the time zone for showing times."""

    def __init__(self, app):
        res = app.extensions["taitotaso.resources"]
        self.db = res.db
        self.config = res.config
        # the issuer of credentials: from the configuration, never from the request
        self.issuer_url = res.config.public_url.rstrip("/")
        configured = os.environ.get("TAITOTASO_SIGNING_KEYS")
        self.key_dir = Path(configured) if configured else Path(res.config.var_dir) / "keys"
        self._keys: KeyRing | None = None
        self._keys_lock = threading.Lock()
        limit = int(os.environ.get("TAITOTASO_LINK_LOOKUPS_PER_MINUTE") or LINK_LOOKUPS_PER_MINUTE)
        self.link_lookups = Limit("link-lookups", limit, 60)
        self.throttle = SignInThrottle(scope="seeker-signin")
        try:
            self.tz = ZoneInfo(os.environ.get("TAITOTASO_TIMEZONE") or "Europe/Helsinki")
        except (ZoneInfoNotFoundError, ValueError):
            self.tz = timezone.utc

    @property
    def keys(self) -> KeyRing:
        with self._keys_lock:
            if self._keys is None:
                self._keys = KeyRing.load_or_create(self.key_dir)
            return self._keys


def context() -> ResultsContext:
    return current_app.extensions[EXTENSION]


def db():
    return context().db


@bp.record_once
def _setup(state):
    app = state.app
    app.extensions[EXTENSION] = ResultsContext(app)
    app.jinja_env.filters["day"] = _day
    app.jinja_env.filters["moment"] = _moment
    # a level as employers see it: the range the test could not tell apart ("B1–B2")
    app.jinja_env.filters["shown_level"] = lambda estimate: range_text(level_range(estimate or {}))


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(context().tz)


def _day(moment: datetime | None) -> str:
    return format_date(_local(moment), "long") if moment else ""


def _short_day(moment: datetime | None) -> str:
    return format_date(_local(moment), "short") if moment else ""


def _moment(moment: datetime | None) -> str:
    return format_datetime(_local(moment), "medium", rebase=False) if moment else ""


# the job seeker's account pages (sign-up, sign-in, My results, sharing, the account, the
# password pages) come in every learner language, as the test pages do; the employer's link
# page (no language in its path) keeps the staff languages
language_in_path(bp, LEARNER_LANGUAGES)


@bp.before_app_request
def _no_nul():
    # PostgreSQL cannot compare text with NUL characters: such a request finds nothing
    if "\x00" in request.path:
        abort(404)


PUBLIC_ENDPOINTS = {"results_pages.employer_view", "results_pages.employer_credential",
                    "results_pages.static", "results_pages.testing_style",
                    "results_pages.verify_page"}


@bp.before_request
def _who():
    """The navigation shows who is signed in; the employer's pages never read the session."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        current_seeker()


@bp.after_request
def _headers(response):
    # account pages show personal data: keep them out of shared caches
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


# -- who is signed in ----------------------------------------------------------------------
class SeekerLogin(UserMixin):
    """A job seeker as Flask-Login keeps them: the session holds ``"<provider>|<id>"``
    (``_user_id``), so nothing after sign-in depends on how they signed in."""

    def __init__(self, seeker: seekers.Seeker):
        self.seeker = seeker

    def get_id(self) -> str:
        return f"{self.seeker.provider}|{self.seeker.id}"


def load_seeker(user_id: str) -> SeekerLogin | None:
    """Flask-Login's user_loader: None for an account deleted meanwhile (signed out)."""
    provider, _sep, seeker_id = (user_id or "").partition("|")
    found = seekers.get_seeker(db(), seeker_id, provider) if seeker_id else None
    return SeekerLogin(found) if found is not None else None


def init_login(app) -> None:
    """Flask-Login on the server-side session (services/common/sessions.py): signing out
    and deleting the account end the session there too. No remember-me cookie: closing the
    browser of a shared computer signs out."""
    manager = LoginManager(app)
    manager.user_loader(load_seeker)


def current_seeker() -> seekers.Seeker | None:
    if "seeker" in g:
        return g.seeker
    g.seeker = current_user.seeker if current_user.is_authenticated else None
    return g.seeker


def _sign_in(seeker: seekers.Seeker) -> None:
    # a new form token after signing in; the browser's test (session["test"]) stays
    session.pop("_csrf", None)
    login_user(SeekerLogin(seeker))   # no remember-me cookie: a browser-session cookie
    g.seeker = seeker
    from services.common.sessions import remember_sign_in

    remember_sign_in(f"seeker:{seeker.id}")   # a fresh session id, listed under the account
    _keep_if_asked(seeker)


KEEP_INTENT = "keep_test"


def _keep_if_asked(seeker: seekers.Seeker) -> None:
    """The job seeker came from the result page's "Keep this result" (``/keep``) and has
    now signed up or in: the result is kept at once, not after a second click."""
    if not session.pop(KEEP_INTENT, None) or not session.get("test"):
        return
    try:
        seekers.claim(db(), seeker.id, session.get("test"))
    except SeekerError as err:   # no finished test, or kept by another account: say so
        flash(str(err.message))
    else:
        flash(_("The result is now kept in your account."))


def _safe_next(target: str | None) -> str | None:
    """Only a page of this app may come after signing in."""
    root = request.script_root + "/"
    if not target or not target.startswith(root) or target.startswith("//") or "\\" in target:
        return None
    return target


def seeker_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_seeker() is None:
            target = request.script_root + request.full_path.rstrip("?") \
                if request.method == "GET" else None
            return redirect(url_for("results_pages.sign_in", next=target))
        return view(*args, **kwargs)

    return wrapper


@bp.app_context_processor
def _globals():
    return {"skill_names": SKILL_NAMES, "levels": LEVELS, "assurance_names": ASSURANCE_NAMES,
            "lang_url": _lang_url}


def _lang_url(code: str) -> str:
    endpoint = request.endpoint
    if request.method == "GET" and endpoint and request.view_args is not None and \
            current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        # the same page in another language; of the query only where to go after signing in
        args = {**request.view_args, "lang": code}
        if _safe_next(request.args.get("next")):
            args["next"] = request.args["next"]
        return url_for(endpoint, **args)
    return url_for("results_pages.home", lang=code)


def _best_lang() -> str:
    return request.accept_languages.best_match(LEARNER_LANGUAGES) or "fi"


# -- landing, sign-up, sign-in ---------------------------------------------------------------
@bp.get("/")
def root():
    return redirect(url_for("results_pages.home", lang=_best_lang()))


@bp.get("/<lang>/")
def home():
    if current_seeker() is not None:
        return redirect(url_for("results_pages.results"))
    test = seekers.test_to_offer(db(), session.get("test"))
    return render_template("seeker_home.html", test=test)


@bp.get("/<lang>/keep")
def keep():
    """Where the test's result page sends a job seeker who wants to keep the result: once
    signed up or in, the result is kept (``_keep_if_asked``)."""
    if current_seeker() is not None:
        return redirect(url_for("results_pages.results"))
    session[KEEP_INTENT] = True
    return redirect(url_for("results_pages.sign_up", next=url_for("results_pages.results")))


def _form_errors(err: SeekerError) -> dict:
    return {err.field or "form": str(err.message)}


@bp.route("/<lang>/sign-up", methods=["GET", "POST"])
def sign_up():
    next_url = _safe_next(request.values.get("next"))
    form = {"email": "", "display_name": ""}
    errors: dict = {}
    status = 200
    if request.method == "POST":
        form = {"email": request.form.get("email", "")[:300],
                "display_name": request.form.get("display_name", "")[:300]}
        if request.form.get("password", "") != request.form.get("password_again", ""):
            errors = {"password_again": _("The two passwords are not the same. Write the same "
                                          "password twice.")}
            status = 422
        else:   # the address confirmed by mail (see sign_up_mail), with or without SMTP
            from . import sign_up_mail

            try:
                sign_up_mail.start(form["email"], request.form.get("password", ""),
                                   form["display_name"], g.lang, next_url)
            except SeekerError as err:
                errors, status = _form_errors(err), err.status
            else:   # the same page whether or not the address has an account
                return sign_up_mail.sent_page(form["email"])
    test = seekers.test_to_offer(db(), session.get("test"))
    return render_template("sign_up.html", form=form, errors=errors, next_url=next_url,
                           test=test, min_password=seekers.MIN_PASSWORD_LENGTH), status


class _Throttled(Exception):
    def __init__(self, seconds: int):
        self.seconds = seconds


def _throttle_key(email: str) -> str:
    """Failed sign-ins are counted per email, under a hash: no job seeker's address is
    written to the failure log."""
    import hashlib

    return "seeker:" + hashlib.sha256(seekers.normalise_email(email).encode()).hexdigest()


def attempt_sign_in(email: str, password: str) -> seekers.Seeker | None:
    """The account, or None for a wrong email or password; ``_Throttled`` once this email
    has too many recent failures from this client address (or from all of them together)."""
    from services.common.rate_limit import client_address

    throttle = context().throttle
    key, address = _throttle_key(email), client_address()
    wait = throttle.reserve(key, address)   # counted before the password is checked
    if wait:
        raise _Throttled(wait)
    seeker = seekers.authenticate(db(), email, password)
    if seeker is None:
        if throttle.remaining(key, address) == 0:
            raise _Throttled(throttle.window_seconds)
        return None
    throttle.succeeded(key, address)
    return seeker


def _throttled_message(seconds: int) -> str:
    return _("Too many failed sign-ins with this email address. You can try again in "
             "%(minutes)s min.", minutes=max(1, -(-seconds // 60)))


@bp.route("/<lang>/sign-in", methods=["GET", "POST"])
def sign_in():
    next_url = _safe_next(request.values.get("next"))
    email, error, status = "", None, 200
    if request.method == "POST":
        email = request.form.get("email", "")[:300]
        try:
            seeker = attempt_sign_in(email, request.form.get("password", ""))
        except _Throttled as t:
            error, status = _throttled_message(t.seconds), 429
        else:
            if seeker is None:
                error, status = _("The email address or the password is wrong."), 401
            else:
                _sign_in(seeker)
                return redirect(next_url or url_for("results_pages.results"), code=303)
    test = seekers.test_to_offer(db(), session.get("test"))
    response = render_template("sign_in.html", email=email, error=error, next_url=next_url,
                               test=test)
    return response, status


@bp.post("/<lang>/sign-out")
def sign_out():
    # on a shared computer nothing of the job seeker stays: neither the account nor the test
    logout_user()
    session.pop("test", None)
    session.pop("_csrf", None)
    flash(_("You have signed out."))
    return redirect(url_for("results_pages.home"), code=303)


@bp.get("/static/testing.css")
def testing_style():
    """The testing service's stylesheet, so that the results pages look the same alone too."""
    return send_from_directory(TESTING_STYLE, "style.css", max_age=3600)


# the other pages of this blueprint (after bp and the helpers above, which they import)
from . import employer_pages, seeker_pages  # noqa: E402,F401
