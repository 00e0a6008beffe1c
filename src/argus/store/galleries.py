"""Face galleries, subjects and faces: the only SQL behind identification.

A gallery belongs to one tenant and is addressed by ``(tenant, name)``; every query below takes
the tenant or a gallery id obtained through it, so one tenant never reaches another's rows.
Vectors are stored as little-endian float32 bytes. Every change of a gallery's faces bumps its
``revision`` in the same transaction (see :class:`argus.pipelines.vector_index.IndexRegistry`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from argus.store.db import Database
from argus.store.tables import Face, FaceGallery, FaceSubject, utcnow

if TYPE_CHECKING:  # NumPy is imported by the code that packs and unpacks vectors
    import numpy.typing as npt

    from argus.arrays import Float32Array


def to_bytes(vector: npt.ArrayLike) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> Float32Array:
    import numpy as np

    return np.frombuffer(data, dtype="<f4").astype(np.float32)


@dataclass(frozen=True)
class NewFace:
    """A face to enrol: its vector and provenance."""

    vector: Float32Array
    image_sha256: str
    image_name: str | None
    box: list[float]
    quality: dict[str, Any] | None


@dataclass(frozen=True)
class GalleryCounts:
    gallery: FaceGallery
    subjects: int
    faces: int


async def create_gallery(
    db: Database,
    *,
    tenant: str,
    name: str,
    model: str,
    feature_dim: int,
    threshold: float | None,
) -> FaceGallery | None:
    """A new gallery, or None when the tenant already has one of that name."""
    row = FaceGallery(
        tenant=tenant,
        name=name,
        model=model,
        feature_dim=feature_dim,
        threshold=threshold,
        revision=0,
        created_at=utcnow(),
    )
    try:
        async with db.session() as session, session.begin():
            session.add(row)
    except IntegrityError:
        return None
    return row


async def get_gallery(db: Database, *, tenant: str, name: str) -> FaceGallery | None:
    async with db.session() as session:
        return await session.scalar(
            select(FaceGallery).where(FaceGallery.tenant == tenant, FaceGallery.name == name)
        )


async def revision(db: Database, *, gallery_id: int) -> int | None:
    async with db.session() as session:
        return await session.scalar(
            select(FaceGallery.revision).where(FaceGallery.id == gallery_id)
        )


async def list_galleries(db: Database, *, tenant: str) -> list[GalleryCounts]:
    """The tenant's galleries by name, with subject and face counts."""
    subjects = (
        select(func.count(FaceSubject.id))
        .where(FaceSubject.gallery_id == FaceGallery.id)
        .scalar_subquery()
    )
    faces = select(func.count(Face.id)).where(Face.gallery_id == FaceGallery.id).scalar_subquery()
    query = (
        select(FaceGallery, subjects, faces)
        .where(FaceGallery.tenant == tenant)
        .order_by(FaceGallery.name)
    )
    async with db.session() as session:
        rows = (await session.execute(query)).all()
    return [GalleryCounts(g, int(s), int(f)) for g, s, f in rows]


async def all_galleries(db: Database) -> list[FaceGallery]:
    """Every gallery of every tenant (to build the search indexes at start-up)."""
    async with db.session() as session:
        return list((await session.scalars(select(FaceGallery).order_by(FaceGallery.id))).all())


async def set_threshold(db: Database, *, gallery_id: int, threshold: float | None) -> None:
    async with db.session() as session, session.begin():
        await session.execute(
            update(FaceGallery).where(FaceGallery.id == gallery_id).values(threshold=threshold)
        )


async def delete_gallery(db: Database, *, gallery_id: int) -> None:
    """The gallery with its subjects and faces."""
    async with db.session() as session, session.begin():
        await session.execute(delete(Face).where(Face.gallery_id == gallery_id))
        await session.execute(delete(FaceSubject).where(FaceSubject.gallery_id == gallery_id))
        await session.execute(delete(FaceGallery).where(FaceGallery.id == gallery_id))


