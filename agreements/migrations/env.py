"""Alembic's entry point: runs migrations on the connection `agreements.db.upgrade` hands over."""

from alembic import context
from sqlalchemy import create_engine

from agreements.models import Base
import agreements.dissemination.models  # noqa: F401,E402 - its tables are part of the record

config = context.config
target_metadata = Base.metadata


def run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with create_engine(config.get_main_option("sqlalchemy.url")).begin() as connection:
        run(connection)
