"""Models from a Hugging Face Hub or a mirror: ``pull`` (see :mod:`argus.models.hub.pull` for how
a pull stays atomic and resumable), ``verify`` and ``remove``."""

from argus.models.hub.access import PUBLIC_HUB, hub_endpoint, refuse_if_offline
from argus.models.hub.integrity import git_blob_sha1, sha256_file
from argus.models.hub.layout import (
    IMAGE_CLASSIFIER_FAMILY,
    Variant,
    choose_onnx_file,
    estimate_memory_mb,
)
from argus.models.hub.pull import MANIFEST_VERSION, STAGING, Progress, pull
from argus.models.hub.verify import FileCheck, VerifyReport, remove, verify

__all__ = [
    "IMAGE_CLASSIFIER_FAMILY",
    "MANIFEST_VERSION",
    "PUBLIC_HUB",
    "STAGING",
    "FileCheck",
    "Progress",
    "Variant",
    "VerifyReport",
    "choose_onnx_file",
    "estimate_memory_mb",
    "git_blob_sha1",
    "hub_endpoint",
    "pull",
    "refuse_if_offline",
    "remove",
    "sha256_file",
    "verify",
]
