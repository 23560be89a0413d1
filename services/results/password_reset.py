"""A job seeker's forgotten password: the shared flow (services/common/password_reset.py) on
the job seekers' accounts, under ``/results/<lang>/password/…``."""
from __future__ import annotations

from flask import g
from sqlalchemy import select

from services.common.password_reset import Account, PasswordReset
from services.common.password_reset import tokens as _tokens  # noqa: F401  (sign_up_mail)

from . import seekers
from .orm import Identity, JobSeeker
from .pages import bp, db


class SeekerAccounts:
    """Job seekers who sign in with a password (not deleted)."""

    def by_email(self, email: str) -> Account | None:
        email = seekers.normalise_email(email)
        if not email:
            return None
        with db().session() as s:
            row = s.execute(select(JobSeeker.id, JobSeeker.display_name).join(
                Identity, Identity.job_seeker_id == JobSeeker.id).where(
                Identity.provider == seekers.PASSWORD_PROVIDER, Identity.subject == email,
                JobSeeker.deleted_at.is_(None))).first()
        return Account(row.id, email, row.display_name) if row is not None else None

    def by_id(self, account_id: str) -> Account | None:
        with db().session() as s:
            row = s.get(JobSeeker, account_id) if isinstance(account_id, str) else None
            return Account(row.id, row.email, row.display_name) if row is not None else None

    def set_password_hash(self, account_id: str, password_hash: str) -> bool:
        with db().session() as s:
            identity = s.scalar(select(Identity).where(
                Identity.job_seeker_id == account_id,
                Identity.provider == seekers.PASSWORD_PROVIDER))
            if identity is None:
                return False
            identity.secret = password_hash
            return True

    def session_subject(self, account_id: str) -> str:
        return f"seeker:{account_id}"


RESET = PasswordReset(purpose="password-reset", accounts=SeekerAccounts,
                      forgot_endpoint="results_pages.forgot_password",
                      reset_endpoint="results_pages.reset_password",
                      sign_in_endpoint="results_pages.sign_in",
                      url_args=lambda: {"lang": g.lang})


@bp.route("/<lang>/password/forgot", methods=["GET", "POST"])
def forgot_password():
    return RESET.forgot_view()


@bp.route("/<lang>/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    return RESET.reset_view(token)
