"""Signing a credential as a VC-JWT and verifying one against the issuer's published keys
(see the package docstring, "The token")."""
from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Mapping

import jwt

from .badge import _pseudonymous
from .dates import _human_time, _parse_time, _utc
from .errors import CredentialError
from .keys import KeyRing, key_url
from .vocabulary import _JWT_CLAIMS, ALGORITHM, JWKS_PATH, NBF_LEEWAY_SECONDS


# PyJWT does the JWS (RFC 7515) work: encoding, EdDSA signatures, refusing every other
# algorithm. What stays here is what is particular to these credentials: which key may have
# signed (the issuer's own published key, named by its URL), the dates with reasons a person
# understands, and the signed claims agreeing with the credential.
def _issuer_id(credential: Mapping) -> str | None:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, Mapping) else issuer


def sign_credential(credential: Mapping, keyring: KeyRing, *, subject: str,
                    expires: datetime | None, vc_claim: bool = True) -> str:
    """The credential as a compact JWS signed by the active key.

    ``subject`` (a pseudonymous URI, never an e-mail address) becomes ``sub`` and
    ``credentialSubject.id``; ``expires`` must be the credential's ``validUntil`` (or None
    when it has none). With ``vc_claim=False`` the credential's members are the claims
    themselves (VC Data Model 2.0) rather than the ``vc`` claim (VC Data Model 1.1). The
    header's ``kid`` is the URL of the key in the issuer's JWKS.
    """
    _pseudonymous(subject, "subject")
    vc = copy.deepcopy(dict(credential))
    subj = vc.get("credentialSubject")
    if not isinstance(subj, dict):
        raise ValueError("The credential has no credentialSubject.")
    if subj.get("id", subject) != subject:
        raise ValueError("The credential names another subject than the one given.")
    vc["credentialSubject"] = {"id": subject, **{k: v for k, v in subj.items() if k != "id"}}
    for member in ("id", "validFrom"):
        if not vc.get(member):
            raise ValueError(f"The credential has no {member}.")
    issuer = _issuer_id(vc)
    if not issuer:
        raise ValueError("The credential has no issuer id.")
    valid_from = _parse_time(vc["validFrom"])
    valid_until = _parse_time(vc["validUntil"]) if vc.get("validUntil") else None
    if (None if expires is None else _utc(expires)) != valid_until:
        raise ValueError("expires must be the credential's validUntil (None when it has none).")

    key = keyring.active
    claims: dict = {"iss": issuer, "sub": subject, "jti": vc["id"],
                    "iat": int(valid_from.timestamp()), "nbf": int(valid_from.timestamp())}
    if valid_until is not None:
        claims["exp"] = int(valid_until.timestamp())
    if vc_claim:
        claims["vc"] = vc
    else:
        clash = sorted(set(vc) & set(_JWT_CLAIMS))
        if clash:
            raise ValueError(f"The credential has members named like JWT claims: {clash}.")
        claims = {**vc, **claims}
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM,
                      headers={"kid": key_url(issuer, key.kid), "typ": "JWT"})


_DAMAGED = ("This is not a Taitotaso credential, or it is incomplete: a credential is a long "
            "text of three parts separated by dots. Copy it again in full.")
_NOT_OURS = "This credential was not signed by Taitotaso"
_CHANGED = (f"{_NOT_OURS}, or it has been changed since: its signature does not match its "
            "content.")


def _published_key(jwks: Mapping, kid) -> jwt.PyJWK:
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list):
        raise ValueError("jwks must be a JWK Set: {\"keys\": [...]}.")
    for jwk in keys:
        if not isinstance(jwk, Mapping) or jwk.get("kid") != kid or not isinstance(kid, str):
            continue
        if (jwk.get("kty"), jwk.get("crv")) != ("OKP", "Ed25519"):
            continue
        if jwk.get("alg", ALGORITHM) != ALGORITHM or jwk.get("use", "sig") != "sig":
            continue
        try:
            return jwt.PyJWK(dict(jwk), algorithm=ALGORITHM)
        except jwt.PyJWTError:
            continue
    raise CredentialError(
        "This credential was signed with a key this service no longer publishes (or never "
        f"did; key id {str(kid)[:120]!r}). A key is withdrawn after a security incident: ask "
        "the job seeker for a newly issued credential.", "key")


