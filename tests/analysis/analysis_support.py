"""Helpers for the analysis tests: tiny CLIP-like and DINOv2-like ONNX image towers laid out as
their Hugging Face exports, a loopback HTTP server that counts connections, photo crops."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

from fakehub import CLIP_PREPROCESSOR

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
POOL = 32  # 224 / 32 = 7x7 cells per channel: 147 pooled values


def tower_weights(dim: int, seed: int) -> npt.NDArray[np.float32]:
    return np.random.default_rng(seed).normal(0, 0.2, (3 * 49, dim)).astype(np.float32)


def tiny_tower(weights: npt.NDArray[np.float32], *, dino: bool) -> bytes:
    """``pixel_values (N, 3, 224, 224)`` -> 32-px average pooling (N, 147) @ weights.

    CLIP-like: output ``image_embeds``. DINOv2-like: ``last_hidden_state`` (N, 2, D) whose rows
    are twice the vector (a decoy) and ``pooler_output`` (N, D), the one Argus must choose.
    """
    dim = weights.shape[1]
    inp = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3, 224, 224])
    vec = "pooler_output" if dino else "image_embeds"
    nodes = [
        helper.make_node(
            "AveragePool",
            ["pixel_values"],
            ["cells"],
            kernel_shape=[POOL, POOL],
            strides=[POOL, POOL],
        ),
        helper.make_node("Flatten", ["cells"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "W"], [vec]),
    ]
    outputs = []
    inits = [numpy_helper.from_array(weights, "W")]
    if dino:
        inits += [
            numpy_helper.from_array(np.float32(2.0).reshape(()), "two"),
            numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        ]
        nodes += [
            helper.make_node("Mul", [vec, "two"], ["doubled"]),
            helper.make_node("Unsqueeze", ["doubled", "axis1"], ["token"]),
            helper.make_node("Concat", ["token", "token"], ["last_hidden_state"], axis=1),
        ]
        outputs.append(
            helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", 2, dim])
        )
    outputs.append(helper.make_tensor_value_info(vec, TensorProto.FLOAT, ["batch", dim]))
    graph = helper.make_graph(nodes, "tiny_tower", [inp], outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


DINO_PREPROCESSOR: dict[str, Any] = {
    "crop_size": {"height": 224, "width": 224},
    "do_center_crop": True,
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": list(IMAGENET_MEAN),
    "image_processor_type": "BitImageProcessor",
    "image_std": list(IMAGENET_STD),
    "resample": 3,
    "rescale_factor": 1 / 255,
    "size": {"shortest_edge": 256},
}


def clip_repo(weights: npt.NDArray[np.float32]) -> dict[str, bytes]:
    """Files of ``Xenova/clip-vit-base-patch32`` as Argus's catalog expects them."""
    return {
        "config.json": json.dumps({"model_type": "clip"}).encode(),
        "preprocessor_config.json": json.dumps(CLIP_PREPROCESSOR).encode(),
        "onnx/vision_model.onnx": tiny_tower(weights, dino=False),
    }


def dino_repo(weights: npt.NDArray[np.float32]) -> dict[str, bytes]:
    return {
        "config.json": json.dumps({"model_type": "dinov2"}).encode(),
        "preprocessor_config.json": json.dumps(DINO_PREPROCESSOR).encode(),
        "onnx/model.onnx": tiny_tower(weights, dino=True),
    }


def expected_vector(
    rgb: tuple[int, int, int],
    mean: tuple[float, ...],
    std: tuple[float, ...],
    weights: npt.NDArray[np.float32],
) -> npt.NDArray[np.float32]:
    """What the tower gives for a crop of one solid colour, computed by hand."""
    v = (np.asarray(rgb, np.float64) / 255 - np.asarray(mean)) / np.asarray(std)
    return (np.repeat(v, 49) @ weights.astype(np.float64)).astype(np.float32)


# --------------------------------------------------------------------------- counting server


@dataclass
class CountingServer:
    """A loopback HTTP server that counts TCP connections; routes map paths to responses."""

    host: str = "127.0.0.1"
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    connections: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def url(self, path: str = "/", host: str | None = None) -> str:
        h = host or self.host
        h = f"[{h}]" if ":" in h else h
        return f"http://{h}:{self.port}{path}"


@contextmanager
def counting_server(host: str = "127.0.0.1") -> Iterator[CountingServer]:
    state = CountingServer(host)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            status, headers, body = state.routes.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        address_family = (
            __import__("socket").AF_INET6 if ":" in host else __import__("socket").AF_INET
        )

        def verify_request(self, request: Any, client_address: Any) -> bool:
            state.connections += 1
            return True

    server = Server((host, 0), Handler)
    state._server = server
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
