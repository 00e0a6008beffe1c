"""Fixtures of the orchestration-layer tests: one model pool over the converted built-ins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from argus.config import Settings
from argus.models.pool import ModelPool


@pytest.fixture
def pool(settings: Settings) -> Iterator[ModelPool]:
    """The built-ins ``make models`` converted (CenterFace, NanoDet, EfficientNet-Lite0, ...)
    and the dlib models of the package; nothing is downloaded (``offline``)."""
    models = ModelPool(settings)
    yield models
    models.close()
