"""Seed 000's runtime inference switches: ``/api/v1/config/inference`` (admin token).

``GET`` and ``PUT`` answer ``{"use_local_inference", "local_inference_fallback"}`` as the seed
does, plus Argus's ``engines`` (the order that results). ``use_local_inference`` puts the
offline engines (clip when pulled, then local) before the LLM; ``local_inference_fallback``
lets the other kind answer when the first fails or is unsure. Changes hold in this server
process only until ``POST /inference/reset`` or a restart, as in the seed; reset goes back to the
configured ``classify.engines`` (the seed reset to its defaults, which were its configuration
unless ``.env`` said otherwise). Errors have the stats routes' bodies (403 without a token, 401
with a bad one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from argus.api.deps import Admin, Classifier
from argus.api.routes.stats import _render, bearer_present
from argus.api.seeds.routing import seed_route_class

if TYPE_CHECKING:
    from argus.pipelines.photo_category import PhotoClassifier


router = APIRouter(
    prefix="/api/v1/config",
    tags=["classify (seed 000)"],
    route_class=seed_route_class(_render),
    dependencies=[Depends(bearer_present)],
)


class InferenceConfigUpdate(BaseModel):
    use_local_inference: bool | None = Field(None, description="Offline engines first.")
    local_inference_fallback: bool | None = Field(
        None, description="The other kind of engine answers when the first one cannot."
    )


class InferenceConfig(BaseModel):
    use_local_inference: bool
    local_inference_fallback: bool
    engines: list[str] = Field(description="Configured engine order that results (Argus).")


class InferenceReset(InferenceConfig):
    success: bool = True
    message: str = "配置已重置"  # "configuration reset"


def _current(classifier: PhotoClassifier) -> InferenceConfig:
    use_local, fallback = classifier.inference_switches()
    return InferenceConfig(
        use_local_inference=use_local,
        local_inference_fallback=fallback,
        engines=list(classifier.engine_order),
    )


@router.get("/inference", response_model=InferenceConfig, summary="The inference switches")
async def get_inference(_: Admin, classifier: Classifier) -> InferenceConfig:
    return _current(classifier)


@router.put("/inference", response_model=InferenceConfig, summary="Change them at runtime")
async def put_inference(
    body: InferenceConfigUpdate, _: Admin, classifier: Classifier
) -> InferenceConfig:
    use_local, fallback = classifier.inference_switches()
    if body.use_local_inference is not None:
        use_local = body.use_local_inference
    if body.local_inference_fallback is not None:
        fallback = body.local_inference_fallback
    classifier.set_inference(use_local=use_local, fallback=fallback)
    return _current(classifier)


@router.post("/inference/reset", response_model=InferenceReset, summary="Back to the settings")
async def reset_inference(_: Admin, classifier: Classifier) -> InferenceReset:
    classifier.engine_order = list(classifier.config.engines)
    current = _current(classifier)
    return InferenceReset(**current.model_dump())
