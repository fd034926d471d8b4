"""Shape and selection functions beyond the table's core rows: NumPy's ravel, roll, rot90, tril,
pad, the stacks and splits, sort and the like, each with NumPy's signature.

Almost everything here is composed from the table's rows (``reshape``, ``transpose``,
``getitem``, ``concatenate``, ``stack``, ``broadcast_to``, ``flip``, ``where`` with a constant
mask), so both modes, nesting to any order and replay come with them. Sorting adds rows of its
own, because the permutation that sorts a value is computed *from* the value:

- ``sort_order`` and ``partition_order`` (no derivative, like the comparisons): the permutation
  ``np.argsort`` / ``np.argpartition`` gives, recorded as a value of the tape, so a replayed
  tape recomputes it at the new point instead of reusing the recorded order;
- ``permute`` (``np.take_along_axis`` by that permutation, the permutation an input without a
  derivative) and its transpose ``unpermute`` (``np.put_along_axis`` into a new array): each
  one's VJP is the other.

At a tie, the gradient of each output position goes to the element NumPy's ``argsort`` (or
``argpartition``) put there; with ``kind="stable"`` that is the earlier one.

Inputs are tape's values: Vars, Duals, floats and floating-point arrays; integers and lists
of numbers are taken as float64 (so ``tp.roll([1, 2], 1)`` gives floats where NumPy keeps
integers). Functions that are compositions record their rows (``tp.roll`` records slices and
a ``concatenate``), not a row of their own.
"""

from __future__ import annotations

import builtins
import itertools
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, overload

import numpy as np
import numpy.typing as npt

from . import _table as T
from ._core import bind, is_dual, is_var, unwrap
from ._rows import Array, Axis, Primitive, Value, register

if TYPE_CHECKING:
    from ._dual import Dual
    from ._var import Var

Operand: TypeAlias = "Var | Dual | Value"
"""One array argument: a Var, a Dual, a float or a floating-point array."""

Nested: TypeAlias = "Var | Dual | float | Array | Sequence[Nested]"
"""What ``array`` stacks: Vars, Duals, floats and arrays in (nested) lists or tuples."""

SortKind: TypeAlias = Literal["quicksort", "mergesort", "heapsort", "stable"] | None


class _NoValue:
    """The default of ``diff``'s ``prepend`` and ``append``: nothing to add."""

    def __repr__(self) -> str:
        return "<no value>"


NO_VALUE: Final = _NoValue()


# ----- helpers ------------------------------------------------------------------------------------


def _is_box(a: object) -> bool:
    return is_var(a) or is_dual(a)


def _operand(a: Any, what: str = "the input") -> Any:
    """A Var, Dual, float or float array as it is; other numbers and array-likes as floats."""
    if type(a) is float or (type(a) is np.ndarray and a.dtype.kind == "f") or _is_box(a):
        return a
    if isinstance(a, bool | int | np.integer | np.bool_):
        return float(a)
    if isinstance(a, np.floating):
        return float(a) if a.dtype == np.float64 else np.asarray(a)
    arr = np.asarray(a)
    if arr.dtype.kind in "iub":
        return arr.astype(np.float64)
    if arr.dtype.kind != "f":
        raise TypeError(f"{what} must be real numbers, not {arr.dtype} ({type(a).__name__})")
    return arr


def _axis(axis: Any, n: int) -> int:
    """A non-negative axis of an array of ``n`` dimensions (NumPy's rule: -n ≤ axis < n)."""
    return T._norm_ax(operator.index(axis), n)


def _axes(axis: Any, n: int, what: str) -> tuple[int, ...]:
    """Non-negative axes, with a clear error for a repeated one."""
    items = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    out = tuple(_axis(a, n) for a in items)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in `{what}` argument")
    return out


def _along(x: Any, axis: int, index: Any) -> Any:
    """``x[..., index, ...]`` with ``index`` at the non-negative ``axis``."""
    return T.getitem(x, (slice(None),) * axis + (index,))


def _cast(arrs: Sequence[Any], dtype: npt.DTypeLike | None, casting: str) -> list[Any]:
    """The operands cast to ``dtype`` under NumPy's ``casting`` rule (a float dtype)."""
    if dtype is None:
        return list(arrs)
    dt = np.dtype(dtype)
    out = []
    for a in arrs:
        src = T.dtype_of(a)
        if not np.can_cast(src, dt, casting=casting):  # type: ignore[arg-type]
            raise TypeError(
                f"Cannot cast array data from {src!r} to {dt!r} according to the rule {casting!r}"
            )
        out.append(T.astype(a, dt))
    return out


def _sequence(arrays: Any, name: str) -> list[Any]:
    if _is_box(arrays) or type(arrays) is np.ndarray:  # an array is the sequence of its rows
        if T.ndim(arrays) == 0:
            raise TypeError(f"{name}: a 0-d array is not a sequence of arrays")
        return [arrays[i] for i in range(T._shape_of(arrays)[0])]
    if not isinstance(arrays, Sequence) or isinstance(arrays, str):
        raise TypeError(
            f'{name}: arrays to stack must be passed as a "sequence" type such as list or '
            f"tuple, not {type(arrays).__name__}"
        )
    return [_operand(a) for a in arrays]


# ----- the table's shape functions with NumPy's full signatures --------------------------------


@overload
def reshape(
    a: Var,
    /,
    shape: int | Sequence[int],
    order: Literal["C", "F"] = "C",
    *,
    copy: bool | None = None,
) -> Var: ...
@overload
def reshape(
    a: Dual,
    /,
    shape: int | Sequence[int],
    order: Literal["C", "F"] = "C",
    *,
    copy: bool | None = None,
) -> Dual: ...
@overload
def reshape(
    a: Value,
    /,
    shape: int | Sequence[int],
    order: Literal["C", "F"] = "C",
    *,
    copy: bool | None = None,
) -> Value: ...
def reshape(a: Any, /, shape: Any, order: str = "C", *, copy: bool | None = None) -> Any:
    """The same elements in a new shape, like ``np.reshape``: ``order="F"`` reads and writes
    them column by column (``"A"`` and ``"K"`` follow memory layout, which a tape value does
    not have). ``copy=True`` gives a new value even when the shape is unchanged."""
    x = _operand(a)
    new = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    if order == "F":
        out = T.transpose(T.reshape(T.transpose(x), tuple(reversed(new))))
    elif order == "C":
        out = T.reshape(x, new)
    else:
        raise ValueError(f"reshape: order must be 'C' or 'F' for a tape value, not {order!r}")
    return T.copy(out) if copy and out is x else out


@overload
def take_along_axis(arr: Var, indices: npt.ArrayLike, axis: int | None = -1) -> Var: ...
@overload
def take_along_axis(arr: Dual, indices: npt.ArrayLike, axis: int | None = -1) -> Dual: ...
@overload
def take_along_axis(arr: Value, indices: npt.ArrayLike, axis: int | None = -1) -> Array: ...
def take_along_axis(arr: Any, indices: npt.ArrayLike, axis: int | None = -1) -> Any:
    """``np.take_along_axis`` with NumPy's default ``axis=-1``: plain integer ``indices``
    (``v.argsort(axis)``) pick elements along ``axis``; with None, of the flattened values."""
    return T.take_along_axis(_operand(arr), indices, axis)


