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
    Boolean,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
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
            from sqlalchemy.dialects import mysql  # only a MySQL server imports its dialect

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
        Index(None, "status", "lease_until"),
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
    #: Claims so far; the current one's number is the fencing token its writes must carry.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: While running: the holder's lease, renewed by its heartbeat; past it, anyone may requeue.
    lease_until: Mapped[datetime | None]
    #: When a message for this job was last sent to the executor (the outbox resends stale ones).
    sent_at: Mapped[datetime | None]

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
    #: The job attempt that last started this item (and wrote its outcome).
    attempt: Mapped[int | None] = mapped_column(Integer)

    job: Mapped[Job] = relationship(back_populates="items", lazy="raise")


class ClassifyRequest(Base):
    """One image through seed 000's classify or check-cache routes (its ``request_log`` row).

    ``request_type`` is the seed's: single_classify, batch_classify, single_cache, batch_cache.
    ``inference_method`` is llm, llm_fallback, local, local_fallback or cache; LLM token usage
    and cost are those of the calls made for this image.
    """

    __tablename__ = "classify_requests"
    __table_args__ = (
        Index(None, "created_at"),
        Index(None, "request_type", "created_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64))
    request_type: Mapped[str] = mapped_column(String(32))
    tenant: Mapped[str | None] = mapped_column(String(TENANT_LEN))
    user_id: Mapped[str | None] = mapped_column(String(64))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    image_hash: Mapped[str | None] = mapped_column(String(SHA256_LEN))
    image_size: Mapped[int | None] = mapped_column(Integer)
    success: Mapped[bool] = mapped_column(Boolean, default=True)
    category: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Double)
    from_cache: Mapped[bool] = mapped_column(Boolean, default=False)
    inference_method: Mapped[str | None] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(128))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Double, default=0.0)
    processing_time_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaceGallery(Base):
    """A tenant's face gallery: its subjects' face vectors, all from one model.

    ``revision`` grows on every change of the gallery's faces, so a server process can tell
    whether its in-memory search index is behind the database.
    """

    __tablename__ = "face_galleries"
    __table_args__ = (UniqueConstraint("tenant", "name"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_LEN))
    name: Mapped[str] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(128))
    feature_dim: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[float | None] = mapped_column(Double)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaceSubject(Base):
    """A person enrolled in a gallery."""

    __tablename__ = "face_subjects"
    __table_args__ = (UniqueConstraint("gallery_id", "name"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gallery_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("face_galleries.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Face(Base):
    """One enrolled face: its unit feature vector (float32 bytes) and where it came from."""

    __tablename__ = "faces"
    __table_args__ = (Index(None, "gallery_id"), Index(None, "subject_id"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gallery_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("face_galleries.id", ondelete="CASCADE")
    )
    subject_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("face_subjects.id", ondelete="CASCADE")
    )
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    image_sha256: Mapped[str] = mapped_column(String(SHA256_LEN))
    image_name: Mapped[str | None] = mapped_column(String(255))
    box: Mapped[list[float]] = mapped_column(JSON)
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UsageCounter(Base):
    """A named counter per UTC day: seed 000's download counts and location queries.

    ``name`` is e.g. ``download:android`` or ``location:nearest``; ``day`` is ``YYYY-MM-DD``
    (UTC). Totals are sums over days.
    """

    __tablename__ = "usage_counters"
    __table_args__ = (UniqueConstraint("name", "day"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10))
    count: Mapped[int] = mapped_column(BigInteger, default=0)
