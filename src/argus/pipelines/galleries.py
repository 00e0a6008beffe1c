"""Face galleries: enrol subjects from images, identify 1:N, verify 1:1, per tenant.

A gallery is created with the active face model and keeps it: every vector in it comes from that
model, and queries against it are embedded with it too (a gallery made with dlib keeps working
after an ArcFace model becomes the default). Its threshold is the gallery's own when set, else
``faces.threshold``, else the model's calibrated default. Identification searches the gallery's
:class:`~argus.pipelines.vector_index.IndexRegistry` entry (rebuilt from the database when its
revision is behind), keeps each subject's best face and answers ``unknown`` when no subject
reaches the threshold. Model work runs in worker threads; SQL goes through
:mod:`argus.store.galleries`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from argus.config import FaceSettings
from argus.errors import GalleryExists, NoQualifiedFace, NotFound, ValidationFailed
from argus.imaging import Picture
from argus.pipelines.faces import FaceFeature, FacePipeline
from argus.pipelines.vector_index import IndexRegistry
from argus.store import galleries as store
from argus.store.db import Database
from argus.store.tables import Face, FaceGallery, FaceSubject

UNKNOWN = "unknown"
_GALLERY_NAME = re.compile(r"^[\w.-]{1,128}$")


@dataclass(frozen=True)
class Match:
    subject: str
    similarity: float
    face_id: int


@dataclass(frozen=True)
class Identification:
    subject: str
    identified: bool
    similarity: float | None
    threshold: float
    matches: list[Match]
    face: FaceFeature


@dataclass(frozen=True)
class Verification:
    subject: str
    similarity: float
    is_same_person: bool
    threshold: float
    face: FaceFeature


@dataclass
class Enrolment:
    subject: FaceSubject
    faces: list[Face]
    rejected: list[tuple[str, NoQualifiedFace]] = field(default_factory=list)


def check_gallery_name(name: str) -> str:
    if not _GALLERY_NAME.match(name):
        raise ValidationFailed(
            "gallery name: 1-128 letters, digits, '_', '.' or '-' (no spaces or slashes)"
        )
    return name


def check_subject_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 255 or "/" in name:
        raise ValidationFailed("subject name: 1-255 characters, no '/'")
    if name.lower() == UNKNOWN:
        raise ValidationFailed(f"subject name: '{UNKNOWN}' is reserved for unidentified faces")
    return name


class GalleryService:
    """Galleries of one database, with one search index per gallery kept in memory."""

    def __init__(
        self, db: Database, pipeline: FacePipeline, registry: IndexRegistry, cfg: FaceSettings
    ) -> None:
        self.db = db
        self.pipeline = pipeline
        self.registry = registry
        self.cfg = cfg

    async def rebuild_all(self) -> int:
        """Build every gallery's index from the database; returns the number of faces."""
        total = 0
        for gallery in await store.all_galleries(self.db):
            total += await self._rebuild(gallery)
        return total

    async def _rebuild(self, gallery: FaceGallery) -> int:
        revision, faces = await store.gallery_faces(self.db, gallery_id=gallery.id)
        await asyncio.to_thread(
            self.registry.build, gallery.id, revision, gallery.feature_dim, faces
        )
        return len(faces)

    async def _fresh_index(self, gallery: FaceGallery) -> None:
        revision = await store.revision(self.db, gallery_id=gallery.id)
        if revision is None:
            raise NotFound(f"Gallery '{gallery.name}' was deleted.")
        if not self.registry.fresh(gallery.id, revision):
            await self._rebuild(gallery)

    def threshold_of(self, gallery: FaceGallery) -> float:
        if gallery.threshold is not None:
            return gallery.threshold
        return self.pipeline.threshold(gallery.model)

    async def create(
        self, tenant: str, name: str, *, threshold: float | None, model: str | None
    ) -> FaceGallery:
        check_gallery_name(name)
        info = await asyncio.to_thread(self.pipeline.model_info, model)
        row = await store.create_gallery(
            self.db,
            tenant=tenant,
            name=name,
            model=info.name,
            feature_dim=info.dim,
            threshold=threshold,
        )
        if row is None:
            raise GalleryExists(f"Gallery '{name}' already exists.")
        self.registry.build(row.id, row.revision, row.feature_dim, [])
        return row

    async def get(self, tenant: str, name: str) -> FaceGallery:
        row = await store.get_gallery(self.db, tenant=tenant, name=name)
        if row is None:
            raise NotFound(f"No gallery named '{name}'.")
        return row

    async def delete(self, tenant: str, name: str) -> None:
        gallery = await self.get(tenant, name)
        await store.delete_gallery(self.db, gallery_id=gallery.id)
        self.registry.drop(gallery.id)

    async def _features(
        self, gallery: FaceGallery, pictures: Sequence[Picture], strict: bool | None
    ) -> list[FaceFeature | NoQualifiedFace]:
        images = [p.pixels for p in pictures]
        return await asyncio.to_thread(
            self.pipeline.extract_many, images, model=gallery.model, strict=strict
        )

    async def enrol(
        self,
        tenant: str,
        gallery_name: str,
        subject: str,
        images: Sequence[tuple[str | None, Picture]],
        *,
        create: bool = True,
        strict: bool | None = None,
    ) -> Enrolment:
        """Add one face per image to ``subject``; images without a qualified face are
        rejected (all rejected: :class:`NoQualifiedFace`)."""
        subject = check_subject_name(subject)
        gallery = await self.get(tenant, gallery_name)
        features = await self._features(gallery, [p for _, p in images], strict)
        new: list[store.NewFace] = []
        rejected: list[tuple[str, NoQualifiedFace]] = []
        for (name, picture), feature in zip(images, features, strict=True):
            label = name or picture.sha256[:12]
            if isinstance(feature, NoQualifiedFace):
                rejected.append((label, feature))
                continue
            new.append(
                store.NewFace(
                    vector=feature.vector,
                    image_sha256=picture.sha256,
                    image_name=name,
                    box=[round(v, 1) for v in feature.box],
                    quality=feature.quality.to_dict(),
                )
            )
        if not new:
            reasons = "; ".join(f"{n}: {e.message}" for n, e in rejected)
            raise NoQualifiedFace(
                f"No image had a qualified face ({reasons})", rejected[0][1].quality
            )
        result = await store.add_faces(
            self.db, gallery_id=gallery.id, subject=subject, faces=new, create=create
        )
        if result is None:
            raise NotFound(f"No subject named '{subject}' in gallery '{gallery.name}'.")
        row, faces, revision = result
        added = [(f.id, subject, nf.vector) for f, nf in zip(faces, new, strict=True)]
        self.registry.added(gallery.id, revision, added)
        return Enrolment(row, faces, rejected)

    async def delete_subject(self, tenant: str, gallery_name: str, subject: str) -> None:
        gallery = await self.get(tenant, gallery_name)
        result = await store.delete_subject(self.db, gallery_id=gallery.id, name=subject)
        if result is None:
            raise NotFound(f"No subject named '{subject}' in gallery '{gallery.name}'.")
        ids, revision = result
        self.registry.removed(gallery.id, revision, ids)

    async def delete_face(self, tenant: str, gallery_name: str, subject: str, face_id: int) -> None:
        gallery = await self.get(tenant, gallery_name)
        revision = await store.delete_face(
            self.db, gallery_id=gallery.id, subject=subject, face_id=face_id
        )
        if revision is None:
            raise NotFound(f"Subject '{subject}' has no face {face_id}.")
        self.registry.removed(gallery.id, revision, [face_id])

    async def identify(
        self,
        tenant: str,
        gallery_name: str,
        picture: Picture,
        *,
        top_k: int | None = None,
        strict: bool | None = None,
    ) -> Identification:
        """The best subjects for the largest face of ``picture``, ``unknown`` below threshold."""
        gallery = await self.get(tenant, gallery_name)
        (feature,) = await self._features(gallery, [picture], strict)
        if isinstance(feature, NoQualifiedFace):
            raise feature
        await self._fresh_index(gallery)
        top_k = max(1, top_k or self.cfg.identify_top_k)
        size = self.registry.size(gallery.id)
        hits = await asyncio.to_thread(
            self.registry.search, gallery.id, feature.vector, min(size, max(50, top_k * 10))
        )
        best: dict[str, Match] = {}
        for face_id, subject, similarity in hits:  # best first: the first per subject wins
            best.setdefault(subject, Match(subject, round(similarity, 4), face_id))
        matches = sorted(best.values(), key=lambda m: -m.similarity)[:top_k]
        threshold = self.threshold_of(gallery)
        top = matches[0] if matches else None
        known = top is not None and top.similarity >= threshold
        return Identification(
            subject=top.subject if known and top is not None else UNKNOWN,
            identified=known,
            similarity=top.similarity if top is not None else None,
            threshold=threshold,
            matches=matches,
            face=feature,
        )

    async def verify(
        self,
        tenant: str,
        gallery_name: str,
        subject: str,
        picture: Picture,
        *,
        strict: bool | None = None,
    ) -> Verification:
        """1:1: the best similarity between the picture's face and the subject's faces."""
        gallery = await self.get(tenant, gallery_name)
        found = await store.get_subject(self.db, gallery_id=gallery.id, name=subject)
        if found is None:
            raise NotFound(f"No subject named '{subject}' in gallery '{gallery.name}'.")
        _, faces = found
        (feature,) = await self._features(gallery, [picture], strict)
        if isinstance(feature, NoQualifiedFace):
            raise feature
        vectors = np.stack([store.from_bytes(f.vector) for f in faces]) if faces else None
        similarity = float(np.max(vectors @ feature.vector)) if vectors is not None else -1.0
        threshold = self.threshold_of(gallery)
        return Verification(
            subject=subject,
            similarity=round(similarity, 4),
            is_same_person=similarity >= threshold,
            threshold=threshold,
            face=feature,
        )
