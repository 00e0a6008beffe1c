"""The IoU + Kalman tracker: ids stay with moving boxes, survive short gaps, weak boxes only
extend tracks."""

from __future__ import annotations

import numpy as np

from argus.vision.tracking import Tracker


def box(x: float, y: float, size: float = 40) -> list[float]:
    return [x, y, x + size, y + size]


def test_no_boxes_no_tracks() -> None:
    tracker = Tracker()
    assert tracker.update(np.zeros((0, 4), np.float32), np.zeros(0, np.float32)) == []
    assert tracker.tracks == []


def test_two_crossing_boxes_keep_their_ids_through_a_gap() -> None:
    tracker = Tracker(max_lost=5)
    ids = []
    for t in range(30):
        boxes = [box(10 + 6 * t, 50), box(200 - 6 * t, 120)]  # pass each other, rows apart
        if 12 <= t <= 14:
            boxes = boxes[1:]  # the first one is missed for three frames
            got = tracker.update(boxes, [0.9])
            ids.append([0, *got])
            continue
        ids.append(tracker.update(boxes, [0.9, 0.8]))
    first, second = ids[0]
    assert first != second
    assert all(row == [first, second] for t, row in enumerate(ids) if not 12 <= t <= 14)
    assert all(row[1] == second for row in ids[12:15])


def test_the_kalman_prediction_follows_fast_motion() -> None:
    """20 px a frame, then 35 (a 40 px box): without the learnt velocity a 35 px step would
    overlap the previous box by IoU 0.07, under ``match_iou``."""
    tracker = Tracker(match_iou=0.2)
    xs = [20 * t for t in range(6)] + [100 + 35 * t for t in range(1, 12)]
    ids = {tracker.update([box(x, 0)], [0.9])[0] for x in xs}
    assert len(ids) == 1
    assert 25 < float(tracker.tracks[0].velocity[0]) < 40


def test_weak_boxes_extend_tracks_but_never_start_them() -> None:
    tracker = Tracker(high_score=0.5)
    (track,) = tracker.update([box(0, 0)], [0.9])
    assert tracker.update([box(2, 0)], [0.2]) == [track], "a weak box continues a track"
    assert tracker.update([box(2, 0), box(300, 300)], [0.2, 0.3])[1] == 0, "but starts none"


def test_lost_tracks_are_dropped_after_max_lost() -> None:
    tracker = Tracker(max_lost=2)
    tracker.update([box(0, 0)], [0.9])
    for _ in range(2):
        tracker.update([], [])
        assert len(tracker.lost_tracks()) == 1
    tracker.update([], [])
    assert tracker.tracks == []
