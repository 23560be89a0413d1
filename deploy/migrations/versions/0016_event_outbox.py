"""event_outbox: events recorded with the decision that makes them, delivered after

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 19:40:00

Issue 16: a coach's review is committed by the scoring service and reaches the testing and
results services as the event review.decided. Handing it to the queue after the commit
could fail (Redis away, the process stopped between the two) and lose it; the event is now
written in the decision's own transaction and delivered from here (services/common/outbox.py).
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'event_outbox',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('publisher', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_event_outbox_waiting', 'event_outbox', ['delivered_at', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_event_outbox_waiting', table_name='event_outbox')
    op.drop_table('event_outbox')
