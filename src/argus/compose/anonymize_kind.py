"""The ``anonymize`` job kind: an adapter from the jobs protocol to the anonymize pipelines.

Each item is one stored image. The handler decodes it (an unreadable file fails that item only;
a job whose items all failed ends ``failed``, as seed 002's task did), hides plates and/or faces
(:mod:`argus.pipelines.anonymize`) and stores ``covered_<stem>.webp`` as an output file of the
job; the blob store never overwrites, so two inputs with the same stem give
``covered_photo.webp`` and ``covered_photo-1.webp``. The item's output is
``{"filename", "width", "height", "targets", "detections"}``.

An item whose bytes are a video (MP4/MOV, WebM/Matroska, AVI) goes through
:func:`argus.pipelines.anonymize_video.anonymize_video` instead: copied to a temporary file under
``<data_dir>/tmp`` (the stored input stays until the TTL), anonymized frame by frame with the
item's progress reported per frame and cancellation honoured between frames, stored as
``covered_<stem>.mp4``; its output adds ``"kind": "video"`` and ``"video"`` (frames, fps,
duration, audio, regions hidden by how they were found, and every track) and its
``detections`` stay empty (there is one set per frame).

Seed 002's result URLs and completion callbacks (the kind's finish hook) are in
:mod:`argus.api.seeds.anonymize`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from argus.api.seeds.anonymize import seed_callbacks
from argus.imaging.decode import decode
from argus.imaging.encode import OutputFormat, encode
from argus.imaging.transcode import looks_like_video
from argus.jobs.registry import ItemContext, JobInput, JobKind, parse_options
from argus.models.plates import user_model
from argus.models.pool import ModelPool
from argus.pipelines.anonymize import AnonymizeOptions, anonymize, face_model, result_name
from argus.pipelines.anonymize_video import anonymize_video, video_result_name
from argus.timing import span

KIND = "anonymize"

_FORMATS: dict[str, OutputFormat] = {"webp": "WEBP", "jpeg": "JPEG", "png": "PNG"}


def validate(options: Mapping[str, Any], pool: ModelPool) -> dict[str, Any]:
    """Parsed options; the plate model must be readable when plates are a target (503)."""
    parsed = parse_options(AnonymizeOptions, options)
    assert isinstance(parsed, AnonymizeOptions)
    settings = pool.settings.anonymize
    if parsed.targets in ("plates", "both") and settings.plate_model is not None:
        user_model(pool, settings)
    if parsed.targets in ("faces", "both"):
        face_model(pool, pool.settings)  # UnknownModel / ModelNotInstalled up front
    return parsed.model_dump()


def handle(ctx: ItemContext, item: JobInput, options: Mapping[str, Any]) -> dict[str, Any]:
    """Anonymize one stored image and store the result; its name and what was hidden."""
    parsed = AnonymizeOptions.model_validate(dict(options))
    if looks_like_video(item.data[:4096]) and not parsed.seed_callbacks:  # seed 002: images
        return handle_video(ctx, item, parsed)
    with span("decode"):
        picture = decode(item.data, ctx.settings.imaging)  # 400/413/415 fail this item only
    done = anonymize(ctx.pool, ctx.settings, picture.pixels, parsed)
    data = encode(done.image, _FORMATS[parsed.format], quality=ctx.settings.anonymize.webp_quality)
    saved = ctx.save_output(result_name(item.name, parsed.format), data)
    return {
        "filename": saved,
        "width": picture.width,
        "height": picture.height,
        "targets": parsed.targets,
        "detections": done.detections.to_list(),
    }


def handle_video(ctx: ItemContext, item: JobInput, options: AnonymizeOptions) -> dict[str, Any]:
    """Anonymize one stored video (see the module docstring) and store ``covered_<stem>.mp4``."""
    folder = ctx.settings.data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    fd, src = tempfile.mkstemp(prefix="anon-in-", suffix=Path(item.name).suffix, dir=folder)
    dst = Path(src).with_name(Path(src).name.replace("anon-in-", "anon-out-") + ".mp4")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(item.data)
        done = anonymize_video(
            ctx.pool,
            ctx.settings,
            src,
            dst,
            options,
            progress=ctx.progress,
            stopped=ctx.stopped,
        )
        saved = ctx.save_output(video_result_name(item.name), dst.read_bytes())
    finally:
        Path(src).unlink(missing_ok=True)
        dst.unlink(missing_ok=True)
    return {
        "filename": saved,
        "kind": "video",
        "width": done.width,
        "height": done.height,
        "targets": options.targets,
        "video": done.to_dict(),
        "detections": [],
    }


def job_kind() -> JobKind:
    return JobKind(
        name=KIND,
        description="Hide licence plates and/or faces in each image or video (cover, blur, "
        "pixelate or solid); results as covered_<stem>.webp (videos: .mp4, tracked, audio "
        "kept) output files.",
        handler=handle,
        validate=validate,
        on_finish=seed_callbacks,
    )
