"""Start-up stays light: importing the CLI and the app pulls in no model runtime or optional SDK.

``argus serve`` imports ``argus.cli.main`` and ``argus.api.app`` before ``/health`` can answer;
the heavy modules (model runtimes, OpenCV, video codecs, SciPy, FAISS, Celery, scikit-learn,
Alembic, the LLM SDKs, the HTTP client, CLIP's tokenizer) are imported by the code that uses
them, when it first runs. Each check runs in a fresh interpreter, so modules imported by other
tests cannot hide a regression.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "onnxruntime",
    "cv2",
    "dlib",
    "faiss",
    "celery",
    "sklearn",
    "scipy",
    "alembic",
    "av",
    "skimage",
    "openai",
    "anthropic",
    "httpx",
    "tokenizers",
)


def _imported_after(code: str) -> list[str]:
    """The HEAVY top-level modules present in ``sys.modules`` after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, timeout=120
    )
    found: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def test_importing_the_cli_and_the_app_imports_no_heavy_module() -> None:
    assert _imported_after("import argus.cli.main, argus.api.app") == []


def test_building_the_app_imports_no_heavy_module() -> None:
    code = "from argus.api.app import create_app\nfrom argus.config import Settings\n"
    code += "create_app(Settings(offline=True))"
    assert _imported_after(code) == []


def test_the_probe_sees_a_heavy_import() -> None:
    """The check itself can fail: a module that imports OpenCV's reader shows up."""
    assert _imported_after("import argus.runtime.opencv") == ["cv2"]
