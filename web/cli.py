"""The `compact` command line: check, fmt, test, evaluate; the record: db, pdf, verify (interfaces.md)."""

from __future__ import annotations

import os

import sys
import textwrap
from datetime import datetime
from pathlib import Path

import click

from dsl.errors import CompactError, Diagnostic
from dsl.timestamps import parse_time


class Failure(Exception):
    """Ends a command with exit status 1 after its message has been shown."""


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()

    def fail(message: str) -> CompactError:
        return CompactError(Diagnostic("error", message, None, path))

    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail("cannot read it (no such file)")
    except IsADirectoryError:
        raise fail("cannot read it (it is a folder)")
    except UnicodeDecodeError:
        raise fail("cannot read it (not UTF-8 text)")
    except OSError as exc:
        raise fail(f"cannot read it ({exc.strerror})")


def _expand(paths: tuple[str, ...]) -> list[str]:
    """Files as given; a directory stands for the `.agreement` files in it."""
    out: dict[str, str] = {}  # the same file named twice (or by its folder too) counts once
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(str(f) for f in path.glob("*.agreement"))
            if not found:
                raise CompactError(Diagnostic("error", "no .agreement files in this folder",
                                              None, p))
            for f in found:
                out.setdefault(str(Path(f).resolve()), f)
        else:
            out.setdefault(str(path.resolve()), p)
    return list(out.values())


def _echo_diagnostics(diagnostics: list[Diagnostic]) -> None:
    """Each diagnostic once, however many checks came upon the same mistake."""
    for text in dict.fromkeys(d.render() for d in diagnostics):
        click.echo(text, err=True)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class TimeParam(click.ParamType):
    name = "TIME"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            return parse_time(value)
        except ValueError:
            self.fail(f"{value!r} is not an RFC 3339 time with an offset, such as "
                      "2026-03-14T08:00:00Z", param, ctx)


class CompactGroup(click.Group):
    """Turns every bad input into a clear message and exit status 1, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Failure:
            ctx.exit(1)
        except CompactError as exc:
            _echo_diagnostics(exc.diagnostics)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence for users
            known = _known_failure(exc)
            if known:
                click.echo(f"compact: {known}", err=True)
                ctx.exit(1)
            if ctx.params.get("debug") or ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"compact: internal error: {type(exc).__name__}: {exc} "
                       "(run with --debug to see where)", err=True)
            ctx.exit(1)


def _known_failure(exc: Exception) -> str | None:
    """A clear sentence for failures that are the environment's, not a bug: an unreachable or
    misnamed database, a refused operation, an unusable seal certificate."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None:
        if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
            from agreements.db import database_url
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            return f"cannot reach the database {_hide_password(database_url())}: {reason}"
        if isinstance(exc, (sa_exc.ArgumentError, sa_exc.NoSuchModuleError)):
            return f"DATABASE_URL is not a database URL SQLAlchemy can use ({exc})"
    errors = sys.modules.get("agreements.errors")
    if errors is not None and isinstance(exc, errors.OperationError):
        return "; ".join([exc.message, *exc.details])
    seal = sys.modules.get("agreements.seal")
    if seal is not None and isinstance(exc, seal.SealError):
        return f"the seal certificate cannot be used: {exc}"
    return None


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL we cannot even parse is shown as it was given
        return url


@click.group(cls=CompactGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show a traceback for unexpected errors.")
@click.pass_context
def main(ctx, debug):
    """Compact: coordination agreements as rules that say who must act, by when, and why."""
    ctx.ensure_object(dict)["debug"] = debug


# ---------------------------------------------------------------- check

@main.command()
@click.argument("files", nargs=-1, required=True)
def check(files):
    """Parse and statically check agreements; diagnostics go to stderr."""
    from engine.compiler import check_source
    errors = warnings = 0
    paths = _expand(files)
    for path in paths:
        try:
            text = _read(path)
        except CompactError as exc:
            _echo_diagnostics(exc.diagnostics)
            errors += 1
            continue
        _, diagnostics, _ = check_source(text, path)
        _echo_diagnostics(diagnostics)
        errors += sum(d.is_error for d in diagnostics)
        warnings += sum(not d.is_error for d in diagnostics)
    click.echo(f"{_plural(len(paths), 'file')} checked: {_plural(errors, 'error')}, "
               f"{_plural(warnings, 'warning')}", err=True)
    if errors:
        raise Failure


# ---------------------------------------------------------------- fmt

@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--check", "check_only", is_flag=True,
              help="Report files that would change; change nothing.")
