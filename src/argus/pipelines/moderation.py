"""NSFW moderation: images, GIFs and videos through any image-classification model, by name.

A :class:`Moderator` serves one request. It resolves each model name through the catalog: an
installed image-classification model (a built-in or one pulled with ``argus models pull``)
answers for itself; a name that is not installed but has aliases in ``moderation.aliases`` is
answered by the first installed one (seed 001's ``Falconsai/nsfw_image_detection`` -> the
built-in ``open-nsfw``, else ``nudenet-nsfw``; ``LukeJacob2023/nsfw-image-detector`` ->
``nsfwjs-mobilenet-v2``); anything else is :class:`~argus.errors.ModelNotInstalled` (409, naming
the pull command). In cascade mode the built-in answers first and the named model is asked only
for images whose built-in nsfw score lies in ``moderation.cascade_band``.
:attr:`Moderator.answered_by` records which models really answered each requested name. Answers
follow seed 001: the top :data:`TOP_K` labels of each image (the transformers pipeline's
default), the requested labels at or above the score threshold, and for frames each label once,
at the first frame where it reaches the threshold, stopping as soon as every label is found (or,
with ``return_on_first_matching_label``, at the first frame where one is). Where the seed's code
was plainly broken this follows its intent: it stopped after the first classified frame even
with no match, shared one label list between the models of a request (the second model could not
find what the first had found), and turned ``score=0`` into ``DEFAULT_SCORE``; here each model
searches all the labels and ``score=0`` means 0. Answers are typed (:class:`Labels`,
:class:`Finding`); seed 001's JSON is rendered by :mod:`argus.api.seeds.moderation`. No HTTP
here; blocking.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice

from argus.arrays import RGB
from argus.config import ImagingSettings, Settings
from argus.errors import (
    InvalidImage,
    InvalidVideo,
    ModelNotInstalled,
    NotAnImage,
    NotAVideo,
    UnknownModel,
    UnsupportedMediaType,
    ValidationFailed,
)
from argus.imaging import Picture, decode
from argus.models.nsfw_builtin import BuiltinNsfwClassifier, exposed_score, nsfw_score
from argus.models.pool import ModelPool
from argus.models.tasks import ImageClassifier
from argus.pipelines.frames import Sampled, gif_frames, video_frames
from argus.pipelines.progress import Progress
from argus.timing import span
from argus.vision.detections import Detections

Scores = list[tuple[str, float]]
Classify = Callable[[Sequence[RGB]], list[Scores]]

BUILTIN = "nudenet-nsfw"
TOP_K = 5


@dataclass(frozen=True)
class LabelScore:
    """One label and its score, as the model gave them."""

    label: str
    score: float


@dataclass(frozen=True)
class Match:
    """A requested label at or above the threshold; ``frame`` for GIFs (from 0) and videos
    (from 1), None for a still image."""

    label: str
    score: float
    frame: int | None = None


@dataclass(frozen=True)
class Labels:
    """The top labels of a still image (one list), or of each frame of an animated GIF."""

    frames: list[list[LabelScore]]
    animated: bool


@dataclass(frozen=True)
class Finding:
    """What one requested model found: the matches, in the order found."""

    model: str
    matches: list[Match]


@dataclass(frozen=True)
class Query:
    """What the ``*-query-classification`` routes ask: labels to find and how."""

    labels: tuple[str, ...] = ("nsfw",)
    score: float = 0.7
    first_only: bool = False
    fast_mode: bool = False
    skip_frames_percentage: float = 5

    def wanted(self) -> list[str]:
        return list(dict.fromkeys(self.labels))  # each label once, in the order asked


def top(scores: Scores, k: int = TOP_K) -> list[LabelScore]:
    """The best ``k`` labels (the transformers pipeline's default, as seed 001 answered)."""
    return [LabelScore(label, score) for label, score in scores[:k]]


def matches(scores: Scores, labels: Iterable[str], threshold: float) -> list[tuple[str, float]]:
    """Requested labels among the top :data:`TOP_K` whose score reaches ``threshold``."""
    table = dict(scores[:TOP_K])
    return [(label, table[label]) for label in labels if table.get(label, -1.0) >= threshold]


def animated(picture: Picture) -> bool:
    """Whether seed 001 answers per frame: a GIF of more than one frame."""
    return picture.format == "GIF" and picture.frame_count > 1


def search_frames(
    frames: Iterator[Sampled],
    classify: Classify,
    query: Query,
    batch_size: int,
    progress: Progress | None = None,
) -> list[Match]:
    """Each label at the first frame reaching the threshold.

    Frames are classified ``batch_size`` at a time, in order; the search stops after the frame
    where the last wanted label was found, or, with ``query.first_only``, after the first frame
    with any match. The frame iterator is closed on return (a video decoder is released).
    With ``progress``, each batch first checks it (:class:`Cancelled` once the client has gone,
    :class:`PayloadTooLarge` when the batch would cross the request's budget) and then counts
    its frames and model time.
    """
    wanted = query.wanted()
    found: list[Match] = []
    try:
        while wanted:
            if progress is not None:
                progress.check()
            chunk = list(islice(frames, batch_size))
            if not chunk:
                break
            if progress is not None:
                progress.admit(len(chunk))
            started = time.perf_counter()
            answers = classify([f.pixels for f in chunk])
            if progress is not None:
                progress.advance(len(chunk), time.perf_counter() - started)
            for frame, scores in zip(chunk, answers, strict=True):
                hits = matches(scores, wanted, query.score)
                for label, score in hits:
                    found.append(Match(label, score, frame.number))
                    wanted.remove(label)
                if not wanted or (query.first_only and hits):
                    return found
        return found
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()


@dataclass
class Moderator:
    """One request's models: resolution by name, cascade, and who really answered."""

    pool: ModelPool
    settings: Settings
    cascade: bool = False
    answered_by: dict[str, list[str]] = field(default_factory=dict)
    _classifiers: dict[str, Classify] = field(default_factory=dict)

    @property
    def limits(self) -> ImagingSettings:
        return self.settings.imaging

    @property
    def side(self) -> int:
        return self.settings.moderation.frame_side_px

    def resolve(self, name: str) -> str:
        """The installed model that answers for ``name`` (itself, or its alias)."""
        aliases = self.settings.moderation.aliases.get(name) or []
        for candidate in [name, *([aliases] if isinstance(aliases, str) else aliases)]:
            try:
                spec = self.pool.installed_spec(candidate)
            except UnknownModel:
                continue
            if spec is None:
                continue
            if spec.task != "image-classification":
                raise ValidationFailed(
                    f"Model '{candidate}' is a {spec.task} model; moderation needs an "
                    "image-classification model."
                )
            return candidate
        raise ModelNotInstalled(name)

    def classifier(self, name: str) -> Classify:
        """A function classifying a batch of RGB images with the model for ``name``."""
        if name not in self._classifiers:
            self._classifiers[name] = self._make(name)
        return self._classifiers[name]

    def _make(self, name: str) -> Classify:
        real = self.resolve(name)
        used = self.answered_by.setdefault(name, [])
        model = self.pool.get(real, ImageClassifier)
        if not self.cascade or real == BUILTIN:

            def direct(batch: Sequence[RGB]) -> list[Scores]:
                _note(used, real)
                return model.predict(batch)

            return direct
        first = self.pool.get(BUILTIN, ImageClassifier)
        low, high = self.settings.moderation.cascade_band

        def cascade(batch: Sequence[RGB]) -> list[Scores]:
            answers: list[Scores] = first.predict(batch)
            _note(used, BUILTIN)
            unsure = [i for i, s in enumerate(answers) if low <= dict(s)["nsfw"] < high]
            if unsure:
                _note(used, real)
                for i, scores in zip(
                    unsure, model.predict([batch[i] for i in unsure]), strict=True
                ):
                    answers[i] = scores
            return answers

        return cascade

    # -- images

    def decode(self, data: bytes) -> Picture:
        """The first frame, reduced to the frame side; :class:`NotAnImage` for a non-image."""
        try:
            with span("decode"):
                return decode(data, self.limits, max_side=self.side)
        except (InvalidImage, UnsupportedMediaType) as exc:
            raise NotAnImage(exc.message, reason=exc.message) from exc

    def _frames(self, data: bytes, picture: Picture, query: Query | None) -> Iterator[Sampled]:
        try:
            return gif_frames(
                data,
                self.limits,
                frame_count=picture.frame_count,
                fast_mode=query is not None and query.fast_mode,
                skip_frames_percentage=query.skip_frames_percentage if query else 5,
                max_side=self.side,
            )
        except (InvalidImage, UnsupportedMediaType) as exc:
            raise NotAnImage(exc.message, reason=exc.message) from exc

    def classify(self, data: bytes, name: str, progress: Progress | None = None) -> Labels:
        """Top labels of an image, or of every frame of an animated GIF (a one-frame GIF is a
        still image, as in the seed)."""
        picture = self.decode(data)
        classify = self.classifier(name)
        if not animated(picture):
            return Labels([top(classify([picture.pixels])[0])], animated=False)
        out: list[list[LabelScore]] = []
        frames = self._frames(data, picture, None)
        batch = self.settings.moderation.batch_size
        while True:
            if progress is not None:
                progress.check()
            chunk = [f.pixels for f in islice(frames, batch)]
            if not chunk:
                return Labels(out, animated=True)
            out.extend(top(scores) for scores in classify(chunk))
            if progress is not None:
                progress.advance(len(chunk))

    def query(
        self,
        data: bytes,
        names: Sequence[str],
        query: Query,
        progress: Progress | None = None,
    ) -> list[Finding]:
        """The requested labels each model found, one finding per model, in order."""
        picture = self.decode(data)
        out: list[Finding] = []
        for name in names:
            classify = self.classifier(name)
            if animated(picture):
                frames = self._frames(data, picture, query)
                batch = self.settings.moderation.batch_size
                found = search_frames(frames, classify, query, batch, progress)
            else:
                scores = classify([picture.pixels])[0]
                found = [
                    Match(label, score)
                    for label, score in matches(scores, query.wanted(), query.score)
                ]
            out.append(Finding(name, found))
        return out

    # -- videos

    def query_video(
        self,
        path: str | os.PathLike[str],
        names: Sequence[str],
        query: Query,
        progress: Progress | None = None,
    ) -> list[Finding]:
        """The requested labels each model found in a video file, frames from 1."""
        out: list[Finding] = []
        for name in names:
            classify = self.classifier(name)
            try:
                frames = video_frames(
                    path,
                    self.settings.video,
                    fast_mode=query.fast_mode,
                    skip_frames_percentage=query.skip_frames_percentage,
                    max_side=self.side,
                )
            except InvalidVideo as exc:
                raise NotAVideo(exc.message) from exc
            batch = self.settings.moderation.batch_size
            found = search_frames(frames, classify, query, batch, progress)
            out.append(Finding(name, found))
        return out

    def header(self) -> str:
        """``requested=answered[+second]`` per model, comma-separated (X-Argus-Models)."""
        return ", ".join(f"{k}={'+'.join(v) if v else k}" for k, v in self.answered_by.items())


def _note(used: list[str], name: str) -> None:
    if name not in used:
        used.append(name)


@dataclass(frozen=True)
class Exposure:
    """NudeNet's fine labels for one image, and the built-in classifier's verdict on them."""

    picture: Picture
    detections: Detections  # original pixels, best first, at or above the asked min score
    nsfw_score: float
    threshold: float  # the exposed-part score at which the verdict turns nsfw

    @property
    def label(self) -> str:
        return "nsfw" if self.nsfw_score >= 0.5 else "normal"


def detect_exposed(
    pool: ModelPool, settings: Settings, data: bytes, *, min_score: float | None = None
) -> Exposure:
    """Body parts found by NudeNet (all 18 labels, boxes in original pixels) and the verdict.

    The verdict uses the detections at NudeNet's own threshold (0.25) whatever ``min_score``
    asks to be shown, so it is the same as the classification routes'.
    """
    with span("decode"):
        picture = decode(data, settings.imaging, max_side=settings.moderation.frame_side_px)
    model = pool.get(BUILTIN, BuiltinNsfwClassifier)
    base = model.detector.score_threshold
    floor = base if min_score is None else min(min_score, base)
    found = model.detector.detect([picture.pixels], score_threshold=floor)[0]
    verdict = nsfw_score(exposed_score(found[found.scores >= base]), model.threshold)
    shown = found if min_score is None else found[found.scores >= min_score]
    return Exposure(
        picture=picture,
        detections=shown.scaled(*picture.scale).sorted_by_score(),
        nsfw_score=verdict,
        threshold=model.threshold,
    )
