"""pretest items served unscored inside live tests; index of answers by item version

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("session_items") as batch_op:
        batch_op.add_column(sa.Column("pretest", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index("ix_session_items_item", ["item_id", "item_version"])


def downgrade() -> None:
    with op.batch_alter_table("session_items") as batch_op:
        batch_op.drop_index("ix_session_items_item")
        batch_op.drop_column("pretest")
