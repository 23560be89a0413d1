"""The Alembic history builds exactly the tables the models describe, on both databases,
and can be walked down and up again."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import item_bank.orm
import services.authoring.orm  # noqa: F401  (tables)
import services.common.accounts  # noqa: F401  (tables)
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
