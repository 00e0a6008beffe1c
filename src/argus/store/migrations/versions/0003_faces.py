"""Face galleries: face_galleries, face_subjects and faces (vectors as float32 bytes).

Revision ID: 0003_faces
Revises: 0002_classify
Create Date: 2026-11-21 07:55:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0003_faces"
down_revision: str | Sequence[str] | None = "0002_classify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column[int]:
    return sa.Column("id", _big_id(), primary_key=True, autoincrement=True)


def _ts() -> sa.types.TypeEngine[datetime]:
    """Naive UTC with microseconds (MySQL's DATETIME would drop them)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "face_galleries",
        _id(),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("feature_dim", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_galleries")),
        sa.UniqueConstraint("tenant", "name", name=op.f("uq_face_galleries_tenant_name")),
        **MYSQL,
    )
    op.create_table(
        "face_subjects",
        _id(),
        sa.Column("gallery_id", _big_id(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["gallery_id"],
            ["face_galleries.id"],
            name=op.f("fk_face_subjects_gallery_id_face_galleries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_subjects")),
        sa.UniqueConstraint("gallery_id", "name", name=op.f("uq_face_subjects_gallery_id_name")),
        **MYSQL,
    )
    op.create_table(
        "faces",
        _id(),
        sa.Column("gallery_id", _big_id(), nullable=False),
        sa.Column("subject_id", _big_id(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("image_sha256", sa.String(64), nullable=False),
        sa.Column("image_name", sa.String(255), nullable=True),
        sa.Column("box", sa.JSON(), nullable=False),
        sa.Column("quality", sa.JSON(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["gallery_id"],
            ["face_galleries.id"],
            name=op.f("fk_faces_gallery_id_face_galleries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["face_subjects.id"],
            name=op.f("fk_faces_subject_id_face_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faces")),
        **MYSQL,
    )
    op.create_index(op.f("ix_faces_gallery_id"), "faces", ["gallery_id"])
    op.create_index(op.f("ix_faces_subject_id"), "faces", ["subject_id"])


def downgrade() -> None:
    op.drop_table("faces")  # its indexes go with it (MySQL refuses to drop FK indexes first)
    op.drop_table("face_subjects")
    op.drop_table("face_galleries")
