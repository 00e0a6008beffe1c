"""Settings: one typed tree built once from the environment (prefix ``ARGUS_``) and ``.env``.

Nested groups use ``__`` as the delimiter, e.g. ``ARGUS_IMAGING__MAX_IMAGE_MB=10``. Field names
carry their units. Every field has a documented default; ``argus config`` prints the effective
values with secrets masked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ImagingSettings(BaseModel):
    """Limits on still images and animations."""

    max_image_mb: float = Field(20.0, description="Largest accepted image file, in MiB.")
    max_pixels: int = Field(
        60_000_000,
        description="Largest accepted width*height (per frame); larger images are refused "
        "from their header, before any pixel is decoded (decompression bombs).",
    )
    max_frames: int = Field(
        1000, description="Most frames read from one animated image (GIF, WebP, MPO)."
    )


class VideoSettings(BaseModel):
    """Limits on uploaded videos."""

    max_video_mb: float = Field(200.0, description="Largest accepted video file, in MiB.")
    max_duration_s: float = Field(600.0, description="Longest accepted video, in seconds.")
    max_frames: int = Field(20_000, description="Most frames decoded from one video.")


class RuntimeSettings(BaseModel):
    """How inference sessions use the machine."""

    intra_op_threads: int = Field(
        1,
        description="Threads inside one ONNX Runtime operator. One thread per session and more "
        "workers measured faster on these machines than one session with more threads.",
    )
    inter_op_threads: int = Field(1, description="Threads running independent ONNX operators.")
    providers: list[str] = Field(
        default_factory=list,
        description="ONNX Runtime execution providers in order of preference; empty means "
        "TensorRT, then CUDA, then CPU, whichever are available.",
    )


class ModelSettings(BaseModel):
    """Model management: where pulled models live, what stays loaded."""

    dir: Path | None = Field(
        None, description="Where pulled models are stored; default <data_dir>/models."
    )
    hub_endpoint: str | None = Field(
        None,
        description="Hugging Face endpoint or mirror for `argus models pull`; default the "
        "HF_ENDPOINT variable, else the public hub.",
    )
    hub_token: SecretStr | None = Field(None, description="Token for gated or private repos.")
    preload: list[str] = Field(
        default_factory=list, description="Models loaded at start-up and never unloaded."
    )
    ttl_s: float = Field(
        900.0, description="Unload a model not used for this long (0 keeps models loaded)."
    )
    memory_budget_mb: float = Field(
        4096.0,
        description="Unload least-recently-used models when loaded models are estimated to "
        "take more than this.",
    )


class DatabaseSettings(BaseModel):
    """Where Argus keeps its tables."""

    echo: bool = Field(False, description="Log every SQL statement.")
    pool_size: int = Field(5, description="Connections kept open (server databases only).")
    auto_upgrade: bool | None = Field(
        None,
        description="Run migrations at start-up; default: yes on SQLite, no on server databases "
        "(run `argus db upgrade` there).",
    )


class JobSettings(BaseModel):
    """Where and how long-running work (jobs) is executed."""

    executor: Literal["local", "celery"] = Field(
        "local",
        description="local: an in-process worker pool; celery: workers started with "
        "`argus worker` on any machine sharing the database and broker.",
    )
    workers: int = Field(2, description="Concurrent jobs in the local executor.")
    broker_url: str = Field(
        "redis://127.0.0.1:6379/0", description="Celery broker (Redis or RabbitMQ URL)."
    )
    webhook_timeout_s: float = Field(10.0, description="Timeout of completion webhooks.")
    webhook_allowed_networks: list[str] = Field(
        default_factory=list,
        description="Networks (CIDR) a job's webhook may reach besides public addresses; "
        "loopback, private, link-local and metadata addresses are refused otherwise (SSRF).",
    )
    max_attempts: int = Field(
        3, description="Times a job interrupted by a crash is resumed before it is failed."
    )
    max_files: int = Field(500, description="Most files in one job submission (413 above).")


class BlobSettings(BaseModel):
    """Job inputs and outputs on disk."""

    dir: Path | None = Field(None, description="Blob root; default <data_dir>/blobs.")
    ttl_h: float = Field(48.0, description="Delete job files and records older than this.")
    cleanup_interval_s: float = Field(3600.0, description="How often the clean-up runs.")

    @model_validator(mode="before")
    @classmethod
    def _seed_002_ttl(cls, data: Any) -> Any:
        """Seed 002's TASK_STORAGE_TTL_HOURS sets ttl_h when ARGUS_BLOBS__TTL_H does not."""
        ttl = os.environ.get("TASK_STORAGE_TTL_HOURS")
        if isinstance(data, dict) and ttl and "ttl_h" not in data:
            return {**data, "ttl_h": ttl}
        return data


