"""Shared fixtures: configurations for SQLite and for the real PostgreSQL and Redis."""
from __future__ import annotations

import os
import uuid

import pytest

PG_URL = os.environ.get("TAITOTASO_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TAITOTASO_TEST_REDIS", "redis://127.0.0.1:6379/13")


@pytest.fixture(autouse=True, scope="session")
def shared_audio_cache():
    """Recordings are made once per recipe and shared by every test that seeds a bank."""
    import tempfile
    from pathlib import Path

    path = Path(tempfile.gettempdir()) / "taitotaso-test-audio"
    os.environ["TAITOTASO_AUDIO_CACHE"] = str(path)
    yield path


@pytest.fixture(scope="session")
def voikko():
    import libvoikko

    v = libvoikko.Voikko("fi")
    yield v
    v.terminate()


def pg_schema_url(schema: str) -> str:
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url():
    """A fresh schema in the real PostgreSQL database `test`, dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"tt_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    yield pg_schema_url(schema)
    with admin.connect() as c:
        c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def redis_url():
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    yield REDIS_URL
    r.flushdb()
    r.close()


def kept_result(s, session_id: str, job_seeker_id: str, **columns):
    """An ``owned_results`` row for a test written straight into ``test_sessions`` (as the
    coach tests make their worlds), with the copy of the test that keeping it makes."""
    from services.results.orm import OwnedResult
    from services.results.seekers import copy_of
    from services.testing.orm import TestSession
    from services.testing.records import result_of

    s.flush()
    return OwnedResult(session_id=session_id, job_seeker_id=job_seeker_id,
                       **copy_of(result_of(s.get(TestSession, session_id))), **columns)
