"""ArcFace-style ONNX face recognisers (InsightFace ``w600k_r50`` and alike): aligned crop in,
L2-normalised embedding out.

Input: ``(image, detections)`` pairs whose detections carry dlib's 5 landmarks (the two
corners of each eye and the base of the nose, :data:`argus.models.faces_dlib.LANDMARK_NAMES`).
Each face is aligned to the graph's input size (112x112 for every public ArcFace) by the
similarity transform (rotation, uniform scale, translation; Umeyama's least squares) that maps
the eye centres and the nose base onto InsightFace's standard template. The template's nose
point is the nose *tip*; dlib gives the nose *base*, a quarter of the way from the tip to the
mouth line, so that one target point is moved down accordingly (76.9 instead of 71.7 px). The
crop is fed as RGB, ``(x - 127.5) / 127.5``, NCHW (NHWC when the graph says so), which is
InsightFace's normalisation for these models; the first output, flattened, is L2-normalised.

Same person at cosine similarity of at least :attr:`ArcFaceEmbedder.threshold` (the spec's
``similarity``; the catalog uses Immich's default for buffalo_l, cosine distance 0.5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from argus.arrays import RGB, Float32Array
from argus.errors import InvalidInput, ModelLoadFailed
from argus.models.base import InferenceModel
from argus.runtime.session import Session, TensorInfo
from argus.vision.detections import Detections

FaceInput = tuple[RGB, Detections]

DEFAULT_SIZE = 112
DEFAULT_SIMILARITY = 0.5
#: InsightFace's 5-point template for 112x112 crops: eye (image left), eye (image right), nose
#: tip, mouth corners.
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    np.float64,
)
#: Targets for dlib's points turned into (image-left eye centre, image-right eye centre, nose
#: base) on a 112x112 crop.
DLIB_TEMPLATE = np.array(
    [ARCFACE_TEMPLATE[0], ARCFACE_TEMPLATE[1], [56.0252, 76.9]],
    np.float64,
)


def similarity_transform(src: npt.ArrayLike, dst: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The (2, 3) matrix of the similarity transform mapping ``src`` (K, 2) onto ``dst`` (K, 2)
    in the least-squares sense (Umeyama 1991, reflections excluded); K >= 2."""
    s = np.asarray(src, np.float64).reshape(-1, 2)
    d = np.asarray(dst, np.float64).reshape(-1, 2)
    if len(s) != len(d) or len(s) < 2:
        raise ValueError(
            f"need two matching point sets of at least 2 points, got {s.shape}, {d.shape}"
        )
    mu_s, mu_d = s.mean(0), d.mean(0)
    sc, dc = s - mu_s, d - mu_d
    var_s = float((sc**2).sum() / len(s))
    if var_s < 1e-12:
        raise ValueError("the source points coincide")
    cov = dc.T @ sc / len(s)
    u, sigma, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1.0
    rotation = u @ sign @ vt
    scale = float(np.trace(np.diag(sigma) @ sign)) / var_s
    matrix = np.zeros((2, 3), np.float64)
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = mu_d - scale * rotation @ mu_s
    return matrix


def dlib_points(landmarks: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """dlib's 5 points (K=5, dlib order) -> (3, 2): image-left eye, image-right eye, nose base."""
    pts = np.asarray(landmarks, np.float64).reshape(-1, 2)
    if len(pts) != 5:
        raise InvalidInput(f"ArcFace alignment needs dlib's 5 landmarks, got {len(pts)} points")
    return np.stack([pts[2:4].mean(0), pts[0:2].mean(0), pts[4]])


def align(image: RGB, landmarks: npt.ArrayLike, size: int = DEFAULT_SIZE) -> RGB:
    """The face with these dlib landmarks warped to a ``size`` x ``size`` ArcFace crop."""
    import cv2

    target = DLIB_TEMPLATE * (size / DEFAULT_SIZE)
    matrix = similarity_transform(dlib_points(landmarks), target)
    out = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)
    return np.ascontiguousarray(out, dtype=np.uint8)


def normalise_crop(crop: RGB) -> Float32Array:
    """(H, W, 3) uint8 RGB -> (3, H, W) float32 in [-1, 1]: ``(x - 127.5) / 127.5``."""
    x = (crop.astype(np.float32) - np.float32(127.5)) / np.float32(127.5)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def l2_normalise(vectors: npt.ArrayLike) -> Float32Array:
    """Rows scaled to unit length (zero rows stay zero)."""
    v = np.asarray(vectors, np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    out: Float32Array = v / np.maximum(norms, np.float32(1e-12))
    return out.astype(np.float32)


class ArcFaceEmbedder(InferenceModel[FaceInput, Float32Array]):
    """An ArcFace-style ONNX recogniser: (N, D) unit vectors per image, (0, D) with no face."""

    _session: Session
    _input: TensorInfo
    _size: int
    _channels_last: bool
    _batch_one: bool
    _dim: int | None

    @property
    def threshold(self) -> float:
        """Cosine similarity at or above which two faces are the same person."""
        return self.spec.thresholds.get("similarity", DEFAULT_SIMILARITY)

    @property
    def dim(self) -> int:
        """Embedding size: from the graph's output shape, else from one run on a blank crop."""
        self.load()
        if self._dim is None:
            blank = np.zeros((3, self._size, self._size), np.float32)
            self._dim = int(self._run([blank]).shape[1])
        return self._dim

    @property
    def providers(self) -> list[str]:
        return list(self._session.providers) if self.loaded else []

    def _load(self) -> None:
        session = self.context.session("model")
        if not session.inputs or not session.outputs:
            raise ModelLoadFailed(f"{self.name}: the graph has no input or no output.")
        inp = session.inputs[0]
        shape = inp.shape
        if len(shape) != 4:
            raise ModelLoadFailed(f"{self.name}: expected a 4-d image input, got {shape}.")
        self._channels_last = shape[-1] == 3 and shape[1] != 3
        self._batch_one = shape[0] == 1
        side = shape[1] if self._channels_last else shape[2]
        self._size = side if isinstance(side, int) and side > 0 else DEFAULT_SIZE
        out_shape = session.outputs[0].shape
        last = out_shape[-1] if out_shape else None
        self._dim = last if isinstance(last, int) and last > 0 else None
        self._input, self._session = inp, session

    def _unload(self) -> None:
        del self._session

    def _predict(self, batch: Sequence[FaceInput]) -> list[Float32Array]:
        out = []
        for image, faces in batch:
            if len(faces) == 0:
                out.append(np.zeros((0, self._dim or 0), np.float32))
                continue
            if faces.landmarks is None:
                raise InvalidInput("ArcFace needs face landmarks (run dlib-landmarks-5 first)")
            crops = [normalise_crop(align(image, lm, self._size)) for lm in faces.landmarks]
            groups = [[c] for c in crops] if self._batch_one else [crops]
            raw = np.concatenate([self._run(group) for group in groups])
            vectors = l2_normalise(raw.reshape(len(crops), -1))
            self._dim = vectors.shape[1]
            out.append(vectors)
        return out

    def _run(self, crops: list[Float32Array]) -> Float32Array:
        x = np.stack(crops)
        if self._channels_last:
            x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
        (raw,) = self._session.run({self._input.name: x}, [self._session.outputs[0].name])
        return np.asarray(raw, np.float32).reshape(len(crops), -1)
