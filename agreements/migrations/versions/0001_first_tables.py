"""The first tables: organisations, users, agreements, revisions, signatures, incidents, duties, audit log.

Revision ID: 0001
Revises: 
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa
import agreements.models


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organisation',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('created_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('organisation_id', sa.String(length=100), nullable=True),
    sa.Column('password_hash', sa.String(length=300), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_table('agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('published_revision_id', sa.Integer(), nullable=True),
    sa.Column('executed_revision_id', sa.Integer(), nullable=True),
    sa.Column('executed_at', agreements.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['executed_revision_id'], ['revision.id'], name='fk_agreement_executed_revision', use_alter=True),
    sa.ForeignKeyConstraint(['published_revision_id'], ['revision.id'], name='fk_agreement_published_revision', use_alter=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_email', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('object_type', sa.String(length=30), nullable=False),
    sa.Column('object_id', sa.String(length=300), nullable=False),
    sa.Column('agreement_slug', sa.String(length=100), nullable=True),
    sa.Column('revision_hash', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_agreement_slug'), ['agreement_slug'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('type', sa.String(length=200), nullable=False),
    sa.Column('exercise', sa.Boolean(), nullable=False),
    sa.Column('reported_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('incident_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('message_type', sa.String(length=20), nullable=False),
    sa.Column('cap_identifier', sa.String(length=300), nullable=True),
    sa.Column('received', sa.Text(), nullable=False),
    sa.Column('mapped', sa.JSON(), nullable=False),
    sa.Column('received_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['received_by_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'sequence', name='uq_incident_message')
    )
    with op.batch_alter_table('incident_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_message_cap_identifier'), ['cap_identifier'], unique=False)

    op.create_table('revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('canonical_source', sa.Text(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('warning_count', sa.Integer(), nullable=False),
    sa.Column('diagnostics', sa.Text(), nullable=False),
    sa.Column('parties', sa.JSON(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', agreements.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], ),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agreement_id', 'number', name='uq_revision_number')
    )
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revision_content_hash'), ['content_hash'], unique=False)

    op.create_table('duty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('agreement_slug', sa.String(length=100), nullable=False),
    sa.Column('clause', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('party_id', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=100), nullable=True),
    sa.Column('modality', sa.String(length=10), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('due', agreements.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('costs', sa.JSON(), nullable=False),
    sa.Column('because', sa.JSON(), nullable=False),
    sa.Column('exercise', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('fulfilled_at', agreements.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('superseded_at', agreements.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalation_of_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], ),
    sa.ForeignKeyConstraint(['escalation_of_id'], ['duty.id'], ),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['message_id'], ['incident_message.id'], ),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('duty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_party_id'), ['party_id'], unique=False)

    op.create_table('signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('signer_title', sa.String(length=200), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('signed_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('revision_id', 'party_id', name='uq_signature_party')
    )
    op.create_table('stored_pdf',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('variant', sa.String(length=64), nullable=False),
    sa.Column('sealed', sa.Boolean(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('revision_id', 'variant', name='uq_stored_pdf')
    )
    op.create_table('withdrawal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.String(length=100), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('notice_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('effective_at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], ),
    sa.ForeignKeyConstraint(['party_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agreement_id', 'party_id', name='uq_withdrawal_party')
    )
    op.create_table('duty_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('duty_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', agreements.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['duty_id'], ['duty.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('duty_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_event_duty_id'), ['duty_id'], unique=False)
    _guard_the_record()


# What is on record stays as it was written, in the database itself and not just in the ORM:
# (table, events refused, message). A duty changes state, so only its deletion is refused.
GUARDS = [
    ("audit_log", "UPDATE OR DELETE", "the audit log is append-only"),
    ("revision", "UPDATE OF source, canonical_source, content_hash, number, agreement_id, "
                 "author_id, created_at", "a revision is immutable"),
    ("revision", "DELETE", "a revision is never deleted"),
    ("signature", "UPDATE OR DELETE", "a signature is immutable"),
    ("incident_message", "UPDATE OR DELETE", "an incident message is kept as received"),
    ("duty_event", "UPDATE OR DELETE", "the history of a duty is append-only"),
    ("duty", "DELETE", "a duty is never deleted"),
]


def _guard_the_record() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE FUNCTION compact_refuse_change() RETURNS trigger AS $$ "
                   "BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END $$ LANGUAGE plpgsql")
    for n, (table, events, message) in enumerate(GUARDS):
        name = f"{table}_guard_{n}"
        if dialect == "sqlite":
            # SQLite takes one event per trigger.
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
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS compact_refuse_change()")
    with op.batch_alter_table('duty_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_event_duty_id'))

    op.drop_table('duty_event')
    op.drop_table('withdrawal')
    op.drop_table('stored_pdf')
    op.drop_table('signature')
    with op.batch_alter_table('duty', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_party_id'))
        batch_op.drop_index(batch_op.f('ix_duty_incident_id'))

    op.drop_table('duty')
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revision_content_hash'))

    op.drop_table('revision')
    with op.batch_alter_table('incident_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_message_cap_identifier'))

    op.drop_table('incident_message')
    op.drop_table('incident')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_agreement_slug'))

    op.drop_table('audit_log')
    op.drop_table('agreement')
    op.drop_table('user_account')
    op.drop_table('organisation')
