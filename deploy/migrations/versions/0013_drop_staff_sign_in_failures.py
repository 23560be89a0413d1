"""drop staff_sign_in_failures: failed sign-ins are counted by Flask-Limiter, not the database

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 05:40:00

Sign-in throttling moved to Flask-Limiter (``SignInThrottle``, services/common/rate_limit.py:
Redis when configured, else the process), so nothing has written ``staff_sign_in_failures``
since. The rows it still holds are old failed attempts (an email and a time) and are dropped
with it. The downgrade makes the table and its index again, empty, as 0003 made them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_sign_in_failures') as batch_op:
        batch_op.drop_index('ix_staff_sign_in_failures_email')
    op.drop_table('staff_sign_in_failures')


def downgrade() -> None:
    op.create_table(
        'staff_sign_in_failures',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('staff_sign_in_failures') as batch_op:
        batch_op.create_index('ix_staff_sign_in_failures_email', ['email', 'failed_at'], unique=False)
