"""A reader of dlib's serialised DNN files (``net_type`` written by ``dlib::serialize``).

dlib writes a network as nested objects: the loss layer's version and details, then each layer
object from the top of the network down (``add_layer``, ``add_tag_layer``, ``add_skip_layer``
write their version first and their sub-network next), so the file holds every version number
top-down, then the input layer, then each computational layer's details bottom-up, each
followed by the ``add_layer`` bookkeeping (three bools, cached tensors). Tags and skips have
nothing after their version. This reader walks that body and returns the computational layers
in the order data flows through them, as :class:`Layer` records with their numbers; it reads
only the formats dlib's face models use (``con_4``, ``affine_``, ``bn_con2``, ``relu_``,
``max_pool_2``, ``avg_pool_2``, ``add_prev_``, ``fc_2``, ``input_rgb_image_sized``,
``loss_metric_2``) and refuses anything else, so a different file fails loudly, not quietly.

Encodings (``dlib/serialize.h``): an integer is a control byte (its low four bits the number of
little-endian bytes that follow, 0x80 the sign) then the bytes; a float or double is a mantissa
and a base-2 exponent, two such integers; a bool is the ASCII byte ``1`` or ``0``; a string is its
length then the bytes; a tensor (``dlib/cuda/tensor.h``, version 2) is its four dims then raw
little-endian float32; an alias tensor (a view into a layer's ``params``) is version 1 and four
dims. Nothing is executed: the file is data read with ``numpy``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from argus.arrays import Float32Array
from argus.models.convert.errors import ConversionError


@dataclass
class Layer:
    """One computational layer: ``kind`` is dlib's name (``con``, ``affine``, ``relu``,
    ``max_pool``, ``avg_pool``, ``add_prev``, ``fc``, ``input``); ``shape`` the (num, k, nr, nc)
    sizes and ``ints`` the integer settings a kind has (see :func:`read_network`);
    ``arrays`` its numbers."""

    kind: str
    ints: dict[str, int] = field(default_factory=dict)
    floats: dict[str, float] = field(default_factory=dict)
    arrays: dict[str, Float32Array] = field(default_factory=dict)


@dataclass
class Network:
    """The loss layer's settings and the layers bottom-up (input first)."""

    loss: str
    loss_floats: dict[str, float]
    layers: list[Layer]


INPUT = b"input_rgb_image_sized"


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _fail(self, what: str) -> ConversionError:
        return ConversionError(f"dlib file: {what} at byte {self.pos}")

    def _take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise self._fail("unexpected end of data")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def peek(self, n: int) -> bytes:
        return self.data[self.pos : self.pos + n]

    def integer(self) -> int:
        control = self._take(1)[0]
        if control & 0x70:
            raise self._fail(f"bad integer control byte {control:#x}")
        value = int.from_bytes(self._take(control & 0x0F), "little")
        return -value if control & 0x80 else value

    def real(self) -> float:
        mantissa = self.integer()
        exponent = self.integer()
        return float(np.ldexp(float(mantissa), exponent))

    def boolean(self) -> bool:
        byte = self._take(1)
        if byte not in (b"0", b"1"):
            raise self._fail(f"bad bool {byte!r}")
        return byte == b"1"

    def string(self) -> str:
        n = self.integer()
        if not 0 <= n <= 256:
            raise self._fail(f"implausible string length {n}")
        return self._take(n).decode("ascii", errors="replace")

    def expect(self, *names: str) -> str:
        name = self.string()
        if name not in names:
            raise self._fail(f"expected {' or '.join(names)}, found {name!r}")
        return name

    def tensor(self) -> Float32Array:
        version = self.integer()
        if version != 2:
            raise self._fail(f"tensor version {version}, expected 2")
        dims = [self.integer() for _ in range(4)]
        if any(d < 0 for d in dims):
            raise self._fail(f"negative tensor dims {dims}")
        count = int(np.prod(dims))
        raw = self._take(4 * count)
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(dims)

    def alias(self) -> tuple[int, int, int, int]:
        version = self.integer()
        if version != 1:
            raise self._fail(f"alias tensor version {version}, expected 1")
        n, k, nr, nc = (self.integer() for _ in range(4))
        return n, k, nr, nc

    def at_tensor(self) -> bool:
        """Whether a tensor starts here (its version 2: ``01 02``); a layer name is a longer
        string, so its length byte pair never reads as ``01 02`` followed by a dims integer."""
        return self.peek(2) == b"\x01\x02"


def _split(params: Float32Array, sizes: list[int], what: str) -> list[Float32Array]:
    flat = params.reshape(-1)
    if sum(sizes) != flat.size:
        raise ConversionError(f"dlib file: {what} holds {flat.size} numbers, expected {sum(sizes)}")
    out, start = [], 0
    for size in sizes:
        out.append(flat[start : start + size])
        start += size
    return out


def _con(r: _Reader) -> Layer:
    r.expect("con_4")
    params = r.tensor()
    filters = r.integer()
    window = _window(r)
    nr, nc = window["nr"], window["nc"]
    _n, k, _, _ = r.alias()  # filters: (num_filters, k, nr, nc)
    r.alias()  # biases
    for _ in range(4):  # learning-rate and weight-decay multipliers
        r.real()
    weights, bias = _split(params, [filters * k * nr * nc, filters], "con_ params")
    return Layer(
        "con",
        ints={"filters": filters, **window},
        arrays={"weight": weights.reshape(filters, k, nr, nc), "bias": bias},
    )


