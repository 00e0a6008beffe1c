"""Parsing what models answer to seed 000's prompt, the seed's caching rule, its env names."""

from __future__ import annotations

import pytest

from argus.config import Settings
from argus.llm import CATEGORIES, DEFAULT_PROMPT, CategoryAnswer, parse_classification, trustworthy
from argus.llm.base import RetryPolicy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"category": "pets", "confidence": 0.91, "description": "一只猫"}',
            CategoryAnswer("pets", 0.91, "一只猫"),
        ),
        (
            '好的，这是结果：\n```json\n{"category": "foods", "confidence": 0.8}\n```\n希望有帮助',
            CategoryAnswer("foods", 0.8, None),
        ),
        ('{"category": "Screenshot", "confidence": "0.7"}', CategoryAnswer("screenshot", 0.7)),
        ('{"category": "qrcode", "confidence": 0.9}', CategoryAnswer("other", 0.9)),
        ('{"category": "travel_scenery"}', CategoryAnswer("travel_scenery", 0.5)),
        ('{"category": "idcard", "confidence": 7}', CategoryAnswer("idcard", 1.0)),
        ('{"category": "pets", "confidence": "high"}', CategoryAnswer("pets", 0.5)),
        ("I think it is a cat.", None),
        ("", None),
        ("[1, 2, 3]", None),
        ('{"category": "pets", "confidence": 0.9', None),
    ],
)
def test_answers_are_parsed_robustly(text: str, expected: CategoryAnswer | None) -> None:
    assert parse_classification(text) == expected


@pytest.mark.parametrize(
    ("result", "cached"),
    [
        (CategoryAnswer("pets", 0.9), True),
        (CategoryAnswer("other", 0.5), False),
        (CategoryAnswer("other", 0.6), True),
        (CategoryAnswer("foods", 0.29), False),
        (CategoryAnswer("foods", 0.9, "分类失败：超时"), False),
    ],
)
def test_the_seed_rule_for_what_is_worth_caching(result: CategoryAnswer, cached: bool) -> None:
    assert trustworthy(result) is cached


def test_the_default_prompt_lists_the_eight_keys_in_the_seed_order() -> None:
    positions = [DEFAULT_PROMPT.index(key) for key in CATEGORIES]
    assert positions == sorted(positions)
    assert "只返回JSON" in DEFAULT_PROMPT


def test_retry_delays_double_and_retry_after_wins() -> None:
    policy = RetryPolicy(max_retries=3, backoff_s=0.5, max_delay_s=3.0)
    assert [policy.delay(n, None) for n in range(4)] == [0.5, 1.0, 2.0, 3.0]
    assert policy.delay(0, 2.5) == 2.5


def test_seed_000_environment_names_configure_a_provider(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "aliyun")
    monkeypatch.setenv("LLM_API_KEY", "sk-dashscope")
    monkeypatch.setenv("LLM_MODEL", "qwen-vl-plus")
    monkeypatch.setenv("CLASSIFICATION_PROMPT", "分类这张图片")
    monkeypatch.setenv("COST_PER_API_CALL", "0.02")
    monkeypatch.setenv("USE_LOCAL_INFERENCE", "true")
    config = Settings().classify
    (provider,) = config.providers
    assert provider.kind == "openai"
    assert provider.model == "qwen-vl-plus"
    assert provider.base_url == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert provider.api_key is not None and provider.api_key.get_secret_value() == "sk-dashscope"
    assert config.prompt == "分类这张图片"
    assert config.cost_per_api_call == 0.02
    assert config.engines == ["clip", "local", "llm"]
    monkeypatch.setenv("LLM_PROVIDER", "claude")
    assert Settings().classify.providers[0].kind == "anthropic"
    monkeypatch.setenv("ARGUS_CLASSIFY__PROVIDERS", '[{"kind": "openai", "model": "llava"}]')
    assert Settings().classify.providers[0].model == "llava"  # the Argus way wins
