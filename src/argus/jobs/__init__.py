"""Jobs: long work (batches, videos, folders) recorded in the jobs table and run by an executor.

``registry`` maps job kinds to handlers run per item (the kinds themselves are adapters over the
pipelines, registered by :mod:`argus.compose.kinds`: nothing here imports a pipeline); ``runner``
is the one function that runs a job (claim, lease heartbeat, items, cancellation, finish,
webhook); ``sweep`` takes back jobs whose lease lapsed and resends pending ones (every process
runs it); ``local`` runs jobs in the server process, ``celery_app`` in ``argus worker``
processes; ``service`` ties the chosen executor, the blob store, the sweep and the periodic
clean-up together for the app.
"""

from __future__ import annotations

from argus.errors import JobFinished
from argus.jobs.registry import ItemContext, JobInput, JobKind, Registry
from argus.jobs.runner import JobContext, run_job
from argus.jobs.service import BytesUpload, JobService, Upload
from argus.jobs.sweep import recover, sweep

__all__ = [
    "BytesUpload",
    "ItemContext",
    "JobContext",
    "JobFinished",
    "JobInput",
    "JobKind",
    "JobService",
    "Registry",
    "Upload",
    "recover",
    "run_job",
    "sweep",
]
