"""Settings: one typed tree built once from the environment (prefix ``ARGUS_``) and ``.env``.

Nested groups use ``__`` as the delimiter, e.g. ``ARGUS_IMAGING__MAX_IMAGE_MB=10``. Field names
carry their units. Every field has a documented default; ``argus config`` prints the effective
values with secrets masked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
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

    @property
    def models_dir(self) -> Path:
        return self.models.dir if self.models.dir is not None else self.data_dir / "models"

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
        if self.database_url:
            from sqlalchemy.engine import make_url

            data["database_url"] = make_url(self.database_url).render_as_string(
                hide_password=True
            )
        return data
