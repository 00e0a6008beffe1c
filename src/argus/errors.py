"""The one error tree of Argus.

Every error a user can cause or meet is an :class:`ArgusError` with a stable machine-readable
``code`` and an HTTP ``status``. Domain code raises these and never imports the web framework; a
single handler in ``api/`` maps them to responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

from argus.config.units import bytes_to_mb
from argus.plainwords import plain


class ArgusError(Exception):
    """Base of every error Argus reports to a client."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500

    def __init__(self, message: str, **details: Any) -> None:
        message = plain(message)  # a library's object repr never reaches a client
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class InvalidInput(ArgusError):
    """The request is well-formed HTTP but its content cannot be used."""

    code = "invalid_input"
    status = 400


class InvalidImage(InvalidInput):
    """The bytes are not a readable image: corrupt, truncated, empty, or not an image at all."""

    code = "invalid_image"


class InvalidVideo(InvalidInput):
    """The bytes are not a readable video."""

    code = "invalid_video"


class UnsupportedMediaType(ArgusError):
    """The file is of a kind Argus does not read."""

    code = "unsupported_media_type"
    status = 415


class PayloadTooLarge(ArgusError):
    """A limit on bytes, pixels, frames or duration was crossed."""

    code = "payload_too_large"
    status = 413


class ValidationFailed(ArgusError):
    """The request is malformed (missing or ill-typed fields)."""

    code = "validation_error"
    status = 422


class NotFound(ArgusError):
    """The thing named by the request does not exist (for this tenant)."""

    code = "not_found"
    status = 404


class UnknownModel(NotFound):
    """No model of that name is in the catalog."""

    code = "unknown_model"


class ModelNotInstalled(ArgusError):
    """The model is in the catalog but its files are not on this machine."""

    code = "model_not_installed"
    status = 409

    def __init__(self, name: str, command: str | None = None) -> None:
        super().__init__(
            f"Model '{name}' is not installed. Install it with: "
            f"{command or f'argus models pull {name}'}",
            model=name,
        )
        self.name = name


class WrongModelKind(InvalidInput):
    """The model exists but cannot do what was asked of it (e.g. a classifier named where a
    face detector is needed)."""

    code = "wrong_model_kind"

    def __init__(self, name: str, task: str, wanted: str) -> None:
        super().__init__(
            f"Model '{name}' ({task}) is not a {wanted}.", model=name, task=task, wanted=wanted
        )
        self.name = name


class ModelDownloading(ArgusError):
    """The model is being pulled in the background (first use); try again shortly."""

    code = "model_downloading"
    status = 503

    def __init__(self, name: str, percent: int | None, retry_after_s: float = 5.0) -> None:
        done = f"{percent} %" if percent is not None else "starting"
        super().__init__(
            f"Downloading {name} ({done}), try again shortly.", model=name, percent=percent
        )
        self.name = name
        self.percent = percent
        self.retry_after_s = retry_after_s


class JobFinished(ArgusError):
    """The job already ended (completed, failed or cancelled), so it cannot be cancelled."""

    code = "job_finished"
    status = 409


class DownloadsDisabled(ArgusError):
    """A download was asked for while ARGUS_OFFLINE is set."""

    code = "downloads_disabled"
    status = 403


class DownloadFailed(ArgusError):
    """The model hub could not be reached or returned an error."""

    code = "download_failed"
    status = 502


class ModelLoadFailed(ArgusError):
    """Installed model files could not be loaded (corrupt, wrong format, missing provider)."""

    code = "model_load_failed"
    status = 500


class ServiceUnavailable(ArgusError):
    """A part Argus needs for this request is not available right now."""

    code = "service_unavailable"
    status = 503


class Unauthorized(ArgusError):
    """No credentials, or credentials that are unknown, revoked or expired."""

    code = "unauthorized"
    status = 401


class Forbidden(ArgusError):
    """Valid credentials that do not allow this action."""

    code = "forbidden"
    status = 403


class RateLimited(ArgusError):
    """Too many requests for this API key; ``retry_after_s`` says when to try again."""

    code = "rate_limited"
    status = 429

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(
            f"Rate limit reached for this API key; retry in {retry_after_s:.0f} s.",
            retry_after_s=retry_after_s,
        )
        self.retry_after_s = retry_after_s


class Interrupted(ArgusError):
    """Long work stopped between steps because its job was cancelled or its worker is stopping;
    the job runner puts such an item back in line (stopping) or leaves it cancelled."""

    code = "interrupted"
    status = 409