def fmt(files, check_only):
    """Rewrite agreements in canonical layout (`-` reads stdin and writes stdout)."""
    from dsl.formatter import format_source
    changed = failed = 0
    for path in (files if files == ("-",) else _expand(files)):
        try:
            text = _read(path)
            formatted = format_source(text, "<stdin>" if path == "-" else path)
        except CompactError as exc:
            _echo_diagnostics(exc.diagnostics)
            failed += 1
            continue
        if path == "-":
            click.echo(formatted, nl=False)
            changed += formatted != text
            continue
        if formatted == text:
            continue
        changed += 1
        if check_only:
            click.echo(f"would reformat {path}", err=True)
        else:
            Path(path).write_text(formatted, encoding="utf-8")
            click.echo(f"reformatted {path}", err=True)
    if failed or (check_only and changed):
        raise Failure


# ---------------------------------------------------------------- test

@main.command()
@click.argument("files", nargs=-1, required=True)
def test(files):
    """Run the agreements' example blocks."""
    from engine.compiler import load
    from engine.examples import run_examples
    passed = failed = 0
    for path in _expand(files):
        try:
            agreement = load(_read(path), path)
        except CompactError as exc:
            _echo_diagnostics(exc.diagnostics)
            click.echo(f"ERROR {path}: the agreement has errors, so its examples did not run")
            failed += 1
            continue
        if not agreement.examples:
            click.echo(f"NONE  {path}: no examples")
        for result in run_examples(agreement):
            label = "PASS" if result.passed else "FAIL"
            click.echo(f"{label}  {path}:{result.line}: {result.name}")
            for failure in result.failures:
                click.echo(f"      {failure}")
            passed += result.passed
            failed += not result.passed
    click.echo(f"{passed} passed, {failed} failed")
    if failed:
        raise Failure


# ---------------------------------------------------------------- evaluate

class WhyNotParam(click.ParamType):
    """`AGREEMENT.CLAUSE[:PARTY]`, or `AGREEMENT[:PARTY]` for every clause."""

    name = "AGREEMENT.CLAUSE[:PARTY]"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        target, _, party = value.partition(":")
        if not target or party == "" and value.endswith(":"):
            self.fail(f"{value!r} is not AGREEMENT.CLAUSE[:PARTY], such as "
                      "lakeside-riverbend-mutual-aid.engines:riverbend", param, ctx)
        return target, party or None


def _split_target(library, target: str) -> tuple[str, str | None]:
    """An agreement id may contain dots; a clause id may not."""
    ids = {a.id for a in library.agreements}
    if target in ids or "." not in target:
        return target, None
    agreement, clause = target.rsplit(".", 1)
    return agreement, clause


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--incident", "incident_path", required=True, metavar="PATH",
              help="The incident: a JSON file or a CAP XML alert (`-` for stdin).")
@click.option("--at", type=TimeParam(), help="Evaluation time (default: the incident's reported_at).")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json",
              show_default=True)
@click.option("--why-not", "why_not", type=WhyNotParam(), default=None,
              help="Say why a clause (or every clause of an agreement) gave no duty, or none "
                   "to PARTY.")
