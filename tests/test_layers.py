"""Layer directions: every import under src/argus (inside functions and TYPE_CHECKING blocks
too) goes from a higher layer of :data:`argus.devtools.layers.LAYERS` to a lower one."""

from __future__ import annotations

from pathlib import Path

from argus.devtools import layers


def test_every_unit_has_a_layer() -> None:
    assert layers.units() - set(layers.rank_of()) == set()


def test_imports_follow_the_layers() -> None:
    wrong = layers.violations(layers.edges())
    assert wrong == [], "\n" + "\n".join(f"{e.importer}:{e.line} -> {e.imported}" for e in wrong)


def test_no_pipeline_imports_jobs() -> None:
    found = [e for e in layers.edges() if e.source == "pipelines" and e.target == "jobs"]
    assert found == []


def test_known_exceptions_are_still_needed() -> None:
    present = {(e.importer, e.imported) for e in layers.edges()}
    assert set(layers.KNOWN_EXCEPTIONS) <= present


def test_a_wrong_way_import_is_found_even_inside_a_function(tmp_path: Path) -> None:
    root = tmp_path / "argus"
    (root / "jobs").mkdir(parents=True)
    (root / "pipelines").mkdir()
    (root / "__init__.py").write_text("")
    (root / "jobs" / "__init__.py").write_text("from argus.pipelines import work\n")
    (root / "pipelines" / "__init__.py").write_text("")
    (root / "pipelines" / "work.py").write_text(
        "def late() -> None:\n    from ..jobs import registry\n"
    )
    found = layers.edges(root)
    assert {(e.importer, e.imported) for e in found} == {
        ("argus.jobs", "argus.pipelines"),
        ("argus.pipelines.work", "argus.jobs"),
    }
    wrong = layers.violations(found)
    assert [(e.importer, e.imported, e.line) for e in wrong] == [
        ("argus.pipelines.work", "argus.jobs", 2)
    ]
