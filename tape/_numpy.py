"""The NumPy protocols: which ufunc or NumPy function, called on a Var or Dual, reaches which of
tape's functions, and the clear refusal for the rest.

``Var.__array_ufunc__`` and ``Var.__array_function__`` (in ``_ops``) hand every NumPy call
here. This module sits above every module that defines differentiable functions (the table,
linear algebra, the array and statistics functions), so that one mapping names them all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _arrays, _linalg, _products, _stats
from . import _table as T
from ._core import bind, is_dual, is_var
from ._rows import Primitive

# ----- NumPy protocols ---------------------------------------------------------------------------

UFUNCS: dict[np.ufunc, Primitive] = {
    np.add: T.ADD,
    np.subtract: T.SUB,
    np.multiply: T.MUL,
    np.divide: T.DIV,
    np.power: T.POW,
    np.negative: T.NEG,
    np.maximum: T.MAXIMUM,
    np.minimum: T.MINIMUM,
    np.exp: T.EXP,
    np.log: T.LOG,
    np.log1p: T.LOG1P,
    np.expm1: T.EXPM1,
    np.sin: T.SIN,
    np.cos: T.COS,
    np.tan: T.TAN,
    np.sinh: T.SINH,
    np.cosh: T.COSH,
    np.arcsin: T.ARCSIN,
    np.arccos: T.ARCCOS,
    np.arctan: T.ARCTAN,
    np.arcsinh: T.ARCSINH,
    np.arccosh: T.ARCCOSH,
    np.arctanh: T.ARCTANH,
    np.log2: T.LOG2,
    np.log10: T.LOG10,
    np.exp2: T.EXP2,
    np.cbrt: T.CBRT,
    np.reciprocal: T.RECIPROCAL,
    np.deg2rad: T.DEG2RAD,
    np.radians: T.DEG2RAD,
    np.rad2deg: T.RAD2DEG,
    np.degrees: T.RAD2DEG,
    np.fabs: T.ABS,
    np.logaddexp: T.LOGADDEXP,
    np.logaddexp2: T.LOGADDEXP2,
    np.arctan2: T.ARCTAN2,
    np.hypot: T.HYPOT,
    np.remainder: T.REMAINDER,  # also np.mod, the same ufunc
    np.fmod: T.FMOD,
    np.fmax: T.FMAX,
    np.fmin: T.FMIN,
    np.heaviside: T.HEAVISIDE,
    np.floor: T.FLOOR,
    np.ceil: T.CEIL,
    np.trunc: T.TRUNC,
    np.rint: T.RINT,
    np.tanh: T.TANH,
    np.sqrt: T.SQRT,
    np.square: T.SQUARE,
    np.absolute: T.ABS,
    np.sign: T.SIGN,
    np.matmul: T.MATMUL,
}
"""NumPy ufuncs that reach a primitive when called on a Var."""

UFUNC_FUNCTIONS: dict[np.ufunc, Callable[..., Any]] = {
    np.float_power: T.float_power,
}
"""NumPy ufuncs that reach one of tape's functions (not one row) when called on a Var."""

IDENTITY_UFUNCS: frozenset[np.ufunc] = frozenset({np.positive, np.conjugate})
"""Ufuncs that are the identity on real values: they give their input back."""


def numpy_name(func: object) -> str:
    """NumPy's public spelling of a function or ufunc: ``np.linalg.norm``, ``np.fft.fft``,
    ``np.sum``; private modules (``numpy._core.fromnumeric``) are not named."""
    name = getattr(func, "__name__", None)
    if not isinstance(name, str):
        return repr(func)
    module = getattr(func, "__module__", None) or "numpy"
    if not module.startswith("numpy"):
        return f"{module}.{name}"
    public = [p for p in module.split(".")[1:] if not p.startswith("_")]
    while True:
        obj: object = np
        for p in public:
            obj = getattr(obj, p, None)
        if getattr(obj, name, None) is func:
            return ".".join(["np", *public, name])
        if not public:
            return f"np.{name}"
        public.pop()


_HOW_TO_ADD = (
    "Write its derivative with tp.primitive (see examples/custom_op.py), or use v.value to "
    "leave the tape on purpose."
)


