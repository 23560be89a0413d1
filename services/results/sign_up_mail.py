"""Signing up with the address confirmed by mail.

The sign-up form answers the same page, "check your email", whether or not the address
already has an account: a new address gets a link that creates the account (so its owner is
who signs up: the address is verified), an address with an account gets a note that someone
tried, with a link to sign in and a single-use link to set a new password
(services/common/password_reset.py). Nobody can learn from the form which addresses have
accounts. The link is single-use and valid for ``SIGN_UP_LINK_HOURS``; it keeps the password
only as its Argon2id hash, and what the job seeker was doing: the result they asked to keep
(``/keep``) and the page to go on to, so that opening the link on another device keeps it too.

Without a mail server (the embedded default, ``make run``) the message is written to the
outbox (``var/outbox``, services/common/mail.py) and the page says so plainly.
"""
from __future__ import annotations

import secrets

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from services.common.mail import outbox_dir, send_mail
from services.common.passwords import hash_password, password_problem
from services.common.rate_limit import Limit, enforce

from . import seekers
from .orm import Identity, JobSeeker
from .pages import KEEP_INTENT, _safe_next, _sign_in, bp, context, db
from .password_reset import RESET, SeekerAccounts, _tokens

PURPOSE = "sign-up"
SIGN_UP_LINK_HOURS = 24
# each sign-up sends a message: an address (a classroom shares one) may ask for this many an hour
SIGN_UPS = Limit("sign-up", 60, 3600)


def start(email: str, password: str, display_name: str | None, lang: str,
          next_url: str | None = None) -> None:
    """Check the form (SeekerError for what the person must fix) and send the mail."""
    address = seekers.normalise_email(email)
    if not seekers._EMAIL.match(address) or len(address) > 254:
        raise seekers.SeekerError(_("Write your email address in the form name@example.fi."),
                                  field="email")
    name = seekers.clean_display_name(display_name)
    problem = password_problem(password, email=address, name=name, gettext=_)
    if problem:
        raise seekers.SeekerError(problem, field="password")
    enforce(SIGN_UPS, _("Many accounts have been created from your network in the last hour. "
                        "Wait a while and try again."))
    config = context().config
    base = config.public_url.rstrip("/")
    with db().session() as s:
        taken = s.scalar(select(Identity.id).where(Identity.provider == seekers.PASSWORD_PROVIDER,
                                                   Identity.subject == address)) is not None \
            or s.scalar(select(JobSeeker.id).where(JobSeeker.email == address)) is not None
    secret = hash_password(password)   # the same work either way
    if taken:
        account = SeekerAccounts().by_email(address)
        reset = RESET.issue_link(account) if account is not None else \
            base + url_for("results_pages.forgot_password", lang=lang)
        send_mail(config, address, _("Someone tried to create a Taitotaso account"), _(
            "Someone tried to create a Taitotaso account with this email address, which "
            "already has one. If it was you, sign in:\n\n%(sign_in)s\n\nIf you have forgotten "
            "the password, set a new one:\n\n%(reset)s\n\nIf it was not you, you need not do "
            "anything.", sign_in=base + url_for("results_pages.sign_in", lang=lang),
            reset=reset))
        return
    test = session.get("test") if session.get(KEEP_INTENT) else None
    token = _tokens().issue(PURPOSE, {"email": address, "secret": secret, "name": name,
                                      "lang": lang, "keep": test, "next": next_url},
                            SIGN_UP_LINK_HOURS * 3600)
    send_mail(config, address, _("Confirm your Taitotaso account"), _(
        "Open this link to finish creating your Taitotaso account. It works once, within "
        "%(hours)s hours:\n\n%(link)s\n\nIf you did not sign up, you need not do anything: "
        "no account is made.", hours=SIGN_UP_LINK_HOURS,
        link=base + url_for("results_pages.confirm_sign_up", lang=lang, token=token)))


def sent_page(email: str):
    return render_template("sign_up_sent.html", email=seekers.normalise_email(email)[:254],
                           outbox=outbox_dir(context().config))


def _expired():
    return render_template("sign_up_confirm.html", token=None, error=_(
        "This link has expired or has already been used. Create the account again.")), 404


@bp.route("/<lang>/sign-up/confirm/<token>", methods=["GET", "POST"])
def confirm_sign_up(token):
    """GET shows a button (mail scanners open links); POST uses the link and signs in."""
    if _tokens().peek(PURPOSE, token) is None:
        return _expired()
    if request.method == "GET":
        return render_template("sign_up_confirm.html", token=token, error=None)
    data = _tokens().consume(PURPOSE, token)
    if data is None:
        return _expired()
    try:   # made with a throwaway password, then given the hash from the form
        seeker = seekers.sign_up(db(), data["email"], secrets.token_urlsafe(24), data.get("name"),
                                 data.get("lang") or g.lang)
    except seekers.SeekerError as err:
        return render_template("sign_up_confirm.html", token=None, error=err.message), err.status
    with db().session() as s:
        identity = s.scalar(select(Identity).where(Identity.job_seeker_id == seeker.id))
        identity.secret = data["secret"]
    keep = data.get("keep")
    kept_here = bool(keep) and session.get(KEEP_INTENT) and session.get("test") == keep
    _sign_in(seeker)   # in the browser that signed up, this keeps the result it asked to keep
    if keep and not kept_here:   # the link opened elsewhere: keep the result all the same
        try:
            seekers.claim(db(), seeker.id, keep)
        except seekers.SeekerError as err:
            flash(str(err.message))
        else:
            flash(_("The result is now kept in your account."))
    flash(_("Your account has been created. You are signed in."))
    next_url = _safe_next(data.get("next"))
    return redirect(next_url or url_for("results_pages.results"), code=303)
