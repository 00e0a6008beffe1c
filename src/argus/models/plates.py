"""Licence-plate detectors: the built-in offline one and a user's YOLOv8 / YOLOv8-OBB ONNX model.

Both return :class:`Detections` labelled ``plate`` whose ``data["polygon"]`` holds each plate's
4 corners (top-left, top-right, bottom-right, bottom-left of the plate as read; original pixels)
and whose ``xyxy`` is the polygon's bounding box.

*Built-in* (no download): the ``haar-plate-ru`` cascade proposes boxes and PP-OCRv4 (``ppocr-v4``)
reads the image. A text line that looks like a plate (4-12 letters and digits, at least two
digits and one letter, wider than tall) becomes a plate, grown to the plate's whole extent in
the line's own perspective (:func:`plate_extent`: neighbouring text such as a Russian plate's
region code and ``RUS``, a cascade box around it, ``anonymize.plate_margin`` of its height for
the border, and at least ``anonymize.plate_aspect`` heights wide), so plates the cascade
misses (tilted, small, Latin-format) are *completed*; a cascade box is kept only when it is
*confirmed* by some text found inside it and no plate-like line already covers it. The
recognised text is never returned: it is what is being hidden. The cascade alone (``plate_ocr``
false) is fast and weak. Measured on a plate rendered in perspective on three photos: the text
path found 9 of 9, the cascade 2 of 9.

*User model* (``anonymize.plate_model``): the seed's ``best.pt`` exported with
``yolo export format=onnx``: input ``(1, 3, S, S)`` RGB in [0, 1] letterboxed with grey 114;
output ``(1, 4 + nc, N)`` (detect: cx, cy, w, h, class scores) or ``(1, 4 + nc + 1, N)``
(OBB: the last row is the rotation in radians). Which one is read from the export's metadata
(``task``, ``names``, ``imgsz``); without metadata 5 rows mean detect and 6 mean OBB with one
class. Boxes under ``plate_score`` are dropped; overlapping ones are merged by NMS on their
bounding boxes (not a rotated IoU: plates rarely overlap). Graphs with NMS built in are not read.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from argus.arrays import RGB, Quads
from argus.errors import ServiceUnavailable
from argus.models.base import InferenceModel
from argus.models.catalog import ModelFile, ModelSpec, PackageSource
from argus.models.tasks import Detector, TextReader
from argus.vision.boxes import iou_matrix, nms
from argus.vision.detections import Detections

if TYPE_CHECKING:
    from argus.config import AnonymizeSettings
    from argus.models.pool import ModelPool

LABEL = "plate"
CASCADE = "haar-plate-ru"
OCR = "ppocr-v4"
DEFAULT_IMGSZ = 640


# --- shared ---------------------------------------------------------------------------------


def plates(quads: Quads, scores: npt.ArrayLike, sources: Sequence[str]) -> Detections:
    """Detections from (N, 4, 2) quads: bounding boxes, polygons and where each came from."""
    q = np.asarray(quads, np.float32).reshape(-1, 4, 2)
    xyxy = np.concatenate([q.min(axis=1), q.max(axis=1)], axis=1) if len(q) else np.zeros((0, 4))
    polygons = [[[round(float(x), 1), round(float(y), 1)] for x, y in quad] for quad in q]
    return Detections.from_arrays(
        xyxy, scores, [LABEL] * len(q), data={"polygon": polygons, "source": list(sources)}
    )


def box_corners(xyxy: npt.ArrayLike) -> Quads:
    b = np.asarray(xyxy, np.float32).reshape(-1, 4)
    return np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1)


# --- built-in -------------------------------------------------------------------------------


def plate_like(text: str) -> bool:
    """Whether recognised text could be a licence plate (4-12 alphanumerics, >= 2 digits and
    >= 1 letter): ``"A123BC77"`` and ``"AB 1234"`` are, ``"STOP"`` and ``"2024"`` are not."""
    chars = [c for c in text if c.isalnum()]
    digits = sum(c.isdigit() for c in chars)
    return 4 <= len(chars) <= 12 and digits >= 2 and len(chars) - digits >= 1


def grow_quad(quad: npt.ArrayLike, margin: float) -> Quads:
    """A text quad (tl, tr, br, bl) grown along its own axes by ``margin`` of its height on
    every side (plates have a border around their characters)."""
    q = np.asarray(quad, np.float32).reshape(4, 2)
    across = ((q[3] - q[0]) + (q[2] - q[1])) / 2  # top -> bottom
    along = ((q[1] - q[0]) + (q[2] - q[3])) / 2  # left -> right
    height = float(np.linalg.norm(across))
    if height == 0 or not np.linalg.norm(along):
        return q
    u = along / np.linalg.norm(along) * height * margin
    v = across / height * height * margin
    return np.stack([q[0] - u - v, q[1] + u - v, q[2] + u + v, q[3] - u + v]).astype(np.float32)


def _project(points: npt.ArrayLike, origin: Quads, along: Quads, across: Quads) -> Quads:
    """(N, 2) points as (u, v) coordinates on the unit axes ``along`` and ``across``."""
    d = np.asarray(points, np.float32).reshape(-1, 2) - origin
    return np.stack([d @ along, d @ across], axis=1).astype(np.float32)


def plate_extent(
    line: npt.ArrayLike,
    others: Sequence[npt.ArrayLike] = (),
    boxes: npt.ArrayLike = (),
    *,
    margin: float,
    aspect: float,
) -> Quads:
    """The whole plate around a plate-like text line (tl, tr, br, bl), in its own perspective.

    Works in the line's frame (``u`` along the text, ``v`` across it, ``h`` its height):

    1. other text quads (``others``) in the line's band (their ``v`` range overlaps it, they are
       at most 1.5 ``h`` tall) and within 1.5 ``h`` of its ends are joined, repeatedly: a
       Russian plate's region code and ``RUS`` sit beside the number;
    2. cascade boxes (``boxes``, xyxy) holding the line's centre and at most 6 times its area
       are joined (the cascade sees the whole plate when it fires);
    3. every side grows by ``margin`` of ``h`` (the plate's border);
    4. a result narrower than ``aspect`` times ``h`` is widened by the shortfall on *both*
       sides, since the parts OCR did not read may lie on either side of what it read.

    Returns the 4 corners (tl, tr, br, bl) in image pixels, float32.
    """
    q = np.asarray(line, np.float32).reshape(4, 2)
    along = ((q[1] - q[0]) + (q[2] - q[3])) / 2
    width = float(np.linalg.norm(along))
    if width == 0:
        return q
    u_axis = (along / width).astype(np.float32)
    v_axis = np.array([-u_axis[1], u_axis[0]], np.float32)
    if float((((q[3] - q[0]) + (q[2] - q[1])) / 2) @ v_axis) < 0:
        v_axis = -v_axis
    origin = q[0]
    uv = _project(q, origin, u_axis, v_axis)
    (u0, v0), (u1, v1) = uv.min(axis=0), uv.max(axis=0)
    h = float(v1 - v0)
    if h <= 0:
        return q
    pending = [_project(o, origin, u_axis, v_axis) for o in others]
    joined = True
    while joined:
        joined = False
        for i, o in enumerate(pending):
            (ou0, ov0), (ou1, ov1) = o.min(axis=0), o.max(axis=0)
            in_band = ov1 > v0 and ov0 < v1 and ov1 - ov0 <= 1.5 * h
            near = ou0 <= u1 + 1.5 * h and ou1 >= u0 - 1.5 * h
            if in_band and near:
                u0, u1, v0, v1 = min(u0, ou0), max(u1, ou1), min(v0, ov0), max(v1, ov1)
                pending.pop(i)
                joined = True
                break
    centre = q.mean(axis=0)
    area = width * h
    for box in np.asarray(boxes, np.float32).reshape(-1, 4):
        x1, y1, x2, y2 = (float(c) for c in box)
        holds = x1 <= centre[0] <= x2 and y1 <= centre[1] <= y2
        if holds and (x2 - x1) * (y2 - y1) <= 6 * area:
            b = _project(box_corners(box)[0], origin, u_axis, v_axis)
            (bu0, bv0), (bu1, bv1) = b.min(axis=0), b.max(axis=0)
            u0, u1, v0, v1 = min(u0, bu0), max(u1, bu1), min(v0, bv0), max(v1, bv1)
    u0, u1, v0, v1 = u0 - margin * h, u1 + margin * h, v0 - margin * h, v1 + margin * h
    short = aspect * h - (u1 - u0)
    if short > 0:
        u0, u1 = u0 - short, u1 + short
    corners = [(u0, v0), (u1, v0), (u1, v1), (u0, v1)]
    return np.asarray([origin + u * u_axis + v * v_axis for u, v in corners], np.float32)


def _line_shape_ok(quad: Quads) -> bool:
    width = float(np.linalg.norm(quad[1] - quad[0]))
    height = float(np.linalg.norm(quad[3] - quad[0]))
    return height > 0 and 1.5 <= width / height <= 12


def builtin_plates(
    pool: ModelPool, image: RGB, *, use_ocr: bool, margin: float, aspect: float = 0.0
) -> Detections:
    """Plates found by the cascade, confirmed or completed by OCR (see the module docstring);
    a plate-like line is grown to the plate's extent by :func:`plate_extent`."""
    cascade = pool.get(CASCADE, Detector).predict_one(image)
    if not use_ocr:
        return plates(box_corners(cascade.xyxy), cascade.scores, ["cascade"] * len(cascade))
    text = pool.get(OCR, TextReader).predict_one(image)
    quads: list[Quads] = []
    scores: list[float] = []
    sources: list[str] = []
    lines = [np.asarray(p, np.float32).reshape(4, 2) for p in text.data.get("polygon", [])]
    for i, line in enumerate(text.data.get("text", [])):
        quad = lines[i]
        if plate_like(str(line)) and _line_shape_ok(quad):
            others = lines[:i] + lines[i + 1 :]
            quads.append(plate_extent(quad, others, cascade.xyxy, margin=margin, aspect=aspect))
            scores.append(float(text.scores[i]))
            sources.append("text")
    centres = (text.xyxy[:, :2] + text.xyxy[:, 2:]) / 2
    covered = iou_matrix(cascade.xyxy, [np.r_[q.min(0), q.max(0)] for q in quads])
    for j, box in enumerate(cascade.xyxy):
        if covered.shape[1] and covered[j].max() > 0.1:
            continue  # a plate-like line already covers it, more tightly
        inside = (
            (centres[:, 0] >= box[0])
            & (centres[:, 0] <= box[2])
            & (centres[:, 1] >= box[1])
            & (centres[:, 1] <= box[3])
        )
        if inside.any():
            quads.append(box_corners(box)[0])
            scores.append(float(text.scores[inside].max()))
            sources.append("cascade+text")
    return plates(np.asarray(quads, np.float32).reshape(-1, 4, 2), scores, sources)


# --- YOLOv8 / YOLOv8-OBB ONNX -----------------------------------------------------------------


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into the square model input: original = (model - pad) / ratio."""

    ratio: float
    pad_x: float
    pad_y: float


def letterbox(image: RGB, size: int) -> tuple[npt.NDArray[np.float32], Letterbox]:
    """(1, 3, size, size) float32 RGB in [0, 1], grey (114) padding centred, as Ultralytics."""
    import cv2

    h, w = image.shape[:2]
    r = min(size / h, size / w)
    nw, nh = round(w * r), round(h * r)
    resized = (
        cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nw, nh) != (w, h) else image
    )
    px, py = (size - nw) / 2, (size - nh) / 2
    top, left = round(py - 0.1), round(px - 0.1)
    canvas = np.full((size, size, 3), 114, np.uint8)
    canvas[top : top + nh, left : left + nw] = resized
    tensor = canvas.astype(np.float32).transpose(2, 0, 1)[None] / 255.0
    return np.ascontiguousarray(tensor), Letterbox(r, left, top)


def obb_corners(
    cx: npt.NDArray[np.float32],
    cy: npt.NDArray[np.float32],
    w: npt.NDArray[np.float32],
    h: npt.NDArray[np.float32],
    angle: npt.NDArray[np.float32],
) -> Quads:
    """(N, 4, 2) corners of rotated boxes (Ultralytics' xywhr2xyxyxyxy; angle in radians)."""
    cos, sin = np.cos(angle), np.sin(angle)
    v1 = np.stack([w / 2 * cos, w / 2 * sin], axis=-1)
    v2 = np.stack([-h / 2 * sin, h / 2 * cos], axis=-1)
    c = np.stack([cx, cy], axis=-1)
    return np.stack([c - v1 - v2, c + v1 - v2, c + v1 + v2, c - v1 + v2], axis=1).astype(np.float32)


def decode_yolo(
    output: npt.NDArray[np.float32], *, obb: bool, score: float, iou: float
) -> tuple[Quads, npt.NDArray[np.float32], npt.NDArray[np.intp]]:
    """One image's raw output ``(4 + nc [+ 1], N)`` in model pixels -> kept quads (K, 4, 2),
    scores (K,) and class ids (K,), best first."""
    rows = np.asarray(output, np.float32)
    if rows.ndim == 3:
        rows = rows[0]
    nc = rows.shape[0] - 4 - (1 if obb else 0)
    if nc < 1:
        raise ServiceUnavailable(f"plate model output has {rows.shape[0]} rows; not a YOLOv8 head")
    cls_scores = rows[4 : 4 + nc]
    classes = cls_scores.argmax(axis=0)
    conf = cls_scores.max(axis=0)
    keep = conf >= score
    cx, cy, w, h = (rows[i][keep] for i in range(4))
    angle = rows[-1][keep] if obb else np.zeros_like(cx)
    quads = obb_corners(cx, cy, w, h, angle)
    conf, classes = conf[keep], classes[keep]
    hull = (
        np.concatenate([quads.min(axis=1), quads.max(axis=1)], axis=1)
        if len(quads)
        else np.zeros((0, 4), np.float32)
    )
    kept = nms(hull, conf, iou)
    return quads[kept], conf[kept].astype(np.float32), classes[kept]


def _metadata_value(meta: Mapping[str, str], key: str) -> object:
    raw = meta.get(key)
    if raw is None:
        return None
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw


class YoloPlateDetector(InferenceModel[RGB, Detections]):
    """A user's YOLOv8 / YOLOv8-OBB plate detector (ONNX); see the module docstring.

    ``predict`` keeps boxes from :attr:`score` up and merges them above :attr:`iou`;
    :meth:`detect` takes both per call (the configured ``plate_score`` / ``plate_iou``).
    """

    score: float = 0.25
    iou: float = 0.45

    def _load(self) -> None:
        self._session = self.context.session("model")
        meta = self._session.metadata
        names = _metadata_value(meta, "names")
        nc = len(names) if isinstance(names, dict | list) else None
        rows = (
            self._session.outputs[0].shape[1] if len(self._session.outputs[0].shape) == 3 else None
        )
        task = _metadata_value(meta, "task")
        if task in ("obb", "detect"):
            self._obb = task == "obb"
        elif isinstance(rows, int) and nc is not None:
            self._obb = rows - 4 - nc == 1
        else:
            self._obb = rows == 6
        imgsz = _metadata_value(meta, "imgsz")
        shape = self._session.inputs[0].shape
        if isinstance(imgsz, list | tuple) and imgsz:
            self._size = int(imgsz[0])
        elif len(shape) == 4 and isinstance(shape[2], int):
            self._size = int(shape[2])
        else:
            self._size = DEFAULT_IMGSZ

    @property
    def oriented(self) -> bool:
        self.load()
        return self._obb

    def detect(
        self,
        images: Sequence[RGB],
        *,
        score_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> list[Detections]:
        """Like :meth:`predict`, with thresholds overridden for this call."""
        with self.using():
            return self._detect(images, score_threshold, iou_threshold)

    def _predict(self, batch: Sequence[RGB]) -> list[Detections]:
        return self._detect(batch, None, None)

    def _detect(
        self, batch: Sequence[RGB], score: float | None, iou: float | None
    ) -> list[Detections]:
        out: list[Detections] = []
        name = self._session.inputs[0].name
        score = self.score if score is None else score
        iou = self.iou if iou is None else iou
        for image in batch:
            tensor, box = letterbox(np.ascontiguousarray(image[:, :, :3]), self._size)
            raw = np.asarray(self._session.run({name: tensor})[0], np.float32)
            quads, scores, _ = decode_yolo(raw, obb=self._obb, score=score, iou=iou)
            shift = np.asarray([box.pad_x, box.pad_y], np.float32)
            quads = ((quads - shift) / np.float32(box.ratio)).astype(np.float32)
            h, w = image.shape[:2]
            quads[..., 0] = np.clip(quads[..., 0], 0, w)
            quads[..., 1] = np.clip(quads[..., 1], 0, h)
            source = "yolo-obb" if self._obb else "yolo"
            out.append(plates(quads, scores, [source] * len(quads)))
        return out


def user_model(pool: ModelPool, settings: AnonymizeSettings) -> YoloPlateDetector:
    """The plate model named by ``settings.plate_model``, kept by the pool (loaded once, then
    unloaded and reloaded like the catalog's models); ServiceUnavailable (503, as the seed
    answered without its model) when it cannot be read."""
    path = settings.plate_model
    assert path is not None
    path = path.expanduser().resolve()
    if not path.is_file():
        raise ServiceUnavailable(
            f"plate model {str(path)!r} not found: export the seed's best.pt with "
            "`yolo export model=best.pt format=onnx` and set ARGUS_ANONYMIZE__PLATE_MODEL"
        )
    spec = ModelSpec(
        name=f"plate-yolo:{path}",
        task="object-detection",
        family="argus.models.plates:YoloPlateDetector",
        source=PackageSource("argus"),
        files=(ModelFile("model", str(path)),),
        license="the user's model",
        description="User YOLOv8/YOLOv8-OBB plate detector (ONNX).",
        labels=(LABEL,),
    )
    try:
        return pool.local(spec, {"model": path}, YoloPlateDetector)
    except Exception as exc:
        raise ServiceUnavailable(f"plate model {str(path)!r} cannot be loaded: {exc}") from None


def detect_plates(pool: ModelPool, settings: AnonymizeSettings, image: RGB) -> Detections:
    """Plates in one RGB image with the configured detector."""
    if settings.plate_model is not None:
        model = user_model(pool, settings)
        (found,) = model.detect(
            [image], score_threshold=settings.plate_score, iou_threshold=settings.plate_iou
        )
        return found
    return builtin_plates(
        pool,
        image,
        use_ocr=settings.plate_ocr,
        margin=settings.plate_margin,
        aspect=settings.plate_aspect,
    )
