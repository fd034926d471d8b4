"""Property tests: random expression trees over tape's primitives, checked numerically.

Hypothesis builds a random tree for a random output shape, top down: every node knows the
shape it must produce and picks children of the shapes it needs (broadcasting operands,
reduction inputs with extra axes, transposed or reshaped inputs, matmul factors, pieces to
concatenate or stack, arrays to index). Leaves are the test's inputs (Python floats or
float64 arrays), reshaped or gathered (with repeated indices) to the shape wanted, so that
inputs fan out to many places. The tree is then differentiated by the tape and compared
with central finite differences.

Domains are kept safe by construction: every node carries a bound on |value|, log and sqrt
only see positive expressions (1 + x², sigmoid(x), ...), divisions are by expressions in
[0.5, 2.5], and an op whose result could grow past ``B_MAX`` gets its operands squashed by
tanh first. Non-smooth ops (abs, relu, maximum, max, clip, ...) reject, with ``assume``,
points within ``MARGIN`` of a kink or a tie.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tape as tp
from tape._table import plain
from tape.testing import check_grads

N_EXAMPLES_TREES = 1000
"""Random expression trees whose gradients are checked against finite differences."""
N_EXAMPLES_LINEARITY = 200
"""Random trees whose VJP is checked to be linear in the seed (and equal to uᵀ·Jacobian)."""
N_EXAMPLES_PERSISTENT = 200
"""Random trees whose persistent tape is swept twice and must give identical gradients."""

B_MAX = 30.0
"""No node may produce values larger than this (in absolute value)."""
MARGIN = 1e-3
"""Points closer than this to a kink or a tie are rejected."""
INPUT_BOUND = 2.0
"""Inputs are drawn uniformly from [-INPUT_BOUND, INPUT_BOUND]."""

Shape = tuple[int, ...]
InputShape = Shape | None  # None: a Python float input
Inputs = tuple[InputShape, ...]
Eval = Callable[[Sequence[Any]], Any]


def reproducible(max_examples: int) -> settings:
    """Fixed example counts and a fixed seed: every run checks the same trees."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


@dataclass(frozen=True)
class Node:
    """An expression: ``fn(inputs)`` gives a value of ``shape`` with |value| <= ``bound``."""

    text: str
    shape: Shape
    bound: float
    fn: Eval

    def __repr__(self) -> str:
        return self.text

    def __call__(self, xs: Sequence[Any]) -> Any:
        return self.fn(xs)


def pv(v: Any) -> npt.NDArray[np.float64]:
    """The plain float64 value of a Var, Dual, float or array (for guards only)."""
    return np.asarray(plain(v), dtype=np.float64)


def guard_away(v: Any, points: Sequence[float]) -> None:
    a = pv(v)
    for p in points:
        assume(bool(np.all(np.abs(a - p) > MARGIN)))


def squash(node: Node) -> Node:
    return Node(f"tanh({node})", node.shape, 1.0, lambda xs: tp.tanh(node(xs)))


def rng_of(draw: st.DrawFn) -> np.random.Generator:
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


DIMS = st.integers(1, 3)


def shapes(min_ndim: int, max_ndim: int) -> st.SearchStrategy[Shape]:
    return st.lists(DIMS, min_size=min_ndim, max_size=max_ndim).map(tuple)


@st.composite
def broadcast_pair(draw: st.DrawFn, shape: Shape) -> tuple[Shape, Shape]:
    """Two shapes that broadcast to exactly ``shape`` (leading axes dropped, axes set to 1)."""
    n = len(shape)
    drop = draw(st.integers(0, n))
    rest = shape[drop:]
    ones = draw(st.lists(st.booleans(), min_size=len(rest), max_size=len(rest)))
    sx = tuple(1 if o else d for d, o in zip(rest, ones, strict=True))
    sy_list = []
    for i, d in enumerate(shape):
        j = i - drop  # position in sx
        needed = d != 1 and (j < 0 or sx[j] == 1)
        sy_list.append(d if needed or draw(st.booleans()) else 1)
    sy = tuple(sy_list)
    if drop == 0:  # sx has the full rank: sy may drop leading axes that it does not need
        k = 0
        while k < n and sy[k] == 1 and draw(st.booleans()):
            k += 1
        sy = sy[k:]
    return (sx, sy) if draw(st.booleans()) else (sy, sx)


