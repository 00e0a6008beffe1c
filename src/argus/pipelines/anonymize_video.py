"""Video anonymization: faces and plates hidden in every frame, tracked across frames, audio kept.

:func:`anonymize_video` streams a video file through four steps and writes an H.264 MP4 of the
same size, frame rate and duration, with the audio copied (:class:`~argus.imaging.transcode.
Transcoder`):

1. *detect*: faces with the detector named by ``anonymize.video_face_model`` (a catalog name;
   frames go to it in batches of ``video_batch_frames``, so a model that batches does) and/or
   plates with :func:`~argus.models.plates.detect_plates` (the built-in detector without OCR
   unless ``video_plate_ocr``, or the user's YOLO model); face boxes grown by ``face_expand``
   as for images. Long videos (``video_parallel_min_frames``) are detected by ``video_workers``
   processes, each with its own model pool, a bounded number of batches in flight;
2. *track*: one :class:`~argus.vision.tracking.Tracker` per label gives each region a track id;
3. *plan*: :class:`~argus.pipelines.video_tracks.CoverPlanner` fills a track's detection gaps of
   up to ``video_hold_frames`` frames by interpolation and holds its region that many frames
   after its last and before its first hit, so a missed frame never shows a face;
4. *redact* with the image modes (:func:`argus.redact.redact`) and encode.

Memory holds the planner's window and the batches in flight, whatever the video's length.
``progress(done, total)`` is called after each frame written; ``stopped()`` is asked between
frames and ends the work with :class:`~argus.errors.Interrupted`. No HTTP and no SQL here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import numpy as np
import numpy.typing as npt

from argus.arrays import RGB
from argus.config import Settings
from argus.errors import Interrupted
from argus.imaging.transcode import InFrame, Transcoder
from argus.models.plates import detect_plates
from argus.models.pool import ModelPool
from argus.models.tasks import Detector
from argus.pipelines.anonymize import DEFAULT_MODES, AnonymizeOptions, Targets
from argus.pipelines.video_tracks import CoverPlanner, Hit, Region
from argus.redact import box_quads, load_cover, redact
from argus.vision.boxes import clip, expand
from argus.vision.detections import Detections
from argus.vision.tracking import Tracker

Progress = Callable[[int, int | None], None]
MAX_AUTO_WORKERS = 8


@dataclass(frozen=True)
class Found:
    """One frame's regions before tracking: labels, 4-corner quads (pixels), scores, sources."""

    labels: list[str]
    quads: npt.NDArray[np.float32]
    scores: npt.NDArray[np.float32]


@dataclass
class VideoAnonymized:
    """What :func:`anonymize_video` did: the output's shape and what was hidden, per track."""

    width: int
    height: int
    frames: int
    fps: float | None
    duration_s: float | None
    audio: str | None
    audio_copied: bool
    workers: int
    regions: dict[str, int] = field(default_factory=lambda: {"hit": 0, "filled": 0, "held": 0})
    tracks: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "fps": self.fps,
            "duration_s": self.duration_s,
            "audio": self.audio,
            "audio_copied": self.audio_copied,
            "workers": self.workers,
            "regions": dict(self.regions),
            "tracks": list(self.tracks.values()),
        }


def video_result_name(input_name: str) -> str:
    """``covered_<stem>.mp4`` (``dashcam.mov`` -> ``covered_dashcam.mp4``)."""
    return f"covered_{PurePath(input_name).stem or 'video'}.mp4"


def detect_frames(
    pool: ModelPool, settings: Settings, frames: list[RGB], targets: Targets
) -> list[Found]:
    """Faces and/or plates in each frame (faces grown by ``face_expand``), as quads."""
    conf = settings.anonymize
    faces: list[Detections] = [Detections.empty()] * len(frames)
    if targets in ("faces", "both"):
        faces = list(pool.get(conf.video_face_model, Detector).predict(frames))
    plate_conf = conf.model_copy(update={"plate_ocr": conf.video_plate_ocr})
    out: list[Found] = []
    for image, found in zip(frames, faces, strict=True):
        h, w = image.shape[:2]
        grown = clip(expand(found.xyxy, (conf.face_expand - 1) / 2), (w, h))
        quads = [box_quads(grown)]
        labels = ["face"] * len(found)
        scores = [found.scores]
        if targets in ("plates", "both"):
            plates = detect_plates(pool, plate_conf, image)
            quads.append(np.asarray(plates.data["polygon"], np.float32).reshape(-1, 4, 2))
            labels += ["plate"] * len(plates)
            scores.append(plates.scores)
        out.append(Found(labels, np.concatenate(quads).reshape(-1, 4, 2), np.concatenate(scores)))
    return out


# --- detection in worker processes --------------------------------------------------------------

_worker_pool: ModelPool | None = None  # one per worker process (spawned), set by _init_worker


def _init_worker(settings: Settings) -> None:
    global _worker_pool
    _worker_pool = ModelPool(settings)


def _detect_in_worker(frames: list[RGB], targets: Targets) -> list[Found]:
    assert _worker_pool is not None, "worker not initialised"
    return detect_frames(_worker_pool, _worker_pool.settings, frames, targets)


def worker_count(settings: Settings, frame_count: int | None) -> int:
    """Detection processes for a video of ``frame_count`` frames (1: in this process)."""
    conf = settings.anonymize
    wanted = conf.video_workers or min(os.cpu_count() or 1, MAX_AUTO_WORKERS)
    if frame_count is None or frame_count < conf.video_parallel_min_frames:
        return 1
    return max(1, wanted)


