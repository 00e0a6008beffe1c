"""The garbage collector paused while a server process starts, and its start-up objects frozen.

Starting a server process imports SQLAlchemy, FastAPI, pydantic and Argus's routes and builds
their schemas: hundreds of thousands of objects that live as long as the process. Python's
collector runs full passes over all of them while they are being made (about a tenth of the
start-up's CPU, for the few cycles it finds). ``argus serve`` (:func:`pause`) and each worker of
``--workers N`` pause it before importing the app, and the app's lifespan resumes it once the
services are built and started (:func:`resume`): what exists then is moved to the permanent
generation (:func:`gc.freeze`), so later full collections skip it too. :func:`resume` does
nothing in a process that did not pause (tests building apps keep their collector as it is).
"""

from __future__ import annotations

import gc


def pause() -> None:
    """Stop automatic collection until :func:`resume`."""
    gc.disable()


def resume() -> None:
    """Freeze the objects made so far and collect again; nothing when :func:`pause` was not
    called (the collector is already on)."""
    if gc.isenabled():
        return
    gc.freeze()
    gc.enable()
