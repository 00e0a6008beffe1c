"""Settings: one typed tree built once from the environment (prefix ``ARGUS_``) and ``.env``.

Nested groups use ``__`` as the delimiter, e.g. ``ARGUS_IMAGING__MAX_IMAGE_MB=10``. Field names
carry their units. Every field has a documented default; ``argus config`` prints the effective
values with secrets masked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from argus.config.analysis import AnalysisSettings
from argus.config.anonymize import AnonymizeSettings
from argus.config.classify import ClassifySettings, LlmProviderSettings
from argus.config.faces import FaceSettings
from argus.config.moderation import ModerationSettings
from argus.config.platform import (
    AuthSettings,
    BlobSettings,
    DatabaseSettings,
    ImagingSettings,
    JobSettings,
    ModelSettings,
    RetentionSettings,
    RuntimeSettings,
    VideoSettings,
    default_converted_dir,
)
from argus.config.server import ServerSettings

__all__ = [
    "AnalysisSettings",
    "AnonymizeSettings",
    "AuthSettings",
    "BlobSettings",
    "ClassifySettings",
    "DatabaseSettings",
    "FaceSettings",
    "ImagingSettings",
    "JobSettings",
    "LlmProviderSettings",
    "ModelSettings",
    "ModerationSettings",
    "RetentionSettings",
    "RuntimeSettings",
    "ServerSettings",
    "Settings",
    "VideoSettings",
]


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
    workers: int = Field(
        1,
        ge=1,
        description="Server processes of `argus serve` sharing the port and the database "
        "(one per core uses every core for model work).",
    )
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
    server: ServerSettings = Field(default_factory=ServerSettings)
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
    def converted_dir(self) -> Path:
        """Where models converted from pinned packages live (``argus models install``)."""
        configured = self.models.converted_dir
        return configured if configured is not None else default_converted_dir()

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
        data["models"]["converted_dir"] = str(self.converted_dir)
        data["blobs"]["dir"] = str(self.blobs_dir)
        if self.database_url:
            from sqlalchemy.engine import make_url

            data["database_url"] = make_url(self.database_url).render_as_string(hide_password=True)
        return data
