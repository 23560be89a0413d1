"""The Ed25519 signing keys: RFC 7638 thumbprints, published JWKs, and :class:`KeyRing`, the
PEM files in one directory with rotation and retirement (see the package docstring, "Keys")."""
from __future__ import annotations

import base64
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
from typing import Iterator, Mapping

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from .errors import KeyRingError
from .vocabulary import ALGORITHM, JWKS_PATH

log = logging.getLogger(__name__)


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


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
