"""job leases: a running job's lease, its last send (the outbox), the attempt of each item.

Revision ID: 0005_job_leases
Revises: 0004_usage_counters
Create Date: 2026-11-30 09:10:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005_job_leases"
down_revision: str | Sequence[str] | None = "0004_usage_counters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts() -> sa.types.TypeEngine[datetime]:
    """Naive UTC with microseconds (MySQL's DATETIME would drop them)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.add_column("jobs", sa.Column("lease_until", _ts(), nullable=True))
    op.add_column("jobs", sa.Column("sent_at", _ts(), nullable=True))
    op.create_index("ix_jobs_status_lease_until", "jobs", ["status", "lease_until"])
    op.add_column("job_items", sa.Column("attempt", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_items") as batch:
        batch.drop_column("attempt")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_status_lease_until")
        batch.drop_column("sent_at")
        batch.drop_column("lease_until")
