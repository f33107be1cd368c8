"""Agreement pages: the library, the editor with live checking, revisions, diffs, what-if, PDFs.

Every change goes through the service layer (agreements.drafting, whatif, documents); this
module only reads the record to show it. A partner who may not see an agreement or a revision
gets the same 404 as for one that does not exist, so that its existence is not revealed.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

from flask import (Blueprint, abort, flash, jsonify, redirect, render_template, request,
                   send_file, url_for)
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BuildError

from agreements.access import (can_see_agreement, can_see_revision, shown_revision,
                               visible_agreements)
from agreements.access import require_role, visible_incidents
from agreements.compiled import compiled
from agreements.documents import revision_pdf
from agreements.drafting import (NeedsConfirmation, create_agreement, get_agreement, publish,
                                 save_revision)
from agreements.errors import Conflict, Invalid, NotAllowed, NotFound, OperationError
from agreements.library_models import SKELETON, BadModel, model_text, models
from agreements.library_search import agreement_matches, clause_matches, clauses_of
from agreements.models import Withdrawal
from agreements.signing import signature_slots
from agreements.whatif import what_if as run_what_if
from dsl.errors import CompactError, Diagnostic
from engine.compiler import check_source, compile_document
from engine.examples import run_examples as run_agreement_examples
from web.db import db
from web.filters import sentence
from web.source_view import DIFF_CONTEXT, diff_rows, highlight_lines
from web.errors import TITLES
from web.keyword_help import HELP as KEYWORD_HELP

bp = Blueprint("agreements", __name__)

EDITORS = ("drafter", "admin")
CHECKERS = ("drafter", "coordinator", "admin")
WHAT_IF = ("drafter", "coordinator", "admin")
CHECK_LIMIT = 512 * 1024  # bytes of JSON the live checker accepts
STATES = ("draft", "out_for_signature", "executed")

# ---------------------------------------------------------------- helpers

def _user():
    return current_user._get_current_object()


def _role() -> str | None:
    return current_user.role if current_user.is_authenticated else None


_sentence = sentence


def _optional_url(endpoint: str, **values) -> str | None:
    """The address of an endpoint another blueprint may not provide (yet), else None."""
    from flask import current_app
    if endpoint not in current_app.view_functions:
        return None
    if not any(rule.arguments == set(values) for rule in current_app.url_map.iter_rules(endpoint)):
        return None  # it takes other arguments than these: do not guess a wrong address
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _visible_agreement(slug: str):
    """The agreement, or 404 (the same answer whether it does not exist or may not be seen)."""
    try:
        agreement = get_agreement(db(), slug)
    except NotFound:
        agreement = None
    if agreement is None or not can_see_agreement(_user(), agreement):
        raise NotFound(f"there is no agreement '{slug}'")
    return agreement


def _visible_revision(slug: str, number: int):
    agreement = _visible_agreement(slug)
    revision = next((r for r in agreement.revisions if r.number == number), None)
    if revision is None or not can_see_revision(_user(), revision):
        raise NotFound(f"agreement '{slug}' has no revision {number}")
    return agreement, revision


def _normalise(text: str) -> str:
    """Browsers send a textarea's lines with CRLF; the record keeps LF."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


_KIND = re.compile(r"^[ \t]*kind[ \t]+([A-Za-z][A-Za-z-]*)", re.MULTILINE)


@dataclass(frozen=True)
class Facts:
    kind: str | None
    binding: bool | None = None
    effective_from: object = None
    effective_until: object = None
    governing_law: str | None = None
    withdrawal_notice: str | None = None


def _facts(revision) -> Facts:
    """What the header of a revision says; read from the text when it does not compile."""
    if revision is None:
        return Facts(None)
    if not revision.error_count:
        try:
            c = compiled(revision)
        except CompactError:
            c = None
        if c is not None:
            notice = None
            if c.withdrawal_notice:
                amount, unit = c.withdrawal_notice
                notice = f"{amount} {unit}{'' if amount == 1 or unit.endswith('s') else 's'}"
            return Facts(c.kind, c.binding, c.effective_from, c.effective_until,
                         c.governing_law, notice)
    match = _KIND.search(revision.source)
    return Facts(match.group(1) if match else None)


def _shown_revision(agreement, user):
    """The revision a page names the agreement by: a partner never sees a mere draft, nor a
    revision its organisation is no party to (access.shown_revision)."""
    return shown_revision(user, agreement)


