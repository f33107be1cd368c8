"""The occurrence of a recurring duty (`every D`): the first, second, ... of one clause and
party; none for a duty that does not recur.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch): a batch copies the table on SQLite and would lose the
    # guard triggers the duty table carries.
    op.add_column('duty', sa.Column('occurrence', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('duty', schema=None) as batch_op:
        batch_op.drop_column('occurrence')
