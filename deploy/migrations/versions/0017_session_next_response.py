"""GET /next's answer kept with each test session (a lean session path, issue 16)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 23:59:00

``test_sessions.next_response`` keeps, as JSON text, what GET /next answers now: the item
(or block of words) served and waiting for its answer, with the progress, or that the test
is done. It is written in the transaction that serves the item or finishes the test (the
answer's request, the start), so GET /next reads one row of the session instead of the
session joined with every item served. It is a cache of the served rows, never the record:
a session without it (started before this migration, or after two requests clashed) is
answered from its rows as before, so the downgrade loses nothing.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('test_sessions') as batch:
        batch.add_column(sa.Column('next_response', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('test_sessions') as batch:
        batch.drop_column('next_response')
