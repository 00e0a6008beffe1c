"""A request's progress and cancel flag, shared between the route and the pipeline's thread.

A frame loop runs in a worker thread; the route, on the event loop, learns that its client has
gone (:mod:`argus.api.disconnect`) and calls :meth:`Progress.cancel`. The loop calls
:meth:`Progress.check` before each batch of frames (or each model call of a task list) and stops
there with :class:`Cancelled`, so abandoned work ends at the next frame, not at the end of the
video. ``frames`` counts the frames run through a model, for the ``/metrics`` counter.
"""

from __future__ import annotations

import threading

from argus.errors import Cancelled


class Progress:
    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self.frames = 0

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` once :meth:`cancel` has been called."""
        if self._cancelled.is_set():
            raise Cancelled("The client went away; the work was stopped")

    def advance(self, frames: int) -> None:
        self.frames += frames