class RetentionSettings(BaseModel):
    """How long the result cache and the request log keep rows (pruned every hour)."""

    cache_max_age_days: float = Field(
        365.0, description="Drop cached results not seen for this long (0: keep)."
    )
    cache_max_entries: int = Field(
        1_000_000, description="Keep at most this many cached results (least recently seen go)."
    )
    cache_max_mb: float = Field(2048.0, description="Keep cached results under this many MiB.")
    request_log_days: float = Field(
        90.0, description="Keep request-log rows this long (seed 000's LOG_RETENTION_DAYS)."
    )
    interval_s: float = Field(3600.0, description="How often pruning runs (0: never).")


class AuthSettings(BaseModel):
    """API keys, admin login and rate limits."""

    require_keys: bool | None = Field(
        None,
        description="Require an API key on every API route; default: not while listening on "
        "loopback, required when listening anywhere else.",
    )
    admin_username: str = Field("admin", description="Admin login name.")
    admin_password_hash: SecretStr | None = Field(
        None,
        description="bcrypt hash of the admin password (`argus admin set-password` makes one); "
        "no hash means admin login is disabled.",
    )
    jwt_secret: SecretStr | None = Field(
        None,
        description="HS256 signing key for admin tokens; default a random key kept in "
        "<data_dir>/jwt-secret.",
    )
    jwt_expire_s: int = Field(86400, description="Lifetime of an admin token.")
    rate_limit_per_min: int = Field(
        0, description="Default requests per minute per API key (0: unlimited)."
    )


class AnalysisSettings(BaseModel):
    """Seed 003's per-image task list: URL fetching (SSRF guard), models, collections."""

    fetch_connect_timeout_s: float = Field(
        5.0, description="Seconds to wait for a TCP/TLS connection to an image URL."
    )
    fetch_timeout_s: float = Field(
        10.0,
        description="Seconds one image URL may take in total, redirects and body included "
        "(seed 003 used 10 s).",
    )
    fetch_max_redirects: int = Field(5, description="Redirects followed, each one re-checked.")
    fetch_allowed_networks: list[str] = Field(
        default_factory=list,
        description="CIDRs image URLs may reach although they are loopback, private, "
        "link-local or cloud-metadata addresses (refused by default), e.g. ['10.0.0.0/8'].",
    )
    fetch_user_agent: str = Field(
        "Argus-ImageAnalysis/1.0", description="User-Agent sent when fetching image URLs."
    )
    clip_model: str = Field(
        "clip-vit-b-32", description="Model behind embed_clip_vit_b_32 (512-d) and classify."
    )
    dino_model: str = Field("dinov2-base", description="Model behind embed_dino_v2 (768-d).")
    face_model: str = Field("dlib-hog-face", description="Face detector for prominent_face.")
    person_models: list[str] = Field(
        default_factory=lambda: ["haar-body-full", "haar-body-upper"],
        description="Person detectors tried for prominent_person (catalog names).",
    )
    max_collection_versions: int = Field(
        10, description="Trained versions kept per collection (best by macro precision)."
    )
    auraface_model: str = Field(
        "auraface-v1",
        description="Face recogniser behind embed_auraface (512-d, L2-normalised; ArcFace-style).",
    )
    caption_model: str = Field(
        "vit-gpt2-captioning",
        description="Pulled captioning model behind describe_image; when it is not installed, "
        "the LLM providers of `classify.providers` caption instead.",
    )
    caption_max_length: int = Field(
        300,
        description="describe_image's default max_length in tokens (seed 003's code default; "
        "its README said 50, which `argus caption-folder` still uses).",
    )
    caption_max_length_limit: int = Field(
        1024, description="Largest max_length a describe_image task may ask for, in tokens."
    )
    caption_prompt: str = Field(
        "Describe this image in one sentence.",
        description="Prompt sent to an LLM provider for describe_image.",
    )


