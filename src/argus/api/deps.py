"""FastAPI dependencies that hand routes what the composition root built: one alias per part.

Routes name a part by its alias (``pool: Pool``, ``jobs: Jobs``, ...); nothing in a route reads
``app.state`` or builds a part on first use. The parts' types are named for the type checker
only (FastAPI calls the getter and never looks at the type): importing the routes does not
import the composition root, which the app's lifespan imports when it builds the parts. Every
dependency here is ``async def``: FastAPI runs a plain ``def`` dependency in its thread pool, a
thread hop per dependency per request for what is an attribute read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from argus.api import state

if TYPE_CHECKING:
    from argus.api.health import HealthMonitor
    from argus.api.metrics import Metrics
    from argus.auth.first_run import AdminPassword
    from argus.auth.throttle import LoginThrottle
    from argus.auth.tokens import TokenIssuer
    from argus.compose.services import Services
    from argus.config import Settings
    from argus.jobs.service import JobService
    from argus.models.hub.background import BackgroundPulls
    from argus.models.pool import ModelPool
    from argus.pipelines.analysis import Analyzer
    from argus.pipelines.faces import FacePipeline
    from argus.pipelines.galleries import GalleryService
    from argus.pipelines.photo_category import PhotoClassifier
    from argus.store.db import Database
    from argus.store.write_behind import WriteBehind


async def get_services(request: Request) -> Services:
    return state.services(request)


async def get_pool(request: Request) -> ModelPool:
    return state.services(request).pool


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings  # set before the lifespan runs
    return settings


async def get_db(request: Request) -> Database:
    return state.services(request).db


async def get_writes(request: Request) -> WriteBehind:
    return state.services(request).writes


async def get_jobs(request: Request) -> JobService:
    return state.services(request).jobs


async def get_tokens(request: Request) -> TokenIssuer:
    return state.services(request).tokens


async def get_admin_password(request: Request) -> AdminPassword:
    return state.services(request).admin_password


async def get_faces(request: Request) -> FacePipeline:
    return state.services(request).faces


async def get_galleries(request: Request) -> GalleryService:
    return state.services(request).galleries


async def get_classifier(request: Request) -> PhotoClassifier:
    return state.services(request).classifier


async def get_analyzer(request: Request) -> Analyzer:
    return state.services(request).analyzer


async def get_pulls(request: Request) -> BackgroundPulls:
    return state.services(request).pulls


async def get_metrics(request: Request) -> Metrics:
    return state.metrics(request)


async def get_health(request: Request) -> HealthMonitor:
    return state.health(request)


async def get_login_throttle(request: Request) -> LoginThrottle:
    return state.login_throttle(request)


AppServices = Annotated["Services", Depends(get_services)]
Pool = Annotated["ModelPool", Depends(get_pool)]
AppSettings = Annotated["Settings", Depends(get_settings)]
Db = Annotated["Database", Depends(get_db)]
Writes = Annotated["WriteBehind", Depends(get_writes)]
Jobs = Annotated["JobService", Depends(get_jobs)]
Tokens = Annotated["TokenIssuer", Depends(get_tokens)]
AdminPass = Annotated["AdminPassword", Depends(get_admin_password)]
Faces = Annotated["FacePipeline", Depends(get_faces)]
Galleries = Annotated["GalleryService", Depends(get_galleries)]
Classifier = Annotated["PhotoClassifier", Depends(get_classifier)]
AnalyzerDep = Annotated["Analyzer", Depends(get_analyzer)]
Pulls = Annotated["BackgroundPulls", Depends(get_pulls)]
AppMetrics = Annotated["Metrics", Depends(get_metrics)]
Health = Annotated["HealthMonitor", Depends(get_health)]
Throttle = Annotated["LoginThrottle", Depends(get_login_throttle)]

# Re-exported so routes take every dependency from one place.
from argus.api.auth import Admin, Caller, Tenant  # noqa: E402

__all__ = [
    "Admin",
    "AdminPass",
    "AnalyzerDep",
    "AppMetrics",
    "AppServices",
    "AppSettings",
    "Caller",
    "Classifier",
    "Db",
    "Faces",
    "Galleries",
    "Health",
    "Jobs",
    "Pool",
    "Pulls",
    "Tenant",
    "Throttle",
    "Tokens",
    "Writes",
    "get_db",
    "get_pool",
]
