"""ArcFace-style ONNX recognisers: alignment maths, and a tiny graph pulled from the fake hub
serving seed 004's routes and a gallery in place of dlib."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import pytest
from fastapi.testclient import TestClient
from onnx import TensorProto, helper, numpy_helper

from argus.api.app import create_app
from argus.config import FaceSettings
from argus.models import hub
from argus.models.arcface import DLIB_TEMPLATE, align, dlib_points, similarity_transform
from fakehub import pull_settings, running_hub

RGB = npt.NDArray[np.uint8]
Encode = Callable[..., bytes]
DIM = 16


def tiny_arcface(dim: int = DIM) -> bytes:
    """``input.1`` (N, 3, 112, 112) -> (N, dim): 28x28 average pools (48 numbers) times a fixed
    random matrix, so different crops give different, deterministic features."""
    inp = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["N", 3, 112, 112])
    out = helper.make_tensor_value_info("683", TensorProto.FLOAT, ["N", dim])
    weights = np.random.default_rng(7).standard_normal((48, dim)).astype(np.float32)
    nodes = [
        helper.make_node(
            "AveragePool", ["input.1"], ["pooled"], kernel_shape=[28, 28], strides=[28, 28]
        ),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "W"], ["683"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_arcface", [inp], [out], [numpy_helper.from_array(weights, "W")]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def test_similarity_transform_recovers_rotation_scale_and_shift() -> None:
    src = np.array([[10.0, 20.0], [50.0, 22.0], [30.0, 60.0]])
    angle, scale, shift = np.deg2rad(12.0), 1.7, np.array([5.0, -3.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = src @ (scale * rot).T + shift
    m = similarity_transform(src, dst)
    assert np.allclose(m[:, :2], scale * rot, atol=1e-9) and np.allclose(m[:, 2], shift)
    with pytest.raises(ValueError):
        similarity_transform(src[:1], dst[:1])


def test_alignment_puts_the_eyes_where_arcface_expects_them() -> None:
    """A synthetic face: two dark eyes and a nose dot, tilted by 20 degrees."""
    image = np.full((300, 300, 3), 200, np.uint8)
    centre, angle = np.array([150.0, 150.0]), np.deg2rad(20.0)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    local = {"left": (-40.0, -20.0), "right": (40.0, -20.0), "nose": (0.0, 30.0)}
    points = {k: centre + rot @ np.array(v) for k, v in local.items()}
    for k in ("left", "right"):
        x, y = points[k].round().astype(int)
        image[y - 4 : y + 5, x - 4 : x + 5] = 0
    # dlib order: image-right eye corners, image-left eye corners, nose base
    right, left = points["right"], points["left"]
    lm = np.array([right + 5, right - 5, left - 5, left + 5, points["nose"]], np.float32)
    assert np.allclose(dlib_points(lm)[:2], [left, right])
    crop = align(image, lm)
    assert crop.shape == (112, 112, 3)
    for x, y in DLIB_TEMPLATE[:2]:
        assert crop[round(y), round(x)].max() < 60  # an eye landed on its template point


def test_a_pulled_arcface_model_answers_the_seed_routes_and_galleries(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    astronaut: RGB,
    astronaut_copy: RGB,
    grace_hopper: RGB,
    encode_image: Encode,
) -> None:
    with running_hub(monkeypatch, tmp_path) as fake:
        fake.add_repo(
            "immich-app/buffalo_l",
            {"recognition/model.onnx": tiny_arcface(), "README.md": b"# buffalo_l\n"},
            license="other",
        )
        settings = pull_settings(tmp_path, fake)
        spec = hub.pull("arcface-w600k-r50", settings)
    assert spec.thresholds == {"similarity": 0.5}

    settings = settings.model_copy(update={"faces": FaceSettings(model="arcface-w600k-r50")})
    with TestClient(create_app(settings)) as c:
        resp = c.post(
            "/api/extract_feature",
            files={"image": ("a.jpg", encode_image(astronaut), "image/jpeg")},
        )
        body = resp.json()
        assert body["success"] is True and body["model"] == "arcface-w600k-r50"
        assert body["feature_dim"] == 1024  # the seed's size; the gallery below keeps DIM
        assert np.linalg.norm(body["feature"]) == pytest.approx(1.0, abs=1e-5)

        other = c.post(
            "/api/extract_feature",
            files={"image": ("g.jpg", encode_image(grace_hopper), "image/jpeg")},
        ).json()["feature"]
        compared = c.post(
            "/api/compare_features", json={"feature1": body["feature"], "feature2": other}
        ).json()
        assert compared["threshold"] == 0.7 and -1.0 <= compared["similarity"] < 1.0

        dlib_sized = c.post(
            "/api/compare_features", json={"feature1": body["feature"], "feature2": [0.1] * 128}
        )
        assert dlib_sized.status_code == 400

        made = c.post("/api/v1/galleries", json={"name": "onnx"}).json()
        assert made["model"] == "arcface-w600k-r50" and made["feature_dim"] == DIM
        enrolled = c.post(
            "/api/v1/galleries/onnx/subjects",
            data={"name": "eileen"},
            files=[("images", ("a.jpg", encode_image(astronaut), "image/jpeg"))],
        )
        assert enrolled.status_code == 201
        found = c.post(
            "/api/v1/galleries/onnx/identify",
            files={"image": ("q.jpg", encode_image(astronaut_copy), "image/jpeg")},
        ).json()
        assert found["model"] == "arcface-w600k-r50" and found["matches"][0]["subject"] == "eileen"
