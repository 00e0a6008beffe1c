"""Face galleries under ``/api/v1/galleries``: create, enrol, list, delete, identify, verify.

Everything is per tenant: another tenant's gallery answers 404 exactly like a gallery that does
not exist. Errors are Argus's ``{"error": {"code", "message"}}``; an image without a qualified
face is a 422 ``no_qualified_face`` whose message names the failed check. ``strict=false`` on
enrol, identify and verify uses a face that fails a quality check instead of refusing it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile

from argus.api.auth import principal
from argus.api.deps import AppSettings, Galleries, Tenant
from argus.api.schemas.faces import (
    EnrolOut,
    FaceOut,
    GalleryIn,
    GalleryList,
    GalleryOut,
    GalleryPatch,
    IdentifyOut,
    MatchOut,
    Rejected,
    SubjectDetail,
    SubjectList,
    SubjectOut,
    VerifyOut,
)
from argus.api.uploads import read_bounded
from argus.config import Settings
from argus.config.units import mb_to_bytes
from argus.errors import NotFound, PayloadTooLarge, ValidationFailed
from argus.store import galleries as store
from argus.store.tables import Face, FaceGallery
from argus.timing import span

if TYPE_CHECKING:
    from argus.imaging import Picture
    from argus.pipelines.galleries import Enrolment, GalleryService


router = APIRouter(
    prefix="/api/v1/galleries", tags=["face galleries"], dependencies=[Depends(principal)]
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such gallery, subject or face (or another tenant's)"},
    409: {"description": "The gallery exists, or its face model is not installed"},
    413: {"description": "An image or the number of images is over the limit"},
    422: {"description": "Malformed request, or no qualified face (the failed check named)"},
}


Strict = Annotated[
    bool | None,
    Query(description="false: use faces that fail a quality check; default faces.strict."),
]
Images = Annotated[list[UploadFile], File(description="One or more face images.")]


async def read_picture(upload: UploadFile, settings: Settings) -> Picture:
    """Read an upload up to the byte limit (one byte more makes decode answer 413), decode it."""
    from argus.imaging import decode

    data = await read_bounded(upload, mb_to_bytes(settings.imaging.max_image_mb))
    with span("decode"):
        return await asyncio.to_thread(decode, data, settings.imaging)


def _gallery_out(
    service: GalleryService, g: FaceGallery, counts: store.GalleryCounts | None = None
) -> GalleryOut:
    return GalleryOut(
        name=g.name,
        model=g.model,
        feature_dim=g.feature_dim,
        threshold=service.threshold_of(g),
        threshold_is_default=g.threshold is None,
        subjects=counts.subjects if counts else None,
        faces=counts.faces if counts else None,
        created_at=g.created_at,
    )


def _face_out(f: Face) -> FaceOut:
    return FaceOut(
        id=f.id,
        image_name=f.image_name,
        image_sha256=f.image_sha256,
        box=list(f.box),
        created_at=f.created_at,
    )


def _enrol_out(result: Enrolment) -> EnrolOut:
    return EnrolOut(
        subject=result.subject.name,
        added=[_face_out(f) for f in result.faces],
        rejected=[
            Rejected(image=name, message=exc.message, failed_checks=exc.failed)
            for name, exc in result.rejected
        ],
    )


@router.post("", status_code=201, response_model=GalleryOut, responses=_ERRORS)
async def create_gallery(body: GalleryIn, tenant: Tenant, service: Galleries) -> GalleryOut:
    """A new, empty gallery using ``model`` (default the active face model)."""
    row = await service.create(tenant, body.name, threshold=body.threshold, model=body.model)
    return _gallery_out(service, row, store.GalleryCounts(row, 0, 0))


@router.get("", response_model=GalleryList)
async def list_galleries(tenant: Tenant, service: Galleries) -> GalleryList:
    rows = await store.list_galleries(service.db, tenant=tenant)
    return GalleryList(galleries=[_gallery_out(service, c.gallery, c) for c in rows])


@router.get("/{gallery}", response_model=GalleryOut, responses=_ERRORS)
async def get_gallery(gallery: str, tenant: Tenant, service: Galleries) -> GalleryOut:
    rows = await store.list_galleries(service.db, tenant=tenant)
    found = next((c for c in rows if c.gallery.name == gallery), None)
    if found is None:
        raise NotFound(f"No gallery named '{gallery}'.")
    return _gallery_out(service, found.gallery, found)


@router.patch("/{gallery}", response_model=GalleryOut, responses=_ERRORS)
async def update_gallery(
    gallery: str, body: GalleryPatch, tenant: Tenant, service: Galleries
) -> GalleryOut:
    """Set the gallery's threshold (null: back to the model's default)."""
    row = await service.get(tenant, gallery)
    await store.set_threshold(service.db, gallery_id=row.id, threshold=body.threshold)
    row.threshold = body.threshold
    return _gallery_out(service, row)


@router.delete("/{gallery}", status_code=204, responses=_ERRORS)
async def delete_gallery(gallery: str, tenant: Tenant, service: Galleries) -> Response:
    await service.delete(tenant, gallery)
    return Response(status_code=204)


async def _pictures(
    images: list[UploadFile], settings: Settings
) -> list[tuple[str | None, Picture]]:
    if not images:
        raise ValidationFailed("images: send at least one image")
    if len(images) > settings.faces.max_images_per_request:
        raise PayloadTooLarge(
            f"{len(images)} images; at most {settings.faces.max_images_per_request} per request"
        )
    return [(u.filename, await read_picture(u, settings)) for u in images]


@router.post("/{gallery}/subjects", status_code=201, response_model=EnrolOut, responses=_ERRORS)
async def enrol_subject(
    gallery: str,
    tenant: Tenant,
    settings: AppSettings,
    service: Galleries,
    name: Annotated[str, Form(description="Subject name (created if new).")],
    images: Images,
    strict: Strict = None,
) -> EnrolOut:
    """Enrol a subject (or add to one) from one or more images: one face per image."""
    await service.get(tenant, gallery)  # 404 before any decoding
    pictures = await _pictures(images, settings)
    result = await service.enrol(tenant, gallery, name, pictures, strict=strict)
    return _enrol_out(result)


@router.get("/{gallery}/subjects", response_model=SubjectList, responses=_ERRORS)
async def list_subjects(gallery: str, tenant: Tenant, service: Galleries) -> SubjectList:
    row = await service.get(tenant, gallery)
    subjects = await store.list_subjects(service.db, gallery_id=row.id)
    return SubjectList(
        subjects=[SubjectOut(name=s.name, faces=n, created_at=s.created_at) for s, n in subjects]
    )


@router.get("/{gallery}/subjects/{subject}", response_model=SubjectDetail, responses=_ERRORS)
async def get_subject(
    gallery: str, subject: str, tenant: Tenant, service: Galleries
) -> SubjectDetail:
    row = await service.get(tenant, gallery)
    found = await store.get_subject(service.db, gallery_id=row.id, name=subject)
    if found is None:
        raise NotFound(f"No subject named '{subject}' in gallery '{gallery}'.")
    s, faces = found
    return SubjectDetail(
        name=s.name,
        faces=len(faces),
        created_at=s.created_at,
        face_list=[_face_out(f) for f in faces],
    )


@router.delete("/{gallery}/subjects/{subject}", status_code=204, responses=_ERRORS)
async def delete_subject(
    gallery: str, subject: str, tenant: Tenant, service: Galleries
) -> Response:
    await service.delete_subject(tenant, gallery, subject)
    return Response(status_code=204)


@router.post(
    "/{gallery}/subjects/{subject}/faces",
    status_code=201,
    response_model=EnrolOut,
    responses=_ERRORS,
)
async def add_faces(
    gallery: str,
    subject: str,
    tenant: Tenant,
    settings: AppSettings,
    service: Galleries,
    images: Images,
    strict: Strict = None,
) -> EnrolOut:
    """More faces for an existing subject."""
    await service.get(tenant, gallery)  # 404 before any decoding
    pictures = await _pictures(images, settings)
    result = await service.enrol(tenant, gallery, subject, pictures, create=False, strict=strict)
    return _enrol_out(result)


@router.delete("/{gallery}/subjects/{subject}/faces/{face_id}", status_code=204, responses=_ERRORS)
async def delete_face(
    gallery: str, subject: str, face_id: int, tenant: Tenant, service: Galleries
) -> Response:
    await service.delete_face(tenant, gallery, subject, face_id)
    return Response(status_code=204)


@router.post("/{gallery}/identify", response_model=IdentifyOut, responses=_ERRORS)
async def identify(
    gallery: str,
    tenant: Tenant,
    settings: AppSettings,
    service: Galleries,
    image: Annotated[UploadFile, File(description="Image whose largest face is identified.")],
    top_k: Annotated[int | None, Query(ge=1, le=100, description="Matches returned.")] = None,
    strict: Strict = None,
) -> IdentifyOut:
    """1:N: the subjects most similar to the largest face; ``unknown`` below the threshold."""
    await service.get(tenant, gallery)  # 404 before any decoding
    picture = await read_picture(image, settings)
    found = await service.identify(tenant, gallery, picture, top_k=top_k, strict=strict)
    return IdentifyOut(
        subject=found.subject,
        identified=found.identified,
        similarity=found.similarity,
        threshold=found.threshold,
        matches=[
            MatchOut(subject=m.subject, similarity=m.similarity, face_id=m.face_id)
            for m in found.matches
        ],
        model=found.face.model,
        face=found.face.summary(),
    )


@router.post("/{gallery}/subjects/{subject}/verify", response_model=VerifyOut, responses=_ERRORS)
async def verify(
    gallery: str,
    subject: str,
    tenant: Tenant,
    settings: AppSettings,
    service: Galleries,
    image: Annotated[UploadFile, File(description="Image whose largest face is checked.")],
    strict: Strict = None,
) -> VerifyOut:
    """1:1: is the largest face this subject? (best similarity over the subject's faces)."""
    await service.get(tenant, gallery)  # 404 before any decoding
    picture = await read_picture(image, settings)
    result = await service.verify(tenant, gallery, subject, picture, strict=strict)
    return VerifyOut(
        subject=result.subject,
        similarity=result.similarity,
        is_same_person=result.is_same_person,
        threshold=result.threshold,
        model=result.face.model,
        face=result.face.summary(),
    )
