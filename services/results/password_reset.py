"""A forgotten password: a single-use link by mail, valid for ``TAITOTASO_RESET_LINK_MINUTES``.

The answer to "send me a link" is the same page whether or not the address has an account, and
the same time is spent (a message is only sent for an account). The link opens a form; setting
a new password uses the link up (services/common/onetime.py), ends every session the account
had and leads to signing in.
"""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from services.common.mail import send_mail
from services.common.onetime import OneTimeTokens
from services.common.passwords import hash_password, password_problem
from services.common.rate_limit import Limit, hit
from services.common.sessions import revoke_sessions_of

from . import seekers
from .orm import Identity, JobSeeker
from .pages import bp, context, db

PURPOSE = "password-reset"
REQUESTS_PER_HOUR = 10   # per client address
REQUESTS = Limit("password-reset", REQUESTS_PER_HOUR, 3600)


def _tokens() -> OneTimeTokens:
    ext = current_app.extensions
    if "taitotaso.onetime" not in ext:
        ext["taitotaso.onetime"] = OneTimeTokens(ext["taitotaso.resources"])
    return ext["taitotaso.onetime"]


def _account(email: str):
    email = seekers.normalise_email(email)
    if not email:
        return None
    with db().session() as s:
        return s.execute(select(JobSeeker.id, JobSeeker.ui_language).join(
            Identity, Identity.job_seeker_id == JobSeeker.id).where(
            Identity.provider == seekers.PASSWORD_PROVIDER, Identity.subject == email,
            JobSeeker.deleted_at.is_(None))).first()


@bp.route("/<lang>/password/forgot", methods=["GET", "POST"])
def forgot_password():
    sent, status = False, 200
    if request.method == "POST":
        if hit(REQUESTS):
            return render_template("password_forgot.html", sent=False, error=_(
                "Too many links have been asked for from your network. Try again in an hour.")), 429
        email = request.form.get("email", "")[:300]
        account = _account(email)
        if account is not None:
            config = context().config
            minutes = config.reset_link_minutes
            token = _tokens().issue(PURPOSE, {"seeker": account.id}, minutes * 60)
            link = config.public_url.rstrip("/") + url_for("results_pages.reset_password",
                                                           lang=g.lang, token=token)
            send_mail(config, seekers.normalise_email(email), _("Set a new password for Taitotaso"),
                      _("Someone asked to set a new password for the Taitotaso account of this "
                        "email address. If it was you, open this link within %(minutes)s "
                        "minutes; it works once:\n\n%(link)s\n\nIf it was not you, you need not "
                        "do anything: your password stays as it is.", minutes=minutes, link=link))
        else:   # the same work as for an account, so that the time does not tell
            hash_password("no account has this address")
        sent = True
    return render_template("password_forgot.html", sent=sent, error=None), status


def _expired_page():
    return render_template("password_reset.html", token=None, errors={}, error=_(
        "This link has expired or has already been used. Ask for a new one.")), 404


@bp.route("/<lang>/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    if _tokens().peek(PURPOSE, token) is None:
        return _expired_page()
    errors = {}
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password_again", ""):
            errors["password_again"] = _("The two passwords are not the same. Write the same "
                                         "password twice.")
        else:
            data = _tokens().peek(PURPOSE, token) or {}
            with db().session() as s:
                row = s.get(JobSeeker, data.get("seeker"))
                email, name = (row.email, row.display_name) if row is not None else (None, None)
            problem = password_problem(password, email=email, name=name, gettext=_)
            if problem:
                errors["password"] = problem
        if not errors:
            data = _tokens().consume(PURPOSE, token)   # once: a second click finds nothing
            if data is None:
                return _expired_page()
            with db().session() as s:
                identity = s.scalar(select(Identity).where(
                    Identity.job_seeker_id == data["seeker"],
                    Identity.provider == seekers.PASSWORD_PROVIDER))
                if identity is None:
                    return _expired_page()
                identity.secret = hash_password(password)
            revoke_sessions_of(f"seeker:{data['seeker']}")   # signed out everywhere
            flash(_("Your password has been changed. Sign in with the new password."))
            return redirect(url_for("results_pages.sign_in"), code=303)
    return render_template("password_reset.html", token=token, errors=errors, error=None), \
        (422 if errors else 200)
