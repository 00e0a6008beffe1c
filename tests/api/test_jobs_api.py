"""The jobs API with the local executor, through FastAPI's TestClient: submit photos, poll the
job, read per-item outcomes, receive the webhook, cancel, download outputs, tenant isolation."""

from __future__ import annotations

import functools
import json
import queue
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from anyio.from_thread import BlockingPortal
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.config import AuthSettings, BlobSettings, ImagingSettings, Settings
from argus.jobs import ItemContext, JobInput, JobKind, JobService
from argus.store import jobs as job_store
from argus.store import keys as key_store
from argus.store.files import LocalBlobStore
from support.images import jpeg
from support.waiting import wait_until

RGB = npt.NDArray[np.uint8]
TEXT = b"Shopping list:\n- eggs\n- coffee\n"


class WebhookReceiver:
    """A loopback HTTP server that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: queue.Queue[dict[str, Any]] = queue.Queue()
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.put(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/argus"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """An app whose webhooks may reach this machine's loopback receiver (refused by default)."""
    jobs = settings.jobs.model_copy(update={"webhook_allowed_networks": ["127.0.0.0/8"]})
    with TestClient(create_app(settings.model_copy(update={"jobs": jobs}))) as c:
        yield c


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/hook",
    ],
)
def test_webhooks_to_internal_addresses_are_refused_and_nothing_is_stored(
    settings: Settings, url: str, coffee: RGB
) -> None:
    with TestClient(create_app(settings)) as c:
        resp = submit(c, [("c.jpg", jpeg(coffee))], webhook_url=url)
        assert resp.status_code == 400, resp.text
        assert "ARGUS_JOBS__WEBHOOK_ALLOWED_NETWORKS" in resp.json()["error"]["message"]
        assert c.get("/api/v1/jobs").json()["jobs"] == []


