"""The catalog sees every built-in model as installed on a fresh install, with no network."""

from argus.config import Settings
from argus.models.catalog import BUILTINS, Catalog


def test_every_builtin_model_is_installed(settings: Settings) -> None:
    catalog = Catalog(settings.models_dir)
    missing = [s.name for s in BUILTINS if not catalog.installed(s)]
    assert missing == []
