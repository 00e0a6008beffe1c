"""The machine-wide count of Argus work, and ONNX Runtime calls that widen only when alone.

Processes are real (spawned), as the server's ``--workers`` are: the count is shared through a
file, each process writes its own slot, and a process that dies leaves a slot the next one frees.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from argus.config import RuntimeSettings
from argus.runtime import load
from argus.runtime.load import MachineLoad
from argus.runtime.ort import OrtSession

SPAWN = multiprocessing.get_context("spawn")


def _hold(path: str, units: int, ready: object, release: object, leave: bool) -> None:
    machine = MachineLoad(Path(path))
    for _ in range(units):
        machine.enter()
    ready.set()  # type: ignore[attr-defined]
    release.wait(60)  # type: ignore[attr-defined]
    if leave:
        for _ in range(units):
            machine.leave()


class Holder:
    """Another process holding ``units`` of work on the count at ``path``."""

    def __init__(self, path: Path, units: int, *, leave: bool = True) -> None:
        self._ready = SPAWN.Event()
        self._release = SPAWN.Event()
        self._proc = SPAWN.Process(
            target=_hold, args=(str(path), units, self._ready, self._release, leave)
        )

    def __enter__(self) -> Holder:
        self._proc.start()
        assert self._ready.wait(60), "the holder process did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._proc.join(60)


def test_the_count_is_shared_by_processes(tmp_path: Path) -> None:
    path = tmp_path / "load"
    here = MachineLoad(path)
    here.enter()
    assert here.total() == 1 and here.alone()
    with Holder(path, 2):
        assert here.total() == 3
        assert not here.alone()
    assert here.total() == 1  # the other process left its units
    here.leave()
    assert here.total() == 0


def test_a_dead_process_leaves_nothing_once_another_starts(tmp_path: Path) -> None:
    path = tmp_path / "load"
    here = MachineLoad(path)
    with Holder(path, 3, leave=False):
        assert here.total() == 3
    assert here.total() == 3  # it died holding them: stale until a process starts
    with Holder(path, 1):  # a new process frees the slots whose owner is gone
        assert here.total() == 1
    assert here.total() == 0


def test_a_model_call_inside_a_counted_request_counts_once(tmp_path: Path) -> None:
    machine = MachineLoad(tmp_path / "load")

    async def handler() -> list[int]:
        seen = []
        with load.request(machine):
            seen.append(machine.total())
            # the call runs in a worker thread, as the routes run models
            seen.append(await asyncio.to_thread(_call_total, machine))
        seen.append(machine.total())
        return seen

    assert asyncio.run(handler()) == [1, 1, 0]
    assert _call_total(machine) == 1  # a call outside any request (a job, the CLI) counts itself


def _call_total(machine: MachineLoad) -> int:
    with load.model_call(machine):
        return machine.total()


def _conv_model(path: Path) -> Path:
    """A small convolution network (two layers over a 3x128x128 image), deterministic weights."""
    rng = np.random.default_rng(7)
    w1 = rng.standard_normal((32, 3, 3, 3)).astype(np.float32)
    w2 = rng.standard_normal((16, 32, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w1"], ["h"], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", ["h"], ["r"]),
            helper.make_node("Conv", ["r", "w2"], ["y"], pads=[1, 1, 1, 1]),
        ],
        "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 128, 128])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16, 128, 128])],
        [
            helper.make_tensor("w1", TensorProto.FLOAT, w1.shape, w1.ravel()),
            helper.make_tensor("w2", TensorProto.FLOAT, w2.shape, w2.ravel()),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def test_a_lone_call_uses_the_idle_core_and_a_busy_machine_one_thread(tmp_path: Path) -> None:
    machine = MachineLoad(tmp_path / "load")
    session = OrtSession(
        _conv_model(tmp_path / "conv.onnx"), RuntimeSettings(idle_threads=2), machine=machine
    )
    x = np.random.default_rng(1).random((1, 3, 128, 128), np.float32)

    (alone,) = session.run({"x": x})
    assert session.last_threads == 2
    with Holder(tmp_path / "load", 1):
        (busy,) = session.run({"x": x})
        assert session.last_threads == 1
    # the same answer whichever way it ran
    assert np.array_equal(alone, busy)


@pytest.mark.parametrize("idle_threads", [1, 0])
def test_idle_threads_one_never_widens(tmp_path: Path, idle_threads: int) -> None:
    session = OrtSession(
        _conv_model(tmp_path / "conv.onnx"),
        RuntimeSettings(idle_threads=idle_threads, intra_op_threads=1),
        machine=MachineLoad(tmp_path / "load"),
    )
    session.run({"x": np.zeros((1, 3, 128, 128), np.float32)})
    if idle_threads == 1:
        assert session.last_threads == 1 and session.wide_threads == 0
    else:  # 0: as many as the cores this process may use
        assert session.last_threads == max(1, session.wide_threads)


def test_concurrent_calls_of_one_request_count_each_but_the_first(tmp_path: Path) -> None:
    machine = MachineLoad(tmp_path / "load")
    inside = threading.Barrier(3)
    seen: list[int] = []

    def call() -> None:
        with load.model_call(machine):
            inside.wait(30)  # three calls of the request running at once
            seen.append(machine.total())
            inside.wait(30)

    async def handler() -> None:
        with load.request(machine):
            await asyncio.gather(*(asyncio.to_thread(call) for _ in range(3)))

    asyncio.run(handler())
    assert seen == [3, 3, 3]  # the request's unit and two more calls
    assert machine.total() == 0
