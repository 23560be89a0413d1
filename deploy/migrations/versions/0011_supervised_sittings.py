"""supervised sittings opened by a coach before the test; no result stays supervised after the fact

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:00:00

Until now a coach could tick "I supervised this test" on any shared result afterwards. Those
marks said nothing checkable, so this migration takes them back: every result marked
supervised becomes unsupervised again, and each reset is written to the audit trail
(``assurance.reset``) with who had marked it and when. From now on only a sitting opened
before the test (``supervised_sittings``) makes a result supervised. The downgrade drops the
table; the reset marks stay reset (they cannot be told apart from true ones afterwards).
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('supervised_sittings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('identity_method', sa.String(length=32), nullable=False),
    sa.Column('document_hmac', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['coach_id'], ['staff_users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash'),
    sa.UniqueConstraint('session_id')
    )
    with op.batch_alter_table('supervised_sittings', schema=None) as batch_op:
        batch_op.create_index('ix_supervised_sittings_coach', ['coach_id', 'created_at'], unique=False)

    conn = op.get_bind()
    owned = sa.table('owned_results', sa.column('session_id', sa.String),
                     sa.column('assurance', sa.String), sa.column('supervised_by', sa.Integer),
                     sa.column('identity_confirmed_at', sa.DateTime(timezone=True)))
    audit = sa.table('audit_events', sa.column('actor', sa.String), sa.column('action', sa.String),
                     sa.column('target', sa.String), sa.column('detail', sa.JSON),
                     sa.column('reason', sa.Text), sa.column('at', sa.DateTime(timezone=True)))
    marked = conn.execute(sa.select(owned.c.session_id, owned.c.supervised_by,
                                    owned.c.identity_confirmed_at)
                          .where(owned.c.assurance == 'supervised')).all()
    now = datetime.now(timezone.utc)
    for session_id, by, at in marked:
        conn.execute(audit.insert().values(
            actor='migration 0011', action='assurance.reset', target=f'result:{session_id}',
            detail={'old_assurance': 'supervised', 'new_assurance': 'unsupervised',
                    'marked_by_staff_id': by, 'marked_at': at.isoformat() if at else None},
            reason='Marked supervised after the test; only a sitting opened before the test '
                   'counts now.', at=now))
    if marked:
        conn.execute(owned.update().where(owned.c.assurance == 'supervised')
                     .values(assurance='unsupervised', supervised_by=None,
                             identity_confirmed_at=None))


def downgrade() -> None:
    with op.batch_alter_table('supervised_sittings', schema=None) as batch_op:
        batch_op.drop_index('ix_supervised_sittings_coach')
    op.drop_table('supervised_sittings')
