"""Configuration from the environment, with safe defaults for the embedded mode.

Embedded (the default): SQLite under ``./var/``, an in-process queue, no other server.
Production: ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (Redis).
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from None


def _int(name: str, default: int) -> int:
    return int(_float(name, default))


@dataclass(frozen=True)
class Config:
    database_url: str
    redis_url: str | None
    secret_key: str
    var_dir: Path
    # the stopping rule (scored units): None takes the production rule's value
    # (assessment/data/stopping.json); from_env fills them in, see stopping_rule()
    min_items: int | None = None
    max_items: int | None = None
    sem_target: float | None = None
    level_certainty: float | None = None
    randomesque_k: int = 2
    max_exposure_rate: float = 0.25
    # how old the exposure counts a worker chooses items by may be (s): read from Redis at
    # most this often, not in every answer's request (0: every time)
    exposure_refresh_seconds: float = 1.0
    pretest_items: int = 2  # reviewed items per test, given unscored for their calibration
    bank_check_seconds: float = 30.0
    asr_engine: str = "faster-whisper"   # or "speechbrain": see scoring.speech.engines
    asr_threads: int = 0                 # 0: the engine's default (all cores)
    session_starts_per_minute: int = 120   # per client address
    trusted_proxies: int = 0               # proxies in front that set X-Forwarded-For/-Proto
    # the address the suite is published at: the issuer of credentials, and where their keys
    # and status are looked up (never taken from a request's Host header)
    public_url: str = "http://127.0.0.1:8000"
    # the scoring API's callers: {name: secret}, sent as 'Authorization: Bearer <secret>'
    scoring_clients: dict = field(default_factory=dict)
    scoring_uploads_per_minute: int = 20   # per caller (credential, or session, and address)
    # a service deployed apart reaches the scoring service here, with its own credential
    # (one of the scoring service's TAITOTASO_SCORING_CLIENTS); None: in this process
    scoring_url: str | None = None
    scoring_secret: str | None = None
    scoring_timeout: float = 8.0           # seconds one scoring call may take before it waits
    # the testing service, for the services deployed apart that read what it owns (a job
    # seeker's session token, exposure counts, recent results), with this service's own
    # credential, one of the testing service's TAITOTASO_TESTING_CLIENTS
    testing_url: str | None = None
    testing_secret: str | None = None
    testing_clients: dict = field(default_factory=dict)
    # the results service, for the testing service deployed apart (a coach's sitting code)
    results_url: str | None = None
    results_secret: str | None = None
    results_clients: dict = field(default_factory=dict)
    recording_retention_days: int = 30     # recordings and transcripts older than this are deleted
    session_hours: float = 10.0            # a browser session (staff or job seeker) at most
    secure_cookies: bool | None = None     # None: Secure when public_url is https
    metrics_token: str | None = None       # /metrics for a scrape with this bearer token
    # mail (password reset links) through SMTP; no host: nothing is sent
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "Taitotaso <no-reply@localhost>"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    reset_link_minutes: int = 30           # a password reset link is valid this long, once
    testing: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> "Config":
        var_dir = Path(os.environ.get("TAITOTASO_VAR_DIR", "var")).resolve()
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'taitotaso.db'}"
        # Heroku-style URLs name the old driver; SQLAlchemy wants postgresql+psycopg.
        if database_url.startswith("postgres://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
        from assessment.stopping import StoppingRule

        rule = StoppingRule.load()  # the production rule; the variables above override it
        cfg = cls(
            database_url=database_url,
            redis_url=os.environ.get("REDIS_URL") or None,
            secret_key=os.environ.get("TAITOTASO_SECRET_KEY") or "",
            var_dir=var_dir,
            min_items=_int("TAITOTASO_MIN_ITEMS", rule.min_items),
            max_items=_int("TAITOTASO_MAX_ITEMS", rule.max_items),
            sem_target=_float("TAITOTASO_SEM_TARGET", rule.sem_target),
            level_certainty=_float("TAITOTASO_LEVEL_CERTAINTY", rule.level_certainty),
            randomesque_k=_int("TAITOTASO_RANDOMESQUE_K", 2),
            max_exposure_rate=_float("TAITOTASO_MAX_EXPOSURE", 0.25),
            exposure_refresh_seconds=_float("TAITOTASO_EXPOSURE_REFRESH_S", 1.0),
            pretest_items=_int("TAITOTASO_PRETEST_ITEMS", 2),
            asr_engine=os.environ.get("TAITOTASO_ASR_ENGINE") or "faster-whisper",
            asr_threads=_int("TAITOTASO_ASR_THREADS", 0),
            session_starts_per_minute=_int("TAITOTASO_SESSION_STARTS_PER_MINUTE", 120),
            trusted_proxies=_int("TAITOTASO_TRUSTED_PROXIES", 0),
            public_url=_public_url(os.environ.get("TAITOTASO_PUBLIC_URL")),
            scoring_clients=_clients("TAITOTASO_SCORING_CLIENTS"),
            scoring_uploads_per_minute=_int("TAITOTASO_SCORING_UPLOADS_PER_MINUTE", 20),
            scoring_url=os.environ.get("TAITOTASO_SCORING_URL") or None,
            scoring_secret=os.environ.get("TAITOTASO_SCORING_SECRET") or None,
            scoring_timeout=_float("TAITOTASO_SCORING_TIMEOUT", 8.0),
            testing_url=os.environ.get("TAITOTASO_TESTING_URL") or None,
            testing_secret=os.environ.get("TAITOTASO_TESTING_SECRET") or None,
            testing_clients=_clients("TAITOTASO_TESTING_CLIENTS"),
            results_url=os.environ.get("TAITOTASO_RESULTS_URL") or None,
            results_secret=os.environ.get("TAITOTASO_RESULTS_SECRET") or None,
            results_clients=_clients("TAITOTASO_RESULTS_CLIENTS"),
            recording_retention_days=_int("TAITOTASO_RECORDING_RETENTION_DAYS", 30),
            session_hours=_float("TAITOTASO_SESSION_HOURS", 10.0),
            secure_cookies=_bool("TAITOTASO_SECURE_COOKIES"),
            metrics_token=os.environ.get("TAITOTASO_METRICS_TOKEN") or None,
            smtp_host=os.environ.get("TAITOTASO_SMTP_HOST") or None,
            smtp_port=_int("TAITOTASO_SMTP_PORT", 25),
            smtp_from=os.environ.get("TAITOTASO_SMTP_FROM") or "Taitotaso <no-reply@localhost>",
            smtp_user=os.environ.get("TAITOTASO_SMTP_USER") or None,
            smtp_password=os.environ.get("TAITOTASO_SMTP_PASSWORD") or None,
            smtp_starttls=bool(_bool("TAITOTASO_SMTP_STARTTLS")),
            reset_link_minutes=_int("TAITOTASO_RESET_LINK_MINUTES", 30),
        )
        cfg = replace(cfg, **overrides)
        try:
            cfg.stopping_rule()
        except ValueError as err:
            raise SystemExit("TAITOTASO_MIN_ITEMS, TAITOTASO_MAX_ITEMS, TAITOTASO_SEM_TARGET and "
                             f"TAITOTASO_LEVEL_CERTAINTY do not make a stopping rule: {err}") from None
        from scoring.speech.engines import ENGINES

        if cfg.asr_engine not in ENGINES:
            raise SystemExit(f"TAITOTASO_ASR_ENGINE must be one of {', '.join(ENGINES)}, "
                             f"got {cfg.asr_engine!r}")
        if cfg.recording_retention_days < 1:
            raise SystemExit("TAITOTASO_RECORDING_RETENTION_DAYS must be at least 1, got "
                             f"{cfg.recording_retention_days}")
        for name, url, example in (("TAITOTASO_SCORING_URL", cfg.scoring_url, "http://scoring:8000"),
                                   ("TAITOTASO_TESTING_URL", cfg.testing_url, "http://testing:8000"),
                                   ("TAITOTASO_RESULTS_URL", cfg.results_url, "http://results:8000")):
            if url and not url.startswith(("http://", "https://")):
                raise SystemExit(f"{name} must be the service's address, e.g. {example}, "
                                 f"got {url!r}")
        if cfg.scoring_timeout <= 0:
            raise SystemExit("TAITOTASO_SCORING_TIMEOUT must be a number of seconds above 0, got "
                             f"{cfg.scoring_timeout}")
        if cfg.secure_cookies is None:
            cfg = replace(cfg, secure_cookies=cfg.public_url.startswith("https://"))
        if not cfg.secret_key:
            cfg = replace(cfg, secret_key=_embedded_secret(cfg.var_dir))
        return cfg

    def stopping_rule(self):
        """The production stopping rule (``assessment/data/stopping.json``) with the lengths,
        SEM target and level certainty this configuration sets."""
        from assessment.stopping import StoppingRule

        rule = StoppingRule.load()
        changes = {name: value for name, value in (
            ("min_items", self.min_items), ("max_items", self.max_items),
            ("sem_target", self.sem_target), ("level_certainty", self.level_certainty))
            if value is not None}
        return replace(rule, **changes)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _bool(name: str) -> bool | None:
    raw = (os.environ.get(name) or "").strip().lower()
    if raw == "":
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SystemExit(f"{name} must be true or false, got {raw!r}")


def _clients(variable: str) -> dict:
    """``name:secret,name:secret`` (e.g. ``coach-tool:3vQ…``) from ``variable``: the services
    allowed to call a service's API. A secret must be at least 24 characters."""
    clients = {}
    raw = os.environ.get(variable) or ""
    for part in filter(None, (p.strip() for p in raw.split(","))):
        name, sep, secret = part.partition(":")
        if not sep or not name.strip() or len(secret.strip()) < 24:
            raise SystemExit(f"{variable} must be name:secret pairs separated by "
                             "commas, each secret at least 24 characters")
        clients[name.strip()] = secret.strip()
    return clients


def _public_url(raw: str | None) -> str:
    """``TAITOTASO_PUBLIC_URL`` (e.g. https://taitotaso.example.fi), checked; the embedded
    default is where ``taitotaso serve`` listens."""
    if not raw:
        return "http://127.0.0.1:8000"
    from urllib.parse import urlsplit

    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SystemExit("TAITOTASO_PUBLIC_URL must be the suite's address, such as "
                         f"https://taitotaso.example.fi (no query or fragment), got {raw!r}")
    return raw.strip().rstrip("/")


def _embedded_secret(var_dir: Path) -> str:
    """A key made once per installation and kept under ``var/`` so that browser sessions
    survive a restart; production sets ``TAITOTASO_SECRET_KEY``."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
