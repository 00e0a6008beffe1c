"""Where the prominent person and the prominent face are: pure functions on :class:`Detections`.

The built-in person detectors are OpenCV's Haar body cascades, which are weak: on
scikit-image's ``astronaut()`` the full-body cascade finds nothing and the upper-body cascade
fires on her shoulder patch, not on her; on ``coffee()`` it fires on the cup. So a body box is
trusted only when it is a full-body hit, or an upper-body hit that contains the prominent face's
centre. Otherwise, when a face was found, the person box is derived from the face: three face
widths wide, from half a face height above it to four and a half below it (head and torso),
clipped to the image. With neither, there is no person (the seed's rule then falls back to the
whole image). Boxes are ``(4,)`` float32 ``x1 y1 x2 y2`` in original-image pixels.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from argus.vision.boxes import area, clip
from argus.vision.detections import Detections

Box = npt.NDArray[np.float32]

#: Person box derived from a face box, in face widths/heights around the face.
FACE_TO_PERSON = (1.5, 0.5, 1.5, 4.5)  # left, above, right, below


def best(dets: Detections) -> Box | None:
    """The highest-scoring box, or None when there is none."""
    if not len(dets):
        return None
    return np.asarray(dets.xyxy[int(np.argmax(dets.scores))], np.float32)


def center_inside(box: Box, container: Box) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return bool(container[0] <= cx <= container[2] and container[1] <= cy <= container[3])


def faces_inside(faces: Detections, container: Box) -> Detections:
    """The faces whose centre lies in ``container``."""
    if not len(faces):
        return faces
    mask = np.array([center_inside(b, container) for b in faces.xyxy], bool)
    return faces[mask]


def person_from_face(face: Box, size: tuple[int, int]) -> Box:
    """A head-and-torso box around a face box, clipped to ``size = (width, height)``."""
    w, h = face[2] - face[0], face[3] - face[1]
    left, above, right, below = FACE_TO_PERSON
    box = np.array(
        [face[0] - left * w, face[1] - above * h, face[2] + right * w, face[3] + below * h]
    )
    return np.asarray(clip(box, size)[0], np.float32)


def prominent_person(
    full_body: Detections, upper_body: Detections, face: Box | None, size: tuple[int, int]
) -> tuple[Box | None, str]:
    """The prominent person's box and how it was found (``body``, ``face`` or ``none``)."""
    candidates = list(full_body.xyxy)
    if face is not None:
        candidates += [b for b in upper_body.xyxy if center_inside(face, b)]
        with_face = [b for b in candidates if center_inside(face, b)]
        candidates = with_face or candidates
    if candidates:
        boxes = np.asarray(candidates, np.float32).reshape(-1, 4)
        chosen = boxes[int(np.argmax(area(boxes)))]
        return np.asarray(clip(chosen, size)[0], np.float32), "body"
    if face is not None:
        return person_from_face(face, size), "face"
    return None, "none"


def int_box(box: Box, size: tuple[int, int]) -> list[int]:
    """``[xmin, ymin, xmax, ymax]`` integers inside ``size = (width, height)``, at least 1 px."""
    w, h = size
    x1 = int(np.clip(np.floor(box[0]), 0, max(w - 1, 0)))
    y1 = int(np.clip(np.floor(box[1]), 0, max(h - 1, 0)))
    x2 = int(np.clip(np.ceil(box[2]), x1 + 1, w))
    y2 = int(np.clip(np.ceil(box[3]), y1 + 1, h))
    return [x1, y1, x2, y2]


def offset(dets: Detections, dx: float, dy: float) -> Detections:
    """Detections found in a crop, moved back into the image's coordinates."""
    shift = np.array([dx, dy, dx, dy], np.float32)
    lm = None if dets.landmarks is None else dets.landmarks + np.array([dx, dy], np.float32)
    return Detections(dets.xyxy + shift, dets.scores, dets.labels, lm, dets.data)
