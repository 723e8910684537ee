"""vote_roll lookups (issue 4): indexes on (vote_id, caster_id) and (vote_id, principal_id), so a
cast or a paper ballot finds its roll entry without walking the vote's whole roll; participations
lose their index on vote_id alone (the unique (vote_id, voter_key) serves it), one index fewer
to write per ballot

Revision ID: e1f3a5b7c9d2
Revises: 856e7dd613c9
Create Date: 2026-12-02 16:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e1f3a5b7c9d2'
down_revision = '856e7dd613c9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('vote_roll', schema=None) as batch_op:
        batch_op.create_index('ix_vote_roll_vote_caster', ['vote_id', 'caster_id'], unique=False)
        batch_op.create_index(
            'ix_vote_roll_vote_principal', ['vote_id', 'principal_id'], unique=False
        )
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.drop_index('ix_participations_vote_id')


def downgrade():
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.create_index('ix_participations_vote_id', ['vote_id'], unique=False)
    with op.batch_alter_table('vote_roll', schema=None) as batch_op:
        batch_op.drop_index('ix_vote_roll_vote_principal')
        batch_op.drop_index('ix_vote_roll_vote_caster')
