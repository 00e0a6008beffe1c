"""The one error tree: every error class lives in `argus.errors` with its own code and status."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import argus
from argus import errors
from argus.errors import ArgusError


def error_classes() -> list[type[ArgusError]]:
    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, ArgusError) and cls.__module__ == errors.__name__
    ]


def test_every_error_class_has_a_code_and_an_http_status() -> None:
    classes = error_classes()
    assert len(classes) > 25
    for cls in classes:
        assert cls.__doc__, f"{cls.__name__} says what it means"
        assert "code" in vars(cls), f"{cls.__name__} has its own code"
        assert cls.code and cls.code == cls.code.lower() and " " not in cls.code, cls.__name__
        assert isinstance(cls.status, int) and 400 <= cls.status <= 599, cls.__name__


def test_codes_are_unique_except_where_two_errors_mean_the_same_to_a_client() -> None:
    by_code: dict[str, list[str]] = {}
    for cls in error_classes():
        by_code.setdefault(cls.code, []).append(cls.__name__)
    shared = {code: sorted(names) for code, names in by_code.items() if len(names) > 1}
    # no captioning model at all is, to a client, a model that is not installed
    assert shared == {"model_not_installed": ["CaptionerMissing", "ModelNotInstalled"]}


def test_no_error_class_is_defined_outside_errors_py() -> None:
    outside = []
    for info in pkgutil.walk_packages(argus.__path__, "argus."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, ArgusError) and cls.__module__ == info.name != errors.__name__:
                outside.append(f"{info.name}.{cls.__name__}")
    assert outside == []
