"""Multi-object tracking by detection: a Kalman filter per track and IoU matching (SORT/ByteTrack).

:class:`Tracker` takes one frame's boxes at a time (``xyxy`` float32 pixels and scores) and says
which track each box belongs to. Each track carries a constant-velocity Kalman filter over
``(cx, cy, w, h)`` with noise proportional to the box's size (ByteTrack's choice, so small and
large faces move alike); matching is the Hungarian assignment on the IoU between the tracks'
predicted boxes and the detections, in two rounds as ByteTrack does: detections scoring at least
``high_score`` first, then the weaker ones against the tracks left over (a weak box only extends
an existing track, never starts one). A track not matched for ``max_lost`` frames is dropped.

Supervision's ``ByteTrack`` was the first choice; it is deprecated there (removed in 0.31) and its
successor package ``trackers`` requires ``opencv-python`` (the GUI build, which overwrites
``opencv-python-headless``), so Argus keeps this ~150-line numpy version of the same algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from argus.arrays import Float32Array, Float64Array
from argus.vision.boxes import iou_matrix

_F = np.eye(8)
_F[:4, 4:] = np.eye(4)  # position += velocity, one frame per step
_H = np.eye(4, 8)
_STD_POS = 1.0 / 20
_STD_VEL = 1.0 / 160


def _to_cxcywh(box: npt.ArrayLike) -> Float64Array:
    x1, y1, x2, y2 = np.asarray(box, np.float64)
    return np.array([(x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, 1e-3), max(y2 - y1, 1e-3)])


def _to_xyxy(z: Float64Array) -> Float32Array:
    cx, cy, w, h = z[:4]
    w, h = max(w, 1e-3), max(h, 1e-3)
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)


@dataclass
class Track:
    """One tracked object: its Kalman state (8,), covariance (8, 8) and bookkeeping."""

    id: int
    mean: Float64Array
    cov: Float64Array
    lost: int = 0
    hits: int = 1

    @classmethod
    def start(cls, track_id: int, box: npt.ArrayLike) -> Track:
        z = _to_cxcywh(box)
        size = max(z[2], z[3])
        std = np.r_[np.full(4, 2 * _STD_POS * size), np.full(4, 10 * _STD_VEL * size)]
        return cls(track_id, np.r_[z, np.zeros(4)], np.diag(std**2))

    @property
    def box(self) -> Float32Array:
        """The current estimate as x1 y1 x2 y2."""
        return _to_xyxy(self.mean)

    @property
    def velocity(self) -> Float32Array:
        """Pixels per frame of the box's centre and size: (vcx, vcy, vw, vh)."""
        return self.mean[4:].astype(np.float32)

    def predict(self) -> None:
        size = max(self.mean[2], self.mean[3])
        q = np.r_[np.full(4, _STD_POS * size), np.full(4, _STD_VEL * size)] ** 2
        self.mean = _F @ self.mean
        self.cov = _F @ self.cov @ _F.T + np.diag(q)

    def update(self, box: npt.ArrayLike) -> None:
        z = _to_cxcywh(box)
        r = np.diag(np.full(4, _STD_POS * max(self.mean[2], self.mean[3])) ** 2)
        s = _H @ self.cov @ _H.T + r
        gain = np.linalg.solve(s, _H @ self.cov).T
        self.mean = self.mean + gain @ (z - _H @ self.mean)
        self.cov = (np.eye(8) - gain @ _H) @ self.cov
        self.lost = 0
        self.hits += 1


@dataclass
class Tracker:
    """Two-round IoU + Kalman tracker (see the module docstring).

    Attributes:
        high_score: detections at least this confident are matched first and may start tracks.
        match_iou: least IoU between a predicted track box and a detection to match them.
        max_lost: frames a track survives unmatched before it is dropped.
    """

    high_score: float = 0.5
    match_iou: float = 0.2
    max_lost: int = 30
    tracks: list[Track] = field(default_factory=list)
    _next_id: int = 1

    def update(self, xyxy: npt.ArrayLike, scores: npt.ArrayLike) -> list[int]:
        """Advance one frame; the track id of each detection (in input order, always >= 1)."""
        boxes = np.asarray(xyxy, np.float32).reshape(-1, 4)
        conf = np.asarray(scores, np.float32).reshape(-1)
        for track in self.tracks:
            track.predict()
        ids = [0] * len(boxes)
        strong = [i for i in range(len(boxes)) if conf[i] >= self.high_score]
        weak = [i for i in range(len(boxes)) if conf[i] < self.high_score]
        free = list(range(len(self.tracks)))
        free, unmatched = self._match(free, strong, boxes, ids)
        free, _ = self._match(free, weak, boxes, ids)
        for t in free:
            self.tracks[t].lost += 1
        for i in unmatched:
            self.tracks.append(Track.start(self._next_id, boxes[i]))
            ids[i] = self._next_id
            self._next_id += 1
        self.tracks = [t for t in self.tracks if t.lost <= self.max_lost]
        return ids

    def lost_tracks(self) -> list[Track]:
        """Tracks that were not matched in the last frame but are still alive."""
        return [t for t in self.tracks if t.lost > 0]

    def _match(
        self, free: list[int], dets: list[int], boxes: Float32Array, ids: list[int]
    ) -> tuple[list[int], list[int]]:
        """Assign ``dets`` to the ``free`` tracks; the tracks and detections left over."""
        if not free or not dets:
            return free, dets
        predicted = np.stack([self.tracks[t].box for t in free])
        iou = iou_matrix(predicted, boxes[dets])
        from scipy.optimize import linear_sum_assignment  # SciPy: ~1 s to import, only here

        rows, cols = linear_sum_assignment(-iou)
        used_t: set[int] = set()
        used_d: set[int] = set()
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            if iou[r, c] < self.match_iou:
                continue
            track = self.tracks[free[r]]
            track.update(boxes[dets[c]])
            ids[dets[c]] = track.id
            used_t.add(r)
            used_d.add(c)
        return (
            [t for k, t in enumerate(free) if k not in used_t],
            [d for k, d in enumerate(dets) if k not in used_d],
        )
