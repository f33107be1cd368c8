"""Drafting operations: create an agreement, save revisions without lost updates, publish."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agreements.access import require_role
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.db import lock_for_write
from agreements.dissemination import lifecycle
from agreements.errors import Conflict, Invalid, NotFound
from agreements.models import Agreement, Organisation, Revision, User
from dsl.errors import CompactError
from dsl.formatter import format_source
from engine.compiler import check_source, content_hash

_HEADER = re.compile(r"^agreement[ \t]+([a-z][a-z0-9_-]*)", re.MULTILINE)
_TITLE = re.compile(r'^[ \t]+title[ \t]+"((?:[^"\\]|\\.)*)"', re.MULTILINE)


@dataclass(frozen=True)
class Analysis:
    """What saving a text learns about it; drafts may be saved with errors, but not published."""

    slug: str | None
    title: str
    canonical_source: str | None
    content_hash: str
    errors: int
    warnings: int
    diagnostics: str
    parties: list


def analyse(source: str, filename: str = "<agreement>") -> Analysis:
    doc, diagnostics, symbols = check_source(source, filename)
    errors = sum(1 for d in diagnostics if d.is_error)
    rendered = "\n".join(d.render() for d in diagnostics)
    canonical = None
    if doc is not None:
        try:
            canonical = format_source(source, filename)
        except CompactError:
            canonical = None
    if symbols is not None and symbols.agreement is not None:
        slug = symbols.agreement.id
        title_item = symbols.header.get("title")
        title = title_item.value.value if title_item is not None else slug
        parties = [[p.id, p.name.value] for p in symbols.parties.values()]
    else:
        match = _HEADER.search(source)
        slug = match.group(1) if match else None
        title_match = _TITLE.search(source)
        title = title_match.group(1) if title_match else (slug or "untitled")
        parties = []
    # The hash names the canonical text, so layout-only edits are not new revisions.
    digest = content_hash(canonical if canonical is not None else source)
    return Analysis(slug, title, canonical, digest, errors,
                    sum(1 for d in diagnostics if not d.is_error), rendered, parties)


def get_agreement(session: Session, slug: str, *, for_update: bool = False) -> Agreement:
    """The agreement; with `for_update`, locked for this transaction and re-read as committed
    now, so that save_revision, publish, sign and withdraw serialise on it: on PostgreSQL a row
    lock (FOR UPDATE), on SQLite the write lock (BEGIN IMMEDIATE, agreements.db.lock_for_write),
    where FOR UPDATE does nothing and a read before the first write would hold no lock."""
    query = select(Agreement).where(Agreement.slug == slug)
    if for_update:
        lock_for_write(session)
        query = query.with_for_update().execution_options(populate_existing=True)
    agreement = session.scalar(query)
    if agreement is None:
        raise NotFound(f"there is no agreement '{slug}'")
    return agreement


def get_revision(session: Session, slug: str, number: int) -> Revision:
    agreement = get_agreement(session, slug)
    revision = session.scalar(select(Revision).where(Revision.agreement_id == agreement.id,
                                                     Revision.number == number))
    if revision is None:
        raise NotFound(f"agreement '{slug}' has no revision {number}")
    return revision


def _new_revision(agreement: Agreement, number: int, source: str, analysis: Analysis,
                  actor: User, at: datetime) -> Revision:
    return Revision(agreement=agreement, number=number, source=source,
                    canonical_source=analysis.canonical_source,
                    content_hash=analysis.content_hash, title=analysis.title[:500],
                    error_count=analysis.errors, warning_count=analysis.warnings,
                    diagnostics=analysis.diagnostics, parties=analysis.parties, author=actor,
                    created_at=at)


@operation
def create_agreement(session: Session, actor: User, source: str, *,
                     now: datetime | None = None) -> Revision:
    """A new agreement with its first revision; the text must at least name the agreement."""
    require_role(actor, "drafter", "admin", doing="create an agreement")
    at = moment(now)
    analysis = analyse(source)
    if analysis.slug is None:
        raise Invalid("the text does not start with 'agreement ID', so the agreement has no id",
                      [analysis.diagnostics] if analysis.diagnostics else [])
    if session.scalar(select(Agreement.id).where(Agreement.slug == analysis.slug)) is not None:
        raise Conflict(f"an agreement '{analysis.slug}' already exists; open it and save a new "
                       f"revision instead")
    agreement = Agreement(slug=analysis.slug, state="draft", created_at=at, created_by_id=actor.id)
    session.add(agreement)
    revision = _new_revision(agreement, 1, source, analysis, actor, at)
    session.add(revision)
    session.flush()
    record(session, actor, "agreement.create", agreement, at=at, agreement=agreement.slug,
           revision_hash=revision.content_hash, title=revision.title)
    record(session, actor, "revision.save", revision, at=at, agreement=agreement.slug,
           revision_hash=revision.content_hash, number=1, errors=analysis.errors,
           warnings=analysis.warnings)
    return revision


@operation
def save_revision(session: Session, actor: User, slug: str, source: str, *, base_revision: int,
                  now: datetime | None = None) -> tuple[Revision, bool]:
    """(revision, created): a new revision, or the latest one when the text is unchanged.

    `base_revision` is the number the editor loaded; saving over a newer one is refused,
    so that nobody's edits are silently lost.
    """
    require_role(actor, "drafter", "admin", doing="revise an agreement")
    at = moment(now)
    agreement = get_agreement(session, slug, for_update=True)
    latest = agreement.latest_revision
    analysis = analyse(source)
    if latest.number != base_revision:
        raise Conflict(
            f"revision {latest.number} of '{slug}' was saved by {latest.author.name} at "
            f"{latest.created_at:%Y-%m-%d %H:%M} UTC after revision {base_revision} that you "
            f"started from; nothing was saved. Reload, merge your changes and save again")
    if analysis.content_hash == latest.content_hash:
        return latest, False
    if analysis.slug is None:
        raise Invalid("the text does not start with 'agreement ID', so it cannot be a revision "
                      f"of '{agreement.slug}'", analysis.diagnostics.splitlines())
    if analysis.slug != agreement.slug:
        raise Invalid(f"the text names agreement '{analysis.slug}', but this is agreement "
                      f"'{agreement.slug}'; an agreement keeps its id across revisions")
    revision = _new_revision(agreement, latest.number + 1, source, analysis, actor, at)
    session.add(revision)
    session.flush()  # a concurrent save of the same number fails here, as a Conflict
    if agreement.state == "out_for_signature":
        # Signatures bind one revision; a new text must be published and signed anew.
        agreement.published_revision = None
    agreement.state = "draft"
    record(session, actor, "revision.save", revision, at=at, agreement=slug,
           revision_hash=revision.content_hash, number=revision.number, base=base_revision,
           errors=analysis.errors, warnings=analysis.warnings)
    return revision, True


class NeedsConfirmation(Conflict):
    """Publishing a revision with warnings needs the drafter to confirm them (lifecycle.md);
    `details` lists them."""


def publication_problems(revision: Revision, slug: str) -> tuple[list[str], list[str]]:
    """The failing examples and the warnings of a revision without errors, one line each."""
    from agreements import compiled as cache
    from engine.examples import run_examples
    agreement = cache.by_hash(revision.content_hash, lambda: revision.source, f"{slug}.agreement")
    failing = [f"example '{r.name}' (line {r.line}): {'; '.join(r.failures)}"
               for r in run_examples(agreement) if not r.passed]
    warnings = [f"line {d.span.line}: {d.message}" if d.span else d.message
                for d in agreement.warnings if not d.is_error]
    return failing, warnings


@operation
def publish(session: Session, actor: User, slug: str, number: int, *,
            confirm_warnings: bool = False, now: datetime | None = None) -> Revision:
    """Freeze a revision and send it out for signature: only the latest revision, without
    errors, whose examples all pass; one with warnings only when they are confirmed."""
    require_role(actor, "drafter", "admin", doing="publish an agreement")
    at = moment(now)
    agreement = get_agreement(session, slug, for_update=True)
    latest = agreement.latest_revision
    if number != latest.number:
        raise Conflict(f"revision {number} is not the latest revision of '{slug}' "
                       f"(revision {latest.number} is); publish the latest one")
    if agreement.published_revision_id == latest.id:
        raise Conflict(f"revision {number} of '{slug}' is already out for signature")
    if agreement.executed_revision_id == latest.id:
        raise Conflict(f"revision {number} of '{slug}' is already executed; to amend it, save "
                       f"a new revision and publish that")
    if latest.error_count:
        raise Invalid(f"revision {number} of '{slug}' has {latest.error_count} "
                      f"error{'s' if latest.error_count != 1 else ''}; only a revision without "
                      f"errors can be published", latest.diagnostics.splitlines())
    failing, warnings = publication_problems(latest, slug)
    if failing:
        raise Invalid(f"revision {number} of '{slug}' has {len(failing)} failing "
                      f"example{'s' if len(failing) != 1 else ''}; only a revision whose "
                      f"examples all pass can be published", failing)
    if warnings and not confirm_warnings:
        raise NeedsConfirmation(
            f"revision {number} of '{slug}' has {len(warnings)} warning"
            f"{'s' if len(warnings) != 1 else ''}; read {'them' if len(warnings) != 1 else 'it'}"
            " and confirm to publish it anyway", warnings)
    for party_id, name in latest.parties:
        if session.get(Organisation, party_id) is None:
            session.add(Organisation(id=party_id, name=name, created_at=at))
            record(session, actor, "organisation.create", ("organisation", party_id), at=at,
                   agreement=slug, name=name, reason="named as a party of a published agreement")
    latest.published_at = at
    agreement.published_revision = latest
    agreement.state = "out_for_signature"
    session.flush()
    record(session, actor, "revision.publish", latest, at=at, agreement=slug,
           revision_hash=latest.content_hash, number=number, confirmed_warnings=warnings)
    lifecycle.awaiting_signature(session, agreement, latest, at)
    return latest
