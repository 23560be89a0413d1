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
"""
from __future__ import annotations

import base64
import copy
import fcntl
import hashlib
import json
import logging
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from assessment.cefr import LEVELS
from assessment.reporting import level_range, range_text
from item_bank.model import SKILLS

log = logging.getLogger(__name__)

CONTEXTS = ("https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")
CREDENTIAL_TYPES = ("VerifiableCredential", "OpenBadgeCredential")
STATUS_TYPE = "1EdTechRevocationList"
ALGORITHM = "EdDSA"
JWKS_PATH = "/.well-known/jwks.json"
CONTEXT_PATH = "/api/v1/results/contexts/taitotaso-v1.jsonld"
ASSURANCES = ("unsupervised", "supervised")
NBF_LEEWAY_SECONDS = 60  # another machine's clock may run a little behind ours
_JWT_CLAIMS = ("iss", "sub", "jti", "iat", "nbf", "exp")

SKILL_NAMES = {
    "reading": "Reading comprehension",
    "listening": "Listening comprehension",
    "vocabulary": "Vocabulary",
    "structure": "Grammar and structure",
    "writing": "Writing",
    "speaking": "Speaking",
}
LEVEL_DESCRIPTIONS = {
    "A1": "Basic user: understands and uses familiar everyday expressions and very basic phrases.",
    "A2": "Basic user: handles simple, routine tasks and exchanges on familiar matters.",
    "B1": ("Independent user: copes with most situations at work and in daily life on familiar "
           "topics."),
    "B2": ("Independent user: understands complex texts and interacts fluently with native "
           "speakers."),
    "C1": "Proficient user: uses the language flexibly and effectively at work and in studies.",
    "C2": "Proficient user: understands virtually everything and expresses themselves precisely.",
}
ASSURANCE_NARRATIVES = {
    "unsupervised": "Taken online without supervision; the test taker's identity was not checked.",
    "supervised": ("Taken under supervision; the test taker's identity was checked by the "
                   "invigilator."),
}
ASSURANCE_TITLES = {"unsupervised": "self-assessment, unsupervised",
                    "supervised": "test, supervised"}
ACHIEVEMENT_VERSION = "1"
VOCAB = "https://taitotaso.fi/ns/credentials/v1#"


def extension_context() -> dict:
    """The JSON-LD context of Taitotaso's extension fields (served at ``CONTEXT_PATH`` and
    named in every credential's ``@context``): each term an IRI in Taitotaso's vocabulary."""
    terms = {
        "sem": "xsd:decimal", "certainty": "xsd:decimal", "atLeast": "xsd:boolean",
        "levelRange": "@json", "assurance": "xsd:string", "itemBankVersion": "xsd:string",
        "cutScoresVersion": "xsd:string", "itemsAnswered": "xsd:integer",
    }
    return {"@context": {
        "@protected": True,
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        **{term: {"@id": VOCAB + term, "@type": kind} for term, kind in terms.items()},
    }}


class CredentialError(Exception):
    """A credential that cannot be accepted, with a reason a person understands; ``kind``
    says which check failed (damaged, algorithm, key, signature, expired, not_yet, claims,
    issuer, status, withdrawn), for pages that explain it in the reader's language."""

    def __init__(self, message: str, kind: str = "claims"):
        super().__init__(message)
        self.kind = kind


class KeyRingError(Exception):
    """The signing keys cannot be read or written."""