class LlmProviderSettings(BaseModel):
    """One hosted vision LLM; ``classify.providers`` are tried in order (a fallback chain)."""

    kind: Literal["openai", "anthropic"] = Field(
        "openai",
        description="openai: any OpenAI-compatible chat-completions endpoint with image input "
        "(OpenAI, Qwen through DashScope's compatible mode, vLLM, Ollama); anthropic: the "
        "Messages API.",
    )
    model: str = Field(..., description="Model name, e.g. gpt-4o-mini, qwen-vl-plus.")
    base_url: str | None = Field(
        None, description="Endpoint URL; default the SDK's (api.openai.com, api.anthropic.com)."
    )
    api_key: SecretStr | None = Field(None, description="API key (vLLM and Ollama take any).")
    input_usd_per_mtok: float = Field(
        0.0, description="Price of one million input tokens in USD, for the recorded cost."
    )
    output_usd_per_mtok: float = Field(
        0.0, description="Price of one million output tokens in USD, for the recorded cost."
    )


_SEED_DASHSCOPE_URL = "https://dashscope.aliyuncs.com/compatible-mode/v1"


def _seed_000_env(data: Any) -> Any:
    """Seed 000's environment names fill the fields not set the Argus way (environment only)."""
    if not isinstance(data, dict):
        return data
    env = os.environ
    data = dict(data)
    simple = {
        "CLASSIFICATION_PROMPT": "prompt",
        "COST_PER_API_CALL": "cost_per_api_call",
        "MAX_IMAGE_SIZE_MB": "max_image_mb",
        "LLM_TIMEOUT": "timeout_s",
        "LLM_MAX_TOKENS": "max_tokens",
    }
    for name, field in simple.items():
        if env.get(name) and field not in data:
            data[field] = env[name]
    if env.get("ALLOWED_IMAGE_FORMATS") and "allowed_formats" not in data:
        data["allowed_formats"] = [f.strip() for f in env["ALLOWED_IMAGE_FORMATS"].split(",")]
    if env.get("LLM_API_KEY") and "providers" not in data:
        kind = env.get("LLM_PROVIDER", "openai").lower()
        provider: dict[str, Any] = {
            "kind": "anthropic" if kind in ("claude", "anthropic") else "openai",
            "model": env.get("LLM_MODEL", "gpt-4-vision-preview"),
            "api_key": env["LLM_API_KEY"],
        }
        if kind in ("aliyun", "qwen", "dashscope"):
            provider["base_url"] = env.get("LLM_BASE_URL", _SEED_DASHSCOPE_URL)
        elif env.get("LLM_BASE_URL"):
            provider["base_url"] = env["LLM_BASE_URL"]
        data["providers"] = [provider]
    if "engines" not in data and env.get("USE_LOCAL_INFERENCE", "").lower() in ("1", "true"):
        fallback = env.get("LOCAL_INFERENCE_FALLBACK", "true").lower() in ("1", "true")
        data["engines"] = ["clip", "local", "llm"] if fallback else ["clip", "local"]
    return data


