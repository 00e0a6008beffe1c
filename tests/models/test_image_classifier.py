"""`OnnxImageClassifier` and its pure pre/post-processing: transformers' size rules, batching in
one ONNX Runtime call, softmax or sigmoid; tiny ONNX graphs built here, real sessions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from argus.config import RuntimeSettings
from argus.errors import ModelLoadFailed
from argus.models.base import ModelContext
from argus.models.catalog import HubSource, ModelSpec
from argus.models.image_classifier import (
    OnnxImageClassifier,
    Preprocessing,
    activation_for,
    center_crop,
    labels_from_config,
    preprocess,
    rank,
    rescale_normalize,
    shortest_edge_size,
    softmax,
)
from argus.runtime.ort import OrtSession
from argus.runtime.session import Session
from fakehub import RGB_LABELS, tiny_classifier

RGB = npt.NDArray[np.uint8]
VIT = {
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
    "resample": 2,
    "rescale_factor": 1 / 255,
    "size": {"height": 32, "width": 32},
    "image_processor_type": "ViTImageProcessor",
}


def solid(r: int, g: int, b: int, h: int = 30, w: int = 40) -> RGB:
    image = np.empty((h, w, 3), np.uint8)
    image[...] = (r, g, b)
    return image


# --------------------------------------------------------------------------- pure functions


@pytest.mark.parametrize(
    ("h", "w", "edge", "longest", "expected"),
    [
        (300, 451, 224, None, (224, 336)),  # chelsea: landscape
        (451, 300, 224, None, (336, 224)),  # portrait
        (100, 100, 64, None, (64, 64)),
        (100, 1000, 50, 200, (20, 200)),  # longest edge caps both sides
        (1, 1, 8, None, (8, 8)),
    ],
)
def test_shortest_edge_size(
    h: int, w: int, edge: int, longest: int | None, expected: tuple[int, int]
) -> None:
    assert shortest_edge_size(h, w, edge, longest) == expected


@pytest.mark.parametrize(
    ("config", "image_hw", "expected_hw"),
    [
        (VIT, (300, 451), (32, 32)),  # ViT: warp to a square
        ({"size": 48}, (300, 451), (48, 48)),  # int size: square by default
        (  # CLIP: int size is the shortest edge, then a center crop
            {"image_processor_type": "CLIPImageProcessor", "size": 40, "crop_size": 32},
            (300, 451),
            (32, 32),
        ),
        (  # ConvNeXT below 384: scale to edge / crop_pct, crop the edge
            {
                "image_processor_type": "ConvNextImageProcessor",
                "size": {"shortest_edge": 64},
                "crop_pct": 0.875,
            },
            (300, 451),
            (64, 64),
        ),
        (  # ConvNeXT at 384: warp, no crop
            {
                "image_processor_type": "ConvNextImageProcessor",
                "size": {"shortest_edge": 384},
                "crop_pct": 0.875,
            },
            (300, 451),
            (384, 384),
        ),
        ({"size": {"shortest_edge": 20}}, (30, 60), (20, 40)),  # no crop: aspect kept
        ({"do_resize": False}, (30, 60), (30, 60)),
        ({"size": [24, 36]}, (30, 60), (24, 36)),
        (
            {
                "size": {"height": 8, "width": 8},
                "do_center_crop": True,
                "crop_size": {"height": 6, "width": 4},
            },
            (30, 60),
            (6, 4),
        ),
    ],
)
def test_output_size_follows_the_config(
    config: Mapping[str, Any], image_hw: tuple[int, int], expected_hw: tuple[int, int]
) -> None:
    pre = Preprocessing.from_config(config)
    assert pre.output_size(*image_hw) == expected_hw
    out = preprocess(np.zeros((*image_hw, 3), np.uint8), pre)
    assert out.shape == (3, *expected_hw)
    assert out.dtype == np.float32


def test_convnext_crop_pct_scales_before_cropping() -> None:
    pre = Preprocessing.from_config(
        {
            "image_processor_type": "ConvNextImageProcessor",
            "size": {"shortest_edge": 224},
            "crop_pct": 0.875,
        }
    )
    assert pre.resized_size(300, 451) == (256, 384)


@pytest.mark.parametrize(
    ("hw", "crop", "expected_corner"),
    [
        ((4, 6), (2, 2), 8),  # top 1, left 2 -> value at (1, 2) = 1 * 6 + 2
        ((4, 6), (4, 6), 0),  # same size: untouched
        ((2, 2), (4, 4), 0),  # larger crop: zero padding around
    ],
)
def test_center_crop(hw: tuple[int, int], crop: tuple[int, int], expected_corner: int) -> None:
    image = np.arange(hw[0] * hw[1], dtype=np.uint8).reshape(*hw, 1).repeat(3, axis=2)
    out = center_crop(image, crop)
    assert out.shape == (*crop, 3)
    assert out[0, 0, 0] == expected_corner
    if crop[0] > hw[0]:
        assert out[1:3, 1:3, 0].tolist() == [[0, 1], [2, 3]]


def test_center_crop_of_an_empty_image_is_padding() -> None:
    assert (
        center_crop(np.zeros((0, 0, 3), np.uint8), (2, 2)).tolist() == np.zeros((2, 2, 3)).tolist()
    )


def test_rescale_normalize_maps_0_255_to_minus_1_plus_1() -> None:
    image = np.array([[[0, 255, 51]]], np.uint8)
    out = rescale_normalize(image, 1 / 255, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    np.testing.assert_allclose(out[0, 0], [-1.0, 1.0, -0.6], atol=1e-6)
    np.testing.assert_array_equal(
        rescale_normalize(image, None, None, None), image.astype(np.float32)
    )


@pytest.mark.parametrize(
    ("logits", "expected"),
    [
        ([[0.0, 0.0]], [[0.5, 0.5]]),
        ([[1000.0, 0.0]], [[1.0, 0.0]]),  # no overflow
        (np.zeros((0, 3)), np.zeros((0, 3))),  # empty batch
    ],
)
def test_softmax(logits: Any, expected: Any) -> None:
    out = softmax(np.asarray(logits, np.float32))
    np.testing.assert_allclose(out, np.asarray(expected), atol=1e-6)
    assert out.shape == np.asarray(expected).shape


def test_rank_orders_best_first_and_names_unknown_indices() -> None:
    ranked = rank(np.array([0.1, 0.7, 0.2]), ["a", "b"])
    assert [label for label, _ in ranked] == ["b", "LABEL_2", "a"]
    np.testing.assert_allclose([score for _, score in ranked], [0.7, 0.2, 0.1])
    assert rank(np.array([]), []) == []


def test_labels_and_activation_from_config() -> None:
    assert labels_from_config({"id2label": {"10": "k", "2": "b", "0": "a"}}) == ("a", "b", "k")
    assert labels_from_config({"label2id": {"no": 1, "yes": 0}}) == ("yes", "no")
    assert labels_from_config({}) == ()
    assert activation_for({}, "logits") == "softmax"
    assert activation_for({"problem_type": "multi_label_classification"}, "logits") == "sigmoid"
    assert activation_for({}, "probabilities") == "none"


# --------------------------------------------------------------------------- the model


class CountingSession:
    """A real ORT session that counts ``run`` calls and the batch sizes they carry."""

    def __init__(self, inner: Session) -> None:
        self.inner = inner
        self.batches: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def run(self, feeds: Mapping[str, Any], outputs: Sequence[str] | None = None) -> Any:
        self.batches.extend(int(v.shape[0]) for v in feeds.values())
        return self.inner.run(feeds, outputs)


def make_model(
    tmp_path: Path,
    *,
    config: Mapping[str, Any] | None = None,
    preprocessor: Mapping[str, Any] = VIT,
    labels: Sequence[str] = RGB_LABELS,
    **graph: Any,
) -> tuple[OnnxImageClassifier, list[CountingSession]]:
    weights = graph.pop("weights", 4 * np.eye(3, dtype=np.float32))
    (tmp_path / "model.onnx").write_bytes(tiny_classifier(weights, **graph))
    cfg = {"id2label": {str(i): label for i, label in enumerate(labels)}, **(config or {})}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(preprocessor))
    sessions: list[CountingSession] = []

    def factory(path: Path) -> Session:
        session = CountingSession(OrtSession(path, RuntimeSettings()))
        sessions.append(session)
        return session

    files = {
        "model": tmp_path / "model.onnx",
        "config": tmp_path / "config.json",
        "preprocessor": tmp_path / "preprocessor_config.json",
    }
    spec = ModelSpec(
        name="owner/tiny",
        task="image-classification",
        family="argus.models.image_classifier:OnnxImageClassifier",
        source=HubSource("owner/tiny"),
        files=(),
        license="MIT",
        description="",
        builtin=False,
    )
    return OnnxImageClassifier(spec, ModelContext(files, session_factory=factory)), sessions


def test_a_batch_runs_in_one_call_when_the_batch_axis_is_dynamic(
    tmp_path: Path, chelsea: RGB, coffee: RGB, astronaut: RGB
) -> None:
    model, sessions = make_model(tmp_path)
    images = [solid(250, 0, 0), solid(0, 250, 0), solid(0, 0, 250), chelsea, coffee, astronaut]
    results = model.predict(images)
    assert sessions[0].batches == [6]
    assert [r[0][0] for r in results[:3]] == ["red", "green", "blue"]
    assert [r[0][0] for r in results[3:]] == ["red", "red", "red"]  # warm photos
    assert model.predict([]) == []
    assert model.labels == RGB_LABELS


def test_a_fixed_batch_of_one_runs_image_by_image(tmp_path: Path, chelsea: RGB) -> None:
    model, sessions = make_model(tmp_path, dynamic_batch=False, size=(32, 32))
    results = model.predict([chelsea, solid(0, 0, 255)])
    assert sessions[0].batches == [1, 1]
    assert [r[0][0] for r in results] == ["red", "blue"]


def test_images_of_different_shapes_are_not_stacked(tmp_path: Path) -> None:
    model, sessions = make_model(tmp_path, preprocessor={"size": {"shortest_edge": 16}})
    results = model.predict(
        [solid(255, 0, 0, 20, 40), solid(0, 255, 0, 40, 20), solid(0, 0, 255, 20, 40)]
    )
    assert sessions[0].batches == [1, 1, 1]
    assert [r[0][0] for r in results] == ["red", "green", "blue"]


def test_a_static_graph_size_wins_over_the_config(tmp_path: Path) -> None:
    model, _ = make_model(tmp_path, size=(24, 24))  # config says 32x32
    assert model.predict([solid(0, 200, 0)])[0][0][0] == "green"


def test_multi_label_models_score_each_label_on_its_own(tmp_path: Path) -> None:
    model, _ = make_model(tmp_path, config={"problem_type": "multi_label_classification"})
    scores = dict(model.predict([solid(255, 255, 0)])[0])
    assert scores["red"] > 0.9 and scores["green"] > 0.9 and scores["blue"] < 0.1


def test_labels_that_do_not_match_the_graph_fail_to_load(tmp_path: Path) -> None:
    model, _ = make_model(tmp_path, labels=("a", "b"))
    with pytest.raises(ModelLoadFailed, match=r"3 scores but config\.json names 2 labels"):
        model.load()


def test_unload_then_predict_loads_again(tmp_path: Path) -> None:
    model, sessions = make_model(tmp_path)
    model.predict([solid(1, 2, 3)])
    model.unload()
    assert not model.loaded
    assert model.predict([solid(255, 0, 0)])[0][0][0] == "red"
    assert len(sessions) == 2
