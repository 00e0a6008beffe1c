"""Settings of seed 002's anonymization, and the seed's own environment names."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, model_validator

from argus.config.units import mb_to_bytes


def _seed_002_env(data: Any) -> Any:
    """Seed 002's environment names fill the fields not set the Argus way (environment only)."""
    if not isinstance(data, dict):
        return data
    env = os.environ
    data = dict(data)
    names = {
        "COVER_IMAGE_PATH": "cover_image_path",
        "BACKEND_CALLBACK_URL": "callback_url",
        "BACKEND_UPLOAD_URL": "upload_url",
        "MAX_REQUEST_SIZE_MB": "max_request_mb",
        "MAX_FILES_PER_REQUEST": "max_files",
        "MAX_FILE_SIZE_BYTES": "max_file_bytes",
        "PROCESSING_BATCH_SIZE": "batch_size",
    }
    for name, field in names.items():
        if env.get(name) and field not in data:
            data[field] = env[name]
    model = env.get("MODEL_PATH", "")
    if model and "plate_model" not in data:  # the seed's best.pt, exported next to it as .onnx
        data["plate_model"] = model[:-3] + ".onnx" if model.endswith(".pt") else model
    mimes = env.get("ALLOWED_MIME_TYPES", "").strip()
    if mimes and "allowed_mime_types" not in data:
        data["allowed_mime_types"] = [
            m.strip(" \"'") for m in mimes.strip("[]").split(",") if m.strip(" \"'")
        ]
    return data


class AnonymizeSettings(BaseModel):
    """Licence-plate and face anonymization (seed 002's ``/api/v1/process-task/``).

    Seed 002's variables work too when the Argus ones are not set: ``COVER_IMAGE_PATH``,
    ``BACKEND_CALLBACK_URL``, ``BACKEND_UPLOAD_URL``, ``MAX_REQUEST_SIZE_MB``,
    ``MAX_FILES_PER_REQUEST``, ``MAX_FILE_SIZE_BYTES``, ``ALLOWED_MIME_TYPES``,
    ``PROCESSING_BATCH_SIZE`` and ``MODEL_PATH`` (a ``.pt`` path means the ``.onnx`` exported
    next to it); ``TASK_STORAGE_TTL_HOURS`` sets ``blobs.ttl_h``. Environment only, not ``.env``.
    """

    plate_model: Path | None = Field(
        None,
        description="A YOLOv8 or YOLOv8-OBB plate detector exported to ONNX (yolo export "
        "format=onnx); none: the built-in detector (Haar cascade + PP-OCRv4 text detection).",
    )
    plate_score: float = Field(0.25, description="Least YOLO confidence of a plate box (0-1).")
    plate_iou: float = Field(0.45, description="IoU above which YOLO boxes are merged (NMS).")
    plate_ocr: bool = Field(
        True,
        description="Built-in detector: run PP-OCRv4 to confirm cascade hits and find "
        "plate-like text it missed (0.3-1.2 s per image); false keeps the cascade alone.",
    )
    plate_margin: float = Field(
        0.12,
        description="Built-in detector: text lines are grown by this fraction of their height "
        "on each side to reach the plate's border.",
    )
    plate_aspect: float = Field(
        7.5,
        description="Built-in detector: a plate-like text line is widened to at least this "
        "many times its height, by the shortfall on both sides (a Russian plate is about 7.5 "
        "text heights wide, an EU plate about 7), so plate parts OCR did not read as plate "
        "text (a region code, a country strip) are covered too; 0 covers the text only.",
    )
    face_model: str = Field(
        "centerface",
        description="Face detector (catalog name): CenterFace finds small, turned and blurred "
        "faces that dlib-hog-face (frontal faces over ~40 px) misses.",
    )
    face_expand: float = Field(
        1.3, description="Face boxes are grown by this factor (hair, ears, chin) before redaction."
    )
    video_face_model: str = Field(
        "centerface",
        description="Face detector of video anonymization (catalog name: any model returning "
        "face Detections, e.g. dlib-hog-face).",
    )
    video_hold_frames: int = Field(
        8,
        ge=0,
        le=120,
        description="Video: a tracked region is interpolated across detection gaps of up to this "
        "many frames and kept this many frames after its last and before its first detection "
        "(also the look-ahead window, in frames held in memory).",
    )
    video_plate_ocr: bool = Field(
        False,
        description="Video with the built-in plate detector: confirm cascade hits with PP-OCRv4 "
        "on every frame (0.3-1.2 s per frame); false keeps the cascade alone.",
    )
    video_workers: int = Field(
        1,
        ge=0,
        le=64,
        description="Video: processes detecting frames in parallel; 1 = in the job's own "
        "process (the default: on a shared 2-core machine 2 workers measured 3.3x slower), "
        "0 = one per CPU core (up to 8), for machines with idle cores and a costly detector.",
    )
    video_parallel_min_frames: int = Field(
        150, ge=1, description="Video: shorter videos are detected in the job's own process."
    )
    video_batch_frames: int = Field(
        8, ge=1, le=256, description="Video: frames per detection batch (and per worker task)."
    )
    video_crf: int = Field(
        20, ge=0, le=51, description="Video: H.264 quality (x264 CRF; lower is better, larger)."
    )
    cover_image_path: Path | None = Field(
        None,
        description="Cover image warped onto plates (seed's COVER_IMAGE_PATH; alpha is the mask, "
        "else non-black pixels); default a neutral grey plate drawn in code.",
    )
    callback_url: str | None = Field(
        None,
        description="Seed 002's BACKEND_CALLBACK_URL: JSON POST {task_id, status, results} when "
        "a seed task completes.",
    )
    upload_url: str | None = Field(
        None,
        description="Seed 002's BACKEND_UPLOAD_URL: multipart POST (task_id, images) of a "
        "completed seed task's WebP results.",
    )
    callback_timeout_s: float = Field(30.0, description="Timeout of each callback, in seconds.")
    max_request_mb: float = Field(
        100.0, description="Largest process-task request body, in MiB (413 above)."
    )
    max_files: int = Field(50, description="Most files in one process-task request (413 above).")
    max_file_bytes: int = Field(
        mb_to_bytes(20), description="Largest file of a process-task request, in bytes (413)."
    )
    allowed_mime_types: list[str] = Field(
        default_factory=lambda: ["image/jpeg", "image/png", "image/webp"],
        description="Declared Content-Types accepted by process-task (415 for others).",
    )
    batch_size: int = Field(
        16, description="Seed's PROCESSING_BATCH_SIZE; accepted for compatibility (unused)."
    )
    webp_quality: int = Field(90, ge=1, le=100, description="Quality of WebP/JPEG results.")

    _seed_env = model_validator(mode="before")(_seed_002_env)
