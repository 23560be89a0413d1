"""owned_results keep their copy of the test; no foreign key from the results tables to the
testing service's test_sessions

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 19:50:00

Issue 16 (one owner per table): the results service read a kept test's levels by joining
the testing service's ``test_sessions``. It now keeps a copy with the result it keeps
(copied when the job seeker keeps it, kept in step by the event ``test.result_changed``),
and its tables name a test by id only, so that each service can have its own database.
The upgrade copies what the join read; the downgrade drops the copy and puts the foreign
keys back.
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

COPIED = (   # owned_results column <- test_sessions column
    ('result', 'result'), ('ui_language', 'ui_language'), ('started_at', 'created_at'),
    ('finished_at', 'finished_at'), ('bank_version', 'bank_version'),
    ('cut_scores_version', 'cut_scores_version'), ('result_changed_at', 'finished_at'),
)
# SQLite's foreign keys have no names: batch mode names them by this convention
NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade() -> None:
    with op.batch_alter_table('owned_results') as batch:
        batch.add_column(sa.Column('result', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('ui_language', sa.String(length=2), nullable=True))
        batch.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('bank_version', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('cut_scores_version', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('result_changed_at', sa.DateTime(timezone=True), nullable=True))
    for mine, theirs in COPIED:
        op.execute(f"UPDATE owned_results SET {mine} = (SELECT t.{theirs} FROM test_sessions t "
                   "WHERE t.id = owned_results.session_id)")
    for table in ('owned_results', 'shares'):
        _drop_session_key(table)


def _drop_session_key(table: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        with op.batch_alter_table(table, recreate='always', naming_convention=NAMES) as batch:
            batch.drop_constraint(f'fk_{table}_session_id_test_sessions', type_='foreignkey')
        return
    for fk in sa.inspect(bind).get_foreign_keys(table):
        if fk['referred_table'] == 'test_sessions':
            op.drop_constraint(fk['name'], table, type_='foreignkey')


def downgrade() -> None:
    for table in ('owned_results', 'shares'):
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(None if op.get_bind().dialect.name != 'sqlite' else
                                     f'fk_{table}_session_id_test_sessions',
                                     'test_sessions', ['session_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('owned_results') as batch:
        for mine, _theirs in reversed(COPIED):
            batch.drop_column(mine)
