"""The primitive table: every primitive's forward computation, VJP rules and JVP rules, together.

Each block below is one row (a ``Primitive``) followed by the public function that binds it.
A row takes the shape that fits it (see ``_rows``): an elementwise primitive declares its
partial derivatives once (``elementwise``, rules ``t ↦ t·∂f/∂xᵢ`` named with ``t``), a
self-adjoint one its one map (``self_adjoint``), a linear one (sums, shapes, indexing,
concatenation, casts) its map and its transpose (``linear``), max, min and prod a weight per
element (``_weighted_reduction``), and structured rows (logsumexp, log_softmax, matmul,
einsum) write their VJP rules (``g``, the output's cotangent) and JVP rules (``dx``, ``dy``,
the inputs' tangents) explicitly. ``ans`` is the output, ``x``, ``y`` the inputs. Rules are
written with this module's own functions, so that the same rule runs on floats, arrays,
recorded Vars and Duals.

Python floats stay Python floats: a row's forward computation uses ``math`` on floats (about
ten times cheaper than a 0-d NumPy call) and NumPy on arrays, with NumPy's results (inf, nan)
where ``math`` would raise.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import itertools
import math
import operator
import string
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast, overload

import numpy as np
import numpy.typing as npt

from ._core import (
    _STACK,
    _plain,
    bind,
    canonical,
    is_dual,
    is_var,
    new_leaf,
    note_escape,
    unwrap,
)
from ._rows import (
    Array,
    Axis,
    Code,
    Index,
    PlainCode,
    Primitive,
    Rule,
    Value,
    elementwise,
    register,
    same,
    self_adjoint,
)

if TYPE_CHECKING:
    from ._dual import Dual
    from ._var import Var

plain = _plain
"""The plain value inside ``v`` (no derivative flows through it): masks, signs, shapes."""


def _shape_of(v: Any) -> tuple[int, ...]:
    """The shape of a float, array, Var or Dual (``()`` for a float)."""
    if type(v) is not np.ndarray and type(v) is not float:
        v = plain(v)
    if type(v) is np.ndarray:
        return v.shape  # type: ignore[no-any-return]
    return () if type(v) is float else tuple(np.shape(v))


def ndim(v: Any) -> int:
    """The number of axes of a float, array, Var or Dual."""
    if type(v) is not np.ndarray and type(v) is not float:
        v = plain(v)
    if type(v) is np.ndarray:
        return v.ndim
    return 0 if type(v) is float else len(np.shape(v))


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


_ALL_AXES = tuple(tuple(range(-n, 0)) for n in range(65))  # (NumPy's limit: 64 axes)


def norm_axis(axis: Axis | list[int], n: int) -> tuple[int, ...] | int:
    """Axes as negative numbers (None: all of them), so that a leading batch axis on a
    tangent (vector-mode forward) leaves their meaning unchanged."""
    if axis is None or n == 0:  # (axis 0 or -1 of a scalar is the scalar itself)
        if n == 0 and axis not in (None, 0, -1, ()):
            raise ValueError(f"axis {axis} is out of bounds for a scalar")
        return _ALL_AXES[n] if n < len(_ALL_AXES) else tuple(range(-n, 0))
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


VIEW_FROM = 1 << 16
"""The size (elements) from which a plain cotangent spread over a reduction's axes is a
read-only broadcast view, not a filled array: a big array's fill writes memory the next
rule reads once (``sum(tanh(A @ B))`` at 2048²: 32 MB and, on fresh pages, up to 0.1 s),
while below it ``np.broadcast_to`` costs three times a small fill. Gradients handed out are
always writable arrays of their own (``Tape.gradient`` copies a view)."""


def _spread(g: Any, shape: tuple[int, ...], size: int) -> Any:
    """A plain ``g`` (a float, or an array that broadcasts to ``shape``) repeated to
    ``shape`` (of ``size`` elements): a filled array, or a broadcast view from
    ``VIEW_FROM`` elements."""
    if size >= VIEW_FROM:
        return np.broadcast_to(g, shape)
    if type(g) is float:
        out = np.empty(shape)
        out.fill(g)  # (np.empty and fill: a third of np.full's or np.broadcast_to's cost)
    else:
        out = np.empty(shape, dtype=g.dtype)
        out[...] = g
    return out


def _unreduce(g: Any, x: Any, axis: Axis, keepdims: bool) -> Any:
    """Broadcast a reduction's cotangent back over the reduced axes of ``x``."""
    xs = _shape_of(x)
    if xs == ():
        return g
    if type(g) is float:  # plain, a full reduction's cotangent
        return _spread(g, xs, x.size if type(x) is np.ndarray else math.prod(xs))
    ks = _keep_shape(xs, axis)
    if type(g) is np.ndarray:  # plain
        return _spread(g.reshape(ks), xs, math.prod(xs))
    if _shape_of(g) != ks:
        g = reshape(g, ks)
    return broadcast_to(g, xs)


def _batch(d: Any, x: Any) -> tuple[int, ...]:
    """The leading batch axes of a tangent ``d`` of ``x`` (vector-mode forward), or ()."""
    ds = _shape_of(d)
    return ds[: len(ds) - ndim(x)]


