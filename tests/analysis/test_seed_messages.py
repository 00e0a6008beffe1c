"""Seed 003's ``error_message`` sentences, worded at the edge from the pipeline's typed problems.

Each reason a task is skipped or fails renders to the seed's exact sentence, the raw value written
as the client sent it; a task that succeeded has no message.
"""

from __future__ import annotations

from typing import get_args

import pytest

from argus.api.seeds.analysis import problem_message, render_result
from argus.pipelines.operations.base import (
    Failed,
    IntegerOutOfRange,
    InternalFailure,
    MissingParameter,
    NoClassifier,
    NoProminentFace,
    NotAnInteger,
    OperationResult,
    Problem,
    UnsupportedTarget,
    UnsupportedType,
)

SENTENCES: list[tuple[Problem, str]] = [
    (UnsupportedType("make_coffee"), "Unsupported operation type: 'make_coffee'"),
    (
        UnsupportedTarget(
            "detect_bounding_box", "whole_image", ("prominent_person", "prominent_face")
        ),
        "Unsupported target 'whole_image' for 'detect_bounding_box'. "
        "Allowed: ['prominent_person', 'prominent_face']",
    ),
    (
        UnsupportedTarget("embed_auraface", 7, ("prominent_face",)),
        "Unsupported target '7' for 'embed_auraface'. Allowed: ['prominent_face']",
    ),
    (NoProminentFace("face"), "No prominent face found for operation 'face'."),
    (
        MissingParameter("classify", "collection_id"),
        "Missing required parameter 'collection_id' for classify.",
    ),
    (
        NotAnInteger("collection_id", "abc"),
        "Invalid collection_id 'abc': an integer is required.",
    ),
    (
        NotAnInteger("max_length", [1, 2]),
        "Invalid max_length '[1, 2]': an integer is required.",
    ),
    (
        IntegerOutOfRange("max_length", 2.5, 1, 64),
        "Invalid max_length '2.5': an integer from 1 to 64 is required.",
    ),
    (
        IntegerOutOfRange("max_length", True, 1, 64),
        "Invalid max_length 'True': an integer from 1 to 64 is required.",
    ),
    (NoClassifier(42), "Classifier not found for collection_id 42."),
    (
        Failed("clip-vit-b-32 is not installed: run `argus models pull clip-vit-b-32`"),
        "clip-vit-b-32 is not installed: run `argus models pull clip-vit-b-32`",
    ),
    (
        InternalFailure("division by zero"),
        "Internal error processing task: division by zero",
    ),
]


@pytest.mark.parametrize(("problem", "sentence"), SENTENCES)
def test_each_problem_renders_to_the_seeds_exact_sentence(problem: Problem, sentence: str) -> None:
    assert problem_message(problem) == sentence


def test_every_kind_of_problem_has_a_sentence() -> None:
    kinds = {type(problem) for problem, _ in SENTENCES}
    assert kinds == set(get_args(Problem))


def test_the_result_carries_the_sentence_and_a_success_none() -> None:
    skipped = render_result(OperationResult("skipped", problem=NoClassifier(3)))
    assert skipped.model_dump() == {
        "status": "skipped",
        "data": None,
        "cropped_image_bbox": None,
        "cropped_image_base64": None,
        "error_message": "Classifier not found for collection_id 3.",
    }
    ok = render_result(OperationResult("success", [1, 2, 3, 4]))
    assert ok.error_message is None and ok.data == [1, 2, 3, 4]
