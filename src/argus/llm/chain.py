"""An ordered fallback chain of hosted vision LLMs for photo classification.

:meth:`LlmChain.classify` asks each configured provider in turn (each with its own retries) and
returns the first answer that parses, as a :class:`~argus.categories.CategoryAnswer`; a provider
that fails, times out or answers something that is not JSON passes the turn to the next one.
When none answers, :class:`LlmFailed` lists every provider's reason, and the photo pipeline
falls back to its next engine. Every call's token usage and cost is counted in the answer,
failed attempts' included.
"""

from __future__ import annotations

from dataclasses import replace

from argus.categories import CategoryAnswer
from argus.config import ClassifySettings
from argus.llm.answers import DEFAULT_PROMPT, parse_classification
from argus.llm.base import LlmAnswer, LlmFailed, Provider, RetryPolicy
from argus.llm.providers import make_provider


class LlmChain:
    """The providers of ``settings.providers``, tried in order."""

    def __init__(self, settings: ClassifySettings) -> None:
        self.prompt = settings.prompt or DEFAULT_PROMPT
        self.policy = RetryPolicy(settings.max_retries, settings.retry_backoff_s)
        self.providers: list[Provider] = [
            make_provider(p, timeout_s=settings.timeout_s, max_tokens=settings.max_tokens)
            for p in settings.providers
        ]

    @property
    def configured(self) -> bool:
        return bool(self.providers)

    async def classify(self, jpeg: bytes) -> CategoryAnswer:
        """The first parseable answer (engine ``llm``, its provider as the model, the usage of
        every call made for it); :class:`LlmFailed` when every provider failed."""
        reasons: list[str] = []
        calls: list[LlmAnswer] = []
        for provider in self.providers:
            try:
                answer = await provider.ask(self.prompt, jpeg, self.policy)
            except LlmFailed as exc:
                reasons.append(str(exc))
                continue
            calls.append(answer)
            parsed = parse_classification(answer.text)
            if parsed is None:
                reasons.append(f"{provider.name}: the answer holds no JSON object")
                continue
            return replace(
                parsed,
                engine="llm",
                model=answer.provider,
                input_tokens=sum(c.input_tokens for c in calls),
                output_tokens=sum(c.output_tokens for c in calls),
                cost_usd=sum(c.cost_usd for c in calls),
            )
        failed = LlmFailed("llm", "; ".join(reasons) or "no provider is configured")
        failed.calls = calls
        raise failed
