"""Seed 003 HEAD's ``embed_auraface`` through the real HTTP API, with a tiny ArcFace-like ONNX
graph pulled from the loopback fake hub as ``fal/AuraFace-v1``'s ``glintr100.onnx``."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
import pytest
from fastapi.testclient import TestClient
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from argus.api.app import create_app
from argus.config import Settings
from argus.models import hub
from fakehub import pull_settings, running_hub

RGB = npt.NDArray[np.uint8]


def tiny_recogniser(dim: int = 512) -> bytes:
    """``input.1`` (N, 3, 112, 112) -> (N, dim): 28x28 average pools times a random matrix."""
    inp = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["N", 3, 112, 112])
    out = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", dim])
    weights = np.random.default_rng(3).standard_normal((48, dim)).astype(np.float32)
    nodes = [
        helper.make_node(
            "AveragePool", ["input.1"], ["pooled"], kernel_shape=[28, 28], strides=[28, 28]
        ),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "W"], ["embedding"]),
    ]
    graph = helper.make_graph(nodes, "tiny", [inp], [out], [numpy_helper.from_array(weights, "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def tasks(client: TestClient, data: bytes, items: list[dict[str, Any]]) -> dict[str, Any]:
    r = client.post(
        "/analyze_image_upload/",
        files={"image_file": ("a.png", data, "image/png")},
        data={"tasks_json": json.dumps(items)},
    )
    assert r.status_code == 200, r.text
    results: dict[str, Any] = r.json()["results"]
    return results


def test_embed_auraface_gives_a_unit_vector_of_the_face_with_its_crop(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    astronaut: RGB,
    coffee: RGB,
    encode_image: Callable[..., bytes],
) -> None:
    items = [
        {
            "operation_id": "face",
            "type": "detect_bounding_box",
            "params": {"target": "prominent_face"},
        },
        {"operation_id": "aura", "type": "embed_auraface"},
        {"operation_id": "whole", "type": "embed_auraface", "params": {"target": "whole_image"}},
    ]
    with TestClient(create_app(Settings(data_dir=tmp_path / "bare", offline=True))) as client:
        listed = client.get("/available_operations/").json()["operations"]["embed_auraface"]
        assert listed["allowed_targets"] == ["prominent_face"]
        assert listed["default_target"] == "prominent_face" and "AuraFace" in listed["description"]
        missing = tasks(client, encode_image(astronaut, "PNG"), items)["aura"]
    assert missing["status"] == "error"
    assert "argus models pull auraface-v1" in missing["error_message"]

    with running_hub(monkeypatch, tmp_path) as fake:
        fake.add_repo("fal/AuraFace-v1", {"glintr100.onnx": tiny_recogniser()})
        settings = pull_settings(tmp_path, fake)
        hub.pull("auraface-v1", settings)
    with TestClient(create_app(settings.model_copy(update={"offline": True}))) as client:
        res = tasks(client, encode_image(astronaut, "PNG"), items)
        no_face = tasks(client, encode_image(coffee), items[1:2])["aura"]
    aura = res["aura"]
    assert aura["status"] == "success" and len(aura["data"]) == 512
    assert np.linalg.norm(aura["data"]) == pytest.approx(1.0, abs=1e-4)
    assert aura["cropped_image_bbox"] == res["face"]["data"]
    x1, y1, x2, y2 = aura["cropped_image_bbox"]
    crop = Image.open(io.BytesIO(base64.b64decode(aura["cropped_image_base64"])))
    assert crop.size == (x2 - x1, y2 - y1)
    assert res["whole"]["status"] == "skipped"
    assert "Allowed: ['prominent_face']" in res["whole"]["error_message"]
    assert no_face["status"] == "skipped"
    assert no_face["error_message"] == "No prominent face found for operation 'aura'."
