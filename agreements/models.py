"""The agreement record over time, as SQLAlchemy 2 tables: nothing here changes state by itself."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String,
                        Text, UniqueConstraint, event)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

ROLES = ("drafter", "coordinator", "partner", "admin")
AGREEMENT_STATES = ("draft", "out_for_signature", "executed")
DUTY_STATES = ("open", "acknowledged", "fulfilled", "declined", "waived", "breached", "lapsed",
               "superseded")


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no offset) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    """An agency; its id is the party id agreements use."""

    __tablename__ = "organisation"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # An IANA name (zoneinfo); its users see times in it unless they chose their own.
    time_zone: Mapped[str | None] = mapped_column(String(64))


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Raised by signing out and by a password change or reset: a session cookie carrying
    # another number is refused (web.app.load_user), so a copied cookie stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # An IANA name (zoneinfo); None: the organisation's, and failing that UTC.
    time_zone: Mapped[str | None] = mapped_column(String(64))

    organisation: Mapped[Organisation | None] = relationship()

    # What a sign-in manager (Flask-Login) asks of a user, without importing one here.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class PasswordReset(Base):
    """A single-use, expiring link to choose a new password; only its token's digest is kept."""

    __tablename__ = "password_reset"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """One failed sign-in, counted per account and per address for lockout (agreements.accounts)."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_email_at", "email", "at"),
                      Index("ix_login_failure_address_at", "address", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # lower-cased, as given
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Agreement(Base):
    """One agreement through all its revisions; `slug` is the id its source declares."""

    __tablename__ = "agreement"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    # The revision out for signature, and the one in force; an amendment can be out for
    # signature while the earlier executed revision still binds the parties.
    published_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revision.id", use_alter=True, name="fk_agreement_published_revision"))
    executed_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revision.id", use_alter=True, name="fk_agreement_executed_revision"))
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    revisions: Mapped[list["Revision"]] = relationship(
        back_populates="agreement", foreign_keys="Revision.agreement_id",
        order_by="Revision.number")
    published_revision: Mapped["Revision | None"] = relationship(foreign_keys=[published_revision_id],
                                                                 post_update=True)
    executed_revision: Mapped["Revision | None"] = relationship(foreign_keys=[executed_revision_id],
                                                                post_update=True)

    @property
    def latest_revision(self) -> "Revision | None":
        return self.revisions[-1] if self.revisions else None


class Revision(Base):
    """Immutable: one saved text of an agreement."""

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("agreement_id", "number", name="uq_revision_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"))
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    canonical_source: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(500))
    error_count: Mapped[int] = mapped_column(Integer)
    warning_count: Mapped[int] = mapped_column(Integer)
    diagnostics: Mapped[str] = mapped_column(Text, default="")
    parties: Mapped[list] = mapped_column(JSON)  # [[party id, name], ...] as the source declares
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agreement: Mapped[Agreement] = relationship(back_populates="revisions",
                                                foreign_keys=[agreement_id])
    author: Mapped[User] = relationship()
    signatures: Mapped[list["Signature"]] = relationship(back_populates="revision",
                                                         order_by="Signature.signed_at")

    @property
    def party_ids(self) -> list[str]:
        return [p for p, _ in self.parties]


class Signature(Base):
    __tablename__ = "signature"
    __table_args__ = (UniqueConstraint("revision_id", "party_id", name="uq_signature_party"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"))
    party_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_title: Mapped[str] = mapped_column(String(200))
    consent: Mapped[bool] = mapped_column(Boolean)
    content_hash: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    revision: Mapped[Revision] = relationship(back_populates="signatures")
    user: Mapped[User] = relationship()


class Withdrawal(Base):
    """A party's notice; it stops being a party at `effective_at`."""

    __tablename__ = "withdrawal"
    __table_args__ = (UniqueConstraint("agreement_id", "party_id", name="uq_withdrawal_party"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"))
    party_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    notice_at: Mapped[datetime] = mapped_column(UTCDateTime())
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())

    agreement: Mapped[Agreement] = relationship()


class Incident(Base):
    """An incident as coordinators know it; each message about it is kept in `messages`."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_recorded_at", "recorded_at", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)  # the incident's own id
    # active, cancelled, or past (an alert recorded after it expired: history, never breached)
    state: Mapped[str] = mapped_column(String(20), default="active")
    type: Mapped[str] = mapped_column(String(200))
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    messages: Mapped[list["IncidentMessage"]] = relationship(
        back_populates="incident", order_by="IncidentMessage.sequence")
    duties: Mapped[list["Duty"]] = relationship(back_populates="incident", order_by="Duty.id")

    @property
    def latest_message(self) -> "IncidentMessage":
        return self.messages[-1]


class IncidentMessage(Base):
    """One message about an incident, exactly as received and as mapped."""

    __tablename__ = "incident_message"
    __table_args__ = (UniqueConstraint("incident_id", "sequence", name="uq_incident_message"),
                      Index("ix_incident_message_incident_id", "incident_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(10))  # json or cap
    message_type: Mapped[str] = mapped_column(String(20))  # Alert, Update, Cancel
    cap_identifier: Mapped[str | None] = mapped_column(String(300), index=True)
    received: Mapped[str] = mapped_column(Text)
    mapped: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # What the evaluation said besides duties: {"warnings": [evaluation warnings as JSON],
    # "why_none": [[agreement, [reasons]], ...] when it gave no duty}.
    notes: Mapped[dict | None] = mapped_column(JSON)

    incident: Mapped[Incident] = relationship(back_populates="messages")


class Duty(Base):
    """One party's duty from one clause, as evaluated then; superseded, never deleted."""

    __tablename__ = "duty"
    __table_args__ = (Index("ix_duty_state_due_id", "state", "due", "id"),
                      Index("ix_duty_party_state", "party_id", "state"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("incident_message.id"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    agreement_slug: Mapped[str] = mapped_column(String(100))
    clause: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    party_id: Mapped[str] = mapped_column(String(100), index=True)
    role: Mapped[str | None] = mapped_column(String(100))
    modality: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(Text)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    costs: Mapped[list] = mapped_column(JSON)
    because: Mapped[list] = mapped_column(JSON)
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    # Of a past incident (an expired alert recorded late): its due times are history.
    past: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    state: Mapped[str] = mapped_column(String(20), default="open")
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_of_id: Mapped[int | None] = mapped_column(ForeignKey("duty.id"))
    # Of a recurring duty (`every D`): which occurrence, from 1; None for one that does not recur.
    occurrence: Mapped[int | None] = mapped_column(Integer)

    incident: Mapped[Incident] = relationship(back_populates="duties")
    message: Mapped[IncidentMessage] = relationship()
    revision: Mapped[Revision] = relationship()
    events: Mapped[list["DutyEvent"]] = relationship(back_populates="duty", order_by="DutyEvent.id")
    beneficiaries: Mapped[list["DutyBeneficiary"]] = relationship(
        back_populates="duty", order_by="DutyBeneficiary.position", lazy="selectin")

    @property
    def owed_to(self) -> list[str] | None:
        """The parties the duty is owed to (`to ROLE, ...`), in order; None if it names none."""
        return [b.party_id for b in self.beneficiaries] if self.beneficiaries else None

    @property
    def key(self) -> tuple[str, str, str, int | None]:
        return (self.agreement_slug, self.clause, self.party_id, self.occurrence)

    @property
    def live(self) -> bool:
        return self.state != "superseded"

    def as_dict(self) -> dict:
        return {
            "id": self.id, "incident": self.incident.key, "agreement": self.agreement_slug,
            "clause": self.clause, "title": self.title, "modality": self.modality,
            "party": self.party_id, "role": self.role, "action": self.action,
            "due": utc_text(self.due), "state": self.state, "costs": self.costs,
            "because": self.because, "note": self.note, "revision_hash": self.content_hash,
            "exercise": self.exercise, "occurrence": self.occurrence,
            **({"to": self.owed_to} if self.beneficiaries else {}),
        }


class DutyBeneficiary(Base):
    """A party a duty is owed to (a clause's `to ROLE, ...`): it may see the duty, read only."""

    __tablename__ = "duty_beneficiary"
    duty_id: Mapped[int] = mapped_column(ForeignKey("duty.id"), primary_key=True)
    party_id: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)

    duty: Mapped[Duty] = relationship(back_populates="beneficiaries")


class DutyEvent(Base):
    """One change of a duty's state: who, when, and why."""

    __tablename__ = "duty_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    duty_id: Mapped[int] = mapped_column(ForeignKey("duty.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the system
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    duty: Mapped[Duty] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class AuditEntry(Base):
    """Append-only: the database refuses updates and deletes (see the migration's triggers)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the system
    actor_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str] = mapped_column(String(300))
    agreement_slug: Mapped[str | None] = mapped_column(String(100), index=True)
    revision_hash: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class StoredPdf(Base):
    """A rendered PDF, kept so that a revision is rendered once per state of its signatures."""

    __tablename__ = "stored_pdf"
    __table_args__ = (UniqueConstraint("revision_id", "variant", name="uq_stored_pdf"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"))
    variant: Mapped[str] = mapped_column(String(64))  # a digest of the signatures it shows
    sealed: Mapped[bool] = mapped_column(Boolean)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AppendOnlyError(Exception):
    pass


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_change(mapper, connection, target):
    raise AppendOnlyError("the audit log is append-only")


def utc_text(value: datetime | None) -> str | None:
    """A time as the record writes it out: RFC 3339 in UTC, to the second (None stays None)."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_FROZEN_REVISION_FIELDS = ("source", "canonical_source", "content_hash", "number", "agreement_id",
                           "author_id", "created_at")


@event.listens_for(Revision, "before_update")
def _refuse_revision_change(mapper, connection, target):
    from sqlalchemy import inspect
    state = inspect(target)
    changed = [name for name in _FROZEN_REVISION_FIELDS if state.attrs[name].history.has_changes()]
    if changed:
        raise AppendOnlyError(f"a revision is immutable (tried to change {', '.join(changed)})")


@event.listens_for(Revision, "before_delete")
@event.listens_for(Signature, "before_delete")
@event.listens_for(Duty, "before_delete")
@event.listens_for(DutyEvent, "before_delete")
@event.listens_for(IncidentMessage, "before_delete")
def _refuse_record_delete(mapper, connection, target):
    raise AppendOnlyError(f"a {type(target).__name__.lower()} is never deleted")


class ApiToken(Base):
    """A bearer token for scripts; only its SHA-256 is stored, the token is shown once."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A read-only token may read (GET) and evaluate, never change the record.
    read_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    user: Mapped[User] = relationship()


class CompiledForm(Base):
    """A revision's compiled agreement (without its syntax tree), pickled, keyed by its content
    hash and the version of Compact that made it: a cache every worker and host can load from
    instead of parsing. Rows may be deleted or replaced at will; the revision is the record."""

    __tablename__ = "compiled_form"
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    compact_version: Mapped[str] = mapped_column(String(40), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

