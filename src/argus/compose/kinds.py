"""The job kinds Argus ships, registered here, above both the jobs protocol and the pipelines.

``jobs/`` knows kinds only as :class:`~argus.jobs.registry.JobKind` values; each module of this
package adapts one pipeline to that protocol (options, per-item handler, finish hook).
"""

from __future__ import annotations

from argus.compose import anonymize_kind, detect_kind, moderation_kind
from argus.jobs.registry import Registry


def builtin_kinds() -> Registry:
    """A registry with every job kind Argus ships."""
    registry = Registry()
    registry.register(detect_kind.job_kind())
    registry.register(moderation_kind.job_kind())
    registry.register(anonymize_kind.job_kind())
    return registry
