"""Hosted LLM providers through the real HTTP API, against loopback fakes of their wire formats.

OpenAI-compatible chat completions and Anthropic's Messages API are served by ``llm_fakes``,
which checks each request as the real services would (a base64 JPEG in the right place). The
scripts cover a good answer, JSON inside prose, a malformed answer, 429 then success, server
errors until the retries run out, and a timeout that falls back to the local engine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from llm_fakes import FakeLlm, Reply, good, running_llm

from argus.api.app import create_app
from argus.auth.passwords import hash_password
from argus.config import AuthSettings, ClassifySettings, LlmProviderSettings, Settings

RGB = Any


def openai(fake: FakeLlm, **kw: Any) -> LlmProviderSettings:
    return LlmProviderSettings(
        kind="openai", model="gpt-4o-mini", base_url=fake.openai_url, api_key="sk-test", **kw
    )


def anthropic(fake: FakeLlm) -> LlmProviderSettings:
    return LlmProviderSettings(
        kind="anthropic", model="claude-haiku", base_url=fake.anthropic_url, api_key="sk-ant-test"
    )


@contextmanager
def serving(settings: Settings, *providers: LlmProviderSettings, **kw: Any) -> Iterator[TestClient]:
    config = ClassifySettings(providers=list(providers), retry_backoff_s=0.01, **kw)
    auth = AuthSettings(admin_username="zywl", admin_password_hash=hash_password("pw"))
    with TestClient(
        create_app(settings.model_copy(update={"classify": config, "auth": auth}))
    ) as c:
        yield c


def classify(client: TestClient, data: bytes) -> dict[str, Any]:
    resp = client.post("/api/v1/classify", files={"image": ("photo.jpg", data, "image/jpeg")})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_an_openai_answer_is_used_cached_and_its_cost_recorded(
    settings: Settings, coffee: RGB, encode_image: Any
) -> None:
    data = encode_image(coffee)
    with (
        running_llm(
            Reply(good("foods", 0.93, "一杯咖啡"), input_tokens=1000, output_tokens=50)
        ) as fake,
        serving(settings, openai(fake, input_usd_per_mtok=2.0, output_usd_per_mtok=8.0)) as client,
    ):
        assert client.get("/api/v1/health").json()["model_api"] == "available"
        first = classify(client, data)
        assert first["data"]["category"] == "foods"
        assert first["data"]["confidence"] == 0.93
        assert first["data"]["description"] == "一杯咖啡"
        assert first["data"]["inference_method"] == "llm"
        assert first["from_cache"] is False
        second = classify(client, data)
        assert second["from_cache"] is True
        assert second["data"]["category"] == "foods"
        assert len(fake.requests) == 1, "the cache saved the second call"
        assert fake.requests[0]["headers"]["authorization"] == "Bearer sk-test"
        assert fake.problems == []
        token = client.post("/api/v1/auth/login", json={"username": "zywl", "password": "pw"})
        stats = client.get(
            "/api/v1/stats/requests",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        figures = stats.json()["data"]
        assert figures["llm_input_tokens"] == 1000
        assert figures["llm_cost_usd"] == pytest.approx(0.0024)
        assert figures["by_method"] == {"llm": 1, "cache": 1}
        efficiency = client.get(
            "/api/v1/stats/cache-efficiency",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        ).json()["data"]
        # One paid answer served once more from the cache: one call saved, at the seed's price.
        assert (efficiency["paid_times_saved"], efficiency["cost_saved"]) == (1, 0.01)


def test_anthropic_json_in_prose_is_understood(
    settings: Settings, chelsea: RGB, encode_image: Any
) -> None:
    prose = "Sure! Here is the result:\n```json\n" + good("pets", 0.88, "一只猫") + "\n```"
    with running_llm(Reply(prose)) as fake, serving(settings, anthropic(fake)) as client:
        body = classify(client, encode_image(chelsea))
        assert body["data"]["category"] == "pets"
        assert body["data"]["inference_method"] == "llm"
        request = fake.requests[0]
        assert request["path"] == "/v1/messages"
        sent = request["headers"]
        assert "sk-ant-test" in sent.get("x-api-key", "") + sent.get("authorization", "")
        assert "anthropic-version" in sent
        assert fake.problems == []


def test_a_malformed_answer_passes_the_turn_to_the_next_provider(
    settings: Settings, chelsea: RGB, encode_image: Any
) -> None:
    with (
        running_llm(Reply("I cannot tell, sorry.")) as bad,
        running_llm(Reply(good("pets", 0.9))) as fine,
        serving(settings, openai(bad), anthropic(fine)) as client,
    ):
        body = classify(client, encode_image(chelsea))
        assert body["data"]["category"] == "pets"
        assert body["data"]["inference_method"] == "llm"
        assert len(bad.requests) == 1 and len(fine.requests) == 1


def test_a_malformed_answer_alone_falls_back_to_local_and_is_not_cached(
    settings: Settings, astronaut: RGB, encode_image: Any
) -> None:
    data = encode_image(astronaut)
    with (
        running_llm(Reply('{"category": "pets", "confid')) as fake,
        serving(settings, openai(fake)) as client,
    ):
        body = classify(client, data)
        assert body["data"]["category"] == "single_person"
        assert body["data"]["inference_method"] == "local_fallback"
        errors = body["data"]["local_inference_result"]["llm_errors"]
        assert "no JSON object" in errors[0]
        assert classify(client, data)["from_cache"] is False  # local answers wait for the LLM
        assert len(fake.requests) == 2


def test_429_then_success_is_retried(settings: Settings, coffee: RGB, encode_image: Any) -> None:
    with (
        running_llm(Reply(status=429, retry_after="0"), Reply(good("foods"))) as fake,
        serving(settings, openai(fake)) as client,
    ):
        body = classify(client, encode_image(coffee))
        assert body["data"]["category"] == "foods"
        assert body["data"]["inference_method"] == "llm"
        assert len(fake.requests) == 2


def test_server_errors_until_retries_run_out_fall_back_to_local(
    settings: Settings, astronaut: RGB, encode_image: Any
) -> None:
    with (
        running_llm(Reply(status=503)) as fake,
        serving(settings, anthropic(fake), max_retries=2) as client,
    ):
        body = classify(client, encode_image(astronaut))
        assert body["data"]["inference_method"] == "local_fallback"
        assert body["data"]["category"] == "single_person"
        assert len(fake.requests) == 3  # first call and two retries


def test_a_timeout_falls_back_to_local(
    settings: Settings, astronaut: RGB, encode_image: Any
) -> None:
    with (
        running_llm(Reply(good("pets"), delay_s=3.0)) as fake,
        serving(settings, openai(fake), timeout_s=0.5) as client,
    ):
        body = classify(client, encode_image(astronaut))
        assert body["data"]["inference_method"] == "local_fallback"
        assert body["data"]["category"] == "single_person"
        assert "timed out" in body["data"]["local_inference_result"]["llm_errors"][0]
        assert len(fake.requests) == 1  # a timeout is not retried


def test_without_a_fallback_a_failed_llm_answers_other_like_the_seed(
    settings: Settings, coffee: RGB, encode_image: Any
) -> None:
    data = encode_image(coffee)
    with (
        running_llm(Reply(status=500)) as fake,
        serving(settings, openai(fake), engines=["llm"], max_retries=0) as client,
    ):
        body = classify(client, data)
        assert body["data"]["category"] == "other"
        assert body["data"]["confidence"] == 0.5
        assert body["data"]["description"].startswith("分类失败")
        sha = hashlib.sha256(data).hexdigest()
        check = client.post("/api/v1/classify/check-cache", json={"image_hash": sha})
        assert check.json()["cached"] is False


def test_local_first_asks_the_llm_only_when_unsure(
    settings: Settings, astronaut: RGB, coffee: RGB, encode_image: Any
) -> None:
    import skimage.data

    stars = np.ascontiguousarray(skimage.data.hubble_deep_field())
    with (
        running_llm(Reply(good("other", 0.9, "星空"))) as fake,
        serving(settings, openai(fake), engines=["local", "llm"]) as client,
    ):
        person = classify(client, encode_image(astronaut))
        assert person["data"]["inference_method"] == "local"
        assert person["data"]["category"] == "single_person"
        cup = classify(client, encode_image(coffee))
        assert (cup["data"]["category"], cup["data"]["inference_method"]) == ("foods", "local")
        assert fake.requests == []
        sky = classify(client, encode_image(stars))  # nothing the built-ins know: other at 0.25
        assert sky["data"]["inference_method"] == "llm_fallback"
        assert sky["data"]["category"] == "other" and sky["data"]["confidence"] == 0.9
        assert len(fake.requests) == 1


def test_the_seed_inference_switches_change_the_engine_order_at_runtime(
    settings: Settings, grace_hopper: RGB, coffee: RGB, encode_image: Any
) -> None:
    route = "/api/v1/config/inference"
    with (
        running_llm(Reply(good("foods", 0.9, "咖啡"))) as fake,
        serving(settings, openai(fake)) as client,
    ):
        assert client.get(route).status_code == 403
        login = client.post("/api/v1/auth/login", json={"username": "zywl", "password": "pw"})
        token = {"Authorization": f"Bearer {login.json()['access_token']}"}
        assert client.get(route, headers=token).json() == {
            "use_local_inference": False,
            "local_inference_fallback": True,
            "engines": ["llm", "clip", "local"],
        }
        local_first = client.put(route, json={"use_local_inference": True}, headers=token).json()
        assert local_first["use_local_inference"] is True
        assert local_first["local_inference_fallback"] is True
        assert local_first["engines"] == ["clip", "local", "llm"]
        person = classify(client, encode_image(grace_hopper))["data"]
        assert (person["category"], person["inference_method"]) == ("single_person", "local")
        assert fake.requests == [], "the built-in models answered, the LLM was not paid"

        body = {"use_local_inference": False, "local_inference_fallback": False}
        llm_only = client.put(route, json=body, headers=token).json()
        assert llm_only["engines"] == ["llm"]
        food = classify(client, encode_image(coffee))["data"]
        assert (food["category"], food["inference_method"]) == ("foods", "llm")
        assert len(fake.requests) == 1

        reset = client.post(f"{route}/reset", headers=token)
        assert reset.json() == {
            "success": True,
            "message": "配置已重置",
            "use_local_inference": False,
            "local_inference_fallback": True,
            "engines": ["llm", "clip", "local"],
        }


def test_switches_leaving_no_engine_that_can_answer_are_a_422(settings: Settings) -> None:
    route = "/api/v1/config/inference"
    with serving(settings) as client:  # no LLM provider configured
        login = client.post("/api/v1/auth/login", json={"username": "zywl", "password": "pw"})
        token = {"Authorization": f"Bearer {login.json()['access_token']}"}
        before = client.get(route, headers=token).json()
        body = {"use_local_inference": False, "local_inference_fallback": False}
        refused = client.put(route, json=body, headers=token)
        assert refused.status_code == 422
        assert "No engine" in refused.text
        assert client.get(route, headers=token).json() == before
