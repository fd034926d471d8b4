"""The public surface: every exported name exists and is documented; the package ships py.typed."""

from __future__ import annotations

import doctest
import importlib.resources
import inspect
import types

import numpy as np
import pytest

import tape as tp
import tape.testing
from tape import _tape as tape_module


def _exports(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    assert isinstance(names, list), f"{module.__name__} has no __all__ list"
    return names


def test_all_is_a_list_of_unique_strings() -> None:
    for module in (tp, tape.testing):
        names = _exports(module)
        assert names, module.__name__
        assert all(isinstance(n, str) for n in names)
        assert len(set(names)) == len(names), "duplicates in __all__"


@pytest.mark.parametrize("name", _exports(tp))
def test_every_exported_name_exists_and_is_documented(name: str) -> None:
    assert hasattr(tp, name), f"tape.__all__ names {name!r}, which tape does not define"
    obj = getattr(tp, name)
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj):
        doc = inspect.getdoc(obj)
        assert doc and doc.strip(), f"tape.{name} has no docstring"
    elif callable(obj) and not isinstance(obj, type):
        assert (obj.__doc__ or "").strip(), f"tape.{name} has no docstring"


@pytest.mark.parametrize("name", _exports(tape.testing))
def test_every_testing_export_exists_and_is_documented(name: str) -> None:
    obj = getattr(tape.testing, name)
    assert callable(obj)
    doc = inspect.getdoc(obj)
    assert doc and doc.strip(), f"tape.testing.{name} has no docstring"


def test_public_classes_document_their_public_methods() -> None:
    for cls in (tp.Tape, tp.Var):
        for name, member in vars(cls).items():
            if name.startswith("_"):
                continue
            if inspect.isfunction(member) or isinstance(member, property):
                doc = member.__doc__
                assert doc and doc.strip(), f"{cls.__name__}.{name} has no docstring"


def test_exported_functions_are_importable_by_star() -> None:
    namespace: dict[str, object] = {}
    exec("from tape import *", namespace)
    missing = [n for n in _exports(tp) if n not in namespace]
    assert missing == []


def test_py_typed_is_shipped() -> None:
    marker = importlib.resources.files("tape") / "py.typed"
    assert marker.is_file()


def test_supported_numpy_names_are_numpy_functions() -> None:
    assert len(tp.SUPPORTED_NUMPY) > 0
    assert list(tp.SUPPORTED_NUMPY) == sorted(tp.SUPPORTED_NUMPY)
    for name in tp.SUPPORTED_NUMPY:
        assert name.startswith("np.")
        obj: object = np
        for part in name.split(".")[1:]:  # a full name: np.sum, np.linalg.norm
            obj = getattr(obj, part)
        assert callable(obj), name


def test_primitives_registry_holds_the_builtin_rows() -> None:
    for name in ("add", "multiply", "sin", "exp", "log", "sum", "matmul"):
        row = tp.PRIMITIVES[name]
        assert isinstance(row, tp.Primitive)
        assert row.name == name


def test_module_docstring_examples_run() -> None:
    for module in (tp, tape_module):
        result = doctest.testmod(module, verbose=False)
        assert result.attempted > 0, module.__name__
        assert result.failed == 0, module.__name__