@st.composite
def constant(draw: st.DrawFn, shape: Shape) -> Node:
    arr = rng_of(draw).uniform(-INPUT_BOUND, INPUT_BOUND, shape)
    return Node(f"c{list(shape)}", shape, INPUT_BOUND, lambda xs: arr)


# ----- leaves ---------------------------------------------------------------------------------


@st.composite
def leaf(draw: st.DrawFn, shape: Shape, inputs: Inputs) -> Node:
    i = draw(st.integers(0, len(inputs) - 1))
    s_in = inputs[i]
    if s_in == shape or (s_in is None and shape == ()):
        return Node(f"x{i}", shape, INPUT_BOUND, lambda xs: xs[i])
    if s_in is None:
        return Node(
            f"broadcast_to(x{i}, {shape})",
            shape,
            INPUT_BOUND,
            lambda xs: tp.broadcast_to(xs[i], shape),
        )
    size = math.prod(s_in)
    if shape == ():
        j = draw(st.integers(0, size - 1))
        return Node(f"x{i}.flat[{j}]", shape, INPUT_BOUND, lambda xs: tp.reshape(xs[i], (-1,))[j])
    idx = rng_of(draw).integers(0, size, shape)  # repeated indices: gradients accumulate
    return Node(
        f"x{i}.flat[{idx.tolist()}]",
        shape,
        INPUT_BOUND,
        lambda xs: tp.reshape(xs[i], (-1,))[idx],
    )


# ----- elementwise unary ----------------------------------------------------------------------


@dataclass(frozen=True)
class UnaryOp:
    name: str
    op: Callable[[Any], Any]
    bound: Callable[[float], float]
    max_in: float = math.inf  # larger operands are squashed first
    kinks: tuple[float, ...] = ()


UNARY_OPS = [
    UnaryOp("negative", tp.negative, lambda b: b),
    UnaryOp("-", lambda v: -v, lambda b: b),
    UnaryOp("sin", tp.sin, lambda b: 1.0),
    UnaryOp("np.sin", lambda v: np.sin(v), lambda b: 1.0),
    UnaryOp("cos", tp.cos, lambda b: 1.0),
    UnaryOp("tanh", tp.tanh, lambda b: 1.0),
    UnaryOp("sigmoid", tp.sigmoid, lambda b: 1.0),
    UnaryOp("softplus", tp.softplus, lambda b: b + 1.0),
    UnaryOp("exp", tp.exp, math.exp, max_in=3.0),
    UnaryOp("exp-method", lambda v: v.exp() if isinstance(v, tp.Var) else tp.exp(v), math.exp, 3.0),
    UnaryOp("expm1", tp.expm1, math.exp, max_in=3.0),
    UnaryOp("square", tp.square, lambda b: b * b, max_in=5.0),
    UnaryOp("cube", lambda v: v**3.0, lambda b: b**3, max_in=3.0),
    UnaryOp("log(1+x²)", lambda v: tp.log(1.0 + tp.square(v)), lambda b: math.log1p(b * b)),
    UnaryOp("log1p(x*x)", lambda v: tp.log1p(v * v), lambda b: math.log1p(b * b)),
    UnaryOp("sqrt(x²+1)", lambda v: tp.sqrt(tp.square(v) + 1.0), lambda b: math.hypot(b, 1.0)),
    UnaryOp("log(sigmoid)", lambda v: tp.log(tp.sigmoid(v)), lambda b: b + 1.0),
    UnaryOp("sqrt(softplus+0.1)", lambda v: tp.sqrt(tp.softplus(v) + 0.1), lambda b: b + 2.0),
    UnaryOp("tan(tanh/2)", lambda v: tp.tan(0.5 * tp.tanh(v)), lambda b: 1.0),
    UnaryOp("1/(1+x²)", lambda v: 1.0 / (1.0 + v * v), lambda b: 1.0),
    UnaryOp("abs", tp.abs, lambda b: b, kinks=(0.0,)),
    UnaryOp("relu", tp.relu, lambda b: b, kinks=(0.0,)),
    UnaryOp("x*sign(x)", lambda v: v * tp.sign(v), lambda b: b, kinks=(0.0,)),
    UnaryOp("clip", lambda v: tp.clip(v, -0.5, 0.5), lambda b: min(b, 0.5), kinks=(-0.5, 0.5)),
]