def evaluate(files, incident_path, at, fmt, why_not):
    """Evaluate one incident against agreements: who must act, by when, and why."""
    from engine.compiler import load
    from engine.incidents import IncidentError, load_incident, load_incidents
    from engine.index import Library

    agreements, problems = [], []
    for path in _expand(files):
        try:
            agreements.append(load(_read(path), path))
        except CompactError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        _echo_diagnostics(problems)
        raise Failure
    library = Library(agreements)
    name = "<stdin>" if incident_path == "-" else incident_path
    try:
        if incident_path == "-":
            raw = sys.stdin.buffer.read()
        else:
            raw = Path(incident_path).read_bytes()
    except OSError as exc:
        click.echo(f"{name}: error: cannot read it ({exc.strerror})", err=True)
        raise Failure
    try:
        loaded = load_incidents(raw)
    except IncidentError as exc:
        click.echo(exc.render(name), err=True)
        raise Failure
    if len(loaded) == 1 or why_not is not None:
        # One incident: one evaluation object, as interfaces.md shows.
        try:
            incident = load_incident(raw)
            result = library.evaluate(incident, at=at)
        except IncidentError as exc:
            click.echo(exc.render(name), err=True)
            raise Failure
        _warn_expired(name, incident, at)
        if why_not is not None:
            _why_not(library, incident, why_not, at, fmt)
        elif fmt == "json":
            click.echo(result.to_json(), nl=False)
        else:
            click.echo(render_text(result, _nothing_given(library, incident, result, at)))
        return
    _evaluate_each(library, loaded, name, at, fmt)


