"""Demo data for `compact serve --demo`: the bundled library executed among demo organisations,
a live demo incident, and one demo user per role."""

from __future__ import annotations

import os
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agreements.db import make_private_folder
from agreements.clock import utcnow
from agreements.drafting import analyse, create_agreement, publish
from agreements.incidents import record_incident
from agreements.models import Agreement, Organisation
from agreements.signing import sign
from agreements.users import create_user_unchecked

LIBRARY = Path(__file__).resolve().parent.parent / "agreements" / "library"
DEMO_PARTNER_ORG = "lakeside_county"
CREDENTIALS_FILE = "demo-credentials.txt"


def has_data(session: Session) -> bool:
    return bool(session.scalar(select(func.count(Agreement.id))))


def _password() -> str:
    return secrets.token_urlsafe(12)


def live_alert(now: datetime) -> str:
    """The bundled flash flood warning, moved to now: onset ten minutes ago."""
    text = (LIBRARY / "incidents" / "cap-flash-flood-warning.xml").read_text(encoding="utf-8")
    onset = now - timedelta(minutes=10)
    stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")  # noqa: E731
    text = re.sub(r"<onset>[^<]+</onset>", f"<onset>{stamp(onset)}</onset>", text)
    text = re.sub(r"<(sent|effective)>[^<]+</\1>", lambda m: f"<{m.group(1)}>"
                  f"{stamp(onset + timedelta(minutes=2))}</{m.group(1)}>", text)
    text = re.sub(r"<expires>[^<]+</expires>",
                  f"<expires>{stamp(onset + timedelta(hours=6))}</expires>", text)
    return text.replace("CO-NWS-2026-0618-FFW-001", f"CO-NWS-DEMO-{onset:%Y%m%d-%H%M}-FFW")


def seed(session: Session, instance: Path, now: datetime | None = None) -> dict[str, tuple]:
    """Create the demo once; returns {role: (email, password)} for the users to print."""
    now = now or utcnow()
    sources = sorted(LIBRARY.glob("*.agreement"))
    parties: dict[str, str] = {}
    for path in sources:
        for party, name in analyse(path.read_text(encoding="utf-8")).parties:
            parties.setdefault(party, name)
    for party, name in parties.items():
        if session.get(Organisation, party) is None:
            session.add(Organisation(id=party, name=name, created_at=now))
    session.commit()

    credentials = {}
    people = {}
    for role, email, name, org in (
            ("admin", "admin@demo.example", "Alex Admin", None),
            ("drafter", "drafter@demo.example", "Dana Drafter", None),
            ("coordinator", "coordinator@demo.example", "Cory Coordinator", None),
            ("partner", "partner@demo.example", "Pat Partner (Lakeside County)",
             DEMO_PARTNER_ORG)):
        password = _password()
        people[role] = create_user_unchecked(session, email=email, name=name, role=role,
                                             organisation_id=org, password=password, at=now)
        credentials[role] = (email, password)
    # Every other organisation signs through a signing officer who cannot sign in.
    signers = {DEMO_PARTNER_ORG: people["partner"]}
    for party, name in parties.items():
        if party not in signers:
            signers[party] = create_user_unchecked(
                session, email=f"signing-officer@{party.replace('_', '-')}.demo.example",
                name=f"Signing officer, {name}", role="partner", organisation_id=party,
                password=None, at=now)
    session.commit()

    for path in sources:
        revision = create_agreement(session, people["drafter"], path.read_text(encoding="utf-8"),
                                    now=now)
        slug = revision.agreement.slug
        publish(session, people["drafter"], slug, 1, now=now)
        for party, _ in revision.parties:
            signer = signers[party]
            sign(session, signer, slug, 1, signer_name=signer.name.split(",")[0]
                 if signer is people["partner"] else f"Director, {parties[party]}",
                 signer_title="Director", consent=True, address="127.0.0.1", now=now)
    record_incident(session, people["coordinator"], live_alert(now), now=now)

    lines = [f"{role}: {email}  password: {password}" for role, (email, password)
             in credentials.items()]
    path = instance / CREDENTIALS_FILE
    make_private_folder(instance)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("Compact demo users (created " + now.strftime("%Y-%m-%d %H:%M UTC") + ")\n"
                     + "\n".join(lines) + "\n")
    return credentials
