"""Giving memory back: the runtime libraries' resident code pages are reclaimed on request, the
heap gives freed buffers of worker threads back, and a server that unloaded every model has let
go of them and still answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RESIDENT = """
from pathlib import Path


def resident_kb(marker):
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        first = line.split(maxsplit=1)[0]
        if "-" in first and not first.endswith(":"):
            fields = line.split(maxsplit=5)
            inside = len(fields) == 6 and marker in fields[5] and "w" not in fields[1]
        elif first == "Rss:" and inside:
            total += int(line.split()[1])
    return total


def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
"""

PROBE = (
    RESIDENT
    + """
import json

import onnxruntime

from argus.runtime.memory import page_out_runtime_libraries

onnxruntime.get_available_providers()
before = resident_kb("/onnxruntime/")
advised = page_out_runtime_libraries()
after = resident_kb("/onnxruntime/")
providers = onnxruntime.get_available_providers()  # still works: the pages come back on use
print(json.dumps({"before": before, "after": after, "advised": advised, "cpu": providers}))
"""
)

HEAP_PROBE = (
    RESIDENT
    + """
import json
import sys
import threading

import numpy as np

from argus.runtime.memory import bound_kept_heap

bounded = bound_kept_heap() if sys.argv[1] == "bounded" else False
big = np.ones(24 << 20, np.uint8)  # a model's large buffer, freed: glibc raises its thresholds
del big
before = rss_mb()


def request():  # a request thread's buffers (80 x 512 KiB), freed when it is done
    buffers = [np.ones(512 << 10, np.uint8) for _ in range(80)]
    del buffers


thread = threading.Thread(target=request)
thread.start()
thread.join()
print(json.dumps({"bounded": bounded, "kept_mb": rss_mb() - before}))
"""
)

SERVER_PROBE = (
    RESIDENT
    + """
import io
import json
import sys
import time
from pathlib import Path

import skimage.data
from fastapi.testclient import TestClient
from PIL import Image

from argus.api.app import create_app
from argus.config import Settings

buf = io.BytesIO()
Image.fromarray(skimage.data.astronaut()).save(buf, "JPEG", quality=90, progressive=True)
photo = buf.getvalue()
models = {"ttl_s": 0.01, "heap_threshold_kb": 128}  # malloc's thresholds fixed at start
settings = Settings(data_dir=Path(sys.argv[1]), offline=True, models=models)


def detect(client):
    r = client.post("/api/v1/moderation/detect", files={"file": ("a.jpg", photo, "image/jpeg")})
    return r.status_code, r.json()


with TestClient(create_app(settings)) as client:
    first = detect(client)  # loads NudeNet; a progressive JPEG's cut check runs PyAV's decoder
    av_used = resident_kb("/av.libs/")
    time.sleep(0.05)  # past the TTL: the next eviction round unloads the model
    pool = client.app.state.pool
    unloaded = pool.evict()
    loaded = [s.name for s in pool.status() if s.loaded]
    av_idle = resident_kb("/av.libs/")
    again = detect(client)
found = {"unloaded": unloaded, "loaded": loaded, "av_used": av_used, "av_idle": av_idle}
print(json.dumps({**found, "first": first, "again": again}))
"""
)


def _run(probe: str, *args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", probe, *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    found: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def test_the_runtime_libraries_code_pages_are_reclaimed_and_still_work() -> None:
    found = _run(PROBE)
    assert isinstance(found["advised"], int) and found["advised"] > 0
    assert isinstance(found["before"], int) and isinstance(found["after"], int)
    assert found["before"] > 1024  # ONNX Runtime's code is resident once imported and used
    assert found["after"] < found["before"] / 2
    assert "CPUExecutionProvider" in str(found["cpu"])


def test_a_request_threads_freed_buffers_go_back_once_the_heap_is_bounded() -> None:
    kept = _run(HEAP_PROBE, "glibc-default")
    bounded = _run(HEAP_PROBE, "bounded")
    # glibc's raised thresholds keep the thread's 40 MB resident; bounded, they go back as freed
    assert isinstance(kept["kept_mb"], float) and kept["kept_mb"] > 30
    assert bounded["bounded"] is True
    assert isinstance(bounded["kept_mb"], float) and bounded["kept_mb"] < 10


def test_a_server_that_unloaded_its_models_lets_go_of_pyav_and_still_answers(
    tmp_path: Path,
) -> None:
    found = _run(SERVER_PROBE, str(tmp_path))
    assert found["unloaded"] == ["nudenet-nsfw"] and found["loaded"] == []
    assert isinstance(found["av_used"], int) and isinstance(found["av_idle"], int)
    assert found["av_used"] > 1024  # FFmpeg's code ran for the progressive upload's cut check
    assert found["av_idle"] < found["av_used"] / 2
    first, again = found["first"], found["again"]
    assert isinstance(first, list) and first[0] == 200
    assert again == first  # the model loads again and finds the same things
