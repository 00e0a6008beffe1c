"""A request's progress and cancel flag, shared between the route and the pipeline's thread.

A frame loop runs in a worker thread; the route, on the event loop, learns that its client has
gone (:mod:`argus.api.disconnect`) and calls :meth:`Progress.cancel`. The loop calls
:meth:`Progress.check` before each batch of frames (or each model call of a task list) and stops
there with :class:`Cancelled`, so abandoned work ends at the next frame, not at the end of the
video. ``frames`` counts the frames run through a model, for the ``/metrics`` counter, and
``model_s`` the model time they took. A request's budget (``max_frames``, ``max_model_s``; 0 for
no limit) is checked by :meth:`Progress.admit` before each batch: crossing it raises
:class:`PayloadTooLarge` naming the setting, before the batch runs.
"""

from __future__ import annotations

import threading

from argus.errors import Cancelled, PayloadTooLarge


class Progress:
    def __init__(
        self,
        *,
        max_frames: int = 0,
        max_model_s: float = 0.0,
        frames_setting: str = "",
        model_s_setting: str = "",
    ) -> None:
        self._cancelled = threading.Event()
        self.frames = 0
        self.model_s = 0.0
        self.max_frames = max_frames
        self.max_model_s = max_model_s
        self._frames_setting = frames_setting
        self._model_s_setting = model_s_setting

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` once :meth:`cancel` has been called."""
        if self._cancelled.is_set():
            raise Cancelled("The client went away; the work was stopped")

    def admit(self, frames: int) -> None:
        """Raise :class:`PayloadTooLarge` when ``frames`` more would cross the budget (or the
        model time already has)."""
        if self.max_frames and self.frames + frames > self.max_frames:
            raise PayloadTooLarge(
                f"The request needs more than {self.max_frames} frames run through its models; "
                f"the limit is {self.max_frames} ({self._frames_setting})",
                limit=self.max_frames,
            )
        if self.max_model_s and self.model_s >= self.max_model_s:
            raise PayloadTooLarge(
                f"The request needs more than {self.max_model_s:g} s of model time; "
                f"the limit is {self.max_model_s:g} s ({self._model_s_setting})",
                limit=self.max_model_s,
            )

    def advance(self, frames: int, model_s: float = 0.0) -> None:
        self.frames += frames
        self.model_s += model_s
