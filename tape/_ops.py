"""The operators, methods and NumPy protocols that `Var` and `Dual` share.

Both value types behave like NumPy arrays of floats; every operator and method reaches the
primitive table through ``bind``, which decides by its inputs whether to record on a tape,
carry a tangent, or just compute.
"""

# bind's result follows its inputs' kind; on a Var or a Dual it is that same kind (Self).
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Self, TypeAlias

import numpy as np

from ._primitive import Array

if TYPE_CHECKING:
    from ._dual import Dual
    from ._var import Var

Operand: TypeAlias = "Var | Dual | float | Array"
Axis: TypeAlias = int | tuple[int, ...] | None
Index: TypeAlias = Any  # whatever NumPy accepts in ``a[...]``: slices, ints, arrays, tuples


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
        v = P.plain(self)
        return v.dtype if isinstance(v, np.ndarray) else np.dtype(np.float64)

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

    def item(self) -> float:
        """The value of a one-element Var or Dual as a Python float (it leaves the tape)."""
        return float(P.guard(self, "float"))

    def __array__(self, dtype: object = None, copy: object = None) -> Array:
        raise TypeError(
            "a Var was converted to a NumPy array, which would drop it from the tape. "
            "Use tp.* functions or NumPy functions that tape supports, or v.value to leave "
            "the tape on purpose."
        )

    # ----- operators ---------------------------------------------------------------------

    def __add__(self, other: Operand) -> Self:
        return bind2(P.ADD, self, other)

    def __radd__(self, other: Operand) -> Self:
        return bind2(P.ADD, other, self)

    def __sub__(self, other: Operand) -> Self:
        return bind2(P.SUB, self, other)

    def __rsub__(self, other: Operand) -> Self:
        return bind2(P.SUB, other, self)

    def __mul__(self, other: Operand) -> Self:
        return bind2(P.MUL, self, other)

    def __rmul__(self, other: Operand) -> Self:
        return bind2(P.MUL, other, self)

    def __truediv__(self, other: Operand) -> Self:
        return bind2(P.DIV, self, other)

    def __rtruediv__(self, other: Operand) -> Self:
        return bind2(P.DIV, other, self)

    def __pow__(self, other: Operand) -> Self:
        return bind2(P.POW, self, other)

    def __rpow__(self, other: Operand) -> Self:
        return bind2(P.POW, other, self)

    def __matmul__(self, other: Var | Array) -> Self:
        return bind2(P.MATMUL, self, other)

    def __rmatmul__(self, other: Var | Array) -> Self:
        return bind2(P.MATMUL, other, self)

    def __neg__(self) -> Self:
        return bind1(P.NEG, self)

    def __pos__(self) -> Self:
        return self

    def __abs__(self) -> Self:
        return bind1(P.ABS, self)

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

    # ----- methods -----------------------------------------------------------------------

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Self:
        """Sum over ``axis`` (all axes by default); see ``tp.sum``."""
        return bind(P.SUM, self, axis=P.norm_axis(axis, self.ndim), keepdims=keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Self:
        """Mean over ``axis``; see ``tp.mean``."""
        return bind(P.MEAN, self, axis=P.norm_axis(axis, self.ndim), keepdims=keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Self:
        """Maximum over ``axis``; ties share the gradient equally. See ``tp.max``."""
        return bind(P.MAX, self, axis=P.norm_axis(axis, self.ndim), keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Self:
        """Minimum over ``axis``; ties share the gradient equally. See ``tp.min``."""
        return bind(P.MIN, self, axis=P.norm_axis(axis, self.ndim), keepdims=keepdims)

    def prod(self, axis: Axis = None, keepdims: bool = False) -> Self:
        """Product over ``axis``; see ``tp.prod``."""
        return bind(P.PROD, self, axis=P.norm_axis(axis, self.ndim), keepdims=keepdims)

    def reshape(self, *shape: int | tuple[int, ...]) -> Self:
        """The same values in a new shape: ``v.reshape(2, 3)`` or ``v.reshape((2, 3))``."""
        if len(shape) == 1 and isinstance(shape[0], tuple):
            return P.reshape(self, shape[0])  # type: ignore[call-overload]
        return P.reshape(self, tuple(s for s in shape if isinstance(s, int)))  # type: ignore[call-overload]

    @property
    def T(self) -> Self:
        """The transpose (axes reversed)."""
        return P.transpose(self)  # type: ignore[call-overload]

    def transpose(self, *axes: int) -> Self:
        """Permute the axes (reverse them when none are given)."""
        return P.transpose(self, axes if axes else None)  # type: ignore[call-overload]

    def exp(self) -> Self:
        """Elementwise e**v."""
        return bind1(P.EXP, self)

    def log(self) -> Self:
        """Elementwise natural logarithm."""
        return bind1(P.LOG, self)

    def tanh(self) -> Self:
        """Elementwise hyperbolic tangent."""
        return bind1(P.TANH, self)

    def relu(self) -> Self:
        """Elementwise max(v, 0); the gradient at 0 is 0."""
        return bind1(P.RELU, self)

    def sigmoid(self) -> Self:
        """Elementwise logistic function 1 / (1 + e**-v), computed stably."""
        return bind1(P.SIGMOID, self)

    def sqrt(self) -> Self:
        """Elementwise square root."""
        return bind1(P.SQRT, self)

    def abs(self) -> Self:
        """Elementwise absolute value; the gradient at 0 is 0."""
        return bind1(P.ABS, self)

    # ----- NumPy protocols ---------------------------------------------------------------

    def __array_ufunc__(
        self, ufunc: np.ufunc, method: str, *inputs: object, **kwargs: object
    ) -> object:
        return P.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(
        self,
        func: Callable[..., object],
        types: object,
        args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> object:
        return P.array_function(func, args, kwargs)


from . import _primitives as P  # noqa: E402
from ._tape import bind, bind1, bind2  # noqa: E402