class ClassifySettings(BaseModel):
    """Photo category classification (seed 000): engines, LLM providers, cache and limits.

    Seed 000's variables work too when the Argus ones are not set: ``CLASSIFICATION_PROMPT``,
    ``COST_PER_API_CALL``, ``MAX_IMAGE_SIZE_MB``, ``ALLOWED_IMAGE_FORMATS``, ``LLM_TIMEOUT``,
    ``LLM_MAX_TOKENS``, ``LLM_PROVIDER``/``LLM_API_KEY``/``LLM_MODEL`` (one provider; aliyun and
    qwen mean DashScope's OpenAI-compatible endpoint), ``USE_LOCAL_INFERENCE`` and
    ``LOCAL_INFERENCE_FALLBACK`` (offline engines first: clip, local, then llm unless the
    fallback is off). They are read from the environment only, not from ``.env``.
    """

    engines: list[Literal["llm", "clip", "local"]] = Field(
        ["llm", "clip", "local"],
        description="Engines tried in order; llm is skipped while no provider is configured, "
        "clip while clip_model or clip_text_model is not pulled. An engine answering after an "
        "earlier one failed is reported as <engine>_fallback (clip answers as local/"
        "local_fallback, seed 000's vocabulary, with engine=clip).",
    )
    clip_model: str = Field(
        "clip-vit-b-32", description="CLIP image tower of the clip engine (a pulled model)."
    )
    clip_text_model: str = Field(
        "clip-vit-b-32-text",
        description="CLIP text tower + tokenizer of the clip engine (a pulled model).",
    )
    clip_prompts: dict[str, list[str]] = Field(
        default_factory=dict,
        description="English prompts replacing the built-in ones of a category (key -> list); "
        "the class vector is the mean of the prompts' text vectors.",
    )
    providers: list[LlmProviderSettings] = Field(
        default_factory=list, description="Hosted vision LLMs, tried in order (JSON list)."
    )
    prompt: str | None = Field(None, description="Classification prompt; default seed 000's.")
    timeout_s: float = Field(30.0, description="Timeout of one LLM call, in seconds.")
    max_retries: int = Field(2, description="Retries of one provider on 429, 5xx or no connection.")
    retry_backoff_s: float = Field(
        1.0, description="First retry delay in seconds; doubles each retry (Retry-After wins)."
    )
    max_tokens: int = Field(500, description="Most tokens an LLM may answer with.")
    llm_max_side: int = Field(1024, description="Longer side of the JPEG sent to an LLM, px.")
    cost_per_api_call: float = Field(
        0.01, description="What one LLM call costs (seed's COST_PER_API_CALL), for cost saved."
    )
    max_image_mb: float = Field(10.0, description="Largest image classified, in MiB (400 above).")
    allowed_formats: list[str] = Field(
        default_factory=lambda: ["jpg", "jpeg", "png", "webp", "gif", "mpo"],
        description="Formats accepted by /api/v1/classify (Pillow's names, lower case).",
    )
    max_batch_files: int = Field(20, description="Most images in one /classify/batch.")
    local_ocr: Literal["auto", "always", "never"] = Field(
        "auto",
        description="OCR in the local engine: auto runs it only on screen- or card-like "
        "images (0.2-0.8 s each), always on every image, never turns screenshots and ID "
        "documents into layout-only guesses.",
    )
    cache_local: bool = Field(
        True,
        description="Also cache trustworthy local-engine answers (not 'other'); they are "
        "ignored by lookups while an LLM engine comes first.",
    )

    @model_validator(mode="before")
    @classmethod
    def _seed_env(cls, data: Any) -> Any:
        return _seed_000_env(data)


def _seed_001_env(data: Any) -> Any:
    """Seed 001's environment names fill the fields not set the Argus way (environment only)."""
    if not isinstance(data, dict):
        return data
    env = os.environ
    data = dict(data)
    names = {
        "DEFAULT_MODEL_NAME": "default_model",
        "DEFAULT_SCORE": "default_score",
        "BATCH_SIZE": "batch_size",
    }
    for name, field in names.items():
        if env.get(name) and field not in data:
            data[field] = env[name]
    if env.get("USE_API_KEYS") and "use_api_keys" not in data:
        data["use_api_keys"] = env["USE_API_KEYS"].strip().lower() in ("true", "1", "yes")
    if env.get("API_KEYS") and "api_keys" not in data:
        data["api_keys"] = [k for k in env["API_KEYS"].split(",") if k]
    return data


