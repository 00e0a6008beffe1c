"""Face galleries through the real HTTP API: enrol, identify, verify, delete, tenants, restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.auth.passwords import hash_password
from argus.config import AuthSettings, FaceSettings, Settings

RGB = npt.NDArray[np.uint8]
Encode = Callable[..., bytes]
G = "/api/v1/galleries"


def files(encode: Encode, *images: RGB) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("images", (f"img{i}.jpg", encode(im), "image/jpeg")) for i, im in enumerate(images)]


def enrol(
    c: TestClient, gallery: str, name: str, encode: Encode, *images: RGB
) -> dict[str, object]:
    resp = c.post(f"{G}/{gallery}/subjects", data={"name": name}, files=files(encode, *images))
    assert resp.status_code == 201, resp.text
    body: dict[str, object] = resp.json()
    return body


def identify(c: TestClient, gallery: str, image: bytes, **params: object) -> dict[str, object]:
    resp = c.post(
        f"{G}/{gallery}/identify", files={"image": ("q.jpg", image, "image/jpeg")}, params=params
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, object] = resp.json()
    return body


def test_a_gallery_identifies_each_person_and_calls_a_stranger_unknown(
    settings: Settings,
    astronaut: RGB,
    grace_hopper: RGB,
    astronaut_copy: RGB,
    hopper_copy: RGB,
    third_person: RGB,
    coffee: RGB,
    encode_image: Encode,
) -> None:
    with TestClient(create_app(settings)) as c:
        made = c.post(G, json={"name": "crew"})
        assert made.status_code == 201
        assert made.json()["model"] == "dlib-resnet-face" and made.json()["feature_dim"] == 128
        assert c.post(G, json={"name": "crew"}).status_code == 409

        added = enrol(c, "crew", "Eileen Collins", encode_image, astronaut, coffee)
        assert len(added["added"]) == 1  # type: ignore[arg-type]
        (rejected,) = added["rejected"]  # type: ignore[misc]
        assert rejected["image"] == "img1.jpg" and rejected["failed_checks"] == ["face_detected"]
        enrol(c, "crew", "Grace Hopper", encode_image, grace_hopper)

        eileen = identify(c, "crew", encode_image(astronaut_copy))
        assert eileen["subject"] == "Eileen Collins" and eileen["identified"] is True
        matches = eileen["matches"]
        assert [m["subject"] for m in matches] == ["Eileen Collins", "Grace Hopper"]  # type: ignore[attr-defined]
        assert matches[0]["similarity"] >= eileen["threshold"] > matches[1]["similarity"]  # type: ignore[index]

        grace = identify(c, "crew", encode_image(hopper_copy))
        assert grace["subject"] == "Grace Hopper" and grace["identified"] is True

        stranger = identify(c, "crew", encode_image(third_person))
        assert stranger["subject"] == "unknown" and stranger["identified"] is False
        assert stranger["similarity"] < stranger["threshold"]  # type: ignore[operator]
        assert len(stranger["matches"]) == 2  # type: ignore[arg-type]

        # 1:1 against a subject
        ok = c.post(
            f"{G}/crew/subjects/Eileen Collins/verify",
            files={"image": ("q.jpg", encode_image(astronaut_copy), "image/jpeg")},
        ).json()
        assert ok["is_same_person"] is True
        no = c.post(
            f"{G}/crew/subjects/Grace Hopper/verify",
            files={"image": ("q.jpg", encode_image(astronaut_copy), "image/jpeg")},
        ).json()
        assert no["is_same_person"] is False and no["similarity"] < no["threshold"]

        # a gallery threshold of its own: low enough, the stranger gets a name
        patched = c.patch(f"{G}/crew", json={"threshold": 0.5})
        assert (
            patched.json()["threshold"] == 0.5 and patched.json()["threshold_is_default"] is False
        )
        assert identify(c, "crew", encode_image(third_person))["identified"] is True
        assert c.patch(f"{G}/crew", json={"threshold": None}).json()["threshold"] == pytest.approx(
            0.908
        )

        # no qualified face in the query: Argus's error shape, the failed check named
        resp = c.post(
            f"{G}/crew/identify", files={"image": ("c.jpg", encode_image(coffee), "image/jpeg")}
        )
        assert resp.status_code == 422
        assert resp.json()["error"]["code"] == "no_qualified_face"
        assert (
            c.post(f"{G}/nope/identify", files={"image": ("c.jpg", b"x", "image/jpeg")}).status_code
            == 404
        )


def test_subjects_and_faces_can_be_listed_and_deleted(
    settings: Settings,
    astronaut: RGB,
    astronaut_copy: RGB,
    grace_hopper: RGB,
    encode_image: Encode,
) -> None:
    with TestClient(create_app(settings)) as c:
        c.post(G, json={"name": "crew"})
        enrol(c, "crew", "eileen", encode_image, astronaut)
        more = c.post(f"{G}/crew/subjects/eileen/faces", files=files(encode_image, astronaut_copy))
        assert more.status_code == 201
        enrol(c, "crew", "grace", encode_image, grace_hopper)
        assert (
            c.post(
                f"{G}/crew/subjects/ghost/faces", files=files(encode_image, astronaut)
            ).status_code
            == 404
        )

        listed = c.get(f"{G}/crew/subjects").json()["subjects"]
        assert [(s["name"], s["faces"]) for s in listed] == [("eileen", 2), ("grace", 1)]
        summary = c.get(f"{G}/crew").json()
        assert summary["subjects"] == 2 and summary["faces"] == 3
        assert [g["name"] for g in c.get(G).json()["galleries"]] == ["crew"]

        detail = c.get(f"{G}/crew/subjects/eileen").json()
        first = detail["face_list"][0]["id"]
        assert c.delete(f"{G}/crew/subjects/eileen/faces/{first}").status_code == 204
        assert c.delete(f"{G}/crew/subjects/eileen/faces/{first}").status_code == 404
        assert c.get(f"{G}/crew/subjects/eileen").json()["faces"] == 1

        assert c.delete(f"{G}/crew/subjects/eileen").status_code == 204
        assert identify(c, "crew", encode_image(astronaut_copy))["subject"] == "unknown"
        assert c.get(f"{G}/crew/subjects/eileen").status_code == 404

        assert (
            c.post(
                f"{G}/crew/subjects", data={"name": "unknown"}, files=files(encode_image, astronaut)
            ).status_code
            == 422
        )
        assert c.delete(f"{G}/crew").status_code == 204
        assert c.get(f"{G}/crew").status_code == 404


def test_the_index_survives_a_restart(
    settings: Settings,
    astronaut: RGB,
    grace_hopper: RGB,
    astronaut_copy: RGB,
    encode_image: Encode,
) -> None:
    with TestClient(create_app(settings)) as c:
        c.post(G, json={"name": "crew"})
        enrol(c, "crew", "eileen", encode_image, astronaut)
        enrol(c, "crew", "grace", encode_image, grace_hopper)
    for index in ("faiss", "numpy"):
        again = settings.model_copy(update={"faces": FaceSettings(index=index)})
        with TestClient(create_app(again)) as c:
            assert c.app.state.galleries.registry.size(1) == 2  # type: ignore[attr-defined]
            found = identify(c, "crew", encode_image(astronaut_copy))
            assert found["subject"] == "eileen"


def test_one_tenant_cannot_reach_anothers_gallery(
    settings: Settings, astronaut: RGB, encode_image: Encode, tmp_path: Path
) -> None:
    password = "faces are personal"
    keyed = settings.model_copy(
        update={
            "auth": AuthSettings(
                require_keys=True,
                admin_username="root",
                admin_password_hash=hash_password(password),
            )
        }
    )
    with TestClient(create_app(keyed)) as c:
        token = c.post("/api/v1/auth/login", json={"username": "root", "password": password})
        admin = {"Authorization": f"Bearer {token.json()['access_token']}"}
        keys = {}
        for tenant in ("a", "b"):
            made = c.post("/api/v1/keys", json={"tenant": tenant, "name": "t"}, headers=admin)
            keys[tenant] = {"X-API-Key": made.json()["secret"]}

        assert c.post(G, json={"name": "mine"}).status_code == 401
        assert c.post(G, json={"name": "mine"}, headers=keys["b"]).status_code == 201
        resp = c.post(
            f"{G}/mine/subjects",
            data={"name": "eileen"},
            files=files(encode_image, astronaut),
            headers=keys["b"],
        )
        assert resp.status_code == 201
        query = {"image": ("q.jpg", encode_image(astronaut), "image/jpeg")}
        stolen = c.post(f"{G}/mine/identify", files=query, headers=keys["a"])
        assert stolen.status_code == 404 and stolen.json()["error"]["code"] == "not_found"
        assert c.get(f"{G}/mine/subjects", headers=keys["a"]).status_code == 404
        assert c.get(G, headers=keys["a"]).json()["galleries"] == []
        # tenant a may use the same name for its own gallery
        assert c.post(G, json={"name": "mine"}, headers=keys["a"]).status_code == 201
        own = c.post(f"{G}/mine/identify", files=query, headers=keys["b"])
        assert own.json()["subject"] == "eileen"
