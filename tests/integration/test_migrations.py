"""The Alembic history builds exactly the tables the models describe, on both databases,
and can be walked down and up again."""
from __future__ import annotations

import json

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import item_bank.orm
import services.authoring.orm  # noqa: F401  (tables)
import services.common.accounts  # noqa: F401  (tables)
import services.common.outbox  # noqa: F401  (tables)
import services.testing.orm  # noqa: F401  (tables)
import services.scoring.orm  # noqa: F401  (tables)
from services.common.db import Database, alembic_config


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("pg_url")


def test_migrations_match_the_models_and_go_down_and_up(url):
    db = Database(url)
    db.upgrade()
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), item_bank.orm.Base.metadata) == []
    command.downgrade(alembic_config(url), "base")
    db.upgrade()
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), item_bank.orm.Base.metadata) == []
    db.dispose()


def test_0015_copies_each_kept_result_from_the_test_and_drops_the_foreign_keys(url):
    """The results service's copy of a kept test is made from the testing service's row,
    and a kept result then names its test by id only."""
    from sqlalchemy import inspect, text

    cfg = alembic_config(url)
    command.upgrade(cfg, "0014")
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO test_sessions (id, token_hash, ui_language, self_assessment, status, "
            "bank_version, created_at, updated_at, finished_at, result, stats_recorded) VALUES "
            "('s-1', 'h', 'sv', '{}', 'finished', 'bank-7', '2026-12-01 10:00:00', "
            "'2026-12-01 10:20:00', '2026-12-01 10:20:00', :result, false)"),
            {"result": '{"overall": {"cefr": "B1"}, "n_items": 20}'})
        conn.execute(text("INSERT INTO job_seekers (id, ui_language, created_at) "
                          "VALUES ('j-1', 'sv', '2026-12-01 09:00:00')"))
        conn.execute(text("INSERT INTO owned_results (session_id, job_seeker_id, assurance, "
                          "claimed_at) VALUES ('s-1', 'j-1', 'unsupervised', '2026-12-01 11:00:00')"))
    command.upgrade(cfg, "0015")
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT result, ui_language, bank_version, finished_at, started_at "
                                "FROM owned_results WHERE session_id = 's-1'")).one()
        keys = {t: inspect(conn).get_foreign_keys(t) for t in ("owned_results", "shares")}
    result = row.result if isinstance(row.result, dict) else json.loads(row.result)
    assert result["overall"]["cefr"] == "B1" and result["n_items"] == 20
    assert row.ui_language == "sv" and row.bank_version == "bank-7"
    assert row.finished_at is not None and row.started_at is not None
    assert not [fk for fks in keys.values() for fk in fks if fk["referred_table"] == "test_sessions"]
    command.downgrade(cfg, "base")
    db.dispose()
