"""The single dissemination channel: organisation settings, contact points, notification
preferences, the outbox (notification) with every delivery attempt, incident channel messages,
feed tokens and acknowledgement links.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import agreements.models

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

UTC = agreements.models.UTCDateTime(timezone=True)

# As in 0001: what is on record stays as it was written, in the database itself.
GUARDS = [
    ("channel_message", "UPDATE OR DELETE", "an incident channel message is never changed"),
    ("delivery_attempt", "UPDATE OR DELETE", "a delivery attempt is kept as it happened"),
]


def upgrade() -> None:
    op.create_table(
        'organisation_settings',
        sa.Column('organisation_id', sa.String(100), sa.ForeignKey('organisation.id'),
                  primary_key=True),
        sa.Column('time_zone', sa.String(64), nullable=False),
        sa.Column('reminder_lead_minutes', sa.Integer(), nullable=True),
        sa.Column('ack_wait_minutes', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
    )
    op.create_table(
        'contact_point',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('organisation_id', sa.String(100), sa.ForeignKey('organisation.id'),
                  nullable=False, index=True),
        sa.Column('kind', sa.String(10), nullable=False),
        sa.Column('address', sa.String(2000), nullable=False),
        sa.Column('secret', sa.String(200), nullable=True),
        sa.Column('label', sa.String(200), nullable=False),
        sa.Column('paused', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=True),
        sa.Column('removed_at', UTC, nullable=True),
    )
    op.create_table(
        'notification_preference',
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user_account.id'), primary_key=True),
        sa.Column('email_off', sa.Boolean(), nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
    )
    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event', sa.String(40), nullable=False),
        sa.Column('wave', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), sa.ForeignKey('incident.id'), nullable=True,
                  index=True),
        sa.Column('duty_id', sa.Integer(), sa.ForeignKey('duty.id'), nullable=True),
        sa.Column('organisation_id', sa.String(100), sa.ForeignKey('organisation.id'),
                  nullable=True, index=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=True),
        sa.Column('contact_point_id', sa.Integer(), sa.ForeignKey('contact_point.id'),
                  nullable=True),
        sa.Column('channel', sa.String(10), nullable=False),
        sa.Column('source', sa.String(30), nullable=False),
        sa.Column('address', sa.String(2000), nullable=False),
        sa.Column('destination', sa.String(300), nullable=False),
        sa.Column('dedupe_key', sa.String(200), nullable=True),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('body_text', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('next_attempt_at', UTC, nullable=False),
        sa.Column('lease_until', UTC, nullable=True),
        sa.Column('claimed_by', sa.String(200), nullable=True),
        sa.Column('delivered_at', UTC, nullable=True),
        sa.Column('last_outcome', sa.Text(), nullable=True),
        sa.UniqueConstraint('dedupe_key', 'destination', name='uq_notification_dedupe'),
    )
    op.create_index('ix_notification_due', 'notification', ['state', 'next_attempt_at', 'id'])
    op.create_index('ix_notification_duty', 'notification', ['duty_id', 'id'])
    op.create_table(
        'delivery_attempt',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('notification_id', sa.Integer(), sa.ForeignKey('notification.id'),
                  nullable=False, index=True),
        sa.Column('at', UTC, nullable=False),
        sa.Column('address', sa.String(2000), nullable=False),
        sa.Column('delivered', sa.Boolean(), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.Column('dispatcher', sa.String(200), nullable=False),
    )
    op.create_table(
        'channel_message',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('incident_id', sa.Integer(), sa.ForeignKey('incident.id'), nullable=False,
                  index=True),
        sa.Column('author_id', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=False),
        sa.Column('organisation_id', sa.String(100), sa.ForeignKey('organisation.id'),
                  nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('posted_at', UTC, nullable=False),
    )
    op.create_table(
        'feed_token',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('organisation_id', sa.String(100), sa.ForeignKey('organisation.id'),
                  nullable=False, index=True),
        sa.Column('digest', sa.String(64), nullable=False, unique=True),
        sa.Column('label', sa.String(200), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=True),
        sa.Column('revoked_at', UTC, nullable=True),
    )
    op.create_table(
        'ack_link',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('digest', sa.String(64), nullable=False, unique=True),
        sa.Column('duty_id', sa.Integer(), sa.ForeignKey('duty.id'), nullable=False, index=True),
        sa.Column('notification_id', sa.Integer(), sa.ForeignKey('notification.id'),
                  nullable=True),
        sa.Column('destination', sa.String(2000), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('expires_at', UTC, nullable=False),
        sa.Column('used_at', UTC, nullable=True),
    )
    dialect = op.get_bind().dialect.name
    for n, (table, events, message) in enumerate(GUARDS):
        name = f"{table}_guard_{n}"
        if dialect == "sqlite":
            for k, event in enumerate(events.split(" OR ")):
                op.execute(f"CREATE TRIGGER {name}_{k} BEFORE {event} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        elif dialect == "postgresql":
            op.execute(f"CREATE TRIGGER {name} BEFORE {events} ON {table} FOR EACH ROW "
                       f"EXECUTE FUNCTION compact_refuse_change('{message}')")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for n, (table, events, _) in enumerate(GUARDS):
        name = f"{table}_guard_{n}"
        if dialect == "sqlite":
            for k, _event in enumerate(events.split(" OR ")):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{k}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for table in ('ack_link', 'feed_token', 'channel_message', 'delivery_attempt'):
        op.drop_table(table)
    op.drop_index('ix_notification_duty', table_name='notification')
    op.drop_index('ix_notification_due', table_name='notification')
    for table in ('notification', 'notification_preference', 'contact_point',
                  'organisation_settings'):
        op.drop_table(table)
