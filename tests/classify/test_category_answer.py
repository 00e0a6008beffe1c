"""The one photo-category answer: what the cache stores, what it reads back, seed 000's render."""

from __future__ import annotations

import pytest

from argus.api.seeds.category import classification_data
from argus.categories import CategoryAnswer, trustworthy
from argus.pipelines.photo_category import Outcome


def test_the_cache_json_keeps_the_format_earlier_versions_wrote() -> None:
    answer = CategoryAnswer(
        "pets", 0.91234, "一只猫", engine="llm", model="openai:gpt", method="llm_fallback"
    )
    assert answer.stored() == {
        "category": "pets",
        "confidence": 0.91234,
        "description": "一只猫",
        "method": "llm_fallback",
        "engine": "llm",
    }
    back = CategoryAnswer.from_stored(answer.stored(), "openai:gpt")
    assert (back.category, back.confidence, back.description) == ("pets", 0.91234, "一只猫")
    assert (back.engine, back.model, back.method) == ("llm", "openai:gpt", "cache")


def test_a_row_written_before_engines_were_recorded_still_reads_back() -> None:
    old = {"category": "foods", "confidence": 0.8, "description": None, "method": "llm"}
    back = CategoryAnswer.from_stored(old, "anthropic:claude")
    assert back == CategoryAnswer("foods", 0.8, model="anthropic:claude", method="cache")
    data = classification_data(Outcome("a" * 64, back))
    assert data.inference_method == "cache" and data.engine is None


@pytest.mark.parametrize(
    ("notes", "description"),
    [
        ((), "分类失败：没有可用的分类引擎"),
        (
            ("openai:gpt: timed out", "clip: no model"),
            "分类失败：openai:gpt: timed out; clip: no model",
        ),
    ],
)
def test_a_failure_is_rendered_with_seed_000s_message(
    notes: tuple[str, ...], description: str
) -> None:
    failed = CategoryAnswer("other", 0.5, method="llm", notes=notes, failed=True)
    assert not trustworthy(failed)
    data = classification_data(Outcome("b" * 64, failed))
    assert data.model_dump() == {
        "category": "other",
        "confidence": 0.5,
        "description": description,
        "local_inference_result": None,
        "inference_method": "llm",
        "engine": None,
        "location": None,
    }