async def gallery_faces(
    db: Database, *, gallery_id: int
) -> tuple[int, list[tuple[int, str, Float32Array]]]:
    """The gallery's revision and every ``(face_id, subject name, vector)``, read together."""
    query = (
        select(Face.id, FaceSubject.name, Face.vector)
        .join(FaceSubject, FaceSubject.id == Face.subject_id)
        .where(Face.gallery_id == gallery_id)
        .order_by(Face.id)
    )
    async with db.session() as session, session.begin():
        rev = await session.scalar(select(FaceGallery.revision).where(FaceGallery.id == gallery_id))
        rows = (await session.execute(query)).all()
    return int(rev or 0), [(int(i), str(n), from_bytes(v)) for i, n, v in rows]


async def _bump(session: AsyncSession, gallery_id: int) -> int:
    await session.execute(
        update(FaceGallery)
        .where(FaceGallery.id == gallery_id)
        .values(revision=FaceGallery.revision + 1)
    )
    rev = await session.scalar(select(FaceGallery.revision).where(FaceGallery.id == gallery_id))
    return int(rev or 0)


async def add_faces(
    db: Database, *, gallery_id: int, subject: str, faces: Sequence[NewFace], create: bool
) -> tuple[FaceSubject, list[Face], int] | None:
    """Enrol ``faces`` for ``subject`` (created when ``create``); returns the subject, the new
    face rows and the gallery's new revision, or None when the subject does not exist."""
    async with db.session() as session, session.begin():
        row = await session.scalar(
            select(FaceSubject).where(
                FaceSubject.gallery_id == gallery_id, FaceSubject.name == subject
            )
        )
        if row is None:
            if not create:
                return None
            row = FaceSubject(gallery_id=gallery_id, name=subject, created_at=utcnow())
            session.add(row)
            await session.flush()
        added = [
            Face(
                gallery_id=gallery_id,
                subject_id=row.id,
                vector=to_bytes(f.vector),
                image_sha256=f.image_sha256,
                image_name=f.image_name,
                box=f.box,
                quality=f.quality,
                created_at=utcnow(),
            )
            for f in faces
        ]
        session.add_all(added)
        await session.flush()
        rev = await _bump(session, gallery_id)
    return row, added, rev


async def list_subjects(db: Database, *, gallery_id: int) -> list[tuple[FaceSubject, int]]:
    """Subjects by name with their face counts."""
    count = select(func.count(Face.id)).where(Face.subject_id == FaceSubject.id).scalar_subquery()
    query = (
        select(FaceSubject, count)
        .where(FaceSubject.gallery_id == gallery_id)
        .order_by(FaceSubject.name)
    )
    async with db.session() as session:
        return [(s, int(n)) for s, n in (await session.execute(query)).all()]


async def get_subject(
    db: Database, *, gallery_id: int, name: str
) -> tuple[FaceSubject, list[Face]] | None:
    async with db.session() as session:
        row = await session.scalar(
            select(FaceSubject).where(
                FaceSubject.gallery_id == gallery_id, FaceSubject.name == name
            )
        )
        if row is None:
            return None
        faces = (
            await session.scalars(select(Face).where(Face.subject_id == row.id).order_by(Face.id))
        ).all()
    return row, list(faces)


async def delete_subject(
    db: Database, *, gallery_id: int, name: str
) -> tuple[list[int], int] | None:
    """Delete a subject and its faces; returns their ids and the new revision (None: absent)."""
    async with db.session() as session, session.begin():
        row = await session.scalar(
            select(FaceSubject).where(
                FaceSubject.gallery_id == gallery_id, FaceSubject.name == name
            )
        )
        if row is None:
            return None
        ids = list((await session.scalars(select(Face.id).where(Face.subject_id == row.id))).all())
        await session.execute(delete(Face).where(Face.subject_id == row.id))
        await session.execute(delete(FaceSubject).where(FaceSubject.id == row.id))
        rev = await _bump(session, gallery_id)
    return [int(i) for i in ids], rev


async def delete_face(db: Database, *, gallery_id: int, subject: str, face_id: int) -> int | None:
    """Delete one face of a subject; returns the new revision (None: no such face there)."""
    async with db.session() as session, session.begin():
        face = await session.scalar(
            select(Face)
            .join(FaceSubject, FaceSubject.id == Face.subject_id)
            .where(
                Face.id == face_id,
                Face.gallery_id == gallery_id,
                FaceSubject.name == subject,
            )
        )
        if face is None:
            return None
        await session.execute(delete(Face).where(Face.id == face_id))
        return await _bump(session, gallery_id)
