"""The package's layers, written once as data, and the import graph that must respect them.

Every module under ``src/argus`` belongs to a unit: its first package below ``argus``
(``argus.pipelines.faces`` is ``pipelines``), or the module itself for a top-level module
(``argus.errors`` is ``errors``, ``argus/__init__.py`` is ``argus``), except the packages in
:data:`SUBUNITS`, each a unit of its own (``argus.api.seeds.faces`` is ``api.seeds``: the seed
adapters sit below the composition root, whose job kinds render seed answers too).
:data:`LAYERS` orders the units from the foundation up; a unit may import only units of a lower
layer. The graph is read
with :mod:`ast` from the source, so an import inside a function or under ``TYPE_CHECKING``
counts exactly like one at the top of the module.

``python -m argus.devtools.layers`` prints the layers and the unit graph and exits 1 when an
import goes the wrong way (``--modules`` lists every module-level edge between units);
``tests/test_layers.py`` asserts that there is none.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

#: Units from the foundation up. A unit imports only units of a lower layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("argus", "arrays", "plainwords", "timing"),  # the version, array aliases, words, spans
    ("config",),  # settings
    ("errors",),  # the one error tree
    ("categories",),  # the photo-category answer, shared by the LLM and local engines
    ("vision", "imaging", "net", "redact", "auth", "store"),  # leaves over the foundation
    ("llm",),  # LLM-vision providers (images encoded by imaging)
    ("runtime",),  # inference sessions (ONNX Runtime, dlib, OpenCV)
    ("models",),  # the model pool, catalog and every model adapter
    ("pipelines",),  # what Argus does with models: one typed answer per capability
    ("jobs",),  # the jobs protocol: kinds, item context, registry, runner, executors
    ("api.seeds",),  # the seeds' wire shapes, messages and renderers (job kinds use them too)
    ("compose",),  # the composition root: Services, the job kinds it registers
    ("api",),  # HTTP: the app, routes
    ("cli", "devtools"),  # commands (``argus serve`` starts the api)
)

#: Imports that go the wrong way and are known, as ``(importer module, imported module)`` with
#: why they are tolerated. Empty: every edge follows :data:`LAYERS`.
KNOWN_EXCEPTIONS: Mapping[tuple[str, str], str] = {}


@dataclass(frozen=True, slots=True)
class Edge:
    """``importer`` (a module) imports ``imported`` (a module, or a name inside one)."""

    importer: str
    imported: str
    line: int

    @property
    def source(self) -> str:
        return unit_of(self.importer)

    @property
    def target(self) -> str:
        return unit_of(self.imported)


def rank_of() -> dict[str, int]:
    """Each unit's layer index (0 is the foundation)."""
    return {unit: index for index, layer in enumerate(LAYERS) for unit in layer}


#: Packages that are a unit of their own rather than part of their parent's.
SUBUNITS: tuple[str, ...] = ("api.seeds",)


def unit_of(module: str) -> str:
    parts = module.split(".")
    for sub in SUBUNITS:
        depth = sub.count(".") + 1
        if ".".join(parts[1 : 1 + depth]) == sub:
            return sub
    return parts[1] if len(parts) > 1 else parts[0]


def package_root() -> Path:
    """The ``argus`` package folder this module belongs to."""
    return Path(__file__).resolve().parent.parent


def module_name(path: Path, root: Path) -> str:
    """``argus.x.y`` of ``<root>/x/y.py`` (``<root>/x/__init__.py`` is ``argus.x``)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([root.name, *parts])


def imports_of(source: str, module: str, *, is_package: bool) -> Iterator[tuple[str, int]]:
    """Every ``argus`` module named by an import in ``source`` (relative ones resolved)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if node.module is None:  # from . import x: each name is a module
                for alias in node.names:
                    yield f"{name}.{alias.name}", node.lineno
            else:
                yield name, node.lineno


def edges(root: Path | None = None) -> list[Edge]:
    """Every import between two different units of the package under ``root``."""
    root = root or package_root()
    found: list[Edge] = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        text = path.read_text(encoding="utf-8")
        for imported, line in imports_of(text, module, is_package=path.name == "__init__.py"):
            if imported.split(".")[0] != root.name:
                continue
            edge = Edge(module, imported, line)
            if edge.source != edge.target:
                found.append(edge)
    return found


def units(root: Path | None = None) -> set[str]:
    """Every unit that has a module under ``root``."""
    root = root or package_root()
    return {unit_of(module_name(p, root)) for p in root.rglob("*.py")}


def violations(found: list[Edge]) -> list[Edge]:
    """Edges into a unit of the same or a higher layer, known exceptions left out."""
    rank = rank_of()
    return [
        e
        for e in found
        if rank.get(e.target, -1) >= rank.get(e.source, -1)
        and (e.importer, e.imported) not in KNOWN_EXCEPTIONS
    ]


def unit_graph(found: list[Edge]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for e in found:
        graph.setdefault(e.source, set()).add(e.target)
    return graph


def render(found: list[Edge], *, modules: bool = False) -> str:
    rank = rank_of()
    lines = ["layers (foundation first; a unit imports only lower layers):"]
    lines += [f"  {i}: {' '.join(layer)}" for i, layer in enumerate(LAYERS)]
    lines.append("unit graph (importer -> imported units, with their layer):")
    graph = unit_graph(found)
    for unit in sorted(graph, key=lambda u: (rank.get(u, 99), u)):
        targets = sorted(graph[unit], key=lambda u: (rank.get(u, 99), u))
        shown = " ".join(f"{t}({rank.get(t, '?')})" for t in targets)
        lines.append(f"  {unit}({rank.get(unit, '?')}) -> {shown}")
    if modules:
        lines.append("module edges:")
        lines += [f"  {e.importer}:{e.line} -> {e.imported}" for e in found]
    wrong = violations(found)
    lines.append(f"violations: {len(wrong)}")
    lines += [f"  {e.importer}:{e.line} imports {e.imported}" for e in wrong]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m argus.devtools.layers", description=__doc__)
    parser.add_argument("--modules", action="store_true", help="also list every module edge")
    args = parser.parse_args(argv)
    found = edges()
    print(render(found, modules=args.modules))
    return 1 if violations(found) else 0


if __name__ == "__main__":
    sys.exit(main())
