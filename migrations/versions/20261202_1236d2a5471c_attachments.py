"""attachments and attachment_blobs: files of meetings and agenda items, stored once per SHA-256 (issue 3)

Revision ID: 1236d2a5471c
Revises: b7c41e0d9a23
Create Date: 2026-12-02 00:10:00

"""
from alembic import op
import sqlalchemy as sa

import consult.db


# revision identifiers, used by Alembic.
revision = '1236d2a5471c'
down_revision = 'b7c41e0d9a23'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachment_blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', consult.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_attachment_blobs_sha256')),
    sa.CheckConstraint('size > 0', name=op.f('ck_attachment_blobs_size')),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_attachment_blobs'))
    )
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=160), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', consult.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', consult.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sa.Integer(), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("content_type IN ('application/pdf', 'image/png', 'image/jpeg')", name=op.f('ck_attachments_content_type')),
    sa.CheckConstraint('(withdrawn_at IS NULL) = (withdrawn_reason IS NULL)', name=op.f('ck_attachments_withdrawal_reason')),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_attachments_agenda_item_id_agenda_items')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_attachments_created_by_users')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_attachments_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['sha256'], ['attachment_blobs.sha256'], name=op.f('fk_attachments_sha256_attachment_blobs')),
    sa.ForeignKeyConstraint(['withdrawn_by'], ['users.id'], name=op.f('fk_attachments_withdrawn_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_agenda_item_id'), ['agenda_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_sha256'), ['sha256'], unique=False)



def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachments_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_attachments_agenda_item_id'))

    op.drop_table('attachments')
    op.drop_table('attachment_blobs')
