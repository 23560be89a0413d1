"""katso material library

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 03:42:36.032474
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('library_categories',
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('slug')
    )
    op.create_table('library_feedback',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('contact', sa.String(length=254), nullable=True),
    sa.Column('page', sa.String(length=300), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('library_pages',
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('cards', sa.JSON(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('slug')
    )
    op.create_table('library_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('library_usage',
    sa.Column('material', sa.String(length=80), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('material', 'event', 'day')
    )
    op.create_table('library_worldviews',
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('cards', sa.JSON(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('slug')
    )
    op.create_table('library_cards',
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('category_slug', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('caption', sa.JSON(), nullable=False),
    sa.Column('alt', sa.JSON(), nullable=False),
    sa.Column('prompt', sa.JSON(), nullable=False),
    sa.Column('pictogram', sa.String(length=64), nullable=True),
    sa.Column('image_sha256', sa.String(length=64), nullable=True),
    sa.Column('image_width', sa.Integer(), nullable=True),
    sa.Column('image_height', sa.Integer(), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_slug'], ['library_categories.slug'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['image_sha256'], ['assets.sha256'], ),
    sa.PrimaryKeyConstraint('slug')
    )
    with op.batch_alter_table('library_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_cards_category_slug'), ['category_slug'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('library_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_library_cards_category_slug'))

    op.drop_table('library_cards')
    op.drop_table('library_worldviews')
    op.drop_table('library_usage')
    op.drop_table('library_settings')
    op.drop_table('library_pages')
    op.drop_table('library_feedback')
    op.drop_table('library_categories')
