"""The primitive table: every primitive's forward computation, VJP rules and JVP rules, together.

Each block below is one row (a ``Primitive``) followed by the public function that binds it.
Rules use the fixed names ``g`` (the output's cotangent), ``ans`` (the output), ``x``, ``y``
(the inputs) and ``dx``, ``dy`` (the inputs' tangents), and are written with this module's
own functions, so that the same rule runs on floats, arrays, recorded Vars and Duals.

Python floats stay Python floats: a row's forward computation uses ``math`` on floats (about
ten times cheaper than a 0-d NumPy call) and NumPy on arrays, with NumPy's results (inf, nan)
where ``math`` would raise.
"""

from __future__ import annotations

import builtins
import itertools
import math
import string
from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast, overload

import numpy as np
import numpy.typing as npt

from ._dual import Dual
from ._ops import Axis, Index
from ._primitive import Array, Primitive, Value, register
from ._tape import bind, bind1, bind2
from ._var import Var


def plain(v: Any) -> Any:
    """The plain value inside ``v`` (no derivative flows through it): masks, signs, shapes."""
    while not (type(v) is float or type(v) is np.ndarray):
        if isinstance(v, Var):
            v = v._value
        elif hasattr(v, "primal_value"):
            v = v.primal_value
        else:
            return v
    return v


def _shape_of(v: Any) -> tuple[int, ...]:
    """The shape of a float, array, Var or Dual (``()`` for a float)."""
    if type(v) is np.ndarray:
        return tuple(v.shape)
    return () if type(v) is float else tuple(np.shape(plain(v)))


def ndim(v: Any) -> int:
    """The number of axes of a float, array, Var or Dual."""
    if type(v) is np.ndarray:
        return int(v.ndim)
    return len(_shape_of(v))


def _float_fallback(np_fn: Callable[..., Any], *xs: float) -> float:
    """NumPy's answer (inf, nan, with its warning) where ``math`` raises."""
    return float(np_fn(*(np.float64(x) for x in xs)))


def _elementwise(
    math_fn: Callable[[float], float], np_fn: Callable[..., Any]
) -> Callable[..., Any]:
    def impl(x: Any) -> Any:
        if type(x) is float:
            try:
                return math_fn(x)
            except (ValueError, OverflowError):
                return _float_fallback(np_fn, x)
        return np_fn(x)

    return impl


def norm_axis(axis: Axis | list[int], n: int) -> tuple[int, ...] | int:
    """Axes as negative numbers (None: all of them), so that a leading batch axis on a
    tangent (vector-mode forward) leaves their meaning unchanged."""
    if axis is None or n == 0:  # (axis 0 or -1 of a scalar is the scalar itself)
        if n == 0 and axis not in (None, 0, -1, ()):
            raise ValueError(f"axis {axis} is out of bounds for a scalar")
        return tuple(range(-n, 0))
    if isinstance(axis, int | np.integer):
        return _neg_axis(int(axis), n)
    return tuple(_neg_axis(int(a), n) for a in axis)


def _neg_axis(a: int, n: int) -> int:
    if not -builtins.max(n, 1) <= a < builtins.max(n, 1):
        raise ValueError(f"axis {a} is out of bounds for an array of {n} dimensions")
    return a - n if a >= 0 else a


def _keep_shape(xshape: tuple[int, ...], axis: Axis) -> tuple[int, ...]:
    """The shape of a reduction over ``axis`` with keepdims=True."""
    if axis is None:
        return (1,) * len(xshape)
    axes = {a % len(xshape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(xshape))


def _unreduce(g: Any, x: Any, axis: Axis, keepdims: bool) -> Any:
    """Broadcast a reduction's cotangent back over the reduced axes of ``x``."""
    xs = _shape_of(x)
    if xs == ():
        return g
    ks = _keep_shape(xs, axis)
    if type(g) is float or type(g) is np.ndarray:  # plain: NumPy directly
        return np.broadcast_to(np.reshape(g, ks), xs)
    if _shape_of(g) != ks:
        g = reshape(g, ks)
    return broadcast_to(g, xs)


def _batch(d: Any, x: Any) -> tuple[int, ...]:
    """The leading batch axes of a tangent ``d`` of ``x`` (vector-mode forward), or ()."""
    ds = _shape_of(d)
    return ds[: len(ds) - ndim(x)]


def _sgn(x: Any) -> Any:
    """Sign of the plain value (a constant: no derivative flows through it)."""
    x = plain(x)
    if type(x) is float:
        return float((x > 0) - (x < 0))
    return np.sign(x)


def _mask(cond: Any) -> Any:
    """A boolean condition as a multiplier: 0.0/1.0 for a scalar, the boolean array itself
    for arrays (NumPy multiplies by it without a conversion pass)."""
    if isinstance(cond, bool | np.bool_):
        return 1.0 if cond else 0.0
    return cond


def _fmt_params(params: dict[str, Any]) -> str:
    return "".join(f", {k}={v!r}" for k, v in params.items() if v is not None and v is not False)


# ----- typed faces of the public functions ----------------------------------------------------


class Unary(Protocol):
    """An elementwise function: a Var gives a Var, a Dual a Dual, a float a float, an array
    an array."""

    @overload
    def __call__(self, x: Var) -> Var: ...
    @overload
    def __call__(self, x: Dual) -> Dual: ...
    @overload
    def __call__(self, x: float) -> float: ...
    @overload
    def __call__(self, x: Array) -> Array: ...


class Binary(Protocol):
    """A broadcasting binary function: a Var in either place gives a Var (a Dual a Dual)."""

    @overload
    def __call__(self, x: Var, y: Var | Value) -> Var: ...
    @overload
    def __call__(self, x: Value, y: Var) -> Var: ...
    @overload
    def __call__(self, x: Dual, y: Dual | Value) -> Dual: ...
    @overload
    def __call__(self, x: Value, y: Dual) -> Dual: ...
    @overload
    def __call__(self, x: float, y: float) -> float: ...
    @overload
    def __call__(self, x: Array, y: Value) -> Array: ...
    @overload
    def __call__(self, x: float, y: Array) -> Array: ...


class Reduction(Protocol):
    """A reduction over ``axis`` (all axes by default): a Var gives a Var."""

    @overload
    def __call__(self, x: Var, axis: Axis = None, keepdims: bool = False) -> Var: ...
    @overload
    def __call__(self, x: Dual, axis: Axis = None, keepdims: bool = False) -> Dual: ...
    @overload
    def __call__(self, x: Value, axis: Axis = None, keepdims: bool = False) -> Value: ...


class AlongAxis(Protocol):
    """A normalisation along one axis (softmax, log_softmax): a Var gives a Var."""

    @overload
    def __call__(self, x: Var, axis: int = -1) -> Var: ...
    @overload
    def __call__(self, x: Dual, axis: int = -1) -> Dual: ...
    @overload
    def __call__(self, x: Array, axis: int = -1) -> Array: ...


def _unary(row: Primitive, doc: str) -> Unary:
    def f(x: Any) -> Any:
        return bind1(row, x)

    f.__name__ = f.__qualname__ = row.name
    f.__doc__ = doc
    return cast(Unary, f)


def _binary(row: Primitive, name: str, doc: str) -> Binary:
    def f(x: Any, y: Any) -> Any:
        return bind2(row, x, y)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return cast(Binary, f)


def _reduction(row: Primitive, doc: str) -> Reduction:
    def f(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        return bind(row, x, axis=norm_axis(axis, ndim(x)), keepdims=keepdims)

    f.__name__ = f.__qualname__ = row.name
    f.__doc__ = doc
    return cast(Reduction, f)


# ----- arithmetic (binary ops broadcast; the sweep sums cotangents back to each shape) ------


def _div(x: Any, y: Any) -> Any:
    try:
        return x / y
    except ZeroDivisionError:
        return _float_fallback(np.divide, x, y)


def _pow(x: Any, y: Any) -> Any:
    if type(x) is float and type(y) is float:
        try:
            return math.pow(x, y)
        except (ValueError, OverflowError, ZeroDivisionError):
            return _float_fallback(np.power, x, y)
    return np.power(x, y)


ADD = register(
    Primitive(
        "add",
        impl=lambda x, y: x + y,
        vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: g),
        jvp=(lambda dx, ans, x, y: dx, lambda dy, ans, x, y: dy),
        notation="{0} + {1}",
        broadcasts=True,
        elementwise=True,
    )
)
add: Binary = _binary(ADD, "add", "Elementwise x + y, with broadcasting.")

SUB = register(
    Primitive(
        "subtract",
        impl=lambda x, y: x - y,
        vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: -g),
        jvp=(lambda dx, ans, x, y: dx, lambda dy, ans, x, y: -dy),
        notation="{0} − {1}",
        broadcasts=True,
        elementwise=True,
    )
)
subtract: Binary = _binary(SUB, "subtract", "Elementwise x − y, with broadcasting.")