@overload
def concatenate(
    arrays: Sequence[Var],
    /,
    axis: int | None = 0,
    out: None = None,
    *,
    dtype: npt.DTypeLike | None = None,
    casting: str = "same_kind",
) -> Var: ...
@overload
def concatenate(
    arrays: Sequence[Dual],
    /,
    axis: int | None = 0,
    out: None = None,
    *,
    dtype: npt.DTypeLike | None = None,
    casting: str = "same_kind",
) -> Dual: ...
@overload
def concatenate(
    arrays: Sequence[Value],
    /,
    axis: int | None = 0,
    out: None = None,
    *,
    dtype: npt.DTypeLike | None = None,
    casting: str = "same_kind",
) -> Array: ...
@overload
def concatenate(
    arrays: Sequence[Var | Dual | Value],
    /,
    axis: int | None = 0,
    out: None = None,
    *,
    dtype: npt.DTypeLike | None = None,
    casting: str = "same_kind",
) -> Var | Dual | Array: ...
def concatenate(
    arrays: Sequence[Any],
    /,
    axis: int | None = 0,
    out: None = None,
    *,
    dtype: npt.DTypeLike | None = None,
    casting: str = "same_kind",
) -> Any:
    """Join arrays along an existing axis (``axis=None``: flattened first), like
    ``np.concatenate``; ``dtype`` casts them (a float dtype, under ``casting``)."""
    if out is not None:
        raise TypeError("concatenate(out=...) is not supported: a tape value is immutable")
    arrs = _cast(_sequence(arrays, "concatenate"), dtype, casting)
    if not arrs:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        return T.concatenate([T.reshape(a, (-1,)) for a in arrs], 0)
    if any(T.ndim(a) == 0 for a in arrs):
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    return T.concatenate(arrs, operator.index(axis))


@overload
def stack(
    arrays: Sequence[Var],
    axis: int = 0,
    out: None = None,
    *,
    dtype: npt.DTypeLike | None = None,
    casting: str = "same_kind",
) -> Var: ...
@overload
def stack(
    arrays: Sequence[Dual],
    axis: int = 0,
    out: None = None,
    *,
    dtype: npt.DTypeLike | None = None,
    casting: str = "same_kind",
) -> Dual: ...
@overload
def stack(
    arrays: Sequence[Value],
    axis: int = 0,
    out: None = None,
    *,
    dtype: npt.DTypeLike | None = None,
    casting: str = "same_kind",
) -> Array: ...
@overload
def stack(
    arrays: Sequence[Var | Dual | Value],
    axis: int = 0,
    out: None = None,
    *,
    dtype: npt.DTypeLike | None = None,
    casting: str = "same_kind",
) -> Var | Dual | Array: ...
def stack(
    arrays: Sequence[Any],
    axis: int = 0,
    out: None = None,
    *,
    dtype: npt.DTypeLike | None = None,
    casting: str = "same_kind",
) -> Any:
    """Join arrays of one shape along a new axis, like ``np.stack``; ``dtype`` casts them."""
    if out is not None:
        raise TypeError("stack(out=...) is not supported: a tape value is immutable")
    arrs = _cast(_sequence(arrays, "stack"), dtype, casting)
    if not arrs:
        raise ValueError("need at least one array to stack")
    shapes = {T._shape_of(a) for a in arrs}
    if len(shapes) > 1:
        raise ValueError("all input arrays must have the same shape")
    return T.stack(arrs, operator.index(axis))


# ----- axes -------------------------------------------------------------------------------------


@overload
def ravel(a: Var, order: Literal["C", "F"] = "C") -> Var: ...
@overload
def ravel(a: Dual, order: Literal["C", "F"] = "C") -> Dual: ...
@overload
def ravel(a: Value, order: Literal["C", "F"] = "C") -> Array: ...
def ravel(a: Any, order: str = "C") -> Any:
    """The values as one axis, like ``np.ravel``; ``order="F"`` reads them column by column."""
    x = _operand(a)
    if order == "F":
        x = T.transpose(x)
    elif order != "C":
        raise ValueError(
            f"ravel: order must be 'C' or 'F' for a tape value, not {order!r} ('A' and 'K' "
            "follow memory layout, which a tape value does not have)"
        )
    return T.reshape(x, (-1,))


