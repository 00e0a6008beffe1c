"""The store: every table and every query of Argus (SQLAlchemy 2 async, Alembic migrations).

`Database` (db.py) owns the engine; one module per entity holds that entity's queries as
functions with keyword-only arguments that take the `Database`: ``keys``, ``cache``,
``request_log``, ``jobs``. Nothing outside this package writes SQL. The package itself imports
nothing: :mod:`argus.store.revision` (no SQLAlchemy) is read without paying for the rest.
"""
