"""`Detections`: the one box type, from model output to database row.

Boxes are ``xyxy`` float32 in pixels of the *original* (EXIF-oriented) image; a model that ran on
a reduced decode scales its boxes back before returning them. Labels are strings so that every
model family, whatever its class ids, speaks the same language.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from argus.arrays import Float32Array


@dataclass(frozen=True)
class Detection:
    """One row of :class:`Detections`, for iteration and JSON."""

    box: tuple[float, float, float, float]
    score: float
    label: str
    landmarks: list[tuple[float, float]] | None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "box": [round(v, 2) for v in self.box],
            "score": round(self.score, 4),
            "label": self.label,
        }
        if self.landmarks is not None:
            out["landmarks"] = [[round(x, 2), round(y, 2)] for x, y in self.landmarks]
        return out


@dataclass(frozen=True)
class Detections:
    """N boxes with scores, labels and optional landmarks.

    Attributes:
        xyxy: (N, 4) float32, x1 y1 x2 y2 in original-image pixels.
        scores: (N,) float32 in [0, 1] (or the model's own score scale, documented per model).
        labels: N strings.
        landmarks: (N, K, 2) float32 in original-image pixels, or None.
        data: free-form per-detection arrays of length N (e.g. ``{"text": [...]}``).
    """

    xyxy: Float32Array
    scores: Float32Array
    labels: tuple[str, ...]
    landmarks: Float32Array | None = None
    data: dict[str, Sequence[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.labels)
        if self.xyxy.shape != (n, 4) or self.scores.shape != (n,):
            raise ValueError(
                f"inconsistent detections: xyxy {self.xyxy.shape}, scores "
                f"{self.scores.shape}, {n} labels"
            )
        if self.landmarks is not None and (self.landmarks.ndim != 3 or len(self.landmarks) != n):
            raise ValueError(f"landmarks must be (N, K, 2), got {self.landmarks.shape}")
        for key, values in self.data.items():
            if len(values) != n:
                raise ValueError(f"data[{key!r}] has {len(values)} values for {n} detections")

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), ())

    @classmethod
    def from_arrays(
        cls,
        xyxy: npt.ArrayLike,
        scores: npt.ArrayLike,
        labels: Sequence[str],
        landmarks: npt.ArrayLike | None = None,
        data: dict[str, Sequence[Any]] | None = None,
    ) -> Detections:
        box_arr = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
        lm = None if landmarks is None else np.asarray(landmarks, dtype=np.float32)
        return cls(
            box_arr,
            np.asarray(scores, dtype=np.float32).reshape(-1),
            tuple(labels),
            lm,
            dict(data or {}),
        )

    @classmethod
    def concat(cls, parts: Sequence[Detections]) -> Detections:
        """The rows of every part, in order. ``data`` keys of any part are kept, with ``None``
        for the rows of parts without them; landmarks only when every part has the same kind."""
        if not parts:
            return cls.empty()
        keys = list(dict.fromkeys(k for p in parts for k in p.data))
        kinds = {None if p.landmarks is None else p.landmarks.shape[1:] for p in parts}
        marks = [p.landmarks for p in parts if p.landmarks is not None]
        return cls(
            np.concatenate([p.xyxy for p in parts]).reshape(-1, 4),
            np.concatenate([p.scores for p in parts]),
            tuple(label for p in parts for label in p.labels),
            np.concatenate(marks) if None not in kinds and len(kinds) == 1 else None,
            {k: [v for p in parts for v in p.data.get(k, [None] * len(p))] for k in keys},
        )

    def __len__(self) -> int:
        return len(self.labels)

    def __iter__(self) -> Iterator[Detection]:
        for i in range(len(self)):
            lm = None
            if self.landmarks is not None:
                lm = [(float(x), float(y)) for x, y in self.landmarks[i]]
            box = tuple(float(v) for v in self.xyxy[i])
            yield Detection(box, float(self.scores[i]), self.labels[i], lm)  # type: ignore[arg-type]

    def __getitem__(self, index: npt.ArrayLike | slice) -> Detections:
        """Select rows with a slice, an integer array or a boolean mask."""
        idx = np.arange(len(self))[index]  # type: ignore[index]
        idx = np.atleast_1d(idx)
        return Detections(
            self.xyxy[idx],
            self.scores[idx],
            tuple(self.labels[i] for i in idx),
            None if self.landmarks is None else self.landmarks[idx],
            {k: [v[i] for i in idx] for k, v in self.data.items()},
        )

    @property
    def areas(self) -> Float32Array:
        from argus.vision.boxes import area

        return area(self.xyxy)

    def scaled(self, factor_x: float, factor_y: float | None = None) -> Detections:
        """The same detections with coordinates multiplied (reduced decode -> original)."""
        fy = factor_x if factor_y is None else factor_y
        f = np.array([factor_x, fy, factor_x, fy], np.float32)
        lm = (
            None
            if self.landmarks is None
            else self.landmarks * np.array([factor_x, fy], np.float32)
        )
        return Detections(self.xyxy * f, self.scores, self.labels, lm, self.data)

    def sorted_by_score(self) -> Detections:
        return self[np.argsort(-self.scores, kind="stable")]

    def to_list(self) -> list[dict[str, Any]]:
        out = []
        for i, det in enumerate(self):
            row = det.to_dict()
            for key, values in self.data.items():
                row[key] = values[i]
            out.append(row)
        return out
