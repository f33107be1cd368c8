"""More of the record kept as written, by the database itself: a revision's parties, title and
(once set) publication time; a duty's party and reasons; stored PDFs and withdrawals.

Revision ID: 0008
Revises: 0006
"""

from alembic import op

revision = '0008'
down_revision = '0006'  # 0007 did not exist when this was written; chain it after 0007 once it does
branch_labels = None
depends_on = None

# (name, table, event, condition or None, message), in the style of the GUARDS of 0001 (whose
# PostgreSQL function compact_refuse_change raises its argument). `condition` is SQL over OLD
# and NEW, the same on both databases. No code path updates these columns or rows: publish sets
# published_at once (NULL -> the moment); a PDF is rendered once per state and variant and
# stored as a new row; a withdrawal is a new row.
GUARDS = [
    ("revision_parties", "revision", "UPDATE OF parties", None, "a revision is immutable"),
    ("revision_title", "revision", "UPDATE OF title", None, "a revision is immutable"),
    ("revision_published", "revision", "UPDATE OF published_at",
     "OLD.published_at IS NOT NULL AND NEW.published_at IS DISTINCT FROM OLD.published_at",
     "a revision is published once; its publication time is kept"),
    ("duty_party", "duty", "UPDATE OF party_id", None,
     "a duty keeps the party and the reasons it was given"),
    ("duty_because", "duty", "UPDATE OF because", None,
     "a duty keeps the party and the reasons it was given"),
    ("stored_pdf_update", "stored_pdf", "UPDATE", None, "a stored PDF is kept as rendered"),
    ("stored_pdf_delete", "stored_pdf", "DELETE", None, "a stored PDF is kept as rendered"),
    ("withdrawal_update", "withdrawal", "UPDATE", None, "a withdrawal is kept as given"),
    ("withdrawal_delete", "withdrawal", "DELETE", None, "a withdrawal is kept as given"),
]


def _name(name: str) -> str:
    return f"{name}_guard_0008"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, event, condition, message in GUARDS:
        if dialect == "sqlite":
            # SQLite has no IS DISTINCT FROM; its IS NOT is the same test.
            when = (f" WHEN {condition.replace('IS DISTINCT FROM', 'IS NOT')}"
                    if condition else "")
            op.execute(f"CREATE TRIGGER {_name(name)} BEFORE {event} ON {table}{when} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        elif dialect == "postgresql":
            when = f" WHEN ({condition})" if condition else ""
            op.execute(f"CREATE TRIGGER {_name(name)} BEFORE {event} ON {table} FOR EACH ROW"
                       f"{when} EXECUTE FUNCTION compact_refuse_change('{message}')")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, _event, _condition, _message in GUARDS:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {_name(name)}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {_name(name)} ON {table}")
