"""The operators, methods and NumPy protocols that `Var` and `Dual` share.

Both value types behave like NumPy arrays of floats; every operator and method reaches the
primitive table through ``bind``, which decides by its inputs whether to record on a tape,
carry a tangent, or just compute.

The methods are ndarray's, with NumPy's signatures. Differentiable ones return the
receiver's kind (``Self``). Those whose results have no derivative (``argmax``, ``argsort``,
``nonzero``, ``all``/``any``, ``item``, ``tolist``) return plain values, kept as guard
records while a tape records so that a replay checks them. Methods that write in place or
expose memory (``fill``, ``sort``, ``resize``, ``view``, ``flags``...) raise, naming what to
use instead; ``out=`` is refused everywhere, since a value is immutable.
"""

# bind's result follows its inputs' kind; on a Var or a Dual it is that same kind (Self).
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    NoReturn,
    Self,
    SupportsIndex,
    TypeAlias,
    cast,
    overload,
)

import numpy as np
import numpy.typing as npt

from . import _numpy as N
from . import _products as Pr
from . import _stats as S
from . import _table as P
from ._core import bind
from ._rows import Array, Axis, Index

if TYPE_CHECKING:
    from ._dual import Dual
    from ._var import Var

Operand: TypeAlias = "Var | Dual | float | Array"
Order: TypeAlias = Literal["C", "F", "A", "K"]  # NumPy's; tape values take "C" and "F"
Nested: TypeAlias = "float | list[Nested]"  # what ``tolist`` gives: floats in nested lists


_SERIALISE = (
    "serialising writes the plain values out, which leaves the tape; call v.value.{0}(...)."
)
_MEMORY = (
    "memory layout is not part of a tape value (a tape may share it); use v.value.{0} of "
    "the plain array."
)


def _refused(v: object, name: str, why: str) -> str:
    """The message for an ndarray method or attribute that tape values refuse (``why`` may
    name the value's kind as ``{kind}``)."""
    kind = type(v).__name__
    return f"ndarray.{name} is not supported on tape {kind}s: {why.format(kind=kind)}"