def array_ufunc(
    ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``Var.__array_ufunc__``: route a NumPy ufunc to its primitive, or refuse clearly."""
    if method == "__call__" and not kwargs:
        row = UFUNCS.get(ufunc)
        if row is not None:
            return bind(row, *inputs)
        if ufunc in UFUNC_FUNCTIONS:
            return UFUNC_FUNCTIONS[ufunc](*inputs)
        if ufunc in T.COMPARISON_ROWS:
            return T.compare(T.COMPARISON_ROWS[ufunc], *inputs)
        if ufunc in IDENTITY_UFUNCS:
            return inputs[0]
    what = numpy_name(ufunc) + ("" if method == "__call__" else f".{method}")
    extra = f" with {', '.join(kwargs)}=" if kwargs else ""
    raise TypeError(
        f"{what}{extra} is not supported on tape Vars (tape has no derivative rule for it, "
        f"so a gradient would be lost). Ufuncs with a rule: {', '.join(SUPPORTED_UFUNCS)}; "
        f"tape.SUPPORTED_NUMPY lists these and the functions. {_HOW_TO_ADD}"
    )


def _method(name: str) -> Callable[..., Any]:
    """``np.name(a, ...)`` as ``a.name(...)``: NumPy's functions take the methods' arguments."""

    def f(a: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(a, name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    return f


def _np_clip(
    a: Any,
    a_min: Any = None,
    a_max: Any = None,
    out: None = None,
    *,
    min: Any = None,  # NumPy's names for the bounds
    max: Any = None,
) -> Any:
    return a.clip(a_min if min is None else min, a_max if max is None else max, out)


def _np_compress(condition: Any, a: Any, axis: int | None = None, out: None = None) -> Any:
    return a.compress(condition, axis, out)


def _np_size(a: Any, axis: int | None = None) -> int:
    return int(math.prod(T._shape_of(a))) if axis is None else T._shape_of(a)[axis]


def _isclose(
    a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Any:
    """``np.isclose`` over recorded comparisons (|a − b| ≤ atol + rtol·|b|, equal infinities
    close, nan close to nan only with ``equal_nan``): on a tape each step is a boolean
    record, so a replay recomputes the mask."""
    a, b = _arrays._operand(a), _arrays._operand(b)
    with np.errstate(invalid="ignore"):  # inf − inf in the tolerance test; the equality covers it
        near = T.abs(T.subtract(a, b)) <= atol + rtol * T.abs(b)
        close = (a == b) | (T.isfinite(a) & T.isfinite(b) & near)
    if equal_nan:
        close = close | (T.isnan(a) & T.isnan(b))
    return close


def _allclose(
    a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """``np.allclose``: a Python bool (a guard while a tape records)."""
    close = _isclose(a, b, rtol, atol, equal_nan)
    return bool(close.all() if is_var(close) else np.all(close))


def _count_nonzero(a: Any, axis: Any = None, *, keepdims: bool = False) -> Any:
    """``np.count_nonzero``: plain counts (a guard while a tape records)."""
    axis = tuple(axis) if isinstance(axis, list) else axis
    if is_var(a):
        n = T.leave(a, "count_nonzero", axis=axis, keepdims=keepdims)
    else:
        n = np.count_nonzero(T.plain(a), axis=axis, keepdims=keepdims)
    return int(n) if np.ndim(n) == 0 else n  # NumPy's int for a count of everything


def _searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> Any:
    """``np.searchsorted`` of a 1-D ``a``: for each v, how many elements of ``a`` lie below
    it (``side="left"``) or at most at it (``"right"``): counts of recorded comparisons,
    so a replay where an element moves across a v raises."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', not {side!r}")
    if len(T._shape_of(a)) != 1:
        raise ValueError("searchsorted: a must be 1-D, as in np.searchsorted")
    if sorter is not None:
        a = T.take(a, np.asarray(sorter))
    v = _arrays._operand(v)
    column = T.expand_dims(v, -1)
    below = (a < column) if side == "left" else (a <= column)
    counts = _count_nonzero(below, axis=-1)
    return counts if np.ndim(counts) else np.intp(counts)


def _like(fill: float) -> Callable[..., Any]:
    """``np.zeros_like`` and its kin: a plain array of the value's shape (a constant)."""

    def like(
        a: Any,
        dtype: Any = None,
        order: str = "K",
        subok: bool = True,
        shape: Any = None,
        **kwargs: Any,
    ) -> Any:
        shape = T._shape_of(a) if shape is None else shape
        dtype = T.plain(a).dtype if dtype is None and not isinstance(T.plain(a), float) else dtype
        return np.full(shape, fill, dtype=dtype or np.float64)

    return like


def _full_like(
    a: Any,
    fill_value: Any,
    dtype: Any = None,
    order: str = "K",
    subok: bool = True,
    shape: Any = None,
    **kwargs: Any,
) -> Any:
    """``np.full_like``: a constant, or ``fill_value`` broadcast when it is a tape value
    (then its derivative flows)."""
    shape = T._shape_of(a) if shape is None else shape
    if is_var(fill_value) or is_dual(fill_value):
        return T.broadcast_to(fill_value, shape)
    return np.full(shape, fill_value, dtype=dtype or np.float64)