class Overloaded(ServiceUnavailable):
    """Too many requests are already being processed or waiting; ``retry_after_s`` says when
    to try again (503 with ``Retry-After``)."""

    code = "overloaded"

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class RequestTimeout(ArgusError):
    """The client stopped sending its request body (408)."""

    code = "request_timeout"
    status = 408


class LoginThrottled(RateLimited):
    """Too many failed logins from this address for this user name."""

    code = "login_throttled"

    def __init__(self, retry_after_s: float) -> None:
        ArgusError.__init__(
            self,
            f"Too many failed logins; retry in {retry_after_s:.0f} s.",
            retry_after_s=retry_after_s,
        )
        self.retry_after_s = retry_after_s


class UrlNotAllowed(InvalidInput):
    """The URL's scheme or address is one Argus does not fetch (SSRF guard)."""

    code = "url_not_allowed"


class FetchFailed(InvalidInput):
    """The URL could not be fetched: unreachable, timed out, or an HTTP error status."""

    code = "fetch_failed"


class AlreadySet(ArgusError):
    """The admin password exists: the first-run set-up is over."""

    code = "admin_password_set"
    status = 409


class PullInProgress(ArgusError):
    """A pull of this model is already running."""

    code = "pull_in_progress"
    status = 409


class GalleryExists(ArgusError):
    """A gallery of that name already exists for this tenant."""

    code = "gallery_exists"
    status = 409


class QualityReport(Protocol):
    """What :class:`NoQualifiedFace` says of the checks a face failed (``face_quality.Quality``)."""

    @property
    def failed(self) -> list[str]: ...


class NoQualifiedFace(ArgusError):
    """No face was found, or the largest one failed a quality check (named in the message)."""

    code = "no_qualified_face"
    status = 422

    def __init__(self, message: str, quality: QualityReport | None = None) -> None:
        super().__init__(message, failed=quality.failed if quality else ["face_detected"])
        self.quality = quality

    @property
    def failed(self) -> list[str]:
        return self.quality.failed if self.quality is not None else ["face_detected"]


class DimensionMismatch(InvalidInput):
    """Two features of different lengths cannot be compared (400)."""

    code = "dimension_mismatch"

    def __init__(self, first: int, second: int) -> None:
        super().__init__(f"feature dimension mismatch: {first} vs {second}")


class CaptionerMissing(ArgusError):
    """No captioning model is installed and no LLM provider is configured."""

    code = "model_not_installed"
    status = 409


class CaptionFailed(ArgusError):
    """Every configured LLM provider failed to caption."""

    code = "caption_failed"
    status = 502


class Cancelled(ArgusError):
    """The client went away; the work was stopped (499, which nobody receives)."""

    code = "cancelled"
    status = 499


# Photo category (seed 000) and moderation (seed 001) refusals; each a 400 with its own code.


class ImageTooLarge(InvalidImage):
    """The upload is over ``classify.max_image_mb`` (``size`` bytes), or its pixels are over an
    imaging limit (``size`` None, ``reason`` says which)."""

    code = "image_too_large"

    def __init__(self, *, limit_mb: float, size: int | None = None, reason: str = "") -> None:
        if size is not None:
            reason = f"{bytes_to_mb(size):.2f} MB, at most {limit_mb:g} MB"
        super().__init__(f"The image is too large: {reason}")
        self.size = size
        self.limit_mb = limit_mb
        self.reason = reason


class FormatNotAllowed(InvalidImage):
    """The image's format is not one of ``classify.allowed_formats``."""

    code = "format_not_allowed"

    def __init__(self, format: str, allowed: Sequence[str]) -> None:
        super().__init__(f"{format} images are not accepted; allowed: {', '.join(allowed)}")
        self.format = format
        self.allowed = list(allowed)


class UnreadableImage(InvalidImage):
    """The bytes are no image Argus can read (``reason`` is the imaging error's message)."""

    code = "unreadable_image"

    def __init__(self, reason: str) -> None:
        super().__init__(f"Not a readable image: {reason}")
        self.reason = reason


class NotAnImage(InvalidImage):
    """The upload is no image Argus reads (seed 001's routes answer it with their own 400)."""

    code = "not_an_image"


class NotAVideo(InvalidVideo):
    """The file could not be opened as a video (seed 001 answers it with 200 and a body)."""

    code = "not_a_video"

    def __init__(self, reason: str) -> None:
        super().__init__(f"file is not a video ({reason})", reason=reason)
        self.reason = reason