def held(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn`` of the inputs' plain values: a value without a derivative that a rule works
    with (a mask, a tie's share, a rounded quotient). On plain inputs, ``fn(*args)``; on
    recorded or dual ones, a record of its own (the row ``held``), so that a recorded sweep
    (a gradient taken while an outer tape records, as ``grad`` of ``grad`` does) keeps how
    the value is computed, not its value: a compiled second-order tape recomputes it at
    new inputs instead of keeping the recorded mask."""
    for a in args:
        if unwrap(a) is not a:  # a Var or a Dual
            return bind(HELD, *args, fn=fn)
    return fn(*args)


def _sign_of(x: Any) -> Any:
    if type(x) is float:
        return float((x > 0) - (x < 0))
    return np.sign(x)


def _sgn(x: Any) -> Any:
    """Sign of the value (no derivative flows through it)."""
    return held(_sign_of, x)


def _bools(b: Any) -> Any:
    """A NumPy boolean scalar as a Python bool (what comparisons of floats give)."""
    return bool(b) if isinstance(b, np.bool_) else b


def _positive(x: Any) -> Any:
    return _bools(x > 0.0)


def _is_zero(x: Any) -> Any:
    return _bools(x == 0.0)


def _mask(cond: Any) -> Any:
    """A boolean condition as a multiplier: 0.0/1.0 for a scalar, the boolean array itself
    for arrays (NumPy multiplies by it without a conversion pass)."""
    if isinstance(cond, bool | np.bool_):
        return 1.0 if cond else 0.0
    return cond


def _fmt_params(params: dict[str, Any]) -> str:
    return "".join(f", {k}={v!r}" for k, v in params.items() if v is not None and v is not False)


# ----- plain code: what a row reads as in a replayed program (see _rows.Code, _codegen) -------
#
# Each function gets one record's input values, output value and parameters (as recorded) and
# returns the row's forward and derivative as NumPy / ``math`` templates with every shape made
# literal, or None where the generic implementation should run instead. Templates on floats
# use ``math`` (which raises where NumPy gives inf or nan: the program then replays that call
# generically) and Python's own operators; on arrays, NumPy.


def _floats(ins: tuple[Any, ...]) -> bool:
    return all(type(x) is float for x in ins)


def _plain_unary(fn: str, np_fn: str, partial: str = "", vjp: str = "") -> PlainCode:
    """A one-input elementwise row's plain code: ``math.fn`` on a float, ``np.np_fn`` on an
    array; its derivative as a partial (``LIB`` is math or np) or as a VJP in ``{g}``."""

    def made(lib: str, f: str) -> Code:
        if vjp:
            return Code(f"{lib}.{f}({{0}})", vjp=(vjp.replace("LIB", lib),))
        return Code(f"{lib}.{f}({{0}})", partials=(partial.replace("LIB", lib),))

    on_float, on_array = made("math", fn), made("np", np_fn)
    return lambda ins, ans, params: on_float if type(ins[0]) is float else on_array


def _plain_both(on_float: Code, on_array: Code) -> PlainCode:
    """Plain code that depends only on whether all inputs are floats."""
    return lambda ins, ans, params: on_float if _floats(ins) else on_array


def _sum_to_code(expr: str, to: tuple[int, ...], frm: tuple[int, ...]) -> str:
    """``expr`` (of shape ``frm``) summed down to shape ``to``, as code with literal axes."""
    lead = len(frm) - len(to)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(to) if n == 1 and frm[lead + i] != 1
    )
    if not axes:
        return expr
    if len(axes) == lead:  # only leading axes: the sum has the shape already
        return f"{expr}.sum(axis={axes!r})"
    out = f"{expr}.sum(axis={axes!r}, keepdims=True)"
    return f"{out}.reshape({to!r})" if lead else out


_PLAIN_ADD = Code("{0} + {1}", partials=("1", "1"))
_PLAIN_SUB = Code("{0} - {1}", partials=("1", "-1"))
_PLAIN_MUL = Code("{0} * {1}", partials=("{1}", "{0}"))
_PLAIN_DIV = Code("{0} / {1}", vjp=("{g} / {1}", "-({g} * {ans} / {1})"))
_PLAIN_NEG = Code("-{0}", partials=("-1",))
_PLAIN_SQUARE = Code("{0} * {0}", partials=("2.0 * {0}",))


def _plain_power(ins: tuple[Any, ...], ans: Any, params: dict[str, Any]) -> Code:
    # y·x**(y−1) with 0 at x = 0, y = 0, and x**y·ln x with ln 1 at x = 0, y ≥ 0: the
    # edges of _pow_exponent_less_one and _log_base, written out
    if _floats(ins):
        return Code(
            "math.pow({0}, {1})",
            partials=(
                "{1} * math.pow({0}, 1.0 if {0} == 0.0 and {1} == 0.0 else {1} - 1.0)",
                "{ans} * math.log(1.0 if {0} == 0.0 and {1} >= 0.0 else {0})",
            ),
        )
    if type(ins[1]) is float:  # an array to a float power (x ** 2.0): the edges by Python's if
        return Code(
            "np.power({0}, {1})",
            partials=(
                "({1} * np.power({0}, {1} - 1.0) if {1} != 0.0 else np.zeros_like({0}))",
                "{ans} * np.log(np.where({0} == 0.0, 1.0, {0}) if {1} >= 0.0 else {0})",
            ),
        )
    return Code(
        "np.power({0}, {1})",
        partials=(
            "{1} * np.power({0}, np.where(({0} == 0.0) & ({1} == 0.0), 1.0, {1} - 1.0))",
            "{ans} * np.log(np.where(({0} == 0.0) & ({1} >= 0.0), 1.0, {0}))",
        ),
    )


_PLAIN_MAXIMUM = _plain_both(
    Code(
        "max({0}, {1})",
        partials=(
            "(1.0 if {0} > {1} else 0.5 if {0} == {1} else 0.0)",
            "(1.0 if {1} > {0} else 0.5 if {1} == {0} else 0.0)",
        ),
    ),
    Code(
        "np.maximum({0}, {1})",
        partials=(
            "np.where({0} > {1}, 1.0, np.where({0} == {1}, 0.5, 0.0))",
            "np.where({1} > {0}, 1.0, np.where({1} == {0}, 0.5, 0.0))",
        ),
    ),
)
_PLAIN_MINIMUM = _plain_both(
    Code(
        "min({0}, {1})",
        partials=(
            "(1.0 if {1} > {0} else 0.5 if {1} == {0} else 0.0)",
            "(1.0 if {0} > {1} else 0.5 if {0} == {1} else 0.0)",
        ),
    ),
    Code(
        "np.minimum({0}, {1})",
        partials=(
            "np.where({1} > {0}, 1.0, np.where({1} == {0}, 0.5, 0.0))",
            "np.where({0} > {1}, 1.0, np.where({0} == {1}, 0.5, 0.0))",
        ),
    ),
)
_PLAIN_RELU = _plain_both(
    Code("({0} if {0} > 0.0 else 0.0)", partials=("(1.0 if {0} > 0.0 else 0.0)",)),
    Code("np.maximum({0}, 0.0)", partials=("({0} > 0.0)",)),
)
_PLAIN_ABS = _plain_both(
    Code("abs({0})", partials=("(1.0 if {0} > 0.0 else -1.0 if {0} < 0.0 else 0.0)",)),
    Code("np.abs({0})", partials=("np.sign({0})",)),
)
_PLAIN_SIGMOID = _plain_both(
    Code(
        "(1.0 / (1.0 + math.exp(-{0})) if {0} >= 0.0 else math.exp({0}) / (1.0 + math.exp({0})))",
        partials=("{ans} * (1.0 - {ans})",),
    ),
    Code("np.exp(-np.logaddexp(0.0, -{0}))", partials=("{ans} * (1.0 - {ans})",)),
)


def _plain_where(ins: tuple[Any, ...], ans: Any, params: dict[str, Any]) -> Code | None:
    if type(ans) is float:  # a scalar condition and scalar branches: Python's conditional
        if not all(type(x) is float for x in ins[1:]):
            return None
        return Code(
            "({1} if {0} else {2})", vjp=(None, "({g} if {0} else 0.0)", "(0.0 if {0} else {g})")
        )
    return Code(
        "np.where({0}, {1}, {2})", vjp=(None, "np.where({0}, {g}, 0.0)", "np.where({0}, 0.0, {g})")
    )


def _plain_compare(op: str) -> PlainCode:
    code = Code("{0} " + op + " {1}")
    return lambda ins, ans, params: code


_PLAIN_COMPARISONS = {
    name: _plain_compare(op)
    for name, op in (
        ("less", "<"),
        ("less_equal", "<="),
        ("greater", ">"),
        ("greater_equal", ">="),
        ("equal", "=="),
        ("not_equal", "!="),
    )
}
"""The comparisons' plain code (Python's operators act on floats and arrays alike)."""


def _plain_sum(ins: tuple[Any, ...], ans: Any, params: dict[str, Any]) -> Code:
    x = ins[0]
    if type(x) is float:
        return Code("{0}", vjp=("{g}",))
    axis, keepdims = params["axis"], params["keepdims"]
    ks = _keep_shape(x.shape, axis)
    if type(ans) is float:
        spread = f"np.full({x.shape!r}, {{g}})"
    else:
        g = "{g}" if ans.shape == ks else f"{{g}}.reshape({ks!r})"
        spread = f"np.broadcast_to({g}, {x.shape!r})"
    return Code(f"{{0}}.sum(axis={axis!r}, keepdims={keepdims!r})", vjp=(spread,))


def _plain_mean(ins: tuple[Any, ...], ans: Any, params: dict[str, Any]) -> Code:
    x = ins[0]
    if type(x) is float:
        return Code("{0}", vjp=("{g}",))
    axis, keepdims = params["axis"], params["keepdims"]
    ks = _keep_shape(x.shape, axis)
    if type(ans) is float:
        spread = f"np.full({x.shape!r}, {{g}} / {float(x.size)!r})"
    else:
        g = "{g}" if ans.shape == ks else f"{{g}}.reshape({ks!r})"
        count = float(x.size // builtins.max(1, ans.size))
        spread = f"np.broadcast_to({g}, {x.shape!r}) * {1.0 / count!r}"
    return Code(f"{{0}}.mean(axis={axis!r}, keepdims={keepdims!r})", vjp=(spread,))


def _plain_logsumexp(ins: tuple[Any, ...], ans: Any, params: dict[str, Any]) -> Code | None:
    x = ins[0]
    if type(x) is float:
        return None
    axis, keepdims = params["axis"], params["keepdims"]
    ks = _keep_shape(x.shape, axis)
    if type(ans) is float:
        vjp = "{g} * np.exp({0} - {ans})"
        jvp = "({d} * np.exp({0} - {ans})).sum()"
    else:
        r = (lambda v: v) if ans.shape == ks else (lambda v: f"{v}.reshape({ks!r})")
        vjp = f"{r('{g}')} * np.exp({{0}} - {r('{ans}')})"
        jvp = f"({{d}} * np.exp({{0}} - {r('{ans}')})).sum(axis={axis!r}, keepdims={keepdims!r})"
    return Code(
        f"{{f}}({{0}}, {axis!r}, {keepdims!r})",
        vjp=(vjp,),
        consts={"f": _logsumexp_impl},
        jvp=(jvp,),  # the softmax-weighted sum of the tangent
    )


def _plain_log_softmax(ins: tuple[Any, ...], ans: Any, params: dict[str, Any]) -> Code | None:
    if type(ins[0]) is float:
        return None
    axis = params["axis"]
    return Code(
        f"{{f}}({{0}}, {axis!r})",
        vjp=(f"{{g}} - np.exp({{ans}}) * {{g}}.sum(axis={axis!r}, keepdims=True)",),
        consts={"f": _log_softmax_impl},
        jvp=(f"{{d}} - (np.exp({{ans}}) * {{d}}).sum(axis={axis!r}, keepdims=True)",),
    )


def _plain_matmul(ins: tuple[Any, ...], ans: Any, params: dict[str, Any]) -> Code | None:
    x, y = ins
    if type(x) is not np.ndarray or type(y) is not np.ndarray or x.ndim > 2 or y.ndim > 2:
        return None
    jvp = ("{d} @ {1}", "{0} @ {d}")  # bilinear: each input's tangent in its place
    if x.ndim == 2 and y.ndim == 2:
        return Code("{0} @ {1}", vjp=("{g} @ {1}.T", "{0}.T @ {g}"), jvp=jvp)
    if x.ndim == 2:  # matrix · vector
        return Code("{0} @ {1}", vjp=("{g}[:, None] * {1}", "{g} @ {0}"), jvp=jvp)
    if y.ndim == 2:  # vector · matrix
        return Code("{0} @ {1}", vjp=("{1} @ {g}", "{0}[:, None] * {g}"), jvp=jvp)
    return Code("{0} @ {1}", vjp=("{g} * {1}", "{g} * {0}"), jvp=jvp)  # a dot product


def _plain_reshape(ins: tuple[Any, ...], ans: Any, params: dict[str, Any]) -> Code | None:
    x = ins[0]
    if type(x) is not np.ndarray:
        return None
    back = (
        f"np.reshape({{g}}, {x.shape!r})" if type(ans) is float else f"{{g}}.reshape({x.shape!r})"
    )
    return Code(f"{{0}}.reshape({params['shape']!r})", vjp=(back,))


def _plain_transpose(ins: tuple[Any, ...], ans: Any, params: dict[str, Any]) -> Code:
    axes = tuple(params["axes"])
    return Code(f"{{0}}.transpose({axes!r})", vjp=(f"{{g}}.transpose({_inverse_perm(axes)!r})",))


def _plain_broadcast_to(ins: tuple[Any, ...], ans: Any, params: dict[str, Any]) -> Code:
    x, shape = ins[0], tuple(params["shape"])
    if type(x) is float:
        back = "float({g}.sum())"
    else:
        back = _sum_to_code("{g}", x.shape, shape)
    return Code(f"np.broadcast_to({{0}}, {shape!r})", vjp=(back,))


def _plain_sum_to(ins: tuple[Any, ...], ans: Any, params: dict[str, Any]) -> Code | None:
    x, shape = ins[0], tuple(params["shape"])
    if type(x) is not np.ndarray or type(ans) is not np.ndarray:
        return None
    return Code(_sum_to_code("{0}", shape, x.shape), vjp=(f"np.broadcast_to({{g}}, {x.shape!r})",))


def _index_text(index: Any) -> str | None:
    """A basic index as the text inside ``[...]`` (``:, 0``, ``1:3, None``), or None."""
    items = index if isinstance(index, tuple) else (index,)
    parts = []
    for it in items:
        if type(it) is int:
            parts.append(repr(it))
        elif it is None:
            parts.append("None")
        elif it is Ellipsis:
            parts.append("...")
        elif type(it) is slice and all(
            v is None or type(v) is int for v in (it.start, it.stop, it.step)
        ):
            s = ("" if it.start is None else repr(it.start)) + ":"
            s += "" if it.stop is None else repr(it.stop)
            if it.step is not None:
                s += ":" + repr(it.step)
            parts.append(s)
        else:
            return None
    if len(items) == 1 and isinstance(index, tuple):
        parts.append("")
    return ", ".join(parts)


def _plain_getitem(ins: tuple[Any, ...], ans: Any, params: dict[str, Any]) -> Code | None:
    x, index = ins[0], params["index"]
    if type(x) is not np.ndarray:
        return None
    text = _index_text(index)
    fwd = "{0}[{index}]" if text is None else f"{{0}}[{text}]"
    return Code(
        fwd,
        vjp=(f"{{scatter}}({{g}}, {{index}}, {x.shape!r})",),
        consts={"index": index, "scatter": _scatter_add_impl},
    )


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


def linear(
    name: str,
    impl: Callable[..., Any],
    transpose: Rule,
    notation: str = "",
    code: PlainCode | None = None,
    *,
    batched_params: Callable[..., dict[str, Any]] | None = None,
    batched_map: Callable[..., Any] | None = None,
    constants: int = 0,
    variadic: bool = False,
) -> Primitive:
    """A linear row, declared by its map once (``impl``) and its transpose.

    A linear map is its own derivative, so the row's JVP is the row itself applied to the
    tangent (through ``bind``: the tangent may be recorded, dual, or a batch of directions);
    ``transpose(g, ans, x, **params)`` is its VJP. ``LINEAR`` lists the rows declared so.

    A tangent ``d`` may carry leading batch axes ``b = _batch(d, x)`` (vector mode). Rows
    whose parameters keep their meaning there (negative axes, a dtype) need nothing more;
    the others give one of:

    - ``batched_params(b, **params)``: the row's parameters for such a tangent (reshape's
      shape with ``b`` in front, transpose's axes after ``b``'s, concatenate's axis moved
      by ``len(b)``); the JVP is the row with them;
    - ``batched_map(d, b, x, **params)``: the map applied to such a tangent, where other
      parameters are not enough (broadcast_to and sum_to reshape the tangent first, getitem
      moves the axes of non-adjacent advanced indices back behind ``b``).

    Either is called only when ``d`` has batch axes: without them the JVP is
    ``bind(row, d, **params)``, after one ``_batch`` check (none for rows that need neither).

    ``constants`` counts inputs after the first that carry no derivative and pass unchanged
    into the JVP (permute's permutation): the map is linear in the first input alone, and
    those inputs' rules are None.

    ``variadic`` rows take any number of inputs and are linear in all of them together
    (concatenate, stack): ``transpose(g, ans, *xs, argnum, **params)`` is input ``argnum``'s
    cotangent, and its JVP is the row applied to its tangent with zeros in the other
    inputs' places (forward mode calls it once per input that has a tangent, with
    ``argnum``, and sums the contributions). ``batched_params`` then gets the batch axes
    of that tangent; ``batched_map`` and ``constants`` do not apply.
    """
    if batched_params is not None and batched_map is not None:
        raise ValueError(f"linear row {name!r}: give batched_params or batched_map, not both")
    if variadic and (batched_map is not None or constants):
        raise ValueError(f"linear row {name!r}: a variadic row takes only batched_params")

    rule: Rule
    if variadic:

        def jvp_each(d: Any, ans: Any, *xs: Any, argnum: int, **params: Any) -> Any:
            b = _batch(d, xs[argnum])
            parts = [d if j == argnum else np.zeros(b + _shape_of(x)) for j, x in enumerate(xs)]
            if b and batched_params is not None:
                params = batched_params(b, **params)
            return bind(row, *parts, **params)

        rule = jvp_each
    elif batched_map is not None:
        batched_tangent = batched_map

        def jvp_mapped(d: Any, ans: Any, x: Any, *rest: Any, **params: Any) -> Any:
            b = _batch(d, x)
            if b:
                return batched_tangent(d, b, x, *rest, **params)
            return bind(row, d, *rest, **params)

        rule = jvp_mapped
    elif batched_params is not None:
        batch_params = batched_params

        def jvp_params(d: Any, ans: Any, x: Any, *rest: Any, **params: Any) -> Any:
            b = _batch(d, x)
            return bind(row, d, *rest, **(batch_params(b, **params) if b else params))

        rule = jvp_params
    else:

        def jvp(d: Any, ans: Any, x: Any, *rest: Any, **params: Any) -> Any:
            return bind(row, d, *rest, **params)

        rule = jvp

    none: tuple[None, ...] = (None,) * constants
    row = Primitive(
        name,
        impl=impl,
        vjp=(transpose, *none),
        jvp=(rule, *none),
        notation=notation,
        code=code,
        variadic=variadic,
    )
    LINEAR.append(row)
    return row


LINEAR: list[Primitive] = []
"""The rows declared by ``linear`` (the tests check each transpose against its map, and its
JVP against the map, also on a batch of tangents)."""


def _unary(row: Primitive, doc: str) -> Unary:
    impl = row.impl
    floats = row.differentiable  # (comparison rows give booleans: canonical's checks)

    def f(x: Any) -> Any:
        t = type(x)
        if floats and (t is float or t is np.ndarray):  # plain (rules in a sweep): the row
            out = impl(x)
            to = type(out)
            if to is float or (to is np.ndarray and out.ndim and out.dtype.kind == "f"):
                return out
            return canonical(row, out)
        return bind(row, x)

    f.__name__ = f.__qualname__ = row.name
    f.__doc__ = doc
    return cast(Unary, f)


def _binary(row: Primitive, name: str, doc: str) -> Binary:
    def f(x: Any, y: Any) -> Any:
        return bind(row, x, y)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return cast(Binary, f)


def _reduction(row: Primitive, doc: str) -> Reduction:
    impl = row.impl

    def f(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        if type(x) is np.ndarray and x.dtype.kind == "f":  # plain (rules in a sweep)
            out = impl(x, axis=norm_axis(axis, x.ndim), keepdims=keepdims)
            return out if type(out) is np.ndarray and out.ndim else canonical(row, out)
        return bind(row, x, axis=norm_axis(axis, ndim(x)), keepdims=keepdims)

    f.__name__ = f.__qualname__ = row.name
    f.__doc__ = doc
    return cast(Reduction, f)


def _weighted_reduction(
    name: str, impl: Callable[..., Any], weight: Callable[[Any, Any, Axis], Any]
) -> Primitive:
    """A reduction row from its derivative: ``weight(ans, x, axis)``, ∂out/∂xᵢ for every
    element of x (the share of a maximum, the product of the others). Its VJP spreads the
    cotangent back over the reduced axes and multiplies; its JVP reduces ẋ·weight by a sum.
    """
    return Primitive(
        name,
        impl=impl,
        vjp=(
            lambda g, ans, x, axis, keepdims: (
                _unreduce(g, x, axis, keepdims) * weight(ans, x, axis)
            ),
        ),
        jvp=(
            lambda dx, ans, x, axis, keepdims: sum(
                dx * weight(ans, x, axis), axis=axis, keepdims=keepdims
            ),
        ),
        notation=name + "({0}{p})",
    )


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
    elementwise(
        "add",
        impl=lambda x, y: x + y,
        partials=(same, same),
        notation="{0} + {1}",
        code=lambda ins, ans, params: _PLAIN_ADD,
    )
)
add: Binary = _binary(ADD, "add", "Elementwise x + y, with broadcasting.")

SUB = register(
    elementwise(
        "subtract",
        impl=lambda x, y: x - y,
        partials=(same, lambda t, ans, x, y: -t),
        notation="{0} − {1}",
        code=lambda ins, ans, params: _PLAIN_SUB,
    )
)
subtract: Binary = _binary(SUB, "subtract", "Elementwise x − y, with broadcasting.")

MUL = register(
    elementwise(
        "multiply",
        impl=lambda x, y: x * y,
        partials=(lambda t, ans, x, y: t * y, lambda t, ans, x, y: t * x),
        notation="{0} × {1}",
        code=lambda ins, ans, params: _PLAIN_MUL,
    )
)
multiply: Binary = _binary(MUL, "multiply", "Elementwise x · y, with broadcasting.")

DIV = register(
    elementwise(
        "divide",
        impl=_div,
        partials=(
            lambda t, ans, x, y: divide(t, y),
            lambda t, ans, x, y: -divide(t * ans, y),
        ),
        notation="{0} / {1}",
        code=lambda ins, ans, params: _PLAIN_DIV,
    )
)
divide: Binary = _binary(
    DIV,
    "divide",
    "Elementwise x / y, with broadcasting (x / 0 gives ±inf or nan).\n\n"
    "∂/∂x = 1/y and ∂/∂y = −(x/y)/y, the formulas PyTorch's div backward uses: at y = 0 "
    "they are ±inf (nan at 0/0), without raising.",
)


def _pow_exponent_less_one(x: Any, y: Any) -> Any:
    """``y − 1``, except 1 where x = 0 and y = 0, for ∂(x**y)/∂x = y·x**(y−1).

    At x = 0 the formula with y = 0 is 0·0**(−1) = 0·∞ = nan, though x**0 = 1 is constant
    in x: the derivative is 0 (PyTorch's ``pow_backward`` and JAX's ``integer_pow`` give 0;
    JAX's float ``pow`` gives nan). Writing y·x**1 there gives that 0 with no infinity
    anywhere, so every higher derivative (x**1 at 0 differentiated twice) stays finite too.
    Only x = 0 is changed: elsewhere y·x**(y−1) is finite at y = 0, and its derivative in y
    (the mixed second derivative, 1/x at y = 0) must come from the true exponent y − 1.
    """
    if unwrap(y) is not y:  # a recorded or dual exponent: the mask without a branch
        return where(held(_both_zero, x, y), 1.0, y - 1.0)
    if unwrap(x) is not x:
        # a constant exponent: decided on its value alone (a replay keeps constants); where
        # y = 0 the derivative y·x**1 is 0 for every finite x
        if type(y) is float:
            return 1.0 if y == 0.0 else y - 1.0
        return np.where(np.equal(y, 0.0), 1.0, np.subtract(y, 1.0))
    if type(x) is float and type(y) is float:
        return 1.0 if x == 0.0 and y == 0.0 else y - 1.0
    if x != 0.0 if type(x) is float else x.all():  # the common case: no zero base
        return y - 1.0
    hit = _both_zero(x, y)
    if not np.any(hit):
        return y - 1.0
    return where(hit, 1.0, y - 1.0)


def _both_zero(x: Any, y: Any) -> Any:
    return _bools(np.logical_and(np.equal(x, 0.0), np.equal(y, 0.0)))


def _zero_base(x: Any, y: Any) -> Any:
    return _bools(np.logical_and(np.equal(x, 0.0), np.greater_equal(y, 0.0)))


def _pow_dx(x: Any, y: Any) -> Any:
    """∂(x**y)/∂x = y·x**(y−1), with 0 at x = 0, y = 0 (see ``_pow_exponent_less_one``)."""
    return y * power(x, _pow_exponent_less_one(x, y))


def _log_base(x: Any, y: Any) -> Any:
    """ln x for ∂(x**y)/∂y = x**y · ln x, with 1 in place of x where x = 0 and y ≥ 0.

    At x = 0 the product is 0·(−∞): we give 0 for y ≥ 0 (the limit as y → 0⁺ for y = 0;
    PyTorch's ``pow_backward_exponent``, and JAX's for y > 0) and −∞ for y < 0 (where
    0**y = ∞ and x**y · ln x → −∞ as x → 0⁺; PyTorch's choice, JAX gives nan). A negative
    base gives nan: x**y is real there only at integer y, so it has no derivative in y.
    """
    if unwrap(x) is not x or unwrap(y) is not y:  # recorded or dual: no branch on values
        return log(where(held(_zero_base, x, y), 1.0, x))
    if type(x) is float and type(y) is float:
        return log(1.0 if x == 0.0 and y >= 0.0 else x)
    if x != 0.0 if type(x) is float else x.all():
        return log(x)
    hit = _zero_base(x, y)
    if not np.any(hit):
        return log(x)
    return log(where(hit, 1.0, x))


POW = register(
    elementwise(
        "power",
        impl=_pow,
        partials=(
            lambda t, ans, x, y: t * _pow_dx(x, y),
            lambda t, ans, x, y: t * ans * _log_base(x, y),
        ),
        notation="{0} ** {1}",
        code=_plain_power,
    )
)
power: Binary = _binary(
    POW,
    "power",
    "Elementwise x ** y, with broadcasting (NumPy's nan for (-8) ** 0.5).\n\n"
    "At the edges: ∂/∂x is 0 for x**0 (also at x = 0), 1 for x**1 and 0 for x**2 at 0, "
    "∞ for 0 < y < 1 at 0, and exact for a negative base with an integer exponent "
    "(d/dx x**3 at −2 is 12). ∂/∂y is 0 at x = 0 for y ≥ 0, −∞ for y < 0, and nan for a "
    "negative base (PyTorch's conventions).",
)


def _maximum_share(x: Any, y: Any) -> Any:
    """Share of the gradient that goes to x in maximum(x, y): 1, 0, or ½ at a tie."""
    if type(x) is float and type(y) is float:
        return 1.0 if x > y else 0.5 if x == y else 0.0
    return np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0))


def _maximum_weight(x: Any, y: Any) -> Any:
    return held(_maximum_share, x, y)


MAXIMUM = register(
    elementwise(
        "maximum",
        impl=lambda x, y: (
            builtins.max(x, y) if type(x) is float and type(y) is float else np.maximum(x, y)
        ),
        partials=(
            lambda t, ans, x, y: t * _maximum_weight(x, y),
            lambda t, ans, x, y: t * _maximum_weight(y, x),
        ),
        notation="maximum({0}, {1})",
        code=_PLAIN_MAXIMUM,
    )
)
maximum: Binary = _binary(
    MAXIMUM,
    "maximum",
    "Elementwise maximum, with broadcasting. At a tie each input gets half the gradient "
    "(PyTorch's and JAX's convention).",
)

MINIMUM = register(
    elementwise(
        "minimum",
        impl=lambda x, y: (
            builtins.min(x, y) if type(x) is float and type(y) is float else np.minimum(x, y)
        ),
        partials=(
            lambda t, ans, x, y: t * _maximum_weight(y, x),
            lambda t, ans, x, y: t * _maximum_weight(x, y),
        ),
        notation="minimum({0}, {1})",
        code=_PLAIN_MINIMUM,
    )
)
minimum: Binary = _binary(
    MINIMUM,
    "minimum",
    "Elementwise minimum, with broadcasting. At a tie each input gets half the gradient "
    "(PyTorch's and JAX's convention).",
)

NEG = register(
    elementwise(
        "negative",
        impl=lambda x: -x,
        partials=(lambda t, ans, x: -t,),
        notation="−{0}",
        code=lambda ins, ans, params: _PLAIN_NEG,
    )
)
negative: Unary = _unary(NEG, "Elementwise −x.")

# ----- elementwise functions ---------------------------------------------------------------------

EXP = register(
    elementwise(
        "exp",
        impl=_elementwise(math.exp, np.exp),
        partials=(lambda t, ans, x: t * ans,),
        notation="exp {0}",
        code=_plain_unary("exp", "exp", partial="{ans}"),
    )
)
exp: Unary = _unary(EXP, "Elementwise e**x.")

LOG = register(
    elementwise(
        "log",
        impl=_elementwise(math.log, np.log),
        partials=(lambda t, ans, x: divide(t, x),),
        notation="ln {0}",
        code=_plain_unary("log", "log", vjp="{g} / {0}"),
    )
)
log: Unary = _unary(
    LOG,
    "Elementwise natural logarithm (log 0 = −inf, log' 0 = inf, without raising; log' ∞ = 0). "
    "Below 0 the value is nan but the derivative 1/x is finite, as in PyTorch and JAX.",
)

LOG1P = register(
    elementwise(
        "log1p",
        impl=_elementwise(math.log1p, np.log1p),
        partials=(lambda t, ans, x: divide(t, 1.0 + x),),
        notation="log1p {0}",
    )
)
log1p: Unary = _unary(
    LOG1P, "Elementwise ln(1 + x), accurate for small x (log1p' −1 = inf, without raising)."
)

EXPM1 = register(
    elementwise(
        "expm1",
        impl=_elementwise(math.expm1, np.expm1),
        partials=(lambda t, ans, x: t * (ans + 1.0),),
        notation="expm1 {0}",
    )
)
expm1: Unary = _unary(EXPM1, "Elementwise e**x − 1, accurate for small x.")

SIN = register(
    elementwise(
        "sin",
        impl=_elementwise(math.sin, np.sin),
        partials=(lambda t, ans, x: t * cos(x),),
        notation="sin {0}",
        code=_plain_unary("sin", "sin", partial="LIB.cos({0})"),
    )
)
sin: Unary = _unary(SIN, "Elementwise sine.")

COS = register(
    elementwise(
        "cos",
        impl=_elementwise(math.cos, np.cos),
        partials=(lambda t, ans, x: -(t * sin(x)),),
        notation="cos {0}",
        code=_plain_unary("cos", "cos", partial="-LIB.sin({0})"),
    )
)
cos: Unary = _unary(COS, "Elementwise cosine.")

TAN = register(
    elementwise(
        "tan",
        impl=_elementwise(math.tan, np.tan),
        partials=(lambda t, ans, x: t * (1.0 + ans * ans),),
        notation="tan {0}",
    )
)
tan: Unary = _unary(TAN, "Elementwise tangent.")


# ----- more elementwise functions: each one declaration of its derivative ----------------------

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _unary_row(
    name: str, math_fn: Callable[[float], float], np_fn: Callable[..., Any], partial: Any
) -> Primitive:
    """An elementwise unary row: NumPy's ufunc (``math`` on floats) and ``t ↦ t·f′``."""
    return register(
        elementwise(name, impl=_elementwise(math_fn, np_fn), partials=(partial,), notation="")
    )


SINH = _unary_row("sinh", math.sinh, np.sinh, lambda t, ans, x: t * cosh(x))
COSH = _unary_row("cosh", math.cosh, np.cosh, lambda t, ans, x: t * sinh(x))
ARCSIN = _unary_row("arcsin", math.asin, np.arcsin, lambda t, ans, x: divide(t, sqrt(1.0 - x * x)))
ARCCOS = _unary_row("arccos", math.acos, np.arccos, lambda t, ans, x: -divide(t, sqrt(1.0 - x * x)))
ARCTAN = _unary_row("arctan", math.atan, np.arctan, lambda t, ans, x: divide(t, 1.0 + x * x))
ARCSINH = _unary_row(
    "arcsinh", math.asinh, np.arcsinh, lambda t, ans, x: divide(t, sqrt(x * x + 1.0))
)
ARCCOSH = _unary_row(
    "arccosh", math.acosh, np.arccosh, lambda t, ans, x: divide(t, sqrt(x * x - 1.0))
)
ARCTANH = _unary_row("arctanh", math.atanh, np.arctanh, lambda t, ans, x: divide(t, 1.0 - x * x))
LOG2 = _unary_row("log2", math.log2, np.log2, lambda t, ans, x: divide(t, x * _LN2))
LOG10 = _unary_row("log10", math.log10, np.log10, lambda t, ans, x: divide(t, x * _LN10))
EXP2 = _unary_row("exp2", math.exp2, np.exp2, lambda t, ans, x: t * ans * _LN2)
CBRT = _unary_row(
    "cbrt", math.cbrt, np.cbrt, lambda t, ans, x: divide(t, 3.0 * ans * ans)
)  # cbrt′(0) = inf, as sqrt′(0)
RECIPROCAL = _unary_row(
    "reciprocal", lambda x: _div(1.0, x), np.reciprocal, lambda t, ans, x: -(t * ans * ans)
)
DEG2RAD = _unary_row("deg2rad", math.radians, np.deg2rad, lambda t, ans, x: t * (math.pi / 180.0))
RAD2DEG = _unary_row("rad2deg", math.degrees, np.rad2deg, lambda t, ans, x: t * (180.0 / math.pi))

sinh: Unary = _unary(SINH, "Elementwise hyperbolic sine.")
cosh: Unary = _unary(COSH, "Elementwise hyperbolic cosine.")
arcsin: Unary = _unary(ARCSIN, "Elementwise inverse sine (derivative ±inf at ±1).")
arccos: Unary = _unary(ARCCOS, "Elementwise inverse cosine (derivative −inf at ±1).")
arctan: Unary = _unary(ARCTAN, "Elementwise inverse tangent.")
arcsinh: Unary = _unary(ARCSINH, "Elementwise inverse hyperbolic sine.")
arccosh: Unary = _unary(ARCCOSH, "Elementwise inverse hyperbolic cosine (x ≥ 1; inf at 1).")
arctanh: Unary = _unary(ARCTANH, "Elementwise inverse hyperbolic tangent (inf at ±1).")
log2: Unary = _unary(LOG2, "Elementwise base-2 logarithm.")
log10: Unary = _unary(LOG10, "Elementwise base-10 logarithm.")
exp2: Unary = _unary(EXP2, "Elementwise 2**x.")
cbrt: Unary = _unary(CBRT, "Elementwise cube root, real for negative x (cbrt′ 0 = inf).")
reciprocal: Unary = _unary(RECIPROCAL, "Elementwise 1/x (±inf at 0, like x / 0).")
deg2rad: Unary = _unary(DEG2RAD, "Degrees to radians, elementwise (np.radians too).")
rad2deg: Unary = _unary(RAD2DEG, "Radians to degrees, elementwise (np.degrees too).")


def _sinc_float(x: float) -> float:
    return 1.0 if x == 0.0 else math.sin(math.pi * x) / (math.pi * x)


def _sinc_partial(t: Any, ans: Any, x: Any) -> Any:
    """t·sinc′(x) = t·(cos πx − sinc x)/x, and 0 at x = 0 (sinc is even there)."""
    at_zero = held(_is_zero, x)
    safe = where(at_zero, 1.0, x)  # the safe-where pattern: no 0/0 on either branch
    return t * where(at_zero, 0.0, divide(cos(math.pi * x) - ans, safe))


SINC = _unary_row("sinc", _sinc_float, np.sinc, _sinc_partial)
sinc: Unary = _unary(SINC, "The normalised sinc, sin(πx)/(πx), elementwise (1 at 0).")


def _step_row(name: str, math_fn: Callable[[float], float], np_fn: Callable[..., Any]) -> Primitive:
    """A step function: NumPy's values, derivative 0 everywhere (steps included)."""
    return _unary_row(name, lambda x: float(math_fn(x)), np_fn, None)


FLOOR = _step_row("floor", math.floor, np.floor)
CEIL = _step_row("ceil", math.ceil, np.ceil)
TRUNC = _step_row("trunc", math.trunc, np.trunc)
RINT = _step_row("rint", builtins.round, np.rint)  # Python's round() of a float halves to even
_STEP = " A step function: its derivative is 0 everywhere, steps included (PyTorch, JAX)."
floor: Unary = _unary(FLOOR, "The largest integer ≤ x, elementwise, as floats." + _STEP)
ceil: Unary = _unary(CEIL, "The smallest integer ≥ x, elementwise, as floats." + _STEP)
trunc: Unary = _unary(TRUNC, "x rounded towards 0, elementwise, as floats." + _STEP)
rint: Unary = _unary(RINT, "x rounded to the nearest integer (halves to even)." + _STEP)


def _float_or_np(math_fn: Callable[[float, float], float], np_fn: Callable[..., Any]) -> Any:
    def impl(x: Any, y: Any) -> Any:
        if type(x) is float and type(y) is float:
            return math_fn(x, y)
        return np_fn(x, y)

    return impl


LOGADDEXP = register(
    elementwise(
        "logaddexp",
        impl=_float_or_np(lambda x, y: float(np.logaddexp(x, y)), np.logaddexp),
        partials=(
            lambda t, ans, x, y: t * exp(x - ans),
            lambda t, ans, x, y: t * exp(y - ans),
        ),
        notation="logaddexp({0}, {1})",
    )
)
LOGADDEXP2 = register(
    elementwise(
        "logaddexp2",
        impl=_float_or_np(lambda x, y: float(np.logaddexp2(x, y)), np.logaddexp2),
        partials=(
            lambda t, ans, x, y: t * exp2(x - ans),
            lambda t, ans, x, y: t * exp2(y - ans),
        ),
        notation="logaddexp2({0}, {1})",
    )
)
ARCTAN2 = register(
    elementwise(
        "arctan2",
        impl=_float_or_np(math.atan2, np.arctan2),
        partials=(
            lambda t, ans, x, y: divide(t * y, x * x + y * y),
            lambda t, ans, x, y: -divide(t * x, x * x + y * y),
        ),
        notation="arctan2({0}, {1})",
    )
)
HYPOT = register(
    elementwise(
        "hypot",
        impl=_float_or_np(math.hypot, np.hypot),
        partials=(
            lambda t, ans, x, y: divide(t * x, ans),
            lambda t, ans, x, y: divide(t * y, ans),
        ),
        notation="hypot({0}, {1})",
    )
)
logaddexp: Binary = _binary(
    LOGADDEXP, "logaddexp", "log(e**x + e**y), elementwise and stable, with broadcasting."
)
logaddexp2: Binary = _binary(
    LOGADDEXP2, "logaddexp2", "log2(2**x + 2**y), elementwise and stable, with broadcasting."
)
arctan2: Binary = _binary(
    ARCTAN2, "arctan2", "The angle of the point (x2, x1): arctan(x1 / x2) in the right quadrant."
)
hypot: Binary = _binary(HYPOT, "hypot", "sqrt(x**2 + y**2), elementwise, with broadcasting.")


def _python_mod(x: float, y: float) -> float:
    try:
        return x % y  # Python's float % takes the divisor's sign, as np.remainder does
    except ZeroDivisionError:
        return _float_fallback(np.remainder, x, y)


def _fmod(x: float, y: float) -> float:
    try:
        return math.fmod(x, y)  # C's fmod: the dividend's sign
    except ValueError:
        return _float_fallback(np.fmod, x, y)


def _quotient(rounding: Callable[..., Any], x: Any, y: Any) -> Any:
    """The rounded quotient floor(x/y) or trunc(x/y) of plain values (a step function)."""
    q = rounding(np.divide(x, y))
    return float(q) if isinstance(q, np.floating) else q


_floor_quotient = functools.partial(_quotient, np.floor)
_trunc_quotient = functools.partial(_quotient, np.trunc)


REMAINDER = register(
    elementwise(
        "remainder",
        impl=_float_or_np(_python_mod, np.remainder),
        partials=(
            lambda t, ans, x, y: t,
            lambda t, ans, x, y: -(t * held(_floor_quotient, x, y)),
        ),
        notation="{0} mod {1}",
    )
)
FMOD = register(
    elementwise(
        "fmod",
        impl=_float_or_np(_fmod, np.fmod),
        partials=(
            lambda t, ans, x, y: t,
            lambda t, ans, x, y: -(t * held(_trunc_quotient, x, y)),
        ),
        notation="fmod({0}, {1})",
    )
)
remainder: Binary = _binary(
    REMAINDER,
    "remainder",
    "x − floor(x/y)·y, with the divisor's sign (np.remainder, np.mod, Python's %). "
    "∂/∂x = 1 and ∂/∂y = −floor(x/y), between the jumps at multiples of y.",
)
mod: Binary = remainder
fmod: Binary = _binary(
    FMOD,
    "fmod",
    "x − trunc(x/y)·y, with the dividend's sign (C's fmod). ∂/∂x = 1 and "
    "∂/∂y = −trunc(x/y), between the jumps at multiples of y.",
)


def _nan_losing(share: Callable[[Any, Any], Any], x: Any, y: Any) -> Any:
    """x's share of the gradient in fmax/fmin: ``share(x, y)`` (maximum's or minimum's
    weight), except that a nan loses to a number (x gets it all where only y is nan,
    nothing where only x is)."""
    if type(x) is float and type(y) is float:
        return 1.0 if math.isnan(y) else 0.0 if math.isnan(x) else share(x, y)
    return np.where(np.isnan(y), 1.0, np.where(np.isnan(x), 0.0, share(x, y)))


def _fmax_share(x: Any, y: Any) -> Any:
    return _nan_losing(_maximum_share, x, y)


def _fmin_share(x: Any, y: Any) -> Any:
    return _nan_losing(lambda a, b: _maximum_share(b, a), x, y)


def _fmax_weight(x: Any, y: Any) -> Any:
    return held(_fmax_share, x, y)


def _fmin_weight(x: Any, y: Any) -> Any:
    return held(_fmin_share, x, y)


FMAX = register(
    elementwise(
        "fmax",
        impl=_float_or_np(lambda x, y: float(np.fmax(x, y)), np.fmax),
        partials=(
            lambda t, ans, x, y: t * _fmax_weight(x, y),
            lambda t, ans, x, y: t * _fmax_weight(y, x),
        ),
        notation="fmax({0}, {1})",
    )
)
FMIN = register(
    elementwise(
        "fmin",
        impl=_float_or_np(lambda x, y: float(np.fmin(x, y)), np.fmin),
        partials=(
            lambda t, ans, x, y: t * _fmin_weight(x, y),
            lambda t, ans, x, y: t * _fmin_weight(y, x),
        ),
        notation="fmin({0}, {1})",
    )
)
fmax: Binary = _binary(
    FMAX,
    "fmax",
    "Elementwise maximum that ignores nan (a nan loses to a number), with broadcasting. "
    "At a tie each input gets half the gradient, as in maximum.",
)
fmin: Binary = _binary(
    FMIN,
    "fmin",
    "Elementwise minimum that ignores nan (a nan loses to a number), with broadcasting. "
    "At a tie each input gets half the gradient, as in minimum.",
)

HEAVISIDE = register(
    elementwise(
        "heaviside",
        impl=_float_or_np(lambda x, y: float(np.heaviside(x, y)), np.heaviside),
        partials=(None, None),
        notation="heaviside({0}, {1})",
    )
)
heaviside: Binary = _binary(
    HEAVISIDE,
    "heaviside",
    "The step 0 (x < 0), y (x = 0), 1 (x > 0), elementwise. Its derivative is 0 "
    "everywhere, in both inputs.",
)

TANH = register(
    elementwise(
        "tanh",
        impl=_elementwise(math.tanh, np.tanh),
        partials=(lambda t, ans, x: t * (1.0 - ans * ans),),
        notation="tanh {0}",
        code=_plain_unary("tanh", "tanh", partial="1.0 - {ans} * {ans}"),
    )
)
tanh: Unary = _unary(TANH, "Elementwise hyperbolic tangent.")

SQRT = register(
    elementwise(
        "sqrt",
        impl=_elementwise(math.sqrt, np.sqrt),
        partials=(lambda t, ans, x: divide(t, 2.0 * ans),),
        notation="√{0}",
        code=_plain_unary("sqrt", "sqrt", vjp="{g} / (2.0 * {ans})"),
    )
)
sqrt: Unary = _unary(
    SQRT,
    "Elementwise square root (sqrt' 0 = inf without raising, as in PyTorch and JAX; "
    "sqrt' ∞ = 0; nan below 0).",
)

SQUARE = register(
    elementwise(
        "square",
        impl=lambda x: x * x,
        partials=(lambda t, ans, x: t * (2.0 * x),),
        notation="{0}²",
        code=lambda ins, ans, params: _PLAIN_SQUARE,
    )
)
square: Unary = _unary(SQUARE, "Elementwise x².")

ABS = register(
    elementwise(
        "abs",
        impl=lambda x: builtins.abs(x) if type(x) is float else np.abs(x),
        partials=(lambda t, ans, x: t * _sgn(x),),
        notation="|{0}|",
        code=_PLAIN_ABS,
    )
)
abs: Unary = _unary(
    ABS,
    "Elementwise |x|. The gradient at 0 is 0 (PyTorch's sign(0); JAX gives 1), ±1 at ±∞.",
)

SIGN = register(
    elementwise(
        "sign",
        impl=_sgn,
        partials=(None,),
        notation="sign {0}",
    )
)
sign: Unary = _unary(
    SIGN,
    "Elementwise sign (−1, 0 or 1). Its gradient is zero everywhere, 0 included (PyTorch, JAX).",
)


def _round_impl(x: Any, decimals: int) -> Any:
    if type(x) is float:  # NumPy's rounding (scaled, halves to even), which Python's is not
        return float(np.round(x, decimals))
    return np.round(x, decimals)


ROUND = register(
    elementwise(
        "round",
        impl=_round_impl,
        partials=(None,),
        notation="round({0}{p})",
    )
)


@overload
def round(x: Var, decimals: int = 0) -> Var: ...
@overload
def round(x: Dual, decimals: int = 0) -> Dual: ...
@overload
def round(x: Value, decimals: int = 0) -> Value: ...
def round(x: Any, decimals: int = 0) -> Any:
    """Round to ``decimals`` places, like ``np.round`` (halves go to the even neighbour).

    A step function: its derivative is 0 everywhere, steps included (PyTorch's and JAX's
    convention), so no gradient flows through it; the value is NumPy's.
    """
    return bind(ROUND, x, decimals=operator.index(decimals))


RELU = register(
    elementwise(
        "relu",
        impl=lambda x: (x if x > 0.0 else 0.0) if type(x) is float else np.maximum(x, 0.0),
        partials=(
            lambda t, ans, x: (
                t * (x > 0.0)  # plain arrays: NumPy multiplies by the mask directly
                if type(x) is np.ndarray and type(t) is np.ndarray
                else t * _mask(held(_positive, x))
            ),
        ),
        notation="relu {0}",
        code=_PLAIN_RELU,
    )
)
relu: Unary = _unary(
    RELU, "Elementwise max(x, 0). The gradient at 0 is 0 (PyTorch's and jax.nn.relu's convention)."
)


def _sigmoid(x: Any) -> Any:
    if type(x) is float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    return np.exp(-np.logaddexp(0.0, -x))  # exp(−softplus(−x)): no overflow for any x


SIGMOID = register(
    elementwise(
        "sigmoid",
        impl=_sigmoid,
        partials=(lambda t, ans, x: t * (ans * (1.0 - ans)),),
        notation="σ {0}",
        code=_PLAIN_SIGMOID,
    )
)
sigmoid: Unary = _unary(SIGMOID, "Elementwise logistic function 1 / (1 + e**−x), stable for any x.")


def _softplus(x: Any) -> Any:
    if type(x) is float:
        return builtins.max(x, 0.0) + math.log1p(math.exp(-builtins.abs(x)))
    return np.logaddexp(0.0, x)


SOFTPLUS = register(
    elementwise(
        "softplus",
        impl=_softplus,
        partials=(lambda t, ans, x: t * sigmoid(x),),
        notation="softplus {0}",
    )
)
softplus: Unary = _unary(SOFTPLUS, "Elementwise ln(1 + e**x), stable for any x.")

# ----- selection ---------------------------------------------------------------------------------

WHERE = register(
    elementwise(
        "where",
        impl=lambda c, x, y: np.where(c, x, y),
        partials=(
            None,
            lambda t, ans, c, x, y: where(c, t, 0.0),
            lambda t, ans, c, x, y: where(c, 0.0, t),
        ),
        notation="where({0}, {1}, {2})",
        code=_plain_where,
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
    if is_var(condition):
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


def _inside(x: Any, lo: float, hi: float) -> Any:
    return _bools((x >= lo) & (x <= hi))


def _clip_mask(x: Any, lo: float | None, hi: float | None) -> Any:
    low, high = -math.inf if lo is None else lo, math.inf if hi is None else hi
    return _mask(held(_inside, x, low, high))


CLIP = register(
    elementwise(
        "clip",
        impl=_clip_impl,
        partials=(lambda t, ans, x, lo, hi: t * _clip_mask(x, lo, hi),),
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
    where ``a_min <= x <= a_max`` (bounds included: PyTorch's ``clamp``; JAX's ``jnp.clip``,
    a maximum and a minimum, gives ½ at a bound) and is 0 outside."""
    return bind(CLIP, x, lo=_clip_bound("a_min", a_min), hi=_clip_bound("a_max", a_max))


def _clip_bound(name: str, bound: Any) -> float | None:
    if bound is None:
        return None
    if np.ndim(bound) != 0 or is_var(bound) or is_dual(bound):
        raise TypeError(
            f"clip: {name} must be a number or None, not {type(bound).__name__} of shape "
            f"{np.shape(plain(bound))}; for bounds that vary by element (or carry a "
            "gradient) use tp.minimum(tp.maximum(x, a_min), a_max)"
        )
    return float(bound)


# ----- reductions --------------------------------------------------------------------------------


def _reduce_impl(np_fn: Callable[..., Any]) -> Callable[..., Any]:
    method = getattr(np.ndarray, np_fn.__name__)  # np.sum's ndarray.sum: a third of its cost

    def impl(x: Any, axis: Axis, keepdims: bool) -> Any:
        if type(x) is np.ndarray:
            return method(x, axis=axis, keepdims=keepdims)
        if type(x) is float:
            if axis not in (None, 0, -1, ()):
                raise ValueError(f"axis {axis} is out of bounds for a scalar")
            return x
        return np_fn(x, axis=axis, keepdims=keepdims)

    return impl


SUM = register(
    linear(
        "sum",
        impl=_reduce_impl(np.sum),
        transpose=lambda g, ans, x, axis, keepdims: _unreduce(g, x, axis, keepdims),
        notation="sum({0}{p})",
        code=_plain_sum,
    )
)
sum: Reduction = _reduction(
    SUM, "Sum of the elements over ``axis`` (all by default), like ``np.sum``."
)


def _count(x: Any, ans: Any) -> float:
    return float(math.prod(_shape_of(x)) // builtins.max(1, math.prod(_shape_of(ans))))


MEAN = register(
    linear(
        "mean",
        impl=_reduce_impl(np.mean),
        transpose=lambda g, ans, x, axis, keepdims: (
            _spread(g / x.size, x.shape, x.size)  # plain, a full mean
            if type(g) is float and type(x) is np.ndarray
            else _unreduce(g, x, axis, keepdims) * (1.0 / _count(x, ans))
        ),
        notation="mean({0}{p})",
        code=_plain_mean,
    )
)
mean: Reduction = _reduction(
    MEAN, "Mean of the elements over ``axis`` (all by default), like ``np.mean``."
)


def _extremum_share(ans: Any, x: Any, axis: Axis) -> Any:
    """1/k for each of the k elements equal to the max (or min), 0 elsewhere (no
    derivative flows through it)."""
    return held(functools.partial(_share_of_extremum, axis=axis), ans, x)


def _share_of_extremum(ans: Any, x: Any, axis: Axis) -> Any:
    if type(x) is float:
        return 1.0
    hit = x == np.reshape(ans, _keep_shape(x.shape, axis))
    return hit / hit.sum(axis=axis, keepdims=True)


MAX = register(_weighted_reduction("max", _reduce_impl(np.max), _extremum_share))
max: Reduction = _reduction(
    MAX,
    "Maximum over ``axis`` (all by default). Tied maxima share the gradient equally "
    "(PyTorch's ``amax`` and JAX's ``reduce_max``).",
)

MIN = register(_weighted_reduction("min", _reduce_impl(np.min), _extremum_share))
min: Reduction = _reduction(
    MIN,
    "Minimum over ``axis`` (all by default). Tied minima share the gradient equally "
    "(PyTorch's ``amin`` and JAX's ``reduce_min``).",
)


def _prod_others(x: Any, ans: Any, axis: Axis) -> Any:
    """∂prod/∂xᵢ = the product of the other elements (exact at zeros for plain arrays)."""
    if type(x) is float:
        return 1.0
    if type(x) is not np.ndarray:  # a Var or Dual: stay differentiable
        if guard(held(_no_zeros, x), "bool"):  # (a replay checks the branch it takes)
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


def _no_zeros(x: Any) -> bool:
    return bool(np.all(x != 0))


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
    _weighted_reduction(
        "prod", _reduce_impl(np.prod), lambda ans, x, axis: _prod_others(x, ans, axis)
    )
)
prod: Reduction = _reduction(
    PROD,
    "Product of the elements over ``axis`` (all by default). The derivative is the product "
    "of the other elements, exact at zeros (one zero: the others' product; two: 0), as in "
    "PyTorch and JAX.",
)


CUMSUM = register(
    linear(
        "cumsum",
        impl=lambda x, axis: np.cumsum(x, axis=axis),
        # the transpose of a running sum is the running sum from the other end
        transpose=lambda g, ans, x, axis: flip(cumsum(flip(g, axis), axis), axis),
        notation="cumsum({0}{p})",
    )
)


@overload
def cumsum(x: Var, axis: int | None = None) -> Var: ...
@overload
def cumsum(x: Dual, axis: int | None = None) -> Dual: ...
@overload
def cumsum(x: Value, axis: int | None = None) -> Array: ...
def cumsum(x: Any, axis: Any = None) -> Any:
    """Running sum along ``axis`` (of the flattened values when None), like ``np.cumsum``.
    The VJP is the running sum of the cotangent from the other end."""
    if axis is None:
        x = reshape(x, (-1,))
        axis = -1
    n = ndim(x)
    if n == 0:
        raise ValueError(f"axis {axis} is out of bounds for a scalar")
    return bind(CUMSUM, x, axis=_neg_axis(operator.index(axis), n))


def _logsumexp_impl(x: Any, axis: Axis, keepdims: bool) -> Any:
    if type(x) is float:
        return x
    # (the ndarray methods: np.max and np.sum cost a microsecond more each)
    m = x.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else out.squeeze(axis=axis)


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
        code=_plain_logsumexp,
    )
)
logsumexp: Reduction = _reduction(
    LOGSUMEXP, "ln Σ e**x over ``axis`` (all by default), stable for inputs of any size."
)


def _softmax_impl(x: Any, axis: int) -> Any:
    e = np.exp(x - x.max(axis=axis, keepdims=True))  # (x: an array of one axis or more)
    return e / e.sum(axis=axis, keepdims=True)


SOFTMAX = register(
    self_adjoint(
        "softmax",
        impl=_softmax_impl,
        rules=(lambda t, ans, x, axis: ans * (t - sum(t * ans, axis=axis, keepdims=True)),),
        notation="softmax({0}{p})",
    )
)


def _log_softmax_impl(x: Any, axis: int) -> Any:
    shifted = x - x.max(axis=axis, keepdims=True)  # exact: no rounding of m + log Σ
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


LOG_SOFTMAX = register(
    Primitive(
        "log_softmax",
        impl=_log_softmax_impl,
        vjp=(lambda g, ans, x, axis: g - exp(ans) * sum(g, axis=axis, keepdims=True),),
        jvp=(lambda dx, ans, x, axis: dx - sum(exp(ans) * dx, axis=axis, keepdims=True),),
        notation="log_softmax({0}{p})",
        code=_plain_log_softmax,
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
def var(x: Var, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Var: ...
@overload
def var(x: Dual, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Dual: ...
@overload
def var(x: Value, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Value: ...
def var(x: Any, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Any:
    """Variance over ``axis``, like ``np.var`` (``ddof`` delta degrees of freedom; with
    ``ddof`` ≥ n the result is inf or nan, as NumPy's)."""
    axis = norm_axis(axis, ndim(x))
    centred = x - mean(x, axis=axis, keepdims=True)
    n = math.prod(_shape_of(x)) // builtins.max(1, math.prod(_shape_of(mean(plain(x), axis))))
    scale = _div(float(n), float(n - ddof))  # inf when ddof >= n, as in NumPy
    return mean(square(centred), axis=axis, keepdims=keepdims) * scale


@overload
def std(x: Var, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Var: ...
@overload
def std(x: Dual, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Dual: ...
@overload
def std(x: Value, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Value: ...
def std(x: Any, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> Any:
    """Standard deviation over ``axis``, like ``np.std``.

    Where the variance is 0 (a single element with ``ddof=0``, or all elements equal) the
    derivative is 0, as PyTorch's ``std_backward`` and finite differences give, instead of
    sqrt'(0)·0 = nan (JAX's answer): √v is taken of 1 there and the result replaced by 0.
    The mask is a recorded comparison, so a replayed tape recomputes it. With ``ddof`` ≥ n
    the variance is nan or inf, and so are the result and its derivative, as in NumPy.
    """
    v = var(x, axis=axis, ddof=ddof, keepdims=keepdims)
    if type(v) is float or type(v) is np.ndarray:
        return sqrt(v)  # plain: no derivative to protect
    zero = v == 0.0
    return where(zero, 0.0, sqrt(where(zero, 1.0, v)))


# ----- linear algebra ----------------------------------------------------------------------------


def _mT(v: Any) -> Any:
    """The last two axes swapped (a view for plain arrays)."""
    return np.swapaxes(v, -1, -2) if type(v) is np.ndarray else swapaxes(v, -1, -2)


def _matmul_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if type(g) is np.ndarray and type(y) is np.ndarray and y.ndim >= 2 and ndim(x) >= 2:
        # plain matrices (the sweep of most models): NumPy (.T is the cheaper view in 2-D)
        return g @ (y.T if y.ndim == 2 else y.swapaxes(-1, -2))
    if ndim(y) == 1:
        if ndim(x) == 1:
            return g * y  # (n,) @ (n,) is a dot product
        return expand_dims(g, -1) * y  # (..., m) → (..., m, n)
    if ndim(x) == 1:
        return squeeze(matmul(y, expand_dims(g, -1)), -1)  # (..., n, k) @ (..., k, 1)
    return matmul(g, _mT(y))


def _matmul_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if type(g) is np.ndarray and type(x) is np.ndarray and x.ndim >= 2 and ndim(y) >= 2:
        return (x.T if x.ndim == 2 else x.swapaxes(-1, -2)) @ g  # plain matrices: NumPy
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
        code=_plain_matmul,
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
    return bind(MATMUL, x, y)


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
    if type(x) is np.ndarray:
        return x.reshape(shape)
    if type(x) is float and shape == ():
        return x
    return np.reshape(x, shape)


RESHAPE = register(
    linear(
        "reshape",
        impl=_reshape_impl,
        transpose=lambda g, ans, x, shape: reshape(g, _shape_of(x)),
        notation="reshape({0}{p})",
        code=_plain_reshape,
        batched_params=lambda b, shape: {"shape": b + shape},
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
    return tuple(sorted(range(len(axes)), key=axes.__getitem__))  # (argsort: 1.6 µs more)


TRANSPOSE = register(
    linear(
        "transpose",
        impl=lambda x, axes: x.transpose(axes) if type(x) is np.ndarray else np.transpose(x, axes),
        transpose=lambda g, ans, x, axes: transpose(g, _inverse_perm(axes)),
        notation="transpose({0}{p})",
        code=_plain_transpose,
        batched_params=lambda b, axes: {"axes": _batch_perm(axes, len(b))},
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
        tuple(range(n))[::-1]
        if axes is None
        else tuple(_norm_ax(operator.index(a), builtins.max(n, 1)) for a in axes)
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
    if type(x) is float:
        return x
    xshape = x.shape
    lead = len(xshape) - len(shape)
    if lead and shape and xshape[lead:] == shape:  # only leading axes (a bias): one sum
        return x.sum(axis=0 if lead == 1 else tuple(range(lead)))
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and xshape[lead + i] != 1
    )
    # the ndarray methods: np.sum(x, axis=tuple) costs 3 µs against the method's 1
    out = x.sum(axis=axes, keepdims=True) if axes else x
    return out.reshape(shape) if lead else out


def _batched_broadcast_to(d: Any, b: tuple[int, ...], x: Any, shape: tuple[int, ...]) -> Any:
    """broadcast_to of a tangent with batch axes ``b``: x's axes lined up with the output's
    trailing ones first (NumPy would line them up with the batch axes)."""
    aligned = b + (1,) * (len(shape) - ndim(x)) + _shape_of(x)
    return broadcast_to(reshape(d, aligned), b + shape)


def _batched_sum_to(d: Any, b: tuple[int, ...], x: Any, shape: tuple[int, ...]) -> Any:
    """sum_to of a tangent with batch axes ``b``: ``shape`` lined up with x's trailing axes,
    so that the batch axes are kept, not summed."""
    aligned = b + (1,) * (ndim(x) - len(shape)) + shape
    return reshape(sum_to(d, aligned), b + shape)


BROADCAST_TO = register(
    linear(
        "broadcast_to",
        impl=lambda x, shape: np.broadcast_to(x, shape),
        transpose=lambda g, ans, x, shape: sum_to(g, _shape_of(x)),
        notation="broadcast_to({0}{p})",
        code=_plain_broadcast_to,
        batched_map=_batched_broadcast_to,
    )
)
SUM_TO = register(
    linear(
        "sum_to",
        impl=_sum_to_impl,
        transpose=lambda g, ans, x, shape: broadcast_to(g, _shape_of(x)),
        notation="sum_to({0}{p})",
        code=_plain_sum_to,
        batched_map=_batched_sum_to,
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
    """Whether ``index`` is basic indexing (ints, slices, None, ...): each element is
    selected at most once. (A loop of type checks: ``all`` over ``isinstance`` of a union
    cost getitem's VJP 1.7 µs.)"""
    for i in index if type(index) is tuple else (index,):
        t = type(i)
        if t is int or t is slice or i is None or i is Ellipsis or isinstance(i, int | np.integer):
            continue
        return False
    return True


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


def _batched_getitem(d: Any, b: tuple[int, ...], x: Any, index: Any) -> Any:
    """getitem of a tangent with batch axes ``b``: the index after a full slice per batch
    axis, and the batch axes back in front where NumPy put advanced-index axes before them."""
    nb = len(b)
    out = getitem(d, _batch_index(index, nb))
    k = _advanced_front(index)
    if k:
        rest = tuple(range(k + nb, ndim(out)))
        out = transpose(out, tuple(range(k, k + nb)) + tuple(range(k)) + rest)
    return out


def _batched_scatter_add(
    d: Any, b: tuple[int, ...], x: Any, index: Any, shape: tuple[int, ...]
) -> Any:
    """scatter_add of a tangent with batch axes ``b``: where the batched index takes the
    advanced-index axes first, the tangent's batch axes are moved behind them to match."""
    nb = len(b)
    k = _advanced_front(index)
    if k:
        rest = tuple(range(nb + k, ndim(d)))
        d = transpose(d, tuple(range(nb, nb + k)) + tuple(range(nb)) + rest)
    return scatter_add(d, _batch_index(index, nb), b + shape)


GETITEM = register(
    linear(
        "getitem",
        impl=lambda x, index: x[index],
        transpose=lambda g, ans, x, index: (
            _scatter_add_impl(g, index, x.shape)  # plain arrays: NumPy directly
            if type(g) is np.ndarray and type(x) is np.ndarray and g.ndim
            else scatter_add(g, index, _shape_of(x))
        ),
        notation="{0}[{p}]",
        code=_plain_getitem,
        batched_map=_batched_getitem,
    )
)
SCATTER_ADD = register(
    linear(
        "scatter_add",
        impl=_scatter_add_impl,
        transpose=lambda g, ans, x, index, shape: getitem(g, index),
        notation="scatter_add({0}{p})",
        batched_map=_batched_scatter_add,
    )
)


def check_index(index: Any) -> Any:
    """An index as a record keeps it. A boolean-mask Var becomes its plain mask (and a guard,
    so that a replay sees the same mask); an integer or boolean array, or a list of them,
    becomes a read-only copy: the sweep scatters along it and a replay indexes with it, so a
    later write to the caller's array would silently change both."""
    if type(index) is tuple:
        return tuple([_index_item(i) for i in index])
    return _index_item(index)


def _index_item(i: Any) -> Any:
    t = type(i)
    if t is int or t is slice or i is None or i is Ellipsis:
        return i
    if is_var(i):
        mask = plain(i)
        if not (isinstance(mask, np.ndarray) and mask.dtype == np.bool_):
            raise TypeError("a Var cannot be an index unless it is a boolean mask (v > 0)")
        guard(i, "index")  # replay must see the same mask: the shape depends on it
        return mask
    if isinstance(i, np.ndarray | list):
        kept = np.array(i)
        kept.setflags(write=False)
        return kept
    return i


def guard(v: Any, kind: str) -> Any:
    """``kind(v)`` (bool, int, float or index): a value leaving the tape for Python. While a
    tape records, the outcome is kept as a guard record that replay checks."""
    result = _guard_impl(plain(v), kind)
    stack = [t for t in _STACK.get() if t._state == "active"]
    if stack and is_var(v):
        stack[-1]._guard(v, kind, result, GUARD)
    elif is_dual(v) and gives_numbers(kind):
        note_escape(v._level, f"{guard_call(kind)} of a Dual")
    return result


def guard_call(kind: str) -> str:
    """A guard's kind as the call it stands for: ``float()``, ``argsort(axis=None)``."""
    return kind if kind.endswith(")") else kind + "()"


def gives_numbers(kind: str) -> bool:
    """Whether a guard of this kind hands Python numbers (``float``, ``int``, ``item``,
    ``tolist``): a derivative through them is lost, unlike a bool that only steers."""
    return kind.split("(")[0] in ("float", "int", "item", "tolist")


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
    """One axis as a positive number, for rows whose axes count from the front (concatenate,
    split): the positive spelling of ``_neg_axis``, the one axis check."""
    if n == 0:
        raise ValueError(f"axis {axis} is out of bounds for an array of 0 dimensions")
    return _neg_axis(int(axis), n) + n


def _concat_vjp(g: Any, ans: Any, *xs: Any, axis: int, argnum: int) -> Any:
    start = builtins.sum(_shape_of(x)[axis] for x in xs[:argnum])
    stop = start + _shape_of(xs[argnum])[axis]
    return getitem(g, (slice(None),) * axis + (slice(start, stop),))


CONCATENATE = register(
    linear(
        "concatenate",
        impl=lambda *xs, axis: np.concatenate(xs, axis=axis),
        transpose=_concat_vjp,
        notation="concatenate({*}{p})",
        batched_params=lambda b, axis: {"axis": axis + len(b)},
        variadic=True,
    )
)


def concatenate(arrays: Sequence[Any], axis: int = 0) -> Any:
    """Join arrays along an existing axis, like ``np.concatenate``. Returns a Var when any
    input is a Var."""
    if len(arrays) == 0:
        raise ValueError("concatenate needs at least one array")
    return bind(CONCATENATE, *arrays, axis=_norm_ax(axis, ndim(arrays[0])))


STACK = register(
    linear(
        "stack",
        impl=lambda *xs, axis: np.stack(xs, axis=axis),
        transpose=lambda g, ans, *xs, axis, argnum: getitem(g, (slice(None),) * axis + (argnum,)),
        notation="stack({*}{p})",
        batched_params=lambda b, axis: {"axis": axis + len(b)},
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
    self_adjoint(
        "flip",
        impl=lambda x, axis: np.flip(x, axis),
        rules=(lambda t, ans, x, axis: flip(t, axis),),
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


# ----- selections by plain integer indices (one getitem each: the VJP scatter-adds) -----------


def plain_mask(condition: Any) -> npt.NDArray[np.bool_]:
    """A boolean condition as a plain array; a recorded mask (``v > 0``) leaves a guard,
    since the result's shape depends on it."""
    if is_var(condition):
        mask = plain(condition)
        if not (isinstance(mask, np.ndarray | bool) and np.asarray(mask).dtype == np.bool_):
            raise TypeError("the condition must be boolean (a comparison such as v > 0)")
        guard(condition, "index")
        return np.asarray(mask)
    return np.asarray(condition, dtype=bool)


def _plain_indices(indices: Any, what: str) -> npt.NDArray[np.intp]:
    if unwrap(indices) is not indices:  # a Var or a Dual
        raise TypeError(
            f"{what}: indices must be plain integers, not a {type(indices).__name__} "
            "(indices have no derivative); use v.value, or .argsort() / .argmax(), which "
            "give plain integers"
        )
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":
        if idx.size:
            raise TypeError(f"{what}: indices must be integers, not {idx.dtype}")
        idx = idx.astype(np.intp)
    return idx


def _along(x: Any, axis: int | None) -> tuple[Any, int]:
    """``x`` and a non-negative axis; the flattened values and 0 when ``axis`` is None."""
    if axis is None:
        return reshape(x, (-1,)), 0
    return x, _norm_ax(operator.index(axis), ndim(x))


def take(x: Any, indices: Any, axis: int | None = None, mode: str = "raise") -> Any:
    """Elements at integer ``indices`` along ``axis`` (of the flattened values when None),
    like ``np.take``; ``mode`` is "raise", "wrap" or "clip"."""
    idx = _plain_indices(indices, "take")
    src, ax = _along(x, axis)
    n = _shape_of(src)[ax]
    if mode == "wrap":
        idx = np.mod(idx, n)
    elif mode == "clip":
        idx = np.clip(idx, 0, builtins.max(n - 1, 0))
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', not {mode!r}")
    return getitem(src, (slice(None),) * ax + (idx,))


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Any:
    """Each element repeated ``repeats`` times along ``axis`` (flattened when None), like
    ``np.repeat``; the VJP sums the copies."""
    src, ax = _along(x, axis)
    idx = np.repeat(np.arange(_shape_of(src)[ax]), _plain_indices(repeats, "repeat"))
    return getitem(src, (slice(None),) * ax + (idx,))


def compress(x: Any, condition: Any, axis: int | None = None) -> Any:
    """The slices along ``axis`` (flattened when None) where ``condition`` holds, like
    ``np.compress``."""
    mask = plain_mask(condition)
    if mask.ndim != 1:
        raise ValueError("compress: the condition must be a 1-d array")
    return take(x, np.flatnonzero(mask), axis)


def take_along_axis(x: Any, indices: Any, axis: int | None) -> Any:
    """``np.take_along_axis``: ``indices`` (plain integers, e.g. from ``v.argsort(axis)``)
    pick elements along ``axis`` and broadcast against ``x`` in the other axes. With
    ``x.argsort(axis)`` it is a differentiable sort."""
    idx = _plain_indices(indices, "take_along_axis")
    if axis is None:
        if idx.ndim != 1:
            raise ValueError("take_along_axis: with axis=None the indices must be 1-d")
        return getitem(reshape(x, (-1,)), idx)
    n = ndim(x)
    if idx.ndim != n:
        raise ValueError(
            f"take_along_axis: the indices need as many dimensions ({idx.ndim}) as the array ({n})"
        )
    ax = _norm_ax(operator.index(axis), n)
    xs = _shape_of(x)
    index: list[Any] = []
    for d in range(n):
        if d == ax:
            index.append(idx)
            continue
        # broadcast: an axis of length 1 in x is read at 0 for every index
        size = xs[d] if xs[d] != 1 else 1
        index.append(np.arange(size).reshape([-1 if e == d else 1 for e in range(n)]))
    return getitem(x, tuple(index))


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The diagonal of the (``axis1``, ``axis2``) planes, as a last axis, like
    ``np.diagonal``."""
    n = ndim(x)
    if n < 2:
        raise ValueError("diagonal needs an array of at least two dimensions")
    a1, a2 = _norm_ax(operator.index(axis1), n), _norm_ax(operator.index(axis2), n)
    if a1 == a2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    offset = operator.index(offset)
    rows, cols = _shape_of(x)[a1], _shape_of(x)[a2]
    k = builtins.max(
        0, builtins.min(rows, cols - offset) if offset >= 0 else builtins.min(rows + offset, cols)
    )
    i = np.arange(k) + builtins.max(0, -offset)
    j = np.arange(k) + builtins.max(0, offset)
    moved = transpose(x, [a for a in range(n) if a not in (a1, a2)] + [a1, a2])
    return getitem(moved, (Ellipsis, i, j))


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The sum along a diagonal, like ``np.trace``."""
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


@overload
def stop_gradient(x: Var) -> Var: ...
@overload
def stop_gradient(x: Dual | Value) -> Value: ...
def stop_gradient(x: Any) -> Any:
    """The same value with no history: no derivative of any order, in either mode, flows
    through it (``x.detach()``). A Var gives a new Var; a Dual gives its plain value."""
    if is_var(x):
        return new_leaf(plain(x))
    return plain(x)


COPY = register(
    self_adjoint(
        "copy",
        impl=lambda x: x if type(x) is float else np.array(x, copy=True),
        rules=(lambda t, ans, x: t,),
        notation="copy {0}",
    )
)


@overload
def copy(x: Var) -> Var: ...
@overload
def copy(x: Dual) -> Dual: ...
@overload
def copy(x: Value) -> Value: ...
def copy(x: Any) -> Any:
    """The same values as a new object (the identity, recorded): ``v.copy()``. A Var's value
    is immutable, so this matters only for identity (``v.value = ...`` reassigns one Var)."""
    return bind(COPY, x)


def dtype_of(x: Any) -> np.dtype[Any]:
    """The dtype of a float (float64), bool, array, Var or Dual."""
    v = plain(x)
    if isinstance(v, np.ndarray | np.generic):
        return v.dtype
    return np.dtype(np.bool_) if isinstance(v, bool) else np.dtype(np.float64)


def _astype_impl(x: Any, dtype: np.dtype[Any]) -> Any:
    # (copy=False: a tangent already of the dtype, in the JVP, passes as it is; the public
    # function never binds a cast to the value's own dtype)
    return np.asarray(x).astype(dtype, copy=False)


ASTYPE = register(
    linear(
        "astype",
        impl=_astype_impl,
        # the cotangent goes back in the input's dtype, the tangent forward in the output's
        transpose=lambda g, ans, x, dtype: astype(g, dtype_of(x)),
        notation="astype({0}{p})",
    )
)


@overload
def astype(x: Var, dtype: npt.DTypeLike) -> Var: ...
@overload
def astype(x: Dual, dtype: npt.DTypeLike) -> Dual: ...
@overload
def astype(x: Value, dtype: npt.DTypeLike) -> Value: ...
def astype(x: Any, dtype: Any) -> Any:
    """Cast to a floating-point ``dtype`` (float64 ↔ float32, float16), like
    ``x.astype(dtype)``; differentiable: the cotangent is cast back to the input's dtype.

    A boolean input (a comparison, ``v > 0``) gives 1.0 and 0.0 with no derivative. Casting
    to an integer or boolean dtype raises ``TypeError``: such a value has no derivative, so
    round first (``tp.round``, zero gradient) or leave the tape with ``v.value.astype(...)``.
    """
    dt = np.dtype(dtype)
    src = dtype_of(x)
    if dt == src:
        return x
    if dt.kind != "f":
        raise TypeError(
            f"astype({dt}): tape differentiates floating-point values, and a cast to {dt} "
            "has no derivative. Use v.round() (zero gradient) for rounded floats, a "
            "comparison (v != 0) for booleans, or v.value.astype(...) to leave the tape."
        )
    if src.kind == "b":  # a recorded mask: 1.0 / 0.0, no derivative through the condition
        out = where(x, 1.0, 0.0)
        return out if dt == np.float64 else astype(out, dt)
    if src.kind != "f":
        raise TypeError(f"astype: cannot cast a value of dtype {src}")
    return bind(ASTYPE, x, dtype=dt)


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
            code=_PLAIN_COMPARISONS.get(name),
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


def _test_row(name: str, np_fn: Callable[..., Any], math_fn: Callable[[float], bool]) -> Primitive:
    """A test of each value (isnan...): booleans, no derivative; recorded, so replay
    recomputes it."""

    def impl(x: Any) -> Any:
        return math_fn(x) if type(x) is float else np_fn(x)

    return register(
        Primitive(
            name, impl=impl, vjp=(None,), jvp=(None,), notation=name + " {0}", differentiable=False
        )
    )


ISNAN = _test_row("isnan", np.isnan, math.isnan)
ISINF = _test_row("isinf", np.isinf, math.isinf)
ISFINITE = _test_row("isfinite", np.isfinite, math.isfinite)


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
    np.isnan: ISNAN,
    np.isinf: ISINF,
    np.isfinite: ISFINITE,
    # `mask & v`, `mask | v` and `~v` on boolean arrays arrive as the bitwise ufuncs
    np.bitwise_and: LOGICAL_AND,
    np.bitwise_or: LOGICAL_OR,
    np.invert: LOGICAL_NOT,
}


def _plain_copy(x: Any) -> Any:
    return np.array(x, copy=True) if isinstance(x, np.ndarray) else x


LEAVING: dict[str, Callable[..., Any]] = {
    "all": lambda x, axis=None, keepdims=False: np.all(x, axis=axis, keepdims=keepdims),
    "any": lambda x, axis=None, keepdims=False: np.any(x, axis=axis, keepdims=keepdims),
    "argmax": lambda x, axis=None, keepdims=False: np.argmax(x, axis=axis, keepdims=keepdims),
    "argmin": lambda x, axis=None, keepdims=False: np.argmin(x, axis=axis, keepdims=keepdims),
    "argsort": lambda x, axis=-1, kind=None, stable=None: np.argsort(
        x, axis=axis, kind=kind, stable=stable
    ),
    "argpartition": lambda x, kth, axis=-1, kind="introselect": np.argpartition(
        x, kth, axis=axis, kind=kind
    ),
    "nonzero": lambda x: np.stack(np.nonzero(x)),  # one array: (ndim, count)
    "count_nonzero": lambda x, axis=None, keepdims=False: np.count_nonzero(
        x, axis=axis, keepdims=keepdims
    ),
    "tolist": _plain_copy,
    "item": lambda x, index=(): np.asarray(x).item(*index),
}
"""Non-differentiable results computed from a value (indices, truth values, its contents):
each leaves the tape as a guard whose kind names it, so a replay recomputes and checks it."""

_LEAVING_DEFAULTS: dict[str, dict[str, Any]] = {
    name: {
        p.name: p.default
        for p in inspect.signature(fn).parameters.values()
        if p.default is not inspect.Parameter.empty
    }
    for name, fn in LEAVING.items()
}


def guard_kind(name: str, **params: Any) -> str:
    """The guard kind for ``name`` with ``params`` (those at their defaults omitted):
    ``"argmax"``, ``"argsort(axis=None)"``. Values are Python literals (ints, tuples, None,
    strings), read back by ``_parse_kind``."""
    defaults = _LEAVING_DEFAULTS[name]
    given = [f"{k}={v!r}" for k, v in params.items() if k not in defaults or defaults[k] != v]
    return f"{name}({', '.join(given)})" if given else name


@functools.lru_cache(maxsize=1024)
def _parse_kind(kind: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    node = ast.parse(kind, mode="eval").body
    if isinstance(node, ast.Name):
        return node.id, ()
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ValueError(f"not a guard kind: {kind!r}")
    return node.func.id, tuple((str(k.arg), ast.literal_eval(k.value)) for k in node.keywords)


def leave(v: Any, name: str, **params: Any) -> Any:
    """``LEAVING[name](value, **params)``: a plain result that leaves the tape, kept as a
    guard while a tape records (a replay where it comes out differently raises). The caller
    gets its own copy, so that changing it cannot change what the guard saw."""
    return _plain_copy(guard(v, guard_kind(name, **params)))


def _guard_impl(x: Any, kind: str) -> Any:
    if kind == "bool":
        return bool(x)
    if kind == "int":
        return int(x)
    if kind == "index":
        return np.array(x, copy=True)
    if kind == "float":
        return float(np.asarray(x).item() if isinstance(x, np.ndarray) else x)
    name, params = _parse_kind(kind)
    return LEAVING[name](x, **dict(params))


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


def _held_impl(*args: Any, fn: Callable[..., Any]) -> Any:
    return fn(*args)


HELD = register(
    Primitive(
        "held",
        impl=_held_impl,
        vjp=(None,),
        jvp=(None,),
        notation="held({*}{p})",
        variadic=True,
        differentiable=False,
    )
)
"""A value a derivative rule computes from its inputs' plain values, without a derivative
of its own (a mask, a tie's share, a rounded quotient; see ``held``): recorded so that a
replay recomputes it."""


def compare(row: Primitive, *args: Any) -> Any:
    """A comparison: recorded (a boolean Var) while a tape records, plain booleans otherwise."""
    if _recording() and any(is_var(a) for a in args):
        return bind(row, *args)
    out = row.impl(*(plain(a) for a in args))
    return out


def _recording() -> bool:
    return any(t._state == "active" for t in _STACK.get())


@overload
def isnan(x: Var) -> Var: ...
@overload
def isnan(x: Dual) -> npt.NDArray[np.bool_] | bool: ...
@overload
def isnan(x: float) -> bool: ...
@overload
def isnan(x: Array) -> npt.NDArray[np.bool_]: ...
def isnan(x: Any) -> Any:
    """Whether each value is nan: booleans, like ``np.isnan``. No derivative flows through
    it; on a tape it is recorded (a boolean Var), so a replay recomputes it."""
    return compare(ISNAN, x)


@overload
def isinf(x: Var) -> Var: ...
@overload
def isinf(x: Dual) -> npt.NDArray[np.bool_] | bool: ...
@overload
def isinf(x: float) -> bool: ...
@overload
def isinf(x: Array) -> npt.NDArray[np.bool_]: ...
def isinf(x: Any) -> Any:
    """Whether each value is ±inf, like ``np.isinf`` (recorded as ``isnan`` is)."""
    return compare(ISINF, x)


@overload
def isfinite(x: Var) -> Var: ...
@overload
def isfinite(x: Dual) -> npt.NDArray[np.bool_] | bool: ...
@overload
def isfinite(x: float) -> bool: ...
@overload
def isfinite(x: Array) -> npt.NDArray[np.bool_]: ...
def isfinite(x: Any) -> Any:
    """Whether each value is finite (not nan, not ±inf), like ``np.isfinite`` (recorded as
    ``isnan`` is)."""
    return compare(ISFINITE, x)


NAN_TO_NUM = register(
    elementwise(
        "nan_to_num",
        impl=lambda x, nan, posinf, neginf: _nan_to_num(x, nan, posinf, neginf),
        partials=(lambda t, ans, x, nan, posinf, neginf: where(_finite(x), t, 0.0),),
        notation="nan_to_num({0}{p})",
    )
)


def _nan_to_num(x: Any, nan: float, posinf: float | None, neginf: float | None) -> Any:
    out = np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)
    return float(out) if type(x) is float else out


def _finite(x: Any) -> Any:
    """Where x is finite: the derivative passes there (even a nan cotangent elsewhere is
    dropped, since the output there is a constant)."""
    return held(_isfinite, x)


def _isfinite(x: Any) -> Any:
    return _bools(np.isfinite(x))


@overload
def nan_to_num(
    x: Var,
    copy: bool = True,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Var: ...
@overload
def nan_to_num(
    x: Dual,
    copy: bool = True,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Dual: ...
@overload
def nan_to_num(
    x: Value,
    copy: bool = True,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Value: ...
def nan_to_num(
    x: Any,
    copy: bool = True,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Any:
    """Replace nan by ``nan``, +inf by ``posinf`` and −inf by ``neginf`` (the largest and
    smallest finite floats by default), like ``np.nan_to_num``. The derivative is 1 where x
    is finite and 0 where a value was replaced. ``copy`` is accepted for NumPy's signature;
    tape values are never written in place."""
    del copy
    return bind(
        NAN_TO_NUM,
        x,
        nan=float(nan),
        posinf=None if posinf is None else float(posinf),
        neginf=None if neginf is None else float(neginf),
    )


@overload
def float_power(x: Var, y: Var | Value) -> Var: ...
@overload
def float_power(x: Value, y: Var) -> Var: ...
@overload
def float_power(x: Dual, y: Dual | Value) -> Dual: ...
@overload
def float_power(x: Value, y: Dual) -> Dual: ...
@overload
def float_power(x: Value, y: Value) -> Value: ...
def float_power(x: Any, y: Any) -> Any:
    """``x ** y`` computed in float64, like ``np.float_power``: ``power`` after promoting
    float32 operands (its derivative conventions are power's)."""
    return power(_as_float64(x), _as_float64(y))


def _as_float64(v: Any) -> Any:
    if type(v) is float or _dtype_of(v) == np.float64:
        return v
    return astype(v, np.float64)


def _dtype_of(v: Any) -> Any:
    p = plain(v)
    return p.dtype if isinstance(p, np.ndarray) else np.dtype(np.float64)
