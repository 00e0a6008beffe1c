"""The database tables of Argus, as SQLAlchemy 2 typed declarative classes.

One schema serves SQLite, MariaDB/MySQL and PostgreSQL: every string that is indexed has a
length that fits MySQL's index limits, ids are 64-bit (plain INTEGER on SQLite, where only that
type auto-increments), JSON uses the portable ``JSON`` type, and datetimes are stored as naive
UTC (microsecond precision everywhere) and handed back timezone-aware. Changing anything here
needs a migration in ``store/migrations/versions``; a test compares the two.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

# Deterministic constraint names on every database, so later migrations can address them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: MySQL/MariaDB table options: InnoDB, full UTF-8, binary (case-sensitive) comparisons as on the
#: other two databases.
MYSQL_TABLE_ARGS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}

#: 64-bit ids; SQLite auto-increments only ``INTEGER PRIMARY KEY`` (which is 64-bit there anyway).
BigId = BigInteger().with_variant(Integer(), "sqlite")

TENANT_LEN = 64
SHA256_LEN = 64


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as naive UTC with microseconds on every database.

    Naive datetimes are refused on the way in: every time Argus stores has a known zone.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JobStatus(enum.StrEnum):
    """Where a job stands; ``pending`` and ``running`` are unfinished."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012


class ApiKey(Base):
    """An API key: only the SHA-256 of its secret is kept; ``prefix`` is what lists show."""

    __tablename__ = "api_keys"
    __table_args__ = (Index(None, "tenant"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_LEN))
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(SHA256_LEN), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    rate_limit_per_min: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class CacheEntry(Base):
    """One cached result, addressed by the original bytes' SHA-256, task, model and options."""

    __tablename__ = "result_cache"
    __table_args__ = (
        UniqueConstraint("sha256", "task", "model", "model_version", "options_hash"),
        Index(None, "last_seen"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(SHA256_LEN))
    task: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    model_version: Mapped[str] = mapped_column(String(64))
    options_hash: Mapped[str] = mapped_column(String(SHA256_LEN))
    result: Mapped[Any] = mapped_column(JSON)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)


class RequestLog(Base):
    """One HTTP request: route, outcome, total time and its breakdown (decode, models, store)."""

    __tablename__ = "request_log"
    __table_args__ = (
        Index(None, "created_at"),
        Index(None, "route", "created_at"),
        Index(None, "request_id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64))
    tenant: Mapped[str | None] = mapped_column(String(TENANT_LEN))
    route: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Double)
    timings: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    """A unit of long work (a batch, a video, a folder); the table is the truth about it."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(None, "tenant", "created_at"),
        Index(None, "status", "created_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_LEN))
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING.value)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    items: Mapped[list[JobItem]] = relationship(
        back_populates="job",
        order_by="JobItem.index",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",  # async code loads items explicitly (jobs.get does)
    )

    @property
    def finished(self) -> bool:
        return self.status not in (JobStatus.PENDING, JobStatus.RUNNING)


class JobItem(Base):
    """One input of a job (a file, a frame range) with its own outcome."""

    __tablename__ = "job_items"
    __table_args__ = (UniqueConstraint("job_id", "index"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column("index", Integer)
    input_name: Mapped[str] = mapped_column(String(255))
    input_path: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING.value)
    output: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    job: Mapped[Job] = relationship(back_populates="items", lazy="raise")
