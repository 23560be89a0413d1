"""A forgotten password: a single-use link by mail, valid for ``TAITOTASO_RESET_LINK_MINUTES``,
for any kind of account (job seekers in the results service, staff in authoring).

The answer to "send me a link" is the same page whether or not the address has an account, and
the same time is spent (a message is only sent for an account). Asking is rate limited per
client address. The link opens a form; setting a new password uses the link up
(services/common/onetime.py), ends every session the account had and leads to signing in.
Without a mail server the message is written to the outbox (services/common/mail.py) and the
page says so, for every address alike.

A service supplies its accounts (:class:`ResetAccounts`) and the names of its pages; the
pages are the shared templates ``password_forgot.html`` and ``password_reset.html``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .mail import outbox_dir, send_mail
from .onetime import OneTimeTokens
from .passwords import hash_password, password_problem
from .rate_limit import Limit, hit
from .sessions import revoke_sessions_of

REQUESTS_PER_HOUR = 10   # per client address


def tokens() -> OneTimeTokens:
    """This app's single-use tokens of links sent by mail."""
    ext = current_app.extensions
    if "taitotaso.onetime" not in ext:
        ext["taitotaso.onetime"] = OneTimeTokens(ext["taitotaso.resources"])
    return ext["taitotaso.onetime"]


@dataclass(frozen=True)
class Account:
    id: int | str     # staff ids are numbers, job seekers' UUIDs
    email: str
    name: str | None = None


class ResetAccounts(Protocol):
    """The accounts one service keeps: found by address, given a new password hash."""

    def by_email(self, email: str) -> Account | None: ...

    def by_id(self, account_id) -> Account | None: ...

    def set_password_hash(self, account_id, password_hash: str) -> bool: ...

    def session_subject(self, account_id) -> str: ...


@dataclass(frozen=True)
class PasswordReset:
    """The two pages for one kind of account. ``url_args`` gives the extra arguments of the
    service's URLs (the job seeker's language), ``purpose`` keeps the tokens and the rate
    limit of each kind apart."""

    purpose: str
    accounts: Callable[[], ResetAccounts]
    forgot_endpoint: str
    reset_endpoint: str
    sign_in_endpoint: str
    url_args: Callable[[], dict] = dict

    @property
    def limit(self) -> Limit:
        return Limit(self.purpose, REQUESTS_PER_HOUR, 3600)

    def _config(self):
        return current_app.extensions["taitotaso.resources"].config

    def _urls(self, token: str | None = None) -> dict:
        args = self.url_args()
        urls = {"forgot_url": url_for(self.forgot_endpoint, **args),
                "sign_in_url": url_for(self.sign_in_endpoint, **args)}
        if token is not None:
            urls["action"] = url_for(self.reset_endpoint, token=token, **args)
        return urls

    def link(self, token: str) -> str:
        return self._config().public_url.rstrip("/") + url_for(
            self.reset_endpoint, token=token, **self.url_args())

    def issue_link(self, account: Account) -> str:
        """A new single-use link for ``account`` (also for mail written by other flows)."""
        minutes = self._config().reset_link_minutes
        return self.link(tokens().issue(self.purpose, {"account": account.id}, minutes * 60))

    def forgot_view(self):
        sent, status, error = False, 200, None
        if request.method == "POST":
            wait = hit(self.limit)
            if wait:
                return self._forgot_page(False, _("Too many links have been asked for from your "
                                                  "network. Try again in an hour."), 429, wait)
            email = request.form.get("email", "")[:300]
            account = self.accounts().by_email(email)
            if account is not None:
                minutes = self._config().reset_link_minutes
                send_mail(self._config(), account.email, _("Set a new password for Taitotaso"),
                          _("Someone asked to set a new password for the Taitotaso account of "
                            "this email address. If it was you, open this link within "
                            "%(minutes)s minutes; it works once:\n\n%(link)s\n\nIf it was not "
                            "you, you need not do anything: your password stays as it is.",
                            minutes=minutes, link=self.issue_link(account)))
            else:   # the same work as for an account, so that the time does not tell
                hash_password("no account has this address")
            sent = True
        return self._forgot_page(sent, error, status)

    def _forgot_page(self, sent: bool, error: str | None, status: int, wait: int = 0):
        response = current_app.make_response((render_template(
            "password_forgot.html", sent=sent, error=error, outbox=outbox_dir(self._config()),
            **self._urls()), status))
        if wait:
            response.headers["Retry-After"] = str(wait)
        return response

    def _expired_page(self):
        return render_template("password_reset.html", token=None, errors={}, error=_(
            "This link has expired or has already been used. Ask for a new one."),
            **self._urls()), 404

    def reset_view(self, token: str):
        data = tokens().peek(self.purpose, token)
        if data is None:
            return self._expired_page()
        errors = {}
        if request.method == "POST":
            password = request.form.get("password", "")
            if password != request.form.get("password_again", ""):
                errors["password_again"] = _("The two passwords are not the same. Write the "
                                             "same password twice.")
            else:
                account = self.accounts().by_id(data.get("account"))
                problem = password_problem(password, email=account.email if account else None,
                                           name=account.name if account else None, gettext=_)
                if problem:
                    errors["password"] = problem
            if not errors:
                data = tokens().consume(self.purpose, token)   # once: a second click finds nothing
                if data is None:
                    return self._expired_page()
                accounts = self.accounts()
                if not accounts.set_password_hash(data["account"], hash_password(password)):
                    return self._expired_page()
                revoke_sessions_of(accounts.session_subject(data["account"]))   # everywhere
                flash(_("Your password has been changed. Sign in with the new password."))
                return redirect(url_for(self.sign_in_endpoint, **self.url_args()), code=303)
        return render_template("password_reset.html", token=token, errors=errors, error=None,
                               **self._urls(token)), (422 if errors else 200)


__all__ = ["Account", "PasswordReset", "ResetAccounts", "REQUESTS_PER_HOUR", "tokens"]
