"""Hosted vision LLMs: OpenAI-compatible and Anthropic providers in an ordered fallback chain."""

from argus.llm.answers import (
    CATEGORIES,
    DEFAULT_PROMPT,
    Classification,
    parse_classification,
    trustworthy,
)
from argus.llm.base import LlmAnswer, LlmFailed, Provider, RetryPolicy
from argus.llm.chain import ChainResult, LlmChain
from argus.llm.providers import Anthropic, OpenAiCompatible, make_provider

__all__ = [
    "CATEGORIES",
    "DEFAULT_PROMPT",
    "Anthropic",
    "ChainResult",
    "Classification",
    "LlmAnswer",
    "LlmChain",
    "LlmFailed",
    "OpenAiCompatible",
    "Provider",
    "RetryPolicy",
    "make_provider",
    "parse_classification",
    "trustworthy",
]