MUL = register(
    Primitive(
        "multiply",
        impl=lambda x, y: x * y,
        vjp=(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x),
        jvp=(lambda dx, ans, x, y: dx * y, lambda dy, ans, x, y: x * dy),
        notation="{0} × {1}",
        broadcasts=True,
        elementwise=True,
    )
)
multiply: Binary = _binary(MUL, "multiply", "Elementwise x · y, with broadcasting.")

DIV = register(
    Primitive(
        "divide",
        impl=_div,
        vjp=(
            lambda g, ans, x, y: divide(g, y),
            lambda g, ans, x, y: -divide(g * ans, y),
        ),
        jvp=(
            lambda dx, ans, x, y: divide(dx, y),
            lambda dy, ans, x, y: -divide(dy * ans, y),
        ),
        notation="{0} / {1}",
        broadcasts=True,
        elementwise=True,
    )
)
divide: Binary = _binary(
    DIV, "divide", "Elementwise x / y, with broadcasting (x / 0 gives ±inf or nan)."
)


def _log_base(x: Any) -> Any:
    # d(x**y)/dy = x**y · ln x; where x == 0 the product is 0 (JAX's convention), not nan.
    return log(where(plain(x) == 0, 1.0, x))


POW = register(
    Primitive(
        "power",
        impl=_pow,
        vjp=(
            lambda g, ans, x, y: g * y * power(x, y - 1.0),
            lambda g, ans, x, y: g * ans * _log_base(x),
        ),
        jvp=(
            lambda dx, ans, x, y: dx * y * power(x, y - 1.0),
            lambda dy, ans, x, y: dy * ans * _log_base(x),
        ),
        notation="{0} ** {1}",
        broadcasts=True,
        elementwise=True,
    )
)
power: Binary = _binary(
    POW, "power", "Elementwise x ** y, with broadcasting (NumPy's nan for (-8) ** 0.5)."
)


def _maximum_weight(x: Any, y: Any) -> Any:
    """Share of the gradient that goes to x in maximum(x, y): 1, 0, or ½ at a tie."""
    x, y = plain(x), plain(y)
    if type(x) is float and type(y) is float:
        return 1.0 if x > y else 0.5 if x == y else 0.0
    return np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0))


MAXIMUM = register(
    Primitive(
        "maximum",
        impl=lambda x, y: (
            builtins.max(x, y) if type(x) is float and type(y) is float else np.maximum(x, y)
        ),
        vjp=(
            lambda g, ans, x, y: g * _maximum_weight(x, y),
            lambda g, ans, x, y: g * _maximum_weight(y, x),
        ),
        jvp=(
            lambda dx, ans, x, y: dx * _maximum_weight(x, y),
            lambda dy, ans, x, y: dy * _maximum_weight(y, x),
        ),
        notation="maximum({0}, {1})",
        broadcasts=True,
        elementwise=True,
    )
)
maximum: Binary = _binary(
    MAXIMUM,
    "maximum",
    "Elementwise maximum, with broadcasting. At a tie each input gets half the gradient.",
)

MINIMUM = register(
    Primitive(
        "minimum",
        impl=lambda x, y: (
            builtins.min(x, y) if type(x) is float and type(y) is float else np.minimum(x, y)
        ),
        vjp=(
            lambda g, ans, x, y: g * _maximum_weight(y, x),
            lambda g, ans, x, y: g * _maximum_weight(x, y),
        ),
        jvp=(
            lambda dx, ans, x, y: dx * _maximum_weight(y, x),
            lambda dy, ans, x, y: dy * _maximum_weight(x, y),
        ),
        notation="minimum({0}, {1})",
        broadcasts=True,
        elementwise=True,
    )
)
minimum: Binary = _binary(
    MINIMUM,
    "minimum",
    "Elementwise minimum, with broadcasting. At a tie each input gets half the gradient.",
)

NEG = register(
    Primitive(
        "negative",
        impl=lambda x: -x,
        vjp=(lambda g, ans, x: -g,),
        jvp=(lambda dx, ans, x: -dx,),
        notation="−{0}",
    )
)
negative: Unary = _unary(NEG, "Elementwise −x.")

# ----- elementwise functions ---------------------------------------------------------------------

EXP = register(
    Primitive(
        "exp",
        impl=_elementwise(math.exp, np.exp),
        vjp=(lambda g, ans, x: g * ans,),
        jvp=(lambda dx, ans, x: dx * ans,),
        notation="exp {0}",
    )
)
exp: Unary = _unary(EXP, "Elementwise e**x.")

LOG = register(
    Primitive(
        "log",
        impl=_elementwise(math.log, np.log),
        vjp=(lambda g, ans, x: divide(g, x),),
        jvp=(lambda dx, ans, x: divide(dx, x),),
        notation="ln {0}",
    )
)
log: Unary = _unary(
    LOG, "Elementwise natural logarithm (log 0 = −inf, log' 0 = inf, without raising)."
)

LOG1P = register(
    Primitive(
        "log1p",
        impl=_elementwise(math.log1p, np.log1p),
        vjp=(lambda g, ans, x: divide(g, 1.0 + x),),
        jvp=(lambda dx, ans, x: divide(dx, 1.0 + x),),
        notation="log1p {0}",
    )
)
log1p: Unary = _unary(LOG1P, "Elementwise ln(1 + x), accurate for small x.")

EXPM1 = register(
    Primitive(
        "expm1",
        impl=_elementwise(math.expm1, np.expm1),
        vjp=(lambda g, ans, x: g * (ans + 1.0),),
        jvp=(lambda dx, ans, x: dx * (ans + 1.0),),
        notation="expm1 {0}",
    )
)
expm1: Unary = _unary(EXPM1, "Elementwise e**x − 1, accurate for small x.")

SIN = register(
    Primitive(
        "sin",
        impl=_elementwise(math.sin, np.sin),
        vjp=(lambda g, ans, x: g * cos(x),),
        jvp=(lambda dx, ans, x: dx * cos(x),),
        notation="sin {0}",
    )
)
sin: Unary = _unary(SIN, "Elementwise sine.")

COS = register(
    Primitive(
        "cos",
        impl=_elementwise(math.cos, np.cos),
        vjp=(lambda g, ans, x: -(g * sin(x)),),
        jvp=(lambda dx, ans, x: -(dx * sin(x)),),
        notation="cos {0}",
    )
)
cos: Unary = _unary(COS, "Elementwise cosine.")

