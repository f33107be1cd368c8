"""Compiled agreements kept with their revisions, so that workers load rather than parse; and
indexes for the lists the API pages through and the board reads.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import agreements.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'compiled_form',
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('compact_version', sa.String(length=40), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('content_hash', 'compact_version'),
    )
    op.create_index('ix_duty_state_due_id', 'duty', ['state', 'due', 'id'])
    op.create_index('ix_duty_party_state', 'duty', ['party_id', 'state'])
    op.create_index('ix_incident_recorded_at', 'incident', ['recorded_at', 'id'])
    op.create_index('ix_incident_message_incident_id', 'incident_message', ['incident_id'])


def downgrade() -> None:
    op.drop_index('ix_incident_message_incident_id', table_name='incident_message')
    op.drop_index('ix_incident_recorded_at', table_name='incident')
    op.drop_index('ix_duty_party_state', table_name='duty')
    op.drop_index('ix_duty_state_due_id', table_name='duty')
    op.drop_table('compiled_form')
