"""The parties a duty is owed to (v2 beneficiaries, `to ROLE, ...`), one row each, so that a
beneficiary's partners may see the duty.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'duty_beneficiary',
        sa.Column('duty_id', sa.Integer(), nullable=False),
        sa.Column('party_id', sa.String(length=100), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['duty_id'], ['duty.id'], ),
        sa.PrimaryKeyConstraint('duty_id', 'party_id'),
    )
    op.create_index(op.f('ix_duty_beneficiary_party_id'), 'duty_beneficiary', ['party_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_duty_beneficiary_party_id'), table_name='duty_beneficiary')
    op.drop_table('duty_beneficiary')
