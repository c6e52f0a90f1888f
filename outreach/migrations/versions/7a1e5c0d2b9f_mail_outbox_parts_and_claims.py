"""mail: outbox kinds, parts built at send time, claims, links to registrations and conferences

Revision ID: 7a1e5c0d2b9f
Revises: 5454c10b8b2a
Create Date: 2026-11-28 01:25:00

"""
from alembic import op
import sqlalchemy as sa
import outreach.database


# revision identifiers, used by Alembic.
revision = '7a1e5c0d2b9f'
down_revision = '5454c10b8b2a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=30), nullable=False, server_default='notice'))
        batch_op.add_column(sa.Column('parts', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('registration_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('conference_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', outreach.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_conference_id'), ['conference_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_registration_id_registrations'), 'registrations', ['registration_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_conference_id_conferences'), 'conferences', ['conference_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('ck_outbox_messages_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_messages_status'), "status IN ('pending', 'sending', 'sent', 'failed')")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('kind', server_default=None)
        batch_op.alter_column('parts', server_default=None)
        batch_op.alter_column('headers', server_default=None)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_messages_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_messages_status'), "status IN ('pending', 'sent', 'failed')")
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_conference_id_conferences'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_registration_id_registrations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_conference_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_registration_id'))
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('conference_id')
        batch_op.drop_column('registration_id')
        batch_op.drop_column('headers')
        batch_op.drop_column('parts')
        batch_op.drop_column('kind')
