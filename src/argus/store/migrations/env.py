"""Alembic environment for Argus: runs on the connection `argus.store.db` hands over.

`Database.upgrade()` passes a synchronous view of its async connection in
``config.attributes["connection"]``. Offline mode (SQL scripts for a DBA) reads the URL from the
``sqlalchemy.url`` main option.
"""

from __future__ import annotations

from alembic import context

from argus.store.tables import Base

config = context.config
target_metadata = Base.metadata


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "Argus migrations run through argus.store.db.Database.upgrade() "
            "(`argus db upgrade`), not the alembic command line."
        )
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
