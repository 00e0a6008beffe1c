"""CLIP-like and DINOv2-like ONNX towers pulled from the loopback fake hub give 512 and 768
values through the real preprocessing; a collection trained on those embeddings of sample photos
classifies held-out photos; one request with every operation still decodes once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from analysis_support import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    clip_repo,
    dino_repo,
    expected_vector,
    tower_weights,
)
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from argus.api.app import create_app
from argus.config import Settings
from argus.models import hub
from fakehub import CLIP_MEAN, CLIP_STD, pull_settings, running_hub

RGB = npt.NDArray[np.uint8]
CLIP_W = tower_weights(512, seed=1)
DINO_W = tower_weights(768, seed=2)


@pytest.fixture
def pulled(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Settings]:
    """Settings whose models dir holds clip-vit-b-32 and dinov2-base pulled from the fake hub."""
    with running_hub(monkeypatch, tmp_path) as fake:
        fake.add_repo("Xenova/clip-vit-base-patch32", clip_repo(CLIP_W))
        fake.add_repo("Xenova/dinov2-base", dino_repo(DINO_W))
        settings = pull_settings(tmp_path, fake)
        hub.pull("clip-vit-b-32", settings)
        hub.pull("dinov2-base", settings)
    yield settings.model_copy(update={"offline": True})


def upload(client: TestClient, data: bytes, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    r = client.post(
        "/analyze_image_upload/",
        files={"image_file": ("p.png", data, "image/png")},
        data={"tasks_json": json.dumps(tasks)},
    )
    assert r.status_code == 200, r.text
    results: dict[str, Any] = r.json()["results"]
    return results


def stripes() -> RGB:
    """1344x448: red | green | blue, the green band wide enough to fill CLIP's center crop."""
    img = np.zeros((448, 1344, 3), np.uint8)
    img[:, :400] = (255, 0, 0)
    img[:, 400:944] = (0, 255, 0)
    img[:, 944:] = (0, 0, 255)
    return img


def test_clip_and_dino_vectors_through_the_real_preprocessing(
    pulled: Settings, encode_image: Callable[..., bytes]
) -> None:
    solid = np.full((200, 300, 3), (200, 120, 40), np.uint8)
    with TestClient(create_app(pulled)) as client:
        res = upload(
            client,
            encode_image(stripes(), "PNG"),
            [
                {"operation_id": "clip", "type": "embed_clip_vit_b_32"},
                {"operation_id": "dino", "type": "embed_dino_v2"},
            ],
        )
        dino_solid = upload(
            client, encode_image(solid, "PNG"), [{"operation_id": "d", "type": "embed_dino_v2"}]
        )["d"]
    clip = np.asarray(res["clip"]["data"], np.float32)
    assert clip.shape == (512,) and res["clip"]["cropped_image_bbox"] is None
    # shortest edge to 224 (1344x448 -> 672x224), center crop 224: only the green band is left
    np.testing.assert_allclose(
        clip, expected_vector((0, 255, 0), CLIP_MEAN, CLIP_STD, CLIP_W), rtol=1e-3, atol=1e-3
    )
    dino = np.asarray(dino_solid["data"], np.float32)
    assert dino.shape == (768,)
    # pooler_output, not the doubled decoy rows of last_hidden_state; ImageNet normalisation
    np.testing.assert_allclose(
        dino, expected_vector((200, 120, 40), IMAGENET_MEAN, IMAGENET_STD, DINO_W), atol=1e-3
    )
    assert len(res["dino"]["data"]) == 768


def crops(image: RGB, n: int, seed: int) -> list[RGB]:
    """``n`` random crops of 60-90 % of the photo, some mirrored."""
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    out = []
    for i in range(n):
        ch, cw = int(h * rng.uniform(0.6, 0.9)), int(w * rng.uniform(0.6, 0.9))
        y, x = int(rng.integers(0, h - ch)), int(rng.integers(0, w - cw))
        c = image[y : y + ch, x : x + cw]
        out.append(np.ascontiguousarray(c[:, ::-1] if i % 2 else c))
    return out


