"""standard-setting studies (authoring), published cut-score versions, the cut-score version of each test session

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 01:37:17.822867
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cut_score_versions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('cuts', sa.JSON(), nullable=False),
    sa.Column('spread', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version')
    )
    op.create_table('standard_setting_studies',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('rp', sa.Float(), nullable=False),
    sa.Column('boundaries', sa.JSON(), nullable=False),
    sa.Column('booklet', sa.JSON(), nullable=False),
    sa.Column('impact_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['published_version_id'], ['cut_score_versions.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('standard_setting_judgements',
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('bookmarks', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['study_id'], ['standard_setting_studies.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('study_id', 'round', 'staff_id')
    )
    op.create_table('standard_setting_panelists',
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['study_id'], ['standard_setting_studies.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('study_id', 'staff_id')
    )
    with op.batch_alter_table('standard_setting_panelists', schema=None) as batch_op:
        batch_op.create_index('ix_standard_setting_panelists_staff', ['staff_id'], unique=False)

    op.create_table('standard_setting_rounds',
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['study_id'], ['standard_setting_studies.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('study_id', 'number')
    )
    with op.batch_alter_table('test_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cut_scores_version', sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('test_sessions', schema=None) as batch_op:
        batch_op.drop_column('cut_scores_version')

    op.drop_table('standard_setting_rounds')
    with op.batch_alter_table('standard_setting_panelists', schema=None) as batch_op:
        batch_op.drop_index('ix_standard_setting_panelists_staff')

    op.drop_table('standard_setting_panelists')
    op.drop_table('standard_setting_judgements')
    op.drop_table('standard_setting_studies')
    op.drop_table('cut_score_versions')
