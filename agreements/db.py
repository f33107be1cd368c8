"""Where the record lives: the database URL, engines, sessions and migrations."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'compact.sqlite'}"


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


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
