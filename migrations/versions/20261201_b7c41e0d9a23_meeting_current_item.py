"""meetings.current_position: the agenda item under discussion at the chair's console (issue 3)

Revision ID: b7c41e0d9a23
Revises: eda3fb4f5470
Create Date: 2026-12-01 23:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c41e0d9a23'
down_revision = 'eda3fb4f5470'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('current_position', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('current_position')
