"""What an evaluation said besides its duties (warnings, why nothing was given), and past incidents.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy), so SQLite keeps the append-only triggers of the table.
    op.add_column('incident_message', sa.Column('notes', sa.JSON(), nullable=True))
    op.add_column('duty', sa.Column('past', sa.Boolean(), nullable=False,
                                    server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('duty', schema=None) as batch_op:
        batch_op.drop_column('past')
    with op.batch_alter_table('incident_message', schema=None) as batch_op:
        batch_op.drop_column('notes')
