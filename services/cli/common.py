"""What the commands share: the error line and exit status, the configured database."""
from __future__ import annotations

import sys


def _err(msg: str) -> int:
    print(f"taitotaso: {msg}", file=sys.stderr)
    return 2


def _database(upgrade: bool = True):
    """The configured database, migrated to the newest schema (creating it on first use)."""
    from services.common.config import Config
    from services.common.db import Database

    cfg = Config.from_env()
    db = Database(cfg.database_url)
    if upgrade:
        db.upgrade()
    return cfg, db


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
