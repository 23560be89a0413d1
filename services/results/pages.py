"""The job seeker's pages (account, kept results, sharing, GDPR) and the employer's link page.

Inside the results app the job seeker's pages are ``/<lang>/...``; the gateway mounts the
app at ``/results``. The app shares the testing service's session cookie (same name, same
key), so it sees ``session["test"]``, the test this browser has just taken. The employer's
page ``/v/<token>`` has no language in its path (``?lang=`` or the browser's languages) and
never touches the session.
"""
from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from functools import wraps
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template,
                   request, send_from_directory, session, url_for)
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from assessment.cefr import LEVELS
from assessment.reporting import level_range, range_text
from services.common.accounts import SignInThrottle
from services.common.errors import APIError
from services.common.rate_limit import Limit, hit
from services.common.i18n import LANGUAGES, LEARNER_LANGUAGES, language_in_path

from . import seekers, sharing, verification
from .credentials import JWKS_PATH, KeyRing, KeyRingError
from .seekers import SeekerError
from .texts import (ASSURANCE_EXPLAINED, ASSURANCE_NAMES, ASSURANCE_TITLES, LEVEL_SUMMARY,
                    RECIPIENT_KINDS, SHARE_STATES, SKILL_NAMES, VERIFY_REASONS, VERIFY_STATES,
                    VIEWERS)

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
    test = seekers.browser_test(db(), session.get("test"))
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
    test = seekers.browser_test(db(), session.get("test"))
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
    test = seekers.browser_test(db(), session.get("test"))
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


