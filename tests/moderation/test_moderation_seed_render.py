"""Seed 001's JSON rendered from the moderation pipeline's typed answers."""

from __future__ import annotations

import json

from argus.api.seeds.moderation import by_index, render_findings, render_labels
from argus.pipelines.moderation import Finding, Labels, LabelScore, Match


def test_a_still_image_is_one_list_and_a_gif_one_list_per_frame() -> None:
    top = [LabelScore("nsfw", 0.75), LabelScore("normal", 0.25)]
    still = render_labels(Labels([top], animated=False))
    assert (
        json.dumps(still)
        == '[{"label": "nsfw", "score": 0.75}, {"label": "normal", "score": 0.25}]'
    )
    gif = render_labels(Labels([top, top[::-1]], animated=True))
    assert gif == [still, still[::-1]]
    assert render_labels(Labels([], animated=True)) == []


def test_findings_are_keyed_by_the_requested_model_with_frames_when_there_are() -> None:
    found = [
        Finding("Falconsai/nsfw_image_detection", [Match("nsfw", 0.9)]),
        Finding("open-nsfw", [Match("nsfw", 0.8, frame=3), Match("normal", 0.7, frame=0)]),
        Finding("nsfwjs-mobilenet-v2", []),
    ]
    assert json.dumps(by_index([render_findings(found)])) == (
        '[{"0": [{"Falconsai/nsfw_image_detection": [{"label": "nsfw", "score": 0.9}]}, '
        '{"open-nsfw": [{"frame": 3, "label": "nsfw", "score": 0.8}, '
        '{"frame": 0, "label": "normal", "score": 0.7}]}, {"nsfwjs-mobilenet-v2": []}]}]'
    )