TAN = register(
    Primitive(
        "tan",
        impl=_elementwise(math.tan, np.tan),
        vjp=(lambda g, ans, x: g * (1.0 + ans * ans),),
        jvp=(lambda dx, ans, x: dx * (1.0 + ans * ans),),
        notation="tan {0}",
    )
)
tan: Unary = _unary(TAN, "Elementwise tangent.")

TANH = register(
    Primitive(
        "tanh",
        impl=_elementwise(math.tanh, np.tanh),
        vjp=(lambda g, ans, x: g * (1.0 - ans * ans),),
        jvp=(lambda dx, ans, x: dx * (1.0 - ans * ans),),
        notation="tanh {0}",
    )
)
tanh: Unary = _unary(TANH, "Elementwise hyperbolic tangent.")

SQRT = register(
    Primitive(
        "sqrt",
        impl=_elementwise(math.sqrt, np.sqrt),
        vjp=(lambda g, ans, x: divide(g, 2.0 * ans),),
        jvp=(lambda dx, ans, x: divide(dx, 2.0 * ans),),
        notation="√{0}",
    )
)
sqrt: Unary = _unary(SQRT, "Elementwise square root (sqrt' 0 = inf, without raising).")

SQUARE = register(
    Primitive(
        "square",
        impl=lambda x: x * x,
        vjp=(lambda g, ans, x: g * (2.0 * x),),
        jvp=(lambda dx, ans, x: dx * (2.0 * x),),
        notation="{0}²",
    )
)
square: Unary = _unary(SQUARE, "Elementwise x².")

ABS = register(
    Primitive(
        "abs",
        impl=lambda x: builtins.abs(x) if type(x) is float else np.abs(x),
        vjp=(lambda g, ans, x: g * _sgn(x),),
        jvp=(lambda dx, ans, x: dx * _sgn(x),),
        notation="|{0}|",
    )
)
abs: Unary = _unary(ABS, "Elementwise |x|. The gradient at 0 is 0 (PyTorch's convention).")

SIGN = register(
    Primitive(
        "sign",
        impl=_sgn,
        vjp=(None,),
        jvp=(None,),
        notation="sign {0}",
    )
)
sign: Unary = _unary(SIGN, "Elementwise sign (−1, 0 or 1). Its gradient is zero everywhere.")

RELU = register(
    Primitive(
        "relu",
        impl=lambda x: (x if x > 0.0 else 0.0) if type(x) is float else np.maximum(x, 0.0),
        vjp=(lambda g, ans, x: g * _mask(plain(x) > 0.0),),
        jvp=(lambda dx, ans, x: dx * _mask(plain(x) > 0.0),),
        notation="relu {0}",
    )
)
relu: Unary = _unary(RELU, "Elementwise max(x, 0). The gradient at 0 is 0 (PyTorch's convention).")


def _sigmoid(x: Any) -> Any:
    if type(x) is float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    return np.exp(-np.logaddexp(0.0, -x))  # exp(−softplus(−x)): no overflow for any x


SIGMOID = register(
    Primitive(
        "sigmoid",
        impl=_sigmoid,
        vjp=(lambda g, ans, x: g * (ans * (1.0 - ans)),),
        jvp=(lambda dx, ans, x: dx * (ans * (1.0 - ans)),),
        notation="σ {0}",
    )
)
sigmoid: Unary = _unary(SIGMOID, "Elementwise logistic function 1 / (1 + e**−x), stable for any x.")


def _softplus(x: Any) -> Any:
    if type(x) is float:
        return builtins.max(x, 0.0) + math.log1p(math.exp(-builtins.abs(x)))
    return np.logaddexp(0.0, x)


SOFTPLUS = register(
    Primitive(
        "softplus",
        impl=_softplus,
        vjp=(lambda g, ans, x: g * sigmoid(x),),
        jvp=(lambda dx, ans, x: dx * sigmoid(x),),
        notation="softplus {0}",
    )
)
softplus: Unary = _unary(SOFTPLUS, "Elementwise ln(1 + e**x), stable for any x.")

# ----- selection ---------------------------------------------------------------------------------

WHERE = register(
    Primitive(
        "where",
        impl=lambda c, x, y: np.where(c, x, y),
        vjp=(
            None,
            lambda g, ans, c, x, y: where(c, g, 0.0),
            lambda g, ans, c, x, y: where(c, 0.0, g),
        ),
        jvp=(
            None,
            lambda dx, ans, c, x, y: where(c, dx, 0.0),
            lambda dy, ans, c, x, y: where(c, 0.0, dy),
        ),
        notation="where({0}, {1}, {2})",
        broadcasts=True,
        elementwise=True,
    )
)


@overload
def where(condition: npt.ArrayLike, x: Var, y: Var | Value) -> Var: ...
@overload
def where(condition: npt.ArrayLike, x: Value, y: Var) -> Var: ...
@overload
def where(condition: npt.ArrayLike, x: Dual, y: Dual | Value) -> Dual: ...
@overload
def where(condition: npt.ArrayLike, x: Value, y: Dual) -> Dual: ...
@overload
def where(condition: npt.ArrayLike, x: Value, y: Value) -> Array: ...
def where(condition: Any, x: Any, y: Any) -> Any:
    """Elementwise ``x`` where ``condition`` holds, else ``y`` (all three broadcast).

    The condition is boolean: a plain array, or a comparison of Vars (recorded, so a
    replayed tape recomputes the mask). No gradient flows into it.

    Beware ``where(x > 0, sqrt(x), 0.0)`` at x = 0: the unselected branch's gradient is
    sqrt'(0) = inf, and inf · 0 = nan — in every framework. Make the unselected branch safe
    instead: ``where(x > 0, sqrt(where(x > 0, x, 1.0)), 0.0)`` has gradient 0 at x = 0.
    """
    if isinstance(condition, Var):
        c = plain(condition)
        if not (type(c) is bool or (isinstance(c, np.ndarray) and c.dtype == np.bool_)):
            raise TypeError("where(): the condition must be boolean (e.g. v > 0), not numbers")
        return bind(WHERE, condition, x, y)
    return bind(WHERE, np.asarray(condition, dtype=bool), x, y)


def _clip_impl(x: Any, lo: float | None, hi: float | None) -> Any:
    if type(x) is float:
        if lo is not None and x < lo:
            return float(lo)
        if hi is not None and x > hi:
            return float(hi)
        return x
    return np.clip(x, lo, hi)


def _clip_mask(x: Any, lo: float | None, hi: float | None) -> Any:
    x = plain(x)
    inside = (x >= (-math.inf if lo is None else lo)) & (x <= (math.inf if hi is None else hi))
    return _mask(inside)


CLIP = register(
    Primitive(
        "clip",
        impl=_clip_impl,
        vjp=(lambda g, ans, x, lo, hi: g * _clip_mask(x, lo, hi),),
        jvp=(lambda dx, ans, x, lo, hi: dx * _clip_mask(x, lo, hi),),
        notation="clip({0}{p})",
    )
)


@overload
def clip(x: Var, a_min: float | None, a_max: float | None) -> Var: ...
@overload
def clip(x: float, a_min: float | None, a_max: float | None) -> float: ...
@overload
def clip(x: Array, a_min: float | None, a_max: float | None) -> Array: ...
def clip(x: Any, a_min: float | None, a_max: float | None) -> Any:
    """Limit values to ``[a_min, a_max]`` (either bound may be None). The gradient is passed
    where ``a_min <= x <= a_max`` (bounds included) and is 0 outside."""
    return bind(
        CLIP,
        x,
        lo=None if a_min is None else float(a_min),
        hi=None if a_max is None else float(a_max),
    )


