"""Verifiable results: Open Badges 3.0 credentials signed as VC-JWTs with Ed25519.

A finished test's result becomes an Open Badges 3.0 ``OpenBadgeCredential`` (a W3C
Verifiable Credential) that the job seeker keeps and shows to employers. It is signed as a
compact JWS (a JWT) with EdDSA over Ed25519; the public keys are published as a JWKS, so an
employer can check a credential offline with any JOSE library.

**The token.** PyJWT signs and verifies it (no JOSE code of our own). Header ``{"alg":
"EdDSA", "kid": <the key's URL: <issuer>/.well-known/jwks.json#<RFC 7638 thumbprint>>,
"typ": "JWT"}``; a credential verifies only with a key its own issuer publishes. Claims ``iss``
(``issuer.id``), ``sub`` (``credentialSubject.id``), ``jti`` (the credential's ``id``),
``iat`` and ``nbf`` (``validFrom``), ``exp`` (``validUntil``, when the credential has one) and
``vc`` (the credential). ``sign_credential(..., vc_claim=False)`` puts the credential's
members at the top of the claims instead (the VC Data Model 2.0 form); ``verify_credential``
reads both.

**The credential.** ``credentialSubject.achievement`` is the one Taitotaso achievement
("Finnish language proficiency, CEFR"): its ``resultDescription`` has one entry for the
overall level and one per skill, each with the six CEFR levels A1..C2 as
``RubricCriterionLevel`` entries. ``credentialSubject.result`` has one ``Result`` for the
overall level and one per skill measured, whose ``resultDescription`` and ``achievedLevel``
are the ids of those entries. Taitotaso's extension fields, which the OB vocabulary has no
term for, are defined by Taitotaso's own JSON-LD context (``extension_context()``, served at
``CONTEXT_PATH`` and named third in ``@context``):

- on each ``Result``: ``sem`` (standard error of measurement of the ability estimate, in
  logits of the test's IRT scale), ``certainty`` (posterior probability that the level is
  right), ``atLeast`` (true when the level is the highest the item bank measures and the
  test taker may be above it: "C1 or higher"), ``levelRange`` (``lowest``, ``highest``,
  ``text`` such as "B1–B2", ``probability``: the adjacent levels the test could not tell
  apart, by ``assessment.reporting.level_range``) and ``assurance``;
- on the credential's ``evidence`` entry: ``assurance`` ("unsupervised": taken online, the
  test taker's identity not checked; "supervised": taken under invigilation with identity
  checked), ``itemBankVersion``, ``cutScoresVersion`` and ``itemsAnswered``.

Nothing personal is in it: ``credentialSubject.id`` is a pseudonymous URI chosen by the
caller, and a display name appears only if the job seeker chose one (as an OB
``IdentityObject`` of ``identityType`` "name").

**Status.** ``credentialStatus`` is ``{"id": <status URL>, "type": "1EdTechRevocationList"}``;
the status URL serves ``revocation_list(...)``: ``{"id", "issuer", "revokedCredentials":
[{"id", "revoked": true, "revocationReason"}]}``. ``check_status`` reads it.

**Keys.** ``KeyRing`` keeps Ed25519 private keys as PKCS#8 PEM files (mode 0600) in one
directory: ``$TAITOTASO_SIGNING_KEYS`` (production mounts a secret there) or
``$TAITOTASO_VAR_DIR/keys`` (``var/keys``). A key is known by its RFC 7638 JWK thumbprint;
the published ``kid`` is its URL under the configured issuer (``TAITOTASO_PUBLIC_URL``).
Every PEM file in the directory is published; the newest is the active (signing) key. The
newest is the one whose file name starts with the latest UTC time (``20250115T100000Z-…``, as
``rotate()`` names them); files without such a time count as older than all that have one.

- ``rotate()`` makes a new active key. Older keys stay published, so what they signed still
  verifies. Retire an old key once every credential it signed has expired, or never.
- ``retire(kid)`` stops publishing a key: every credential it signed stops verifying ("signed
  with a key this service no longer publishes"). This is the emergency path after a key has
  leaked: retire it, then re-issue the credentials the job seekers still need. The private
  key file is deleted; its public half is kept under ``retired/`` for the record.

A ring notices keys added or removed by another process (another worker, a CLI, a secret
update) on its next use.

**Modules.** ``vocabulary`` (contexts, types, paths, texts, ``extension_context``),
``errors``, ``keys`` (``KeyRing`` and JWKs), ``badge`` (``achievement_credential``: the
Open Badges shape), ``signing`` (``sign_credential``, ``verify_credential``), ``status``
(``revocation_list``, ``check_status``) and ``dates``.
"""
from __future__ import annotations

from .badge import achievement, achievement_credential, achievement_id
from .errors import CredentialError, KeyRingError
from .keys import KeyRing, SigningKey, default_key_dir, jwk_thumbprint, key_url, public_jwk
from .signing import sign_credential, unverified_parts, verify_credential
from .status import Revocation, check_status, revocation_list
from .vocabulary import (ACHIEVEMENT_VERSION, ALGORITHM, ASSURANCE_NARRATIVES, ASSURANCE_TITLES,
                         ASSURANCES, CONTEXT_PATH, CONTEXTS, CREDENTIAL_TYPES, JWKS_PATH,
                         LEVEL_DESCRIPTIONS, NBF_LEEWAY_SECONDS, SKILL_NAMES, STATUS_TYPE, VOCAB,
                         extension_context)

__all__ = ["CONTEXTS", "CREDENTIAL_TYPES", "STATUS_TYPE", "ALGORITHM", "JWKS_PATH", "CONTEXT_PATH",
           "ASSURANCES", "NBF_LEEWAY_SECONDS", "SKILL_NAMES", "LEVEL_DESCRIPTIONS",
           "ASSURANCE_NARRATIVES", "ASSURANCE_TITLES", "ACHIEVEMENT_VERSION", "VOCAB",
           "extension_context", "CredentialError", "KeyRingError", "jwk_thumbprint", "key_url",
           "public_jwk", "SigningKey", "default_key_dir", "KeyRing", "achievement_id",
           "achievement", "achievement_credential", "sign_credential", "unverified_parts",
           "verify_credential", "Revocation", "revocation_list", "check_status"]
