"""Hosted vision LLMs: OpenAI-compatible and Anthropic providers in an ordered fallback chain."""

from argus.categories import CATEGORIES, CategoryAnswer, trustworthy
from argus.llm.answers import DEFAULT_PROMPT, parse_classification
from argus.llm.base import LlmAnswer, LlmFailed, Provider, RetryPolicy
from argus.llm.chain import LlmChain
from argus.llm.providers import Anthropic, OpenAiCompatible, make_provider

__all__ = [
    "CATEGORIES",
    "DEFAULT_PROMPT",
    "Anthropic",
    "CategoryAnswer",
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