# ----- reductions --------------------------------------------------------------------------------


def _reduce_impl(np_fn: Callable[..., Any]) -> Callable[..., Any]:
    def impl(x: Any, axis: Axis, keepdims: bool) -> Any:
        if type(x) is float:
            if axis not in (None, 0, -1, ()):
                raise ValueError(f"axis {axis} is out of bounds for a scalar")
            return x
        return np_fn(x, axis=axis, keepdims=keepdims)

    return impl


SUM = register(
    Primitive(
        "sum",
        impl=_reduce_impl(np.sum),
        vjp=(lambda g, ans, x, axis, keepdims: _unreduce(g, x, axis, keepdims),),
        jvp=(lambda dx, ans, x, axis, keepdims: sum(dx, axis=axis, keepdims=keepdims),),
        notation="sum({0}{p})",
    )
)
sum: Reduction = _reduction(
    SUM, "Sum of the elements over ``axis`` (all by default), like ``np.sum``."
)


def _count(x: Any, ans: Any) -> float:
    return float(math.prod(_shape_of(x)) // builtins.max(1, math.prod(_shape_of(ans))))


MEAN = register(
    Primitive(
        "mean",
        impl=_reduce_impl(np.mean),
        vjp=(
            lambda g, ans, x, axis, keepdims: (
                _unreduce(g, x, axis, keepdims) * (1.0 / _count(x, ans))
            ),
        ),
        jvp=(lambda dx, ans, x, axis, keepdims: mean(dx, axis=axis, keepdims=keepdims),),
        notation="mean({0}{p})",
    )
)
mean: Reduction = _reduction(
    MEAN, "Mean of the elements over ``axis`` (all by default), like ``np.mean``."
)


def _extremum_share(ans: Any, x: Any, axis: Axis) -> Any:
    """1/k for each of the k elements equal to the max (or min), 0 elsewhere: a constant."""
    xv, av = plain(x), plain(ans)
    if type(xv) is float:
        return 1.0
    hit = xv == np.reshape(av, _keep_shape(xv.shape, axis))
    return hit / np.sum(hit, axis=axis, keepdims=True)


MAX = register(
    Primitive(
        "max",
        impl=_reduce_impl(np.max),
        vjp=(
            lambda g, ans, x, axis, keepdims: (
                _unreduce(g, x, axis, keepdims) * _extremum_share(ans, x, axis)
            ),
        ),
        jvp=(
            lambda dx, ans, x, axis, keepdims: sum(
                dx * _extremum_share(ans, x, axis), axis=axis, keepdims=keepdims
            ),
        ),
        notation="max({0}{p})",
    )
)
max: Reduction = _reduction(
    MAX, "Maximum over ``axis`` (all by default). Tied maxima share the gradient equally."
)

MIN = register(
    Primitive(
        "min",
        impl=_reduce_impl(np.min),
        vjp=MAX.vjp,
        jvp=MAX.jvp,
        notation="min({0}{p})",
    )
)
min: Reduction = _reduction(
    MIN, "Minimum over ``axis`` (all by default). Tied minima share the gradient equally."
)


def _prod_others(x: Any, ans: Any, axis: Axis) -> Any:
    """∂prod/∂xᵢ = the product of the other elements (exact at zeros for plain arrays)."""
    if type(x) is float:
        return 1.0
    if type(x) is not np.ndarray:  # a Var or Dual: stay differentiable
        if np.all(plain(x) != 0):
            return divide(reshape(ans, _keep_shape(_shape_of(x), axis)), x)
        return _prod_others_masked(x, tuple(range(-ndim(x), 0)) if axis is None else axis)
    axes = range(x.ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    moved = np.moveaxis(x, tuple(axes), tuple(range(-len(axes), 0)))
    flat = moved.reshape((*moved.shape[: moved.ndim - len(axes)], -1))
    ones = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (left * right).reshape(moved.shape)
    return np.moveaxis(others, tuple(range(-len(axes), 0)), tuple(axes))


def _prod_others_masked(x: Any, axis: tuple[int, ...] | int) -> Any:
    """Exclusive products with tape operations, exact at zeros: each of the n reduced
    elements is masked out (replaced by 1) in turn — n² work, used only where x has zeros."""
    nd = ndim(x)
    axes = [a % nd for a in (axis if isinstance(axis, tuple) else (axis,))]
    perm = [i for i in range(nd) if i not in axes] + axes
    moved = transpose(x, perm)
    lead = _shape_of(moved)[: nd - len(axes)]
    n = math.prod(_shape_of(moved)[nd - len(axes) :])
    flat = reshape(moved, (*lead, n))
    masked = where(np.eye(n, dtype=bool), 1.0, expand_dims(flat, -2))  # (..., n, n)
    others = reshape(prod(masked, axis=-1), _shape_of(moved))
    return transpose(others, _inverse_perm(tuple(perm)))


PROD = register(
    Primitive(
        "prod",
        impl=_reduce_impl(np.prod),
        vjp=(
            lambda g, ans, x, axis, keepdims: (
                _unreduce(g, x, axis, keepdims) * _prod_others(x, ans, axis)
            ),
        ),
        jvp=(
            lambda dx, ans, x, axis, keepdims: sum(
                dx * _prod_others(x, ans, axis), axis=axis, keepdims=keepdims
            ),
        ),
        notation="prod({0}{p})",
    )
)
prod: Reduction = _reduction(PROD, "Product of the elements over ``axis`` (all by default).")


def _logsumexp_impl(x: Any, axis: Axis, keepdims: bool) -> Any:
    if type(x) is float:
        return x
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.reshape(out, np.sum(x, axis=axis).shape)


def _softmax_of(x: Any, ans: Any, axis: Axis) -> Any:
    """exp(x − logsumexp(x)) with the reduced axes kept: the weights of logsumexp's gradient."""
    return exp(x - reshape(ans, _keep_shape(_shape_of(x), axis)))


LOGSUMEXP = register(
    Primitive(
        "logsumexp",
        impl=_logsumexp_impl,
        vjp=(
            lambda g, ans, x, axis, keepdims: (
                _unreduce(g, x, axis, keepdims) * _softmax_of(x, ans, axis)
            ),
        ),
        jvp=(
            lambda dx, ans, x, axis, keepdims: sum(
                dx * _softmax_of(x, ans, axis), axis=axis, keepdims=keepdims
            ),
        ),
        notation="logsumexp({0}{p})",
    )
)
logsumexp: Reduction = _reduction(
    LOGSUMEXP, "ln Σ e**x over ``axis`` (all by default), stable for inputs of any size."
)


def _softmax_impl(x: Any, axis: int) -> Any:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


SOFTMAX = register(
    Primitive(
        "softmax",
        impl=_softmax_impl,
        vjp=(lambda g, ans, x, axis: ans * (g - sum(g * ans, axis=axis, keepdims=True)),),
        jvp=(lambda dx, ans, x, axis: ans * (dx - sum(dx * ans, axis=axis, keepdims=True)),),
        notation="softmax({0}{p})",
    )
)


def _log_softmax_impl(x: Any, axis: int) -> Any:
    shifted = x - np.max(x, axis=axis, keepdims=True)  # exact: no rounding of m + log Σ
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


LOG_SOFTMAX = register(
    Primitive(
        "log_softmax",
        impl=_log_softmax_impl,
        vjp=(lambda g, ans, x, axis: g - exp(ans) * sum(g, axis=axis, keepdims=True),),
        jvp=(lambda dx, ans, x, axis: dx - sum(exp(ans) * dx, axis=axis, keepdims=True),),
        notation="log_softmax({0}{p})",
    )
)


def _along_axis(row: Primitive, doc: str) -> AlongAxis:
    def f(x: Any, axis: int = -1) -> Any:
        if ndim(x) == 0:
            raise ValueError(f"{row.name} needs an array with at least one axis; got a scalar")
        return bind(row, x, axis=_neg_axis(axis, ndim(x)))

    f.__name__ = f.__qualname__ = row.name
    f.__doc__ = doc
    return cast(AlongAxis, f)


softmax: AlongAxis = _along_axis(
    SOFTMAX, "e**x / Σ e**x along ``axis`` (last by default), stable for any x."
)
log_softmax: AlongAxis = _along_axis(
    LOG_SOFTMAX, "x − logsumexp(x) along ``axis`` (last by default), stable for any x."
)


@overload
def var(x: Var, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Var: ...
@overload
def var(x: Value, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Value: ...
def var(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Variance over ``axis``, like ``np.var`` (``ddof`` delta degrees of freedom; with
    ``ddof`` ≥ n the result is inf or nan, as NumPy's)."""
    axis = norm_axis(axis, ndim(x))
    centred = x - mean(x, axis=axis, keepdims=True)
    n = math.prod(_shape_of(x)) // builtins.max(1, math.prod(_shape_of(mean(plain(x), axis))))
    scale = _div(float(n), float(n - ddof))  # inf when ddof >= n, as in NumPy
    return mean(square(centred), axis=axis, keepdims=keepdims) * scale


@overload
def std(x: Var, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Var: ...
@overload
def std(x: Value, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Value: ...
def std(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Standard deviation over ``axis``, like ``np.std``."""
    return sqrt(var(x, axis=axis, ddof=ddof, keepdims=keepdims))


# ----- linear algebra ----------------------------------------------------------------------------


def _mT(v: Any) -> Any:
    """The last two axes swapped (a view for plain arrays)."""
    return np.swapaxes(v, -1, -2) if type(v) is np.ndarray else swapaxes(v, -1, -2)


def _matmul_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if ndim(y) == 1:
        if ndim(x) == 1:
            return g * y  # (n,) @ (n,) is a dot product
        return expand_dims(g, -1) * y  # (..., m) → (..., m, n)
    if ndim(x) == 1:
        return squeeze(matmul(y, expand_dims(g, -1)), -1)  # (..., n, k) @ (..., k, 1)
    return matmul(g, _mT(y))


def _matmul_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if ndim(x) == 1:
        if ndim(y) == 1:
            return g * x
        return expand_dims(x, -1) * expand_dims(g, -2)  # (n, 1) · (..., 1, k)
    if ndim(y) == 1:
        if ndim(x) == 2:  # gᵀ x: one matrix product, also for k cotangents at once (k, m)
            return matmul(g, x)
        return squeeze(matmul(_mT(x), expand_dims(g, -1)), -1)
    return matmul(_mT(x), g)


def _matmul_jvp_x(dx: Any, ans: Any, x: Any, y: Any) -> Any:
    b = _batch(dx, x)
    if not b or ndim(y) == 1:
        return matmul(dx, y)
    # k directions: keep their axis apart from the batch axes that y broadcasts over
    if ndim(x) == 1:
        row = reshape(dx, b + (1,) * (ndim(y) - 2) + (1, _shape_of(x)[0]))
        return squeeze(matmul(row, y), -2)
    return matmul(reshape(dx, b + (1,) * (ndim(ans) - ndim(x)) + _shape_of(x)), y)


def _matmul_jvp_y(dy: Any, ans: Any, x: Any, y: Any) -> Any:
    b = _batch(dy, y)
    if ndim(y) == 1 and ndim(x) == 2:  # x dy as dy xᵀ: one matrix product for k directions
        return matmul(dy, _mT(x))
    if ndim(y) == 1:  # y as a column (n, 1), lined up with x's batch axes
        col = reshape(dy, b + (1,) * builtins.max(ndim(x) - 2, 0) + (_shape_of(y)[0], 1))
        return squeeze(matmul(x, col), -1)
    if not b:
        return matmul(x, dy)
    return matmul(x, reshape(dy, b + (1,) * builtins.max(ndim(ans) - ndim(y), 0) + _shape_of(y)))


def _matmul_impl(x: Any, y: Any) -> Any:
    if type(x) is float or type(y) is float:
        raise ValueError("matmul: an operand is a scalar; use * for scalars")
    return np.matmul(x, y)


MATMUL = register(
    Primitive(
        "matmul",
        impl=_matmul_impl,
        vjp=(_matmul_vjp_x, _matmul_vjp_y),
        jvp=(_matmul_jvp_x, _matmul_jvp_y),
        notation="{0} @ {1}",
        broadcasts=True,  # over the batch axes; the sweep sums them back
    )
)


@overload
def matmul(x: Var, y: Var | Array) -> Var: ...
@overload
def matmul(x: Array, y: Var) -> Var: ...
@overload
def matmul(x: Dual, y: Dual | Array) -> Dual: ...
@overload
def matmul(x: Array, y: Dual) -> Dual: ...
@overload
def matmul(x: Array, y: Array) -> Array: ...
def matmul(x: Any, y: Any) -> Any:
    """Matrix product ``x @ y`` with NumPy's rules for 1-d operands and batch broadcasting."""
    return bind2(MATMUL, x, y)


@overload
def dot(x: Var, y: Var | Value) -> Var: ...
@overload
def dot(x: Value, y: Var) -> Var: ...
@overload
def dot(x: Value, y: Value) -> Value: ...
def dot(x: Any, y: Any) -> Any:
    """``np.dot`` for scalars, vectors and matrices (a product for scalars, else ``matmul``)."""
    if ndim(x) == 0 or ndim(y) == 0:
        return x * y
    if ndim(x) > 2 or ndim(y) > 2:
        raise ValueError("dot: operands of more than 2 axes are not supported; use einsum")
    return matmul(x, y)


@overload
def outer(x: Var, y: Var | Value) -> Var: ...
@overload
def outer(x: Value, y: Var) -> Var: ...
@overload
def outer(x: Value, y: Value) -> Array: ...
def outer(x: Any, y: Any) -> Any:
    """Outer product of two vectors (flattened first, as ``np.outer`` does): shape (n, m)."""
    return reshape(x, (-1, 1)) * reshape(y, (1, -1))


def _einsum_parse(spec: str, n: int) -> tuple[list[str], str]:
    spec = spec.replace(" ", "")
    if "." in spec:
        raise ValueError("einsum: '...' (ellipsis) is not supported; name every axis")
    ins_s, arrow, out = spec.partition("->")
    ins = ins_s.split(",")
    if len(ins) != n:
        raise ValueError(f"einsum: the subscripts name {len(ins)} operands but {n} were given")
    for term in ins:
        if len(set(term)) != len(term):
            raise ValueError(
                f"einsum: repeated index within one operand ({term!r}, a trace or diagonal) is "
                "not supported"
            )
        if any(c not in string.ascii_letters for c in term):
            raise ValueError(f"einsum: bad subscripts {term!r}")
    if not arrow:
        letters = "".join(ins)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return ins, out


def _einsum_vjp(g: Any, ans: Any, *ops: Any, spec: str, argnum: int) -> Any:
    ins, out = _einsum_parse(spec, len(ops))
    others = [o for j, o in enumerate(ops) if j != argnum]
    other_terms = [t for j, t in enumerate(ins) if j != argnum]
    target = ins[argnum]
    present = set(out).union(*other_terms)
    kept = "".join(c for c in target if c in present)
    ct = einsum(",".join([out, *other_terms]) + "->" + kept, g, *others)
    if kept != target:  # an index summed away in x alone: broadcast back along it
        xs = _shape_of(ops[argnum])
        ct = broadcast_to(
            reshape(ct, tuple(n if c in kept else 1 for c, n in zip(target, xs, strict=True))), xs
        )
    return ct


def _einsum_jvp(d: Any, ans: Any, *ops: Any, spec: str, argnum: int) -> Any:
    if ndim(d) > ndim(ops[argnum]):  # k directions: give the batch axis a letter of its own
        ins, out = _einsum_parse(spec, len(ops))
        free = next(c for c in string.ascii_letters if c not in spec)
        ins[argnum] = free + ins[argnum]
        spec = ",".join(ins) + "->" + free + out
    return einsum(spec, *(d if j == argnum else o for j, o in enumerate(ops)))


EINSUM = register(
    Primitive(
        "einsum",
        impl=lambda *ops, spec: np.einsum(spec, *ops),
        vjp=(_einsum_vjp,),
        jvp=(_einsum_jvp,),
        notation="einsum({p}; {*})",
        variadic=True,
    )
)


def einsum(subscripts: str, *operands: Any) -> Any:
    """Einstein summation, like ``np.einsum`` (explicit or implicit output; no ellipsis, no
    repeated index within one operand). Returns a Var when any operand is a Var.

    Example:
        ``einsum("ij,jk->ik", a, b)`` is ``a @ b``.
    """
    ins, out = _einsum_parse(subscripts, len(operands))
    return bind(EINSUM, *operands, spec=",".join(ins) + "->" + out)


# ----- shapes ------------------------------------------------------------------------------------


def _reshape_impl(x: Any, shape: tuple[int, ...]) -> Any:
    if type(x) is float and shape == ():
        return x
    return np.reshape(x, shape)


RESHAPE = register(
    Primitive(
        "reshape",
        impl=_reshape_impl,
        vjp=(lambda g, ans, x, shape: reshape(g, _shape_of(x)),),
        jvp=(lambda dx, ans, x, shape: reshape(dx, _batch(dx, x) + shape),),
        notation="reshape({0}{p})",
    )
)


@overload
def reshape(x: Var, shape: int | tuple[int, ...]) -> Var: ...
@overload
def reshape(x: Dual, shape: int | tuple[int, ...]) -> Dual: ...
@overload
def reshape(x: Value, shape: int | tuple[int, ...]) -> Value: ...
def reshape(x: Any, shape: Any) -> Any:
    """The same elements in a new shape (one entry may be -1), like ``np.reshape``."""
    new = (shape,) if isinstance(shape, int | np.integer) else tuple(int(s) for s in shape)
    if -1 in new:
        new = tuple(np.empty(_shape_of(x), dtype=np.bool_).reshape(new).shape)
    if new == _shape_of(x):
        return x
    return bind(RESHAPE, x, shape=new)


def _batch_perm(axes: tuple[int, ...], nb: int) -> tuple[int, ...]:
    return tuple(range(nb)) + tuple(a + nb for a in axes)


def _inverse_perm(axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort(axes))


TRANSPOSE = register(
    Primitive(
        "transpose",
        impl=lambda x, axes: np.transpose(x, axes),
        vjp=(lambda g, ans, x, axes: transpose(g, _inverse_perm(axes)),),
        jvp=(lambda dx, ans, x, axes: transpose(dx, _batch_perm(axes, len(_batch(dx, x)))),),
        notation="transpose({0}{p})",
    )
)


@overload
def transpose(x: Var, axes: Sequence[int] | None = None) -> Var: ...
@overload
def transpose(x: Array, axes: Sequence[int] | None = None) -> Array: ...
def transpose(x: Any, axes: Any = None) -> Any:
    """Permute the axes (reverse them by default), like ``np.transpose``."""
    n = ndim(x)
    norm = (
        tuple(range(n))[::-1] if axes is None else tuple(int(a) % builtins.max(n, 1) for a in axes)
    )
    if n < 2 or norm == tuple(range(n)):
        return x
    return bind(TRANSPOSE, x, axes=norm)


@overload
def swapaxes(x: Var, axis1: int, axis2: int) -> Var: ...
@overload
def swapaxes(x: Array, axis1: int, axis2: int) -> Array: ...
def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """Exchange two axes, like ``np.swapaxes``."""
    perm = list(range(ndim(x)))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return transpose(x, perm)


@overload
def expand_dims(x: Var, axis: int | tuple[int, ...]) -> Var: ...
@overload
def expand_dims(x: Value, axis: int | tuple[int, ...]) -> Array: ...
def expand_dims(x: Any, axis: Any) -> Any:
    """Insert axes of length 1 at ``axis``, like ``np.expand_dims``."""
    return reshape(x, np.expand_dims(np.empty(_shape_of(x), dtype=np.bool_), axis).shape)


@overload
def squeeze(x: Var, axis: int | tuple[int, ...] | None = None) -> Var: ...
@overload
def squeeze(x: Value, axis: int | tuple[int, ...] | None = None) -> Value: ...
def squeeze(x: Any, axis: Any = None) -> Any:
    """Remove axes of length 1 (all of them, or those at ``axis``), like ``np.squeeze``."""
    return reshape(x, np.squeeze(np.empty(_shape_of(x), dtype=np.bool_), axis).shape)


def _sum_to_impl(x: Any, shape: tuple[int, ...]) -> Any:
    lead = np.ndim(x) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and np.shape(x)[lead + i] != 1
    )
    out = np.sum(x, axis=axes, keepdims=True) if axes else x
    return np.reshape(out, shape) if lead else out


def _batched_broadcast_to(d: Any, x: Any, shape: tuple[int, ...]) -> Any:
    b = _batch(d, x)
    if not b:
        return broadcast_to(d, shape)
    aligned = b + (1,) * (len(shape) - ndim(x)) + _shape_of(x)
    return broadcast_to(reshape(d, aligned), b + shape)


def _batched_sum_to(d: Any, x: Any, shape: tuple[int, ...]) -> Any:
    b = _batch(d, x)
    if not b:
        return sum_to(d, shape)
    aligned = b + (1,) * (ndim(x) - len(shape)) + shape
    return reshape(sum_to(d, aligned), b + shape)


BROADCAST_TO = register(
    Primitive(
        "broadcast_to",
        impl=lambda x, shape: np.broadcast_to(x, shape),
        vjp=(lambda g, ans, x, shape: sum_to(g, _shape_of(x)),),
        jvp=(lambda dx, ans, x, shape: _batched_broadcast_to(dx, x, shape),),
        notation="broadcast_to({0}{p})",
    )
)
SUM_TO = register(
    Primitive(
        "sum_to",
        impl=_sum_to_impl,
        vjp=(lambda g, ans, x, shape: broadcast_to(g, _shape_of(x)),),
        jvp=(lambda dx, ans, x, shape: _batched_sum_to(dx, x, shape),),
        notation="sum_to({0}{p})",
    )
)


@overload
def broadcast_to(x: Var, shape: tuple[int, ...]) -> Var: ...
@overload
def broadcast_to(x: Value, shape: tuple[int, ...]) -> Array: ...
def broadcast_to(x: Any, shape: Any) -> Any:
    """Broadcast to ``shape``, like ``np.broadcast_to``; the VJP sums back over the copies."""
    shape = tuple(shape)
    if _shape_of(x) == shape:
        return x
    return bind(BROADCAST_TO, x, shape=shape)


def sum_to(x: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``x`` down to ``shape`` (the inverse of broadcasting ``shape`` up to ``x``'s)."""
    if _shape_of(x) == shape:
        return x
    return bind(SUM_TO, x, shape=shape)


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, int | slice | np.integer) or i is None or i is Ellipsis for i in items)


def _scatter_add_impl(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
    out = np.zeros(shape, dtype=g.dtype if isinstance(g, np.ndarray) else np.float64)
    if _is_basic(index):
        out[index] = g  # basic indexing selects each element at most once
    else:
        np.add.at(out, index, g)  # repeated indices accumulate
    return out


def _batch_index(index: Any, nb: int) -> Any:
    if nb == 0:
        return index
    items = index if isinstance(index, tuple) else (index,)
    return (slice(None),) * nb + items


def _advanced_front(index: Any) -> int:
    """The number of result axes NumPy's advanced indices take at the FRONT of the result:
    when they are not adjacent (an int or array, a slice, an array: ``x[1, :, [0, 4]]``),
    NumPy puts their broadcast axes first, before the batch axes a vector-mode tangent
    prepends; 0 when they stay in place."""
    items = index if isinstance(index, tuple) else (index,)
    arrays = [np.asarray(i) for i in items if isinstance(i, np.ndarray | list)]
    if not arrays:
        return 0
    adv = [k for k, i in enumerate(items) if isinstance(i, np.ndarray | list | int | np.integer)]
    if adv == list(range(adv[0], adv[-1] + 1)):
        return 0
    shapes = [np.shape(np.nonzero(a)[0]) if a.dtype == np.bool_ else a.shape for a in arrays]
    return len(np.broadcast_shapes(*shapes))


def _getitem_jvp(dx: Any, ans: Any, x: Any, index: Any) -> Any:
    nb = len(_batch(dx, x))
    out = getitem(dx, _batch_index(index, nb))
    k = _advanced_front(index) if nb else 0
    if k:  # NumPy put the advanced axes before the batch axes: batch axes back to the front
        rest = tuple(range(k + nb, ndim(out)))
        out = transpose(out, tuple(range(k, k + nb)) + tuple(range(k)) + rest)
    return out


def _scatter_add_jvp(dx: Any, ans: Any, x: Any, index: Any, shape: tuple[int, ...]) -> Any:
    b = _batch(dx, x)
    nb = len(b)
    k = _advanced_front(index) if nb else 0
    if k:  # the batched index takes the advanced axes first, then the batch axes
        rest = tuple(range(nb + k, ndim(dx)))
        dx = transpose(dx, tuple(range(nb, nb + k)) + tuple(range(nb)) + rest)
    return scatter_add(dx, _batch_index(index, nb), b + shape)


GETITEM = register(
    Primitive(
        "getitem",
        impl=lambda x, index: x[index],
        vjp=(lambda g, ans, x, index: scatter_add(g, index, _shape_of(x)),),
        jvp=(_getitem_jvp,),
        notation="{0}[{p}]",
    )
)
SCATTER_ADD = register(
    Primitive(
        "scatter_add",
        impl=_scatter_add_impl,
        vjp=(lambda g, ans, x, index, shape: getitem(g, index),),
        jvp=(_scatter_add_jvp,),
        notation="scatter_add({0}{p})",
    )
)


def check_index(index: Any) -> Any:
    items = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, Var) for i in items):
        fixed = []
        for i in items:
            if isinstance(i, Var):
                mask = plain(i)
                if not (isinstance(mask, np.ndarray) and mask.dtype == np.bool_):
                    raise TypeError("a Var cannot be an index unless it is a boolean mask (v > 0)")
                guard(i, "index")  # replay must see the same mask: the shape depends on it
                fixed.append(mask)
            else:
                fixed.append(i)
        return tuple(fixed) if isinstance(index, tuple) else fixed[0]
    if isinstance(index, list):
        return np.asarray(index)
    return index


def guard(v: Any, kind: str) -> Any:
    """``kind(v)`` (bool, int, float or index): a value leaving the tape for Python. While a
    tape records, the outcome is kept as a guard record that replay checks."""
    from ._tape import _STACK

    result = _guard_impl(plain(v), kind)
    stack = [t for t in _STACK.get() if t._state == "active"]
    if stack and isinstance(v, Var):
        stack[-1]._guard(v, kind, result)
    return result


def getitem(x: Any, index: Index) -> Any:
    """``x[index]`` with basic slices, integer arrays or boolean masks. The VJP scatter-adds,
    so repeated indices accumulate."""
    if type(x) is float:
        raise TypeError("a scalar Var cannot be indexed")
    return bind(GETITEM, x, index=check_index(index))


def scatter_add(g: Any, index: Index, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate)."""
    return bind(SCATTER_ADD, g, index=index, shape=tuple(shape))


def _norm_ax(axis: int, n: int) -> int:
    if not -n <= axis < n:
        raise ValueError(f"axis {axis} is out of bounds for {n} dimensions")
    return axis % n


def _concat_vjp(g: Any, ans: Any, *xs: Any, axis: int, argnum: int) -> Any:
    start = builtins.sum(_shape_of(x)[axis] for x in xs[:argnum])
    stop = start + _shape_of(xs[argnum])[axis]
    return getitem(g, (slice(None),) * axis + (slice(start, stop),))


def _concat_jvp(d: Any, ans: Any, *xs: Any, axis: int, argnum: int) -> Any:
    b = _batch(d, xs[argnum])
    parts = [d if j == argnum else np.zeros(b + _shape_of(x)) for j, x in enumerate(xs)]
    return concatenate(parts, axis=axis + len(b))


CONCATENATE = register(
    Primitive(
        "concatenate",
        impl=lambda *xs, axis: np.concatenate(xs, axis=axis),
        vjp=(_concat_vjp,),
        jvp=(_concat_jvp,),
        notation="concatenate({*}{p})",
        variadic=True,
    )
)


def concatenate(arrays: Sequence[Any], axis: int = 0) -> Any:
    """Join arrays along an existing axis, like ``np.concatenate``. Returns a Var when any
    input is a Var."""
    if len(arrays) == 0:
        raise ValueError("concatenate needs at least one array")
    return bind(CONCATENATE, *arrays, axis=_norm_ax(axis, ndim(arrays[0])))


def _stack_jvp(d: Any, ans: Any, *xs: Any, axis: int, argnum: int) -> Any:
    b = _batch(d, xs[argnum])
    parts = [d if j == argnum else np.zeros(b + _shape_of(x)) for j, x in enumerate(xs)]
    return stack(parts, axis=axis + len(b))


STACK = register(
    Primitive(
        "stack",
        impl=lambda *xs, axis: np.stack(xs, axis=axis),
        vjp=(lambda g, ans, *xs, axis, argnum: getitem(g, (slice(None),) * axis + (argnum,)),),
        jvp=(_stack_jvp,),
        notation="stack({*}{p})",
        variadic=True,
    )
)


def stack(arrays: Sequence[Any], axis: int = 0) -> Any:
    """Join arrays of one shape along a new axis, like ``np.stack``. Returns a Var when any
    input is a Var."""
    if len(arrays) == 0:
        raise ValueError("stack needs at least one array")
    return bind(STACK, *arrays, axis=_norm_ax(axis, ndim(arrays[0]) + 1))


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Any]:
    """Split into pieces along ``axis``, like ``np.split``; each piece is one ``getitem``."""
    n = _shape_of(x)[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(
                f"split: {n} elements do not divide into {indices_or_sections} sections"
            )
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0, *indices_or_sections, n]
    ax = _norm_ax(axis, ndim(x))
    return [getitem(x, (slice(None),) * ax + (slice(a, b),)) for a, b in itertools.pairwise(bounds)]


FLIP = register(
    Primitive(
        "flip",
        impl=lambda x, axis: np.flip(x, axis),
        vjp=(lambda g, ans, x, axis: flip(g, axis),),
        jvp=(lambda dx, ans, x, axis: flip(dx, axis),),
        notation="flip({0}{p})",
    )
)


@overload
def flip(x: Var, axis: Axis = None) -> Var: ...
@overload
def flip(x: Array, axis: Axis = None) -> Array: ...
def flip(x: Any, axis: Axis = None) -> Any:
    """Reverse the order of elements along ``axis`` (all axes by default), like ``np.flip``."""
    return bind(FLIP, x, axis=norm_axis(axis, ndim(x)))


@overload
def stop_gradient(x: Var) -> Var: ...
@overload
def stop_gradient(x: Dual | Value) -> Value: ...
def stop_gradient(x: Any) -> Any:
    """The same value with no history: no derivative of any order, in either mode, flows
    through it (``x.detach()``). A Var gives a new Var; a Dual gives its plain value."""
    if isinstance(x, Var):
        return Var(plain(x))
    return plain(x)


# ----- comparisons and guards: recorded, so a replayed tape recomputes them; no derivative ----


def _comparison(name: str, op: Callable[[Any, Any], Any], symbol: str) -> Primitive:
    def impl(x: Any, y: Any) -> Any:
        out = op(x, y)
        return bool(out) if isinstance(out, np.bool_) else out

    return register(
        Primitive(
            name,
            impl=impl,
            vjp=(None, None),
            jvp=(None, None),
            notation="{0} " + symbol + " {1}",
            differentiable=False,
        )
    )


LESS = _comparison("less", np.less, "<")
LESS_EQUAL = _comparison("less_equal", np.less_equal, "≤")
GREATER = _comparison("greater", np.greater, ">")
GREATER_EQUAL = _comparison("greater_equal", np.greater_equal, "≥")
EQUAL = _comparison("equal", np.equal, "==")
NOT_EQUAL = _comparison("not_equal", np.not_equal, "≠")
LOGICAL_AND = _comparison("logical_and", np.logical_and, "and")
LOGICAL_OR = _comparison("logical_or", np.logical_or, "or")
LOGICAL_NOT = register(
    Primitive(
        "logical_not",
        impl=lambda x: (not x) if isinstance(x, bool) else np.logical_not(x),
        vjp=(None,),
        jvp=(None,),
        notation="not {0}",
        differentiable=False,
    )
)

COMPARISON_ROWS: dict[np.ufunc, Primitive] = {
    np.less: LESS,
    np.less_equal: LESS_EQUAL,
    np.greater: GREATER,
    np.greater_equal: GREATER_EQUAL,
    np.equal: EQUAL,
    np.not_equal: NOT_EQUAL,
    np.logical_and: LOGICAL_AND,
    np.logical_or: LOGICAL_OR,
    np.logical_not: LOGICAL_NOT,
    # `mask & v`, `mask | v` and `~v` on boolean arrays arrive as the bitwise ufuncs
    np.bitwise_and: LOGICAL_AND,
    np.bitwise_or: LOGICAL_OR,
    np.invert: LOGICAL_NOT,
}


def _guard_impl(x: Any, kind: str) -> Any:
    if kind == "bool":
        return bool(x)
    if kind == "int":
        return int(x)
    if kind == "index":
        return np.array(x, copy=True)
    return float(np.asarray(x).item() if isinstance(x, np.ndarray) else x)


GUARD = register(
    Primitive(
        "guard",
        impl=_guard_impl,
        vjp=(None,),
        jvp=(None,),
        notation="guard {p}({0})",
        differentiable=False,
    )
)
"""A value that left the tape for Python (``bool(v)``, ``float(v)``, a mask used as an
index): the outcome seen while recording, which a replay must see again."""


# ----- NumPy protocols ---------------------------------------------------------------------------

UFUNCS: dict[np.ufunc, Primitive] = {
    np.add: ADD,
    np.subtract: SUB,
    np.multiply: MUL,
    np.divide: DIV,
    np.power: POW,
    np.negative: NEG,
    np.maximum: MAXIMUM,
    np.minimum: MINIMUM,
    np.exp: EXP,
    np.log: LOG,
    np.log1p: LOG1P,
    np.expm1: EXPM1,
    np.sin: SIN,
    np.cos: COS,
    np.tan: TAN,
    np.tanh: TANH,
    np.sqrt: SQRT,
    np.square: SQUARE,
    np.absolute: ABS,
    np.sign: SIGN,
    np.matmul: MATMUL,
}
"""NumPy ufuncs that reach a primitive when called on a Var."""


def compare(row: Primitive, *args: Any) -> Any:
    """A comparison: recorded (a boolean Var) while a tape records, plain booleans otherwise."""
    if _recording() and any(isinstance(a, Var) for a in args):
        return bind(row, *args)
    out = row.impl(*(plain(a) for a in args))
    return out


def _recording() -> bool:
    from ._tape import _STACK

    return any(t._state == "active" for t in _STACK.get())


def array_ufunc(
    ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``Var.__array_ufunc__``: route a NumPy ufunc to its primitive, or refuse clearly."""
    if method == "__call__" and not kwargs:
        row = UFUNCS.get(ufunc)
        if row is not None:
            return bind(row, *inputs)
        if ufunc in COMPARISON_ROWS:
            return compare(COMPARISON_ROWS[ufunc], *inputs)
        if ufunc is np.positive:
            return inputs[0]
    what = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    extra = f" with {', '.join(kwargs)}=" if kwargs else ""
    raise TypeError(
        f"{what}{extra} is not supported on tape Vars (a gradient would be lost). "
        f"Supported ufuncs: {', '.join(sorted(u.__name__ for u in UFUNCS))}; "
        "see tape.SUPPORTED_NUMPY."
    )


FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.sum: sum,
    np.mean: mean,
    np.max: max,
    np.amax: max,
    np.min: min,
    np.amin: min,
    np.prod: prod,
    np.var: var,
    np.std: std,
    np.dot: dot,
    np.outer: outer,
    np.einsum: einsum,
    np.reshape: reshape,
    np.transpose: transpose,
    np.swapaxes: swapaxes,
    np.expand_dims: expand_dims,
    np.squeeze: squeeze,
    np.broadcast_to: broadcast_to,
    np.concatenate: concatenate,
    np.stack: stack,
    np.split: split,
    np.flip: flip,
    np.where: where,
    np.clip: clip,
    np.shape: _shape_of,
    np.ndim: ndim,
}
"""NumPy functions that reach tape's function of the same name when called on a Var."""


SUPPORTED_NUMPY: tuple[str, ...] = tuple(
    sorted({f"np.{u.__name__}" for u in UFUNCS} | {f"np.{f.__name__}" for f in FUNCTIONS})
)
"""Names of the NumPy ufuncs and functions that are recorded when called on a Var."""


def array_function(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``Var.__array_function__``: route a NumPy function to tape's, or refuse clearly."""
    ours = FUNCTIONS.get(func)
    if ours is None:
        name = getattr(func, "__name__", repr(func))
        raise TypeError(
            f"np.{name} is not supported on tape Vars (a gradient would be lost). Supported: "
            f"{', '.join(sorted({f.__name__ for f in FUNCTIONS}))}, and the ufuncs in "
            "tape.SUPPORTED_NUMPY; or use v.value to leave the tape on purpose."
        )
    try:
        return ours(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"np.{func.__name__} on a Var: {e}") from None
