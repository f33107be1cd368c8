"""Time zones of organisations and users (IANA names; none means the organisation's, then UTC),
and API tokens with an optional expiry and a read-only scope.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import agreements.models

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

UTC = agreements.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    # None of these three tables has guard triggers, so a batch (a copy on SQLite) loses none.
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(64), nullable=True))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(64), nullable=True))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('read_only', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('read_only')
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
