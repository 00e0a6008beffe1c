"""Which regions to hide in each video frame: tracked hits, filled between hits, held around them.

A detector misses a face now and then (a blurred or half-hidden frame, a turned head); hiding
only what it found makes the face flash into view. :class:`CoverPlanner` takes the frames in
order with their tracked detections (a track id per region, from
:class:`argus.vision.tracking.Tracker`) and gives each frame back, ``hold`` frames later, with
every region to hide in it:

- *hit*: what the detector found in that frame;
- *filled*: a track found before and after within ``hold + 1`` frames and missed in between is
  interpolated linearly (corner by corner) between its two hits;
- *held*: after a track's last hit (and before its first one) its region is kept for ``hold``
  frames, both where it was and where its last motion (pixels per frame between its last two
  hits) would have taken it, so a face leaving a detection gap is covered where it goes.

So no frame shows a region that the frames around it cover. Only ``hold + 1`` frames and a few
hits per track are kept, whatever the video's length: memory is bounded by the window.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

import numpy as np

from argus.arrays import Quads

T = TypeVar("T")
How = Literal["hit", "filled", "held"]


@dataclass(frozen=True)
class Hit:
    """One tracked detection: its label, track id, 4 corners (pixels) and score."""

    label: str
    track: int
    quad: Quads
    score: float


@dataclass(frozen=True)
class Region:
    """A region to hide in one frame and why (``hit``, ``filled`` or ``held``)."""

    label: str
    track: int
    quad: Quads
    how: How


@dataclass
class _TrackHits:
    label: str
    frames: list[int] = field(default_factory=list)
    quads: list[Quads] = field(default_factory=list)

    def add(self, index: int, quad: Quads) -> None:
        self.frames.append(index)
        self.quads.append(quad)

    def velocity(self, at: int) -> Quads:
        """Corner motion per frame between the hit at position ``at`` and the one before."""
        if at < 1:
            return np.zeros((4, 2), np.float32)
        gap = self.frames[at] - self.frames[at - 1]
        return np.asarray((self.quads[at] - self.quads[at - 1]) / gap, np.float32)


class CoverPlanner(Generic[T]):
    """Frames in, frames with their regions out, ``hold`` frames behind (see the module doc)."""

    def __init__(self, hold: int) -> None:
        if hold < 0:
            raise ValueError(f"hold must be at least 0, got {hold}")
        self.hold = hold
        self._frames: deque[tuple[int, T]] = deque()
        self._tracks: dict[tuple[str, int], _TrackHits] = {}
        self._next = 0

    def push(self, item: T, hits: list[Hit]) -> Iterator[tuple[T, list[Region]]]:
        """Add the next frame and its hits; yields the frames that are now settled."""
        index = self._next
        self._next += 1
        self._frames.append((index, item))
        for hit in hits:
            key = (hit.label, hit.track)
            self._tracks.setdefault(key, _TrackHits(hit.label)).add(index, hit.quad)
        while self._frames and self._frames[0][0] <= index - self.hold:
            yield self._settle()

    def flush(self) -> Iterator[tuple[T, list[Region]]]:
        """The frames still waiting (at the end of the video)."""
        while self._frames:
            yield self._settle()

    def _settle(self) -> tuple[T, list[Region]]:
        index, item = self._frames.popleft()
        regions: list[Region] = []
        for (label, track), hits in list(self._tracks.items()):
            regions.extend(self._regions(index, label, track, hits))
            self._prune(index, (label, track), hits)
        return item, regions

    def _regions(self, t: int, label: str, track: int, hits: _TrackHits) -> list[Region]:
        frames = hits.frames
        after = next((k for k, f in enumerate(frames) if f >= t), None)
        before = after - 1 if after is not None else len(frames) - 1
        if after is not None and frames[after] == t:
            return [Region(label, track, hits.quads[after], "hit")]
        if after is not None and before >= 0 and frames[after] - frames[before] <= self.hold + 1:
            w = (t - frames[before]) / (frames[after] - frames[before])
            quad = (1 - w) * hits.quads[before] + w * hits.quads[after]
            return [Region(label, track, quad.astype(np.float32), "filled")]
        out: list[Region] = []
        if before >= 0 and t - frames[before] <= self.hold:
            last = hits.quads[before]
            moved = last + hits.velocity(before) * (t - frames[before])
            out += [Region(label, track, last, "held"), Region(label, track, moved, "held")]
        if after is not None and frames[after] - t <= self.hold:
            first = hits.quads[after]
            out.append(Region(label, track, first, "held"))
            if after + 1 < len(frames):
                back = first - hits.velocity(after + 1) * (frames[after] - t)
                out.append(Region(label, track, back.astype(np.float32), "held"))
        return out

    def _prune(self, t: int, key: tuple[str, int], hits: _TrackHits) -> None:
        """Forget hits no later frame needs: keep the last two at or before ``t``."""
        keep_from = 0
        for k, f in enumerate(hits.frames):
            if f <= t:
                keep_from = max(0, k - 1)
        if keep_from:
            del hits.frames[:keep_from]
            del hits.quads[:keep_from]
        if hits.frames[-1] < t - self.hold:
            del self._tracks[key]
