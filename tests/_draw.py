"""Deterministic test inputs shared by the per-primitive test tables (both modes), and a
call counter for the tests that count how often a function runs."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

import tape as tp

Shape = tuple[int, ...] | None
"""An argument's shape; None means a Python float (the float path)."""


def keyed_rng(key: str) -> np.random.Generator:
    """A generator seeded by a string: the same inputs on every run and machine."""
    return np.random.default_rng(zlib.crc32(key.encode()))


def draw(shape: Shape, kind: str, key: str) -> tp.Value:
    """A deterministic input of ``shape`` from the domain ``kind`` (away from kinks and poles).

    Kinds: real (-2, 2); pos (0.5, 2); nonzero ±(0.3, 2); small (-1, 1); gt-1 (-0.5, 2);
    unit (-0.8, 0.8); gt1 (1.3, 3); prod ±(0.5, 1.5); distinct: values at least 0.3 apart
    (no ties for max/min).
    """
    rng = keyed_rng(key)
    size: tuple[int, ...] = () if shape is None else shape
    n = math.prod(size)
    if kind == "real":
        a = rng.uniform(-2.0, 2.0, size)
    elif kind == "pos":
        a = rng.uniform(0.5, 2.0, size)
    elif kind == "nonzero":
        a = rng.choice([-1.0, 1.0], size) * rng.uniform(0.3, 2.0, size)
    elif kind == "small":
        a = rng.uniform(-1.0, 1.0, size)
    elif kind == "gt-1":
        a = rng.uniform(-0.5, 2.0, size)
    elif kind == "unit":
        a = rng.uniform(-0.8, 0.8, size)
    elif kind == "gt1":
        a = rng.uniform(1.3, 3.0, size)
    elif kind == "prod":
        a = rng.choice([-1.0, 1.0], size) * rng.uniform(0.5, 1.5, size)
    elif kind == "distinct":
        a = ((rng.permutation(n) - n / 2) * 0.5 + rng.uniform(-0.1, 0.1, n)).reshape(size)
    else:
        raise ValueError(kind)
    return float(a) if shape is None else np.asarray(a, dtype=np.float64)


def draw_array(shape: tuple[int, ...], kind: str, key: str) -> tp.Array:
    """``draw`` for a constant operand: always an array."""
    return np.asarray(draw(shape, kind, key), dtype=np.float64)


def shape_id(shape: Shape) -> str:
    """A test id for a shape: ``float`` for a Python float, ``0d``, or ``3x4``."""
    if shape is None:
        return "float"
    return "x".join(map(str, shape)) if shape else "0d"


class Counter:
    """Wraps f and counts the calls."""

    def __init__(self, f: Callable[..., Any]) -> None:
        self.f = f
        self.calls = 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        return self.f(*args)


# The elementwise rows' test tables, shared by both modes' tests (a new row is one line here).
# Unary: (row name, function, input domain).
UNARY: list[tuple[str, Callable[..., Any], str]] = [
    ("negative", tp.negative, "real"),
    ("exp", tp.exp, "real"),
    ("log", tp.log, "pos"),
    ("log1p", tp.log1p, "gt-1"),
    ("expm1", tp.expm1, "real"),
    ("sin", tp.sin, "real"),
    ("cos", tp.cos, "real"),
    ("tan", tp.tan, "small"),
    ("tanh", tp.tanh, "real"),
    ("sqrt", tp.sqrt, "pos"),
    ("square", tp.square, "real"),
    ("abs", tp.abs, "nonzero"),
    ("sign", tp.sign, "nonzero"),
    ("relu", tp.relu, "nonzero"),
    ("sigmoid", tp.sigmoid, "real"),
    ("softplus", tp.softplus, "real"),
    ("sinh", tp.sinh, "real"),
    ("cosh", tp.cosh, "real"),
    ("arcsin", tp.arcsin, "unit"),
    ("arccos", tp.arccos, "unit"),
    ("arctan", tp.arctan, "real"),
    ("arcsinh", tp.arcsinh, "real"),
    ("arccosh", tp.arccosh, "gt1"),
    ("arctanh", tp.arctanh, "unit"),
    ("log2", tp.log2, "pos"),
    ("log10", tp.log10, "pos"),
    ("exp2", tp.exp2, "real"),
    ("cbrt", tp.cbrt, "nonzero"),
    ("reciprocal", tp.reciprocal, "nonzero"),
    ("deg2rad", tp.deg2rad, "real"),
    ("rad2deg", tp.rad2deg, "real"),
    ("sinc", tp.sinc, "real"),
    ("floor", tp.floor, "real"),  # steps: the draws are never within eps of an integer
    ("ceil", tp.ceil, "real"),
    ("trunc", tp.trunc, "real"),
    ("rint", tp.rint, "real"),
]

# Broadcasting binary: (row name, function, domain of x, domain of y).
BINARY: list[tuple[str, Callable[..., Any], str, str]] = [
    ("add", tp.add, "real", "real"),
    ("subtract", tp.subtract, "real", "real"),
    ("multiply", tp.multiply, "real", "real"),
    ("divide", tp.divide, "real", "nonzero"),
    ("power", tp.power, "pos", "real"),
    ("maximum", tp.maximum, "apart", "apart"),
    ("minimum", tp.minimum, "apart", "apart"),
    ("logaddexp", tp.logaddexp, "real", "real"),
    ("logaddexp2", tp.logaddexp2, "real", "real"),
    ("arctan2", tp.arctan2, "nonzero", "nonzero"),
    ("hypot", tp.hypot, "nonzero", "nonzero"),
    ("remainder", tp.remainder, "real", "nonzero"),
    ("fmod", tp.fmod, "real", "nonzero"),
    ("fmax", tp.fmax, "apart", "apart"),
    ("fmin", tp.fmin, "apart", "apart"),
    ("heaviside", tp.heaviside, "nonzero", "real"),
]