@overload
def moveaxis(a: Var, source: int | Sequence[int], destination: int | Sequence[int]) -> Var: ...
@overload
def moveaxis(a: Dual, source: int | Sequence[int], destination: int | Sequence[int]) -> Dual: ...
@overload
def moveaxis(a: Value, source: int | Sequence[int], destination: int | Sequence[int]) -> Array: ...
def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    """Move axes to new positions, the others keeping their order, like ``np.moveaxis``."""
    x = _operand(a)
    n = T.ndim(x)
    src = _axes(source, n, "source")
    dst = _axes(destination, n, "destination")
    if len(src) != len(dst):
        raise ValueError(
            "`source` and `destination` arguments must have the same number of elements"
        )
    order = [k for k in range(n) if k not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return T.transpose(x, order)


@overload
def rollaxis(a: Var, axis: int, start: int = 0) -> Var: ...
@overload
def rollaxis(a: Dual, axis: int, start: int = 0) -> Dual: ...
@overload
def rollaxis(a: Value, axis: int, start: int = 0) -> Array: ...
def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """Move ``axis`` to before position ``start``, like ``np.rollaxis`` (``moveaxis`` says
    the same more plainly)."""
    x = _operand(a)
    n = T.ndim(x)
    ax = _axis(axis, n)
    start = operator.index(start)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise ValueError(f"'start' arg requires {-n} <= start < {n + 1}, but {start} was passed in")
    if ax < start:
        start -= 1
    if ax == start:
        return x
    order = [k for k in range(n) if k != ax]
    order.insert(start, ax)
    return T.transpose(x, order)


@overload
def roll(a: Var, shift: int | Sequence[int], axis: int | Sequence[int] | None = None) -> Var: ...
@overload
def roll(a: Dual, shift: int | Sequence[int], axis: int | Sequence[int] | None = None) -> Dual: ...
@overload
def roll(
    a: Value, shift: int | Sequence[int], axis: int | Sequence[int] | None = None
) -> Array: ...
def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """Shift elements cyclically along ``axis`` (of the flattened values when None), like
    ``np.roll``; shifts and axes broadcast, and shifts of one axis add up. Each shifted axis
    is two slices joined (the VJP slices the cotangent back)."""
    x = _operand(a)
    if axis is None:
        return T.reshape(roll(T.reshape(x, (-1,)), shift, 0), T._shape_of(x))
    n = T.ndim(x)
    pairs = np.broadcast(shift, axis)
    if pairs.ndim > 1:
        raise ValueError("'shift' and 'axis' should be scalars or 1D sequences")
    total: dict[int, int] = {}
    for sh, ax in pairs:
        k = _axis(ax, n)
        total[k] = total.get(k, 0) + int(sh)
    shape = T._shape_of(x)
    for k, sh in total.items():
        size = shape[k]
        s = sh % size if size else 0
        if s:
            x = T.concatenate(
                [_along(x, k, slice(size - s, None)), _along(x, k, slice(0, size - s))], k
            )
    return x


@overload
def flipud(m: Var) -> Var: ...
@overload
def flipud(m: Dual) -> Dual: ...
@overload
def flipud(m: Value) -> Array: ...
def flipud(m: Any) -> Any:
    """Reverse the order along axis 0 (rows), like ``np.flipud``."""
    x = _operand(m)
    if T.ndim(x) < 1:
        raise ValueError("Input must be >= 1-d.")
    return T.flip(x, 0)


@overload
def fliplr(m: Var) -> Var: ...
@overload
def fliplr(m: Dual) -> Dual: ...
@overload
def fliplr(m: Value) -> Array: ...
def fliplr(m: Any) -> Any:
    """Reverse the order along axis 1 (columns), like ``np.fliplr``."""
    x = _operand(m)
    if T.ndim(x) < 2:
        raise ValueError("Input must be >= 2-d.")
    return T.flip(x, 1)


@overload
def rot90(m: Var, k: int = 1, axes: Sequence[int] = (0, 1)) -> Var: ...
@overload
def rot90(m: Dual, k: int = 1, axes: Sequence[int] = (0, 1)) -> Dual: ...
@overload
def rot90(m: Value, k: int = 1, axes: Sequence[int] = (0, 1)) -> Array: ...
def rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> Any:
    """Rotate by 90° ``k`` times in the plane of ``axes`` (from the first axis towards the
    second), like ``np.rot90``: a flip and a transpose."""
    x = _operand(m)
    axes = tuple(operator.index(a) for a in axes)
    n = T.ndim(x)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or builtins.abs(axes[0] - axes[1]) == n:
        raise ValueError("Axes must be different.")
    if not (-n <= axes[0] < n and -n <= axes[1] < n):
        raise ValueError(f"Axes={axes} out of range for array of ndim={n}.")
    k = operator.index(k) % 4
    if k == 0:
        return x
    if k == 2:
        return T.flip(x, axes)
    perm = list(range(n))
    perm[axes[0]], perm[axes[1]] = perm[axes[1]], perm[axes[0]]
    if k == 1:
        return T.transpose(T.flip(x, axes[1]), perm)
    return T.flip(T.transpose(x, perm), axes[1])


# ----- diagonals and triangles (where with a constant mask) ----------------------------------


@overload
def diag(v: Var, k: int = 0) -> Var: ...
@overload
def diag(v: Dual, k: int = 0) -> Dual: ...
@overload
def diag(v: Value, k: int = 0) -> Array: ...
def diag(v: Any, k: int = 0) -> Any:
    """The ``k``-th diagonal of a matrix, or a matrix with a vector on its ``k``-th diagonal
    (zeros elsewhere), like ``np.diag``; ``k`` > 0 above the main diagonal, < 0 below."""
    x = _operand(v)
    k = operator.index(k)
    shape = T._shape_of(x)
    if len(shape) == 2:
        return T.diagonal(x, k)
    if len(shape) != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = shape[0] + builtins.abs(k)
    if k:  # column j of the matrix holds w[j]: v shifted right by k (k > 0), zeros after (k < 0)
        zeros = np.zeros(builtins.abs(k), dtype=T.dtype_of(x))
        x = T.concatenate([zeros, x] if k > 0 else [x, zeros], 0)
    return T.where(np.eye(n, k=k, dtype=np.bool_), x, 0.0)


@overload
def tril(m: Var, k: int = 0) -> Var: ...
@overload
def tril(m: Dual, k: int = 0) -> Dual: ...
@overload
def tril(m: Value, k: int = 0) -> Array: ...
def tril(m: Any, k: int = 0) -> Any:
    """The lower triangle of the last two axes (zeros above the ``k``-th diagonal), like
    ``np.tril``: ``where`` with a constant mask, so the gradient above it is exactly 0."""
    x = _operand(m)
    shape = T._shape_of(x)
    if not shape:
        raise ValueError("tril needs an array of at least one dimension")
    mask = np.tri(
        shape[-2] if len(shape) > 1 else shape[-1], shape[-1], operator.index(k), np.bool_
    )
    return T.where(mask, x, 0.0)


@overload
def triu(m: Var, k: int = 0) -> Var: ...
@overload
def triu(m: Dual, k: int = 0) -> Dual: ...
@overload
def triu(m: Value, k: int = 0) -> Array: ...
def triu(m: Any, k: int = 0) -> Any:
    """The upper triangle of the last two axes (zeros below the ``k``-th diagonal), like
    ``np.triu``."""
    x = _operand(m)
    shape = T._shape_of(x)
    if not shape:
        raise ValueError("triu needs an array of at least one dimension")
    mask = np.tri(
        shape[-2] if len(shape) > 1 else shape[-1], shape[-1], operator.index(k) - 1, np.bool_
    )
    return T.where(mask, 0.0, x)


# ----- repetition, differences, padding --------------------------------------------------------


@overload
def tile(A: Var, reps: int | Sequence[int]) -> Var: ...
@overload
def tile(A: Dual, reps: int | Sequence[int]) -> Dual: ...
@overload
def tile(A: Value, reps: int | Sequence[int]) -> Array: ...
def tile(A: Any, reps: Any) -> Any:
    """``A`` repeated ``reps`` times along each axis, like ``np.tile``: one reshape, one
    broadcast and one reshape (the VJP sums the copies)."""
    x = _operand(A)
    tup = (
        (operator.index(reps),)
        if isinstance(reps, int | np.integer)
        else tuple(operator.index(r) for r in reps)
    )
    if any(r < 0 for r in tup):
        raise ValueError(f"tile: negative repetitions {tup} are not allowed")
    shape = T._shape_of(x)
    tup = (1,) * (len(shape) - len(tup)) + tup
    shape = (1,) * (len(tup) - len(shape)) + shape
    if all(r == 1 for r in tup):
        return T.reshape(x, shape)
    apart = tuple(v for s in shape for v in (1, s))
    copies = tuple(v for r, s in zip(tup, shape, strict=True) for v in (r, s))
    out = tuple(r * s for r, s in zip(tup, shape, strict=True))
    return T.reshape(T.broadcast_to(T.reshape(x, apart), copies), out)


@overload
def diff(
    a: Var,
    n: int = 1,
    axis: int = -1,
    prepend: Operand | _NoValue = NO_VALUE,
    append: Operand | _NoValue = NO_VALUE,
) -> Var: ...
@overload
def diff(
    a: Dual,
    n: int = 1,
    axis: int = -1,
    prepend: Operand | _NoValue = NO_VALUE,
    append: Operand | _NoValue = NO_VALUE,
) -> Dual: ...
@overload
def diff(
    a: Value,
    n: int = 1,
    axis: int = -1,
    prepend: Value | _NoValue = NO_VALUE,
    append: Value | _NoValue = NO_VALUE,
) -> Array: ...
@overload
def diff(
    a: Value,
    n: int = 1,
    axis: int = -1,
    prepend: Operand | _NoValue = NO_VALUE,
    append: Operand | _NoValue = NO_VALUE,
) -> Var | Dual | Array: ...
def diff(
    a: Any, n: int = 1, axis: int = -1, prepend: Any = NO_VALUE, append: Any = NO_VALUE
) -> Any:
    """The ``n``-th discrete difference along ``axis``, like ``np.diff``: ``prepend`` and
    ``append`` (scalars broadcast to one slice) are joined on first."""
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    x = _operand(a)
    if n == 0:
        return x
    nd = T.ndim(x)
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    ax = _axis(axis, nd)
    parts = []
    for extra in (prepend, None, append):
        if extra is None:
            parts.append(x)
        elif not isinstance(extra, _NoValue):
            e = _operand(extra, "diff's prepend/append")
            if T.ndim(e) == 0:
                one = list(T._shape_of(x))
                one[ax] = 1
                e = T.broadcast_to(e, tuple(one))
            parts.append(e)
    if len(parts) > 1:
        x = T.concatenate(parts, ax)
    for _ in range(n):
        x = T.subtract(_along(x, ax, slice(1, None)), _along(x, ax, slice(None, -1)))
    return x


def _pairs(x: Any, ndim: int, what: str, as_index: bool) -> list[tuple[Any, Any]]:
    """NumPy's ``_as_pairs``: one (before, after) pair per axis from a scalar, a pair, or
    one pair per axis."""
    if is_var(x) or is_dual(x):
        if T.ndim(x) != 0:
            raise TypeError(f"pad: {what} may be a scalar Var, not an array of them")
        return [(x, x)] * ndim
    arr = np.asarray(x)
    if as_index:
        if arr.dtype.kind not in "iu":
            raise TypeError("`pad_width` must be of integral type.")
        arr = arr.astype(np.intp)
    if arr.ndim < 3:
        if arr.size == 1:
            v = arr.ravel()[0]
            if as_index and v < 0:
                raise ValueError("index can't contain negative values")
            return [(v, v)] * ndim
        if arr.size == 2 and arr.shape != (2, 1):
            b, e = arr.ravel()
            if as_index and (b < 0 or e < 0):
                raise ValueError("index can't contain negative values")
            return [(b, e)] * ndim
    if as_index and arr.size and arr.min() < 0:
        raise ValueError("index can't contain negative values")
    try:
        full = np.broadcast_to(arr, (ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: {what} of shape {arr.shape} does not broadcast to ({ndim}, 2), one "
            "(before, after) pair per axis"
        ) from None
    return [(full[i, 0], full[i, 1]) for i in range(ndim)]


def _pad_index(mode: str, n: int, before: int, after: int) -> npt.NDArray[np.intp]:
    """The source index of every position of a padded axis of length ``n``."""
    i = np.arange(-before, n + after)
    if mode == "edge" or n == 1:
        return np.clip(i, 0, n - 1)
    if mode == "wrap":
        return np.mod(i, n)
    if mode == "symmetric":
        j = np.mod(i, 2 * n)
        return np.where(j < n, j, 2 * n - 1 - j)
    j = np.mod(i, 2 * (n - 1))  # reflect: the edge is not repeated
    return np.where(j < n, j, 2 * (n - 1) - j)


_PAD_MODES: Final = ("constant", "edge", "reflect", "symmetric", "wrap")


@overload
def pad(array: Var, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Var: ...
@overload
def pad(array: Dual, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Dual: ...
@overload
def pad(array: Value, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Array: ...
def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    """Pad every axis, like ``np.pad``, with the modes ``"constant"`` (``constant_values``,
    0 by default: plain numbers, or a scalar Var), ``"edge"``, ``"reflect"``, ``"symmetric"``
    and ``"wrap"`` (``reflect_type="even"`` only). Axes are padded in order, so corners take
    the later axis' values, as NumPy's do.

    ``pad_width`` is NumPy's: an int, a (before, after) pair, or one pair per axis.
    """
    x = _operand(array)
    if not isinstance(mode, str) or mode not in _PAD_MODES:
        raise ValueError(
            f"pad: mode {mode!r} is not supported on tape values; supported: "
            f"{', '.join(_PAD_MODES)}"
        )
    allowed = {"constant": {"constant_values"}, "reflect": {"reflect_type"}}
    allowed["symmetric"] = allowed["reflect"]
    unknown = set(kwargs) - allowed.get(mode, set())
    if unknown:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {unknown}")
    if kwargs.get("reflect_type", "even") != "even":
        raise ValueError(
            f"pad: reflect_type={kwargs['reflect_type']!r} is not supported (only 'even')"
        )
    nd = T.ndim(x)
    widths = _pairs(pad_width, nd, "pad_width", as_index=True)
    if mode == "constant":
        values = _pairs(kwargs.get("constant_values", 0), nd, "constant_values", as_index=False)
        for ax, ((b, e), (cb, ce)) in enumerate(zip(widths, values, strict=True)):
            if b == 0 and e == 0:
                continue
            shape = list(T._shape_of(x))
            parts = []
            for w, c in ((b, cb), (None, None), (e, ce)):
                if w is None:
                    parts.append(x)
                elif w:
                    shape[ax] = int(w)
                    c = _operand(c, "constant_values")
                    block = (
                        T.broadcast_to(c, tuple(shape))
                        if _is_box(c)
                        else np.full(shape, c, dtype=T.dtype_of(x))
                    )
                    parts.append(block)
            x = T.concatenate(parts, ax)
        return x
    for ax, (b, e) in enumerate(widths):
        if b == 0 and e == 0:
            continue
        size = T._shape_of(x)[ax]
        if size == 0:
            raise ValueError(
                f"can't extend empty axis {ax} using modes other than 'constant' or 'empty'"
            )
        x = _along(x, ax, _pad_index(mode, size, int(b), int(e)))
    return x


# ----- at least k dimensions ---------------------------------------------------------------------


def _at_least(x: Any, k: int) -> Any:
    x = _operand(x)
    shape = T._shape_of(x)
    if len(shape) >= k:
        return x
    if k == 1:
        return T.reshape(x, (1,))
    if k == 2:
        return T.reshape(x, (1,) * (2 - len(shape)) + shape)
    new = {0: (1, 1, 1), 1: (1, *shape, 1), 2: (*shape, 1)}[len(shape)]
    return T.reshape(x, new)


@overload
def atleast_1d() -> tuple[()]: ...
@overload
def atleast_1d(a: Var, /) -> Var: ...
@overload
def atleast_1d(a: Dual, /) -> Dual: ...
@overload
def atleast_1d(a: Value, /) -> Array: ...
@overload
def atleast_1d(a: Operand, b: Operand, /, *arys: Operand) -> tuple[Var | Dual | Array, ...]: ...
def atleast_1d(*arys: Any) -> Any:
    """Each input with at least one axis (a scalar becomes shape (1,)), like
    ``np.atleast_1d``: one input gives one value, several a tuple."""
    out = tuple(_at_least(a, 1) for a in arys)
    return out[0] if len(out) == 1 else out


@overload
def atleast_2d() -> tuple[()]: ...
@overload
def atleast_2d(a: Var, /) -> Var: ...
@overload
def atleast_2d(a: Dual, /) -> Dual: ...
@overload
def atleast_2d(a: Value, /) -> Array: ...
@overload
def atleast_2d(a: Operand, b: Operand, /, *arys: Operand) -> tuple[Var | Dual | Array, ...]: ...
def atleast_2d(*arys: Any) -> Any:
    """Each input with at least two axes (shape (N,) becomes (1, N)), like
    ``np.atleast_2d``."""
    out = tuple(_at_least(a, 2) for a in arys)
    return out[0] if len(out) == 1 else out


@overload
def atleast_3d() -> tuple[()]: ...
@overload
def atleast_3d(a: Var, /) -> Var: ...
@overload
def atleast_3d(a: Dual, /) -> Dual: ...
@overload
def atleast_3d(a: Value, /) -> Array: ...
@overload
def atleast_3d(a: Operand, b: Operand, /, *arys: Operand) -> tuple[Var | Dual | Array, ...]: ...
def atleast_3d(*arys: Any) -> Any:
    """Each input with at least three axes ((N,) becomes (1, N, 1), (M, N) becomes
    (M, N, 1)), like ``np.atleast_3d``."""
    out = tuple(_at_least(a, 3) for a in arys)
    return out[0] if len(out) == 1 else out


# ----- splits ------------------------------------------------------------------------------------


@overload
def array_split(ary: Var, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Var]: ...
@overload
def array_split(
    ary: Dual, indices_or_sections: int | Sequence[int], axis: int = 0
) -> list[Dual]: ...
@overload
def array_split(
    ary: Value, indices_or_sections: int | Sequence[int], axis: int = 0
) -> list[Array]: ...
def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> Any:
    """Split into pieces along ``axis``, like ``np.array_split``: ``n`` sections (the first
    ``len % n`` one element longer), or at the given indices (pieces may be empty). Each
    piece is one slice."""
    x = _operand(ary)
    ax = _axis(axis, T.ndim(x))
    total = T._shape_of(x)[ax]
    try:
        points = [0, *indices_or_sections, total]
    except TypeError:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.") from None
        each, extras = divmod(total, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    return [
        _along(x, ax, slice(operator.index(st), operator.index(end)))
        for st, end in itertools.pairwise(points)
    ]


@overload
def split(ary: Var, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Var]: ...
@overload
def split(ary: Dual, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Dual]: ...
@overload
def split(ary: Value, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Array]: ...
def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> Any:
    """``array_split`` that requires ``n`` sections to be equal, like ``np.split``."""
    x = _operand(ary)
    try:
        len(indices_or_sections)
    except TypeError:
        sections = operator.index(indices_or_sections)
        total = T._shape_of(x)[_axis(axis, T.ndim(x))]
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.") from None
        if total % sections:
            raise ValueError("array split does not result in an equal division") from None
    return array_split(x, indices_or_sections, axis)


def _split_at_least(ary: Any, k: int, axis: int, name: str, indices_or_sections: Any) -> Any:
    x = _operand(ary)
    if T.ndim(x) < k:
        word = {1: "1", 2: "2", 3: "3"}[k]
        raise ValueError(f"{name} only works on arrays of {word} or more dimensions")
    return split(x, indices_or_sections, axis)


@overload
def vsplit(ary: Var, indices_or_sections: int | Sequence[int]) -> list[Var]: ...
@overload
def vsplit(ary: Dual, indices_or_sections: int | Sequence[int]) -> list[Dual]: ...
@overload
def vsplit(ary: Value, indices_or_sections: int | Sequence[int]) -> list[Array]: ...
def vsplit(ary: Any, indices_or_sections: Any) -> Any:
    """``split`` along axis 0 (rows) of an array of two or more dimensions, like
    ``np.vsplit``."""
    return _split_at_least(ary, 2, 0, "vsplit", indices_or_sections)


@overload
def hsplit(ary: Var, indices_or_sections: int | Sequence[int]) -> list[Var]: ...
@overload
def hsplit(ary: Dual, indices_or_sections: int | Sequence[int]) -> list[Dual]: ...
@overload
def hsplit(ary: Value, indices_or_sections: int | Sequence[int]) -> list[Array]: ...
def hsplit(ary: Any, indices_or_sections: Any) -> Any:
    """``split`` along axis 1 (columns; axis 0 of a 1-d array), like ``np.hsplit``."""
    ary = _operand(ary)
    axis = 1 if T.ndim(ary) > 1 else 0
    return _split_at_least(ary, 1, axis, "hsplit", indices_or_sections)


@overload
def dsplit(ary: Var, indices_or_sections: int | Sequence[int]) -> list[Var]: ...
@overload
def dsplit(ary: Dual, indices_or_sections: int | Sequence[int]) -> list[Dual]: ...
@overload
def dsplit(ary: Value, indices_or_sections: int | Sequence[int]) -> list[Array]: ...
def dsplit(ary: Any, indices_or_sections: Any) -> Any:
    """``split`` along axis 2 (depth) of an array of three or more dimensions, like
    ``np.dsplit``."""
    return _split_at_least(ary, 3, 2, "dsplit", indices_or_sections)


# ----- stacks ------------------------------------------------------------------------------------

Stackable: TypeAlias = "Sequence[Var | Dual | Value]"


@overload
def hstack(
    tup: Sequence[Value], *, dtype: npt.DTypeLike | None = None, casting: str = "same_kind"
) -> Array: ...
@overload
def hstack(
    tup: Sequence[Var], *, dtype: npt.DTypeLike | None = None, casting: str = "same_kind"
) -> Var: ...
@overload
def hstack(
    tup: Sequence[Dual], *, dtype: npt.DTypeLike | None = None, casting: str = "same_kind"
) -> Dual: ...
@overload
def hstack(
    tup: Stackable, *, dtype: npt.DTypeLike | None = None, casting: str = "same_kind"
) -> Var | Dual | Array: ...
def hstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """Join along axis 1 (axis 0 for 1-d inputs; scalars count as 1-d), like
    ``np.hstack``."""
    arrs = [_at_least(a, 1) for a in _sequence(tup, "hstack")]
    axis = 0 if arrs and T.ndim(arrs[0]) == 1 else 1
    return concatenate(arrs, axis, dtype=dtype, casting=casting)


@overload
def vstack(
    tup: Sequence[Value], *, dtype: npt.DTypeLike | None = None, casting: str = "same_kind"
) -> Array: ...
@overload
def vstack(
    tup: Sequence[Var], *, dtype: npt.DTypeLike | None = None, casting: str = "same_kind"
) -> Var: ...
@overload
def vstack(
    tup: Sequence[Dual], *, dtype: npt.DTypeLike | None = None, casting: str = "same_kind"
) -> Dual: ...
@overload
def vstack(
    tup: Stackable, *, dtype: npt.DTypeLike | None = None, casting: str = "same_kind"
) -> Var | Dual | Array: ...
def vstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """Join along axis 0 as rows (1-d inputs of length N become rows (1, N)), like
    ``np.vstack``."""
    arrs = [_at_least(a, 2) for a in _sequence(tup, "vstack")]
    return concatenate(arrs, 0, dtype=dtype, casting=casting)


@overload
def row_stack(
    tup: Sequence[Value], *, dtype: npt.DTypeLike | None = None, casting: str = "same_kind"
) -> Array: ...
@overload
def row_stack(
    tup: Sequence[Var], *, dtype: npt.DTypeLike | None = None, casting: str = "same_kind"
) -> Var: ...
@overload
def row_stack(
    tup: Sequence[Dual], *, dtype: npt.DTypeLike | None = None, casting: str = "same_kind"
) -> Dual: ...
@overload
def row_stack(
    tup: Stackable, *, dtype: npt.DTypeLike | None = None, casting: str = "same_kind"
) -> Var | Dual | Array: ...
def row_stack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """``vstack`` by its older name (NumPy deprecates ``np.row_stack``; NumPy's own calls
    ``np.vstack``, which reaches ``vstack`` here)."""
    return vstack(tup, dtype=dtype, casting=casting)


@overload
def dstack(tup: Sequence[Value]) -> Array: ...
@overload
def dstack(tup: Sequence[Var]) -> Var: ...
@overload
def dstack(tup: Sequence[Dual]) -> Dual: ...
@overload
def dstack(tup: Stackable) -> Var | Dual | Array: ...
def dstack(tup: Any) -> Any:
    """Join along axis 2 (inputs made at least 3-d as ``atleast_3d`` does), like
    ``np.dstack``."""
    return concatenate([_at_least(a, 3) for a in _sequence(tup, "dstack")], 2)


@overload
def column_stack(tup: Sequence[Value]) -> Array: ...
@overload
def column_stack(tup: Sequence[Var]) -> Var: ...
@overload
def column_stack(tup: Sequence[Dual]) -> Dual: ...
@overload
def column_stack(tup: Stackable) -> Var | Dual | Array: ...
def column_stack(tup: Any) -> Any:
    """Join as columns along axis 1: 1-d inputs of length N become columns (N, 1), like
    ``np.column_stack``."""
    arrs = []
    for a in _sequence(tup, "column_stack"):
        shape = T._shape_of(a)
        arrs.append(T.reshape(a, (shape[0] if shape else 1, 1)) if len(shape) < 2 else a)
    return concatenate(arrs, 1)


@overload
def append(arr: Var, values: Operand, axis: int | None = None) -> Var: ...
@overload
def append(arr: Value, values: Var, axis: int | None = None) -> Var: ...
@overload
def append(arr: Dual, values: Dual | Value, axis: int | None = None) -> Dual: ...
@overload
def append(arr: Value, values: Dual, axis: int | None = None) -> Dual: ...
@overload
def append(arr: Value, values: Value, axis: int | None = None) -> Array: ...
def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    """``values`` joined after ``arr`` along ``axis`` (both flattened when None), like
    ``np.append``."""
    x, y = _operand(arr), _operand(values)
    if axis is None:
        if T.ndim(x) != 1:
            x = T.reshape(x, (-1,))
        y = T.reshape(y, (-1,))
        axis = 0
    return concatenate([x, y], axis)


# ----- selection -------------------------------------------------------------------------------


@overload
def select(condlist: Sequence[Any], choicelist: Sequence[Value], default: Value = 0.0) -> Array: ...
@overload
def select(
    condlist: Sequence[Any], choicelist: Sequence[Var | Dual | Value], default: Operand = 0.0
) -> Var | Dual | Array: ...
def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0.0) -> Any:
    """From ``choicelist[i]`` where ``condlist[i]`` first holds, else ``default``
    (everything broadcasts), like ``np.select``: nested ``where``, so no gradient reaches an
    unselected choice. Conditions are boolean: plain arrays, or comparisons of Vars
    (recorded, so a replayed tape recomputes them)."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    conds = []
    for i, c in enumerate(condlist):
        value = T.plain(c)
        if not (isinstance(value, bool | np.bool_) or np.asarray(value).dtype == np.bool_):
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
        conds.append(c if is_var(c) else np.asarray(value))
    out = _operand(default, "select's default")
    for c, choice in zip(reversed(conds), reversed(choicelist), strict=True):
        out = T.where(c, _operand(choice, "select's choices"), out)
    return out


# ----- sorting: the permutation a recorded value, recomputed on replay ------------------------


def _sort_order_impl(x: Any, axis: int, kind: SortKind, stable: bool | None) -> Any:
    return np.argsort(x, axis=axis, kind=kind, stable=stable)


def _partition_order_impl(x: Any, kth: int | tuple[int, ...], axis: int, kind: str) -> Any:
    return np.argpartition(x, kth, axis=axis, kind=kind)  # type: ignore[arg-type]


SORT_ORDER = register(
    Primitive(
        "sort_order",
        impl=_sort_order_impl,
        vjp=(None,),
        jvp=(None,),
        notation="argsort({0}{p})",
        differentiable=False,
    )
)
"""The permutation that sorts a value along an axis (no derivative: it is integers)."""

PARTITION_ORDER = register(
    Primitive(
        "partition_order",
        impl=_partition_order_impl,
        vjp=(None,),
        jvp=(None,),
        notation="argpartition({0}{p})",
        differentiable=False,
    )
)
"""The permutation that partitions a value around ``kth`` (no derivative)."""


def _lift(perm: Any, shape: tuple[int, ...]) -> Any:
    """A permutation of a value's shape, broadcast to ``shape`` (leading batch axes of a
    tangent in vector mode)."""
    perm = np.asarray(perm)
    lead = (1,) * (len(shape) - perm.ndim)
    return np.broadcast_to(perm.reshape(lead + perm.shape), shape)


def _permute_impl(x: Any, perm: Any, axis: int) -> Any:
    return np.take_along_axis(x, _lift(perm, np.shape(x)), axis)


def _unpermute_impl(g: Any, perm: Any, axis: int) -> Any:
    out = np.empty_like(g)
    np.put_along_axis(out, _lift(perm, np.shape(g)), g, axis)
    return out


PERMUTE = register(
    T.linear(
        "permute",
        impl=_permute_impl,
        transpose=lambda g, ans, x, perm, axis: _unpermute(g, perm, axis),
        notation="permute({0} by {1}{p})",
        constants=1,
    )
)
"""``take_along_axis(x, perm, axis)`` for a permutation ``perm`` (an input without a
derivative, so that a replay uses the recomputed one): linear in x, with a negative axis
and the permutation broadcast over a tangent's batch axes."""

UNPERMUTE = register(
    T.linear(
        "unpermute",
        impl=_unpermute_impl,
        transpose=lambda g, ans, t, perm, axis: _permute(g, perm, axis),
        notation="unpermute({0} by {1}{p})",
        constants=1,
    )
)
"""The transpose of ``permute``: ``out`` with ``out[perm] = t`` along ``axis``."""


def _permute(x: Any, perm: Any, axis: int) -> Any:
    return bind(PERMUTE, x, perm, axis=axis)


def _unpermute(t: Any, perm: Any, axis: int) -> Any:
    return bind(UNPERMUTE, t, perm, axis=axis)


def _order(row: Primitive, x: Any, **params: Any) -> Any:
    """``row``'s permutation of ``x``: recorded while a tape records (so replay recomputes
    it), a plain array otherwise."""
    if unwrap(x) is not x and T._recording():
        return bind(row, x, **params)
    return row.impl(T.plain(x), **params)


def _flat_axis(x: Any, axis: int | None) -> tuple[Any, int]:
    """``x`` and ``axis`` as a negative number; the flattened values for None."""
    if axis is None:
        return T.reshape(x, (-1,)), -1
    n = T.ndim(x)
    if n == 0:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension 0")
    return x, _axis(axis, n) - n


@overload
def sort(
    a: Var,
    axis: int | None = -1,
    kind: SortKind = None,
    order: None = None,
    *,
    stable: bool | None = None,
) -> Var: ...
@overload
def sort(
    a: Dual,
    axis: int | None = -1,
    kind: SortKind = None,
    order: None = None,
    *,
    stable: bool | None = None,
) -> Dual: ...
@overload
def sort(
    a: Value,
    axis: int | None = -1,
    kind: SortKind = None,
    order: None = None,
    *,
    stable: bool | None = None,
) -> Array: ...
def sort(
    a: Any,
    axis: int | None = -1,
    kind: SortKind = None,
    order: None = None,
    *,
    stable: bool | None = None,
) -> Any:
    """The values sorted along ``axis`` (flattened when None), like ``np.sort``.

    Differentiable: output position i has the derivative of the input element sorted there.
    At a tie, that is the element NumPy's ``argsort`` (with the same ``kind``) put there —
    with ``kind="stable"`` the earlier one. Inside a tape the permutation is a recorded value
    (``sort_order``), so a compiled tape replayed where the order differs sorts correctly.
    """
    if order is not None:
        raise TypeError("sort(order=...) needs structured fields, which a tape value has not")
    x = _operand(a)
    if not _is_box(x):
        return np.sort(x, axis=axis, kind=kind, stable=stable)
    x, ax = _flat_axis(x, axis)
    return _permute(x, _order(SORT_ORDER, x, axis=ax, kind=kind, stable=stable), ax)


@overload
def partition(
    a: Var,
    kth: int | Sequence[int],
    axis: int | None = -1,
    kind: str = "introselect",
    order: None = None,
) -> Var: ...
@overload
def partition(
    a: Dual,
    kth: int | Sequence[int],
    axis: int | None = -1,
    kind: str = "introselect",
    order: None = None,
) -> Dual: ...
@overload
def partition(
    a: Value,
    kth: int | Sequence[int],
    axis: int | None = -1,
    kind: str = "introselect",
    order: None = None,
) -> Array: ...
def partition(
    a: Any, kth: Any, axis: int | None = -1, kind: str = "introselect", order: None = None
) -> Any:
    """The values rearranged along ``axis`` so that the element at each ``kth`` position is
    where sorting would put it, smaller ones before and larger ones after, like
    ``np.partition``.

    Differentiable as ``sort`` is: each output position has the derivative of the element
    NumPy's ``argpartition`` put there (the permutation is recorded, ``partition_order``,
    and recomputed on replay).
    """
    if order is not None:
        raise TypeError("partition(order=...) needs structured fields, which a tape value has not")
    x = _operand(a)
    k = (
        operator.index(kth)
        if isinstance(kth, int | np.integer)
        else tuple(operator.index(i) for i in kth)
    )
    if not _is_box(x):
        return np.partition(x, k, axis=axis, kind=kind)  # type: ignore[call-overload]
    x, ax = _flat_axis(x, axis)
    return _permute(x, _order(PARTITION_ORDER, x, kth=k, axis=ax, kind=kind), ax)


# ----- array: a differentiable np.array of nested lists ------------------------------------------


def _has_box(obj: Any) -> bool:
    if isinstance(obj, list | tuple):
        return any(_has_box(o) for o in obj)
    return _is_box(obj)


def _shape_error(
    path: tuple[int, ...], i: int, a: tuple[int, ...], b: tuple[int, ...]
) -> ValueError:
    where = "".join(f"[{p}]" for p in path)
    return ValueError(
        f"array: a ragged sequence: element {where}[0] has shape {a} but element "
        f"{where}[{i}] has shape {b}; every element of a list must have the same shape "
        "(use tp.concatenate or tp.pad to join pieces of different lengths)"
    )


def _build(obj: Any, path: tuple[int, ...]) -> Any:
    if not isinstance(obj, list | tuple):
        return _operand(obj, "array's elements")
    if not obj:
        return np.zeros((0,))
    parts = [_build(o, (*path, i)) for i, o in enumerate(obj)]
    first = T._shape_of(parts[0])
    for i, p in enumerate(parts[1:], 1):
        if T._shape_of(p) != first:
            raise _shape_error(path, i, first, T._shape_of(p))
    if not any(_is_box(p) for p in parts):
        return np.stack(parts)
    return T.stack(parts, 0)


@overload
def array(obj: Var, dtype: npt.DTypeLike | None = None) -> Var: ...
@overload
def array(obj: Dual, dtype: npt.DTypeLike | None = None) -> Dual: ...
@overload
def array(obj: Value, dtype: npt.DTypeLike | None = None) -> Array: ...
@overload
def array(obj: Sequence[Nested], dtype: npt.DTypeLike | None = None) -> Var | Dual | Array: ...
def array(obj: Any, dtype: Any = None) -> Any:
    """An array from (nested) lists and tuples of Vars, Duals, floats and arrays, stacked
    differentiably: ``tp.array([[x, 2 * x], [0.0, y]])`` is a Var when any element is.

    ``np.array([v1, v2])`` cannot do this: NumPy converts the list before a Var is asked.
    Every element of a list must have the same shape (a ragged list raises ``ValueError``);
    integers become floats; ``dtype`` casts the result to a float dtype. Without a Var or
    Dual anywhere, the result is NumPy's array (as floats).
    """
    if isinstance(obj, list | tuple) and not _has_box(obj):
        try:
            out = np.array(obj)
        except ValueError:
            out = _build(obj, ())  # which names the ragged element
        out = _operand(out, "array's elements")
    else:
        out = _build(obj, ())
    return out if dtype is None else T.astype(out, dtype)


# ----- sampling and differences ----------------------------------------------------------------


@overload
def linspace(
    start: Var,
    stop: Operand,
    num: int = 50,
    endpoint: bool = True,
    *,
    retstep: Literal[False] = False,
    dtype: npt.DTypeLike | None = None,
    axis: int = 0,
) -> Var: ...
@overload
def linspace(
    start: Operand,
    stop: Var,
    num: int = 50,
    endpoint: bool = True,
    *,
    retstep: Literal[False] = False,
    dtype: npt.DTypeLike | None = None,
    axis: int = 0,
) -> Var: ...
@overload
def linspace(
    start: Dual,
    stop: Dual | Value,
    num: int = 50,
    endpoint: bool = True,
    *,
    retstep: Literal[False] = False,
    dtype: npt.DTypeLike | None = None,
    axis: int = 0,
) -> Dual: ...
@overload
def linspace(
    start: Value,
    stop: Value,
    num: int = 50,
    endpoint: bool = True,
    *,
    retstep: Literal[False] = False,
    dtype: npt.DTypeLike | None = None,
    axis: int = 0,
) -> Array: ...
@overload
def linspace(
    start: Operand,
    stop: Operand,
    num: int = 50,
    endpoint: bool = True,
    *,
    retstep: Literal[True],
    dtype: npt.DTypeLike | None = None,
    axis: int = 0,
) -> tuple[Var | Dual | Array, Var | Dual | Value]: ...
def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: npt.DTypeLike | None = None,
    axis: int = 0,
) -> Any:
    """``num`` evenly spaced samples from ``start`` to ``stop`` (``stop`` excluded without
    ``endpoint``), like ``np.linspace``: differentiable in both ends, which may be arrays (the
    samples then run along ``axis``). With ``endpoint`` the last sample is ``stop`` itself, as
    NumPy makes it. ``retstep`` also returns the step."""
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    start, stop = _operand(start), _operand(stop)
    rank = builtins.max(T.ndim(start), T.ndim(stop))
    div = num - 1 if endpoint else num
    k = np.arange(num, dtype=np.float64).reshape((num,) + (1,) * rank)
    delta = stop - start
    step = delta / div if div > 0 else delta * np.nan
    y = start + k * step if div > 0 else start + k * delta
    if endpoint and num > 1:
        last = (k == num - 1).astype(bool)  # NumPy sets the last sample to stop exactly
        y = T.where(last, stop + 0.0 * k, y)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = T.astype(y, dtype)
    return (y, step) if retstep else y


def gradient(f: Any, *varargs: float, axis: Axis = None, edge_order: int = 1) -> Any:
    """The derivative of sampled values by finite differences, like ``np.gradient``: second
    order central differences inside, one-sided ones (first or second order, ``edge_order``)
    at the ends, along every axis (a list, one per axis) or ``axis``. Spacings are scalars,
    one for all axes or one per axis; this is linear in ``f``, so its derivative is exact."""
    f = _operand(f)
    n = T.ndim(f)
    given = tuple(range(n)) if axis is None else T.norm_axis(axis, n)
    axes = tuple(a % n for a in ((given,) if isinstance(given, int) else given))
    if edge_order not in (1, 2):
        raise ValueError("gradient: edge_order must be 1 or 2, as in np.gradient")
    if len(varargs) == 0:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1:
        spacing = [float(varargs[0])] * len(axes)
    elif len(varargs) == len(axes):
        spacing = [float(h) for h in varargs]
    else:
        raise TypeError("gradient: give one spacing, or one per axis")
    out = []
    for a, h in zip(axes, spacing, strict=True):
        size = T._shape_of(f)[a]
        if size < edge_order + 1:
            raise ValueError(
                f"gradient: an axis needs at least edge_order + 1 elements (axis {a} has {size})"
            )

        def cut(lo: int | None, hi: int | None, a: int = a) -> Any:
            return f[(slice(None),) * a + (slice(lo, hi),)]

        inner = (cut(2, None) - cut(None, -2)) / (2.0 * h)
        if edge_order == 1:
            first = (cut(1, 2) - cut(0, 1)) / h
            last = (cut(-1, None) - cut(-2, -1)) / h
        else:
            # NumPy's coefficients, in its order (so that the values agree to the last bit)
            first = (-1.5 / h) * cut(0, 1) + (2.0 / h) * cut(1, 2) + (-0.5 / h) * cut(2, 3)
            last = (0.5 / h) * cut(-3, -2) + (-2.0 / h) * cut(-2, -1) + (1.5 / h) * cut(-1, None)
        out.append(T.concatenate([first, inner, last], a))
    return out[0] if len(out) == 1 else out


def angle(z: Any, deg: bool = False) -> Any:
    """The angle of real values, like ``np.angle``: 0 at and above 0 and π (180 with ``deg``)
    below it, a step with derivative 0 (−0.0 counts as 0 here; NumPy gives π)."""
    z = _operand(z)
    return T.where(z < 0.0, 180.0 if deg else np.pi, 0.0 * z)


def real_if_close(a: Any, tol: float = 100) -> Any:
    """``np.real_if_close`` of real values: the values themselves."""
    return _operand(a)


NUMPY: dict[Callable[..., Any], Callable[..., Any]] = {
    np.linspace: linspace,
    np.gradient: gradient,
    np.angle: angle,
    np.real_if_close: real_if_close,
    np.append: append,
    np.array_split: array_split,
    np.atleast_1d: atleast_1d,
    np.atleast_2d: atleast_2d,
    np.atleast_3d: atleast_3d,
    np.column_stack: column_stack,
    np.concat: concatenate,
    np.concatenate: concatenate,
    np.diag: diag,
    np.diff: diff,
    np.dsplit: dsplit,
    np.dstack: dstack,
    np.fliplr: fliplr,
    np.flipud: flipud,
    np.hsplit: hsplit,
    np.hstack: hstack,
    np.moveaxis: moveaxis,
    np.pad: pad,
    np.partition: partition,
    np.ravel: ravel,
    np.reshape: reshape,
    np.roll: roll,
    np.rollaxis: rollaxis,
    np.rot90: rot90,
    np.select: select,
    np.sort: sort,
    np.split: split,
    np.stack: stack,
    np.take_along_axis: take_along_axis,
    np.tile: tile,
    np.tril: tril,
    np.triu: triu,
    np.vsplit: vsplit,
    np.vstack: vstack,
}
"""NumPy functions this module differentiates: called on a Var or Dual, each reaches the
function here (see ``_numpy``). ``np.concatenate``, ``np.stack``, ``np.split``,
``np.reshape`` and ``np.take_along_axis`` reach this module's complete versions (NumPy's
keywords: ``axis=None``, ``dtype``, ``order``, the default axis) of the table's functions."""

PLAIN: dict[Callable[..., Any], Callable[..., Any]] = {}
"""NumPy functions this module serves without a derivative (indices, truth values)."""
