"""Errors of the conversion step. ``SourceUnavailable`` means the package cannot be obtained on
this machine (no npm, no registry, no tarball in the import folder): the model is reported as
not installed with the command that installs it, and the other models carry on.
``IntegrityMismatch`` means the package was obtained but is not the pinned one."""

from __future__ import annotations


class ConversionError(Exception):
    """A model could not be converted; the message says why and what to do."""


class SourceUnavailable(ConversionError):
    """The pinned package cannot be obtained here (a skip, not a failure)."""


class IntegrityMismatch(ConversionError):
    """The package found is not byte-for-byte the pinned one."""
