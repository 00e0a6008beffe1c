"""Where the hub is, who may reach it, and hub errors turned into Argus errors.

Downloads are refused before any network access when ``settings.offline``, ``ARGUS_OFFLINE`` or
``HF_HUB_OFFLINE`` is set. The endpoint is ``settings.models.hub_endpoint``, else ``HF_ENDPOINT``,
else the public hub.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from argus.config import Settings
from argus.errors import (
    ArgusError,
    DownloadFailed,
    DownloadsDisabled,
)

PUBLIC_HUB = "https://huggingface.co"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def hub_endpoint(settings: Settings) -> str | None:
    """The configured endpoint (settings, then ``HF_ENDPOINT``); None means the public hub."""
    endpoint = settings.models.hub_endpoint or os.environ.get("HF_ENDPOINT") or None
    return endpoint.rstrip("/") if endpoint else None


def hub_token(settings: Settings) -> str | None:
    secret = settings.models.hub_token
    return secret.get_secret_value() if secret is not None else None


def refuse_if_offline(settings: Settings) -> None:
    """Raise :class:`DownloadsDisabled` when any offline switch is on (no network is touched)."""
    if settings.offline or _truthy(os.environ.get("ARGUS_OFFLINE")):
        raise DownloadsDisabled(
            "Downloads are disabled (ARGUS_OFFLINE is set); unset it to pull models."
        )
    from huggingface_hub import constants

    if _truthy(os.environ.get("HF_HUB_OFFLINE")) or bool(
        getattr(constants, "HF_HUB_OFFLINE", False)
    ):
        raise DownloadsDisabled(
            "Downloads are disabled (HF_HUB_OFFLINE is set); unset it to pull models."
        )


def hub_name(endpoint: str | None) -> str:
    return endpoint or PUBLIC_HUB


@contextmanager
def hub_errors(repo_id: str, revision: str | None, endpoint: str | None) -> Iterator[None]:
    """Turn huggingface_hub/HTTP failures into :class:`DownloadFailed` with a readable message."""
    from huggingface_hub import errors as hf

    where = hub_name(endpoint)
    try:
        yield
    except ArgusError:
        raise
    except hf.GatedRepoError as exc:
        raise DownloadFailed(
            f"'{repo_id}' is gated on {where}: accept its terms on the model page and set "
            "ARGUS_MODELS__HUB_TOKEN.",
            repo_id=repo_id,
        ) from exc
    except hf.RepositoryNotFoundError as exc:
        raise DownloadFailed(
            f"Repository '{repo_id}' was not found on {where} (if it is private, set "
            "ARGUS_MODELS__HUB_TOKEN).",
            repo_id=repo_id,
        ) from exc
    except hf.RevisionNotFoundError as exc:
        raise DownloadFailed(
            f"Revision '{revision}' of '{repo_id}' was not found on {where}.", repo_id=repo_id
        ) from exc
    except hf.LocalEntryNotFoundError as exc:
        cause = exc.__cause__ or exc
        raise DownloadFailed(
            f"Could not download '{repo_id}' from {where}: {type(cause).__name__}: "
            f"{_first_line(cause)}"
            " (a mirror: set ARGUS_MODELS__HUB_ENDPOINT or HF_ENDPOINT)",
            repo_id=repo_id,
        ) from exc
    except hf.EntryNotFoundError as exc:
        raise DownloadFailed(
            f"A file of '{repo_id}' is missing on {where}: {_first_line(exc)}", repo_id=repo_id
        ) from exc
    except hf.HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise DownloadFailed(
            f"{where} answered HTTP {status} for '{repo_id}': {_first_line(exc)}"
            " (a mirror: set ARGUS_MODELS__HUB_ENDPOINT or HF_ENDPOINT)",
            repo_id=repo_id,
        ) from exc
    except Exception as exc:  # network errors of whichever HTTP client huggingface_hub uses
        raise DownloadFailed(
            f"Downloading '{repo_id}' from {where} failed: {type(exc).__name__}: "
            f"{_first_line(exc)}"
            " (a mirror: set ARGUS_MODELS__HUB_ENDPOINT or HF_ENDPOINT)",
            repo_id=repo_id,
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
