"""Signing up with the address confirmed by mail, when the suite can send mail (SMTP).

The sign-up form then answers the same page, "we sent you a message", whether or not the
address already has an account: a new address gets a link that creates the account (so its
owner is who signs up: the address is verified), an address with an account gets a note
that someone tried, with the way to sign in or set a new password. Nobody can learn from
the form which addresses have accounts. The link is single-use and valid for
``SIGN_UP_LINK_HOURS``; it keeps the password only as its Argon2id hash.

Without mail (the embedded default) signing up creates the account at once, as before, and
then says when an address is taken (README: security).
"""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from services.common.mail import send_mail
from services.common.passwords import hash_password, password_problem

from . import seekers
from .orm import Identity, JobSeeker
from .pages import _sign_in, bp, context, db
from .password_reset import _tokens

PURPOSE = "sign-up"
SIGN_UP_LINK_HOURS = 24


def start(email: str, password: str, display_name: str | None, lang: str) -> None:
    """Check the form (SeekerError for what the person must fix) and send the mail."""
    address = seekers.normalise_email(email)
    if not seekers._EMAIL.match(address) or len(address) > 254:
        raise seekers.SeekerError(_("Write your email address in the form name@example.fi."),
                                  field="email")
    name = seekers.clean_display_name(display_name)
    problem = password_problem(password, email=address, name=name, gettext=_)
    if problem:
        raise seekers.SeekerError(problem, field="password")
    config = context().config
    base = config.public_url.rstrip("/")
    with db().session() as s:
        taken = s.scalar(select(Identity.id).where(Identity.provider == seekers.PASSWORD_PROVIDER,
                                                   Identity.subject == address)) is not None \
            or s.scalar(select(JobSeeker.id).where(JobSeeker.email == address)) is not None
    secret = hash_password(password)   # the same work either way
    if taken:
        send_mail(config, address, _("Someone tried to create a Taitotaso account"), _(
            "Someone tried to create a Taitotaso account with this email address, which "
            "already has one. If it was you, sign in:\n\n%(sign_in)s\n\nIf you have forgotten "
            "the password, set a new one:\n\n%(reset)s\n\nIf it was not you, you need not do "
            "anything.", sign_in=base + url_for("results_pages.sign_in", lang=lang),
            reset=base + url_for("results_pages.forgot_password", lang=lang)))
        return
    token = _tokens().issue(PURPOSE, {"email": address, "secret": secret, "name": name,
                                      "lang": lang}, SIGN_UP_LINK_HOURS * 3600)
    send_mail(config, address, _("Confirm your Taitotaso account"), _(
        "Open this link to finish creating your Taitotaso account. It works once, within "
        "%(hours)s hours:\n\n%(link)s\n\nIf you did not sign up, you need not do anything: "
        "no account is made.", hours=SIGN_UP_LINK_HOURS,
        link=base + url_for("results_pages.confirm_sign_up", lang=lang, token=token)))


def sent_page(email: str):
    return render_template("sign_up_sent.html", email=seekers.normalise_email(email)[:254])


@bp.route("/<lang>/sign-up/confirm/<token>", methods=["GET", "POST"])
def confirm_sign_up(token):
    """GET shows a button (mail scanners open links); POST uses the link and signs in."""
    if _tokens().peek(PURPOSE, token) is None:
        return render_template("sign_up_confirm.html", token=None, error=_(
            "This link has expired or has already been used. Create the account again.")), 404
    if request.method == "GET":
        return render_template("sign_up_confirm.html", token=token, error=None)
    data = _tokens().consume(PURPOSE, token)
    if data is None:
        return render_template("sign_up_confirm.html", token=None, error=_(
            "This link has expired or has already been used. Create the account again.")), 404
    import secrets

    try:   # made with a throwaway password, then given the hash from the form
        seeker = seekers.sign_up(db(), data["email"], secrets.token_urlsafe(24), data.get("name"),
                                 data.get("lang") or g.lang)
    except seekers.SeekerError as err:
        return render_template("sign_up_confirm.html", token=None, error=err.message), err.status
    with db().session() as s:
        identity = s.scalar(select(Identity).where(Identity.job_seeker_id == seeker.id))
        identity.secret = data["secret"]
    _sign_in(seeker)
    flash(_("Your account has been created. You are signed in."))
    return redirect(url_for("results_pages.results"), code=303)