# -- kept results --------------------------------------------------------------------------
def progress_chart(results: list[dict], width: int = 640, height: int = 260) -> dict | None:
    """Geometry of the SVG chart of the levels over time: one line per skill and overall,
    x the tests in order (evenly spaced), y the CEFR level (A1 at the bottom)."""
    if not results:
        return None
    left, right, top, bottom = 60, 20, 20, 40
    n = len(results)
    step_x = (width - left - right) / max(n - 1, 1)
    step_y = (height - top - bottom) / (len(LEVELS) - 1)

    def x(i: int) -> float:
        return round(left + (i * step_x if n > 1 else (width - left - right) / 2), 1)

    def y(level: str) -> float:
        return round(height - bottom - LEVELS.index(level) * step_y, 1)

    keys = ["overall"] + [k for k in SKILL_NAMES if any(k in r["skills"] for r in results)]
    lines = []
    for n_key, key in enumerate(keys):
        # lines on the same level are drawn a few pixels apart, so that each stays visible
        offset = round((n_key - (len(keys) - 1) / 2) * 3, 1)
        points = []
        for i, r in enumerate(results):
            est = r["overall"] if key == "overall" else r["skills"].get(key)
            if est and est.get("cefr") in LEVELS:
                points.append({"x": x(i), "y": y(est["cefr"]) + offset, "level": est["cefr"]})
        if points:
            lines.append({"key": key, "points": points,
                          "path": " ".join(f"{p['x']},{p['y']}" for p in points)})
    return {"width": width, "height": height, "left": left, "right": width - right,
            "rows": [{"level": lvl, "y": y(lvl)} for lvl in LEVELS],
            # dates under the chart: at most about eight, so that they never overlap
            "columns": [{"x": x(i), "label": _short_day(r["finished_at"])}
                        for i, r in enumerate(results) if i % (n // 8 + 1) == 0 or i == n - 1],
            "lines": lines, "bottom": height - bottom}


@bp.get("/<lang>/results")
@seeker_required
def results():
    seeker = current_seeker()
    kept = seekers.history(db(), seeker.id)
    test = seekers.browser_test(db(), session.get("test"), seeker.id)
    return render_template("seeker_results.html", results=kept, test=test,
                           chart=progress_chart(kept), newest_first=list(reversed(kept)),
                           columns=[k for k in SKILL_NAMES if any(k in r["skills"] for r in kept)])


@bp.post("/<lang>/results/keep")
@seeker_required
def claim():
    try:
        seekers.claim(db(), current_seeker().id, session.get("test"))
    except SeekerError as err:
        raise APIError(err.status, str(err.message)) from None
    flash(_("The result is now kept in your account."))
    return redirect(url_for("results_pages.results"), code=303)


# -- sharing -------------------------------------------------------------------------------
def _share_form(kept: list[dict], form: dict, errors: dict, status: int = 200):
    return render_template("share_form.html", results=list(reversed(kept)), form=form,
                           errors=errors, coaches=sharing.coaches(db()),
                           max_days=sharing.MAX_DAYS), status


@bp.get("/<lang>/share")
@seeker_required
def share_form():
    seeker = current_seeker()
    kept = seekers.history(db(), seeker.id)
    chosen = request.args.get("result")
    if chosen and seekers.owned_result(db(), seeker.id, chosen) is None:
        raise APIError(404, _("There is no such result in your account."))
    form = {"result": chosen or (kept[-1]["session_id"] if kept else ""), "recipient": "",
            "coach_id": "", "employer_name": "", "employer_email": "", "purpose": "",
            "days": str(sharing.DEFAULT_DAYS), "show_name": False}
    return _share_form(kept, form, {})


@bp.post("/<lang>/share")
@seeker_required
def share_create():
    seeker = current_seeker()
    f = request.form
    form = {"result": f.get("result", "")[:40], "recipient": f.get("recipient", "")[:20],
            "coach_id": f.get("coach_id", "")[:20], "employer_name": f.get("employer_name", "")[:300],
            "employer_email": f.get("employer_email", "")[:300], "purpose": f.get("purpose", "")[:400],
            "days": f.get("days", "")[:10], "show_name": f.get("show_name") == "yes"}
    try:
        share, token = sharing.create_share(
            db(), seeker.id, session_id=form["result"], recipient=form["recipient"],
            coach_id=form["coach_id"], employer_name=form["employer_name"],
            employer_email=form["employer_email"], purpose=form["purpose"], days=form["days"],
            show_name=form["show_name"])
    except SeekerError as err:
        if err.status == 404:  # not this account's result: no form to fix
            raise APIError(404, str(err.message)) from None
        return _share_form(seekers.history(db(), seeker.id), form, _form_errors(err), err.status)
    link = context().issuer_url + url_for("results_pages.employer_view", token=token) if token else None
    # post/redirect/get: reloading the page that shows the link makes no second share
    session["new_share"] = {"id": share["id"], "link": link}
    return redirect(url_for("results_pages.share_done"), 303)


@bp.get("/<lang>/share/done")
@seeker_required
def share_done():
    """The share just made, with the employer's link shown this once."""
    seeker = current_seeker()
    made = session.pop("new_share", None)
    share = next((sh for sh in sharing.shares_of(db(), seeker.id)
                  if isinstance(made, dict) and sh["id"] == made.get("id")), None)
    if share is None:  # shown already (a reload): the link is kept only as its hash
        return redirect(url_for("results_pages.shares"), 303)
    result = seekers.owned_result(db(), seeker.id, share["result"])
    return render_template("share_created.html", share=share, link=made.get("link"), result=result,
                           recipient_kinds=RECIPIENT_KINDS)


@bp.get("/<lang>/shares")
@seeker_required
def shares():
    seeker = current_seeker()
    kept = {r["session_id"]: r for r in seekers.history(db(), seeker.id)}
    return render_template("shares.html", shares=sharing.shares_of(db(), seeker.id), results=kept,
                           states=SHARE_STATES, recipient_kinds=RECIPIENT_KINDS, viewers=VIEWERS)


@bp.post("/<lang>/shares/<share_id>/withdraw")
@seeker_required
def withdraw(share_id):
    if not sharing.withdraw(db(), current_seeker().id, share_id):
        raise APIError(404, _("There is no such share in your account."))
    flash(_("The share has been withdrawn. Its link and its credential no longer work."))
    return redirect(url_for("results_pages.shares"), code=303)


# -- the account, GDPR ---------------------------------------------------------------------
@bp.get("/<lang>/account")
@seeker_required
def account():
    return render_template("account.html", seeker=current_seeker())


@bp.get("/<lang>/account/export")
@seeker_required
def export():
    data = seekers.export(db(), current_seeker().id)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d")
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="taitotaso-my-data-{stamp}.json"'})


@bp.route("/<lang>/account/delete", methods=["GET", "POST"])
@seeker_required
def delete_account():
    seeker = current_seeker()
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            return render_template("account_delete.html", seeker=seeker, error=_(
                "Tick the box to confirm that you want to delete your account.")), 422
        from services.common.sessions import revoke_sessions_of

        from .erasure import erase_account

        erase_account(db(), seeker.id)   # answers, recordings, notes, tokens: nothing stays

        revoke_sessions_of(f"seeker:{seeker.id}")   # every browser she signed in with
        logout_user()
        session.pop("test", None)
        g.seeker = None
        flash(_("Your account has been deleted. Your shares have been withdrawn."))
        return redirect(url_for("results_pages.home"), code=303)
    return render_template("account_delete.html", seeker=seeker, error=None)


# -- the employer's link -------------------------------------------------------------------
def _public_language() -> None:
    lang = request.args.get("lang")
    g.lang = lang if lang in LANGUAGES else (request.accept_languages.best_match(LANGUAGES) or "fi")


def _limited():
    """Count the look-up; a 429 page when this address has made too many."""
    wait = hit(context().link_lookups)
    if not wait:
        return None
    body = render_template("link_error.html", code=429, message=_(
        "Too many links have been checked from your network in a short time. Wait a minute "
        "and try again."))
    return Response(body, status=429, mimetype="text/html",
                    headers={"Retry-After": str(wait), "Cache-Control": "no-store"})


def _not_found():
    """The one answer for unknown, expired and withdrawn links: nothing tells them apart."""
    body = render_template("link_error.html", code=404, message=_(
        "This link does not work. It may have expired or been withdrawn, or it was copied "
        "incompletely. Ask the job seeker for a new link."))
    return Response(body, status=404, mimetype="text/html",
                    headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


@bp.get("/v/<token>")
def employer_view(token):
    _public_language()
    limited = _limited()
    if limited is not None:
        return limited
    link = sharing.open_link(db(), token)
    if link is None:
        return _not_found()
    skills = [{"key": k, "name": SKILL_NAMES[k], "est": link["skills"][k],
               "range": level_range(link["skills"][k])}
              for k in SKILL_NAMES if k in link["skills"]]
    body = render_template(
        "employer_view.html", link=link, skills=skills, summary=LEVEL_SUMMARY.get(
            link["overall"].get("cefr"), ""), overall_range=level_range(link["overall"]),
        range_text=range_text,
        title=ASSURANCE_TITLES.get(link["assurance"], ASSURANCE_TITLES["unsupervised"]),
        verify_url=context().issuer_url + url_for("results_pages.verify_page"),
        assurance=ASSURANCE_NAMES.get(link["assurance"], link["assurance"]),
        assurance_explained=ASSURANCE_EXPLAINED.get(link["assurance"], ""),
        credential_url=url_for("results_pages.employer_credential", token=token),
        jwks_url=context().issuer_url + JWKS_PATH,
        status_url=context().issuer_url + sharing.status_path(link["credential_id"]),
        credential_id=f"urn:uuid:{link['credential_id']}")
    return Response(body, mimetype="text/html",
                    headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


@bp.get("/v/<token>/credential.jwt")
def employer_credential(token):
    _public_language()
    limited = _limited()
    if limited is not None:
        return limited
    link = sharing.open_link(db(), token, viewer=sharing.CREDENTIAL_VIEWER)
    if link is None:
        return _not_found()
    try:
        jwt = sharing.credential_jwt(link, context().keys, context().issuer_url)
    except KeyRingError:
        current_app.logger.exception("the signing keys cannot be used")
        raise APIError(503, _("The credential cannot be signed at the moment. The levels on "
                              "the link's page are valid; try the download again later."))
    return Response(jwt, mimetype="application/jwt", headers={
        "Content-Disposition": 'attachment; filename="taitotaso-credential.jwt"',
        "Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


# -- the employers' verification page ----------------------------------------------------
def _submitted_credential() -> str:
    """The credential text from the dropped or chosen file, or else the text box; a
    ``SeekerError`` (422/413) a person can act on when there is none or it is too big."""
    upload = request.files.get("file")
    raw = b""
    if upload is not None and upload.filename:
        raw = upload.stream.read(verification.MAX_CREDENTIAL_BYTES + 1)
    if not raw:
        raw = request.form.get("credential", "").encode("utf-8", "replace")
    if len(raw) > verification.MAX_CREDENTIAL_BYTES:
        raise SeekerError(_("This file is too large to be a Taitotaso credential (at most "
                            "64 kB). Choose the file you downloaded from the link page."),
                          field="credential", status=413)
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        text = ""
    if not text:
        raise SeekerError(_("Drop a credential file here, choose one, or paste its text into "
                            "the box, then press Check."), field="credential", status=422)
    return text


@bp.route("/verify", methods=["GET", "POST"])
def verify_page():
    """Employers check a credential: signature, withdrawal, expiry, and what it says.

    ``/verify`` on the suite's root (the address employers are told) reaches this app with
    its path unchanged; it is sent on to the page under the pages' mount point."""
    pages = current_app.config.get("RESULTS_PAGES_PATH", "/results").rstrip("/")
    if request.script_root != pages:
        query = request.query_string.decode("latin-1")
        return redirect(f"{pages}/verify" + (f"?{query}" if query else ""), 308)
    _public_language()
    verdict, error, status, text = None, None, 200, ""
    if request.method == "POST":
        limited = _limited()
        if limited is not None:
            return limited
        try:
            text = _submitted_credential()
        except SeekerError as err:
            error, status = str(err.message), err.status
        else:
            try:
                verdict = verification.verify(db(), context().keys, context().issuer_url, text)
            except KeyRingError:
                current_app.logger.exception("the signing keys cannot be read")
                raise APIError(503, _("Credentials cannot be checked at the moment. Try again "
                                      "in a few minutes."))
    body = render_template("verify.html", verdict=verdict, error=error, text=text[:4000],
                           states=VERIFY_STATES, reasons=VERIFY_REASONS,
                           assurance_titles=ASSURANCE_TITLES, issuer_url=context().issuer_url,
                           jwks_url=context().issuer_url + JWKS_PATH)
    return Response(body, status=status, mimetype="text/html",
                    headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


@bp.get("/static/testing.css")
def testing_style():
    """The testing service's stylesheet, so that the results pages look the same alone too."""
    return send_from_directory(TESTING_STYLE, "style.css", max_age=3600)
