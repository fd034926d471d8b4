"""The peer libraries, each optional: a missing one is reported as missing, never fatal.

JAX runs on the CPU in float64 (``jax_enable_x64``), like every other contender here.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from types import ModuleType

_CACHE: dict[str, ModuleType | None] = {}
_WHY: dict[str, str] = {}

PEERS = ("micrograd", "autograd", "torch", "jax")


def load(name: str) -> ModuleType | None:
    """The peer's module, or None when it cannot be imported (see ``why_missing``)."""
    if name in _CACHE:
        return _CACHE[name]
    if name == "jax":
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        mod: ModuleType | None = importlib.import_module(name)
    except Exception as e:  # ImportError, or a broken install: reported, not fatal
        mod = None
        _WHY[name] = f"not installed ({type(e).__name__})"
    if mod is not None and name == "jax":
        mod.config.update("jax_enable_x64", True)
    _CACHE[name] = mod
    return mod


def why_missing(name: str) -> str:
    return _WHY.get(name, "not installed") + f": pip install '.[bench]' to compare with {name}"


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "missing"
