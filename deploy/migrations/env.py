"""Alembic environment: one history for every service's tables."""
from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from item_bank.orm import Base
import item_bank.orm  # noqa: F401  (tables)
import item_bank.cut_scores  # noqa: F401  (tables)
import services.testing.orm  # noqa: F401  (tables)
import services.common.accounts  # noqa: F401  (tables)
import services.common.outbox  # noqa: F401  (tables)
import services.authoring.orm  # noqa: F401  (tables)
import services.scoring.orm  # noqa: F401  (tables)
import services.results.orm  # noqa: F401  (tables)
import services.library.orm  # noqa: F401  (tables)

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
