"""Which built-in answers seed 001's binary ``Falconsai/nsfw_image_detection``: false positives
of each candidate on the labelled real-photo set (every photo there is safe).

Candidates: Open NSFW's probability, nsfwjs's porn + hentai, nsfwjs's porn + hentai + sexy,
NudeNet's built-in rule, and the mean of Open NSFW and nsfwjs porn + hentai. Prints, per
candidate, the highest score on the set and how many photos reach 0.5 and seed 001's default
threshold 0.7, overall and on face-api's six party photos. No unsafe photo ships in a package,
so recall is not measured here. Run: ``.venv/bin/python bench/nsfw_choice.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from argus.config import Settings
from argus.models.pool import ModelPool
from argus.models.tasks import ImageClassifier
from support.real_photos import load_manifest, pixels

NAMES = (
    "open-nsfw",
    "nsfwjs porn+hentai",
    "nsfwjs porn+hentai+sexy",
    "nudenet-nsfw",
    "mean(open-nsfw, nsfwjs porn+hentai)",
)


def main() -> None:
    pool = ModelPool(Settings(offline=True))
    opennsfw, nsfwjs = (
        pool.get("open-nsfw", ImageClassifier),
        pool.get("nsfwjs-mobilenet-v2", ImageClassifier),
    )
    nudenet = pool.get("nudenet-nsfw", ImageClassifier)
    rows: list[tuple[str, list[float]]] = []
    for photo in load_manifest():
        image = pixels(photo)
        o = dict(opennsfw.predict([image])[0])["nsfw"]
        j = dict(nsfwjs.predict([image])[0])
        n = dict(nudenet.predict([image])[0])["nsfw"]
        ph = j["porn"] + j["hentai"]
        rows.append((photo.id, [o, ph, ph + j["sexy"], n, (o + ph) / 2]))
    for k, name in enumerate(NAMES):
        every = [scores[k] for _, scores in rows]
        party = [scores[k] for pid, scores in rows if pid.startswith("face_api")]
        print(
            f"{name:36s} max {max(every):.3f}  >=0.5: {sum(v >= 0.5 for v in every)}/{len(every)}"
            f"  >=0.7: {sum(v >= 0.7 for v in every)}/{len(every)}  party photos max "
            f"{max(party):.3f}, >=0.5: {sum(v >= 0.5 for v in party)}/{len(party)}"
        )


if __name__ == "__main__":
    main()
