"""block_fits: the graded-response fits of the bank's blocks, kept with the bank

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:10:00

The process that changes the bank fits its blocks' approximations (assessment/testlets.py)
and keeps them here (item_bank/block_fits.py), so that the testing service takes them when
it loads the bank instead of running scipy's optimiser itself (issue 16: a light testing
service). Derived data: the downgrade drops it, and the fits are made again when needed.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'block_fits',
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('key', sa.JSON(), nullable=False),
        sa.Column('slope', sa.Float(), nullable=False),
        sa.Column('thresholds', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('key_hash'),
    )


def downgrade() -> None:
    op.drop_table('block_fits')