def _refusal(name: str, why: str, reason: str) -> Callable[..., NoReturn]:
    """An ndarray method that tape values refuse: it raises ``TypeError`` saying ``why``
    and what to use instead."""

    def refused(self: object, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError(_refused(self, name, why))

    refused.__name__ = refused.__qualname__ = name
    refused.__doc__ = f"Not supported: raises ``TypeError`` ({reason})."
    return refused


class Operators:
    """Arithmetic, comparisons, reductions, shape methods and NumPy protocols."""

    __slots__ = ()
    __array_priority__ = 1000.0

    @property
    def shape(self) -> tuple[int, ...]:
        """The value's shape (``()`` for a scalar)."""
        return np.shape(P.plain(self))

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """The number of elements."""
        return int(np.prod(self.shape))

    @property
    def dtype(self) -> np.dtype[Any]:
        """The value's dtype (float64 for Python floats)."""
        return P.dtype_of(self)

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError(f"len() of a scalar {type(self).__name__}")
        return shape[0]

    def __iter__(self) -> Iterator[Self]:
        for i in range(len(self)):
            yield self[i]

    def __hash__(self) -> int:
        return id(self)

    # Values that leave the tape for Python: while a tape records, each is kept as a guard,
    # so a replay at inputs where it comes out differently raises instead of going wrong.
    def __bool__(self) -> bool:
        return bool(P.guard(self, "bool"))

    def __float__(self) -> float:
        return float(P.guard(self, "float"))

    def __int__(self) -> int:
        return int(P.guard(self, "int"))

    def __index__(self) -> int:
        raise TypeError("a Var cannot be used as an index; use int(v) to leave the tape")

    def __array__(self, dtype: object = None, copy: object = None) -> Array:
        kind = type(self).__name__
        raise TypeError(
            f"a {kind} was converted to a NumPy array, which would drop its derivative. "
            f"This happens when NumPy is handed a list or tuple holding {kind}s "
            f"(np.array([v1, v2]), np.mean([v1, v2]), np.r_[v1, v2]): NumPy converts the list "
            f"before tape can see it. Stack them first, tp.array([v1, v2]) (or tp.stack, "
            f"tp.concatenate), and call the function on the result. Otherwise use tp.* "
            f"functions or the NumPy functions tape supports (tp.SUPPORTED_NUMPY), or "
            f"v.value to leave the tape on purpose."
        )

    # ----- operators ---------------------------------------------------------------------

    def __add__(self, other: Operand) -> Self:
        return bind(P.ADD, self, other)

    def __radd__(self, other: Operand) -> Self:
        return bind(P.ADD, other, self)

    def __sub__(self, other: Operand) -> Self:
        return bind(P.SUB, self, other)

    def __rsub__(self, other: Operand) -> Self:
        return bind(P.SUB, other, self)

    def __mul__(self, other: Operand) -> Self:
        return bind(P.MUL, self, other)

    def __rmul__(self, other: Operand) -> Self:
        return bind(P.MUL, other, self)

    def __truediv__(self, other: Operand) -> Self:
        return bind(P.DIV, self, other)

    def __rtruediv__(self, other: Operand) -> Self:
        return bind(P.DIV, other, self)

    def __mod__(self, other: Operand) -> Self:
        """``self % other``: ``np.remainder`` (the divisor's sign, as Python's ``%``)."""
        return bind(P.REMAINDER, self, other)

    def __rmod__(self, other: Operand) -> Self:
        return bind(P.REMAINDER, other, self)

    def __floordiv__(self, other: Operand) -> Self:
        """``self // other``: floor(self / other), a step function (derivative 0)."""
        return bind(P.FLOOR, bind(P.DIV, self, other))

    def __rfloordiv__(self, other: Operand) -> Self:
        return bind(P.FLOOR, bind(P.DIV, other, self))

    def __divmod__(self, other: Operand) -> tuple[Self, Self]:
        return self // other, self % other

    def __rdivmod__(self, other: Operand) -> tuple[Self, Self]:
        return self.__rfloordiv__(other), self.__rmod__(other)

    def __pow__(self, other: Operand) -> Self:
        return bind(P.POW, self, other)

    def __rpow__(self, other: Operand) -> Self:
        return bind(P.POW, other, self)

    def __matmul__(self, other: Var | Array) -> Self:
        return bind(P.MATMUL, self, other)

    def __rmatmul__(self, other: Var | Array) -> Self:
        return bind(P.MATMUL, other, self)

    def __neg__(self) -> Self:
        return bind(P.NEG, self)

    def __pos__(self) -> Self:
        return self

    def __abs__(self) -> Self:
        return bind(P.ABS, self)

    def __and__(self, other: Operand | bool) -> Any:
        return P.compare(P.LOGICAL_AND, self, other)

    def __or__(self, other: Operand | bool) -> Any:
        return P.compare(P.LOGICAL_OR, self, other)

    def __rand__(self, other: Operand | bool) -> Any:
        return P.compare(P.LOGICAL_AND, other, self)

    def __ror__(self, other: Operand | bool) -> Any:
        return P.compare(P.LOGICAL_OR, other, self)

    def __invert__(self) -> Any:
        return P.compare(P.LOGICAL_NOT, self)

    def __getitem__(self, index: Index) -> Self:
        return bind(P.GETITEM, self, index=P.check_index(index))

    # Comparisons have no derivative: they give plain booleans (arrays, or bool for scalars).
    def __lt__(self, other: Operand) -> Any:
        return P.compare(P.LESS, self, other)

    def __le__(self, other: Operand) -> Any:
        return P.compare(P.LESS_EQUAL, self, other)

    def __gt__(self, other: Operand) -> Any:
        return P.compare(P.GREATER, self, other)

    def __ge__(self, other: Operand) -> Any:
        return P.compare(P.GREATER_EQUAL, self, other)

    def __eq__(self, other: object) -> Any:
        return P.compare(P.EQUAL, self, other)

    def __ne__(self, other: object) -> Any:
        return P.compare(P.NOT_EQUAL, self, other)

    # ----- methods: NumPy's names and signatures ----------------------------------------
    # Differentiable results are of the receiver's kind (Self); indices, truth values and
    # contents are plain values that leave the tape (a guard record while a tape records).
    # ``out=`` must be None: a Var's value is immutable, so results are always new.

    def _floats(self, name: str, dtype: npt.DTypeLike | None, out: object) -> Any:
        """The receiver as floats for a reduction: cast to ``dtype``; a mask to 1.0/0.0."""
        v = P.plain(self)
        if dtype is None and out is None and type(v) is np.ndarray and v.dtype.kind == "f":
            return self  # (the common case first: a float array)
        _no_out(name, out)
        if dtype is not None:
            return P.astype(cast(Any, self), dtype)
        if type(v) is bool or (type(v) is np.ndarray and v.dtype == np.bool_):
            return P.astype(cast(Any, self), np.float64)
        return self

    def sum(
        self,
        axis: Axis = None,
        dtype: npt.DTypeLike | None = None,
        out: None = None,
        keepdims: bool = False,
    ) -> Self:
        """Sum over ``axis`` (all axes by default); see ``tp.sum``."""
        x = self._floats("sum", dtype, out)
        return bind(P.SUM, x, axis=P.norm_axis(axis, P.ndim(x)), keepdims=keepdims)

    def mean(
        self,
        axis: Axis = None,
        dtype: npt.DTypeLike | None = None,
        out: None = None,
        keepdims: bool = False,
    ) -> Self:
        """Mean over ``axis``; see ``tp.mean``."""
        x = self._floats("mean", dtype, out)
        return bind(P.MEAN, x, axis=P.norm_axis(axis, P.ndim(x)), keepdims=keepdims)

    def max(self, axis: Axis = None, out: None = None, keepdims: bool = False) -> Self:
        """Maximum over ``axis``; ties share the gradient equally. See ``tp.max``."""
        x = self._floats("max", None, out)
        return bind(P.MAX, x, axis=P.norm_axis(axis, P.ndim(x)), keepdims=keepdims)

    def min(self, axis: Axis = None, out: None = None, keepdims: bool = False) -> Self:
        """Minimum over ``axis``; ties share the gradient equally. See ``tp.min``."""
        x = self._floats("min", None, out)
        return bind(P.MIN, x, axis=P.norm_axis(axis, P.ndim(x)), keepdims=keepdims)

    def prod(
        self,
        axis: Axis = None,
        dtype: npt.DTypeLike | None = None,
        out: None = None,
        keepdims: bool = False,
    ) -> Self:
        """Product over ``axis``; exact derivative at zeros. See ``tp.prod``."""
        x = self._floats("prod", dtype, out)
        return bind(P.PROD, x, axis=P.norm_axis(axis, P.ndim(x)), keepdims=keepdims)

    def var(
        self,
        axis: Axis = None,
        dtype: npt.DTypeLike | None = None,
        out: None = None,
        ddof: float = 0,
        keepdims: bool = False,
        *,
        correction: float | None = None,
    ) -> Self:
        """Variance over ``axis`` with ``ddof`` (or ``correction``) delta degrees of freedom;
        see ``tp.var``."""
        x = self._floats("var", dtype, out)
        return P.var(x, axis=axis, ddof=_ddof(ddof, correction), keepdims=keepdims)

    def std(
        self,
        axis: Axis = None,
        dtype: npt.DTypeLike | None = None,
        out: None = None,
        ddof: float = 0,
        keepdims: bool = False,
        *,
        correction: float | None = None,
    ) -> Self:
        """Standard deviation over ``axis``; its derivative where it is 0 (one element, all
        equal) is 0. See ``tp.std``."""
        x = self._floats("std", dtype, out)
        return P.std(x, axis=axis, ddof=_ddof(ddof, correction), keepdims=keepdims)

    def cumsum(
        self,
        axis: SupportsIndex | None = None,
        dtype: npt.DTypeLike | None = None,
        out: None = None,
    ) -> Self:
        """Running sum along ``axis`` (of the flattened values by default), like
        ``np.cumsum``; the VJP is the running sum from the other end."""
        x = self._floats("cumsum", dtype, out)
        return P.cumsum(x, None if axis is None else operator.index(axis))

    def cumprod(
        self,
        axis: SupportsIndex | None = None,
        dtype: npt.DTypeLike | None = None,
        out: None = None,
    ) -> Self:
        """Running product along ``axis`` (of the flattened values by default), like
        ``np.cumprod``; exact at zeros, to every order. See ``tp.cumprod``."""
        x = self._floats("cumprod", dtype, out)
        return S.cumprod(x, None if axis is None else operator.index(axis))

    def clip(
        self,
        min: float | None = None,  # NumPy's parameter names
        max: float | None = None,
        out: None = None,
    ) -> Self:
        """Limit values to ``[min, max]``; the gradient passes where ``min <= v <= max``
        (bounds included). See ``tp.clip``."""
        _no_out("clip", out)
        if min is None and max is None:
            raise ValueError("ndarray.clip: one of max or min must be given")
        this: Any = self
        return P.clip(this, min, max)

    def round(self, decimals: SupportsIndex = 0, out: None = None) -> Self:
        """Round to ``decimals`` places, like NumPy (halves to even); zero gradient."""
        _no_out("round", out)
        return bind(P.ROUND, self, decimals=operator.index(decimals))

    def dot(self, b: Operand, out: None = None) -> Self:
        """``np.dot(v, b)`` for any ranks. See ``tp.dot``."""
        _no_out("dot", out)
        this: Any = self
        return Pr.dot(this, cast(Any, b))

    # ----- shapes ------------------------------------------------------------------------

    def reshape(
        self,
        *shape: SupportsIndex | Sequence[SupportsIndex],
        order: Order = "C",
        copy: bool | None = None,
    ) -> Self:
        """The same values in a new shape: ``v.reshape(2, 3)``, ``v.reshape((2, 3))``,
        ``v.reshape(-1)``; ``order="F"`` reads and writes in Fortran order."""
        if not shape:
            raise TypeError("ndarray.reshape needs a shape: v.reshape(2, 3) or v.reshape((2, 3))")
        first = shape[0]
        if len(shape) == 1 and not isinstance(first, SupportsIndex):
            new = tuple(operator.index(n) for n in first)
        else:
            new = tuple(operator.index(n) for n in cast("tuple[SupportsIndex, ...]", shape))
        this: Any = self
        if _fortran("reshape", order):
            out = P.transpose(P.reshape(P.transpose(this), new[::-1]))
        else:
            out = P.reshape(this, new)
        return P.copy(cast(Any, out)) if copy and out is self else out

    @property
    def T(self) -> Self:
        """The transpose (axes reversed)."""
        this: Any = self
        return P.transpose(this)

    @property
    def mT(self) -> Self:
        """The matrix transpose: the last two axes swapped."""
        if self.ndim < 2:
            raise ValueError("matrix transpose with ndim < 2 is undefined")
        this: Any = self
        return P.swapaxes(this, -1, -2)

    def transpose(self, *axes: SupportsIndex | Sequence[SupportsIndex] | None) -> Self:
        """Permute the axes: ``v.transpose(2, 0, 1)``, ``v.transpose((2, 0, 1))``, or
        reversed when none are given."""
        this: Any = self
        if len(axes) == 1 and not isinstance(axes[0], SupportsIndex):
            perm = axes[0]
            return P.transpose(this, None if perm is None else [operator.index(a) for a in perm])
        if not axes:
            return P.transpose(this)
        return P.transpose(this, [operator.index(cast(SupportsIndex, a)) for a in axes])

    def swapaxes(self, axis1: SupportsIndex, axis2: SupportsIndex) -> Self:
        """Exchange two axes, like ``np.swapaxes``."""
        this: Any = self
        n = self.ndim
        return P.swapaxes(
            this, P._norm_ax(operator.index(axis1), n), P._norm_ax(operator.index(axis2), n)
        )

    def squeeze(self, axis: SupportsIndex | tuple[SupportsIndex, ...] | None = None) -> Self:
        """Remove axes of length 1 (all of them, or those at ``axis``)."""
        this: Any = self
        if axis is not None:
            axis = (
                tuple(operator.index(a) for a in axis)
                if isinstance(axis, tuple)
                else operator.index(axis)
            )
        return P.squeeze(this, axis)

    def ravel(self, order: Order = "C") -> Self:
        """The values as one axis (``order="F"``: column by column)."""
        this: Any = self
        if _fortran("ravel", order):
            this = P.transpose(this)
        return P.reshape(this, (-1,))

    def flatten(self, order: Order = "C") -> Self:
        """The values as one axis, as a new value (a copy, as NumPy's ``flatten``)."""
        out = self.ravel(order)
        return P.copy(cast(Any, out)) if out is self else out

    @property
    def flat(self) -> Self:
        """The values as one axis (``v.flat[i]``, iteration); a Var, not an iterator."""
        return self.ravel()

    def copy(self, order: str = "C") -> Self:
        """A new value with the same contents (recorded, so the gradient flows through it)."""
        if order not in ("C", "F", "A", "K"):
            raise ValueError(
                f"ndarray.copy: order must be one of 'C', 'F', 'A', 'K', not {order!r}"
            )
        return P.copy(cast(Any, self))

    def astype(
        self,
        dtype: npt.DTypeLike,
        order: str = "K",
        casting: Literal["no", "equiv", "safe", "same_kind", "unsafe"] = "unsafe",
        subok: bool = True,
        copy: bool = True,
    ) -> Self:
        """Cast to a floating-point dtype (float64 ↔ float32): differentiable, the cotangent
        is cast back to this dtype. A mask (``v > 0``) casts to 1.0/0.0 with no derivative.
        Integer and boolean dtypes raise ``TypeError`` (they have no derivative); use
        ``v.round()`` or ``v.value.astype(...)``."""
        dt = np.dtype(dtype)
        src = self.dtype
        if not np.can_cast(src, dt, casting=casting):
            raise TypeError(f"Cannot cast from {src} to {dt} according to the rule {casting!r}")
        out = P.astype(cast(Any, self), dt)
        return P.copy(cast(Any, out)) if copy and out is self else out

    @property
    def real(self) -> Self:
        """The real part: the value itself (tape's values are real)."""
        return self

    @property
    def imag(self) -> Self:
        """The imaginary part: zeros of this shape and dtype, with no derivative."""
        this: Any = self
        return P.where(False, this, 0.0)

    def conj(self) -> Self:
        """The complex conjugate: the value itself (tape's values are real)."""
        return self

    def conjugate(self) -> Self:
        """The complex conjugate: the value itself (tape's values are real)."""
        return self

    # ----- selections by plain integers (the VJP scatter-adds) --------------------------

    def take(
        self,
        indices: npt.ArrayLike,
        axis: SupportsIndex | None = None,
        out: None = None,
        mode: Literal["raise", "wrap", "clip"] = "raise",
    ) -> Self:
        """Elements at integer ``indices`` along ``axis`` (flattened by default)."""
        _no_out("take", out)
        return P.take(self, indices, None if axis is None else operator.index(axis), mode)

    def repeat(self, repeats: npt.ArrayLike, axis: SupportsIndex | None = None) -> Self:
        """Each element ``repeats`` times along ``axis`` (flattened by default)."""
        return P.repeat(self, repeats, None if axis is None else operator.index(axis))

    def compress(
        self,
        condition: npt.ArrayLike | Operators,
        axis: SupportsIndex | None = None,
        out: None = None,
    ) -> Self:
        """The slices along ``axis`` (flattened by default) where ``condition`` holds."""
        _no_out("compress", out)
        return P.compress(self, condition, None if axis is None else operator.index(axis))

    def diagonal(
        self, offset: SupportsIndex = 0, axis1: SupportsIndex = 0, axis2: SupportsIndex = 1
    ) -> Self:
        """The diagonal of the (``axis1``, ``axis2``) planes, as the last axis."""
        return P.diagonal(
            self, operator.index(offset), operator.index(axis1), operator.index(axis2)
        )

    def trace(
        self,
        offset: SupportsIndex = 0,
        axis1: SupportsIndex = 0,
        axis2: SupportsIndex = 1,
        dtype: npt.DTypeLike | None = None,
        out: None = None,
    ) -> Self:
        """The sum along a diagonal."""
        x = self._floats("trace", dtype, out)
        return P.trace(x, operator.index(offset), operator.index(axis1), operator.index(axis2))

    # ----- values that leave the tape: plain results, kept as guards for replay ---------

    def item(self, *args: SupportsIndex | tuple[SupportsIndex, ...]) -> float:
        """One element as a Python float (a bool for a mask): ``v.item()`` of a one-element
        value, ``v.item(i)`` by flat index, ``v.item(i, j)`` or ``v.item((i, j))`` by index
        per axis. It leaves the tape (a guard for replay)."""
        if not args:
            return P.guard(self, "bool" if P.dtype_of(self) == np.bool_ else "float")
        first = args[0]
        index = first if len(args) == 1 and isinstance(first, tuple) else args
        return P.leave(
            self, "item", index=tuple(operator.index(cast(SupportsIndex, i)) for i in index)
        )

    def tolist(self) -> Nested:
        """The values as (nested lists of) Python floats, as NumPy's ``tolist``. It leaves
        the tape."""
        out = P.leave(self, "tolist")
        return out.tolist() if isinstance(out, np.ndarray) else out

    @overload
    def all(
        self, axis: None = None, out: None = None, keepdims: Literal[False] = False
    ) -> np.bool_: ...
    @overload
    def all(
        self, axis: Axis = None, out: None = None, keepdims: bool = False
    ) -> np.bool_ | npt.NDArray[np.bool_]: ...
    def all(self, axis: Axis = None, out: None = None, keepdims: bool = False) -> Any:
        """Whether every element is true (nonzero), over ``axis``. A plain result: it leaves
        the tape (a guard for replay)."""
        _no_out("all", out)
        return P.leave(self, "all", axis=_axis_literal(axis), keepdims=keepdims)

    @overload
    def any(
        self, axis: None = None, out: None = None, keepdims: Literal[False] = False
    ) -> np.bool_: ...
    @overload
    def any(
        self, axis: Axis = None, out: None = None, keepdims: bool = False
    ) -> np.bool_ | npt.NDArray[np.bool_]: ...
    def any(self, axis: Axis = None, out: None = None, keepdims: bool = False) -> Any:
        """Whether any element is true (nonzero), over ``axis``. A plain result (a guard)."""
        _no_out("any", out)
        return P.leave(self, "any", axis=_axis_literal(axis), keepdims=keepdims)

    @overload
    def argmax(
        self, axis: None = None, out: None = None, *, keepdims: Literal[False] = False
    ) -> np.intp: ...
    @overload
    def argmax(
        self, axis: SupportsIndex | None = None, out: None = None, *, keepdims: bool = False
    ) -> np.intp | npt.NDArray[np.intp]: ...
    def argmax(
        self, axis: SupportsIndex | None = None, out: None = None, *, keepdims: bool = False
    ) -> Any:
        """Index of the maximum (flat, or along ``axis``). A plain result (a guard)."""
        _no_out("argmax", out)
        return P.leave(self, "argmax", axis=_axis_literal(axis), keepdims=keepdims)

    @overload
    def argmin(
        self, axis: None = None, out: None = None, *, keepdims: Literal[False] = False
    ) -> np.intp: ...
    @overload
    def argmin(
        self, axis: SupportsIndex | None = None, out: None = None, *, keepdims: bool = False
    ) -> np.intp | npt.NDArray[np.intp]: ...
    def argmin(
        self, axis: SupportsIndex | None = None, out: None = None, *, keepdims: bool = False
    ) -> Any:
        """Index of the minimum (flat, or along ``axis``). A plain result (a guard)."""
        _no_out("argmin", out)
        return P.leave(self, "argmin", axis=_axis_literal(axis), keepdims=keepdims)

    def argsort(
        self,
        axis: SupportsIndex | None = -1,
        kind: Literal["quicksort", "mergesort", "heapsort", "stable"] | None = None,
        order: None = None,
        *,
        stable: bool | None = None,
    ) -> npt.NDArray[np.intp]:
        """The indices that sort the values along ``axis``. A plain result (a guard); sort
        differentiably with ``np.take_along_axis(v, v.argsort(axis), axis)``."""
        if order is not None:
            raise TypeError(
                "ndarray.argsort(order=...) needs structured fields, which a Var has not"
            )
        return P.leave(self, "argsort", axis=_axis_literal(axis), kind=kind, stable=stable)

    def argpartition(
        self,
        kth: SupportsIndex | Sequence[SupportsIndex],
        axis: SupportsIndex | None = -1,
        kind: Literal["introselect"] = "introselect",
        order: None = None,
    ) -> npt.NDArray[np.intp]:
        """The indices that partition the values around ``kth``. A plain result (a guard)."""
        if order is not None:
            raise TypeError("ndarray.argpartition(order=...) needs structured fields")
        k = operator.index(kth) if isinstance(kth, SupportsIndex) else _axis_literal(tuple(kth))
        return P.leave(self, "argpartition", kth=k, axis=_axis_literal(axis), kind=kind)

    def nonzero(self) -> tuple[npt.NDArray[np.intp], ...]:
        """The indices of the nonzero (true) elements, one array per axis. A plain result
        (a guard)."""
        return tuple(P.leave(self, "nonzero"))

    # ----- attributes of the value -------------------------------------------------------

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of the value's elements."""
        return self.size * self.dtype.itemsize

    @property
    def device(self) -> str:
        """``"cpu"``: values are NumPy arrays."""
        return "cpu"

    def to_device(self, device: str, /, *, stream: int | None = None) -> Self:
        """The value itself on ``"cpu"`` (the only device)."""
        if device != "cpu":
            raise ValueError(f"to_device: tape values live on 'cpu', not {device!r}")
        return self

    # ----- in-place and memory-level ndarray methods: refused, saying what to use --------

    fill = _refusal(
        "fill",
        "it writes into the array, and a {kind}'s value is immutable (a tape may hold it). Make a "
        "new value: tp.Var(np.full(v.shape, x)), or v * 0.0 + x on the tape; or reassign v.value "
        "outside a tape.",
        "a Var's value is immutable",
    )

    sort = _refusal(
        "sort",
        "it sorts in place, and the value is immutable. Sort into a new value, differentiably: "
        "np.sort(v, axis) (tp.sort).",
        "it sorts in place",
    )

    partition = _refusal(
        "partition",
        "it partitions in place, and the value is immutable. Partition into a new value, "
        "differentiably: np.partition(v, kth, axis) (tp.partition).",
        "it partitions in place",
    )

    resize = _refusal(
        "resize",
        "it changes the array (and its size) in place, and the value is immutable. Use "
        "v.reshape(...) for a new shape of the same size, v.repeat(...) or tp.concatenate to grow "
        "it, or np.resize(v.value, ...) to leave the tape.",
        "it resizes in place",
    )

    put = _refusal(
        "put",
        "it writes into the array, and the value is immutable. Replace elements into a new value "
        "with tp.where(mask, new, v) (differentiable in both), or build it with tp.concatenate / "
        "tp.stack.",
        "it writes in place",
    )

    itemset = _refusal(
        "itemset",
        "it writes into the array, and the value is immutable. Use tp.where(mask, new, v) for a "
        "new value.",
        "it writes in place; gone in NumPy 2",
    )

    setfield = _refusal(
        "setfield",
        "it writes raw memory in place; the value is immutable.",
        "it writes raw memory",
    )

    getfield = _refusal(
        "getfield",
        "it reinterprets raw memory, which has no derivative; use v.astype(dtype) for a "
        "differentiable cast, or v.value.getfield(...) to leave the tape.",
        "it reads raw memory",
    )

    setflags = _refusal(
        "setflags",
        "the value stays read-only while a tape may hold it; np.array(v.value) is a writable copy.",
        "a Var's value stays read-only",
    )

    byteswap = _refusal(
        "byteswap",
        "byte order is memory representation, which has no derivative; use v.value.byteswap() to "
        "leave the tape.",
        "byte order has no derivative",
    )

    view = _refusal(
        "view",
        "a view reinterprets the value's memory. Use v.astype(dtype) for a differentiable cast, "
        "v.reshape(...) for a new shape, or v.value.view(...) to leave the tape.",
        "a view reinterprets memory",
    )

    tobytes = _refusal(
        "tobytes",
        _SERIALISE.format("tobytes"),
        "serialise ``v.value``",
    )

    tofile = _refusal(
        "tofile",
        _SERIALISE.format("tofile"),
        "serialise ``v.value``",
    )

    dump = _refusal(
        "dump",
        _SERIALISE.format("dump"),
        "serialise ``v.value``",
    )

    dumps = _refusal(
        "dumps",
        _SERIALISE.format("dumps"),
        "serialise ``v.value``",
    )

    choose = _refusal(
        "choose",
        "the array it is called on holds indices, which have no derivative. Use "
        "tp.where(condition, a, b), or index the stacked choices with plain integers: "
        "tp.stack(choices)[idx, np.arange(n)].",
        "the receiver holds indices",
    )

    searchsorted = _refusal(
        "searchsorted",
        "insertion indices have no derivative; use np.searchsorted(v.value, ...) (plain integers, "
        "usable as indices of v).",
        "insertion indices have no derivative",
    )

    @property
    def base(self) -> NoReturn:
        """Not supported: raises ``AttributeError`` (memory layout is not part of a Var)."""
        raise AttributeError(_refused(self, "base", _MEMORY.format("base")))

    @property
    def ctypes(self) -> NoReturn:
        """Not supported: raises ``AttributeError`` (memory layout is not part of a Var)."""
        raise AttributeError(_refused(self, "ctypes", _MEMORY.format("ctypes")))

    @property
    def data(self) -> NoReturn:
        """Not supported: raises ``AttributeError`` (memory layout is not part of a Var)."""
        raise AttributeError(_refused(self, "data", _MEMORY.format("data")))

    @property
    def flags(self) -> NoReturn:
        """Not supported: raises ``AttributeError`` (memory layout is not part of a Var)."""
        raise AttributeError(_refused(self, "flags", _MEMORY.format("flags")))

    @property
    def strides(self) -> NoReturn:
        """Not supported: raises ``AttributeError`` (memory layout is not part of a Var)."""
        raise AttributeError(_refused(self, "strides", _MEMORY.format("strides")))

    # ----- elementwise shortcuts ----------------------------------------------------------

    def exp(self) -> Self:
        """Elementwise e**v."""
        return bind(P.EXP, self)

    def log(self) -> Self:
        """Elementwise natural logarithm."""
        return bind(P.LOG, self)

    def tanh(self) -> Self:
        """Elementwise hyperbolic tangent."""
        return bind(P.TANH, self)

    def relu(self) -> Self:
        """Elementwise max(v, 0); the gradient at 0 is 0."""
        return bind(P.RELU, self)

    def sigmoid(self) -> Self:
        """Elementwise logistic function 1 / (1 + e**-v), computed stably."""
        return bind(P.SIGMOID, self)

    def sqrt(self) -> Self:
        """Elementwise square root."""
        return bind(P.SQRT, self)

    def abs(self) -> Self:
        """Elementwise absolute value; the gradient at 0 is 0."""
        return bind(P.ABS, self)

    # ----- NumPy protocols ---------------------------------------------------------------

    def __array_ufunc__(
        self, ufunc: np.ufunc, method: str, *inputs: object, **kwargs: object
    ) -> object:
        return N.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(
        self,
        func: Callable[..., object],
        types: object,
        args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> object:
        return N.array_function(func, args, kwargs)


def _no_out(name: str, out: object) -> None:
    if out is not None:
        raise TypeError(
            f"ndarray.{name}(out=...) is not supported on tape values: their values are "
            "immutable, so every result is a new value; use the one returned."
        )


def _fortran(name: str, order: object) -> bool:
    if order == "C" or order is None:
        return False
    if order == "F":
        return True
    raise ValueError(
        f"ndarray.{name}(order={order!r}): tape values support 'C' and 'F' ('A' and 'K' "
        "follow memory layout, which a tape value does not have)"
    )


def _ddof(ddof: float, correction: float | None) -> float:
    if correction is None:
        return ddof
    if ddof != 0:
        raise ValueError("ddof and correction can't be provided simultaneously.")
    return correction


def _axis_literal(axis: object) -> Any:
    """An axis (or kth) as Python ints, so that a guard kind can spell it."""
    if axis is None:
        return None
    if isinstance(axis, tuple | list):
        return tuple(operator.index(a) for a in axis)
    return operator.index(cast(SupportsIndex, axis))