def _diagnostic(d: Diagnostic) -> dict:
    span = d.span
    return {"severity": d.severity,
            "line": span.line if span else None, "column": span.col if span else None,
            "end_line": span.end_line if span else None,
            "end_column": span.end_col if span else None,
            "message": d.message, "rendered": d.render()}


def _diagnostics(source: str) -> list[dict]:
    """Structured diagnostics of a text, each with the snippet under its first line."""
    _doc, diagnostics, _symbols = check_source(source)
    out = []
    for d in diagnostics:
        item = _diagnostic(d)
        item["snippet"] = "\n".join(item["rendered"].split("\n")[1:])
        out.append(item)
    return out


def _count(diagnostics: list[dict], severity: str) -> int:
    return sum(1 for d in diagnostics if d["severity"] == severity)


def _line_marks(diagnostics: list[dict]) -> dict[int, str]:
    marks: dict[int, str] = {}
    for d in diagnostics:
        if d["line"] is not None and marks.get(d["line"]) != "error":
            marks[d["line"]] = d["severity"]
    return marks


# ---------------------------------------------------------------- library

@bp.route("/agreements")
@login_required
def library():
    user = _user()
    q = (request.args.get("q") or "").strip()
    kind = request.args.get("kind") or ""
    status = request.args.get("status") or ""
    party = request.args.get("party") or ""
    rows, kinds, parties = [], set(), {}
    for agreement in visible_agreements(db(), user):
        revision = _shown_revision(agreement, user)
        if revision is None:
            continue
        facts = _facts(revision)
        names = {p: n for p, n in revision.parties}
        if facts.kind:
            kinds.add(facts.kind)
        parties.update(names)
        rows.append({"agreement": agreement, "revision": revision, "kind": facts.kind,
                     "parties": names,
                     "latest": (agreement.latest_revision if user.role != "partner"
                                else revision)})
    shown = []
    needle = q.casefold()
    for row in rows:
        a = row["agreement"]
        if kind and row["kind"] != kind:
            continue
        if status and a.state != status:
            continue
        if party and party not in row["parties"]:
            continue
        if needle:
            row["clauses"] = clause_matches(needle, clauses_of(row["revision"]))
            if not row["clauses"] and not agreement_matches(
                    needle, row["revision"].title, a.slug, row["parties"]):
                continue
        shown.append(row)
    shown.sort(key=lambda r: r["revision"].title.casefold())
    return render_template(
        "agreements/library.html", rows=shown, total=len(rows), q=q, kind=kind, status=status,
        party=party, kinds=sorted(kinds), states=STATES,
        parties=sorted(parties.items(), key=lambda p: p[1].casefold()),
        filtered=bool(q or kind or status or party), can_edit=user.role in EDITORS)


# ---------------------------------------------------------------- editor

def _editor(source: str, *, agreement=None, base_revision=None, status: int = 200,
            error: str | None = None, details=None, conflict=None, model: str = "",
            new_id: str = ""):
    diagnostics = _diagnostics(source)
    return render_template(
        "agreements/editor.html", source=source, agreement=agreement,
        models=models() if agreement is None else (), model=model, new_id=new_id,
        keyword_help=KEYWORD_HELP,
        base_revision=base_revision, error=error, details=list(details or []),
        conflict=conflict, diagnostics=diagnostics, errors=_count(diagnostics, "error"),
        warnings=_count(diagnostics, "warning"),
        title=("New agreement" if agreement is None
               else f"Edit {agreement.latest_revision.title}")), status


def _require_editor(doing: str) -> None:
    require_role(_user(), *EDITORS, doing=doing)


def _saved_message(revision) -> tuple[str, str]:
    text = f"Saved revision {revision.number} of '{revision.agreement.slug}'."
    if revision.error_count:
        n = revision.error_count
        return (text + f" It has {n} error{'s' if n != 1 else ''}: fix "
                f"{'them' if n != 1 else 'it'} before publishing.", "warning")
    return text, "success"


@bp.route("/agreements/new", methods=["GET", "POST"])
@login_required
def new():
    _require_editor("create an agreement")
    if request.method == "GET":
        return _new_from_model(request.args.get("model") or "", request.args.get("id") or "")
    source = _normalise(request.form.get("source"))
    try:
        revision = create_agreement(db(), _user(), source)
    except (Invalid, Conflict) as exc:
        return _editor(source, status=exc.status, error=_sentence(exc.message))
    message, category = _saved_message(revision)
    flash(message, category)
    return redirect(url_for(".detail", slug=revision.agreement.slug))