def _evaluate_each(library, loaded, name: str, at, fmt: str) -> None:
    """A feed, distribution or list of alerts: each evaluated in document order, a JSON array
    (text: one after another); exit 1 if any was refused, naming it by position and id."""
    import json

    from engine.incidents import IncidentError
    results, texts, refused = [], [], 0
    for item in loaded:
        where = f"{name}: alert {item.position}" + (f" ({item.identifier})"
                                                     if item.identifier else "")
        try:
            if not item.ok:
                raise item.error
            result = library.evaluate(item.incident, at=at)
        except IncidentError as exc:
            click.echo(exc.render(where), err=True)
            refused += 1
            continue
        _warn_expired(where, item.incident, at)
        results.append(result.as_dict())
        texts.append(render_text(result, _nothing_given(library, item.incident, result, at)))
    if not loaded:
        click.echo(f"{name}: error: the file holds no CAP alert", err=True)
        refused += 1
    if fmt == "json":
        click.echo(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        click.echo(f"{len(loaded)} alerts read, {len(results)} evaluated\n")
        click.echo("\n\n".join(texts))
    if refused:
        raise Failure


def _warn_expired(name: str, incident, at: datetime | None) -> None:
    """An alert whose `expires` has passed when it is read gives no live duties by surprise."""
    from engine.deadlines import utc_text
    expires = incident.data.get("expires")
    try:
        expired_at = parse_time(expires) if isinstance(expires, str) else None
    except ValueError:
        return
    now = at or datetime.now().astimezone().replace(microsecond=0)
    if expired_at is not None and expired_at < now:
        click.echo(f"{name}: warning: this alert expired at {utc_text(expired_at)}, before "
                   f"{'the evaluation time' if at else 'now'} ({utc_text(now)}); its duties are "
                   "evaluated at its own time, as a past incident", err=True)


def _nothing_given(library, incident, result, at) -> list | None:
    from engine.whynot import nothing_given
    if result.duties or incident.cancelled:
        return None
    return nothing_given(library.agreements, incident, at=at)


def _why_not(library, incident, target, at, fmt) -> None:
    import json

    from engine.whynot import WhyNotError
    where, party = target
    agreement, clause = _split_target(library, where)
    try:
        answers = library.why_not(incident, agreement, clause, party, at=at)
    except WhyNotError as exc:
        click.echo(f"compact: {exc}", err=True)
        raise Failure
    if fmt == "json":
        click.echo(json.dumps([a.as_dict() for a in answers], indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(a.text() for a in answers))


def render_text(result, nothing=None) -> str:
    """The evaluation as a person reads it: a table of duties, then why, skips and warnings;
    with no duty, why each agreement gave nothing (`nothing`, from engine.whynot)."""
    from engine.deadlines import utc_text
    lines = [f"Incident {result.incident}, evaluated at {utc_text(result.evaluated_at)}"
             + ("  [EXERCISE: not a real incident]" if result.exercise else "")]
    if not result.duties:
        lines.append("")
        lines.append("No duties." + (" Why each agreement gave nothing:" if nothing else ""))
        for agreement, reasons in nothing or ():
            lines.append(f"  {agreement}:")
            for reason in reasons:
                lines.append(textwrap.fill(reason, 100, initial_indent="    - ",
                                           subsequent_indent="      "))
    else:
        rows = [("#", "DUE (UTC)", "STATUS", "PARTY", "DUTY", "CLAUSE")]
        for i, d in enumerate(result.duties, 1):
            due = d.due_text.replace("T", " ").replace(":00Z", "") if d.due else "-"
            action = f"{d.modality.upper()} {d.action}"
            if len(action) > 60:
                action = action[:59] + "…"
            occurrence = f" (occurrence {d.occurrence})" if d.occurrence is not None else ""
            rows.append((str(i), due, d.status, d.party, action,
                         f"{d.agreement} › {d.clause}{occurrence}"))
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        lines.append("")
        for r in rows:
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
        lines.append("")
        lines.append("Why:")
        for i, d in enumerate(result.duties, 1):
            owed = f" to {', '.join(d.to)}" if d.to else ""
            lines.append(f"{i:>3}. {d.party} {d.modality} “{d.action}”{owed} ({d.title})")
            for reason in d.because:
                lines.append(textwrap.fill(reason, 100, initial_indent="       because ",
                                           subsequent_indent="         "))
            if len(d.costs):
                shares = ", ".join(f"{p} {s:.0%}" for p, s in d.costs)
                lines.append(f"       costs: {shares}")
            if d.note:
                lines.append(f"       note: {d.note}")
            if d.consequence:
                lines.append(textwrap.fill(d.consequence, 100,
                                           initial_indent=f"       {d.status}, so: ",
                                           subsequent_indent="         "))
    if result.skipped:
        lines.append("")
        lines.append("Skipped:")
        lines.extend(f"  {a}: {r}" for a, r in result.skipped)
    if result.warnings:
        lines.append("")
        lines.append("Warnings:")
        for w in result.warnings:
            where = "/".join(x for x in (w.agreement, w.clause) if x)
            lines.append(f"  {where + ': ' if where else ''}{w.message}")
    return "\n".join(lines)


# ---------------------------------------------------------------- the record: db, pdf, verify

def _store_session(create: bool = False):
    """A session on the configured database, or None when it has not been set up."""
    from agreements.db import has_tables, make_engine, session_factory
    engine = make_engine()
    if not has_tables(engine):
        if not create:
            return None
    return session_factory(engine)()


@main.group()
def db():
    """The database: DATABASE_URL, else an SQLite file in the instance folder."""


@db.command("upgrade")
def db_upgrade():
    """Apply every migration not yet applied."""
    from agreements.db import current_revision, make_engine, upgrade
    engine = make_engine()
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"{where}: already at migration {after}; nothing to do")
    else:
        click.echo(f"{where}: upgraded from migration {before or '(empty)'} to {after}")


@main.command()
@click.argument("file")
@click.option("-o", "--output", required=True, metavar="OUT.pdf", help="Where to write the PDF.")
@click.option("--revision", "revision_number", type=click.IntRange(min=1), default=None,
              help="The revision number to print on the cover.")
def pdf(file, output, revision_number):
    """Render an agreement as a PDF document (unsigned, unsealed)."""
    from agreements.pdf import render_pdf
    text = _read(file)
    data = render_pdf(text, revision_number=revision_number, filename=file)
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        click.echo(f"{output}: error: cannot write it ({exc.strerror})", err=True)
        raise Failure()
    click.echo(f"wrote {output} ({len(data):,} bytes)")


@main.command()
@click.argument("file")
@click.option("--trust", "trusted", multiple=True, metavar="CERT.pem",
              help="Also trust seals made with this certificate (PEM); may be repeated.")
def verify(file, trusted):
    """Check a signed agreement PDF's seal, and which revision its content hash names."""
    import logging

    from agreements.documents import verify_document
    from agreements.seal import SealError, _load_trusted
    # pyHanko logs what it cannot read in a damaged PDF, with its traceback; our one line says
    # what matters (the file is damaged, or its seal is), so keep its log quiet here.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        click.echo(f"{file}: error: cannot read it ({exc.strerror})", err=True)
        raise Failure()
    for cert in trusted:
        if not Path(cert).is_file():
            click.echo(f"{cert}: error: cannot read it (no such file)", err=True)
            raise Failure()
        try:
            _load_trusted(Path(cert))
        except SealError:
            click.echo(f"{cert}: error: cannot read it as a certificate (PEM or DER)", err=True)
            raise Failure()
    session = _store_session()
    try:
        result = verify_document(session, data, [Path(c) for c in trusted])
    finally:
        if session is not None:
            session.close()
    if result.valid:
        click.echo(f"{file}: valid. {result.message}")
        return
    click.echo(f"{file}: invalid. {result.message}", err=True)
    raise Failure()


# ---------------------------------------------------------------- serve

@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo", is_flag=True,
              help="On an empty database, add the bundled library executed among demo "
                   "organisations, a live demo incident and one demo user per role.")
