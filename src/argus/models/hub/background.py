"""Hub models pulled in the background on first use, as the seeds and Immich load theirs.

When the server is not offline, a request that needs a hub model (CLIP, DINOv2, the captioner,
ArcFace, AuraFace) that is not on disk starts its pull in a daemon thread and is answered at once
with :class:`~argus.errors.ModelDownloading` (503, ``Retry-After``: "downloading clip-vit-b-32
(N %), try again shortly"); later requests see the progress until the files are in place. One
:class:`BackgroundPulls` per process holds every pull's :class:`PullState`; the admin page's
pull route and ``GET /api/v1/models`` read the same states. A failed pull is kept with its
message (which names the mirror setting) and is retried by the next request that needs it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from argus.config import Settings
from argus.models.hub.access import refuse_if_offline
from argus.models.hub.pull import Progress, pull

PullFunction = Callable[..., object]


@dataclass
class PullState:
    """One pull's progress: status ``running``, ``completed`` or ``failed``; bytes per file."""

    model: str
    status: str = "running"
    files: dict[str, dict[str, int | None]] = field(default_factory=dict)
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    @property
    def percent(self) -> int | None:
        """Bytes done over bytes known, 0-100 (None until every file's size is known)."""
        sizes = [f["total"] for f in self.files.values()]
        if not sizes or None in sizes:
            return None
        total = sum(s or 0 for s in sizes)
        done = sum(f["done"] or 0 for f in self.files.values())
        return min(100, int(100 * done / total)) if total else 0

    def view(self) -> dict[str, Any]:
        done = sum(f["done"] or 0 for f in self.files.values())
        sizes = [f["total"] for f in self.files.values()]
        total = sum(s or 0 for s in sizes) if sizes and None not in sizes else None
        return {**asdict(self), "bytes_done": done, "bytes_total": total, "percent": self.percent}


class BackgroundPulls:
    """The pulls of one process, by model name; ``start`` is idempotent while one runs."""

    def __init__(self, settings: Settings, *, pull_fn: PullFunction = pull) -> None:
        self.settings = settings
        self._pull = pull_fn
        self._states: dict[str, PullState] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> PullState | None:
        with self._lock:
            return self._states.get(name)

    def view(self, name: str) -> dict[str, Any] | None:
        """:meth:`PullState.view` of ``name``'s pull, taken while no progress is written."""
        with self._lock:
            state = self._states.get(name)
            return state.view() if state is not None else None

    def percent(self, name: str) -> int | None:
        with self._lock:
            state = self._states.get(name)
            return state.percent if state is not None else None

    def start(self, name: str) -> PullState:
        """The running pull of ``name``, or a new one started in a daemon thread.

        Raises :class:`DownloadsDisabled` when the settings are offline.
        """
        refuse_if_offline(self.settings)
        with self._lock:
            current = self._states.get(name)
            if current is not None and current.status == "running":
                return current
            state = PullState(name)
            self._states[name] = state
        threading.Thread(target=self._run, args=(state,), daemon=True, name=f"pull:{name}").start()
        return state

    def _run(self, state: PullState) -> None:
        def progress(path: str, done: int, total: int | None) -> None:
            with self._lock:
                state.files[path] = {"done": done, "total": total}

        progress_fn: Progress = progress
        error: str | None = None
        try:
            self._pull(state.model, self.settings, progress=progress_fn)
        except Exception as exc:  # reported to the next request and the admin page
            error = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        with self._lock:
            state.error = error
            state.status = "failed" if error is not None else "completed"
            state.finished_at = time.time()
