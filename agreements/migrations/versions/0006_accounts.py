"""Accounts: a session version per user (signing out ends every session), password reset
links (only a digest of each token) and failed sign-ins (for lockout).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import agreements.models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

UTC = agreements.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    # user_account has no guard triggers; the batch adds the column in place on SQLite.
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.create_table(
        'password_reset',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=False,
                  index=True),
        sa.Column('digest', sa.String(64), nullable=False, unique=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('expires_at', UTC, nullable=False),
        sa.Column('used_at', UTC, nullable=True),
    )
    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('email', sa.String(254), nullable=False),
        sa.Column('address', sa.String(64), nullable=False),
        sa.Column('at', UTC, nullable=False),
    )
    op.create_index('ix_login_failure_email_at', 'login_failure', ['email', 'at'])
    op.create_index('ix_login_failure_address_at', 'login_failure', ['address', 'at'])


def downgrade() -> None:
    op.drop_index('ix_login_failure_address_at', table_name='login_failure')
    op.drop_index('ix_login_failure_email_at', table_name='login_failure')
    op.drop_table('login_failure')
    op.drop_table('password_reset')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_version')