def _window(r: _Reader) -> dict[str, int]:
    """A convolution's or pool's window as dlib writes it: rows, columns, strides, padding."""
    keys = ("nr", "nc", "stride_y", "stride_x", "pad_y", "pad_x")
    return {key: r.integer() for key in keys}


def _affine(r: _Reader) -> Layer:
    version = r.expect("affine_", "affine_2", "bn_con2")
    if version == "bn_con2":
        return _bn_as_affine(r)
    params = r.tensor()
    gamma_dims = r.alias()
    r.alias()  # beta, the same size
    mode = r.integer()
    if version == "affine_2" and r.boolean():
        raise ConversionError("dlib file: a disabled affine layer is not supported")
    size = int(np.prod(gamma_dims))
    gamma, beta = _split(params, [size, size], "affine_ params")
    return Layer("affine", ints={"mode": mode}, arrays={"gamma": gamma, "beta": beta})


def _bn_as_affine(r: _Reader) -> Layer:
    """A batch-norm layer as dlib turns it into an affine one for inference:
    ``gamma / sqrt(running_var + eps)`` and ``beta - mean * that``."""
    params = r.tensor()
    gamma_dims = r.alias()
    r.alias()
    for _ in range(2):  # means and inverse stds of the last batch (training only)
        r.tensor()
    running_means, running_vars = r.tensor().reshape(-1), r.tensor().reshape(-1)
    r.integer()  # num_updates
    r.integer()  # running_stats_window_size
    for _ in range(4):
        r.real()
    eps = r.real()
    size = int(np.prod(gamma_dims))
    g, b = _split(params, [size, size], "bn_ params")
    scale = (g / np.sqrt(running_vars + np.float32(eps))).astype(np.float32)
    shift = (b - scale * running_means).astype(np.float32)
    return Layer("affine", ints={"mode": 0}, arrays={"gamma": scale, "beta": shift})


def _pool(r: _Reader, kind: str) -> Layer:
    r.expect(f"{kind}_2")
    return Layer(kind, ints=_window(r))


def _fc(r: _Reader) -> Layer:
    r.expect("fc_2")
    outputs, inputs = r.integer(), r.integer()
    params = r.tensor()
    r.alias()  # weights (num_inputs, num_outputs)
    r.alias()  # biases
    bias_mode = r.integer()  # 0: has bias, 1: no bias
    for _ in range(4):
        r.real()
    sizes = [inputs * outputs] + ([outputs] if bias_mode == 0 else [])
    parts = _split(params, sizes, "fc_ params")
    arrays = {"weight": parts[0].reshape(inputs, outputs)}
    if bias_mode == 0:
        arrays["bias"] = parts[1]
    return Layer("fc", ints={"outputs": outputs, "inputs": inputs}, arrays=arrays)


def _details(r: _Reader) -> Layer:
    name = r.peek(40)
    text = name[2 : 2 + name[1]] if len(name) > 2 and name[0] == 1 else b""
    if text.startswith(b"con_"):
        return _con(r)
    if text.startswith(b"affine_") or text.startswith(b"bn_con"):
        return _affine(r)
    if text.startswith(b"relu_"):
        if r.expect("relu_", "relu_2") == "relu_2" and r.boolean():
            raise ConversionError("dlib file: a disabled relu layer is not supported")
        return Layer("relu")
    if text.startswith(b"max_pool_"):
        return _pool(r, "max_pool")
    if text.startswith(b"avg_pool_"):
        return _pool(r, "avg_pool")
    if text.startswith(b"add_prev_"):
        r.expect("add_prev_")
        return Layer("add_prev")
    if text.startswith(b"fc_"):
        return _fc(r)
    raise r._fail(f"unsupported layer {text!r}")


def _bookkeeping(r: _Reader) -> None:
    """What ``add_layer`` writes after a layer's details: three bools and cached tensors."""
    for _ in range(3):
        r.boolean()
    while r.at_tensor():
        r.tensor()


def read_network(data: bytes) -> Network:
    """The layers of a dlib DNN file, bottom-up (see the module docstring).

    Raises:
        ConversionError: the bytes are not such a file, or use a layer this reader does not
            know, or do not end where the network does.
    """
    r = _Reader(data)
    if r.integer() != 1:
        raise r._fail("not a dlib network (loss layer version)")
    loss = r.expect("loss_metric_2")
    loss_floats = {"margin": r.real(), "distance_threshold": r.real()}
    # the versions of every layer object, top-down; the last is the add_layer over the input
    versions: list[int] = []
    while r.peek(2 + len(INPUT))[2:] != INPUT:
        versions.append(r.integer())
        if r.pos >= len(data) or len(versions) > 10_000:
            raise r._fail("no input layer")
    if not versions:
        raise r._fail("no layers")
    r.expect(INPUT.decode())
    means = [r.real() for _ in range(3)]
    rows, cols = r.integer(), r.integer()
    layers = [
        Layer(
            "input",
            ints={"rows": rows, "cols": cols},
            floats={"avg_red": means[0], "avg_green": means[1], "avg_blue": means[2]},
        )
    ]
    # the lowest add_layer: details, bools, x_grad, cached output, grad final and (version 3)
    # the sample expansion factor; the others: details, bools and their cached tensors
    layers.append(_details(r))
    for _ in range(3):
        r.boolean()
    for _ in range(3):
        r.tensor()
    if versions[-1] >= 3:
        r.integer()
    while r.pos < len(data):
        layers.append(_details(r))
        _bookkeeping(r)
    return Network(loss, loss_floats, layers)
