"""Seed 000's per-image classification log: classify_requests.

Revision ID: 0002_classify
Revises: 0001
Create Date: 2026-11-21 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002_classify"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}
TABLE = "classify_requests"


def _ts() -> sa.types.TypeEngine[datetime]:
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("request_type", sa.String(32), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("ip_address", sa.String(45), nullable=True),
        sa.Column("image_hash", sa.String(64), nullable=True),
        sa.Column("image_size", sa.Integer(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(32), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("from_cache", sa.Boolean(), nullable=False),
        sa.Column("inference_method", sa.String(20), nullable=True),
        sa.Column("model", sa.String(128), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Double(), nullable=False),
        sa.Column("processing_time_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classify_requests")),
        **MYSQL,
    )
    op.create_index(op.f("ix_classify_requests_created_at"), TABLE, ["created_at"])
    op.create_index(
        op.f("ix_classify_requests_request_type_created_at"), TABLE, ["request_type", "created_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_classify_requests_request_type_created_at"), table_name=TABLE)
    op.drop_index(op.f("ix_classify_requests_created_at"), table_name=TABLE)
    op.drop_table(TABLE)
