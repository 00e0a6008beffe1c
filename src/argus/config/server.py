"""Settings of the HTTP server's own defences: body limits and timeouts, admission control."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ServerSettings(BaseModel):
    """How the server protects itself from slow, large and too many requests.

    Upload limits per route come from the capability's own settings (``imaging.max_image_mb``
    times the files a route takes, ``video.max_video_mb``, ``anonymize.max_request_mb``); these
    are the server-wide parts.
    """

    body_limit_kb: float = Field(
        1024.0,
        description="Largest body of a route that takes no file (JSON, forms), in KiB; routes "
        "taking a base64 image in JSON allow imaging.max_image_mb * 4/3 on top.",
    )
    form_overhead_kb: float = Field(
        256.0,
        description="Bytes allowed on top of an upload route's files for multipart headers "
        "and form fields, in KiB.",
    )
    body_timeout_s: float = Field(
        30.0,
        description="Longest wait for the next part of a request body; a client that stalls "
        "longer gets 408 and the connection is closed.",
    )
    keep_alive_s: float = Field(
        5.0, description="Idle keep-alive connections are closed after this (Uvicorn)."
    )
    header_timeout_s: float = Field(
        10.0,
        description="A connection whose request line and headers are not complete this long "
        "after it opened (or after its first byte, on a kept-alive connection) is closed.",
    )
    max_connections: int = Field(
        1000,
        ge=0,
        description="Open connections and requests in progress per server process; beyond "
        "this Uvicorn answers 503 at once (0: no limit).",
    )
    graceful_shutdown_s: float = Field(
        30.0, description="On stop, how long requests in progress may take to finish."
    )
    max_concurrent: int = Field(
        0,
        ge=0,
        description="Requests doing heavy work (decoding, inference) at once; 0: one per CPU "
        "core. Further requests wait in a queue.",
    )
    max_queue: int = Field(
        0, ge=0, description="Requests waiting for a heavy-work slot; 0: eight per slot."
    )
    queue_timeout_s: float = Field(
        15.0,
        description="Longest wait for a heavy-work slot; then 503 with Retry-After. A full "
        "queue answers 503 at once.",
    )
    recycle_above: float = Field(
        0.15,
        ge=0,
        description="With `argus serve --workers N`: a worker whose models were all unloaded "
        "and that is still more than this fraction above its resident size at start exits, "
        "and the supervisor starts a fresh one on its socket, so the memory comes back "
        "(an unloading process keeps about 40 % of fragmented heap and the runtimes' state). "
        "0: workers never retire.",
    )
    health_interval_s: float = Field(
        5.0, description="How often /health's component checks run in the background."
    )
    check_timeout_s: float = Field(
        2.0, description="Timeout of one component check (database ping) and of /ready."
    )
