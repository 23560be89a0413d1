"""Revocation: the status list a credential's ``credentialStatus`` points to, and checking a
credential against it (see the package docstring, "Status")."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from .errors import CredentialError
from .signing import _issuer_id
from .vocabulary import STATUS_TYPE


@dataclass(frozen=True)
class Revocation:
    """A credential withdrawn by its job seeker or revoked by the service. The reason is shown
    to whoever checks the credential: no personal data in it."""
    credential_id: str
    reason: str | None = None


def revocation_list(status_url: str, issuer_url: str, revoked: Iterable[Revocation]) -> dict:
    """The 1EdTech Revocation List document that ``status_url`` serves."""
    entries = []
    for r in revoked:
        entry = {"id": r.credential_id, "revoked": True}
        if r.reason:
            entry["revocationReason"] = r.reason
        entries.append(entry)
    return {"id": status_url, "issuer": issuer_url.rstrip("/"), "revokedCredentials": entries}


def check_status(credential: Mapping, status_document: Mapping) -> None:
    """Raise ``CredentialError`` when ``status_document`` (fetched from the credential's
    ``credentialStatus.id``) lists the credential as revoked."""
    status = credential.get("credentialStatus") or {}
    if status.get("type") != STATUS_TYPE or status_document.get("id") != status.get("id"):
        raise CredentialError("This status list is not the one the credential names.", "status")
    if status_document.get("issuer") != _issuer_id(credential):
        raise CredentialError("This status list comes from another issuer than the credential.",
                              "status")
    for entry in status_document.get("revokedCredentials") or []:
        if isinstance(entry, Mapping) and entry.get("id") == credential.get("id") \
                and entry.get("revoked", True):
            reason = entry.get("revocationReason")
            because = f": {str(reason).rstrip('.')}." if reason else "."
            raise CredentialError(f"This credential has been revoked{because} "
                                  "Ask the job seeker for a current one.", "withdrawn")