def _new_from_model(model: str, new_id: str):
    """The editor for a new agreement: the skeleton, or a model of the library under a new id."""
    if not model:
        return _editor(SKELETON)
    try:
        source = model_text(model, new_id)
    except BadModel as exc:
        return _editor(SKELETON, status=400, error=str(exc), model=model, new_id=new_id)
    new_id = new_id.strip()
    try:
        get_agreement(db(), new_id)
    except NotFound:
        return _editor(source, model=model, new_id=new_id)
    return _editor(SKELETON, status=409, model=model, new_id=new_id,
                   error=f"An agreement '{new_id}' already exists: give the new one another id.")


@bp.route("/agreements/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    agreement = _visible_agreement(slug)
    _require_editor("revise an agreement")
    latest = agreement.latest_revision
    if request.method == "GET":
        return _editor(latest.source, agreement=agreement, base_revision=latest.number)
    source = _normalise(request.form.get("source"))
    base = request.form.get("overwrite") or request.form.get("base_revision") or ""
    try:
        base_number = int(base)
    except ValueError:
        return _editor(source, agreement=agreement, base_revision=latest.number, status=400,
                       error="The form did not say which revision you started from, so nothing "
                             "was saved. Your text is below: compare it with the latest "
                             f"revision ({latest.number}) and save again.")
    try:
        revision, created = save_revision(db(), _user(), slug, source, base_revision=base_number)
    except Conflict as exc:
        db().expire_all()
        agreement = get_agreement(db(), slug)
        newest = agreement.latest_revision
        conflict = {"latest": newest.number, "base": base_number,
                    "latest_url": url_for(".revision", slug=slug, number=newest.number),
                    "diff_url": (url_for(".diff", slug=slug, a=base_number, b=newest.number)
                                 if 0 < base_number < newest.number else None)}
        return _editor(source, agreement=agreement, base_revision=base_number,
                       status=exc.status, error=_sentence(exc.message), conflict=conflict)
    except Invalid as exc:
        return _editor(source, agreement=agreement, base_revision=base_number,
                       status=exc.status, error=_sentence(exc.message))
    if not created:
        flash(f"No changes: revision {revision.number} is unchanged.", "info")
    else:
        flash(*_saved_message(revision))
    return redirect(url_for(".detail", slug=slug))


# ---------------------------------------------------------------- live checking (JSON)

def _json_error(status: int, message: str):
    return jsonify({"error": {"status": status, "title": TITLES.get(status, "Error"),
                              "message": message}}), status


def _json_source():
    """(source, None), or (None, an error response) for the editor's JSON endpoints."""
    if not current_user.is_authenticated:
        return None, _json_error(401, "Sign in to check agreements.")
    if _role() not in CHECKERS:
        return None, _json_error(403, "Only a drafter, a coordinator or an admin may check "
                                      "agreement text here.")
    if not request.is_json:
        return None, _json_error(415, 'Send the text as JSON, {"source": "..."}, with '
                                      "Content-Type: application/json.")
    too_large = _json_error(413, f"The text is larger than the {CHECK_LIMIT // 1024} KB the "
                                 f"checker accepts.")
    if request.content_length is not None and request.content_length > CHECK_LIMIT:
        return None, too_large
    try:
        data = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return None, too_large
    if len(data) > CHECK_LIMIT:
        return None, too_large
    try:
        body = json.loads(data)
    except ValueError:
        return None, _json_error(400, "The body is not valid JSON.")
    source = body.get("source") if isinstance(body, dict) else None
    if not isinstance(source, str):
        return None, _json_error(400, 'The JSON needs a "source" text.')
    return _normalise(source), None


@bp.route("/agreements/check", methods=["POST"])
def check():
    source, error = _json_source()
    if error is not None:
        return error
    _doc, diagnostics, _symbols = check_source(source)
    return jsonify({"errors": sum(1 for d in diagnostics if d.is_error),
                    "warnings": sum(1 for d in diagnostics if not d.is_error),
                    "diagnostics": [_diagnostic(d) for d in diagnostics]})


@bp.route("/agreements/examples", methods=["POST"])
def run_examples():
    source, error = _json_source()
    if error is not None:
        return error
    doc, diagnostics, symbols = check_source(source)
    errors = [d for d in diagnostics if d.is_error]
    if not errors:
        try:
            agreement = compile_document(doc, symbols, tuple(diagnostics))
        except CompactError as exc:
            errors = exc.diagnostics
    if errors:
        return jsonify({"errors": [_diagnostic(d) for d in errors]})
    results = run_agreement_examples(agreement)
    passed = sum(1 for r in results if r.passed)
    return jsonify({"passed": passed, "failed": len(results) - passed,
                    "results": [{"name": r.name, "line": r.line, "passed": r.passed,
                                 "messages": list(r.failures)} for r in results]})


# ---------------------------------------------------------------- one agreement

@bp.route("/agreements/<slug>")
@login_required
def detail(slug: str):
    user = _user()
    agreement = _visible_agreement(slug)
    latest = agreement.latest_revision
    shown = _shown_revision(agreement, user)
    revisions = [r for r in reversed(agreement.revisions) if can_see_revision(user, r)]
    pending, in_force = agreement.published_revision, agreement.executed_revision
    signing = []
    for label, revision in (("out for signature", pending), ("in force", in_force)):
        # Only the signatures of a revision the user may see: a party an amendment adds never
        # sees those of the revision in force, one it drops never those of the amendment.
        if revision is not None and can_see_revision(user, revision):
            signing.append({"label": label, "revision": revision,
                            "slots": signature_slots(revision)})
    can_edit = user.role in EDITORS
    can_publish = (can_edit and latest.error_count == 0
                   and latest.id not in (agreement.published_revision_id,
                                         agreement.executed_revision_id))
    sign_url = withdraw_url = None
    organisation = user.organisation_id if user.role == "partner" else None
    if organisation and pending is not None and organisation in pending.party_ids \
            and not any(s.party_id == organisation for s in pending.signatures):
        sign_url = _optional_url("partner.sign", slug=slug, number=pending.number)
    if organisation and in_force is not None and organisation in in_force.party_ids:
        withdraw_url = _optional_url("partner.withdraw", slug=slug)
    problems = (_diagnostics(latest.source)
                if user.role != "partner" and (latest.error_count or latest.warning_count)
                else [])
    withdrawals = db().scalars(select(Withdrawal).where(Withdrawal.agreement_id == agreement.id)
                               .order_by(Withdrawal.notice_at)).all()
    names = {}
    for r in agreement.revisions:
        names.update({p: n for p, n in r.parties})
    return render_template(
        "agreements/detail.html", agreement=agreement, shown=shown, facts=_facts(shown),
        latest=latest, revisions=revisions, signing=signing, can_edit=can_edit,
        can_publish=can_publish, can_what_if=user.role in WHAT_IF, sign_url=sign_url,
        withdraw_url=withdraw_url, problems=problems, withdrawals=withdrawals, names=names,
        visible_numbers={r.number for r in revisions})


@bp.route("/agreements/<slug>/revisions/<int:number>")
@login_required
def revision(slug: str, number: int):
    user = _user()
    agreement, revision = _visible_revision(slug, number)
    diagnostics = _diagnostics(revision.source) if user.role != "partner" else []
    previous = next((r for r in reversed(agreement.revisions)
                     if r.number < number and can_see_revision(user, r)), None)
    return render_template(
        "agreements/revision.html", agreement=agreement, revision=revision,
        lines=highlight_lines(revision.source), diagnostics=diagnostics,
        marks=_line_marks(diagnostics), previous=previous, facts=_facts(revision),
        is_latest=revision.id == agreement.latest_revision.id,
        can_edit=user.role in EDITORS, can_what_if=user.role in WHAT_IF)


def _number_arg(name: str) -> int:
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        abort(400, f"Say which two revisions to compare, as ?a=1&b=2 (revision '{name}' is "
                   f"missing).")
    try:
        value = int(raw)
    except ValueError:
        abort(400, f"'{raw}' is not a revision number: revisions are numbered 1, 2, 3 …")
    if value < 1:
        abort(400, f"'{raw}' is not a revision number: revisions are numbered 1, 2, 3 …")
    return value


@bp.route("/agreements/<slug>/diff")
@login_required
def diff(slug: str):
    user = _user()
    agreement = _visible_agreement(slug)
    a, b = _number_arg("a"), _number_arg("b")
    _, old = _visible_revision(slug, a)
    _, new = _visible_revision(slug, b)
    full = request.args.get("full") == "1"
    rows = diff_rows(old.source, new.source, context=None if full else DIFF_CONTEXT)
    added = sum(1 for r in rows if r["kind"] in ("insert", "change"))
    removed = sum(1 for r in rows if r["kind"] in ("delete", "change"))
    choices = [r.number for r in agreement.revisions if can_see_revision(user, r)]
    return render_template("agreements/diff.html", agreement=agreement, old=old, new=new,
                           rows=rows, added=added, removed=removed, full=full, choices=choices,
                           same=old.content_hash == new.content_hash and old.source == new.source)


# ---------------------------------------------------------------- what-if

def _format_value(name: str, value) -> str:
    from web.filters import utc
    if name == "due":
        return utc(value) if value is not None else "no due time"
    if name == "costs":
        return ", ".join(f"{p} {round(s * 100):g}%" for p, s in value) if value else "none"
    if name == "to":  # whom the duty is owed to (v2)
        return ", ".join(value) if value else "nobody named"
    if name == "consequence":  # the `otherwise` of a breached or lapsed duty (v2)
        return value if value else "none"
    return "—" if value in (None, "") else str(value)


@bp.route("/agreements/<slug>/revisions/<int:number>/what-if", methods=["GET", "POST"])
@login_required
def what_if(slug: str, number: int):
    user = _user()
    agreement, revision = _visible_revision(slug, number)
    require_role(user, *WHAT_IF, doing="run a what-if evaluation")
    incidents = visible_incidents(db(), user)
    selected = [k for k in request.form.getlist("incident") if k] if request.method == "POST" \
        else []
    as_of_text = (request.form.get("as_of") if request.method == "POST"
                  else request.args.get("as_of")) or ""
    as_of = _what_if_time(as_of_text.strip())
    diffs = run_what_if(db(), user, slug, number, incident_keys=selected or None, as_of=as_of)
    names = {p: n for p, n in revision.parties}
    baseline = agreement.executed_revision
    if baseline is not None:
        names = {**{p: n for p, n in baseline.parties}, **names}
    by_key = {i.key: i for i in incidents}
    results = []
    for d in diffs:
        changed = [{"before": c.before, "after": c.after,
                    "fields": [{"name": f, "before": _format_value(f, getattr(c.before, f)),
                                "after": _format_value(f, getattr(c.after, f))}
                               for f in c.changed]} for c in d.changed]
        results.append({"diff": d, "incident": by_key.get(d.incident), "changed": changed,
                        "url": _optional_url("incidents.board", key=d.incident)})
    return render_template(
        "agreements/what_if.html", agreement=agreement, revision=revision, baseline=baseline,
        results=results, incidents=incidents, selected=set(selected), names=names,
        differing=sum(1 for d in diffs if d.differs), as_of=as_of, as_of_text=as_of_text.strip())


def _what_if_time(text: str):
    """The what-if's optional "as of" time (RFC 3339 with an offset); None when not given."""
    from dsl.timestamps import parse_time
    if not text:
        return None
    try:
        return parse_time(text)
    except ValueError:
        message = (f"'as of' must be a time with an offset, such as 2026-03-14T08:00:00Z; "
                   f"'{text[:40]}' is not")
        raise Invalid(message, [message])


# ---------------------------------------------------------------- publish and PDF

@bp.route("/agreements/<slug>/revisions/<int:number>/publish", methods=["POST"],
          endpoint="publish")
@login_required
def publish_revision(slug: str, number: int):
    agreement = _visible_agreement(slug)
    confirmed = request.form.get("confirm_warnings") == "yes"
    try:
        publish(db(), _user(), slug, number, confirm_warnings=confirmed)
    except NeedsConfirmation as exc:
        return render_template("agreements/publish_confirm.html", agreement=agreement,
                               number=number, warnings=exc.details, message=exc.message), 409
    except Invalid as exc:
        return render_template("agreements/publish_refused.html", agreement=agreement,
                               number=number, problems=exc.details,
                               message=exc.message), exc.status
    except Conflict as exc:
        flash(f"Revision {number} was not published: {exc.message}.", "error")
        return redirect(url_for(".detail", slug=slug))
    flash(f"Revision {number} is out for signature: each party's partners can now read and "
          f"sign it.", "success")
    return redirect(url_for(".detail", slug=slug))


@bp.route("/agreements/<slug>/revisions/<int:number>/pdf")
@login_required
def pdf(slug: str, number: int):
    _visible_revision(slug, number)
    try:
        document = revision_pdf(db(), _user(), slug, number)
    except NotAllowed:
        raise NotFound(f"agreement '{slug}' has no revision {number}") from None
    response = send_file(io.BytesIO(document.data), mimetype="application/pdf",
                         as_attachment=True, download_name=document.filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.errorhandler(OperationError)
def _operation_error(exc):  # the application's handler words it; JSON endpoints get JSON
    from web.errors import error_response
    if request.endpoint in ("agreements.check", "agreements.run_examples"):
        return _json_error(exc.status, _sentence(exc.message))
    return error_response(exc.status, _sentence(exc.message), exc.details)