def wait_until_finished(
    client: TestClient, job_id: str, headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        resp = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body if body["status"] not in ("pending", "running") else None

    return wait_until(ended, f"job {job_id} to end")


def _portal(client: TestClient) -> BlockingPortal:
    """The app's event loop, to call the store directly (the client must be started)."""
    assert client.portal is not None
    return client.portal


def submit(
    client: TestClient,
    files: list[tuple[str, bytes]],
    *,
    kind: str = "detect",
    options: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    **form: str,
) -> Any:
    data = {"kind": kind, **form}
    if options is not None:
        data["options"] = json.dumps(options)
    return client.post(
        "/api/v1/jobs",
        data=data,
        files=[("files", (name, content, "image/jpeg")) for name, content in files],
        headers=headers,
    )


def test_detect_job_round_trip_with_webhook(
    client: TestClient, webhook: WebhookReceiver, astronaut: RGB, coffee: RGB
) -> None:
    resp = submit(
        client,
        [("astronaut.jpg", jpeg(astronaut)), ("coffee.jpg", jpeg(coffee)), ("notes.jpg", TEXT)],
        webhook_url=webhook.url,
    )
    assert resp.status_code == 202, resp.text
    accepted = resp.json()
    assert accepted["status"] == "pending"
    assert accepted["status_url"].endswith(f"/api/v1/jobs/{accepted['job_id']}")
    assert resp.headers["Location"] == accepted["status_url"]

    body = wait_until_finished(client, accepted["job_id"])
    assert body["status"] == "completed"
    assert body["progress"] == {"done": 3, "total": 3}
    assert body["kind"] == "detect"
    assert body["options"] == {"model": "dlib-hog-face"}
    astro, cup, notes = body["items"]
    assert [astro["name"], cup["name"], notes["name"]] == [
        "astronaut.jpg",
        "coffee.jpg",
        "notes.jpg",
    ]
    assert astro["status"] == "completed"
    assert astro["output"]["model"] == "dlib-hog-face"
    assert (astro["output"]["width"], astro["output"]["height"]) == (512, 512)
    (face,) = astro["output"]["detections"]
    x1, y1, x2, y2 = face["box"]
    assert 150 < (x1 + x2) / 2 < 300 and 50 < (y1 + y2) / 2 < 200, "her face, top middle"
    assert cup["status"] == "completed"
    assert cup["output"]["detections"] == []
    assert notes["status"] == "failed"
    assert notes["output"] is None
    assert "not an image" in notes["error"]  # the 415 message of the decoder
    assert all(item["finished_at"] for item in body["items"])

    hook = webhook.bodies.get(timeout=10)
    assert hook["job_id"] == accepted["job_id"]
    assert hook["status"] == "completed"
    assert hook["progress"] == {"done": 3, "total": 3}

    listed = client.get("/api/v1/jobs", params={"status": "completed"}).json()["jobs"]
    assert [j["job_id"] for j in listed] == [accepted["job_id"]]
    assert client.get("/api/v1/jobs", params={"status": "failed"}).json()["jobs"] == []
    metrics = client.get("/metrics").text
    assert 'argus_jobs_finished_total{kind="detect",outcome="completed"} 1.0' in metrics
    assert "argus_job_queue_depth 0.0" in metrics


def test_a_job_whose_items_all_fail_is_failed_and_keeps_its_inputs(
    client: TestClient, settings: Settings
) -> None:
    resp = submit(client, [("a.jpg", TEXT), ("b.jpg", b"")])
    assert resp.status_code == 202, resp.text
    body = wait_until_finished(client, resp.json()["job_id"])
    assert body["status"] == "failed"
    assert body["error"].startswith("2 of 2 items failed")
    assert [item["status"] for item in body["items"]] == ["failed", "failed"]
    assert "empty" in body["items"][1]["error"]
    stored = settings.blobs_dir / body["job_id"] / "input"
    assert sorted(p.name for p in stored.iterdir()) == ["a.jpg", "b.jpg"]


def test_refused_requests_store_nothing(
    client: TestClient, settings: Settings, astronaut: RGB
) -> None:
    photo = [("astronaut.jpg", jpeg(astronaut))]
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"kind": "summarise"}, 422, "unknown job kind 'summarise'"),
        ({"options": {"model": "no-such-model"}}, 404, "no-such-model"),
        ({"options": {"model": "dlib-landmarks-5"}}, 422, "face-landmarks"),
        ({"options": {"colour": "red"}}, 422, "colour"),
    ]
    for kwargs, status, words in cases:
        resp = submit(client, photo, **kwargs)
        assert resp.status_code == status, (kwargs, resp.text)
        assert words in resp.json()["error"]["message"], resp.text
    resp = client.post(
        "/api/v1/jobs",
        data={"kind": "detect", "options": "{not json"},
        files=[("files", ("a.jpg", b"x", "image/jpeg"))],
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "validation_error"
    resp = client.post("/api/v1/jobs", data={"kind": "detect"})
    assert resp.status_code == 422, "files are required"
    resp = submit(client, photo, webhook_url="file:///etc/passwd")
    assert resp.status_code == 422
    assert client.get("/api/v1/jobs").json()["jobs"] == []
    assert not settings.blobs_dir.exists() or not any(settings.blobs_dir.iterdir())


def test_a_file_over_the_size_limit_is_a_413(settings: Settings, astronaut: RGB) -> None:
    small = settings.model_copy(update={"imaging": ImagingSettings(max_image_mb=0.01)})
    with TestClient(create_app(small)) as client:
        resp = submit(client, [("tiny.jpg", b"\xff\xd8\xff"), ("astronaut.jpg", jpeg(astronaut))])
        assert resp.status_code == 413
        assert resp.json()["error"]["code"] == "payload_too_large"
        assert "astronaut.jpg" in resp.json()["error"]["message"]
        assert client.get("/api/v1/jobs").json()["jobs"] == []


def test_cancel_a_pending_job_then_cancel_again_is_409(client: TestClient) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    # Recorded but never submitted, so it stays pending until cancelled.
    create = functools.partial(
        job_store.create,
        db,
        tenant="default",
        kind="detect",
        items=[job_store.ItemInput(name="a.jpg"), job_store.ItemInput(name="b.jpg")],
    )
    job = _portal(client).call(create)
    assert client.get(f"/api/v1/jobs/{job.id}").json()["status"] == "pending"

    resp = client.post(f"/api/v1/jobs/{job.id}/cancel")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "cancelled"
    assert [item["status"] for item in resp.json()["items"]] == ["cancelled", "cancelled"]
    again = client.post(f"/api/v1/jobs/{job.id}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "job_finished"
    assert client.post("/api/v1/jobs/nope/cancel").status_code == 404


def _gated_kind(started: threading.Event, release: threading.Event) -> JobKind:
    def handler(ctx: ItemContext, item: JobInput, options: Mapping[str, Any]) -> Any:
        started.set()
        assert release.wait(30), "the test never released the item"
        return {"bytes": len(item.data)}

    return JobKind(
        name="gated",
        description="Waits for the test before finishing each item.",
        handler=handler,
        validate=lambda options, pool: dict(options),
    )


def test_cancelling_a_running_job_stops_it_after_the_current_item(client: TestClient) -> None:
    started, release = threading.Event(), threading.Event()
    service: JobService = client.app.state.jobs  # type: ignore[attr-defined]
    service.registry.register(_gated_kind(started, release))
    resp = submit(client, [("1.bin", b"one"), ("2.bin", b"two"), ("3.bin", b"three")], kind="gated")
    job_id = resp.json()["job_id"]
    assert started.wait(30)
    cancelled = client.post(f"/api/v1/jobs/{job_id}/cancel").json()
    assert cancelled["status"] == "cancelled"
    release.set()
    body = wait_until_finished(client, job_id)
    assert body["status"] == "cancelled"
    statuses = [item["status"] for item in body["items"]]
    assert statuses[1:] == ["cancelled", "cancelled"], "no item started after the cancel"


def test_output_files_are_served_with_distinct_names(client: TestClient) -> None:
    def handler(ctx: ItemContext, item: JobInput, options: Mapping[str, Any]) -> Any:
        return {"file": ctx.save_output("../result.txt", item.data.upper())}

    service: JobService = client.app.state.jobs  # type: ignore[attr-defined]
    service.registry.register(
        JobKind("shout", "Upper-cases text files.", handler, lambda o, p: dict(o))
    )
    resp = submit(client, [("a.txt", b"first"), ("b.txt", b"second")], kind="shout")
    body = wait_until_finished(client, resp.json()["job_id"])
    assert body["status"] == "completed"
    names = [item["output"]["file"] for item in body["items"]]
    assert names == ["result.txt", "result-1.txt"]
    urls = {f["name"]: f["url"] for f in body["files"]}
    assert sorted(urls) == sorted(names)
    assert client.get(urls["result.txt"]).content == b"FIRST"
    assert client.get(urls["result-1.txt"]).content == b"SECOND"
    job_url = f"/api/v1/jobs/{body['job_id']}"
    assert client.get(f"{job_url}/files/missing.txt").status_code == 404
    assert client.get(f"{job_url}/files/..%2F..%2Fargus.db").status_code == 404
    assert client.get(f"{job_url}/files/.hidden").status_code == 404


def test_another_tenants_job_is_a_404(settings: Settings, astronaut: RGB) -> None:
    keyed = settings.model_copy(update={"auth": AuthSettings(require_keys=True)})
    with TestClient(create_app(keyed)) as client:
        db = client.app.state.db  # type: ignore[attr-defined]
        _, secret_a = _portal(client).call(
            functools.partial(key_store.create, db, tenant="a", name="a")
        )
        _, secret_b = _portal(client).call(
            functools.partial(key_store.create, db, tenant="b", name="b")
        )
        alice, bob = {"X-API-Key": secret_a}, {"X-API-Key": secret_b}

        assert submit(client, [("x.jpg", jpeg(astronaut))]).status_code == 401
        resp = submit(client, [("astronaut.jpg", jpeg(astronaut))], headers=alice)
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["job_id"]
        assert wait_until_finished(client, job_id, alice)["status"] == "completed"

        for method, path in [
            ("GET", f"/api/v1/jobs/{job_id}"),
            ("POST", f"/api/v1/jobs/{job_id}/cancel"),
            ("GET", f"/api/v1/jobs/{job_id}/files/anything.txt"),
        ]:
            resp = client.request(method, path, headers=bob)
            assert resp.status_code == 404, (method, path, resp.text)
            assert resp.json()["error"]["code"] == "not_found"
        assert client.get("/api/v1/jobs", headers=bob).json()["jobs"] == []
        assert len(client.get("/api/v1/jobs", headers=alice).json()["jobs"]) == 1
        # And the store itself: reads scoped to a tenant never see another's job.
        assert (
            _portal(client).call(functools.partial(job_store.get, db, job_id=job_id, tenant="b"))
            is None
        )


def test_periodic_clean_up_removes_finished_jobs_after_the_ttl(
    settings: Settings, astronaut: RGB
) -> None:
    # A TTL of about 4 ms and a clean-up every 50 ms: a finished job disappears soon after.
    quick = settings.model_copy(update={"blobs": BlobSettings(ttl_h=1e-6, cleanup_interval_s=0.05)})
    with TestClient(create_app(quick)) as client:
        resp = submit(client, [("astronaut.jpg", jpeg(astronaut))])
        job_id = resp.json()["job_id"]
        blobs = client.app.state.blobs  # type: ignore[attr-defined]
        assert isinstance(blobs, LocalBlobStore)
        wait_until(
            lambda: client.get(f"/api/v1/jobs/{job_id}").status_code == 404,
            "the finished job to be cleaned up",
            timeout_s=30,
        )
        assert not (blobs.root / job_id).exists()