# -- helpers --------------------------------------------------------------------------------
def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _utc(moment: datetime) -> datetime:
    """Aware UTC, whole seconds (a naive time is taken as UTC, as the database gives it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value) -> datetime:
    if isinstance(value, datetime):
        return _utc(value)
    return _utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def _human_time(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    return moment.strftime("%d %B %Y, %H:%M UTC").lstrip("0")


# -- keys ----------------------------------------------------------------------------------
def jwk_thumbprint(jwk: Mapping) -> str:
    """RFC 7638 SHA-256 thumbprint of an OKP public key."""
    members = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}
    return _b64u(hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True)
                                .encode()).digest())


def key_url(issuer_url: str, thumbprint: str) -> str:
    """The ``kid`` of a key as published by ``issuer_url``: the URL of the key in the JWKS."""
    return f"{issuer_url.rstrip('/')}{JWKS_PATH}#{thumbprint}"


def public_jwk(public_key: Ed25519PublicKey, issuer_url: str | None = None) -> dict:
    """The public key as a JWK with its ``kid``, ``use`` and ``alg`` (never ``d``). The
    ``kid`` is the key's URL under ``issuer_url`` (its RFC 7638 thumbprint when none)."""
    jwk = OKPAlgorithm.to_jwk(public_key, as_dict=True)
    jwk = {"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"]}
    thumbprint = jwk_thumbprint(jwk)
    kid = key_url(issuer_url, thumbprint) if issuer_url else thumbprint
    return {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey = field(repr=False)
    path: Path

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def public_jwk(self, issuer_url: str | None = None) -> dict:
        return public_jwk(self.public_key, issuer_url)


def default_key_dir() -> Path:
    """``$TAITOTASO_SIGNING_KEYS``, else ``keys`` under ``$TAITOTASO_VAR_DIR`` (``var``)."""
    configured = os.environ.get("TAITOTASO_SIGNING_KEYS")
    if configured:
        return Path(configured).resolve()
    return Path(os.environ.get("TAITOTASO_VAR_DIR", "var")).resolve() / "keys"


_STAMPED = re.compile(r"^(\d{8}T\d{6})(\d{0,6})Z")


def _age_order(path: Path) -> tuple:
    """Sort key, oldest first: files named after their UTC creation time by that time, the
    others (older than all of those) by name."""
    m = _STAMPED.match(path.name)
    if m:
        moment = datetime.strptime(m.group(1), "%Y%m%dT%H%M%S").replace(
            microsecond=int(m.group(2).ljust(6, "0")))
        return (1, moment, path.name)
    return (0, datetime.min, path.name)


class KeyRing:
    """The Ed25519 signing keys: one PEM file each in a directory (see the module docs)."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self._keys: list[SigningKey] = []  # oldest first
        self._stamp: tuple | None = None

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load_or_create(cls, directory: str | os.PathLike | None = None) -> "KeyRing":
        """The keys in ``directory`` (default: ``default_key_dir()``); when it holds none, a
        first key is made (by one process only, when several start at once)."""
        ring = cls(directory if directory is not None else default_key_dir())
        if ring.directory.is_dir():
            ring.reload()
        if not ring._keys:
            with ring._writing():
                ring.reload()
                if not ring._keys:
                    ring._make_key()
                    ring.reload()
        return ring

    def _pem_files(self) -> list[Path]:
        try:
            files = [p for p in self.directory.iterdir()
                     if p.suffix == ".pem" and not p.name.startswith(".") and p.is_file()]
        except OSError as err:
            raise KeyRingError(f"The signing keys cannot be read from {self.directory}: "
                               f"{err}") from err
        return sorted(files, key=_age_order)

    def _current_stamp(self) -> tuple:
        out = []
        for p in self._pem_files():
            try:
                st = p.stat()  # follows a mounted secret's symbolic links
            except FileNotFoundError:  # retired by another process meanwhile
                continue
            out.append((p.name, st.st_ino, st.st_mtime_ns, st.st_size))
        return tuple(out)

    def reload(self) -> None:
        """Read the directory again (done by itself when the files change)."""
        stamp = self._current_stamp()
        keys: list[SigningKey] = []
        seen: set[str] = set()
        for path in (self.directory / name for name, *_ in stamp):
            key = self._read_key(path)
            if key is None:  # gone since: the next use reads the directory again
                continue
            if key.kid not in seen:
                seen.add(key.kid)
                keys.append(key)
        self._keys, self._stamp = keys, stamp

    def _refresh(self) -> None:
        if self._current_stamp() != self._stamp:
            self.reload()

    @staticmethod
    def _read_key(path: Path) -> SigningKey | None:
        try:
            data = path.read_bytes()
            private = serialization.load_pem_private_key(data, password=None)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise KeyRingError(f"The signing key {path} cannot be read: {err}") from err
        except (ValueError, TypeError, UnsupportedAlgorithm) as err:
            raise KeyRingError(f"{path} is not an unencrypted PEM private key: {err}") from err
        if not isinstance(private, Ed25519PrivateKey):
            raise KeyRingError(f"{path} is not an Ed25519 key; Taitotaso signs with Ed25519 only "
                               "(make one with: openssl genpkey -algorithm ed25519).")
        if path.stat().st_mode & 0o077:
            log.warning("The signing key %s can be read by other users: chmod 600 it.", path)
        jwk = public_jwk(private.public_key())
        return SigningKey(kid=jwk["kid"], private_key=private, path=path)

    # -- what others see -------------------------------------------------------------------
    @property
    def active(self) -> SigningKey:
        """The newest published key: the one that signs."""
        self._refresh()
        if not self._keys:
            raise KeyRingError(f"There is no signing key in {self.directory}.")
        return self._keys[-1]

    @property
    def kids(self) -> list[str]:
        """The published key ids, newest first."""
        self._refresh()
        return [k.kid for k in reversed(self._keys)]

    def jwks(self, issuer_url: str | None = None) -> dict:
        """The public keys as a JWK Set, newest first: what ``/.well-known/jwks.json`` serves
        (each ``kid`` the key's URL under ``issuer_url``)."""
        self._refresh()
        return {"keys": [k.public_jwk(issuer_url) for k in reversed(self._keys)]}

    def public_key(self, kid: str) -> Ed25519PublicKey:
        self._refresh()
        for key in self._keys:
            if key.kid == kid:
                return key.public_key
        raise KeyError(f"No published signing key has the id {kid!r}.")

    # -- changes ---------------------------------------------------------------------------
    def rotate(self) -> SigningKey:
        """Make a new active key; the older ones stay published."""
        with self._writing():
            self.reload()
            path = self._make_key()
            self.reload()
        return next(k for k in self._keys if k.path == path)

    def retire(self, kid: str) -> None:
        """Stop publishing a key: what it signed no longer verifies. A new key is made when
        it was the last one."""
        with self._writing():
            self.reload()
            key = next((k for k in self._keys if k.kid == kid), None)
            if key is None:
                raise KeyError(f"No published signing key has the id {kid!r}.")
            retired = self.directory / "retired"
            retired.mkdir(mode=0o700, exist_ok=True)
            public_pem = key.public_key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            (retired / f"{key.path.stem}.public.pem").write_bytes(public_pem)
            for path in self.directory.iterdir():  # every file holding this key
                if path.suffix == ".pem" and path.is_file() and not path.name.startswith("."):
                    held = self._read_key(path)
                    if held is not None and held.kid == kid:
                        path.unlink()
            self.reload()
            if not self._keys:
                self._make_key()
                self.reload()
        log.warning("Signing key %s retired: credentials it signed no longer verify.", kid)

    def _make_key(self) -> Path:
        private = Ed25519PrivateKey.generate()
        kid = public_jwk(private.public_key())["kid"]
        now = datetime.now(timezone.utc)
        path = self.directory / f"{now:%Y%m%dT%H%M%S%f}Z-{kid}.pem"
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        tmp = self.directory / f".new-{kid}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        log.info("New signing key %s in %s.", kid, self.directory)
        return path

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """An exclusive lock on the directory, so that processes change it one at a time."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            raise KeyRingError(
                f"The signing keys in {self.directory} cannot be changed ({err.strerror}). When it "
                "is a mounted secret, add or remove the key files in the secret instead.") from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


# -- the credential ------------------------------------------------------------------------
def achievement_id(issuer_url: str) -> str:
    return f"{issuer_url.rstrip('/')}/achievements/finnish-language-cefr"


def _result_description(aid: str, key: str, name: str, *, described: bool) -> dict:
    """The six CEFR levels of one result; only the overall one spells out what each level
    means (the same words for every skill), which keeps the credential small."""
    levels = []
    for level in LEVELS:
        entry = {"id": f"{aid}#{key}-{level}", "type": ["RubricCriterionLevel"], "name": level}
        if described:
            entry["description"] = LEVEL_DESCRIPTIONS[level]
        levels.append(entry)
    return {"id": f"{aid}#{key}", "type": ["ResultDescription"], "name": name,
            "resultType": "RubricCriterionLevel", "rubricCriterionLevel": levels}


def achievement(issuer_url: str) -> dict:
    """The one Taitotaso achievement: the same in every credential."""
    aid = achievement_id(issuer_url)
    descriptions = [_result_description(aid, "overall", "Overall level (CEFR)", described=True)]
    descriptions += [_result_description(aid, skill, f"{SKILL_NAMES[skill]} (CEFR level)",
                                         described=False) for skill in SKILLS]
    return {
        "id": aid,
        "type": ["Achievement"],
        "achievementType": "Assessment",
        "name": "Finnish language proficiency (CEFR)",
        "description": ("The level of Finnish on the six-level scale of the Common European "
                        "Framework of Reference for Languages (A1-C2), overall and per skill, "
                        "measured by the Taitotaso adaptive test."),
        "criteria": {"narrative": (
            "The test taker completed the Taitotaso adaptive Finnish test. Each question is chosen "
            "to fit the answers so far, and the test ends when the level is known precisely "
            "enough or the question limit is reached. Each level is the CEFR level whose band contains "
            "the estimated ability; 'sem' is the standard error of that estimate and 'certainty' "
            "the probability that the level is right. The cut scores between levels are "
            "provisional until a standard-setting study.")},
        "alignment": [{
            "type": ["Alignment"],
            "targetName": "Common European Framework of Reference for Languages (CEFR)",
            "targetUrl": "https://www.coe.int/en/web/common-european-framework-reference-languages",
            "targetFramework": "CEFR",
        }],
        "fieldOfStudy": "Finnish language",
        "tag": ["Finnish", "suomi", "CEFR", "language proficiency"],
        "version": ACHIEVEMENT_VERSION,
        "resultDescription": descriptions,
    }


def _result_entry(aid: str, key: str, estimate: Mapping, assurance: str) -> dict:
    level = estimate.get("cefr") if isinstance(estimate, Mapping) else None
    if level not in LEVELS:
        raise ValueError(f"The {key} result has no CEFR level: got {level!r}.")
    sem = estimate.get("sem")
    if not isinstance(sem, (int, float)) or isinstance(sem, bool):
        raise ValueError(f"The {key} result has no standard error (sem): got {sem!r}.")
    entry = {
        "type": ["Result"],
        "resultDescription": f"{aid}#{key}",
        "achievedLevel": f"{aid}#{key}-{level}",
        "value": level,
        "sem": round(float(sem), 3),
    }
    if isinstance(estimate.get("certainty"), (int, float)):
        entry["certainty"] = round(float(estimate["certainty"]), 3)
    entry["atLeast"] = bool(estimate.get("at_least", False))
    rng = level_range(estimate)
    entry["levelRange"] = {"lowest": rng["low"], "highest": rng["high"],
                           "text": range_text(rng)}
    if rng["probability"] is not None:
        entry["levelRange"]["probability"] = rng["probability"]
    entry["assurance"] = assurance
    return entry


def _display_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = " ".join(name.split())
    if not name:
        return None
    if len(name) > 100 or any(not ch.isprintable() for ch in name):
        raise ValueError("The display name must be at most 100 printable characters.")
    return name


def _require_uri(value: str, what: str) -> str:
    if not isinstance(value, str) or ":" not in value or any(ch.isspace() for ch in value):
        raise ValueError(f"{what} must be a URI (such as urn:uuid:… or https://…): got {value!r}.")
    return value


def _pseudonymous(value: str, what: str) -> str:
    _require_uri(value, what)
    if "@" in value or value.lower().startswith(("mailto:", "tel:")):
        raise ValueError(f"{what} must be a pseudonymous URI (such as urn:uuid:…), not an "
                         "address that names the person.")
    return value


def achievement_credential(result: Mapping, *, credential_id: str, issuer_url: str,
                           issuer_name: str, subject_name: str | None, issued: datetime,
                           expires: datetime | None, status_url: str,
                           subject_id: str | None = None) -> dict:
    """The OB 3.0 credential of a finished test's result, unsigned.

    ``result`` is what the testing service keeps for a finished test: ``overall`` and
    ``skills`` (each with ``cefr``, ``sem`` and optionally ``certainty`` and ``at_least``),
    ``finished_at``, ``bank_version``, ``cut_scores_version``, ``n_items`` and ``assurance``
    ("unsupervised" unless given). Nothing else from it goes into the credential.
    ``subject_id`` (a pseudonymous URI) may be left to ``sign_credential``.
    """
    _require_uri(credential_id, "credential_id")
    _require_uri(issuer_url, "issuer_url")
    _require_uri(status_url, "status_url")
    issuer_url = issuer_url.rstrip("/")
    assurance = result.get("assurance") or "unsupervised"
    if assurance not in ASSURANCES:
        raise ValueError(f"assurance must be one of {', '.join(ASSURANCES)}: got {assurance!r}.")
    if "overall" not in result:
        raise ValueError("Only a finished test's result can be issued: it has no overall level.")
    aid = achievement_id(issuer_url)
    skills = result.get("skills") or {}
    unknown = sorted(set(skills) - set(SKILLS))
    if unknown:
        raise ValueError(f"Unknown skills in the result: {', '.join(unknown)}.")
    results = [_result_entry(aid, "overall", result["overall"], assurance)]
    results += [_result_entry(aid, skill, skills[skill], assurance)
                for skill in SKILLS if skill in skills]
    overall = result["overall"]["cefr"]
    issued = _utc(issued)
    if expires is not None and _utc(expires) <= issued:
        raise ValueError("A credential must expire after it is issued.")

    subject: dict = {}
    if subject_id is not None:
        subject["id"] = _pseudonymous(subject_id, "subject_id")
    subject["type"] = ["AchievementSubject"]
    name = _display_name(subject_name)
    if name:
        subject["identifier"] = [{"type": "IdentityObject", "identityType": "name",
                                  "hashed": False, "identityHash": name}]
    if result.get("finished_at"):
        subject["activityEndDate"] = _iso(_parse_time(result["finished_at"]))
    subject["achievement"] = achievement(issuer_url)
    subject["result"] = results

    evidence = {
        "type": ["Evidence"],
        "name": "How the test was taken",
        "narrative": ASSURANCE_NARRATIVES[assurance],
        "genre": "Assessment conditions",
        "assurance": assurance,
    }
    for source, target in (("bank_version", "itemBankVersion"),
                           ("cut_scores_version", "cutScoresVersion"),
                           ("n_items", "itemsAnswered")):
        if result.get(source) is not None:
            evidence[target] = result[source]

    shown = range_text(level_range(result["overall"]))
    kind = ASSURANCE_TITLES[assurance]
    credential = {
        "@context": [*CONTEXTS, issuer_url + CONTEXT_PATH],
        "id": credential_id,
        "type": list(CREDENTIAL_TYPES),
        "name": f"Finnish language {kind}: level {shown} (CEFR)",
        "description": (f"Taitotaso adaptive Finnish test, {kind}: overall level {shown} on the "
                        "CEFR scale, with the level of each skill tested. Where the test could "
                        "not tell two or more adjacent levels apart, the level is a range (such "
                        "as B1–B2) that holds the level with a probability of at least 80 %."),
        "issuer": {"id": issuer_url, "type": ["Profile"], "name": issuer_name, "url": issuer_url},
        "validFrom": _iso(issued),
    }
    if expires is not None:
        credential["validUntil"] = _iso(expires)
    credential["credentialSubject"] = subject
    credential["evidence"] = [evidence]
    credential["credentialStatus"] = {"id": status_url, "type": STATUS_TYPE}
    return credential


# -- signing and verifying -----------------------------------------------------------------
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


# -- status --------------------------------------------------------------------------------
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
