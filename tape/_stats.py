"""Reductions, scans and statistics beyond the table's core rows: cumprod, the nan-reductions,
average, ptp, median and percentile, each with NumPy's signature.

Every function is a composition of the table's rows, so both modes, higher orders and replay
come from them. Two kinds of value steer these compositions, and neither goes stale when a
compiled tape is replayed at a new point:

- which entries are nan (the nan-reductions) is a recorded comparison ``x != x``, a row
  without a derivative that replay recomputes, feeding ``where``;
- which elements are the order statistics (median, quantile, percentile) comes from
  ``argsort``, a plain result that leaves the tape as a guard (``leave``): a replay at a
  point where the order differs raises ``TapeInvalidated`` instead of picking the elements
  the recording picked.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import numpy.typing as npt

from . import _table as T
from ._core import unwrap
from ._rows import Axis, Value

if TYPE_CHECKING:
    from ._dual import Dual
    from ._var import Var

# ----- helpers -----------------------------------------------------------------------------------


def _axes(axis: Axis, nd: int, what: str) -> tuple[int, ...]:
    """``axis`` (None, an int or ints, negative allowed) as sorted non-negative axes."""
    if axis is None:
        return tuple(range(nd))
    items = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    out = []
    for a in items:
        a = operator.index(a)
        if not -builtins.max(nd, 1) <= a < builtins.max(nd, 1):
            raise ValueError(f"{what}: axis {a} is out of bounds for an array of {nd} dimensions")
        out.append(a % builtins.max(nd, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{what}: repeated axis in {axis}")
    return tuple(sorted(out)) if nd else ()


def _kept(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _rest(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _to_last(x: Any, axes: tuple[int, ...]) -> Any:
    """The reduced ``axes`` of ``x`` moved to the end and merged into one: shape (..., n)."""
    nd = T.ndim(x)
    shape = T._shape_of(x)
    if nd == 0:
        return T.reshape(x, (1,))
    perm = [i for i in range(nd) if i not in axes] + list(axes)
    if perm != list(range(nd)):
        x = T.transpose(x, perm)
    n = math.prod(shape[a] for a in axes)
    return T.reshape(x, (*_rest(shape, axes), n))


def _isnan(x: Any) -> Any:
    """Where ``x`` is nan: a recorded comparison (``x != x``) while a tape records, so a
    replay recomputes it; plain booleans otherwise."""
    return T.compare(T.NOT_EQUAL, x, x)


def _no_out(what: str, **given: Any) -> None:
    for k, v in given.items():
        if v is not None:
            raise TypeError(f"{what}: {k}= is not supported on tape values (leave it None)")


# ----- cumprod -----------------------------------------------------------------------------------


def _shift(v: Any, d: int, axis: int, fill: float) -> Any:
    """``v`` moved ``d`` places up along ``axis``, the first ``d`` places ``fill``."""
    shape = list(T._shape_of(v))
    index: list[Any] = [slice(None)] * len(shape)
    index[axis] = slice(0, shape[axis] - d)
    shape[axis] = d
    return T.concatenate([np.full(shape, fill), T.getitem(v, tuple(index))], axis=axis)


@overload
def cumprod(x: Var, axis: int | None = None) -> Var: ...
@overload
def cumprod(x: Dual, axis: int | None = None) -> Dual: ...
@overload
def cumprod(x: Value, axis: int | None = None) -> Value: ...
def cumprod(x: Any, axis: int | None = None) -> Any:
    """Running product along ``axis`` (of the flattened values when None), like
    ``np.cumprod``.

    Computed by recursive doubling, ``p ← p · (p moved 2ᵏ places along the axis, ones
    before)``, log₂ n whole-array products of the table's rows: so the derivative is the
    exact polynomial one, at zeros and to every order (∂out[k]/∂x[j] is the product of the
    x[i], i ≤ k, i ≠ j), with no division and no value-dependent masks to go stale on
    replay. JAX agrees (its cumprod is a scan of multiplications, differentiated exactly);
    autograd defines no derivative for cumprod; the quotient ``revcumsum(ḡ·out)/x`` gives
    nan at zeros (PyTorch's ``cumprod_backward`` special-cases them). The values equal
    ``np.cumprod``'s up to rounding (the products are grouped differently).
    """
    if axis is None:
        x = T.reshape(x, (-1,))
        axis = -1
    nd = T.ndim(x)
    if nd == 0:
        raise ValueError(f"cumprod: axis {axis} is out of bounds for a scalar")
    ax = T._neg_axis(operator.index(axis), nd)
    n = T._shape_of(x)[ax]
    d = 1
    while d < n:  # x[k] now holds the product over the 2d places ending at k
        x = T.multiply(x, _shift(x, d, ax, 1.0))
        d *= 2
    return x


# ----- the nan-reductions ------------------------------------------------------------------------


def _count(nan: Any, axis: Axis, keepdims: bool) -> Any:
    """The number of non-nan entries over ``axis`` (recorded: a replay recounts)."""
    return T.sum(T.where(nan, 0.0, 1.0), axis=axis, keepdims=keepdims)


@overload
def nansum(x: Var, axis: Axis = None, keepdims: bool = False) -> Var: ...
@overload
def nansum(x: Dual, axis: Axis = None, keepdims: bool = False) -> Dual: ...
@overload
def nansum(x: Value, axis: Axis = None, keepdims: bool = False) -> Value: ...
def nansum(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Sum over ``axis`` treating nan as 0, like ``np.nansum``; nan entries get gradient 0."""
    return T.sum(T.where(_isnan(x), 0.0, x), axis=axis, keepdims=keepdims)


@overload
def nanmean(x: Var, axis: Axis = None, keepdims: bool = False) -> Var: ...
@overload
def nanmean(x: Dual, axis: Axis = None, keepdims: bool = False) -> Dual: ...
@overload
def nanmean(x: Value, axis: Axis = None, keepdims: bool = False) -> Value: ...
def nanmean(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Mean of the non-nan entries over ``axis``, like ``np.nanmean``; nan entries get
    gradient 0. A slice of nan alone gives nan (0/0), as NumPy's does."""
    nan = _isnan(x)
    total = T.sum(T.where(nan, 0.0, x), axis=axis, keepdims=keepdims)
    return T.divide(total, _count(nan, axis, keepdims))


def _nanvar(x: Any, axis: Axis, ddof: float, keepdims: bool) -> Any:
    nan = _isnan(x)
    count = _count(nan, axis, True)
    mean = T.divide(T.sum(T.where(nan, 0.0, x), axis=axis, keepdims=True), count)
    sq = T.sum(T.square(T.where(nan, 0.0, x - mean)), axis=axis, keepdims=keepdims)
    dof = _count(nan, axis, keepdims) - ddof
    bad = T.compare(T.LESS_EQUAL, dof, 0.0)  # NumPy: nan where the degrees of freedom <= 0
    return T.where(bad, np.nan, T.divide(sq, T.where(bad, 1.0, dof)))


@overload
def nanvar(x: Var, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Var: ...
@overload
def nanvar(x: Dual, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Dual: ...
@overload
def nanvar(x: Value, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Value: ...
def nanvar(x: Any, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Any:
    """Variance of the non-nan entries over ``axis``, like ``np.nanvar`` (``ddof`` delta
    degrees of freedom). nan entries get gradient 0; where the non-nan count minus ``ddof``
    is ≤ 0 the result is nan, as NumPy's, with gradient 0."""
    return _nanvar(x, axis, ddof, keepdims)


@overload
def nanstd(x: Var, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Var: ...
@overload
def nanstd(x: Dual, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Dual: ...
@overload
def nanstd(x: Value, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Value: ...
def nanstd(x: Any, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Any:
    """Standard deviation of the non-nan entries over ``axis``, like ``np.nanstd``. nan
    entries get gradient 0; where the variance is 0 the derivative is 0 (as ``tp.std``)."""
    v = _nanvar(x, axis, ddof, keepdims)
    zero = T.compare(T.EQUAL, v, 0.0)
    return T.where(zero, 0.0, T.sqrt(T.where(zero, 1.0, v)))


def _nan_extremum(x: Any, axis: Axis, keepdims: bool, fill: float, red: Any) -> Any:
    nan = _isnan(x)
    out = red(T.where(nan, fill, x), axis=axis, keepdims=keepdims)
    empty = T.compare(T.EQUAL, _count(nan, axis, keepdims), 0.0)
    return T.where(empty, np.nan, out)


@overload
def nanmax(x: Var, axis: Axis = None, keepdims: bool = False) -> Var: ...
@overload
def nanmax(x: Dual, axis: Axis = None, keepdims: bool = False) -> Dual: ...
@overload
def nanmax(x: Value, axis: Axis = None, keepdims: bool = False) -> Value: ...
def nanmax(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Maximum of the non-nan entries over ``axis``, like ``np.nanmax``: nan entries get
    gradient 0, tied maxima share it (as ``tp.max``), a slice of nan alone gives nan."""
    return _nan_extremum(x, axis, keepdims, -np.inf, T.max)


@overload
def nanmin(x: Var, axis: Axis = None, keepdims: bool = False) -> Var: ...
@overload
def nanmin(x: Dual, axis: Axis = None, keepdims: bool = False) -> Dual: ...
@overload
def nanmin(x: Value, axis: Axis = None, keepdims: bool = False) -> Value: ...
def nanmin(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Minimum of the non-nan entries over ``axis``, like ``np.nanmin``: nan entries get
    gradient 0, tied minima share it (as ``tp.min``), a slice of nan alone gives nan."""
    return _nan_extremum(x, axis, keepdims, np.inf, T.min)


# ----- average, ptp ------------------------------------------------------------------------------


@overload
def average(
    a: Var,
    axis: Axis = None,
    weights: Var | Value | None = None,
    returned: Literal[False] = False,
    *,
    keepdims: bool = False,
) -> Var: ...
@overload
def average(
    a: Value,
    axis: Axis = None,
    *,
    weights: Var,
    returned: Literal[False] = False,
    keepdims: bool = False,
) -> Var: ...
@overload
def average(
    a: Dual,
    axis: Axis = None,
    weights: Dual | Value | None = None,
    returned: Literal[False] = False,
    *,
    keepdims: bool = False,
) -> Dual: ...
@overload
def average(
    a: Value,
    axis: Axis = None,
    weights: Value | None = None,
    returned: Literal[False] = False,
    *,
    keepdims: bool = False,
) -> Value: ...
@overload
def average(
    a: Var | Dual | Value,
    axis: Axis = None,
    weights: Var | Dual | Value | None = None,
    *,
    returned: Literal[True],
    keepdims: bool = False,
) -> tuple[Any, Any]: ...
def average(
    a: Any,
    axis: Axis = None,
    weights: Any = None,
    returned: bool = False,
    *,
    keepdims: bool = False,
) -> Any:
    """Weighted average over ``axis``, like ``np.average``: Σ a·w / Σ w, differentiable in
    ``a`` and in ``weights``. ``weights`` has the shape of ``a``, or (with ``axis`` given)
    the lengths of ``a`` along ``axis``, in that order. With ``returned=True`` the result is
    ``(average, sum of weights)``, the sum broadcast to the average's shape.

    Weights summing to zero raise ``ZeroDivisionError``, as NumPy's; the test is kept as a
    guard, so a compiled tape replayed where they sum to zero raises ``TapeInvalidated``.
    """
    nd = T.ndim(a)
    shape = T._shape_of(a)
    axes = _axes(axis, nd, "average")
    if weights is None:
        avg = T.mean(a, axis=T.norm_axis(axes, nd), keepdims=keepdims)
        if not returned:
            return avg
        count = float(math.prod(shape[i] for i in axes))
        return avg, np.full(T._shape_of(avg), count)
    w = weights if unwrap(weights) is not weights else np.asarray(weights, dtype=np.float64)
    ws = T._shape_of(w)
    if ws != shape:
        if axis is None:
            raise TypeError("average: axis must be given when a and weights differ in shape")
        given = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
        given_n = tuple(operator.index(g) % builtins.max(nd, 1) for g in given)
        if ws != tuple(shape[g] for g in given_n):
            raise ValueError(
                f"average: weights of shape {ws} do not match a {shape} along axis {axis}: "
                f"they need shape {tuple(shape[g] for g in given_n)} (or a's shape)"
            )
        order = [int(i) for i in np.argsort(given_n)]
        if order != list(range(len(order))):
            w = T.transpose(w, order)
        w = T.reshape(w, _kept(shape, tuple(i for i in range(nd) if i not in axes)))
    red = T.norm_axis(axes, nd)
    scl = T.sum(w, axis=red, keepdims=keepdims)
    if T.leave(T.compare(T.EQUAL, scl, 0.0), "any"):
        raise ZeroDivisionError("average: the weights sum to zero, so they cannot be normalized")
    avg = T.divide(T.sum(T.multiply(a, w), axis=red, keepdims=keepdims), scl)
    if not returned:
        return avg
    if T._shape_of(scl) != T._shape_of(avg):
        scl = T.broadcast_to(scl, T._shape_of(avg))
    return avg, scl


@overload
def ptp(x: Var, axis: Axis = None, keepdims: bool = False) -> Var: ...
@overload
def ptp(x: Dual, axis: Axis = None, keepdims: bool = False) -> Dual: ...
@overload
def ptp(x: Value, axis: Axis = None, keepdims: bool = False) -> Value: ...
def ptp(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Peak to peak, max − min over ``axis``, like ``np.ptp`` (tied extremes share the
    gradient, as ``tp.max`` and ``tp.min``)."""
    red = T.norm_axis(_axes(axis, T.ndim(x), "ptp"), T.ndim(x))
    return T.max(x, axis=red, keepdims=keepdims) - T.min(x, axis=red, keepdims=keepdims)


# ----- order statistics: median, quantile, percentile ---------------------------------------------


def _order_statistics(x: Any, axis: Axis, ranks: npt.NDArray[np.intp], what: str) -> Any:
    """The elements of rank ``ranks`` (sorted order along the reduced axes): shape
    (other axes..., len(ranks)), and whether each slice holds a nan (NumPy's answer is
    then nan). The order is ``argsort(kind="stable")`` of the values, kept as a guard."""
    axes = _axes(axis, T.ndim(x), what)
    moved = _to_last(x, axes)
    n = T._shape_of(moved)[-1]
    if n == 0:
        raise ValueError(f"{what} of an empty array (or an empty slice along axis {axis})")
    order = T.leave(moved, "argsort", axis=-1, kind="stable")
    picked = T.take_along_axis(moved, order[..., ranks], -1)
    last = T.take_along_axis(moved, order[..., -1:], -1)  # nan sorts last
    return picked, _isnan(last), axes


def _finish(r: Any, x: Any, axes: tuple[int, ...], keepdims: bool, lead: tuple[int, ...]) -> Any:
    """(other axes..., k) → NumPy's result shape: ``lead`` (q's shape) then the other axes
    (with the reduced ones kept as 1 under ``keepdims``)."""
    shape = T._shape_of(x)
    tail = _kept(shape, axes) if keepdims else _rest(shape, axes)
    nd = T.ndim(r)
    if lead:
        r = T.transpose(r, [nd - 1, *range(nd - 1)])
    return T.reshape(r, (*lead, *tail))


@overload
def median(x: Var, axis: Axis = None, keepdims: bool = False) -> Var: ...
@overload
def median(x: Dual, axis: Axis = None, keepdims: bool = False) -> Dual: ...
@overload
def median(x: Value, axis: Axis = None, keepdims: bool = False) -> Value: ...
def median(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Median over ``axis`` (all axes by default; a tuple of axes is flattened), like
    ``np.median``: the middle element of the sorted values, or the mean of the two middle
    ones for an even count.

    The gradient goes to that element (a one-hot), or ½ to each of the two. Among tied
    values it goes to the one a stable argsort puts at that rank (ties ranked in array
    order), not shared as ``tp.max`` shares it.
    A slice holding a nan gives nan, as in NumPy, with gradient 0. The sort order leaves the
    tape as a guard: a compiled tape replayed where the order differs raises
    ``TapeInvalidated``.
    """
    axes = _axes(axis, T.ndim(x), "median")
    n = math.prod(T._shape_of(x)[a] for a in axes)
    ranks = np.array([n // 2] if n % 2 else [n // 2 - 1, n // 2], dtype=np.intp)
    picked, nan, axes = _order_statistics(x, axis, ranks, "median")
    m = T.mean(picked, axis=-1, keepdims=True)
    m = T.where(nan, np.nan, m)
    return _finish(T.reshape(m, T._shape_of(m)[:-1]), x, axes, keepdims, ())


def _quantile(
    x: Any, q: Any, axis: Axis, keepdims: bool, method: str, what: str, scale: float
) -> Any:
    if method != "linear":
        raise ValueError(
            f"{what}: method={method!r} is not supported; tape implements NumPy's default, 'linear'"
        )
    if unwrap(q) is not q:
        raise TypeError(f"{what}: q must be plain numbers (no derivative flows into q)")
    qa = np.true_divide(np.asarray(q, dtype=np.float64), scale)
    if not (np.all(qa >= 0) and np.all(qa <= 1)):
        raise ValueError(f"{what}: q must lie in [0, {scale:g}], not {q!r}")
    axes = _axes(axis, T.ndim(x), what)
    n = math.prod(T._shape_of(x)[a] for a in axes)
    qs = qa.reshape(-1)
    virtual = (n - 1) * qs  # NumPy's 'linear' virtual index
    below = np.floor(virtual)
    gamma = virtual - below
    prev = below.astype(np.intp)
    nxt = prev + 1
    top = virtual >= n - 1
    prev[top] = nxt[top] = n - 1
    m = qs.size
    picked, nan, axes = _order_statistics(
        x, axis, np.concatenate([prev, nxt]).astype(np.intp), what
    )
    lo = T.getitem(picked, (Ellipsis, slice(0, m)))
    hi = T.getitem(picked, (Ellipsis, slice(m, 2 * m)))
    diff = hi - lo  # NumPy's _lerp, for equal values
    r = T.where(gamma >= 0.5, hi - diff * (1.0 - gamma), lo + diff * gamma)
    r = T.where(nan, np.nan, r)
    return _finish(r, x, axes, keepdims, qa.shape)


@overload
def quantile(
    x: Var, q: npt.ArrayLike, axis: Axis = None, keepdims: bool = False, method: str = "linear"
) -> Var: ...
@overload
def quantile(
    x: Dual, q: npt.ArrayLike, axis: Axis = None, keepdims: bool = False, method: str = "linear"
) -> Dual: ...
@overload
def quantile(
    x: Value, q: npt.ArrayLike, axis: Axis = None, keepdims: bool = False, method: str = "linear"
) -> Value: ...
def quantile(
    x: Any, q: npt.ArrayLike, axis: Axis = None, keepdims: bool = False, method: str = "linear"
) -> Any:
    """The ``q``-th quantiles (``q`` in [0, 1], a number or an array: its shape leads the
    result's) over ``axis``, like ``np.quantile`` with its default ``method="linear"``: at
    the virtual index i = q·(n − 1) of the sorted values, the interpolation
    ``s[⌊i⌋] + (s[⌊i⌋+1] − s[⌊i⌋])·(i − ⌊i⌋)``.

    The gradient flows to the one or two order statistics by their interpolation weights,
    1 − (i − ⌊i⌋) and i − ⌊i⌋; among tied values, to the one a stable argsort puts at that
    rank (ties ranked in array order). A slice holding a nan gives nan (gradient 0), as in
    NumPy. No derivative flows into ``q``. The sort order leaves the tape as a guard: a
    compiled tape replayed where the order differs raises ``TapeInvalidated``.
    """
    return _quantile(x, q, axis, keepdims, method, "quantile", 1.0)


@overload
def percentile(
    x: Var, q: npt.ArrayLike, axis: Axis = None, keepdims: bool = False, method: str = "linear"
) -> Var: ...
@overload
def percentile(
    x: Dual, q: npt.ArrayLike, axis: Axis = None, keepdims: bool = False, method: str = "linear"
) -> Dual: ...
@overload
def percentile(
    x: Value, q: npt.ArrayLike, axis: Axis = None, keepdims: bool = False, method: str = "linear"
) -> Value: ...
def percentile(
    x: Any, q: npt.ArrayLike, axis: Axis = None, keepdims: bool = False, method: str = "linear"
) -> Any:
    """The ``q``-th percentiles (``q`` in [0, 100]), like ``np.percentile``: ``quantile``
    at q / 100, with the same gradient (see ``tp.quantile``)."""
    return _quantile(x, q, axis, keepdims, method, "percentile", 100.0)


# ----- NumPy's signatures ----------------------------------------------------------------------


def _np_cumprod(a: Any, axis: int | None = None, dtype: None = None, out: None = None) -> Any:
    _no_out("np.cumprod", dtype=dtype, out=out)
    return cumprod(a, axis)


def _np_nan(f: Callable[..., Any], name: str) -> Callable[..., Any]:
    def g(
        a: Any, axis: Axis = None, dtype: None = None, out: None = None, keepdims: bool = False
    ) -> Any:
        _no_out(name, dtype=dtype, out=out)
        return f(a, axis=axis, keepdims=keepdims)

    return g


def _np_nan_extremum(f: Callable[..., Any], name: str) -> Callable[..., Any]:
    def g(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False) -> Any:
        _no_out(name, out=out)
        return f(a, axis=axis, keepdims=keepdims)

    return g


def _np_nanvar(f: Callable[..., Any], name: str) -> Callable[..., Any]:
    def g(
        a: Any,
        axis: Axis = None,
        dtype: None = None,
        out: None = None,
        ddof: float = 0,
        keepdims: bool = False,
    ) -> Any:
        _no_out(name, dtype=dtype, out=out)
        return f(a, axis=axis, ddof=ddof, keepdims=keepdims)

    return g


def _np_ptp(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False) -> Any:
    _no_out("np.ptp", out=out)
    return ptp(a, axis, keepdims)


def _np_median(
    a: Any,
    axis: Axis = None,
    out: None = None,
    overwrite_input: bool = False,
    keepdims: bool = False,
) -> Any:
    _no_out("np.median", out=out)
    return median(a, axis, keepdims)


def _np_quantile(f: Callable[..., Any], name: str) -> Callable[..., Any]:
    def g(
        a: Any,
        q: Any,
        axis: Axis = None,
        out: None = None,
        overwrite_input: bool = False,
        method: str = "linear",
        keepdims: bool = False,
        *,
        weights: None = None,
    ) -> Any:
        _no_out(name, out=out, weights=weights)
        return f(a, q, axis, keepdims, method)

    return g


NUMPY: dict[Callable[..., Any], Callable[..., Any]] = {
    np.cumprod: _np_cumprod,
    np.nansum: _np_nan(nansum, "np.nansum"),
    np.nanmean: _np_nan(nanmean, "np.nanmean"),
    np.nanvar: _np_nanvar(nanvar, "np.nanvar"),
    np.nanstd: _np_nanvar(nanstd, "np.nanstd"),
    np.nanmax: _np_nan_extremum(nanmax, "np.nanmax"),
    np.nanmin: _np_nan_extremum(nanmin, "np.nanmin"),
    np.average: average,
    np.ptp: _np_ptp,
    np.median: _np_median,
    np.quantile: _np_quantile(quantile, "np.quantile"),
    np.percentile: _np_quantile(percentile, "np.percentile"),
}
"""NumPy functions this module differentiates: called on a Var or Dual, each reaches the
function here (see ``_numpy``)."""

PLAIN: dict[Callable[..., Any], Callable[..., Any]] = {}
"""NumPy functions this module serves without a derivative (indices, truth values)."""
