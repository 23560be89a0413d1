"""results job seekers own

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 01:15:16.857554
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=120), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_target', ['target', 'at'], unique=False)

    op.create_table('job_seekers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('ui_language', sa.String(length=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_table('job_seeker_identities',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('job_seeker_id', sa.String(length=36), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=254), nullable=False),
    sa.Column('secret', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_seeker_id'], ['job_seekers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider', 'subject', name='uq_identity_provider_subject')
    )
    with op.batch_alter_table('job_seeker_identities', schema=None) as batch_op:
        batch_op.create_index('ix_identities_job_seeker', ['job_seeker_id'], unique=False)

    op.create_table('owned_results',
    sa.Column('session_id', sa.String(length=36), nullable=False),
    sa.Column('job_seeker_id', sa.String(length=36), nullable=False),
    sa.Column('assurance', sa.String(length=16), nullable=False),
    sa.Column('supervised_by', sa.Integer(), nullable=True),
    sa.Column('identity_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_seeker_id'], ['job_seekers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['test_sessions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supervised_by'], ['staff_users.id'], ),
    sa.PrimaryKeyConstraint('session_id')
    )
    with op.batch_alter_table('owned_results', schema=None) as batch_op:
        batch_op.create_index('ix_owned_results_job_seeker', ['job_seeker_id', 'claimed_at'], unique=False)

    op.create_table('shares',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('job_seeker_id', sa.String(length=36), nullable=False),
    sa.Column('session_id', sa.String(length=36), nullable=False),
    sa.Column('recipient_kind', sa.String(length=16), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=True),
    sa.Column('employer_name', sa.String(length=200), nullable=True),
    sa.Column('employer_email', sa.String(length=254), nullable=True),
    sa.Column('purpose', sa.String(length=300), nullable=False),
    sa.Column('show_contact', sa.Boolean(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('credential_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('view_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['staff_users.id'], ),
    sa.ForeignKeyConstraint(['job_seeker_id'], ['job_seekers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['test_sessions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.create_index('ix_shares_coach', ['coach_id', 'revoked_at'], unique=False)
        batch_op.create_index('ix_shares_job_seeker', ['job_seeker_id', 'created_at'], unique=False)

    op.create_table('share_views',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('share_id', sa.String(length=36), nullable=False),
    sa.Column('viewer', sa.String(length=254), nullable=False),
    sa.Column('viewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['share_id'], ['shares.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('share_views', schema=None) as batch_op:
        batch_op.create_index('ix_share_views_share', ['share_id', 'viewed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('share_views', schema=None) as batch_op:
        batch_op.drop_index('ix_share_views_share')

    op.drop_table('share_views')
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.drop_index('ix_shares_job_seeker')
        batch_op.drop_index('ix_shares_coach')

    op.drop_table('shares')
    with op.batch_alter_table('owned_results', schema=None) as batch_op:
        batch_op.drop_index('ix_owned_results_job_seeker')

    op.drop_table('owned_results')
    with op.batch_alter_table('job_seeker_identities', schema=None) as batch_op:
        batch_op.drop_index('ix_identities_job_seeker')

    op.drop_table('job_seeker_identities')
    op.drop_table('job_seekers')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_target')

    op.drop_table('audit_events')
