"""The dissemination channel on the command line: `compact dispatch`, `compact contacts` and
`compact outbox` (added to the `compact` group by `register`, at the end of web/cli.py).

The commands are run on the server by its operators, as `compact db upgrade` is. Those that
change contact points act as a named administrator (`--as EMAIL`), whom the audit trail
records. Every bad input is a sentence on stderr and exit status 1, never a traceback.

web/cli.py imports this module at its end, so this module imports web.cli only inside a
function (at import time web.cli may still be loading).
"""

from __future__ import annotations

import click

OUTBOX_STATES = ("queued", "delivered", "failed")


class _ExitOne:
    """A usage error (a missing argument, a value not among the choices) exits 1, as every
    other bad input of these commands does."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            exc.exit_code = 1
            raise


class Command(_ExitOne, click.Command):
    pass


class Group(_ExitOne, click.Group):
    command_class = Command

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:  # no such command
            exc.exit_code = 1
            raise


def _fail(message: str):
    """Say why on stderr and end the command with exit status 1."""
    click.echo(f"compact: {message}", err=True)
    raise click.exceptions.Exit(1)


# ---------------------------------------------------------------- dispatch

def _dispatch_config():
    """The dispatcher's settings from the environment, or exit status 1 with the reason."""
    from agreements.dissemination.dispatcher import Config
    from agreements.dissemination.mail import parse_smtp_url
    try:
        config = Config.from_env()
        if config.smtp_url:
            parse_smtp_url(config.smtp_url)
    except ValueError as exc:
        _fail(str(exc))
    return config


def _where_mail_goes(config) -> str:
    from web.cli import _hide_password
    if config.smtp_url:
        return f"e-mail through {_hide_password(config.smtp_url)}"
    return (f"no COMPACT_SMTP_URL: e-mail is written as .eml files to {config.folder} "
            f"(listed on /admin/outbox)")


def _current_engine():
    """The configured database's engine, once it is up to date; else exit status 1."""
    from agreements.db import is_current, make_engine
    engine = make_engine()
    if not is_current(engine):
        engine.dispose()
        _fail("the database is not up to date; run `compact db upgrade` first")
    return engine


@click.command(cls=Command)
@click.option("--once", is_flag=True, help="Deliver what is due now and exit (for cron and tests).")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.5, 3600),
              help="Seconds between rounds when running on.")
def dispatch(once, interval):
    """Deliver the outbox: e-mail (COMPACT_SMTP_URL, COMPACT_MAIL_FROM) and webhooks
    (COMPACT_WEBHOOK_ALLOW), with reminders, waves and breaches raised on the clock."""
    from agreements.db import session_factory
    from agreements.dissemination import dispatcher
    config = _dispatch_config()
    engine = _current_engine()
    factory = session_factory(engine)
    click.echo(f"dispatcher {config.name}: {_where_mail_goes(config)}")
    if once:
        counts = dispatcher.dispatch_once(factory, config)
        click.echo(f"{counts['delivered']} delivered, {counts['retrying']} to retry, "
                   f"{counts['failed']} failed; {counts['raised']} raised by the clock")
        return
    try:
        dispatcher.run(factory, config, interval=interval)
    except KeyboardInterrupt:
        click.echo("dispatcher stopped")


# ---------------------------------------------------------------- contacts

def _session():
    from agreements.db import session_factory
    return session_factory(_current_engine())()


def _organisation(session, org_id: str):
    from agreements.models import Organisation
    org = session.get(Organisation, org_id) if org_id and "\x00" not in org_id else None
    if org is None:
        _fail(f"there is no organisation '{org_id}'")
    return org


def _administrator(session, email: str):
    """The active administrator the command acts as."""
    from sqlalchemy import select

    from agreements.models import User
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        _fail(f"--as {email}: there is no user with this e-mail address; name an active "
              f"administrator")
    if not user.active or user.role != "admin":
        what = "deactivated" if not user.active else f"{_article(user.role)} {user.role}"
        _fail(f"--as {email}: this user is {what}; the contact commands act as an active "
              f"administrator")
    return user


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _point(session, org, point_id: int):
    from agreements.dissemination.models import ContactPoint
    from engine import limits
    point = session.get(ContactPoint, point_id) if limits.route_id(point_id) else None
    if point is None or point.organisation_id != org.id:
        _fail(f"{org.id} has no contact point {point_id}; `compact contacts list {org.id}` "
              f"shows its contact points")
    return point


def _table(rows: list[tuple]) -> list[str]:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]


def _shown(text: str | None, width: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 1] + "…"


AS_ADMIN = click.option("--as", "as_email", required=True, metavar="EMAIL",
                        help="The active administrator this change is made as (audited).")


@click.group(cls=Group)
def contacts():
    """An organisation's contact points: where it hears of its duties."""


