"""standalone votes (issue 4): a vote belongs to a body; a vote in a meeting is on an agenda item,
a standalone one has neither; rule_date is the day whose rule set judges it

Existing votes take their meeting's body and date.

Revision ID: b8c0d2e4f6a5
Revises: a7b9c1d3e5f4
Create Date: 2026-12-02 02:25:40.789472

"""
from alembic import op
import sqlalchemy as sa

import consult.db


# revision identifiers, used by Alembic.
revision = 'b8c0d2e4f6a5'
down_revision = 'a7b9c1d3e5f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rule_date', sa.Date(), nullable=True))
    day = "CAST(m.starts_at AS DATE)" if op.get_bind().dialect.name == "postgresql" else "date(m.starts_at)"
    op.execute(
        "UPDATE votes SET "
        "body_id = (SELECT m.body_id FROM meetings m WHERE m.id = votes.meeting_id), "
        f"rule_date = (SELECT {day} FROM meetings m WHERE m.id = votes.meeting_id)"
    )
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.alter_column('body_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('rule_date', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('meeting_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('agenda_item_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_votes_body_id'), ['body_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_votes_body_id_bodies'), 'bodies', ['body_id'], ['id'])
        batch_op.create_check_constraint(
            op.f('ck_votes_item'), "(meeting_id IS NULL) = (agenda_item_id IS NULL)"
        )


def downgrade():
    # Standalone votes cannot be expressed in the earlier schema: downgrading refuses them.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM votes WHERE meeting_id IS NULL")).scalar():
        raise RuntimeError("standalone votes exist: they cannot be kept by the earlier schema")
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_votes_item'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_votes_body_id_bodies'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_votes_body_id'))
        batch_op.alter_column('agenda_item_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.alter_column('meeting_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('rule_date')
        batch_op.drop_column('body_id')

    # ### end Alembic commands ###
