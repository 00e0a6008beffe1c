"""The two wire formats Argus speaks, each through its official SDK.

:class:`OpenAiCompatible` sends chat completions with the image as a ``data:image/jpeg`` URL
(OpenAI, Qwen through DashScope's compatible mode, vLLM and Ollama all read this);
:class:`Anthropic` sends a Messages API request with a base64 image block. Each call opens its
own SDK client (closed when the call ends, so nothing outlives a request or leaks sockets) with
the SDK's own retries off: :func:`argus.llm.base.with_retries` does them, with the configured
backoff. SDK errors are mapped to :class:`LlmFailed`: 429, 5xx and connection errors are
retryable, a timeout and other 4xx are not.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import sys
from typing import Any

from argus.config import LlmProviderSettings
from argus.llm.base import LlmFailed, Provider, retry_after
from argus.plainwords import describe, kind

_NO_KEY = "not-needed"  # vLLM and Ollama accept anything; the SDKs insist on some value


def _sdk_errors(name: str) -> tuple[type[Exception], ...]:
    """The exception class ``name`` of each LLM SDK imported so far (they share the names).

    The SDKs are imported only when a provider is called (about a second of start-up each).
    """
    sdks = (sys.modules.get("openai"), sys.modules.get("anthropic"))
    return tuple(getattr(sdk, name) for sdk in sdks if sdk is not None)


async def _load_sdk(module: str) -> None:
    """Import an SDK on first use, in a thread: the event loop keeps serving meanwhile."""
    if module not in sys.modules:
        await asyncio.to_thread(importlib.import_module, module)


def _failure(name: str, exc: Exception) -> LlmFailed:
    """An SDK exception (``openai`` and ``anthropic`` share the names) as :class:`LlmFailed`."""
    if isinstance(exc, _sdk_errors("APITimeoutError")):
        return LlmFailed(name, "timed out")
    if isinstance(exc, _sdk_errors("APIConnectionError")):
        return LlmFailed(name, f"connection failed ({exc})", retryable=True)
    if isinstance(exc, _sdk_errors("APIStatusError")):
        status: int = getattr(exc, "status_code", 0)
        message = getattr(exc, "message", str(exc))
        failed = LlmFailed(
            name, f"HTTP {status}: {message}", retryable=status == 429 or status >= 500
        )
        failed.retry_after_s = retry_after(exc.response.headers)  # type: ignore[attr-defined]
        return failed
    return LlmFailed(name, f"{kind(exc)}: {describe(exc)}")


class OpenAiCompatible(Provider):
    """Any OpenAI-compatible ``/chat/completions`` endpoint with image input."""

    async def _call(self, prompt: str, jpeg: bytes) -> tuple[str, int, int]:
        c = self.config
        url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
        messages: Any = [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": prompt},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ]
        key = c.api_key.get_secret_value() if c.api_key else _NO_KEY
        await _load_sdk("openai")
        import openai

        try:
            async with openai.AsyncOpenAI(
                api_key=key, base_url=c.base_url, timeout=self.timeout_s, max_retries=0
            ) as client:
                resp = await client.chat.completions.create(
                    model=c.model, messages=messages, max_tokens=self.max_tokens
                )
        except openai.OpenAIError as exc:
            raise _failure(self.name, exc) from exc
        if not resp.choices:
            raise LlmFailed(self.name, "the answer has no choices")
        text = resp.choices[0].message.content or ""
        usage = resp.usage
        return (
            text,
            usage.prompt_tokens if usage else 0,
            usage.completion_tokens if usage else 0,
        )


class Anthropic(Provider):
    """Anthropic's Messages API."""

    async def _call(self, prompt: str, jpeg: bytes) -> tuple[str, int, int]:
        c = self.config
        content: Any = [
            {
                "type": "image",
                "source": {
                    "type": "base64",
                    "media_type": "image/jpeg",
                    "data": base64.b64encode(jpeg).decode("ascii"),
                },
            },
            {"type": "text", "text": prompt},
        ]
        key = c.api_key.get_secret_value() if c.api_key else _NO_KEY
        await _load_sdk("anthropic")
        import anthropic

        try:
            async with anthropic.AsyncAnthropic(
                api_key=key, base_url=c.base_url, timeout=self.timeout_s, max_retries=0
            ) as client:
                resp = await client.messages.create(
                    model=c.model,
                    max_tokens=self.max_tokens,
                    messages=[{"role": "user", "content": content}],
                )
        except anthropic.AnthropicError as exc:
            raise _failure(self.name, exc) from exc
        text = "".join(block.text for block in resp.content if block.type == "text")
        return text, resp.usage.input_tokens, resp.usage.output_tokens


def make_provider(config: LlmProviderSettings, *, timeout_s: float, max_tokens: int) -> Provider:
    """The provider for one configured endpoint."""
    cls = Anthropic if config.kind == "anthropic" else OpenAiCompatible
    return cls(config, timeout_s=timeout_s, max_tokens=max_tokens)
