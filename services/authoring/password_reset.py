"""A staff member's forgotten password: the shared flow (services/common/password_reset.py)
on the staff accounts, under ``/authoring/password/…``. A deactivated account gets no link."""
from __future__ import annotations

from sqlalchemy import select

from services.common.accounts import StaffUser, normalise_email
from services.common.password_reset import Account, PasswordReset

from .pages import bp


def _db():
    from flask import current_app

    return current_app.extensions["taitotaso.resources"].db


class StaffAccounts:
    """Active staff members (who sign in with a password)."""

    def by_email(self, email: str) -> Account | None:
        email = normalise_email(email)
        if not email:
            return None
        with _db().session() as s:
            row = s.scalar(select(StaffUser).where(StaffUser.email == email,
                                                   StaffUser.active.is_(True)))
            return Account(row.id, row.email, row.name) if row is not None else None

    def by_id(self, account_id: int) -> Account | None:
        with _db().session() as s:
            row = s.get(StaffUser, account_id) if isinstance(account_id, int) else None
            return Account(row.id, row.email, row.name) if row is not None and row.active else None

    def set_password_hash(self, account_id: int, password_hash: str) -> bool:
        with _db().session() as s:
            row = s.get(StaffUser, account_id)
            if row is None or not row.active:
                return False
            row.password_hash = password_hash
            return True

    def session_subject(self, account_id: int) -> str:
        return f"staff:{account_id}"


RESET = PasswordReset(purpose="staff-password-reset", accounts=StaffAccounts,
                      forgot_endpoint="staff.forgot_password",
                      reset_endpoint="staff.reset_password",
                      sign_in_endpoint="staff.sign_in")


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    return RESET.forgot_view()


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    return RESET.reset_view(token)
