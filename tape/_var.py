"""`Var`, the recorded value users hold: its data, operators, methods and NumPy protocols.

A Var is a value plus its place on a tape: ``(value, tape, slot)``. It holds no reference to
the Vars it was computed from and no backward closure; the tape's records hold that. Every
operator and method reaches the primitive table through one function, ``bind``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

from ._primitive import Array, Value

if TYPE_CHECKING:
    from ._tape import Tape

Operand: TypeAlias = "Var | float | Array"
Axis: TypeAlias = int | tuple[int, ...] | None
Index: TypeAlias = Any  # whatever NumPy accepts in ``a[...]``: slices, ints, arrays, tuples


def as_value(value: object) -> Value:
    """Convert a user's number or array to a plain value: Python float or a float array.

    Integers and booleans become float64; float32 stays float32; arrays are copied and made
    read-only, so that no later write can change a value a tape may have saved.

    Raises:
        TypeError: For complex, object, string and other non-real inputs.
    """
    if type(value) is float:
        return value
    if isinstance(value, bool | int | float | np.integer | np.bool_) and not isinstance(
        value, np.floating | np.ndarray
    ):
        return float(value)
    if isinstance(value, Var):
        raise TypeError("Var(...) of a Var: use v.detach() for a new, unrecorded Var")
    try:
        arr = np.array(value)
    except Exception as e:
        raise TypeError(f"cannot make a Var from {type(value).__name__}: {e}") from None
    kind = arr.dtype.kind
    if kind in "iub":
        arr = arr.astype(np.float64)
    elif kind != "f":
        raise TypeError(
            f"Var values must be real numbers; got dtype {arr.dtype} ({type(value).__name__}). "
            "Complex, object and string values are not supported."
        )
    if arr.ndim == 0 and arr.dtype == np.float64:
        return float(arr)
    arr.flags.writeable = False
    return arr


class Var:
    """A value whose operations are recorded on the active tape.

    Args:
        value: A Python int or float, or a NumPy array (or anything ``np.array`` accepts).
            Integers and booleans become float64, float32 stays float32, complex, object
            and string values raise ``TypeError``. Arrays are copied.

    Outside every ``Tape`` a Var computes like its value and records nothing; inside one,
    each operation on it is appended to the tape. ``.value`` is read-only while a tape may
    have saved it, and may be reassigned (``v.value = new``), as optimizers do.
    """

    __slots__ = ("__weakref__", "_slot", "_tape", "_value")
    __array_priority__ = 1000.0

    _value: Any  # a plain value, or (under nested tapes / duals) the box one level down
    _tape: Tape | None
    _slot: int

    def __init__(self, value: npt.ArrayLike) -> None:
        self._value = as_value(value)
        self._tape = None
        self._slot = -1

    # ----- data -------------------------------------------------------------------------

    @property
    def value(self) -> Value:
        """The plain value: a Python float or a read-only NumPy array."""
        v = self._value
        while not (type(v) is float or type(v) is np.ndarray):
            v = v._value if type(v) is Var else v.primal_value
        return v

    @value.setter
    def value(self, new: npt.ArrayLike) -> None:
        self._value = as_value(new)
        self._tape = None
        self._slot = -1

    @property
    def shape(self) -> tuple[int, ...]:
        """The value's shape (``()`` for a scalar)."""
        return np.shape(self.value)

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
        v = self.value
        return v.dtype if isinstance(v, np.ndarray) else np.dtype(np.float64)

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError("len() of a scalar Var")
        return shape[0]

    def __iter__(self) -> Iterator[Var]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        v = self.value
        body = (
            np.array2string(v, separator=", ", threshold=20)
            if isinstance(v, np.ndarray)
            else repr(v)
        )
        where = f", slot={self._slot}" if self._tape is not None else ""
        return f"Var({body}{where})"

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __index__(self) -> int:
        raise TypeError("a Var cannot be used as an index; use int(v) to leave the tape")

    def item(self) -> float:
        """The value of a one-element Var as a Python float (not recorded)."""
        return float(np.asarray(self.value).item())

    def __array__(self, dtype: object = None, copy: object = None) -> Array:
        raise TypeError(
            "a Var was converted to a NumPy array, which would drop it from the tape. "
            "Use tp.* functions or NumPy functions that tape supports, or v.value to leave "
            "the tape on purpose."
        )

    def detach(self) -> Var:
        """A new Var with the same value and no history: gradients do not flow through it."""
        return Var(self.value)

    # ----- operators ---------------------------------------------------------------------

    def __add__(self, other: Operand) -> Var:
        return bind(P.ADD, self, other)

    def __radd__(self, other: Operand) -> Var:
        return bind(P.ADD, other, self)

    def __sub__(self, other: Operand) -> Var:
        return bind(P.SUB, self, other)

    def __rsub__(self, other: Operand) -> Var:
        return bind(P.SUB, other, self)

    def __mul__(self, other: Operand) -> Var:
        return bind(P.MUL, self, other)

    def __rmul__(self, other: Operand) -> Var:
        return bind(P.MUL, other, self)

    def __truediv__(self, other: Operand) -> Var:
        return bind(P.DIV, self, other)

    def __rtruediv__(self, other: Operand) -> Var:
        return bind(P.DIV, other, self)

    def __pow__(self, other: Operand) -> Var:
        return bind(P.POW, self, other)

    def __rpow__(self, other: Operand) -> Var:
        return bind(P.POW, other, self)

    def __matmul__(self, other: Var | Array) -> Var:
        return bind(P.MATMUL, self, other)

    def __rmatmul__(self, other: Var | Array) -> Var:
        return bind(P.MATMUL, other, self)

    def __neg__(self) -> Var:
        return bind(P.NEG, self)

    def __pos__(self) -> Var:
        return self

    def __abs__(self) -> Var:
        return bind(P.ABS, self)

    def __getitem__(self, index: Index) -> Var:
        return bind(P.GETITEM, self, index=P.check_index(index))

    # Comparisons have no derivative: they give plain booleans (arrays, or bool for scalars).
    def __lt__(self, other: Operand) -> Any:
        return _compare(np.less, self, other)

    def __le__(self, other: Operand) -> Any:
        return _compare(np.less_equal, self, other)

    def __gt__(self, other: Operand) -> Any:
        return _compare(np.greater, self, other)

    def __ge__(self, other: Operand) -> Any:
        return _compare(np.greater_equal, self, other)

    def __eq__(self, other: object) -> Any:
        return _compare(np.equal, self, other)

    def __ne__(self, other: object) -> Any:
        return _compare(np.not_equal, self, other)

    # ----- methods -----------------------------------------------------------------------

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Var:
        """Sum over ``axis`` (all axes by default); see ``tp.sum``."""
        return P.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Var:
        """Mean over ``axis``; see ``tp.mean``."""
        return P.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Var:
        """Maximum over ``axis``; ties share the gradient equally. See ``tp.max``."""
        return P.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Var:
        """Minimum over ``axis``; ties share the gradient equally. See ``tp.min``."""
        return P.min(self, axis=axis, keepdims=keepdims)

    def prod(self, axis: Axis = None, keepdims: bool = False) -> Var:
        """Product over ``axis``; see ``tp.prod``."""
        return P.prod(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: int | tuple[int, ...]) -> Var:
        """The same values in a new shape: ``v.reshape(2, 3)`` or ``v.reshape((2, 3))``."""
        if len(shape) == 1 and isinstance(shape[0], tuple):
            return P.reshape(self, shape[0])
        return P.reshape(self, tuple(s for s in shape if isinstance(s, int)))

    @property
    def T(self) -> Var:
        """The transpose (axes reversed)."""
        return P.transpose(self)

    def transpose(self, *axes: int) -> Var:
        """Permute the axes (reverse them when none are given)."""
        return P.transpose(self, axes if axes else None)

    def exp(self) -> Var:
        """Elementwise e**v."""
        return bind(P.EXP, self)

    def log(self) -> Var:
        """Elementwise natural logarithm."""
        return bind(P.LOG, self)

    def tanh(self) -> Var:
        """Elementwise hyperbolic tangent."""
        return bind(P.TANH, self)

    def relu(self) -> Var:
        """Elementwise max(v, 0); the gradient at 0 is 0."""
        return bind(P.RELU, self)

    def sigmoid(self) -> Var:
        """Elementwise logistic function 1 / (1 + e**-v), computed stably."""
        return bind(P.SIGMOID, self)

    def sqrt(self) -> Var:
        """Elementwise square root."""
        return bind(P.SQRT, self)

    def abs(self) -> Var:
        """Elementwise absolute value; the gradient at 0 is 0."""
        return bind(P.ABS, self)

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


def _compare(op: np.ufunc, x: object, y: object) -> Any:
    """A comparison of plain values: booleans carry no derivative, so nothing is recorded."""
    out = op(P.plain(x), P.plain(y))
    return bool(out) if isinstance(out, np.bool_) else out


from . import _primitives as P  # noqa: E402  (the table uses Var; Var's operators use the table)
from ._tape import bind as _bind  # noqa: E402

bind: Callable[..., Var] = _bind  # operators on a Var give a Var
