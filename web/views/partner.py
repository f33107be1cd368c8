"""A partner's pages: the agreements its organisation is party to, signing and withdrawing, and
the duties it has across incidents."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from agreements import clock
from agreements.access import (can_see_agreement, can_see_revision, require_role,
                               visible_agreements)
from agreements.compiled import compiled
from agreements.drafting import get_agreement
from agreements.errors import Conflict, Invalid, NotFound
from agreements.duties import effective_state
from agreements.incidents import LIVE_STATES
from agreements.models import Agreement, Duty, Incident, Revision, Withdrawal
from agreements.plain_diff import changes_since_in_force
from agreements.signing import sign as sign_revision
from agreements.signing import signature_slots, withdraw as give_notice, withdrawal_effective_at
from web.db import db
from web.local_time import shown_text
from web.views.incidents import (_party_names, _refresh_breaches, _state_order,
                                 allowed_actions, closing_events)

bp = Blueprint("partner", __name__)

CLOSED_STATES = ("fulfilled", "declined", "waived", "lapsed")  # lapsed: a permission unused


@bp.before_request
@login_required
def partners_only():
    require_role(current_user._get_current_object(), "partner", doing="use a partner's pages")


def _user():
    return current_user._get_current_object()


def _org_name(user) -> str:
    return user.organisation.name if user.organisation else (user.organisation_id or "")


@dataclass
class AgreementRow:
    agreement: Agreement
    title: str
    in_force: Revision | None
    out: Revision | None
    shown: Revision  # the revision whose signatures are listed: out for signature, else in force
    slots: list
    signed: int
    we_signed: bool
    can_sign: bool
    withdrawal: Withdrawal | None
    can_withdraw: bool


def _withdrawals(session, org: str) -> dict[int, Withdrawal]:
    return {w.agreement_id: w for w in session.scalars(
        select(Withdrawal).where(Withdrawal.party_id == org))}


@bp.route("/my/agreements")
def my_agreements():
    user = _user()
    session = db()
    org = user.organisation_id
    gone = _withdrawals(session, org)
    rows = []
    for agreement in visible_agreements(session, user):
        # Only the revisions the organisation is party to: one an amendment drops keeps the
        # revision in force, one it adds sees only the amendment.
        in_force, out = (r if r is not None and can_see_revision(user, r) else None
                         for r in (agreement.executed_revision, agreement.published_revision))
        shown = out or in_force
        slots = signature_slots(shown)
        we_signed = any(s.party_id == org and s.signature for s in slots)
        withdrawal = gone.get(agreement.id)
        rows.append(AgreementRow(
            agreement=agreement, title=shown.title, in_force=in_force, out=out, shown=shown,
            slots=slots, signed=sum(1 for s in slots if s.signature), we_signed=we_signed,
            can_sign=out is not None and org in out.party_ids and not we_signed,
            withdrawal=withdrawal,
            can_withdraw=(in_force is not None and org in in_force.party_ids
                          and withdrawal is None)))
    return render_template("partner/my_agreements.html", rows=rows, org=org,
                           org_name=_org_name(user), now=clock.utcnow())


def _party_agreement(slug: str) -> Agreement:
    """The agreement, if the partner's organisation may see it; else the same 404 as for a
    missing one, so that no answer tells an agreement it is no party to from none at all."""
    try:
        agreement = get_agreement(db(), slug)
    except NotFound:
        agreement = None
    if agreement is None or not can_see_agreement(_user(), agreement):
        raise NotFound(f"there is no agreement '{slug}'")
    return agreement


def _party_revision(slug: str, number: int) -> tuple[Agreement, Revision]:
    """The agreement and revision, if the partner's organisation is a party of both (else 404)."""
    user = _user()
    session = db()
    agreement = _party_agreement(slug)
    revision = session.scalar(select(Revision).where(Revision.agreement_id == agreement.id,
                                                     Revision.number == number))
    if (revision is None or revision.published_at is None
            or user.organisation_id not in revision.party_ids):
        raise NotFound(f"there is no revision {number} of '{slug}' for your organisation to sign")
    return agreement, revision


