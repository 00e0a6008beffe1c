"""``describe_image`` through the real HTTP API: a tiny ONNX captioner pulled from the loopback
fake hub, an OpenAI-compatible LLM on a loopback fake speaking the real chat-completions wire
format, the order between them, and ``argus caption-folder`` on a temp folder."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from captioner_support import FakeLlm, Reply, caption_for, captioner_repo, running_llm
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from argus.api.app import create_app
from argus.cli.main import app
from argus.config import ClassifySettings, LlmProviderSettings, Settings
from argus.models import hub
from fakehub import pull_settings, running_hub

RGB = npt.NDArray[np.uint8]


@pytest.fixture
def pulled(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Settings]:
    """Settings whose models dir holds vit-gpt2-captioning pulled from the fake hub."""
    with running_hub(monkeypatch, tmp_path) as fake:
        fake.add_repo("Xenova/vit-gpt2-image-captioning", captioner_repo())
        settings = pull_settings(tmp_path, fake)
        hub.pull("vit-gpt2-captioning", settings)
    yield settings.model_copy(update={"offline": True})


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (120, 160)) -> RGB:
    return np.full((*size, 3), colour, np.uint8)


def describe(client: TestClient, data: bytes, **params: Any) -> dict[str, Any]:
    tasks = [{"operation_id": "caption", "type": "describe_image", "params": params or None}]
    r = client.post(
        "/analyze_image_upload/",
        files={"image_file": ("photo.png", data, "image/png")},
        data={"tasks_json": json.dumps(tasks)},
    )
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()["results"]["caption"]
    return result


BOXES = [
    {"operation_id": "person", "type": "detect_bounding_box"},
    {"operation_id": "face", "type": "detect_bounding_box", "params": {"target": "prominent_face"}},
]


def analyze(client: TestClient, data: bytes, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    r = client.post(
        "/analyze_image_upload/",
        files={"image_file": ("a.png", data, "image/png")},
        data={"tasks_json": json.dumps(tasks)},
    )
    assert r.status_code == 200, r.text
    return {k: v["data"] for k, v in r.json()["results"].items()}


def openai_provider(fake: FakeLlm) -> dict[str, Any]:
    return {"kind": "openai", "model": "gpt-4o-mini", "base_url": fake.openai_url, "api_key": "k"}


def test_the_pulled_captioner_writes_the_caption_and_wins_over_a_configured_llm(
    pulled: Settings, astronaut: RGB, encode_image: Callable[..., bytes]
) -> None:
    with running_llm(Reply("an LLM caption")) as fake:
        llm = ClassifySettings(providers=[LlmProviderSettings(**openai_provider(fake))])
        settings = pulled.model_copy(update={"classify": llm})
        with TestClient(create_app(settings)) as client:
            red = describe(client, encode_image(solid((230, 20, 30)), "PNG"))
            assert red == {
                "status": "success",
                "data": caption_for("red"),
                "cropped_image_bbox": None,
                "cropped_image_base64": None,
                "error_message": None,
            }
            blue = describe(client, encode_image(solid((10, 20, 240)), "PNG"), max_length=2)
            assert blue["data"] == "blue is"
            bad = describe(client, encode_image(solid((10, 20, 240)), "PNG"), max_length="many")
            assert bad["status"] == "skipped" and "max_length" in bad["error_message"]

            # the astronaut on a blue background outside her person box
            boxes = analyze(client, encode_image(astronaut, "PNG"), BOXES)
            px1, py1, px2, py2 = boxes["person"]
            photo = np.full_like(astronaut, (0, 0, 255))
            photo[py1:py2, px1:px2] = astronaut[py1:py2, px1:px2]
            data = encode_image(photo, "PNG")
            again = analyze(client, data, BOXES)  # NanoDet's box moves a few px with the background
            for key in boxes:
                assert np.abs(np.subtract(again[key], boxes[key])).max() <= 8, (key, again, boxes)
            px1, py1, px2, py2 = again["person"]
            whole = describe(client, data)
            crop = describe(client, data, target="prominent_person")
        assert fake.requests == []  # the local model answered every time
    assert whole["data"] == caption_for("blue")  # mostly blue around her
    assert crop["status"] == "success" and crop["data"] == caption_for("red")  # her suit, skin
    assert crop["cropped_image_bbox"] == [px1, py1, px2, py2]
    cx1, cy1, cx2, cy2 = crop["cropped_image_bbox"]
    png = Image.open(io.BytesIO(base64.b64decode(crop["cropped_image_base64"])))
    assert png.format == "PNG" and png.size == (cx2 - cx1, cy2 - cy1)


def test_an_llm_provider_captions_when_no_model_is_pulled(
    tmp_path: Path, coffee: RGB, encode_image: Callable[..., bytes]
) -> None:
    caption = "A cup of coffee on a saucer, seen from above."
    with running_llm(Reply(f"  {caption}\n")) as fake:
        settings = Settings(
            data_dir=tmp_path / "d",
            offline=True,
            classify={"providers": [openai_provider(fake)], "max_retries": 0},
        )
        with TestClient(create_app(settings)) as client:
            result = describe(client, encode_image(coffee), max_length=40)
    assert result["status"] == "success" and result["data"] == caption
    assert fake.problems == []
    (request,) = fake.requests
    body = request["body"]
    assert request["path"] == "/v1/chat/completions"
    assert body["model"] == "gpt-4o-mini" and body["max_tokens"] == 40
    texts = [p["text"] for p in body["messages"][0]["content"] if p["type"] == "text"]
    assert texts == ["Describe this image in one sentence."]


def test_a_failing_llm_is_an_error_and_nothing_configured_names_the_pull_command(
    tmp_path: Path, coffee: RGB, encode_image: Callable[..., bytes]
) -> None:
    with running_llm(Reply(status=500)) as fake:
        settings = Settings(
            data_dir=tmp_path / "d",
            offline=True,
            classify={"providers": [openai_provider(fake)], "max_retries": 0},
        )
        with TestClient(create_app(settings)) as client:
            failed = describe(client, encode_image(coffee))
    assert failed["status"] == "error" and "HTTP 500" in failed["error_message"]
    bare = Settings(data_dir=tmp_path / "e", offline=True)
    with TestClient(create_app(bare)) as client:
        missing = describe(client, encode_image(coffee))
    assert missing["status"] == "error"
    assert "argus models pull vit-gpt2-captioning" in missing["error_message"]


def test_caption_folder_writes_missing_captions_and_force_rewrites(
    pulled: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    encode_image: Callable[..., bytes],
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "red.png").write_bytes(encode_image(solid((240, 10, 10)), "PNG"))
    (folder / "blue.jpg").write_bytes(encode_image(solid((10, 10, 240))))
    (folder / "blue.txt").write_text("my own caption\n")
    (folder / "notes.md").write_text("not an image")
    monkeypatch.setenv("ARGUS_DATA_DIR", str(pulled.data_dir))
    monkeypatch.setenv("ARGUS_OFFLINE", "1")

    result = CliRunner().invoke(app, ["caption-folder", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "red.txt").read_text().strip() == caption_for("red")
    assert (folder / "blue.txt").read_text() == "my own caption\n"
    assert "1 captions written, 1 skipped" in result.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "blue.jpg",
        "blue.txt",
        "notes.md",
        "red.png",
        "red.txt",
    ]

    forced = CliRunner().invoke(app, ["caption-folder", str(folder), "-f", "--max-length", "3"])
    assert forced.exit_code == 0, forced.output
    assert (folder / "blue.txt").read_text().strip() == "blue is the"
    assert (folder / "red.txt").read_text().strip() == "red is the"


def test_caption_folder_without_a_captioner_says_what_to_pull(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("ARGUS_OFFLINE", "1")
    result = CliRunner().invoke(app, ["caption-folder", str(tmp_path)])
    assert result.exit_code == 2
    assert "argus models pull vit-gpt2-captioning" in result.output


def test_greedy_decoding_never_repeats_a_trigram() -> None:
    from argus.models.captioner import banned_tokens

    # "a man riding a man riding" must not go on with "a man riding" a third time
    assert banned_tokens([7, 8, 9, 7, 8]) == {9}
    assert banned_tokens([7, 8, 9]) == set()


def test_a_merged_decoder_runs_on_its_no_cache_branch(tmp_path: Path) -> None:
    """``decoder_model_merged.onnx`` gets empty past key/values and use_cache_branch=False."""
    from captioner_support import tiny_decoder

    from argus.models.base import ModelContext
    from argus.models.captioner import OnnxCaptioner
    from argus.models.catalog import Catalog

    spec = Catalog(tmp_path).get("vit-gpt2-captioning")
    repo = captioner_repo()
    repo["onnx/decoder_model.onnx"] = tiny_decoder(merged=True)
    files = {}
    for f in spec.files:
        (tmp_path / f.path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f.path).write_bytes(repo[f.path])
        files[f.key] = tmp_path / f.path
    model = OnnxCaptioner(spec, ModelContext(files))
    assert model.predict_one((solid((20, 220, 30)), 50)) == caption_for("green")
