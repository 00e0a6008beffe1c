"""Schemathesis over the whole API against a real server on loopback, with keys required and
without: no server error, no status the OpenAPI document does not list, no response that breaks
its schema, content type or headers.

A bounded number of examples per operation keeps a run to a few minutes on two cores; the
server is offline with no model downloads, so routes whose model is not installed answer at
once. Which requests are valid beyond their schema (an upload that is a real image, an id that
exists) the schema cannot say, so ``positive_data_acceptance`` is not checked here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support.servers import wait_for_health

EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _argus(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argus = Path(sys.executable).with_name("argus")
    return subprocess.run([str(argus), *args], env=env, capture_output=True, text=True, check=True)


@pytest.fixture(scope="module", params=["open", "keys-required"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    """Base URL and the headers of a caller with a key (none in open mode)."""
    port = _free_port()
    keys = request.param == "keys-required"
    env = {
        **os.environ,
        "ARGUS_PORT": str(port),
        "ARGUS_DATA_DIR": str(tmp_path_factory.mktemp("fuzz") / "data"),
        "ARGUS_OFFLINE": "1",
        "ARGUS_AUTH__REQUIRE_KEYS": "true" if keys else "false",
    }
    headers: dict[str, str] = {}
    if keys:
        out = _argus("keys", "create", "--name", "fuzz", env=env).stdout
        secret = next(w for w in out.split() if w.startswith("argus_"))
        headers = {"Authorization": f"Bearer {secret}"}
    argus = Path(sys.executable).with_name("argus")
    proc = subprocess.Popen([str(argus), "serve"], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(proc, base)
        yield base, headers
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _explain(exc: BaseException) -> str:
    """The failure and, for a group (Hypothesis's flaky-failure report too), each member."""
    if isinstance(exc, BaseExceptionGroup):
        return f"{exc}\n" + "\n".join(_explain(sub) for sub in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"


def _fuzz(operation: Any, base: str, headers: dict[str, str]) -> str | None:
    """The first failure of ``EXAMPLES`` generated requests to one operation, or None."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        # a shared 2-core machine can be slow to answer (training a classifier on a large
        # generated sample list): a slow answer is not what this test is about
        case.call_and_validate(base_url=base, headers=headers, checks=CHECKS, timeout=120)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # a failure or a group, with reproductions
        return f"{operation.label}: {_explain(exc)}"
    return None


def test_every_operation_answers_as_documented(server: tuple[str, dict[str, str]]) -> None:
    base, headers = server
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    failures = [f for op in operations if (f := _fuzz(op, base, headers)) is not None]
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
