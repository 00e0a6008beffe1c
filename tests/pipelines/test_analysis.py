"""Seed 003's task graph without HTTP: one decode per request, the seed's skip and error rules,
and boxes where a person sees them on real photos."""

from __future__ import annotations

import asyncio

import numpy as np
import numpy.typing as npt

from argus.config import Settings
from argus.models.pool import ModelPool
from argus.pipelines.analysis import Analyzer, OperationResult, TaskSpec
from argus.pipelines.operations.base import Failed, UnsupportedTarget, UnsupportedType
from support.images import jpeg

RGB = npt.NDArray[np.uint8]


def analyze(
    settings: Settings, pool: ModelPool, image: RGB, tasks: list[TaskSpec]
) -> tuple[Analyzer, dict[str, OperationResult]]:
    analyzer = Analyzer(settings, pool)
    return analyzer, asyncio.run(analyzer.analyze(jpeg(image), tasks, tenant="t"))


def test_one_decode_serves_every_task_and_each_answers_under_its_own_id(
    settings: Settings, pool: ModelPool, astronaut: RGB
) -> None:
    tasks = [
        TaskSpec("faces", "detect_faces", {"target": "whole_image"}),
        TaskSpec("face", "detect_bounding_box", {"target": "prominent_face"}),
        TaskSpec("person", "detect_bounding_box"),
        TaskSpec("vector", "embed_image"),
    ]
    analyzer, res = analyze(settings, pool, astronaut, tasks)
    assert analyzer.decodes == 1
    assert list(res) == ["faces", "face", "person", "vector"]
    assert all(r.status == "success" for r in res.values()), res
    (face,) = res["faces"].data  # Eileen Collins: one face, upper middle of the portrait
    x1, y1, x2, y2 = face["box"]
    assert 150 < x1 < x2 < 300 and 30 < y1 < y2 < 220
    assert len(face["landmarks"]) == 5
    prominent = res["face"].data  # the prominent face is that face
    assert all(abs(a - b) <= 2 for a, b in zip(prominent, face["box"], strict=True))
    px1, py1, px2, py2 = res["person"].data  # the person holds the face
    assert px1 <= x1 and py1 <= y1 and x2 <= px2 and y2 <= py2
    assert len(res["vector"].data) == 1280


def test_unknown_types_and_targets_are_skipped_and_a_missing_model_is_an_error(
    settings: Settings, pool: ModelPool, astronaut: RGB
) -> None:
    tasks = [
        TaskSpec("unknown", "no_such_op"),
        TaskSpec("target", "detect_bounding_box", {"target": "whole_image"}),
        TaskSpec("clip", "embed_clip_vit_b_32"),  # CLIP is a pulled model, not a built-in
        TaskSpec("person", "detect_bounding_box"),
    ]
    _, res = analyze(settings, pool, astronaut, tasks)
    assert res["unknown"].status == "skipped"
    assert res["unknown"].problem == UnsupportedType("no_such_op")
    assert res["target"].status == "skipped"
    assert res["target"].problem == UnsupportedTarget(
        "detect_bounding_box", "whole_image", ("prominent_person", "prominent_face")
    )
    assert res["clip"].status == "error"
    assert isinstance(res["clip"].problem, Failed)
    assert "argus models pull clip-vit-b-32" in res["clip"].problem.description
    assert res["person"].status == "success", "the other tasks still run"


def test_a_cat_has_no_prominent_face_nor_person(
    settings: Settings, pool: ModelPool, chelsea: RGB
) -> None:
    tasks = [
        TaskSpec("face", "detect_bounding_box", {"target": "prominent_face"}),
        TaskSpec("person", "detect_bounding_box"),
    ]
    _, res = analyze(settings, pool, chelsea, tasks)
    assert (res["face"].status, res["face"].data) == ("success", None)
    assert (res["person"].status, res["person"].data) == ("success", None)


def test_duplicate_operation_ids_keep_the_last_task(
    settings: Settings, pool: ModelPool, astronaut: RGB
) -> None:
    tasks = [TaskSpec("same", "no_such_op"), TaskSpec("same", "detect_bounding_box")]
    _, res = analyze(settings, pool, astronaut, tasks)
    assert list(res) == ["same"]
    assert res["same"].status == "success" and res["same"].data is not None
