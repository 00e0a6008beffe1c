"""CoverPlanner: regions filled between hits, held around them, frames out in order, bounded."""

from __future__ import annotations

import numpy as np
import pytest

from argus.pipelines.video_tracks import CoverPlanner, Hit, Region
from argus.redact import box_quads


def hit(x: float, track: int = 1, label: str = "face") -> Hit:
    return Hit(label, track, box_quads([x, 0, x + 10, 10])[0], 0.9)


def plan(hold: int, script: dict[int, list[Hit]], frames: int) -> list[list[Region]]:
    planner: CoverPlanner[int] = CoverPlanner(hold)
    out: list[tuple[int, list[Region]]] = []
    for i in range(frames):
        out += list(planner.push(i, script.get(i, [])))
        assert len(out) >= i - hold, "frames leave the window hold frames later"
    out += list(planner.flush())
    assert [i for i, _ in out] == list(range(frames))
    return [regions for _, regions in out]


def test_no_hits_no_regions() -> None:
    assert plan(3, {}, 5) == [[]] * 5


def test_a_gap_is_filled_by_interpolation() -> None:
    regions = plan(3, {0: [hit(0)], 4: [hit(40)]}, 5)
    assert [r[0].how for r in regions] == ["hit", "filled", "filled", "filled", "hit"]
    assert [float(r[0].quad[0, 0]) for r in regions] == pytest.approx([0, 10, 20, 30, 40])


def test_a_gap_longer_than_hold_is_held_from_both_sides_not_bridged() -> None:
    regions = plan(2, {0: [hit(0)], 6: [hit(60)]}, 7)
    assert [len(r) for r in regions] == [1, 2, 2, 0, 1, 1, 1]
    assert all(r.how == "held" for r in regions[1] + regions[5])
    assert regions[3] == [], "a frame farther than hold from both hits shows nothing"


def test_held_regions_follow_the_last_motion() -> None:
    regions = plan(2, {0: [hit(0)], 1: [hit(5)]}, 4)
    held = regions[3]
    assert sorted(float(r.quad[0, 0]) for r in held) == pytest.approx([5, 15])


def test_tracks_and_labels_do_not_mix() -> None:
    script = {0: [hit(0, 1), hit(100, 2, "plate")], 2: [hit(20, 1)]}
    regions = plan(3, script, 3)
    assert [(r.label, r.track, r.how) for r in regions[1]] == [
        ("face", 1, "filled"),
        ("plate", 2, "held"),
        ("plate", 2, "held"),
    ]


def test_memory_is_bounded_by_the_window() -> None:
    planner: CoverPlanner[int] = CoverPlanner(4)
    for i in range(500):
        list(planner.push(i, [hit(float(i % 50), track=i // 20)]))
    assert len(planner._frames) <= 5
    assert len(planner._tracks) <= 2
    assert all(len(h.frames) <= 6 for h in planner._tracks.values())
    assert np.isfinite(planner._tracks[max(planner._tracks)].quads[-1]).all()
