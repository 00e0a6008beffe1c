"""A loopback fake of the Hugging Face Hub HTTP API, and tiny ONNX image classifiers to serve.

It speaks what ``huggingface_hub`` 2.x asks in ``HfApi.model_info``, ``HfApi.list_repo_tree``,
``hf_hub_download`` and ``snapshot_download``::

    GET  /api/models/{owner}/{name}[/revision/{rev}]   info: sha, siblings (size, blobId, lfs
                                                       with ?blobs=true), tags, cardData
    GET  /api/models/{owner}/{name}/tree/{rev}[/{dir}] tree listing (?recursive=true|false)
    HEAD|GET /{owner}/{name}/resolve/{rev}/{path}      git files: 200, ETag = git blob sha1,
                                                       X-Repo-Commit, Content-Length;
                                                       LFS files (*.onnx, *.onnx_data, *.bin):
                                                       302 to the "CDN" with X-Linked-Etag
                                                       (sha256), X-Linked-Size, X-Repo-Commit
    HEAD|GET /cdn/{sha256}                             LFS blobs, on the host name "localhost"
                                                       (another host, as a CDN is: the client
                                                       drops the token); Range -> 206

Errors are the hub's: 404 with ``X-Error-Code`` RepoNotFound / RevisionNotFound /
EntryNotFound and ``X-Error-Message``; 401 RepoNotFound for a private repo asked without its
token. Every request is recorded in :attr:`FakeHub.requests`. :meth:`FakeHub.break_file` drops
the connection halfway through a file, :meth:`FakeHub.tamper` serves wrong bytes.

Use :func:`running_hub` in a fixture: it starts the server and points huggingface_hub at
temporary folders with no token and offline mode off, so no real network or user state is
touched. :func:`tiny_classifier` builds a ``pixel_values -> logits`` ONNX graph (global average
of each channel, times a ``3 x K`` matrix) whose winner a test can predict;
:func:`classifier_repo` lays it out as Optimum does.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
import numpy.typing as npt
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from argus.config import Settings
from argus.models.hub.layout import IMAGE_CLASSIFIER_FAMILY
from argus.models.specs import HubSource, ModelFile, ModelSpec

LFS_SUFFIXES = (".onnx", ".onnx_data", ".data", ".bin", ".safetensors")
RGB_LABELS = ("red", "green", "blue")
DATE = "2024-05-01T12:00:00.000Z"


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(data: bytes) -> bytes:
    sha = hashlib.sha256(data).hexdigest()
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(data)}\n".encode()
    )


@dataclass
class FakeRepo:
    """One model repository with one commit, reachable by its sha and its branch names."""

    repo_id: str
    files: dict[str, bytes]
    license: str | None = "apache-2.0"
    token: str | None = None
    branches: tuple[str, ...] = ("main",)

    @property
    def sha(self) -> str:
        digest = hashlib.sha1(self.repo_id.encode())
        for path in sorted(self.files):
            digest.update(path.encode() + b"\0" + hashlib.sha256(self.files[path]).digest())
        return digest.hexdigest()

    def resolve(self, revision: str) -> str | None:
        return self.sha if revision in self.branches or revision == self.sha else None

    @staticmethod
    def is_lfs(path: str) -> bool:
        return path.endswith(LFS_SUFFIXES)

    def sibling(self, path: str, blobs: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {"rfilename": path}
        if blobs:
            data = self.files[path]
            if self.is_lfs(path):
                pointer = lfs_pointer(data)
                entry.update(
                    size=len(data),
                    blobId=git_sha1(pointer),
                    lfs={
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "size": len(data),
                        "pointerSize": len(pointer),
                    },
                )
            else:
                entry.update(size=len(data), blobId=git_sha1(data))
        return entry

    def tree_entry(self, path: str) -> dict[str, Any]:
        data = self.files[path]
        entry: dict[str, Any] = {"type": "file", "path": path, "size": len(data)}
        if self.is_lfs(path):
            pointer = lfs_pointer(data)
            entry["oid"] = git_sha1(pointer)
            entry["lfs"] = {
                "oid": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "pointerSize": len(pointer),
            }
        else:
            entry["oid"] = git_sha1(data)
        return entry


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]

    @property
    def authorized(self) -> bool:
        return "authorization" in self.headers


@dataclass
class _Breakage:
    resume: bool
    dropped: bool = False


@dataclass
class FakeHub:
    """The server; ``url`` is its endpoint once :meth:`start` ran."""

    cdn_host: str = "localhost"
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    _broken: dict[str, _Breakage] = field(default_factory=dict)
    _tampered: set[str] = field(default_factory=set)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- set-up

    def add_repo(self, repo_id: str, files: Mapping[str, bytes], **kwargs: Any) -> FakeRepo:
        repo = FakeRepo(repo_id, dict(files), **kwargs)
        self.repos[repo_id] = repo
        return repo

    def break_file(self, repo_id: str, path: str, *, resume: bool) -> None:
        """The next GET of that file sends half of it and drops the connection; later GETs are
        served (``resume=True``, Range honoured) or answered 503 (``resume=False``)."""
        self._broken[hashlib.sha256(self.repos[repo_id].files[path]).hexdigest()] = _Breakage(
            resume
        )

    def tamper(self, repo_id: str, path: str) -> None:
        """Serve that file with its first byte flipped (the listing keeps the true checksum)."""
        self._tampered.add(hashlib.sha256(self.repos[repo_id].files[path]).hexdigest())

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the hub first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- what was asked

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    def downloads(self) -> list[Request]:
        """GETs that carried file content (resolve of git files, CDN blobs)."""
        return [
            r
            for r in self.requests
            if r.method == "GET" and ("/resolve/" in r.path or r.path.startswith("/cdn/"))
        ]

    # -- serving

    def repo_for(self, repo_id: str) -> FakeRepo | None:
        return self.repos.get(repo_id)

    def blob(self, sha256: str) -> bytes | None:
        for repo in self.repos.values():
            for data in repo.files.values():
                if hashlib.sha256(data).hexdigest() == sha256:
                    return data
        return None


_INFO = re.compile(r"^/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?/?$")
_TREE = re.compile(r"^/api/models/([^/]+/[^/]+)/tree/([^/]+)(?:/(.*))?$")
_RESOLVE = re.compile(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")
_CDN = re.compile(r"^/cdn/([0-9a-f]{64})$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeHub

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_HEAD(self) -> None:
        self._route(head=True)

    def do_GET(self) -> None:
        self._route(head=False)

    # -- responses

    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        head: bool = False,
        length: int | None = None,
    ) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def _json(self, data: Any, *, head: bool) -> None:
        body = json.dumps(data).encode()
        self._send(200, body, {"Content-Type": "application/json"}, head=head)

    def _error(self, status: int, code: str, message: str, *, head: bool) -> None:
        body = json.dumps({"error": message}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Error-Code": code,
            "X-Error-Message": message,
        }
        self._send(status, body, headers, head=head)

    # -- routing

    def _route(self, *, head: bool) -> None:
        url = urlsplit(self.path)
        with self.fake._lock:
            self.fake.requests.append(
                Request(self.command, url.path, {k.lower(): v for k, v in self.headers.items()})
            )
        query = parse_qs(url.query)
        if m := _INFO.match(url.path):
            self._info(unquote(m[1]), unquote(m[2] or "main"), query, head=head)
        elif m := _TREE.match(url.path):
            self._tree(unquote(m[1]), unquote(m[2]), unquote(m[3] or ""), query, head=head)
        elif m := _RESOLVE.match(url.path):
            self._resolve(unquote(m[1]), unquote(m[2]), unquote(m[3]), head=head)
        elif m := _CDN.match(url.path):
            self._cdn(m[1], head=head)
        else:
            self._error(
                404, "NotFound", "Sorry, we can't find the page you are looking for.", head=head
            )

    def _repo(self, repo_id: str, *, head: bool) -> FakeRepo | None:
        repo = self.fake.repo_for(repo_id)
        auth = self.headers.get("authorization")
        if repo is None or (repo.token is not None and auth != f"Bearer {repo.token}"):
            status = 401 if repo is not None and auth is None else 404
            self._error(status, "RepoNotFound", "Repository not found", head=head)
            return None
        return repo

    def _commit(self, repo: FakeRepo, revision: str, *, head: bool) -> str | None:
        sha = repo.resolve(revision)
        if sha is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", head=head)
        return sha

    def _info(
        self, repo_id: str, revision: str, query: Mapping[str, list[str]], *, head: bool
    ) -> None:
        repo = self._repo(repo_id, head=head)
        if repo is None or (sha := self._commit(repo, revision, head=head)) is None:
            return
        blobs = query.get("blobs", ["false"])[0].lower() == "true"
        owner = repo_id.split("/")[0]
        tags = ["transformers", "onnx", "image-classification"]
        if repo.license:
            tags.append(f"license:{repo.license}")
        info = {
            "_id": hashlib.md5(repo_id.encode()).hexdigest()[:24],
            "id": repo_id,
            "modelId": repo_id,
            "author": owner,
            "sha": sha,
            "lastModified": DATE,
            "createdAt": DATE,
            "private": repo.token is not None,
            "disabled": False,
            "gated": False,
            "downloads": 0,
            "likes": 0,
            "library_name": "transformers",
            "pipeline_tag": "image-classification",
            "tags": tags,
            "cardData": {"license": repo.license} if repo.license else {},
            "siblings": [repo.sibling(p, blobs) for p in sorted(repo.files)],
            "usedStorage": sum(len(d) for d in repo.files.values()),
        }
        self._json(info, head=head)

    def _tree(
        self,
        repo_id: str,
        revision: str,
        folder: str,
        query: Mapping[str, list[str]],
        *,
        head: bool,
    ) -> None:
        repo = self._repo(repo_id, head=head)
        if repo is None or self._commit(repo, revision, head=head) is None:
            return
        recursive = query.get("recursive", ["false"])[0].lower() == "true"
        prefix = f"{folder.strip('/')}/" if folder.strip("/") else ""
        if prefix and not any(p.startswith(prefix) for p in repo.files):
            self._error(404, "EntryNotFound", f"{folder} does not exist", head=head)
            return
        entries: dict[str, dict[str, Any]] = {}
        for path in sorted(repo.files):
            if not path.startswith(prefix):
                continue
            parts = path[len(prefix) :].split("/")
            for depth in range(1, len(parts)):  # the folders on the way
                sub = prefix + "/".join(parts[:depth])
                if recursive or depth == 1:
                    entries.setdefault(
                        sub,
                        {
                            "type": "directory",
                            "oid": git_sha1(sub.encode()),
                            "size": 0,
                            "path": sub,
                        },
                    )
            if recursive or len(parts) == 1:
                entries[path] = repo.tree_entry(path)
        self._json(list(entries.values()), head=head)

    def _resolve(self, repo_id: str, revision: str, path: str, *, head: bool) -> None:
        repo = self._repo(repo_id, head=head)
        if repo is None or (sha := self._commit(repo, revision, head=head)) is None:
            return
        data = repo.files.get(path)
        if data is None:
            self._error(404, "EntryNotFound", f'{path} does not exist on "{revision}"', head=head)
            return
        if repo.is_lfs(path):
            digest = hashlib.sha256(data).hexdigest()
            headers = {
                "X-Repo-Commit": sha,
                "X-Linked-Etag": f'"{digest}"',
                "X-Linked-Size": str(len(data)),
                "ETag": f'"{git_sha1(lfs_pointer(data))}"',
                "Location": f"http://{self.fake.cdn_host}:{self.fake.port}/cdn/{digest}",
            }
            self._send(302, b"", headers, head=head)
            return
        headers = {"X-Repo-Commit": sha, "ETag": f'"{git_sha1(data)}"', "Accept-Ranges": "bytes"}
        self._content(data, headers, head=head)

    def _cdn(self, digest: str, *, head: bool) -> None:
        data = self.fake.blob(digest)
        if data is None:
            self._send(404, b"NoSuchKey", head=head)
            return
        self._content(data, {"ETag": f'"{digest}"', "Accept-Ranges": "bytes"}, head=head)

    def _content(self, data: bytes, headers: dict[str, str], *, head: bool) -> None:
        digest = hashlib.sha256(data).hexdigest()
        if digest in self.fake._tampered:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start, end = 0, len(data)
        status = 200
        if (wanted := self.headers.get("Range")) and (m := _RANGE.match(wanted)):
            start, end = int(m[1]), int(m[2]) + 1 if m[2] else len(data)
            status = 206
            headers = {**headers, "Content-Range": f"bytes {start}-{end - 1}/{len(data)}"}
        body = data[start:end]
        broken = self.fake._broken.get(digest)
        if broken is not None and not head:
            if not broken.dropped:
                broken.dropped = True
                self._send(status, body[: len(body) // 2], headers, length=len(body))
                self.wfile.flush()
                self.close_connection = True
                return
            if not broken.resume:
                self._error(503, "ServiceUnavailable", "The hub went away", head=head)
                return
        self._send(status, body, headers, head=head)


# --------------------------------------------------------------------------- fixtures


@contextmanager
def running_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    """A started :class:`FakeHub`, with huggingface_hub kept off the network and user state.

    Sets ``HF_ENDPOINT`` to the hub (the fallback when settings name none), HF home, cache and
    token paths to ``tmp_path``, clears tokens and ``ARGUS_OFFLINE``, and turns offline mode off.
    """
    from huggingface_hub import constants

    hub = FakeHub().start()
    home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for var in (
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HF_OIDC_RESOURCE",
        "HF_HUB_OFFLINE",
        "ARGUS_OFFLINE",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    try:
        yield hub
    finally:
        hub.stop()


def pull_settings(tmp_path: Path, hub: FakeHub | None = None, **kwargs: Any) -> Settings:
    """Settings with downloads on, data under ``tmp_path``, and the fake hub as endpoint."""
    models = dict(kwargs.pop("models", {}))
    if hub is not None:
        models.setdefault("hub_endpoint", hub.url)
    kwargs.setdefault("offline", False)
    return Settings(data_dir=tmp_path / "data", models=models, **kwargs)


# --------------------------------------------------------------------------- tiny models


def tiny_classifier(
    weights: npt.ArrayLike,
    bias: npt.ArrayLike | None = None,
    *,
    dynamic_batch: bool = True,
    size: tuple[int, int] | None = None,
    output_name: str = "logits",
    padding_bytes: int = 0,
) -> bytes:
    """An ONNX graph ``pixel_values (N, 3, H, W) float -> output (N, K)``.

    ``output = mean over H, W of each channel @ weights (3, K) + bias``: with weights ``4 * I``
    the winning class is the channel with the highest mean. ``size`` fixes H and W (else
    dynamic); ``dynamic_batch=False`` fixes N to 1. ``padding_bytes`` adds an unused
    initializer so the file is big enough to be cut halfway.
    """
    w = np.asarray(weights, dtype=np.float32)
    k = w.shape[1]
    b = np.zeros(k, np.float32) if bias is None else np.asarray(bias, dtype=np.float32)
    batch: int | str = "batch" if dynamic_batch else 1
    h, wd = size if size is not None else ("height", "width")
    inp = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, [batch, 3, h, wd])
    out = helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [batch, k])
    nodes = [
        helper.make_node("GlobalAveragePool", ["pixel_values"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "W"], ["scores"]),
        helper.make_node("Add", ["scores", "B"], [output_name]),
    ]
    inits = [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")]
    if padding_bytes:
        pad = np.arange(padding_bytes // 4, dtype=np.float32)
        inits.append(numpy_helper.from_array(pad, "padding"))
    graph = helper.make_graph(nodes, "tiny_classifier", [inp], [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def classifier_spec(repo_id: str, name: str) -> ModelSpec:
    """A catalog entry for :func:`classifier_repo` served as ``repo_id`` (pulled as ``name``)."""
    return ModelSpec(
        name=name,
        task="image-classification",
        family=IMAGE_CLASSIFIER_FAMILY,
        source=HubSource(repo_id),
        files=(
            ModelFile("model", "onnx/model.onnx"),
            ModelFile("config", "config.json"),
            ModelFile("preprocessor", "preprocessor_config.json"),
        ),
        license="MIT",
        description="A catalogued tiny classifier.",
        labels=RGB_LABELS,
        memory_mb=5,
        builtin=False,
    )


def classifier_repo(
    labels: Sequence[str] = RGB_LABELS,
    weights: npt.ArrayLike | None = None,
    *,
    onnx_files: Sequence[str] = ("onnx/model.onnx",),
    preprocessor: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    padding_bytes: int = 0,
    **graph: Any,
) -> dict[str, bytes]:
    """The files of an Optimum export of :func:`tiny_classifier` (plus README and more)."""
    w = 4 * np.eye(3, len(labels), dtype=np.float32) if weights is None else weights
    model = tiny_classifier(w, padding_bytes=padding_bytes, **graph)
    cfg = {
        "architectures": ["ViTForImageClassification"],
        "model_type": "vit",
        "id2label": {str(i): label for i, label in enumerate(labels)},
        "label2id": {label: i for i, label in enumerate(labels)},
        **(config or {}),
    }
    pre = preprocessor or {
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
        "image_processor_type": "ViTImageProcessor",
        "resample": 2,
        "rescale_factor": 1 / 255,
        "size": {"height": 32, "width": 32},
    }
    files = {
        ".gitattributes": b"*.onnx filter=lfs diff=lfs merge=lfs -text\n",
        "README.md": b"---\nlicense: apache-2.0\npipeline_tag: image-classification\n---\n# tiny\n",
        "config.json": json.dumps(cfg, indent=2).encode(),
        "preprocessor_config.json": json.dumps(pre, indent=2).encode(),
    }
    for path in onnx_files:
        files[path] = model
    return files


# CLIP's published image preprocessing (transformers' CLIPImageProcessor), shared by the tiny
# CLIP-like repos the analysis and classification tests serve.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
CLIP_PREPROCESSOR: dict[str, Any] = {
    "crop_size": {"height": 224, "width": 224},
    "do_center_crop": True,
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": list(CLIP_MEAN),
    "image_processor_type": "CLIPImageProcessor",
    "image_std": list(CLIP_STD),
    "resample": 3,
    "rescale_factor": 1 / 255,
    "size": {"shortest_edge": 224},
}