def apply_unary(u: UnaryOp, child: Node) -> Node:
    if child.bound > u.max_in:
        child = squash(child)

    def fn(xs: Sequence[Any]) -> Any:
        v = child(xs)
        if u.kinks:
            guard_away(v, u.kinks)
        return u.op(v)

    return Node(f"{u.name}({child})", child.shape, u.bound(child.bound), fn)


# ----- the tree -------------------------------------------------------------------------------

KINDS = [
    "leaf",
    "unary",
    "binary",
    "reduce",
    "along",
    "reshape",
    "transpose",
    "matmul",
    "concatenate",
    "stack",
    "getitem",
    "broadcast_to",
]


def kinds_for(shape: Shape) -> list[str]:
    n = len(shape)
    out = ["leaf", "unary", "binary", "reshape", "matmul", "getitem"]
    if n <= 2 or shape == () or 1 in shape:
        out.append("reduce")
    if n >= 1:
        out += ["along", "stack", "broadcast_to"]
    if n >= 2:
        out.append("transpose")
    if any(d >= 2 for d in shape):
        out.append("concatenate")
    return out


@st.composite
def node(draw: st.DrawFn, shape: Shape, depth: int, inputs: Inputs) -> Node:
    if depth <= 0:
        return draw(leaf(shape, inputs))
    kinds = kinds_for(shape)
    if depth >= 2:
        kinds.remove("leaf")  # only the last levels may stop early
    kind = draw(st.sampled_from(kinds))
    d = depth - 1
    if kind == "leaf":
        return draw(leaf(shape, inputs))
    if kind == "unary":
        return apply_unary(draw(st.sampled_from(UNARY_OPS)), draw(node(shape, d, inputs)))
    build = {
        "binary": binary,
        "reduce": reduce,
        "along": along,
        "reshape": reshape,
        "transpose": transpose,
        "matmul": matmul,
        "concatenate": concatenate,
        "stack": stack,
        "getitem": getitem,
        "broadcast_to": broadcast_to,
    }[kind]
    return draw(build(shape, d, inputs))


@st.composite
def operand(draw: st.DrawFn, shape: Shape, depth: int, inputs: Inputs) -> Node:
    """A subtree, or (one time in four) a constant array."""
    if draw(st.integers(0, 3)) == 0:
        return draw(constant(shape))
    return draw(node(shape, depth, inputs))


BINARY_NAMES = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "where"]


@st.composite
def binary(draw: st.DrawFn, shape: Shape, depth: int, inputs: Inputs) -> Node:
    name = draw(st.sampled_from(BINARY_NAMES))
    sa, sb = draw(broadcast_pair(shape))
    a = draw(node(sa, depth, inputs))
    b = draw(operand(sb, depth, inputs))
    if draw(st.booleans()):  # the constant (if any) on either side
        a, b = b, a
    style = draw(st.integers(0, 2))
    text = f"{name}#{style}({a}, {b})"
    fn: Callable[[Any, Any], Any]
    if name in ("add", "subtract"):
        if a.bound + b.bound > B_MAX:
            a, b = squash(a), squash(b)
        bound = a.bound + b.bound
        if name == "add":
            fn = [tp.add, lambda x, y: x + y, lambda x, y: np.add(x, y)][style]
        else:
            fn = [tp.subtract, lambda x, y: x - y, lambda x, y: np.subtract(x, y)][style]
    elif name == "multiply":
        if a.bound * b.bound > B_MAX:
            a, b = squash(a), squash(b)
        bound = a.bound * b.bound
        fn = [tp.multiply, lambda x, y: x * y, lambda x, y: np.multiply(x, y)][style]
    elif name == "divide":  # by an expression in [0.5, 2.5] or [1/e, e]
        if a.bound * math.e > B_MAX:
            a = squash(a)
        bound = a.bound * (2.0 if style != 1 else math.e)
        fn = [
            lambda x, y: tp.divide(x, 1.5 + tp.sin(y)),
            lambda x, y: x / tp.exp(tp.tanh(y)),
            lambda x, y: np.divide(x, 1.5 - np.cos(y)),
        ][style]
    elif name == "power":  # a base in (0.5, 1.5) to an exponent of at most 3
        if b.bound > 3.0:
            b = squash(b)
        bound = 2.0**b.bound
        fn = [
            lambda x, y: tp.power(0.5 + tp.sigmoid(x), y),
            lambda x, y: (0.5 + tp.sigmoid(x)) ** y,
            lambda x, y: np.power(0.5 + tp.sigmoid(x), y),
        ][style]
    elif name in ("maximum", "minimum"):
        bound = max(a.bound, b.bound)
        f2 = {
            ("maximum", 0): tp.maximum,
            ("maximum", 1): lambda x, y: np.maximum(x, y),
            ("minimum", 0): tp.minimum,
            ("minimum", 1): lambda x, y: np.minimum(x, y),
        }[name, style % 2]

        def fn(x: Any, y: Any, f2: Callable[[Any, Any], Any] = f2) -> Any:
            guard_away(pv(x) - pv(y), [0.0])  # no ties
            return f2(x, y)

    else:  # where, with a fixed random condition of the output's shape
        cond = rng_of(draw).uniform(size=shape) > 0.5
        bound = max(a.bound, b.bound)
        text = f"where#{style}({cond.tolist()}, {a}, {b})"
        if style == 2:
            fn = lambda x, y: np.where(cond, x, y)
        else:
            fn = lambda x, y: tp.where(cond, x, y)
    return Node(text, shape, bound, lambda xs: fn(a(xs), b(xs)))


