"""The one database helper every service uses: engine, sessions, migrations."""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import msgspec
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parents[2] / "deploy" / "migrations"


def loads(data):
    """JSON columns (and the kept engine state) decoded by msgspec, several times faster
    than the standard library on the session path's small documents (each request decodes
    a few per answered item); what msgspec refuses but Python's json reads (NaN, numbers
    beyond a double) still decodes as before."""
    try:
        return msgspec.json.decode(data)
    except msgspec.MsgspecError:
        return json.loads(data)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, json_deserializer=loads)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # deleted rows are overwritten with zeros, not left in free pages (erasure: a
            # deleted account leaves no email in the file; services/results/erasure.py)
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return engine
    return create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True,
                         json_deserializer=loads)


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        # reads run in autocommit on PostgreSQL: no BEGIN, no COMMIT or ROLLBACK round trip
        # (SQLite's driver begins a transaction only for writes, so it needs nothing)
        reader = self.engine if url.startswith("sqlite") else \
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._read_factory = sessionmaker(reader, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on any error."""
        s = self._factory()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A unit of work that only reads: never committed. Each statement sees what is
        committed when it runs (autocommit on PostgreSQL), so a read that needs one
        consistent view of several rows loads them in one statement. Nothing added to it
        is written."""
        s = self._read_factory()
        try:
            yield s
        finally:
            s.close()

    def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command

        command.upgrade(alembic_config(self.url), "head")

    def dispose(self) -> None:
        self.engine.dispose()

    def forget_deleted(self, tables) -> None:
        """Make the database files forget deleted rows of ``tables`` (after an erasure):
        SQLite overwrites them (``PRAGMA secure_delete``, set on every connection) and its
        WAL is checkpointed and truncated; PostgreSQL rewrites the tables and their indexes
        (``VACUUM FULL``), so that no dead tuple keeps what was deleted."""
        from sqlalchemy import text

        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in tables:
                    conn.execute(text(f"VACUUM (FULL) {table}"))


def alembic_config(url: str):
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg
