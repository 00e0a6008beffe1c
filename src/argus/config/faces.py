"""Settings of seed 004's face features, quality checks and galleries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class FaceSettings(BaseModel):
    """Seed 004's face features, quality checks and comparison; face galleries."""

    model: str = Field(
        "dlib-resnet-face",
        description="Active face-embedding model: dlib-resnet-face (built-in, 128-d) or a "
        "pulled ArcFace-style ONNX model (e.g. arcface-w600k-r50, 512-d).",
    )
    detector: str = Field("dlib-hog-face", description="Face detector (catalog name).")
    landmarks: str = Field("dlib-landmarks-5", description="5-point landmark model.")
    threshold: float | None = Field(
        None,
        description="Argus's own routes (galleries, native features): cosine similarity at or "
        "above which two faces are the same person; default the active model's calibrated "
        "value (dlib 0.908: 7.1 % false matches on bench/face_calibration.py's different-person "
        "pairs).",
    )
    seed_threshold: float = Field(
        0.7,
        description="Seed 004's routes (1024-d seed-scale features): the same-person threshold "
        "they answer with, the seed's 0.7 by default. Measured with dlib on "
        "bench/face_calibration.py (different-person pairs leave-one-photo-out): 0.6 gives "
        "7.6 % false matches (about dlib's own rule), 0.65 3.3 %, 0.7 1.9 %, 0.75 0.5 %; "
        "no same-photo variant pair fell under 0.9.",
    )
    strict: bool = Field(
        True,
        description="A face failing a quality check gives no feature (the seed's strict_mode); "
        "false returns the feature with quality_passed=false.",
    )
    min_face_px: int = Field(
        112, description="Shorter side of the face box a face needs, in pixels (seed: 112)."
    )
    upscale_small_faces: bool = Field(
        True,
        description="Upscale faces smaller than min_face_px (bicubic + unsharp mask, as for "
        "ID-card photos) instead of failing them, down to upscale_min_face_px.",
    )
    upscale_min_face_px: int = Field(
        56, description="Faces smaller than this (pixels) are never upscaled: they fail."
    )
    min_sharpness: float = Field(
        25.0,
        description="Least variance of the Laplacian of the face, measured on a 112x112 "
        "grey crop normalised to a standard contrast (blur check).",
    )
    min_brightness: float = Field(40.0, description="Least mean grey level of the face (0-255).")
    max_brightness: float = Field(220.0, description="Most mean grey level of the face (0-255).")
    max_roll_deg: float = Field(30.0, description="Most in-plane tilt of the eye line, degrees.")
    max_yaw_deg: float = Field(
        35.0, description="Most head turn estimated from the nose offset, degrees."
    )
    identify_top_k: int = Field(5, description="Matches returned by identify by default.")
    index: Literal["faiss", "numpy"] = Field(
        "faiss",
        description="Gallery search: FAISS exact inner-product index (rebuilt from the "
        "database at start-up) or brute-force numpy.",
    )
    search_threads: int = Field(
        1,
        description="OpenMP threads FAISS uses per search; 1 measured fastest for one query "
        "at a time on a busy 2-core machine (OpenMP's default made 10k-vector searches 300x "
        "slower there).",
    )
    max_images_per_request: int = Field(20, description="Images per enrol request.")