@contacts.command("list")
@click.argument("org")
def contacts_list(org):
    """The organisation's contact points that are not removed, with their health."""
    from agreements.dissemination import contacts as ops
    with _session() as session:
        org = _organisation(session, org)
        points = ops.contact_overview(session, org.id)
        if points:
            rows = [("ID", "KIND", "ADDRESS", "LABEL", "HEALTH")]
            rows += [(str(p["id"]), p["kind"], p["address"], _shown(p["label"], 30) or "-",
                      _shown(p["health"])) for p in points]
            for line in _table(rows):
                click.echo(line)
        else:
            click.echo(f"{org.id} has no contact point of its own")
        if ops.falls_back(session, org.id):
            click.echo(f"{org.id} has no e-mail contact point: the agreements' contact address "
                       f"is mailed instead")
        else:
            click.echo(f"{org.id}'s e-mail contact points replace the agreements' contact "
                       f"address")


@contacts.command("add")
@click.argument("org")
@click.argument("kind", type=click.Choice(["email", "webhook"]))
@click.argument("address")
@click.option("--label", default="", help="What the address is, such as '24-hour duty desk'.")
@AS_ADMIN
def contacts_add(org, kind, address, label, as_email):
    """Add an e-mail address or a webhook (a webhook's signing secret is shown once)."""
    from agreements.dissemination import contacts as ops
    with _session() as session:
        actor = _administrator(session, as_email)
        org = _organisation(session, org)
        point, secret = ops.add_contact_point(session, actor, org.id, kind=kind,
                                              address=address, label=label)
        click.echo(f"contact point {point.id}: {point.kind} {point.address} added for {org.id}")
        if secret is not None:
            click.echo(f"signing secret (shown only now; keep it where the receiver verifies "
                       f"signatures): {secret}")


def _change(org, point_id, as_email, change) -> None:
    with _session() as session:
        actor = _administrator(session, as_email)
        org = _organisation(session, org)
        point = _point(session, org, point_id)
        click.echo(change(session, actor, point))


def _pause(paused: bool):
    def change(session, actor, point):
        from agreements.dissemination import contacts as ops
        ops.set_paused(session, actor, point.id, paused)
        return (f"contact point {point.id} ({point.address}) is paused: nothing is sent to it "
                f"until it is resumed" if paused else
                f"contact point {point.id} ({point.address}) is resumed")
    return change


@contacts.command("pause")
@click.argument("org")
@click.argument("point_id", metavar="POINT_ID", type=click.IntRange(min=0))
@AS_ADMIN
def contacts_pause(org, point_id, as_email):
    """Send nothing to a contact point until it is resumed."""
    _change(org, point_id, as_email, _pause(True))


@contacts.command("resume")
@click.argument("org")
@click.argument("point_id", metavar="POINT_ID", type=click.IntRange(min=0))
@AS_ADMIN
def contacts_resume(org, point_id, as_email):
    """Send to a paused contact point again."""
    _change(org, point_id, as_email, _pause(False))


@contacts.command("remove")
@click.argument("org")
@click.argument("point_id", metavar="POINT_ID", type=click.IntRange(min=0))
@AS_ADMIN
def contacts_remove(org, point_id, as_email):
    """Remove a contact point (kept for the messages already sent through it)."""
    def change(session, actor, point):
        from agreements.dissemination import contacts as ops
        already = point.removed_at is not None
        ops.remove_contact_point(session, actor, point.id)
        return (f"contact point {point.id} ({point.address}) is {'already ' if already else ''}"
                f"removed: nothing more is sent to it")
    _change(org, point_id, as_email, change)


# ---------------------------------------------------------------- outbox

@click.command(cls=Command)
@click.option("--state", type=click.Choice(OUTBOX_STATES), default=None,
              help="Only the notifications in this state.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000),
              help="How many to list, newest first.")
def outbox(state, limit):
    """The notifications of the outbox, newest first: what was sent where, and what became of
    it."""
    from sqlalchemy import func, select

    from agreements.dissemination.models import Notification
    with _session() as session:
        query = select(Notification).order_by(Notification.id.desc()).limit(limit)
        counting = select(func.count(Notification.id))
        if state:
            query = query.where(Notification.state == state)
            counting = counting.where(Notification.state == state)
        found = session.scalars(query).all()
        total = session.scalar(counting)
        what = f"{state} notification" if state else "notification"
        if not found:
            click.echo(f"no {what}s in the outbox")
            return
        rows = [("ID", "EVENT", "WAVE", "TO", "STATE", "ATTEMPTS", "LAST OUTCOME")]
        rows += [(str(n.id), n.event, str(n.wave), _shown(f"{n.channel}:{n.address}"),
                  n.state, str(n.attempts), _shown(n.last_outcome) or "-") for n in found]
        for line in _table(rows):
            click.echo(line)
        click.echo(f"{len(found)} of {total} {what}{'' if total == 1 else 's'}, newest first")


def register(main) -> None:
    """Add the commands to the `compact` group."""
    for command in (dispatch, contacts, outbox):
        main.add_command(command)
