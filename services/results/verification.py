"""What the employers' verification page (``/verify``) says about a credential file.

The page takes the text of a credential (a VC-JWT, as the link page's download gives it) and
answers in the reader's language: whether its signature checks against the keys this
service publishes, whether it has expired or been withdrawn, and what it says. Only
Taitotaso's own credentials (issued by the configured ``TAITOTASO_PUBLIC_URL``) are checked
here; their status is read from the shares themselves, as the public status address does.

States: ``valid``; ``withdrawn`` and ``expired`` (the signature is right, the credential no
longer counts: what it says is shown, marked so); ``invalid`` (damaged, changed, signed by
a key not published, another issuer: nothing of its content is shown, since none of it can
be trusted).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from assessment.reporting import level_range, range_text
from item_bank.model import SKILLS

from . import credentials as vc
from . import sharing

MAX_CREDENTIAL_BYTES = 64 * 1024


@dataclass
class Verdict:
    state: str                       # valid | expired | withdrawn | invalid
    kind: str | None = None          # the failed check (CredentialError.kind)
    detail: str | None = None        # the technical reason, in English
    credential: dict | None = None   # shown only when the signature is right
    levels: list[dict] = field(default_factory=list)
    assurance: str | None = None
    name: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def _time(value) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _levels(credential: dict) -> list[dict]:
    """Each result of the credential: its key (overall or a skill), level, range, certainty."""
    out = []
    for r in (credential.get("credentialSubject") or {}).get("result") or []:
        key = str(r.get("resultDescription", "")).rsplit("#", 1)[-1]
        if key != "overall" and key not in SKILLS:
            continue
        rng = r.get("levelRange") or {}
        estimate = {"cefr": r.get("value"), "certainty": r.get("certainty"),
                    "at_least": r.get("atLeast")}
        if not rng:  # credentials issued before ranges: the level and its certainty
            rng_text = range_text(level_range(estimate))
            probability = r.get("certainty")
        else:
            rng_text, probability = rng.get("text"), rng.get("probability")
        out.append({"key": key, "level": r.get("value"), "range": rng_text,
                    "probability": probability, "certainty": r.get("certainty")})
    return out


def _status(db, credential: dict, issuer_url: str) -> None:
    """Raise ``CredentialError`` (kind withdrawn) when the share behind it was withdrawn."""
    cid = str(credential.get("id", "")).removeprefix("urn:uuid:")
    try:
        uuid.UUID(cid)
    except ValueError:
        raise vc.CredentialError("The credential's id is not one this service issues.",
                                 "claims") from None
    document = sharing.credential_status(db, cid, issuer_url)
    if document is None:
        raise vc.CredentialError("This service has no record of issuing this credential.",
                                 "status")
    vc.check_status(credential, document)


def verify(db, keyring: vc.KeyRing, issuer_url: str, token: str,
           now: datetime | None = None) -> Verdict:
    """The verdict on one credential text (see the module docs)."""
    now = now or datetime.now(timezone.utc)
    jwks = keyring.jwks(issuer_url)
    try:
        credential = vc.verify_credential(token, jwks, now=now)
        state = "valid"
        failure = None
    except vc.CredentialError as err:
        if err.kind != "expired":
            return Verdict("invalid", err.kind, str(err))
        # the signature may still be right: check it at the last moment it was valid
        _header, claims = vc.unverified_parts(token)
        credential = vc.verify_credential(
            token, jwks, now=datetime.fromtimestamp(claims["exp"], timezone.utc)
            - timedelta(seconds=1))
        state, failure = "expired", err
    try:
        _status(db, credential, issuer_url)
    except vc.CredentialError as err:
        if err.kind != "withdrawn":
            return Verdict("invalid", err.kind, str(err))
        state, failure = "withdrawn", err
    subject = credential.get("credentialSubject") or {}
    name = next((i.get("identityHash") for i in subject.get("identifier") or []
                 if i.get("identityType") == "name" and not i.get("hashed")), None)
    evidence = (credential.get("evidence") or [{}])[0]
    return Verdict(state, failure.kind if failure else None, str(failure) if failure else None,
                   credential, _levels(credential), evidence.get("assurance"), name,
                   _time(credential.get("validFrom")), _time(credential.get("validUntil")))