class ModerationSettings(BaseModel):
    """NSFW moderation of images, GIFs and videos (seed 001's ``/api/*-classification``).

    Seed 001's variables work too when the Argus ones are not set: ``DEFAULT_MODEL_NAME``,
    ``DEFAULT_SCORE``, ``BATCH_SIZE``, ``USE_API_KEYS`` (true/1/yes) and ``API_KEYS`` (comma
    list). They are read from the environment only, not from ``.env``. ``ACCESS_TOKEN`` (a hub
    token) is ``ARGUS_MODELS__HUB_TOKEN`` here: models are pulled ahead, never at request time.
    """

    default_model: str = Field(
        "Falconsai/nsfw_image_detection",
        description="Model used when a request names none (seed 001's DEFAULT_MODEL_NAME).",
    )
    aliases: dict[str, str] = Field(
        default_factory=lambda: {"Falconsai/nsfw_image_detection": "nudenet-nsfw"},
        description="Model names answered by another model while they are not installed "
        "(pulled): by default seed 001's default model is served by the built-in nudenet-nsfw.",
    )
    default_score: float = Field(
        0.7, description="Score threshold when a request sends none (seed's DEFAULT_SCORE)."
    )
    batch_size: int = Field(5, ge=1, description="Frames per model call (seed's BATCH_SIZE).")
    use_api_keys: bool = Field(
        False,
        description="Require X-API-Key on the seed routes (seed's USE_API_KEYS): a key from "
        "`argus keys create` or one listed in api_keys.",
    )
    api_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Extra plain keys accepted on the seed routes (seed's API_KEYS).",
    )
    max_files: int = Field(32, ge=1, description="Most files in one multi-image request.")
    cascade: bool = Field(
        False,
        description="Ask the fast built-in first and the requested model only when the "
        "built-in's nsfw score lies in cascade_band (a query parameter cascade= overrides).",
    )
    cascade_band: tuple[float, float] = Field(
        (0.15, 0.85),
        description="Built-in nsfw scores [low, high) that count as unsure in cascade mode.",
    )
    frame_side_px: int = Field(
        640, ge=32, description="Frames and images are reduced to this longer side first."
    )
    job_min_duration_s: float = Field(
        0.0,
        description="Videos at least this long are answered 202 with a moderate-video job "
        "(0: always answer in the request).",
    )

    _seed_env = model_validator(mode="before")(_seed_001_env)


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
        description="Cosine similarity at or above which two faces are the same person; "
        "default the active model's calibrated value (dlib 0.908); the seed used 0.7.",
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
    face_model: str = Field("dlib-hog-face", description="Face detector (catalog name).")
    face_expand: float = Field(
        1.3, description="Face boxes are grown by this factor (hair, ears, chin) before redaction."
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
        20 * 1024 * 1024, description="Largest file of a process-task request, in bytes (413)."
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


class Settings(BaseSettings):
    """The whole configuration of one Argus process."""

    model_config = SettingsConfigDict(
        env_prefix="ARGUS_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    host: str = Field("127.0.0.1", description="Address the HTTP server listens on.")
    port: int = Field(8000, description="Port the HTTP server listens on.")
    data_dir: Path = Field(Path("./data"), description="Database, blobs and pulled models.")
    offline: bool = Field(False, description="Refuse every download, `argus models pull` included.")
    log_level: str = Field("info", description="Python logging level.")
    imaging: ImagingSettings = Field(default_factory=ImagingSettings)
    video: VideoSettings = Field(default_factory=VideoSettings)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL (ARGUS_DATABASE_URL), e.g. postgresql://user:pw@host/db "
        "or mysql://user:pw@host/db (async drivers are chosen for you); default SQLite at "
        "<data_dir>/argus.db.",
    )
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    blobs: BlobSettings = Field(default_factory=BlobSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    moderation: ModerationSettings = Field(default_factory=ModerationSettings)
    classify: ClassifySettings = Field(default_factory=ClassifySettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    faces: FaceSettings = Field(default_factory=FaceSettings)
    anonymize: AnonymizeSettings = Field(default_factory=AnonymizeSettings)

    @property
    def models_dir(self) -> Path:
        return self.models.dir if self.models.dir is not None else self.data_dir / "models"

    @property
    def blobs_dir(self) -> Path:
        return self.blobs.dir if self.blobs.dir is not None else self.data_dir / "blobs"

    @property
    def resolved_database_url(self) -> str:
        """The configured database URL, or SQLite under the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'argus.db').resolve()}"

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data, secrets replaced by ``'**********'``."""
        data: dict[str, Any] = self.model_dump(mode="json")
        data["models"]["dir"] = str(self.models_dir)
        data["blobs"]["dir"] = str(self.blobs_dir)
        if self.database_url:
            from sqlalchemy.engine import make_url

            data["database_url"] = make_url(self.database_url).render_as_string(hide_password=True)
        return data