def _number(claims: Mapping, name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise CredentialError(f"{_NOT_OURS}: its '{name}' date is missing or malformed.")
    return float(value)


def unverified_parts(token) -> tuple[dict, dict]:
    """The header and claims of a token without checking anything: only to show what a
    refused credential says it is. Raises ``CredentialError`` for text that is no JWT."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise CredentialError(_DAMAGED, "damaged")
    try:
        header = jwt.get_unverified_header(token.strip())
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, UnicodeError):
        raise CredentialError(_DAMAGED, "damaged") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise CredentialError(_DAMAGED, "damaged")
    return header, claims


def verify_credential(token: str, jwks: Mapping, *, now: datetime | None = None) -> dict:
    """The credential inside ``token`` once its signature, key and dates check out.

    Only EdDSA signatures by a key in ``jwks`` are accepted, and only a key whose ``kid`` is
    the URL of a key in the credential's own issuer's JWKS; ``nbf`` and ``exp`` are checked
    against ``now`` (default: the current time) and the signed claims against the credential
    (``iss``, ``sub``, ``jti``, ``nbf``, ``exp``). Raises ``CredentialError`` with the reason.
    The credential's status (revocation) is ``check_status``'s job.
    """
    header, _claims = unverified_parts(token)
    token = token.strip()
    alg = header.get("alg")
    if alg != ALGORITHM:
        claimed = "names no signature method" if alg is None else \
            f"claims the signature method {str(alg)[:20]!r}"
        raise CredentialError(f"{_NOT_OURS}: it {claimed}, and Taitotaso signs with "
                              f"{ALGORITHM} (Ed25519) only.", "algorithm")
    if "crit" in header:
        raise CredentialError(f"{_NOT_OURS}: its header demands extensions Taitotaso does not use.",
                              "algorithm")
    key = _published_key(jwks, header.get("kid"))
    try:
        # dates are checked below, against ``now``, with messages that name them
        claims = jwt.decode(token, key, algorithms=[ALGORITHM],
                            options={"verify_exp": False, "verify_nbf": False,
                                     "verify_iat": False, "verify_aud": False,
                                     "verify_iss": False})
    except jwt.InvalidSignatureError:
        raise CredentialError(_CHANGED, "signature") from None
    except jwt.PyJWTError:
        raise CredentialError(_DAMAGED, "damaged") from None
    moment = _utc(now) if now is not None else datetime.now(timezone.utc)
    ts = moment.timestamp()
    nbf = _number(claims, "nbf", required=True)
    exp = _number(claims, "exp", required=False)
    if exp is not None and ts >= exp:
        raise CredentialError(f"This credential expired on {_human_time(exp)}.", "expired")
    if ts + NBF_LEEWAY_SECONDS < nbf:
        raise CredentialError(f"This credential is not valid before {_human_time(nbf)}.", "not_yet")

    if "vc" in claims:
        vc = claims["vc"]
    else:  # the VC Data Model 2.0 form: the credential's members are the claims
        vc = {k: v for k, v in claims.items() if k not in _JWT_CLAIMS}
    if not isinstance(vc, dict) or "@context" not in vc:
        raise CredentialError(f"{_NOT_OURS}: the token carries no credential.")
    types = vc.get("type") or []
    types = [types] if isinstance(types, str) else types
    if "VerifiableCredential" not in types or not set(types) & {"OpenBadgeCredential",
                                                                 "AchievementCredential"}:
        raise CredentialError(f"{_NOT_OURS}: the token carries no Open Badges credential.")
    subject = vc.get("credentialSubject") if isinstance(vc.get("credentialSubject"), dict) else {}
    try:
        valid_from = _parse_time(vc["validFrom"]).timestamp()
        valid_until = _parse_time(vc["validUntil"]).timestamp() if vc.get("validUntil") else None
    except (KeyError, ValueError, TypeError):
        raise CredentialError(f"{_NOT_OURS}: its validity dates are malformed.") from None
    if (claims.get("iss") != _issuer_id(vc) or claims.get("jti") != vc.get("id")
            or claims.get("sub") != subject.get("id") or nbf != valid_from or exp != valid_until):
        raise CredentialError(f"{_NOT_OURS}: its signed claims do not match the credential "
                              "(issuer, id, subject or dates).")
    issuer = _issuer_id(vc)
    kid = header.get("kid")
    if not isinstance(issuer, str) or not kid.startswith(f"{issuer.rstrip('/')}{JWKS_PATH}#"):
        raise CredentialError(f"{_NOT_OURS}: it names an issuer ({str(issuer)[:80]}) whose "
                              "published keys did not sign it.", "issuer")
    return vc