def _where(condition: Any, *xy: Any) -> Any:
    """``np.where``: with x and y, tape's differentiable ``where``; with the condition
    alone, its indices (``nonzero``, a guard while a tape records)."""
    if not xy:
        return condition.nonzero() if is_var(condition) else np.nonzero(T.plain(condition))
    if len(xy) != 2:
        raise TypeError("where takes a condition alone, or a condition, x and y")
    return T.where(condition, *xy)


DIFFERENTIABLE_FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.sum: _method("sum"),
    np.mean: _method("mean"),
    np.max: _method("max"),
    np.amax: _method("max"),
    np.min: _method("min"),
    np.amin: _method("min"),
    np.prod: _method("prod"),
    np.var: _method("var"),
    np.std: _method("std"),
    np.cumsum: _method("cumsum"),
    np.outer: T.outer,
    np.transpose: T.transpose,
    np.permute_dims: T.transpose,
    np.matrix_transpose: lambda x: T.swapaxes(x, -1, -2),
    np.swapaxes: T.swapaxes,
    np.expand_dims: T.expand_dims,
    np.squeeze: T.squeeze,
    np.broadcast_to: T.broadcast_to,
    np.flip: T.flip,
    np.where: _where,
    np.sinc: T.sinc,
    np.fix: lambda x, out=None: T.trunc(x),
    np.nan_to_num: T.nan_to_num,
    np.clip: _np_clip,
    np.round: _method("round"),
    np.around: _method("round"),
    np.diagonal: _method("diagonal"),
    np.trace: _method("trace"),
    np.take: _method("take"),
    np.repeat: _method("repeat"),
    np.compress: _np_compress,
    np.copy: lambda a, order="K", subok=False: a.copy(),
    np.astype: lambda x, dtype, /, *, copy=True, device=None: x.astype(dtype, copy=copy),
    np.real: lambda val: val.real,
    **_arrays.NUMPY,
    **_products.NUMPY,
    **_stats.NUMPY,
    **_linalg.NUMPY,
}
"""NumPy functions with a derivative rule: called on a Var (or Dual), each reaches tape's
function or method of the same name and is recorded."""


PLAIN_FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.isclose: _isclose,
    np.allclose: _allclose,
    np.count_nonzero: _count_nonzero,
    np.searchsorted: _searchsorted,
    np.zeros_like: _like(0.0),
    np.ones_like: _like(1.0),
    np.empty_like: _like(0.0),
    np.full_like: _full_like,
    np.shape: T._shape_of,
    np.ndim: T.ndim,
    np.size: _np_size,
    np.imag: lambda val: val.imag,
    np.argmax: _method("argmax"),
    np.argmin: _method("argmin"),
    np.argsort: _method("argsort"),
    np.argpartition: _method("argpartition"),
    np.nonzero: _method("nonzero"),
    np.all: _method("all"),
    np.any: _method("any"),
    **_arrays.PLAIN,
    **_products.PLAIN,
    **_stats.PLAIN,
    **_linalg.PLAIN,
}
"""NumPy functions that work on a Var but have no derivative: shapes, indices, truth
values (inside a tape, indices and truth values leave a guard for replay)."""

FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    **DIFFERENTIABLE_FUNCTIONS,
    **PLAIN_FUNCTIONS,
}
"""Every NumPy function that works on a Var or Dual."""

SUPPORTED_UFUNCS: tuple[str, ...] = tuple(
    sorted({numpy_name(u) for u in [*UFUNCS, *UFUNC_FUNCTIONS, *IDENTITY_UFUNCS]})
)
SUPPORTED_FUNCTIONS: tuple[str, ...] = tuple(
    sorted({numpy_name(f) for f in DIFFERENTIABLE_FUNCTIONS})
)
SUPPORTED_NUMPY: tuple[str, ...] = tuple(sorted({*SUPPORTED_UFUNCS, *SUPPORTED_FUNCTIONS}))
"""NumPy's full names (``np.sum``, ``np.linalg.…``) of the ufuncs and functions with a
derivative rule: called on a Var, each is recorded and differentiated. (``np.shape``,
``np.ndim``, ``np.argmax`` and the like also work, but have no derivative.)"""


def array_function(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``Var.__array_function__``: route a NumPy function to tape's, or refuse clearly."""
    ours = FUNCTIONS.get(func)
    name = numpy_name(func)
    if ours is None:
        raise TypeError(
            f"{name} is not supported on tape Vars (tape has no derivative rule for it, so a "
            f"gradient would be lost). Functions with a rule: {', '.join(SUPPORTED_FUNCTIONS)}, "
            f"and the ufuncs in tape.SUPPORTED_NUMPY. {_HOW_TO_ADD}"
        )
    try:
        return ours(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{name} on a Var: {e}") from None
