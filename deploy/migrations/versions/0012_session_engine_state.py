"""the adaptive engine's state kept with each test session (a lean session path)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 05:00:00

``test_sessions.engine_state`` keeps what replaying a session's stored answers rebuilds
(posteriors, items used, counts by skill and kind, the open block; see
``AdaptiveTest.state``), written with each answer, so that a request takes it up instead of
replaying every answer. It holds JSON as text (the session is read joined with its items,
and a JSON column would be parsed again on every item's row). It is a cache of the answers, never the record: a session without
it (started before this migration) or with a stale one is replayed from its answers, so the
downgrade loses nothing.
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('test_sessions') as batch:
        batch.add_column(sa.Column('engine_state', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('test_sessions') as batch:
        batch.drop_column('engine_state')
