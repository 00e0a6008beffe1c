"""Bad uploads get seed 001's 400 (not its crash) or a 413, and X-API-Key is enforced the
seed's way when USE_API_KEYS (or Argus's require_keys) is on, with Argus keys or the seed's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from moderation_support import RED, RGB, client_for, solid, upload, video

from argus.auth.passwords import hash_password
from argus.config import AuthSettings, ModerationSettings, Settings, VideoSettings
from support.images import png

NOT_AN_IMAGE = {"detail": "The uploaded file is not a valid image."}
SEED_401 = {"detail": "Invalid or missing API Key!"}
IMAGE_ROUTES = ["/api/image-classification", "/api/image-query-classification"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("limits") / "data"
    settings = Settings(
        data_dir=data_dir,
        offline=True,
        imaging={"max_image_mb": 0.05},
        video=VideoSettings(max_video_mb=0.05),
        moderation=ModerationSettings(max_files=3),
    )
    with client_for(settings) as c:
        yield c


@pytest.mark.parametrize("route", IMAGE_ROUTES)
@pytest.mark.parametrize(
    "data",
    [b"", b"just some text, renamed .jpg", b"%PDF-1.4\n%...\n"],
    ids=["empty", "text", "pdf"],
)
def test_a_file_that_is_not_an_image_gets_the_seeds_400(
    client: TestClient, route: str, data: bytes
) -> None:
    resp = client.post(route, files=upload(data, "photo.jpg", "image/jpeg"))
    assert resp.status_code == 400
    assert resp.json() == NOT_AN_IMAGE


def test_a_truncated_jpeg_gets_the_seeds_400(
    client: TestClient, coffee: RGB, encode_image: Callable[..., bytes]
) -> None:
    data = encode_image(coffee, quality=50)
    assert len(data) < 50 * 1024
    resp = client.post(IMAGE_ROUTES[0], files=upload(data[: len(data) // 2], "c.jpg"))
    assert resp.status_code == 400 and resp.json() == NOT_AN_IMAGE


def test_an_oversized_image_gets_413(
    client: TestClient, astronaut: RGB, encode_image: Callable[..., bytes]
) -> None:
    data = encode_image(astronaut, "PNG")
    assert len(data) > 0.05 * 1024 * 1024
    for route in IMAGE_ROUTES:
        resp = client.post(route, files=upload(data, "big.png"))
        assert resp.status_code == 413, resp.text
        assert "limit" in resp.json()["detail"]


def test_too_many_files_get_413_and_one_bad_file_fails_the_request(client: TestClient) -> None:
    good = ("files", ("ok.png", png(solid(RED)), "image/png"))
    resp = client.post("/api/multi-image-classification", files=[good] * 4)
    assert resp.status_code == 413
    assert resp.json() == {"detail": "4 files in one request; at most 3"}
    bad = ("files", ("bad.png", b"not an image", "image/png"))
    resp = client.post("/api/multi-image-query-classification", files=[good, bad])
    assert resp.status_code == 400 and resp.json() == NOT_AN_IMAGE


def test_a_missing_file_field_is_fastapis_422(client: TestClient) -> None:
    resp = client.post("/api/image-classification")
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "file"]


def test_the_video_route_refuses_non_videos_and_oversized_videos(
    client: TestClient, tmp_path: Path, astronaut: RGB
) -> None:
    """A non-video gets seed 001's answer: 200 `{"error": "file is not a video"}`, the reason
    in a header of Argus's."""
    for data, name in ((b"", "empty.mp4"), (b"hello", "t.mp4"), (png(solid(RED)), "p.mp4")):
        resp = client.post("/api/video-classification", files=upload(data, name, "video/mp4"))
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"error": "file is not a video"}
        assert resp.headers["X-Argus-Detail"].startswith("file is not a video (")
    big = video(tmp_path / "big.avi", [astronaut] * 12, fourcc="MJPG")
    assert len(big) > 0.05 * 1024 * 1024
    resp = client.post("/api/video-classification", files=upload(big, "big.avi", "video/avi"))
    assert resp.status_code == 413
    assert list((client.app.state.settings.data_dir / "tmp").iterdir()) == []


# --------------------------------------------------------------------------- keys


def _keys_settings(tmp_path: Path, **auth: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        offline=True,
        auth=AuthSettings(admin_password_hash=hash_password("pw"), **auth),
        moderation=ModerationSettings(use_api_keys=True, api_keys=["seed-key-1"]),
    )


def _argus_key(client: TestClient) -> str:
    login = client.post("/api/v1/auth/login", json={"username": "admin", "password": "pw"})
    token = login.json()["access_token"]
    made = client.post(
        "/api/v1/keys",
        json={"tenant": "acme", "name": "seed client"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code in (200, 201), made.text
    secret: str = made.json()["secret"]
    return secret


def test_use_api_keys_requires_a_seed_or_argus_key(tmp_path: Path) -> None:
    image = upload(png(solid(RED)))
    with client_for(_keys_settings(tmp_path)) as client:
        for headers in ({}, {"X-API-Key": "wrong"}):
            resp = client.post("/api/image-classification", files=image, headers=headers)
            assert resp.status_code == 401 and resp.json() == SEED_401
        ok = client.post(
            "/api/image-classification", files=image, headers={"X-API-Key": "seed-key-1"}
        )
        assert ok.status_code == 200, ok.text
        secret = _argus_key(client)
        ok = client.post(
            "/api/video-classification", files=upload(b"x"), headers={"X-API-Key": secret}
        )
        assert ok.json() == {"error": "file is not a video"}  # past the key check


def test_argus_require_keys_applies_to_seed_routes_in_the_seed_shape(tmp_path: Path) -> None:
    settings = _keys_settings(tmp_path, require_keys=True).model_copy(
        update={"moderation": ModerationSettings()}
    )
    with client_for(settings) as client:
        resp = client.post("/api/image-query-classification", files=upload(png(solid(RED))))
        assert resp.status_code == 401 and resp.json() == SEED_401
        resp = client.post("/api/v1/moderation/detect", files=upload(png(solid(RED))))
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "unauthorized"
        secret = _argus_key(client)
        ok = client.post(
            "/api/image-query-classification",
            files=upload(png(solid(RED))),
            headers={"X-API-Key": secret},
        )
        assert ok.status_code == 200 and ok.json() == [{"Falconsai/nsfw_image_detection": []}]


def test_keys_are_not_needed_when_off(client: TestClient) -> None:
    resp = client.post(
        "/api/image-classification", files=upload(png(solid(RED))), headers={"X-API-Key": "any"}
    )
    assert resp.status_code == 200


def test_seed_env_names_configure_moderation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USE_API_KEYS", "yes")
    monkeypatch.setenv("API_KEYS", "k1,k2")
    monkeypatch.setenv("DEFAULT_SCORE", "0.4")
    monkeypatch.setenv("DEFAULT_MODEL_NAME", "owner/model")
    mod = Settings().moderation
    assert mod.use_api_keys and [k.get_secret_value() for k in mod.api_keys] == ["k1", "k2"]
    assert (mod.default_score, mod.default_model) == (0.4, "owner/model")
    monkeypatch.setenv("ARGUS_MODERATION__DEFAULT_SCORE", "0.9")
    assert Settings().moderation.default_score == 0.9