def _chunks(frames: Iterator[InFrame], size: int) -> Iterator[list[InFrame]]:
    chunk: list[InFrame] = []
    for frame in frames:
        chunk.append(frame)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def detected(
    frames: Iterator[InFrame],
    pool: ModelPool,
    settings: Settings,
    targets: Targets,
    executor: ProcessPoolExecutor | None,
    inflight: int,
) -> Iterator[tuple[InFrame, Found]]:
    """Each frame with what was found in it, in order; with an executor, up to ``inflight``
    batches are being detected at once while this generator waits for the oldest."""
    waiting: deque[tuple[list[InFrame], Future[list[Found]] | list[Found]]] = deque()
    size = settings.anonymize.video_batch_frames
    for chunk in _chunks(frames, size):
        pixels = [f.pixels for f in chunk]
        if executor is None:
            waiting.append((chunk, detect_frames(pool, settings, pixels, targets)))
        else:
            waiting.append((chunk, executor.submit(_detect_in_worker, pixels, targets)))
        while len(waiting) > inflight:
            yield from _ready(waiting.popleft())
    while waiting:
        yield from _ready(waiting.popleft())


def _ready(
    entry: tuple[list[InFrame], Future[list[Found]] | list[Found]],
) -> Iterator[tuple[InFrame, Found]]:
    chunk, result = entry
    found = result.result() if isinstance(result, Future) else result
    yield from zip(chunk, found, strict=True)


# --- the pipeline -------------------------------------------------------------------------------


def _hits(trackers: dict[str, Tracker], found: Found) -> list[Hit]:
    hits: list[Hit] = []
    for label, tracker in trackers.items():
        rows = [i for i, lab in enumerate(found.labels) if lab == label]
        quads = found.quads[rows]
        boxes = np.concatenate([quads.min(axis=1), quads.max(axis=1)], axis=1).reshape(-1, 4)
        ids = tracker.update(boxes, found.scores[rows])
        hits += [
            Hit(label, tid, quads[k], float(found.scores[r]))
            for k, (r, tid) in enumerate(zip(rows, ids, strict=True))
        ]
    return hits


def _redact(
    image: RGB, regions: list[Region], settings: Settings, options: AnonymizeOptions
) -> RGB:
    out = image
    for label in ("plate", "face"):
        quads = [r.quad for r in regions if r.label == label]
        if not quads:
            continue
        mode = options.mode or DEFAULT_MODES[label]
        cover = load_cover(settings.anonymize.cover_image_path) if mode == "cover" else None
        out = redact(out, np.stack(quads), mode, strength=options.strength, cover=cover)
    return out


def anonymize_video(
    pool: ModelPool,
    settings: Settings,
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    options: AnonymizeOptions,
    *,
    progress: Progress | None = None,
    stopped: Callable[[], bool] | None = None,
) -> VideoAnonymized:
    """Hide ``options.targets`` in every frame of the video ``src``; the MP4 goes to ``dst``."""
    conf = settings.anonymize
    hold = conf.video_hold_frames
    with Transcoder(src, dst, settings.video, crf=conf.video_crf) as tx:
        info = tx.info
        workers = worker_count(settings, info.frame_count)
        result = VideoAnonymized(
            width=info.width,
            height=info.height,
            frames=0,
            fps=float(info.fps) if info.fps else None,
            duration_s=info.duration_s,
            audio=info.audio,
            audio_copied=info.audio_copied,
            workers=workers,
        )
        labels = {"plates": ["plate"], "faces": ["face"], "both": ["face", "plate"]}
        trackers = {
            label: Tracker(high_score=0.0, max_lost=max(30, hold))
            for label in labels[options.targets]
        }
        planner: CoverPlanner[InFrame] = CoverPlanner(hold)
        executor = _executor(settings, workers)
        try:
            stream = detected(tx.frames(), pool, settings, options.targets, executor, 2 * workers)
            for frame, found in stream:
                if stopped is not None and stopped():
                    raise Interrupted("stopped between frames")
                hits = _hits(trackers, found)
                _count_tracks(result, frame.index, hits)
                for ready, regions in planner.push(frame, hits):
                    _write(tx, ready, regions, settings, options, result, progress)
            for ready, regions in planner.flush():
                _write(tx, ready, regions, settings, options, result, progress)
        finally:
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
    return result


def _executor(settings: Settings, workers: int) -> ProcessPoolExecutor | None:
    if workers <= 1:
        return None
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded server
        initializer=_init_worker,
        initargs=(settings,),
    )


def _count_tracks(result: VideoAnonymized, index: int, hits: list[Hit]) -> None:
    for hit in hits:
        key = (hit.label, hit.track)
        row = result.tracks.setdefault(
            key, {"label": hit.label, "track": hit.track, "first_frame": index, "hits": 0}
        )
        row["last_frame"] = index
        row["hits"] += 1


def _write(
    tx: Transcoder,
    frame: InFrame,
    regions: list[Region],
    settings: Settings,
    options: AnonymizeOptions,
    result: VideoAnonymized,
    progress: Progress | None,
) -> None:
    tx.write(_redact(frame.pixels, regions, settings, options), frame.pts)
    for region in regions:
        result.regions[region.how] += 1
    result.frames += 1
    if progress is not None:
        progress(result.frames, tx.info.frame_count)


__all__ = [
    "Found",
    "VideoAnonymized",
    "anonymize_video",
    "detect_frames",
    "video_result_name",
    "worker_count",
]
