"""What the dissemination pages share: the organisation a signed-in user may manage."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from agreements.models import Organisation
from web.db import db


def managed_organisation(org_id: str, what: str) -> Organisation:
    """The organisation whose `what` the signed-in user may manage; a partner is told nothing
    of other organisations (404, as for one that does not exist)."""
    if current_user.role not in ("admin", "partner"):
        abort(403, f"Only an administrator, or a partner for its own organisation, may manage "
                   f"{what}.")
    if current_user.role == "partner" and org_id != current_user.organisation_id:
        abort(404)
    org = db().get(Organisation, org_id)
    if org is None:
        abort(404)
    return org