def serve(host, port, demo):
    """The web application, on an embedded SQLite database by default (DATABASE_URL selects
    another)."""
    from agreements.db import instance_path
    from agreements.documents import seal_identity
    from agreements.incidents import warm
    from web import demo as demo_data
    from web.app import create_app, db

    app = create_app()  # creates or migrates the database
    seal = seal_identity()  # the sealing certificate, created on first run
    with app.app_context():
        session = db()
        if demo:
            if demo_data.has_data(session):
                click.echo(f"demo: the database already has agreements; demo users are listed "
                           f"in {instance_path() / demo_data.CREDENTIALS_FILE}")
            else:
                click.echo("demo: executing the bundled library among demo organisations ...")
                credentials = demo_data.seed(session, instance_path())
                click.echo("demo users (also saved in "
                           f"{instance_path() / demo_data.CREDENTIALS_FILE}):")
                for role, (email, password) in credentials.items():
                    click.echo(f"  {role:<12} {email:<28} password: {password}")
        in_force = warm(session)
    import gc
    gc.collect()
    gc.freeze()  # as web/wsgi.py does: the compiled agreements live as long as the server
    where = app.extensions["compact.engine"].url.render_as_string(hide_password=True)
    click.echo(f"database: {where}; {in_force} agreements in force; seal certificate: "
               f"{seal.cert_path}")
    from agreements.dissemination import dispatcher
    from web.cli_dissemination import _dispatch_config, _where_mail_goes
    config = _dispatch_config()
    os.environ.setdefault("COMPACT_BASE_URL", f"http://{host}:{port}")
    stop = dispatcher.start_background(app.extensions["compact.sessions"], config)
    click.echo(f"dispatcher: {_where_mail_goes(config)}")
    click.echo(f"Compact is running at http://{host}:{port}/  (Ctrl+C stops it)")
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False, load_dotenv=False)
    finally:
        stop.set()


@main.command()
def breaches():
    """Mark duties past their due time as breached and create escalation duties (for cron)."""
    from agreements.incidents import check_breaches
    session = _store_session()
    if session is None:
        click.echo("compact: the database has no tables yet; run `compact db upgrade` first",
                   err=True)
        raise Failure()
    with session:
        incidents = check_breaches(session)
    click.echo(f"{len(incidents)} incident(s) had overdue duties; breaches recorded and "
               f"escalations evaluated" if incidents else "no duty is overdue")


# ---------------------------------------------------------------- the dissemination channel
# dispatch, contacts, outbox: web/cli_dissemination.py (which imports this module lazily).

from web.cli_dissemination import register  # noqa: E402 - after `main` and its helpers

register(main)


if __name__ == "__main__":  # pragma: no cover - after every command is registered
    main()
