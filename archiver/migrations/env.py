"""Alembic environment: run from archiver.storage.db with the connection (or URL) put in the config."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from archiver.storage.tables import FTS_TABLE, Base

config = context.config
target_metadata = Base.metadata


def include_name(name, type_, parent_names) -> bool:
    # The FTS5 table and its shadow tables are raw SQL, unknown to the models: autogenerate must leave them be.
    return not (type_ == "table" and name is not None and name.startswith(FTS_TABLE))


def _configure(**kwargs) -> None:
    context.configure(target_metadata=target_metadata, include_name=include_name, **kwargs)


def run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    _configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:
    # SQLite cannot ALTER most things in place: batch mode rebuilds the table instead.
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
