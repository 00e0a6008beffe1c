"""A user's YOLOv8-OBB / YOLOv8 plate model (tiny ONNX graphs built here with onnx.helper) and
the built-in detector's pure helpers."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import pytest
from anon_support import wait_job
from fastapi.testclient import TestClient
from onnx import TensorProto, helper
from PIL import Image
from plates_support import inside_mask

from argus.api.app import create_app
from argus.config import AnonymizeSettings, Settings
from argus.models.plates import decode_yolo, grow_quad, plate_like, user_model
from argus.models.pool import ModelPool

RGB = npt.NDArray[np.uint8]
SIZE = 640


def yolo_graph(path: Path, rows: list[list[float]], *, task: str | None) -> Path:
    """An ONNX graph with Ultralytics' input and a constant ``(1, len(rows[0]), N)`` output:
    each inner list of ``rows`` is one candidate (cx, cy, w, h, scores..., [angle])."""
    const = np.asarray(rows, np.float32).T[None]  # (1, C, N)
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    table = helper.make_tensor("table", TensorProto.FLOAT, const.shape, const.ravel().tolist())
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["m"], keepdims=0),
        helper.make_node("Mul", ["m", "zero"], ["z"]),
        helper.make_node("Add", ["table", "z"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(const.shape))],
        initializer=[zero, table],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = {"names": "{0: 'plate'}", "imgsz": f"[{SIZE}, {SIZE}]"}
    if task:
        meta["task"] = task
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def expected_quad(cx: float, cy: float, w: float, h: float, angle: float, image: RGB) -> np.ndarray:
    """Corners in the original image of a rotated box given in letterboxed model pixels."""
    ratio = min(SIZE / image.shape[0], SIZE / image.shape[1])
    pad_x = round((SIZE - round(image.shape[1] * ratio)) / 2 - 0.1)
    pad_y = round((SIZE - round(image.shape[0] * ratio)) / 2 - 0.1)
    c, s = math.cos(angle), math.sin(angle)
    corners = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        x = cx + sx * w / 2 * c - sy * h / 2 * s
        y = cy + sx * w / 2 * s + sy * h / 2 * c
        corners.append(((x - pad_x) / ratio, (y - pad_y) / ratio))
    return np.asarray(corners, np.float32)


def test_obb_model_cover_lands_on_the_oriented_box(tmp_path: Path, coffee: RGB) -> None:
    box = (330.0, 300.0, 220.0, 60.0, 0.35)  # cx, cy, w, h, radians (model pixels)
    model = yolo_graph(
        tmp_path / "best.onnx",
        [
            [*box[:4], 0.91, box[4]],
            [332.0, 301.0, 210.0, 58.0, 0.60, 0.35],  # the same plate, weaker: merged by NMS
            [100.0, 100.0, 50.0, 20.0, 0.10, 0.0],  # under plate_score: dropped
        ],
        task="obb",
    )
    settings = Settings(
        data_dir=tmp_path / "data", offline=True, anonymize=AnonymizeSettings(plate_model=model)
    )
    buf = io.BytesIO()
    Image.fromarray(coffee).save(buf, format="PNG")
    with TestClient(create_app(settings)) as client:
        resp = client.post(
            "/api/v1/anonymize",
            files=[("files", ("cup.png", buf.getvalue(), "image/png"))],
            data={"format": "png"},
        )
        assert resp.status_code == 202, resp.text
        body = wait_job(client, resp.json()["job_id"])
        assert body["status"] == "completed", body
        item = body["items"][0]
        out = np.asarray(Image.open(io.BytesIO(client.get(item["url"]).content)).convert("RGB"))
    quad = expected_quad(*box, coffee)
    (det,) = item["detections"]
    assert det["label"] == "plate" and det["source"] == "yolo-obb"
    assert det["score"] == pytest.approx(0.91, abs=1e-3)
    np.testing.assert_allclose(np.asarray(det["polygon"]), quad, atol=0.6)
    assert out.shape == coffee.shape
    inside = inside_mask(coffee.shape, quad, shrink=0.25)
    grey = out[inside].astype(int)
    assert np.abs(grey - [196, 200, 204]).max() <= 3, "the cover's face fills the quadrilateral"
    outer = ~inside_mask(coffee.shape, quad, shrink=-0.1)
    assert np.array_equal(out[outer], coffee[outer]), "nothing outside the quadrilateral changed"


def test_axis_aligned_model_and_metadata_free_graph(tmp_path: Path, coffee: RGB) -> None:
    path = yolo_graph(tmp_path / "det.onnx", [[320.0, 320.0, 100.0, 40.0, 0.8]], task=None)
    settings = Settings(
        data_dir=tmp_path / "data", offline=True, anonymize=AnonymizeSettings(plate_model=path)
    )
    pool = ModelPool(settings)
    try:
        model = user_model(pool, settings.anonymize)
        assert not model.oriented, "5 rows with one class name: a detect head"
        found = model.predict_one(coffee)
    finally:
        pool.close()
    (quad,) = np.asarray(found.data["polygon"])
    np.testing.assert_allclose(quad, expected_quad(320, 320, 100, 40, 0.0, coffee), atol=0.6)
    assert found.labels == ("plate",)


def test_missing_user_model_is_503_for_seed_clients(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        offline=True,
        anonymize=AnonymizeSettings(plate_model=tmp_path / "models" / "best.onnx"),
    )
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="PNG")
    with TestClient(create_app(settings)) as client:
        resp = client.post(
            "/api/v1/process-task/", files=[("files", ("a.png", buf.getvalue(), "image/png"))]
        )
    assert resp.status_code == 503
    assert resp.json()["detail"].startswith("Сервис временно недоступен")


@pytest.mark.parametrize(
    ("rows", "obb", "kept"),
    [
        (np.zeros((6, 0), np.float32), True, 0),  # no candidates
        (np.array([[10, 10, 4, 2, 0.2, 0]], np.float32).T, True, 0),  # under the score
        (np.array([[10, 10, 4, 2, 0.9], [10, 10, 4, 2, 0.8]], np.float32).T, False, 1),
        (np.array([[10, 10, 4, 2, 0.9], [50, 50, 4, 2, 0.8]], np.float32).T, False, 2),
    ],
)
def test_decode_yolo_table(rows: np.ndarray, obb: bool, kept: int) -> None:
    quads, scores, classes = decode_yolo(rows, obb=obb, score=0.25, iou=0.45)
    assert quads.shape == (kept, 4, 2) and scores.shape == (kept,) and classes.shape == (kept,)
    assert list(scores) == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("text", "plate"),
    [
        ("A123BC77", True),
        ("AB 1234", True),
        ("K777KM199", True),
        ("STOP", False),
        ("2024", False),
        ("", False),
        ("A1", False),
        ("ABCDEFGHIJ12345", False),
    ],
)
def test_plate_like_text(text: str, plate: bool) -> None:
    assert plate_like(text) is plate


def test_grow_quad_keeps_orientation() -> None:
    quad = np.asarray([[0, 0], [100, 0], [100, 20], [0, 20]], np.float32)
    grown = grow_quad(quad, 0.5)
    np.testing.assert_allclose(grown, [[-10, -10], [110, -10], [110, 30], [-10, 30]], atol=1e-4)
