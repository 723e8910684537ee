"""charters (自治章程 / provincial overlays, versioned) and who ends a membership, and why (issue 3)

A charter version is never overwritten: a new row points at the one it supersedes
(UNIQUE(previous_id): superseded at most once; UNIQUE(community_id, version)).

Revision ID: c3a8f1d2e5b7
Revises: 1236d2a5471c
Create Date: 2026-12-02 00:40:00

"""
from alembic import op
import sqlalchemy as sa

import consult.db


# revision identifiers, used by Alembic.
revision = 'c3a8f1d2e5b7'
down_revision = '1236d2a5471c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('charters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('article', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('decision_reference', sa.String(length=200), nullable=False),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.Column('adopted_at', consult.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('adopted_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('charter', 'provincial')", name=op.f('ck_charters_kind')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_charters_version')),
    sa.CheckConstraint('article >= 1', name=op.f('ck_charters_article')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_charters_community_id_communities')),
    sa.ForeignKeyConstraint(['previous_id'], ['charters.id'], name=op.f('fk_charters_previous_id_charters')),
    sa.ForeignKeyConstraint(['adopted_by'], ['users.id'], name=op.f('fk_charters_adopted_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charters')),
    sa.UniqueConstraint('community_id', 'version', name=op.f('uq_charters_community_id_version')),
    sa.UniqueConstraint('previous_id', name=op.f('uq_charters_previous_id'))
    )
    with op.batch_alter_table('charters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_charters_community_id'), ['community_id'], unique=False)

    with op.batch_alter_table('body_memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ended_at', consult.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ended_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_body_memberships_created_by_users'), 'users', ['created_by'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_body_memberships_ended_by_users'), 'users', ['ended_by'], ['id'])


def downgrade():
    with op.batch_alter_table('body_memberships', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_body_memberships_ended_by_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_body_memberships_created_by_users'), type_='foreignkey')
        batch_op.drop_column('end_reason')
        batch_op.drop_column('ended_by')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('created_by')

    with op.batch_alter_table('charters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_charters_community_id'))

    op.drop_table('charters')
