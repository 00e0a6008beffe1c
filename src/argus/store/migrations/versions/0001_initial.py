"""Initial schema: API keys, result cache, request log, jobs and job items.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _id() -> sa.Column[int]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def _ts() -> sa.types.TypeEngine[datetime]:
    """Naive UTC with microseconds (MySQL's DATETIME would drop them)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "api_keys",
        _id(),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("rate_limit_per_min", sa.Integer(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("last_used_at", _ts(), nullable=True),
        sa.Column("revoked_at", _ts(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        **MYSQL,
    )
    op.create_index(op.f("ix_api_keys_tenant"), "api_keys", ["tenant"])

    op.create_table(
        "result_cache",
        _id(),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("task", sa.String(64), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("options_hash", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("first_seen", _ts(), nullable=False),
        sa.Column("last_seen", _ts(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_cache")),
        sa.UniqueConstraint(
            "sha256",
            "task",
            "model",
            "model_version",
            "options_hash",
            name=op.f("uq_result_cache_sha256_task_model_model_version_options_hash"),
        ),
        **MYSQL,
    )
    op.create_index(op.f("ix_result_cache_last_seen"), "result_cache", ["last_seen"])

    op.create_table(
        "request_log",
        _id(),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=True),
        sa.Column("route", sa.String(255), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Double(), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_log")),
        **MYSQL,
    )
    op.create_index(op.f("ix_request_log_created_at"), "request_log", ["created_at"])
    op.create_index(op.f("ix_request_log_route_created_at"), "request_log", ["route", "created_at"])
    op.create_index(op.f("ix_request_log_request_id"), "request_log", ["request_id"])

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("started_at", _ts(), nullable=True),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        **MYSQL,
    )
    op.create_index(op.f("ix_jobs_tenant_created_at"), "jobs", ["tenant", "created_at"])
    op.create_index(op.f("ix_jobs_status_created_at"), "jobs", ["status", "created_at"])

    op.create_table(
        "job_items",
        _id(),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("input_name", sa.String(255), nullable=False),
        sa.Column("input_path", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", _ts(), nullable=True),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_items_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_items")),
        sa.UniqueConstraint("job_id", "index", name=op.f("uq_job_items_job_id_index")),
        **MYSQL,
    )


def downgrade() -> None:
    op.drop_table("job_items")
    op.drop_index(op.f("ix_jobs_status_created_at"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_tenant_created_at"), table_name="jobs")
    op.drop_table("jobs")
    op.drop_index(op.f("ix_request_log_request_id"), table_name="request_log")
    op.drop_index(op.f("ix_request_log_route_created_at"), table_name="request_log")
    op.drop_index(op.f("ix_request_log_created_at"), table_name="request_log")
    op.drop_table("request_log")
    op.drop_index(op.f("ix_result_cache_last_seen"), table_name="result_cache")
    op.drop_table("result_cache")
    op.drop_index(op.f("ix_api_keys_tenant"), table_name="api_keys")
    op.drop_table("api_keys")