REDUCTIONS = ["sum", "mean", "prod", "max", "min", "logsumexp", "var", "std"]


@st.composite
def reduce(draw: st.DrawFn, shape: Shape, depth: int, inputs: Inputs) -> Node:
    n = len(shape)
    modes = []
    if shape == ():
        modes.append("all")
    if n >= 1 and all(s == 1 for s in shape):
        modes.append("all-keep")
    if n <= 2:
        modes.append("axes")
    if 1 in shape:
        modes.append("axes-keep")
    mode = draw(st.sampled_from(modes))
    keepdims = mode.endswith("keep")
    in_shape: Shape
    axis: int | tuple[int, ...] | None
    if mode == "all":
        in_shape = draw(shapes(1, 3))
        axis, axes = None, tuple(range(len(in_shape)))
    elif mode == "all-keep":
        in_shape = tuple(draw(DIMS) for _ in shape)
        axis, axes = None, tuple(range(n))
    elif mode == "axes":
        r = draw(st.integers(1, 3 - n))
        positions = draw(st.lists(st.integers(0, n + r - 1), min_size=r, max_size=r, unique=True))
        it = iter(shape)
        in_shape = tuple(draw(DIMS) if i in positions else next(it) for i in range(n + r))
        axes = tuple(positions)
        axis = axes
    else:
        ones = [i for i, s in enumerate(shape) if s == 1]
        chosen = draw(st.lists(st.sampled_from(ones), min_size=1, unique=True))
        in_shape = tuple(draw(DIMS) if i in chosen else s for i, s in enumerate(shape))
        axes = tuple(chosen)
        axis = axes
    if axis is not None:  # spell the axes as an int, negative, or a tuple in any order
        m = len(in_shape)
        spelled = [a - m if draw(st.booleans()) else a for a in axes]
        axis = spelled[0] if len(spelled) == 1 and draw(st.booleans()) else tuple(spelled)
    count = math.prod(in_shape[a] for a in axes)
    names = [r for r in REDUCTIONS if count >= 2 or r not in ("std",)]
    name = draw(st.sampled_from(names))
    child = draw(node(in_shape, depth, inputs))
    ddof = draw(st.integers(0, 1)) if name in ("var", "std") and count >= 2 else 0
    b = child.bound
    if name == "sum" and b * count > B_MAX:
        child = squash(child)
    if name == "prod" and b > 1.0 and b**count > B_MAX:
        child = squash(child)
    if name in ("var", "std") and 2 * b * b > B_MAX:
        child = squash(child)
    b = child.bound
    bound = {
        "sum": b * count,
        "mean": b,
        "prod": max(b, 1.0) ** count,
        "max": b,
        "min": b,
        "logsumexp": b + math.log(count),
        "var": 2 * b * b,
        "std": 2 * b,
    }[name]
    style = draw(st.integers(0, 2))
    text = f"{name}#{style}({child}, axis={axis}, keepdims={keepdims}, ddof={ddof})"

    def fn(xs: Sequence[Any]) -> Any:
        x = child(xs)
        if name in ("max", "min") and count >= 2:  # no ties along the reduced axes
            a = np.moveaxis(pv(x), axes, tuple(range(-len(axes), 0)))
            s = np.sort(a.reshape((*a.shape[: a.ndim - len(axes)], -1)), axis=-1)
            gap = s[..., -1] - s[..., -2] if name == "max" else s[..., 1] - s[..., 0]
            assume(bool(np.all(gap > MARGIN)))
        if name == "std":
            assume(bool(np.all(np.var(pv(x), axis=axes, ddof=ddof) > MARGIN)))
        if name in ("var", "std"):
            f = tp.var if name == "var" else tp.std
            if style == 2:
                np_var: Callable[..., Any] = np.var if name == "var" else np.std
                return np_var(x, axis=axis, ddof=ddof, keepdims=keepdims)
            return f(x, axis=axis, ddof=ddof, keepdims=keepdims)
        if style == 1 and name != "logsumexp" and isinstance(x, tp.Var):
            return getattr(x, name)(axis=axis, keepdims=keepdims)
        if style == 2 and name != "logsumexp":
            np_f: dict[str, Callable[..., Any]] = {
                "sum": np.sum,
                "mean": np.mean,
                "prod": np.prod,
                "max": np.max,
                "min": np.min,
            }
            return np_f[name](x, axis=axis, keepdims=keepdims)
        return getattr(tp, name)(x, axis=axis, keepdims=keepdims)

    return Node(text, shape, bound, fn)