def test_a_collection_trained_on_embeddings_classifies_held_out_photos(
    pulled: Settings,
    chelsea: RGB,
    coffee: RGB,
    astronaut: RGB,
    grace_hopper: RGB,
    encode_image: Callable[..., bytes],
) -> None:
    task = [{"operation_id": "e", "type": "embed_clip_vit_b_32"}]
    cats = crops(chelsea, 13, seed=3)
    others = crops(coffee, 5, 4) + crops(astronaut, 4, 5) + crops(grace_hopper, 4, 6)
    held_out_cat, held_out_other = cats.pop(), others.pop(0)
    with TestClient(create_app(pulled)) as client:
        samples = [
            {"embedding": upload(client, encode_image(img, "PNG"), task)["e"]["data"], "label": lab}
            for imgs, lab in ((cats, True), (others, False))
            for img in imgs
        ]
        trained = client.post("/api/v1/collections/7/train", json={"samples": samples})
        assert trained.status_code == 200, trained.text
        report = trained.json()
        assert report["dimensionality"] == 512 and report["samples"] == 24
        assert report["best_version"] == report["version"]
        assert (
            client.post("/api/v1/collections/7/train", json={"samples": samples}).status_code == 200
        )
        listed = client.get("/api/v1/collections").json()["collections"]
        assert [c["collection_id"] for c in listed] == [7] and len(listed[0]["versions"]) == 2

        classify = [
            {"operation_id": "c", "type": "classify", "params": {"collection_id": 7}},
            {
                "operation_id": "face",
                "type": "classify",
                "params": {"collection_id": 7, "target": "prominent_face"},
            },
        ]
        cat = upload(client, encode_image(held_out_cat, "PNG"), classify)
        other = upload(client, encode_image(held_out_other, "PNG"), classify)
        assert cat["c"]["data"]["is_in_collection"] is True
        assert cat["c"]["data"]["probability"] > 0.5
        assert other["c"]["data"]["is_in_collection"] is False
        assert other["c"]["data"]["probability"] < 0.5
        assert cat["face"]["status"] == "skipped"  # no face on the cat

        assert client.get("/api/v1/collections/7").status_code == 200
        too_few = client.post("/api/v1/collections/8/train", json={"samples": samples[:3]})
        assert too_few.status_code == 422
        assert too_few.json()["error"]["code"] == "validation_error"


def test_every_operation_with_pulled_models_decodes_once(
    pulled: Settings, astronaut: RGB, encode_image: Callable[..., bytes]
) -> None:
    with TestClient(create_app(pulled)) as client:
        ops = client.get("/available_operations/").json()["operations"]
        tasks = [{"operation_id": n, "type": n} for n in ops] + [
            {"operation_id": f"{n}_face", "type": n, "params": {"target": "prominent_face"}}
            for n in ("embed_clip_vit_b_32", "embed_dino_v2")
        ]
        res = upload(client, encode_image(astronaut), tasks)
        assert client.app.state.analyzer.decodes == 1  # type: ignore[attr-defined]
    for name in ("embed_clip_vit_b_32", "embed_dino_v2", "embed_clip_vit_b_32_face"):
        assert res[name]["status"] == "success", res[name]
    assert (
        res["embed_dino_v2_face"]["cropped_image_bbox"] == res["embed_face"]["cropped_image_bbox"]
    )
    assert res["describe_image"]["status"] == "error"
    assert res["classify"]["status"] == "skipped"


def test_cli_trains_a_collection_from_seed_training_data(
    pulled: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argus.cli.main import app

    rng = np.random.default_rng(0)
    rows = [
        {
            "embedding": (rng.normal(size=8) + (2 if i % 2 else -2)).tolist(),
            "label": bool(i % 2),
            "photo_id": i,
        }
        for i in range(30)
    ]
    data = tmp_path / "training_data.json"
    data.write_text(json.dumps(rows))
    monkeypatch.setenv("ARGUS_DATA_DIR", str(pulled.data_dir))
    result = CliRunner().invoke(app, ["collections", "train", "5", "--json", str(data)])
    assert result.exit_code == 0, result.output
    assert "collection 5" in result.output and "macro precision 1.0" in result.output
    listed = CliRunner().invoke(app, ["collections", "list"])
    assert "5" in listed.output


def test_cli_finds_training_data_wrapped_in_an_html_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seed 003's training endpoint sometimes wrapped its JSON in HTML; its script coped."""
    from argus.cli.main import app

    rng = np.random.default_rng(1)
    rows = [
        {"embedding": (rng.normal(size=6) + (3 if i % 2 else -3)).tolist(), "label": bool(i % 2)}
        for i in range(20)
    ]
    page = tmp_path / "training_data.json"
    page.write_text(f"<html><body><pre>{json.dumps(rows)}</pre></body></html>\n")
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["collections", "train", "9", "--json", str(page)])
    assert result.exit_code == 0, result.output
    assert "collection 9: trained" in result.output and "20 samples" in result.output
    garbage = tmp_path / "garbage.json"
    garbage.write_text("<html>no data here</html>")
    failed = CliRunner().invoke(app, ["collections", "train", "9", "--json", str(garbage)])
    assert failed.exit_code == 2 and "cannot read the training data" in failed.output
