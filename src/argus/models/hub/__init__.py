"""`argus models pull|verify|remove`: models from a Hugging Face Hub (or a mirror) on disk.

``pull`` takes a catalog name whose spec has a :class:`HubSource`, or the id ``owner/repo`` of an
image-classification model exported to ONNX in the Optimum layout (``config.json`` with
``id2label``, ``preprocessor_config.json``, ``onnx/model.onnx`` or ``model.onnx``). It asks the
hub once for the repo's files and commit, downloads only the files it needs with
``huggingface_hub.hf_hub_download`` (pinned to that commit) into
``<models_dir>/.partial/<dir>@<commit>/``, checks every file against the hub's checksums, writes
the manifest and only then renames the folder to ``<models_dir>/<dir>/``: a failed or
interrupted pull never leaves anything :class:`~argus.models.catalog.Catalog` sees as installed,
and the next pull of the same commit reuses the files that were complete. Downloads are refused
before any network access when ``settings.offline``, ``ARGUS_OFFLINE`` or ``HF_HUB_OFFLINE`` is
set. The endpoint is ``settings.models.hub_endpoint``, else ``HF_ENDPOINT``, else the public hub.
"""

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