@st.composite
def along(draw: st.DrawFn, shape: Shape, depth: int, inputs: Inputs) -> Node:
    n = len(shape)
    axis = draw(st.integers(-n, n - 1))
    child = draw(node(shape, depth, inputs))
    if draw(st.booleans()):
        return Node(f"softmax({child}, {axis})", shape, 1.0, lambda xs: tp.softmax(child(xs), axis))
    if 2 * child.bound + math.log(shape[axis]) > B_MAX:
        child = squash(child)
    return Node(
        f"log_softmax({child}, {axis})",
        shape,
        2 * child.bound + math.log(shape[axis]),
        lambda xs: tp.log_softmax(child(xs), axis),
    )


@st.composite
def reshape(draw: st.DrawFn, shape: Shape, depth: int, inputs: Inputs) -> Node:
    n = len(shape)
    size = math.prod(shape)
    cands: list[tuple[str, Shape, int]] = []
    if shape != (size,):
        cands.append(("reshape", (size,), 0))
    if tuple(reversed(shape)) != shape:
        cands.append(("reshape", tuple(reversed(shape)), 0))
    for k in range(2, size):
        if size % k == 0 and (k, size // k) != shape:
            cands.append(("reshape", (k, size // k), 0))
    if n < 3:
        cands += [("squeeze", (*shape[:i], 1, *shape[i:]), i) for i in range(n + 1)]
    cands += [("expand_dims", shape[:i] + shape[i + 1 :], i) for i in range(n) if shape[i] == 1]
    how, in_shape, pos = draw(st.sampled_from(cands))
    child = draw(node(in_shape, depth, inputs))
    style = draw(st.integers(0, 3))
    fn: Callable[[Any], Any]
    if how == "squeeze":
        fn = [
            lambda x: tp.squeeze(x, pos),
            lambda x: np.squeeze(x, axis=pos),
            lambda x: tp.squeeze(x, (pos,)),
            lambda x: tp.squeeze(x, pos - len(in_shape)),
        ][style]
    elif how == "expand_dims":
        fn = [
            lambda x: tp.expand_dims(x, pos),
            lambda x: np.expand_dims(x, pos),
            lambda x: tp.expand_dims(x, pos - n),
            lambda x: tp.reshape(x, shape),
        ][style]
    else:
        minus_one = (-1, *shape[1:]) if shape else shape
        fn = [
            lambda x: tp.reshape(x, shape),
            lambda x: np.reshape(x, shape),
            lambda x: tp.reshape(x, minus_one),
            lambda x: x.reshape(shape) if isinstance(x, tp.Var) else tp.reshape(x, shape),
        ][style]
    return Node(f"{how}#{style}({child}, {shape})", shape, child.bound, lambda xs: fn(child(xs)))


@st.composite
def transpose(draw: st.DrawFn, shape: Shape, depth: int, inputs: Inputs) -> Node:
    n = len(shape)
    perm = tuple(draw(st.permutations(range(n))))
    inv = np.argsort(perm)
    in_shape = tuple(shape[int(inv[j])] for j in range(n))
    child = draw(node(in_shape, depth, inputs))
    moved = [i for i in range(n) if perm[i] != i]
    styles: list[tuple[str, Callable[[Any], Any]]] = [
        ("transpose", lambda x: tp.transpose(x, perm)),
        ("np.transpose", lambda x: np.transpose(x, perm)),
        ("transpose-negative", lambda x: tp.transpose(x, [p - n for p in perm])),
    ]
    if perm == tuple(reversed(range(n))):
        styles += [("T", lambda x: x.T), ("transpose-default", lambda x: tp.transpose(x))]
    if len(moved) == 2:
        a, b = moved
        styles += [
            ("swapaxes", lambda x: tp.swapaxes(x, a, b)),
            ("np.swapaxes", lambda x: np.swapaxes(x, b - n, a)),
        ]
    label, fn = draw(st.sampled_from(styles))
    return Node(f"{label}({child}, {perm})", shape, child.bound, lambda xs: fn(child(xs)))


@st.composite
def matmul(draw: st.DrawFn, shape: Shape, depth: int, inputs: Inputs) -> Node:
    n = len(shape)
    k = draw(DIMS)
    cands: list[tuple[Shape, Shape]] = []
    if n == 0:
        cands.append(((k,), (k,)))
    if 1 <= n <= 3:
        cands.append(((*shape, k), (k,)))  # (..., m, k) @ (k,)
        cands.append(((k,), (*shape[:-1], k, shape[-1])))  # (k,) @ (..., k, q)
    if n >= 2:
        xb, yb = draw(broadcast_pair(shape[:-2]))
        cands.append(((*xb, shape[-2], k), (*yb, k, shape[-1])))
    sx, sy = draw(st.sampled_from(cands))
    x = draw(node(sx, depth, inputs))
    y = draw(operand(sy, depth, inputs))
    if k * x.bound * y.bound > B_MAX:
        x, y = squash(x), squash(y)
    styles: list[tuple[str, Callable[[Any, Any], Any]]] = [
        ("matmul", tp.matmul),
        ("@", lambda a, b: a @ b),
        ("np.matmul", lambda a, b: np.matmul(a, b)),
    ]
    if len(sx) <= 2 and len(sy) <= 2:
        styles.append(("dot", tp.dot))
    if len(sx) == 2 and len(sy) == 2:
        styles.append(("einsum", lambda a, b: tp.einsum("ik,kj->ij", a, b)))
    if len(sx) == 1 and len(sy) == 1:
        styles.append(("einsum", lambda a, b: tp.einsum("i,i", a, b)))
    label, fn = draw(st.sampled_from(styles))
    bound = k * x.bound * y.bound
    return Node(f"{label}({x}, {y})", shape, bound, lambda xs: fn(x(xs), y(xs)))


@st.composite
def concatenate(draw: st.DrawFn, shape: Shape, depth: int, inputs: Inputs) -> Node:
    n = len(shape)
    axis = draw(st.sampled_from([a for a in range(n) if shape[a] >= 2]))
    n1 = draw(st.integers(1, shape[axis] - 1))
    s1 = (*shape[:axis], n1, *shape[axis + 1 :])
    s2 = (*shape[:axis], shape[axis] - n1, *shape[axis + 1 :])
    parts = [draw(node(s1, depth, inputs)), draw(operand(s2, depth, inputs))]
    if draw(st.booleans()):
        parts = parts[::-1]
    ax = axis - n if draw(st.booleans()) else axis
    use_np = draw(st.booleans())

    def fn(xs: Sequence[Any]) -> Any:
        vals = [p(xs) for p in parts]
        return np.concatenate(vals, axis=ax) if use_np else tp.concatenate(vals, axis=ax)

    bound = max(p.bound for p in parts)
    return Node(f"concatenate({parts}, axis={ax})", shape, bound, fn)


@st.composite
def stack(draw: st.DrawFn, shape: Shape, depth: int, inputs: Inputs) -> Node:
    n = len(shape)
    axis = draw(st.integers(0, n - 1))
    part_shape = shape[:axis] + shape[axis + 1 :]
    first = draw(node(part_shape, depth, inputs))
    parts = [first]
    for _ in range(shape[axis] - 1):
        if draw(st.integers(0, 3)) == 0:
            parts.append(first)  # the same subtree twice: its adjoints add up
        else:
            parts.append(draw(operand(part_shape, depth, inputs)))
    ax = axis - n if draw(st.booleans()) else axis
    use_np = draw(st.booleans())

    def fn(xs: Sequence[Any]) -> Any:
        vals = [p(xs) for p in parts]
        return np.stack(vals, axis=ax) if use_np else tp.stack(vals, axis=ax)

    bound = max(p.bound for p in parts)
    return Node(f"stack({parts}, axis={ax})", shape, bound, fn)


@st.composite
def getitem(draw: st.DrawFn, shape: Shape, depth: int, inputs: Inputs) -> Node:
    n = len(shape)
    hows = ["slice", "flip"] if n else ["flip"]  # a scalar Var cannot be indexed
    if n <= 2:
        hows.append("int")
    if n >= 1:
        hows += ["take", "split"]
    if n == 1:
        hows.append("mask")
    how = draw(st.sampled_from(hows))
    rng = rng_of(draw)
    fn: Callable[[Any], Any]
    index: Any = None
    if how == "slice":
        extra = [draw(st.integers(0, 2)) for _ in shape]
        in_shape = tuple(s + e for s, e in zip(shape, extra, strict=True))
        starts = [draw(st.integers(0, e)) for e in extra]
        if draw(st.booleans()):
            index = tuple(slice(o, o + s) for o, s in zip(starts, shape, strict=True))
        else:  # reversed slices
            index = tuple(
                slice(o + s - 1, o - 1 if o > 0 else None, -1)
                for o, s in zip(starts, shape, strict=True)
            )
        fn = lambda x: x[index]
    elif how == "flip":
        in_shape = shape
        axis = draw(st.sampled_from([None, *range(n)])) if n else None
        index = axis
        flip_np = draw(st.booleans())
        fn = lambda x: np.flip(x, axis) if flip_np else tp.flip(x, axis)
    elif how == "int":
        m = draw(DIMS)
        in_shape = (m, *shape)
        j = draw(st.integers(-m, m - 1))
        index = j
        fn = lambda x: x[j]
    elif how == "take":
        m = draw(DIMS)
        in_shape = (m, *shape[1:])
        idx = rng.integers(0, m, shape[0])
        index = idx.tolist()
        as_list = draw(st.booleans())
        fn = lambda x: x[list(index)] if as_list else x[idx]
    elif how == "split":
        axis = draw(st.integers(0, n - 1))
        more = draw(st.integers(1, 2))
        in_shape = (*shape[:axis], shape[axis] + more, *shape[axis + 1 :])
        first = draw(st.booleans())
        index = (axis, more, first)
        if first:
            fn = lambda x: tp.split(x, [shape[axis]], axis=axis)[0]
        else:
            fn = lambda x: np.split(x, [more], axis=axis - n)[1]
    else:  # mask
        m = shape[0] + draw(st.integers(0, 2))
        in_shape = (m,)
        mask = np.zeros(m, dtype=bool)
        mask[rng.choice(m, shape[0], replace=False)] = True
        index = mask.tolist()
        fn = lambda x: x[mask]
    child = draw(node(in_shape, depth, inputs))
    return Node(f"{how}({child}, {index})", shape, child.bound, lambda xs: fn(child(xs)))


@st.composite
def broadcast_to(draw: st.DrawFn, shape: Shape, depth: int, inputs: Inputs) -> Node:
    sa, sb = draw(broadcast_pair(shape))
    in_shape = sa if sa != shape else sb
    child = draw(node(in_shape, depth, inputs))
    use_np = draw(st.booleans())
    fn: Callable[[Any], Any] = (
        (lambda x: np.broadcast_to(x, shape)) if use_np else (lambda x: tp.broadcast_to(x, shape))
    )
    return Node(f"broadcast_to({child}, {shape})", shape, child.bound, lambda xs: fn(child(xs)))


# ----- problems -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A random tree, its inputs' shapes and a point to differentiate it at."""

    root: Node
    input_shapes: Inputs
    args: tuple[tp.Value, ...]

    def f(self, *xs: Any) -> Any:
        return self.root(xs)

    def __repr__(self) -> str:
        shapes_text = ", ".join("float" if s is None else str(s) for s in self.input_shapes)
        return f"Problem(root={self.root}, inputs=[{shapes_text}])"


@st.composite
def problems(draw: st.DrawFn, min_depth: int = 2, max_depth: int = 5) -> Problem:
    n_inputs = draw(st.integers(1, 3))
    input_shapes: Inputs = tuple(
        draw(st.one_of(shapes(1, 3), shapes(1, 3), st.none())) for _ in range(n_inputs)
    )
    out_shape = draw(shapes(0, 3))
    depth = draw(st.integers(min_depth, max_depth))
    root = draw(node(out_shape, depth, input_shapes))
    rng = rng_of(draw)
    args: list[tp.Value] = []
    for s in input_shapes:
        a = rng.uniform(-INPUT_BOUND, INPUT_BOUND, () if s is None else s)
        args.append(float(a) if s is None else np.asarray(a))
    return Problem(root, input_shapes, tuple(args))


# ----- properties -----------------------------------------------------------------------------


@reproducible(N_EXAMPLES_TREES)
@given(problems())
def test_random_trees_match_finite_differences(p: Problem) -> None:
    out = p.f(*[tp.Var(a) for a in p.args])
    assert np.shape(pv(out)) == p.root.shape
    assert bool(np.all(np.abs(pv(out)) <= p.root.bound * (1 + 1e-9)))
    check_grads(p.f, p.args)


def _vjp(t: tp.Tape, y: tp.Var, xs: list[tp.Var], seed: Any) -> list[npt.NDArray[np.float64]]:
    return [np.asarray(g, dtype=np.float64) for g in t.gradient(y, xs, output_gradient=seed)]


@reproducible(N_EXAMPLES_LINEARITY)
@given(problems(max_depth=3), st.floats(-3.0, 3.0), st.integers(0, 2**32 - 1))
def test_vjp_is_linear_in_the_seed(p: Problem, a: float, seed: int) -> None:
    xs = [tp.Var(v) for v in p.args]
    with tp.Tape(persistent=True) as t:
        y = p.f(*xs) * 1.0  # recorded even when the tree is a bare input
    shape = p.root.shape
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(shape)
    w = rng.standard_normal(shape)
    seed_u: Any = float(u) if shape == () else u
    seed_au: Any = a * seed_u
    seed_w: Any = float(w) if shape == () else w
    g_u = _vjp(t, y, xs, seed_u)
    g_au = _vjp(t, y, xs, seed_au)
    g_w = _vjp(t, y, xs, seed_w)
    g_uw = _vjp(t, y, xs, seed_u + seed_w)
    for k in range(len(xs)):
        scale = 1.0 + float(np.max(np.abs(g_u[k]), initial=0.0))
        scale += float(np.max(np.abs(g_w[k]), initial=0.0))
        np.testing.assert_allclose(g_au[k], a * g_u[k], rtol=1e-10, atol=1e-12 * scale)
        np.testing.assert_allclose(g_uw[k], g_u[k] + g_w[k], rtol=1e-10, atol=1e-12 * scale)
        # and the VJP is uᵀ·J, with J from the same tape
        jac = np.asarray(t.jacobian(y, xs[k]), dtype=np.float64)
        expected = np.tensordot(u, jac, axes=len(shape))
        np.testing.assert_allclose(g_u[k], expected, rtol=1e-10, atol=1e-12 * scale)


@reproducible(N_EXAMPLES_PERSISTENT)
@given(problems(max_depth=3), st.integers(0, 2**32 - 1))
def test_persistent_tape_gives_identical_gradients_twice(p: Problem, seed: int) -> None:
    xs = [tp.Var(v) for v in p.args]
    with tp.Tape(persistent=True) as t:
        y = p.f(*xs) * 1.0
        u = np.random.default_rng(seed).standard_normal(p.root.shape)
        out = y if p.root.shape == () else tp.sum(y * u)
    first = t.gradient(out, xs)
    second = t.gradient(out, xs)
    third = t.gradient(out, xs[::-1])[::-1]
    for g1, g2, g3, x in zip(first, second, third, xs, strict=True):
        assert type(g1) is type(g2) is type(g3)
        assert np.shape(g1) == np.shape(x.value)
        np.testing.assert_array_equal(g1, g2)
        np.testing.assert_array_equal(g1, g3)
    # a non-persistent tape refuses a second sweep
    xs2 = [tp.Var(v) for v in p.args]
    with tp.Tape() as t2:
        y2 = p.f(*xs2) * 1.0
        out2 = y2 if p.root.shape == () else tp.sum(y2)
    once = t2.gradient(out2, xs2)
    assert len(once) == len(xs2)
    with pytest.raises(RuntimeError):
        t2.gradient(out2, xs2)
