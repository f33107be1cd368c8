"""Where the record lives: the database URL, engines, sessions and migrations.

Write locks (`lock_for_write`)
------------------------------
An operation that changes duties must act on what is stored *now*, not on what the session
read earlier, so it first takes a lock that every competing writer also takes, and only then
(re-)reads what it will change (agreements/incidents.py `lock_incident` does both, per incident).

* PostgreSQL (READ COMMITTED): the lock is a row lock on the incident (`SELECT ... FOR NO KEY
  UPDATE`, taken by `lock_incident`); each statement after it sees every transaction committed
  before the lock was granted. `lock_for_write` only bounds the wait: `SET LOCAL lock_timeout`.
* SQLite: `FOR UPDATE` does not exist, and a writer's lock is the whole database. pysqlite (in
  its default, "legacy" transaction control, which we keep) runs SELECTs outside any
  transaction and opens a deferred transaction just before the first INSERT/UPDATE/DELETE, so
  a read-then-write operation reads without any lock. `lock_for_write` therefore issues
  `BEGIN IMMEDIATE` itself when the connection is not yet in a transaction: it waits (up to
  LOCK_TIMEOUT_SECONDS) for the write lock, and everything read after it is current, since no
  one else can commit until we do. If the connection is already in a transaction, that
  transaction has written, so it holds the write lock already. Reads done before the call (a
  page view sharing the session) never began an SQLite transaction, so nothing is held over.
  We do not switch pysqlite to `isolation_level=None` with a BEGIN in a 'begin' event (the
  SQLAlchemy recipe): that would give every other module's read-then-write transaction a
  snapshot taken at its first read, and so "database is locked" errors (SQLITE_BUSY_SNAPSHOT)
  where they now simply wait; and read-only sessions would never take the lock either way.

A lock wait that runs out raises OperationalError ("database is locked" on SQLite, SQLSTATE
55P03 on PostgreSQL), which agreements/audit.py `operation` turns into a Conflict: "the record is
busy with another change; nothing was saved: try again".
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# How long an operation waits for another one's lock before it is refused as busy.
LOCK_TIMEOUT_SECONDS = float(os.environ.get("COMPACT_LOCK_TIMEOUT", "20"))


def instance_path() -> Path:
    """The folder for the embedded database, the seal identity and other local state."""
    configured = os.environ.get("COMPACT_INSTANCE_PATH")
    return Path(configured) if configured else PROJECT_ROOT / "instance"


def database_url(url: str | None = None) -> str:
    """`url`, else DATABASE_URL, else an SQLite file in the instance folder."""
    url = url or os.environ.get("DATABASE_URL")
    if url:
        # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    folder = instance_path()
    make_private_folder(folder)
    return f"sqlite:///{folder / 'compact.sqlite'}"


def make_private_folder(folder: Path) -> None:
    """Create `folder` (and missing parents) if need be; the folder itself only its owner may
    enter (0700). An existing folder keeps the mode it has."""
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # another process made it first
            pass


def _create_private_file(path: Path) -> None:
    """Create the SQLite file empty with mode 0600 before SQLite opens it, so that the record
    (passwords' hashes, tokens' hashes, every incident) is not readable by other local users.
    SQLite gives the -wal and -shm files it makes the mode of the database file. An existing
    file keeps its mode."""
    if path.exists():
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return
    os.close(fd)


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            _create_private_file(Path(database))
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def lock_for_write(session: Session) -> None:
    """Make the session's transaction a write transaction that no competing writer can
    interleave with (see the module docstring); call it before reading what will be changed.
    Idempotent within a transaction; read-only sessions never call it."""
    connection = session.connection()
    timeout_ms = max(1, int(LOCK_TIMEOUT_SECONDS * 1000))
    if connection.dialect.name == "sqlite":
        dbapi = connection.connection.driver_connection
        if dbapi.in_transaction:
            return  # this transaction has written: it holds the write lock already
        cursor = dbapi.cursor()
        try:
            usual = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
            cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                cursor.execute(f"PRAGMA busy_timeout = {int(usual)}")
        finally:
            cursor.close()
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{timeout_ms}ms'")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(engine: Engine):
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False)
                           .replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration not yet applied (`compact db upgrade`)."""
    from alembic import command
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(engine: Engine) -> bool:
    from alembic.script import ScriptDirectory
    script = ScriptDirectory.from_config(alembic_config(engine))
    return current_revision(engine) == script.get_current_head()


def has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())
