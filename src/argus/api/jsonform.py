"""JSON sent inside form fields (``tasks_json``, ``options``, ``feature``, ``image_hashes``),
parsed with a nesting limit.

``json.loads`` of ``[[[[...]]]]`` nested a hundred thousand deep raises ``RecursionError``,
which no route expects: the client got a plain-text 500. :func:`loads` counts the nesting first
(brackets outside strings, one regular-expression pass) and raises ``json.JSONDecodeError``, the
error every caller already turns into its own 400/422, when it is deeper than ``max_depth``.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def loads(raw: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads(raw)``, refusing nesting deeper than ``max_depth`` (JSONDecodeError)."""
    depth = 0
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth:
                raise json.JSONDecodeError(
                    f"nested deeper than {max_depth} levels", raw, match.start()
                )
        elif token in ("]", "}"):
            depth -= 1
    try:
        return json.loads(raw)
    except RecursionError:  # cannot happen below max_depth; kept as a last guard
        raise json.JSONDecodeError("nested too deeply", raw, 0) from None
