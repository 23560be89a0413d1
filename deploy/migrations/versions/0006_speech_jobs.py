"""spoken answers and their scoring jobs

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "speech_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("task", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=80), nullable=True),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("passage_cefr", sa.String(length=2), nullable=True),
        sa.Column("max_seconds", sa.Float(), nullable=True),
        sa.Column("ui_language", sa.String(length=2), nullable=False),
        sa.Column("audio", sa.LargeBinary(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=24), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_speech_jobs_status", "speech_jobs", ["status", "created_at"])
    op.create_index("ix_speech_jobs_session", "speech_jobs", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_speech_jobs_session", table_name="speech_jobs")
    op.drop_index("ix_speech_jobs_status", table_name="speech_jobs")
    op.drop_table("speech_jobs")
