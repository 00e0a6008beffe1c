"""What every hosted LLM provider shares: the request, the answer with its usage, the errors.

A provider turns ``(prompt, JPEG bytes)`` into an :class:`LlmAnswer`: the model's text, the
tokens it counted and what they cost. Transient failures (429, 5xx, a dropped connection) are
retried here with exponential backoff (``Retry-After`` wins when the server sends one); a
timeout is not retried (the caller's user is waiting) and, like every other failure, surfaces
as :class:`LlmFailed` so that the chain can try the next provider or engine.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from argus.config import LlmProviderSettings

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class LlmAnswer:
    """One successful call: the text and what it cost.

    Attributes:
        text: the model's answer, as sent.
        provider: ``kind:model`` of the provider that answered.
        input_tokens / output_tokens: as the provider counted them (0 when it did not say).
        cost_usd: tokens times the configured prices.
        attempts: calls made, retries included.
        latency_ms: wall time of all attempts.
    """

    text: str
    provider: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    attempts: int
    latency_ms: float


class LlmFailed(Exception):
    """A provider gave no usable answer; ``reason`` says why in words."""

    def __init__(self, provider: str, reason: str, *, retryable: bool = False) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason
        self.retryable = retryable
        self.retry_after_s: float | None = None
        self.calls: list[LlmAnswer] = []  # answered calls that still gave nothing usable


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` after the first call; delays ``backoff_s * 2**n`` (capped)."""

    max_retries: int = 2
    backoff_s: float = 1.0
    max_delay_s: float = 20.0

    def delay(self, retry: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return float(min(max(retry_after_s, 0.0), self.max_delay_s))
        return float(min(self.backoff_s * (2**retry), self.max_delay_s))


class Provider(ABC):
    """A hosted vision LLM; subclasses make one call with their SDK in :meth:`_call`."""

    def __init__(self, config: LlmProviderSettings, *, timeout_s: float, max_tokens: int) -> None:
        self.config = config
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens

    @property
    def name(self) -> str:
        return f"{self.config.kind}:{self.config.model}"

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        c = self.config
        return (input_tokens * c.input_usd_per_mtok + output_tokens * c.output_usd_per_mtok) / 1e6

    async def ask(self, prompt: str, jpeg: bytes, policy: RetryPolicy) -> LlmAnswer:
        """The model's answer about one JPEG image, retrying transient failures."""
        start = time.perf_counter()
        attempts = 0

        async def once() -> tuple[str, int, int]:
            nonlocal attempts
            attempts += 1
            return await self._call(prompt, jpeg)

        text, tokens_in, tokens_out = await with_retries(once, policy, self.name)
        return LlmAnswer(
            text=text,
            provider=self.name,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=self.cost(tokens_in, tokens_out),
            attempts=attempts,
            latency_ms=(time.perf_counter() - start) * 1000.0,
        )

    @abstractmethod
    async def _call(self, prompt: str, jpeg: bytes) -> tuple[str, int, int]:
        """One call: ``(text, input_tokens, output_tokens)``; raises :class:`LlmFailed`."""


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    name: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """``call()``, retried while it raises a retryable :class:`LlmFailed`."""
    retry = 0
    while True:
        try:
            return await call()
        except LlmFailed as exc:
            if not exc.retryable or retry >= policy.max_retries:
                raise
            delay = policy.delay(retry, exc.retry_after_s)
            log.info("%s: %s; retry %d in %.2f s", name, exc.reason, retry + 1, delay)
            retry += 1
            await sleep(delay)


def retry_after(headers: object) -> float | None:
    """Seconds from a ``Retry-After`` header (numbers only), or None."""
    get = getattr(headers, "get", None)
    value = get("retry-after") if callable(get) else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
