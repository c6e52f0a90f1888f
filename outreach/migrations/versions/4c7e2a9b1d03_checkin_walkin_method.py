"""checkin: walkin method (people added at the door)

Revision ID: 4c7e2a9b1d03
Revises: e8cba710bdde
Create Date: 2026-11-28 02:30:00

Autogenerate does not compare CHECK constraints, so this one is written by hand.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '4c7e2a9b1d03'
down_revision = 'e8cba710bdde'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_checkins_method'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_checkins_method'), "method IN ('qr', 'search', 'paper', 'walkin')"
        )


def downgrade():
    # walk-ins' log rows would break the narrower rule: they are kept as 'search' admissions
    op.execute("UPDATE checkins SET method = 'search' WHERE method = 'walkin'")
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_checkins_method'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_checkins_method'), "method IN ('qr', 'search', 'paper')"
        )
