"""Photo categories: the eight keys and the one typed answer every engine gives.

:class:`CategoryAnswer` is what the LLM chain, the ``clip`` and ``local`` engines, the result
cache and the photo-category pipeline all pass around; how it is shown to a client (seed 000's
``ClassificationData``) is :mod:`argus.api.seeds.category`'s business. The cache's stored JSON
is written and read here only (:meth:`CategoryAnswer.stored`, :meth:`CategoryAnswer.from_stored`),
in the format earlier versions wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CATEGORIES: tuple[str, ...] = (
    "social_activities",
    "pets",
    "single_person",
    "foods",
    "travel_scenery",
    "screenshot",
    "idcard",
    "other",
)
"""Seed 000's eight keys, in its order; the only legal non-empty ``category`` values."""

FAILED_MARK = "失败"  # seed 000: a description containing "failed" is never cached


@dataclass(frozen=True)
class CategoryAnswer:
    """A photo's category and how it was reached.

    Attributes:
        category: one of :data:`CATEGORIES`.
        confidence: in 0..1.
        description: a short note on the picture (the model's, or the engine's), if any.
        engine: ``llm``, ``clip`` or ``local``; None when no engine answered.
        model: the model (``kind:model`` for an LLM) behind the answer; ``none`` when none.
        method: seed 000's ``inference_method`` (``llm``, ``llm_fallback``, ``local``,
            ``local_fallback``, ``cache``), set by the pipeline; empty until then.
        seen: what an offline engine looked at (seed 000's ``local_inference_result``).
        input_tokens / output_tokens / cost_usd: every LLM call made for the answer.
        notes: why earlier engines did not answer (empty when the first one did).
        failed: no engine answered; the answer is seed 000's ``other`` at 0.5.
    """

    category: str
    confidence: float
    description: str | None = None
    engine: str | None = None
    model: str = "none"
    method: str = ""
    seen: dict[str, Any] | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    failed: bool = False

    def stored(self) -> dict[str, Any]:
        """The JSON the result cache keeps for this answer (its model is part of the key)."""
        return {
            "category": self.category,
            "confidence": self.confidence,
            "description": self.description,
            "method": self.method,
            "engine": self.engine,
        }

    @classmethod
    def from_stored(cls, result: Mapping[str, Any], model: str) -> CategoryAnswer:
        """A cached answer read back (``method`` is ``cache``; older rows may lack ``engine``)."""
        description = result.get("description")
        return cls(
            category=str(result.get("category", "other")),
            confidence=float(result.get("confidence", 0.5)),
            description=None if description is None else str(description),
            engine=result.get("engine"),
            model=model,
            method="cache",
        )


def trustworthy(answer: CategoryAnswer) -> bool:
    """Seed 000's rule for caching an answer: not a failure, not the default, confident."""
    if answer.failed or (answer.description and FAILED_MARK in answer.description):
        return False
    if answer.category == "other" and answer.confidence == 0.5:
        return False
    return answer.confidence >= 0.3
