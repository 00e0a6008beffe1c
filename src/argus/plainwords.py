"""Plain words for messages a client reads: no Python object reprs or exception class names.

Library errors often carry what only a Python programmer can read: Pillow's ``cannot identify
image file <_io.BytesIO object at 0x7f...>``, httpx's ``ConnectError: ...``, Pydantic's
multi-line report with ``[type=missing, input_value={...}, input_type=dict]`` and a link.
:func:`describe` turns an exception into a sentence fragment fit for an error message, and
:func:`plain` cleans a message that may have picked such text up.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

_OBJECT_REPR = re.compile(r" ?<[\w.]+[^<>]* at 0x[0-9a-fA-F]+>")
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_INSTANCE_OF = re.compile(r" or instance of \w+")


def plain(message: str) -> str:
    """``message`` without any ``<module.Class ... at 0x...>`` (and the space before it)."""
    return _OBJECT_REPR.sub("", message)


def kind(exc: BaseException) -> str:
    """The exception's class name in words: ``ConnectTimeout`` -> "connect timeout"."""
    return _WORD_BOUNDARY.sub(" ", type(exc).__name__).lower()


def describe(exc: BaseException) -> str:
    """What went wrong, in words: a validation error as ``field: problem`` pairs, else the
    exception's own message without object reprs, else its kind in words."""
    if isinstance(exc, ValidationError):
        return validation_errors(exc)
    text = plain(str(exc)).strip()
    return text or kind(exc)


def validation_errors(exc: ValidationError) -> str:
    """``tasks[0].type: Field required; ...`` for a Pydantic validation error."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
        ).lstrip(".")
        message = _INSTANCE_OF.sub("", error["msg"])
        parts.append(f"{where or 'value'}: {message}")
    return "; ".join(parts)