@bp.route("/agreements/<slug>/revisions/<int:number>/sign", methods=["GET", "POST"])
def sign(slug: str, number: int):
    user = _user()
    agreement, revision = _party_revision(slug, number)
    if agreement.published_revision_id != revision.id:
        current = agreement.published_revision
        raise Conflict(f"revision {number} of '{slug}' is not out for signature"
                       + (f" (revision {current.number} is)" if current is not None else
                          " any more"))
    earlier = next((s for s in revision.signatures if s.party_id == user.organisation_id), None)
    if earlier is not None:
        raise Conflict(f"{earlier.signer_name} already signed revision {number} of '{slug}' for "
                       f"{_org_name(user)} on {shown_text(earlier.signed_at)}")
    form = {"signer_name": user.name, "signer_title": "", "consent": False}
    error, status = None, 200
    if request.method == "POST":
        form = {"signer_name": request.form.get("signer_name", ""),
                "signer_title": request.form.get("signer_title", ""),
                "consent": request.form.get("consent") == "yes"}
        try:
            sign_revision(db(), user, slug, number, signer_name=form["signer_name"],
                          signer_title=form["signer_title"], consent=form["consent"],
                          address=request.remote_addr)
        except Invalid as exc:
            error, status = exc, exc.status
            agreement, revision = _party_revision(slug, number)
        else:
            agreement = get_agreement(db(), slug)
            flash(f"You signed revision {number} of “{revision.title}” for {_org_name(user)}.",
                  "success")
            if agreement.executed_revision_id == revision.id:
                flash("Every party has signed: the agreement is executed and in force.",
                      "success")
            return redirect(url_for("partner.my_agreements"))
    return render_template("partner/sign.html", agreement=agreement, revision=revision,
                           slots=signature_slots(revision), form=form, error=error,
                           org_name=_org_name(user), org=user.organisation_id,
                           comparison=changes_since_in_force(user, revision)), status


def _notice_text(period) -> str:
    if period is None:
        return ""
    amount, unit = period
    return f"{amount} {unit}{'' if amount == 1 else 's'}"


@bp.route("/agreements/<slug>/withdraw", methods=["GET", "POST"])
def withdraw(slug: str):
    user = _user()
    session = db()
    agreement = _party_agreement(slug)
    revision = agreement.executed_revision
    if revision is None:
        raise Conflict(f"'{slug}' has not been executed, so there is nothing to withdraw from")
    if user.organisation_id not in revision.party_ids:
        # It sees the agreement through the amendment out for signature only.
        raise Conflict(f"{_org_name(user)} is no party to the revision of '{slug}' in force, "
                       f"so it has nothing to withdraw from")
    existing = session.scalar(select(Withdrawal).where(
        Withdrawal.agreement_id == agreement.id, Withdrawal.party_id == user.organisation_id))
    now = clock.utcnow()
    reason, error, status = "", None, 200
    if request.method == "POST" and existing is None:
        reason = (request.form.get("reason") or "").strip()
        try:
            if not reason:
                raise Invalid("to give notice of withdrawal, give the reason")
            withdrawal = give_notice(session, user, slug, reason=reason)
        except Invalid as exc:
            error, status = exc, exc.status
        else:
            flash(f"Notice given: {_org_name(user)} leaves “{revision.title}” on "
                  f"{shown_text(withdrawal.effective_at)}.", "success")
            return redirect(url_for("partner.my_agreements"))
    elif request.method == "POST":
        raise Conflict(f"{_org_name(user)} already gave notice on "
                       f"{shown_text(existing.notice_at)}, effective "
                       f"{shown_text(existing.effective_at)}")
    period = compiled(revision).withdrawal_notice
    return render_template("partner/withdraw.html", agreement=agreement, revision=revision,
                           existing=existing, notice=_notice_text(period),
                           effective_at=withdrawal_effective_at(revision, now), now=now,
                           reason=reason, error=error, org_name=_org_name(user)), status


@bp.route("/my/duties")
def my_duties():
    user = _user()
    _refresh_breaches()
    session = db()
    closed = request.args.get("closed") == "1"
    states = LIVE_STATES + (CLOSED_STATES if closed else ())
    duties = session.scalars(select(Duty).join(Incident).where(
        Duty.party_id == user.organisation_id, Duty.state.in_(states))
        .options(selectinload(Duty.incident), selectinload(Duty.revision))).all()
    duties = sorted(duties, key=_state_order)
    now = clock.utcnow()
    # Exercises apart from real incidents: an exercise's duty is never mistaken for a real one.
    return render_template(
        "partner/my_duties.html", duties=duties, closed=closed, now=now,
        real=[d for d in duties if not d.exercise],
        exercises=[d for d in duties if d.exercise],
        closings=closing_events(session, duties),
        states={d.id: effective_state(d, now) for d in duties},
        actions={d.id: allowed_actions(user, d, now) for d in duties},
        names=_party_names(session, duties), here=request.full_path.rstrip("?"),
        org_name=_org_name(user))
