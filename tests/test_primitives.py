"""Every primitive and public function of tape against central finite differences, plus the
closed-form conventions (kinks, ties, infinities, stability, dtypes, the NumPy protocols).

The table ``CASES`` holds one ``Case`` per (function, shapes, parameters) combination, in the
manner of autograd's ``combo_check``. Each case names the registry rows it exercises, and
``ROW_CASES`` (row name -> case ids) is built from it: ``test_every_registered_row_is_covered``
fails when a primitive is registered without a case here.
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import _cases_arrays  # noqa: F401  (each adds its cases to CASES)
import _cases_linalg  # noqa: F401
import _cases_products  # noqa: F401
import _cases_stats  # noqa: F401
import numpy as np
import pytest
from _cases import CASES, Case, case
from _draw import BINARY, UNARY, Shape, draw, draw_array, shape_id
from _draw import keyed_rng as _rng
from test_replay_paths import fused

import tape as tp
from tape import _table as P
from tape._rows import Primitive
from tape._table import scatter_add, sum_to
from tape.testing import check_grads

Fn = Callable[..., Any]


# ----- inputs ----------------------------------------------------------------------------------


def draw_apart(shapes: tuple[Shape, Shape], key: str, margin: float = 0.1) -> list[tp.Value]:
    """Two real inputs whose broadcast elements differ by more than ``margin`` (no ties)."""
    for attempt in range(1000):
        x = draw(shapes[0], "real", f"{key}/{attempt}/x")
        y = draw(shapes[1], "real", f"{key}/{attempt}/y")
        if np.min(np.abs(np.subtract(x, y))) > margin:
            return [x, y]
    raise AssertionError("no separated inputs found")


def away_from(a: tp.Value, points: Sequence[float], margin: float = 0.1) -> tp.Value:
    """Move elements within ``margin`` of any of ``points`` (kinks) out of the way."""
    arr = np.array(a, dtype=np.float64)
    for p in points:
        arr = np.where(np.abs(arr - p) < margin, p + 2 * margin, arr)
    return float(arr) if isinstance(a, float) else arr


# ----- the case table -------------------------------------------------------------------------


UNARY_SHAPES: list[Shape] = [None, (), (3,), (2, 3), (2, 3, 4)]

for (name, fn, kind), shape in itertools.product(UNARY, UNARY_SHAPES):
    cid = f"{name}-{shape_id(shape)}"
    case(cid, fn, [draw(shape, kind, cid)], [name])

# The rows beyond NumPy's plain ufuncs, and the operators that reach them.
_WITH_NAN = np.array([[0.5, np.nan, -1.5], [np.inf, 2.0, -np.inf]])
case("nan_to_num-default", tp.nan_to_num, [_WITH_NAN], ["nan_to_num"])
case(
    "nan_to_num-values",
    lambda x: np.nan_to_num(x * 2.0, nan=1.0, posinf=9.0, neginf=-9.0),
    [_WITH_NAN],
    ["nan_to_num"],
)
case("nan_to_num-float", tp.nan_to_num, [0.7], ["nan_to_num"], order=2)
case(
    "float_power",
    tp.float_power,
    [draw((2, 3), "pos", "fp/x"), draw((3,), "real", "fp/y")],
    ["power"],
    ["float_power"],
)
case(
    "float_power-np-float32",
    lambda x: np.float_power(x.astype(np.float32), 2.5),
    [draw((3,), "pos", "fp32")],
    ["power", "astype"],
    rtol=1e-3,
    eps=1e-2,  # the cast to float32 rounds the finite differences' points
)
case("mod-op", lambda x, y: x % y, [draw((2, 3), "real", "m1"), 0.7], ["remainder"], ["mod"])
case("rmod-op", lambda x: 5.0 % x, [draw((3,), "pos", "m2")], ["remainder"])
case("np-mod", lambda x: np.mod(x, 0.9), [draw((3,), "real", "m3")], ["remainder"])
case("floordiv-op", lambda x: (x // 0.7) * x, [draw((3,), "real", "m4")], ["floor", "divide"])
case("divmod-op", lambda x: divmod(x, 0.7)[1] * 2.0, [draw((3,), "real", "m5")], ["remainder"])
case("np-sinc", np.sinc, [draw((4,), "real", "s1")], ["sinc"])
case("np-fix", lambda x: np.fix(x) + x, [draw((4,), "real", "s2")], ["trunc"])

# The same rows through Var's operators and methods.
METHODS: list[tuple[str, Fn, str, str]] = [
    ("neg-op", lambda x: -x, "real", "negative"),
    ("pos-op", lambda x: +x * 2.0, "real", "multiply"),
    ("abs-builtin", lambda x: abs(x), "nonzero", "abs"),
    ("abs-method", lambda x: x.abs(), "nonzero", "abs"),
    ("exp-method", lambda x: x.exp(), "real", "exp"),
    ("log-method", lambda x: x.log(), "pos", "log"),
    ("tanh-method", lambda x: x.tanh(), "real", "tanh"),
    ("relu-method", lambda x: x.relu(), "nonzero", "relu"),
    ("sigmoid-method", lambda x: x.sigmoid(), "real", "sigmoid"),
    ("sqrt-method", lambda x: x.sqrt(), "pos", "sqrt"),
    ("pow-op-float", lambda x: x**3.0, "real", "power"),
    ("pow-op-int", lambda x: x**2, "real", "power"),
    ("pow-op-fractional", lambda x: x**0.5, "pos", "power"),
    ("rpow-op", lambda x: 2.0**x, "real", "power"),
    ("rsub-op", lambda x: 2.0 - x, "real", "subtract"),
    ("rdiv-op", lambda x: 3.0 / x, "nonzero", "divide"),
    ("radd-op", lambda x: 1.5 + x, "real", "add"),
    ("rmul-op", lambda x: 1.5 * x, "real", "multiply"),
    ("square-self-mul", lambda x: x * x, "real", "multiply"),
]
for (name, fn, kind, row), shape in itertools.product(METHODS, [None, (2, 3)]):
    cid = f"{name}-{shape_id(shape)}"
    case(cid, fn, [draw(shape, kind, cid)], [row])

BINARY_SHAPES: list[tuple[Shape, Shape]] = [
    (None, None),
    (None, (3,)),
    ((3,), None),
    ((), (2, 3)),
    ((3,), (3,)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((2, 1, 4), (3, 4)),
    ((2, 3, 4), (2, 3, 4)),
    ((1,), (2, 3)),
]
for (name, fn, kx, ky), (sx, sy) in itertools.product(BINARY, BINARY_SHAPES):
    cid = f"{name}-{shape_id(sx)}-{shape_id(sy)}"
    args = (
        draw_apart((sx, sy), cid)
        if kx == "apart"
        else [draw(sx, kx, cid + "/x"), draw(sy, ky, cid + "/y")]
    )
    case(cid, fn, args, [name])

# One operand a constant (plain array) on either side, and the Python operators.
OPERATORS: dict[str, Fn] = {
    "add": lambda x, y: x + y,
    "subtract": lambda x, y: x - y,
    "multiply": lambda x, y: x * y,
    "divide": lambda x, y: x / y,
    "power": lambda x, y: x**y,
}
for name, fn, kx, ky in BINARY:
    if kx == "apart":
        c_left, c_right = draw_apart(((3, 4), (4,)), name + "/const")
    else:
        c_left, c_right = draw((3, 4), kx, name + "/cl"), draw((4,), ky, name + "/cr")
    x_left, x_right = c_left, c_right
    case(f"{name}-const-right", lambda x, f=fn, c=c_right: f(x, c), [x_left], [name])
    case(f"{name}-const-left", lambda y, f=fn, c=c_left: f(c, y), [x_right], [name])
    if name in OPERATORS:
        case(f"{name}-operator", OPERATORS[name], [x_left, x_right], [name])
        case(
            f"{name}-operator-float",
            OPERATORS[name],
            [float(np.ravel(x_left)[0]), float(np.ravel(x_right)[0])],
            [name],
        )

# Reductions with every axis form and keepdims.
REDUCTION_AXES: dict[Shape, list[Any]] = {
    None: [None, 0],
    (5,): [None, 0, -1],
    (3, 4): [None, 0, 1, -1, (0, 1), (1, 0)],
    (2, 3, 4): [None, 0, 1, 2, -1, (0, 2), (-1, -2), (0, 1, 2), ()],
}
REDUCTIONS: list[tuple[str, Fn, str]] = [
    ("sum", tp.sum, "real"),
    ("mean", tp.mean, "real"),
    ("prod", tp.prod, "prod"),
    ("max", tp.max, "distinct"),
    ("min", tp.min, "distinct"),
    ("logsumexp", tp.logsumexp, "real"),
]
for (name, fn, kind), (shape, axes), keepdims in itertools.product(
    REDUCTIONS, REDUCTION_AXES.items(), [False, True]
):
    for axis in axes:
        cid = f"{name}-{shape_id(shape)}-axis{axis}-keep{keepdims}".replace(" ", "")
        case(
            cid,
            lambda x, f=fn, a=axis, k=keepdims: f(x, axis=a, keepdims=k),
            [draw(shape, kind, cid)],
            [name],
        )

# The same reductions as Var methods.
for name in ["sum", "mean", "prod", "max", "min"]:
    kind = {"prod": "prod", "max": "distinct", "min": "distinct"}.get(name, "real")
    cid = f"{name}-method"
    case(
        cid,
        lambda x, n=name: getattr(x, n)(axis=1, keepdims=True),
        [draw((3, 4), kind, cid)],
        [name],
    )
    case(cid + "-all", lambda x, n=name: getattr(x, n)(), [draw((3, 4), kind, cid)], [name])

# var and std (composites of mean, subtract, square, multiply, sqrt), with ddof.
for fname, fn in [("var", tp.var), ("std", tp.std)]:
    rows = ["mean", "subtract", "square", "multiply"] + (["sqrt"] if fname == "std" else [])
    for (shape, axes), keepdims, ddof in itertools.product(
        list(REDUCTION_AXES.items())[1:], [False, True], [0, 1]
    ):
        for axis in axes:
            if axis == ():
                continue  # variance over no axis is 0 (and ddof=1 divides by 0)
            cid = f"{fname}-{shape_id(shape)}-axis{axis}-keep{keepdims}-ddof{ddof}".replace(" ", "")
            case(
                cid,
                lambda x, f=fn, a=axis, k=keepdims, d=ddof: f(x, axis=a, ddof=d, keepdims=k),
                [draw(shape, "real", cid)],
                rows,
                funcs=[fname],
            )
case("var-float", tp.var, [0.7], ["mean", "subtract", "square"], funcs=["var"])

# Normalisations along one axis.
ALONG_AXES: dict[Shape, list[int]] = {(5,): [0, -1], (3, 4): [0, 1, -1], (2, 3, 4): [0, 1, 2, -2]}
for (name, fn), (shape, axes) in itertools.product(
    [("softmax", tp.softmax), ("log_softmax", tp.log_softmax)], ALONG_AXES.items()
):
    for axis in axes:
        cid = f"{name}-{shape_id(shape)}-axis{axis}"
        case(cid, lambda x, f=fn, a=axis: f(x, axis=a), [draw(shape, "real", cid)], [name])
    cid = f"{name}-{shape_id(shape)}-default"
    case(cid, fn, [draw(shape, "real", cid)], [name])

# Linear algebra.
MATMUL_SHAPES: list[tuple[tuple[int, ...], tuple[int, ...]]] = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((3, 4), (4,)),
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((1, 3, 4), (2, 4, 2)),
]
for sx, sy in MATMUL_SHAPES:
    cid = f"matmul-{shape_id(sx)}-{shape_id(sy)}"
    args = [draw(sx, "real", cid + "/x"), draw(sy, "real", cid + "/y")]
    case(cid, tp.matmul, args, ["matmul"])
    case(cid + "-operator", lambda x, y: x @ y, args, ["matmul"])
A34 = draw_array((3, 4), "real", "A34")
case("matmul-const-left", lambda y: tp.matmul(A34, y), [draw((4, 2), "real", "ml")], ["matmul"])
case("matmul-const-right", lambda x: x @ A34, [draw((2, 3), "real", "mr")], ["matmul"])
case("matmul-self", lambda x: x @ x.T, [draw((3, 4), "real", "ms")], ["matmul", "transpose"])

DOT_SHAPES: list[tuple[Shape, Shape, tuple[str, ...]]] = [
    (None, None, ("multiply",)),
    (None, (3,), ("multiply",)),
    ((3,), None, ("multiply",)),
    ((3,), (3,), ("matmul",)),
    ((3, 4), (4,), ("matmul",)),
    ((3,), (3, 4), ("matmul",)),
    ((3, 4), (4, 5), ("matmul",)),
]
for sx, sy, dot_rows in DOT_SHAPES:
    cid = f"dot-{shape_id(sx)}-{shape_id(sy)}"
    args = [draw(sx, "real", cid + "/x"), draw(sy, "real", cid + "/y")]
    case(cid, tp.dot, args, dot_rows, funcs=["dot"])

for sx, sy in [((3,), (4,)), ((2, 2), (3,)), (None, (3,)), ((3,), (1, 2))]:
    cid = f"outer-{shape_id(sx)}-{shape_id(sy)}"
    args = [draw(sx, "real", cid + "/x"), draw(sy, "real", cid + "/y")]
    case(cid, tp.outer, args, ["reshape", "multiply"], funcs=["outer"])

EINSUMS: list[tuple[str, list[tuple[int, ...]]]] = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->i", [(3, 4)]),
    ("ijk,ik->j", [(2, 3, 4), (2, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,k->ik", [(3, 4), (5,)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i j , j -> i", [(3, 4), (4,)]),
]
for spec, shapes in EINSUMS:
    cid = f"einsum-{spec.replace(' ', '')}"
    args = [draw(s, "real", f"{cid}/{k}") for k, s in enumerate(shapes)]
    case(cid, lambda *xs, s=spec: tp.einsum(s, *xs), args, ["einsum"])
case(
    "einsum-const",
    lambda x: tp.einsum("ij,jk->ik", A34, x),
    [draw((4, 2), "real", "ec")],
    ["einsum"],
)

# Shapes.
for sx, new in [
    ((2, 3, 4), (6, 4)),
    ((2, 3, 4), (-1,)),
    ((2, 3, 4), (4, -1, 3)),
    ((6,), (2, 3)),
    ((3,), (3, 1)),
    (None, (1,)),
    ((1, 1), ()),
    ((2, 3), 6),
]:
    cid = f"reshape-{shape_id(sx)}-to-{new}".replace(" ", "")
    case(cid, lambda x, s=new: tp.reshape(x, s), [draw(sx, "real", cid)], ["reshape"])
case("reshape-method-ints", lambda x: x.reshape(3, 8), [draw((2, 3, 4), "real", "rm")], ["reshape"])
case(
    "reshape-method-tuple", lambda x: x.reshape((4, 6)), [draw((2, 12), "real", "rt")], ["reshape"]
)
case("reshape-identity", lambda x: tp.reshape(x, (3, 4)), [draw((3, 4), "real", "ri")], [])

for sx, axes in [
    ((3, 4), None),
    ((2, 3, 4), None),
    ((2, 3, 4), (1, 0, 2)),
    ((2, 3, 4), (2, 0, 1)),
    ((2, 3, 4), (-1, 0, 1)),
    ((2, 3, 4, 2), (3, 1, 0, 2)),
]:
    cid = f"transpose-{shape_id(sx)}-{axes}".replace(" ", "")
    case(cid, lambda x, a=axes: tp.transpose(x, a), [draw(sx, "real", cid)], ["transpose"])
case("transpose-T", lambda x: x.T, [draw((3, 4), "real", "tT")], ["transpose"])
case(
    "transpose-method",
    lambda x: x.transpose(0, 2, 1),
    [draw((2, 3, 4), "real", "tm")],
    ["transpose"],
)
case(
    "transpose-method-noargs",
    lambda x: x.transpose(),
    [draw((2, 3, 4), "real", "tn")],
    ["transpose"],
)

for sx, a1, a2 in [((2, 3, 4), 0, 2), ((2, 3, 4), -1, 0), ((3, 4), 0, 1)]:
    cid = f"swapaxes-{shape_id(sx)}-{a1}-{a2}"
    case(
        cid,
        lambda x, a=a1, b=a2: tp.swapaxes(x, a, b),
        [draw(sx, "real", cid)],
        ["transpose"],
        funcs=["swapaxes"],
    )

for sx, ax in [((3, 4), 0), ((3, 4), -1), ((3, 4), (0, 2)), (None, 0), ((3,), 1)]:
    cid = f"expand_dims-{shape_id(sx)}-{ax}".replace(" ", "")
    case(
        cid,
        lambda x, a=ax: tp.expand_dims(x, a),
        [draw(sx, "real", cid)],
        ["reshape"],
        funcs=["expand_dims"],
    )

for sx, sq_ax in [
    ((3, 1, 4), None),
    ((3, 1, 4), 1),
    ((1, 3, 1), (0, 2)),
    ((1, 3, 1), -1),
    ((1, 1), None),
]:
    cid = f"squeeze-{shape_id(sx)}-{sq_ax}".replace(" ", "")
    case(
        cid,
        lambda x, a=sq_ax: tp.squeeze(x, a),
        [draw(sx, "real", cid)],
        ["reshape"],
        funcs=["squeeze"],
    )

for sx, to in [
    ((4,), (3, 4)),
    ((3, 1), (2, 3, 4)),
    (None, (2, 3)),
    ((1,), (5,)),
    ((2, 1, 4), (2, 3, 4)),
    ((1, 4), (3, 4)),
]:
    cid = f"broadcast_to-{shape_id(sx)}-{shape_id(to)}"
    case(cid, lambda x, s=to: tp.broadcast_to(x, s), [draw(sx, "real", cid)], ["broadcast_to"])

for sx, to in [
    ((3, 4), (4,)),
    ((2, 3, 4), (3, 1)),
    ((3, 4), (1, 4)),
    ((3, 4), ()),
    ((2, 3, 4), (2, 1, 4)),
]:
    cid = f"sum_to-{shape_id(sx)}-{shape_id(to)}"
    case(cid, lambda x, s=to: sum_to(x, s), [draw(sx, "real", cid)], ["sum_to"])

CONCATENATIONS: list[tuple[list[tuple[int, ...]], int]] = [
    ([(2, 3), (4, 3)], 0),
    ([(2, 3), (2, 1)], 1),
    ([(2, 3), (2, 2)], -1),
    ([(3,), (2,), (4,)], 0),
    ([(2, 3, 4), (2, 1, 4)], 1),
]
for parts, ax in CONCATENATIONS:
    cid = f"concatenate-{'-'.join(shape_id(p) for p in parts)}-axis{ax}"
    args = [draw(p, "real", f"{cid}/{k}") for k, p in enumerate(parts)]
    case(cid, lambda *xs, a=ax: tp.concatenate(list(xs), axis=a), args, ["concatenate"])
C23 = draw_array((2, 3), "real", "C23")
case(
    "concatenate-const-and-repeat",
    lambda x: tp.concatenate([x, C23, x * 2.0], axis=0),
    [draw((2, 3), "real", "ccr")],
    ["concatenate"],
)

STACKS: list[tuple[list[tuple[int, ...]], int]] = [
    ([(3,), (3,)], 0),
    ([(3,), (3,)], 1),
    ([(3,), (3,)], -1),
    ([(2, 3), (2, 3), (2, 3)], 1),
    ([(2, 3), (2, 3)], 2),
]
for parts, ax in STACKS:
    cid = f"stack-{'-'.join(shape_id(p) for p in parts)}-axis{ax}"
    args = [draw(p, "real", f"{cid}/{k}") for k, p in enumerate(parts)]
    case(cid, lambda *xs, a=ax: tp.stack(list(xs), axis=a), args, ["stack"])
case(
    "stack-const-and-repeat",
    lambda x: tp.stack([x, C23, tp.sin(x)], axis=1),
    [draw((2, 3), "real", "scr")],
    ["stack"],
)

for sx, sections, ax in [
    ((6,), 3, 0),
    ((4, 6), [1, 4], 1),
    ((4, 6), 2, -1),
    ((4, 6), [3], 0),
    ((2, 3, 4), 2, 2),
]:
    cid = f"split-{shape_id(sx)}-{sections}-axis{ax}".replace(" ", "")
    case(
        cid,
        lambda x, s=sections, a=ax: tp.concatenate(
            [tp.sin(p) * float(k + 1) for k, p in enumerate(tp.split(x, s, axis=a)[::-1])],
            axis=a,
        ),
        [draw(sx, "real", cid)],
        ["getitem", "concatenate"],
        funcs=["split"],
    )

for sx, fl_ax in [
    ((5,), None),
    ((3, 4), None),
    ((3, 4), 0),
    ((3, 4), 1),
    ((3, 4), -1),
    ((2, 3, 4), (0, 2)),
]:
    cid = f"flip-{shape_id(sx)}-{fl_ax}".replace(" ", "")
    case(cid, lambda x, a=fl_ax: tp.flip(x, a), [draw(sx, "real", cid)], ["flip"])

MASK45 = _rng("mask").uniform(size=(4, 5)) > 0.5
INDICES: list[tuple[str, tuple[int, ...], Any]] = [
    ("int", (4, 5), 1),
    ("negative-int", (4, 5), -1),
    ("slice", (4, 5), slice(1, 3)),
    ("reversed", (4, 5), slice(None, None, -1)),
    ("column", (4, 5), (slice(None), 1)),
    ("ellipsis", (4, 5), (Ellipsis, 0)),
    ("newaxis", (4, 5), (None, slice(None), slice(1, None))),
    ("strided", (4, 5), (slice(1, None), slice(None, None, 2))),
    ("list-repeated", (4, 5), [0, 2, 2]),
    ("array-2d", (4, 5), np.array([[0, 1], [2, 2]])),
    ("pairs-repeated", (4, 5), ([0, 1, 0], [2, 2, 2])),
    ("mixed-repeated", (4, 5), (slice(None), [0, 0, 3])),
    ("mask", (4, 5), MASK45),
    ("3d-mixed", (3, 4, 5), (1, slice(None), [0, 4, 4])),
    ("3d-ellipsis", (3, 4, 5), (Ellipsis, slice(1, 3))),
    ("3d-adv-separated", (3, 4, 5), ([0, 2], slice(None), 1)),
    ("1d-array", (6,), np.array([5, 0, 0, 3])),
]
for iname, sx, index in INDICES:
    cid = f"getitem-{iname}"
    case(cid, lambda x, i=index: x[i], [draw(sx, "real", cid)], ["getitem"])

for iname, sx, index, to in [
    ("repeated", (3,), np.array([0, 0, 2]), (4,)),
    ("slice", (2,), slice(1, 3), (4,)),
    ("rows-repeated", (2, 5), (np.array([0, 0]),), (3, 5)),
    ("column", (3,), (slice(None), 1), (3, 4)),
]:
    cid = f"scatter_add-{iname}"
    case(
        cid,
        lambda x, i=index, s=to: scatter_add(x, i, s),
        [draw(sx, "real", cid)],
        ["scatter_add"],
    )

COND34 = _rng("cond").uniform(size=(3, 4)) > 0.4
WHERES: list[tuple[str, Fn, list[Shape]]] = [
    ("same", lambda x, y: tp.where(COND34, x, y), [(3, 4), (3, 4)]),
    ("broadcast", lambda x, y: tp.where(COND34, x, y), [(4,), (3, 1)]),
    ("float-x", lambda x, y: tp.where(COND34, x, y), [None, (3, 4)]),
    ("float-both", lambda x, y: tp.where(COND34, x, y), [None, None]),
    ("scalar-cond", lambda x, y: tp.where(True, x, y), [(3,), (3,)]),
    ("const-y", lambda x: tp.where(COND34, x, 0.0), [(3, 4)]),
]
for wname, wfn, wshapes in WHERES:
    cid = f"where-{wname}"
    case(cid, wfn, [draw(s, "real", f"{cid}/{k}") for k, s in enumerate(wshapes)], ["where"])
case(
    "where-cond-from-x",
    lambda x: tp.where(x > 0, x, -2.0 * x),
    [draw((3, 4), "nonzero", "wcx")],
    ["where"],
)

for cname, lo, hi, shape in [
    ("both", -0.5, 0.5, (3, 4)),
    ("upper", None, 0.5, (3, 4)),
    ("lower", -0.5, None, (3, 4)),
    ("float-inside", -0.5, 0.5, None),
    ("float-outside", 1.5, 2.5, None),
    ("int-bounds", -1, 1, (2, 3, 4)),
]:
    cid = f"clip-{cname}"
    x0 = away_from(draw(shape, "real", cid), [b for b in (lo, hi) if b is not None])
    if cname == "float-inside":
        x0 = 0.2
    case(cid, lambda x, a=lo, b=hi: tp.clip(x, a, b), [x0], ["clip"])

# NumPy's functions and ufuncs called on a Var reach the table.
B34 = draw_array((3, 4), "real", "B34")
A23 = draw_array((2, 3), "real", "A23")
NUMPY_CASES: list[tuple[str, Fn, str, Shape, tuple[str, ...]]] = [
    ("np.sin", lambda x: np.sin(x), "real", (3, 4), ("sin",)),
    ("np.exp", lambda x: np.exp(x), "real", (3, 4), ("exp",)),
    ("np.log", lambda x: np.log(x), "pos", (3, 4), ("log",)),
    ("np.abs", lambda x: np.abs(x), "nonzero", (3, 4), ("abs",)),
    ("np.square", lambda x: np.square(x), "real", (3, 4), ("square",)),
    ("np.power", lambda x: np.power(x, 3.0), "real", (3, 4), ("power",)),
    ("np.divide", lambda x: np.divide(1.0, x), "nonzero", (3, 4), ("divide",)),
    ("np.negative", lambda x: np.negative(x), "real", (3, 4), ("negative",)),
    ("np.sum-axis0", lambda x: np.sum(x, axis=0), "real", (3, 4), ("sum",)),
    ("np.mean-axis1", lambda x: np.mean(x, axis=1, keepdims=True), "real", (3, 4), ("mean",)),
    ("np.max", lambda x: np.max(x, axis=0), "distinct", (3, 4), ("max",)),
    ("np.amin", lambda x: np.amin(x), "distinct", (3, 4), ("min",)),
    ("np.prod", lambda x: np.prod(x, axis=-1), "prod", (3, 4), ("prod",)),
    ("np.var", lambda x: np.var(x, axis=0, ddof=1), "real", (3, 4), ("mean", "square")),
    ("np.std", lambda x: np.std(x), "real", (3, 4), ("sqrt",)),
    ("ndarray@v", lambda x: A23 @ x, "real", (3, 4), ("matmul",)),
    ("v@ndarray", lambda x: x @ B34.T, "real", (2, 4), ("matmul",)),
    ("np.matmul", lambda x: np.matmul(A23, x), "real", (3, 4), ("matmul",)),
    ("np.dot", lambda x: np.dot(A23, x), "real", (3, 4), ("matmul",)),
    ("ndarray*v", lambda x: B34 * x, "real", (3, 4), ("multiply",)),
    ("ndarray+v", lambda x: B34 + x, "real", (4,), ("add",)),
    ("ndarray-v", lambda x: B34 - x, "real", (3, 1), ("subtract",)),
    ("ndarray/v", lambda x: B34 / x, "nonzero", (3, 4), ("divide",)),
    ("np.maximum", lambda x: np.maximum(x, 0), "nonzero", (3, 4), ("maximum",)),
    ("np.minimum", lambda x: np.minimum(0.0, x), "nonzero", (3, 4), ("minimum",)),
    ("np.where", lambda x: np.where(x > 0, x, 0), "nonzero", (3, 4), ("where",)),
    ("np.clip", lambda x: np.clip(x, -0.25, 0.25), "nonzero", (3, 4), ("clip",)),
    ("np.concatenate", lambda x: np.concatenate([x, x]), "real", (3, 4), ("concatenate",)),
    ("np.stack", lambda x: np.stack([x, 2.0 * x], axis=1), "real", (3, 4), ("stack",)),
    ("np.split", lambda x: np.split(x, 2, axis=1)[1], "real", (3, 4), ("getitem",)),
    ("np.reshape", lambda x: np.reshape(x, (2, 6)), "real", (3, 4), ("reshape",)),
    ("np.transpose", lambda x: np.transpose(x), "real", (3, 4), ("transpose",)),
    ("np.swapaxes", lambda x: np.swapaxes(x, 0, 2), "real", (2, 3, 4), ("transpose",)),
    ("np.expand_dims", lambda x: np.expand_dims(x, 1), "real", (3, 4), ("reshape",)),
    ("np.squeeze", lambda x: np.squeeze(x), "real", (3, 1), ("reshape",)),
    ("np.broadcast_to", lambda x: np.broadcast_to(x, (2, 4)), "real", (4,), ("broadcast_to",)),
    ("np.flip", lambda x: np.flip(x, 0), "real", (3, 4), ("flip",)),
    ("np.outer", lambda x: np.outer(x, x), "real", (3,), ("multiply",)),
    ("np.einsum", lambda x: np.einsum("ij,kj->ik", x, B34), "real", (2, 4), ("einsum",)),
]
for nname, fn, kind, shape, np_rows in NUMPY_CASES:
    cid = f"numpy-{nname}"
    case(cid, fn, [draw(shape, kind, cid)], np_rows)

# Rows behind ndarray methods (tests/test_methods.py checks every method in both modes).
ROUNDABLE = np.array([[0.23, -1.37, 2.41, 0.06], [-0.72, 1.14, -2.88, 0.51]])  # off the steps
for decimals in [0, 1, -1]:
    cid = f"round-{decimals}"
    case(
        cid,
        lambda x, d=decimals: x.round(d) * x + x,  # round's own derivative is 0
        [ROUNDABLE * 10.0 ** (-decimals if decimals < 0 else 0)],
        ["round"],
        funcs=["round"],
    )
case("round-float", lambda x: tp.sin(x).round(2) + x, [0.3], ["round"], funcs=["round"])
for sx, cs_ax in [
    ((5,), None),
    ((5,), 0),
    ((3, 4), None),
    ((3, 4), 0),
    ((2, 3, 4), -1),
    (None, None),
]:
    cid = f"cumsum-{shape_id(sx)}-{cs_ax}"
    case(
        cid,
        lambda x, a=cs_ax: tp.sin(x.cumsum(a)),
        [draw(sx, "real", cid)],
        ["cumsum"],
        funcs=["cumsum"],
    )
case("copy", lambda x: x.copy() * x, [draw((3, 4), "real", "copy")], ["copy"], funcs=["copy"])
case("copy-float", lambda x: x.copy() * x, [0.4], ["copy"], funcs=["copy"])
# The getitem-based selections behind ndarray methods (named here for tp.__all__, should
# they be exported: test_every_public_function_is_covered then finds their cases).
SELECT_CASES: list[tuple[str, Fn, Shape]] = [
    ("take", lambda x: P.take(x, [0, 3, 3], axis=1), (3, 4)),
    ("repeat", lambda x: P.repeat(x, [2, 0, 1], axis=0), (3, 4)),
    ("compress", lambda x: P.compress(x, [True, False, True]), (3, 4)),
    ("diagonal", lambda x: P.diagonal(x, 1), (3, 4)),
    ("trace", lambda x: P.trace(x, -1, 0, 2), (3, 2, 3)),
    ("take_along_axis", lambda x: P.take_along_axis(x, np.array([[2, 0, 0]]), 1), (2, 3)),
]
for sname, sfn, sshape in SELECT_CASES:
    case(f"{sname}-select", sfn, [draw(sshape, "real", sname)], ["getitem"], funcs=[sname])
for dst, tol, step in [(np.float32, 1e-4, 1e-2), (np.float16, 1e-2, 1e-1)]:
    cid = f"astype-{np.dtype(dst).name}"
    case(
        cid,  # float32 and float16 round: a coarse step, and a quadratic (exact differences)
        lambda x, d=dst: (x.astype(d) * 2.0).astype(np.float64) * x,
        [draw((3, 4), "real", cid)],
        ["astype"],
        funcs=["astype"],
        rtol=tol,
        atol=tol,
        eps=step,
    )


ROW_CASES: dict[str, list[str]] = {}
"""Registry row name -> ids of the gradient cases that record it."""
for _c in CASES:
    for _r in _c.rows:
        ROW_CASES.setdefault(_r, []).append(_c.id)

FUNCTION_CASES: dict[str, list[str]] = {}
"""Public function name -> ids of the gradient cases (or closed-form tests) that call it."""
for _c in CASES:
    for _f in (*_c.rows, *_c.funcs):
        FUNCTION_CASES.setdefault(_f, []).append(_c.id)
FUNCTION_CASES.setdefault("stop_gradient", []).append("test_stop_gradient")
for _name in ("isnan", "isinf", "isfinite"):
    FUNCTION_CASES.setdefault(_name, []).append("test_value_tests_are_numpys_and_carry_no_gradient")


# ----- the gradient checks ----------------------------------------------------------------------


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_gradient_matches_finite_differences(c: Case) -> None:
    check_grads(c.fn, c.args, order=c.order, rtol=c.rtol, atol=c.atol, eps=c.eps)


def _nearby(a: tp.Value, key: str) -> tp.Value:
    """A point near ``a`` (a relative step of about 1e-3), in the same domain."""
    noise = 1.0 + 1e-3 * _rng(key).standard_normal(np.shape(a))
    return float(a * noise) if isinstance(a, float) else np.asarray(a) * noise


@pytest.mark.parametrize("c", [c for c in CASES if c.replay], ids=[c.id for c in CASES if c.replay])
def test_case_replays_at_a_new_point(c: Case) -> None:
    """The tape recorded at the case's point, compiled and run at a nearby point, gives the
    value and gradient of a fresh recording there (both code paths of the Program, and the
    interpreter with its lines compiled in chunks, as a long loop's are)."""
    xs = [tp.Var(a) for a in c.args]
    with tp.Tape(persistent=True) as t:
        out = c.fn(*xs)
        w = _rng(c.id + "/w").standard_normal(np.shape(out.value))
        y = tp.sum(out * w)
    prog = t.compile(xs, [y])
    new = [_nearby(a, f"{c.id}/{i}") for i, a in enumerate(c.args)]
    zs = [tp.Var(a) for a in new]
    with tp.Tape() as t2:
        y2 = tp.sum(c.fn(*zs) * w)
    want = t2.gradient(y2, zs)
    for run in (prog.value_and_grad, prog.value_and_grad_interpreted, fused(prog).value_and_grad):
        value, grads = run(*new)
        np.testing.assert_allclose(value, y2.value, rtol=1e-12, atol=1e-12)
        for g, g2 in zip(grads, want, strict=True):
            np.testing.assert_allclose(g, g2, rtol=1e-10, atol=1e-12)
    # forward mode, lowered the same way, against a fresh pass of dual numbers
    normal = [_rng(f"{c.id}/d{i}").standard_normal(np.shape(a)) for i, a in enumerate(new)]
    ds = [float(d) if isinstance(a, float) else d for d, a in zip(normal, new, strict=True)]
    _, tangent = tp.jvp(lambda *vs: tp.sum(c.fn(*vs) * w), new, ds)
    for p in (prog, prog.using("interpreted"), fused(prog)):
        got = p.jvp(new if len(new) > 1 else new[0], ds if len(ds) > 1 else ds[0])
        np.testing.assert_allclose(got, tangent, rtol=1e-10, atol=1e-12)
    # H·v by the program's own second-order program (the sweep recorded and replayed)
    hv = tp.hvp(lambda *vs: tp.sum(c.fn(*vs) * w), tuple(new), tuple(ds))
    for p in (prog, prog.using("interpreted")):
        got = p.hvp(new if len(new) > 1 else new[0], ds if len(ds) > 1 else ds[0])
        got = list(got) if len(new) > 1 else [got]
        for g, want_g in zip(got, hv, strict=True):
            np.testing.assert_allclose(g, want_g, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_case_records_its_rows(c: Case) -> None:
    """Each case really records the rows it is counted for (so ROW_CASES does not lie)."""
    xs = [tp.Var(a) for a in c.args]
    with tp.Tape() as t:
        c.fn(*xs)
    recorded = {e.primitive for e in t}
    assert set(c.rows) <= recorded, f"{c.id}: declared {c.rows}, recorded {sorted(recorded)}"


DIFFERENTIABLE_FUNCTIONS = [
    *(u[0] for u in UNARY),  # the elementwise rows' functions share their names
    *(b[0] for b in BINARY),
    "add",
    "subtract",
    "multiply",
    "divide",
    "power",
    "negative",
    "maximum",
    "minimum",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sqrt",
    "square",
    "abs",
    "sign",
    "relu",
    "sigmoid",
    "softplus",
    "where",
    "clip",
    "sum",
    "mean",
    "prod",
    "max",
    "min",
    "var",
    "std",
    "logsumexp",
    "softmax",
    "log_softmax",
    "matmul",
    "dot",
    "outer",
    "einsum",
    "reshape",
    "transpose",
    "swapaxes",
    "expand_dims",
    "squeeze",
    "broadcast_to",
    "concatenate",
    "stack",
    "split",
    "flip",
    "stop_gradient",
]
"""The differentiable public functions of tp.__all__ (transforms such as tp.grad are not)."""


def is_builtin(row: tp.Primitive) -> bool:
    """Whether the tape package registered ``row`` itself: its forward function comes from
    tape (or straight from NumPy). Rows that users (and other test modules) make with
    ``tp.primitive`` have a forward function of their own module and are not counted."""
    module = getattr(row.impl, "__module__", None) or ""
    return module.split(".")[0] in ("tape", "numpy")


def builtin_rows() -> list[str]:
    """Built-in rows with a derivative (comparisons and guards, which have none, are
    covered by tests/test_replay.py)."""
    return [name for name, row in tp.PRIMITIVES.items() if is_builtin(row) and row.differentiable]


def uncovered(names: Sequence[str]) -> list[str]:
    return [n for n in names if not ROW_CASES.get(n)]


def test_every_registered_row_is_covered() -> None:
    rows = builtin_rows()
    assert len(rows) >= 44 and {"add", "getitem", "scatter_add", "sum_to"} <= set(rows)
    missing = uncovered(rows)
    assert not missing, f"registered primitives without a gradient test: {missing}"


def test_the_coverage_test_catches_a_new_primitive() -> None:
    """A row registered without a case would be reported missing."""
    fake = tp.Primitive("__not_a_real_row__", impl=lambda x: x, vjp=(None,), jvp=(None,))
    assert not is_builtin(fake)
    assert is_builtin(tp.Primitive("x", impl=np.sign, vjp=(None,), jvp=(None,)))
    assert uncovered([*builtin_rows(), fake.name]) == [fake.name]


FUNCTION_MODULES = {f"tape.{m}" for m in ("_table", "_arrays", "_products", "_stats", "_linalg")}
"""The modules whose public functions are differentiable (each needs a gradient case)."""


def test_every_public_function_is_covered() -> None:
    exported = set(tp.__all__)
    assert set(DIFFERENTIABLE_FUNCTIONS) <= exported
    table_functions = [
        n
        for n in tp.__all__
        if inspect.isfunction(getattr(tp, n)) and getattr(tp, n).__module__ in FUNCTION_MODULES
    ]
    missing = [
        n for n in {*DIFFERENTIABLE_FUNCTIONS, *table_functions} if not FUNCTION_CASES.get(n)
    ]
    assert not missing, f"public functions without a gradient test: {sorted(missing)}"
    for name, ids in FUNCTION_CASES.items():
        for i in ids:
            if i.startswith("test_"):
                assert callable(globals().get(i)), f"{name}: no test named {i}"


# ----- closed-form conventions -----------------------------------------------------------------


def grad(f: Fn, *args: Any) -> list[Any]:
    """The tape's gradient of the scalar f(*args) with respect to every argument."""
    xs = [tp.Var(a) for a in args]
    with tp.Tape() as t:
        y = f(*xs)
    return t.gradient(y, xs)


def value_and_grad(f: Fn, *args: Any) -> tuple[Any, list[Any]]:
    xs = [tp.Var(a) for a in args]
    with tp.Tape() as t:
        y = f(*xs)
    return y.value, t.gradient(y, xs)


@pytest.mark.parametrize("fn", [tp.abs, tp.relu, lambda x: abs(x), lambda x: x.relu()])
def test_abs_and_relu_gradient_at_zero_is_zero(fn: Fn) -> None:
    (g,) = grad(fn, 0.0)
    assert type(g) is float
    assert g == 0.0
    (g,) = grad(lambda x: tp.sum(fn(x) * np.array([1.0, 2.0, 3.0])), np.array([0.0, 0.0, 0.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_abs_relu_gradients_closed_form() -> None:
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    (g,) = grad(lambda v: tp.sum(tp.abs(v)), x)
    np.testing.assert_array_equal(g, [-1.0, -1.0, 0.0, 1.0, 1.0])
    (g,) = grad(lambda v: tp.sum(tp.relu(v)), x)
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0, 1.0, 1.0])


@pytest.mark.parametrize("x", [-3.0, -1e-300, 0.0, 1e-300, 2.5])
def test_sign_gradient_is_zero_everywhere(x: float) -> None:
    v, (g,) = value_and_grad(tp.sign, x)
    assert v == float(np.sign(x))
    assert type(g) is float and g == 0.0
    arr = np.array([x, -1.0, 0.0, 1.0])
    v, (g,) = value_and_grad(lambda a: tp.sum(tp.sign(a) * 3.0 + a), arr)
    np.testing.assert_array_equal(g, np.ones(4))  # only the "+ a" term contributes


def test_maximum_minimum_split_ties_in_half() -> None:
    for fn in (tp.maximum, tp.minimum):
        v, (gx, gy) = value_and_grad(fn, 2.0, 2.0)
        assert v == 2.0 and (gx, gy) == (0.5, 0.5)
        x = np.array([1.0, 2.0, 3.0])
        y = np.array([1.0, 5.0, 0.0])
        gx, gy = grad(lambda a, b, f=fn: tp.sum(f(a, b)), x, y)
        if fn is tp.maximum:
            np.testing.assert_array_equal(gx, [0.5, 0.0, 1.0])
            np.testing.assert_array_equal(gy, [0.5, 1.0, 0.0])
        else:
            np.testing.assert_array_equal(gx, [0.5, 1.0, 0.0])
            np.testing.assert_array_equal(gy, [0.5, 0.0, 1.0])
        # broadcast: the scalar ties with every element and collects half of each
        gx, gy = grad(lambda a, b, f=fn: tp.sum(f(a, b)), np.full((2, 3), 4.0), 4.0)
        np.testing.assert_array_equal(gx, np.full((2, 3), 0.5))
        assert gy == 3.0


@pytest.mark.parametrize(
    ("fn", "x", "expected"),
    [
        (tp.max, [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
        (tp.min, [1.0, 1.0, 3.0], [0.5, 0.5, 0.0]),
        (tp.max, [2.0, 2.0, 2.0], [1 / 3, 1 / 3, 1 / 3]),
        (tp.min, [-1.0, 4.0, -1.0, -1.0], [1 / 3, 0.0, 1 / 3, 1 / 3]),
        (tp.max, [5.0, 1.0], [1.0, 0.0]),
    ],
)
def test_max_min_reductions_split_ties_equally(
    fn: Fn, x: list[float], expected: list[float]
) -> None:
    (g,) = grad(fn, np.array(x))
    np.testing.assert_allclose(g, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("keepdims", [False, True])
def test_max_reduction_ties_along_an_axis(keepdims: bool) -> None:
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, 5.0, 1.0]])
    w = np.array([1.0, 2.0, 4.0])
    seed = w.reshape(3, 1) if keepdims else w
    (g,) = grad(lambda a: tp.sum(tp.max(a, axis=1, keepdims=keepdims) * seed), x)
    expected = [[0.0, 0.5, 0.5], [2 / 3, 2 / 3, 2 / 3], [0.0, 4.0, 0.0]]
    np.testing.assert_allclose(g, expected, rtol=0, atol=1e-15)
    (g,) = grad(lambda a: tp.sum(tp.min(a, axis=0, keepdims=keepdims)), x.T)
    third = 1 / 3
    expected = [[1.0, third, 1.0], [0.0, third, 0.0], [0.0, third, 0.0]]
    np.testing.assert_allclose(g, expected, rtol=0, atol=1e-15)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_sqrt_and_log_derivative_at_zero_is_inf_without_raising() -> None:
    for fn in (tp.sqrt, tp.log):
        v, (g,) = value_and_grad(fn, 0.0)
        assert type(g) is float
        assert g == math.inf
        assert v == (0.0 if fn is tp.sqrt else -math.inf)
        v, (g,) = value_and_grad(lambda a, f=fn: tp.sum(f(a)), np.array([0.0, 4.0]))
        np.testing.assert_array_equal(g, [math.inf, 0.25])  # sqrt'(4) = log'(4) = 1/4


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_float_division_by_zero_gives_inf() -> None:
    v, (gx, gy) = value_and_grad(lambda a, b: a / b, 1.0, 0.0)
    assert v == math.inf and gx == math.inf and gy == -math.inf
    v, (gx,) = value_and_grad(lambda a: a / 0.0, -2.0)
    assert v == -math.inf and gx == math.inf
    v, (gy,) = value_and_grad(lambda b: 1.0 / b, 0.0)
    assert v == math.inf and gy == -math.inf
    v, _ = value_and_grad(lambda a: tp.divide(a, 0.0), 0.0)
    assert math.isnan(v)
    assert (tp.Var(3.0) / 0.0).value == math.inf  # outside any tape too
    assert tp.divide(3.0, 0.0) == math.inf  # and on plain floats


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    ("fn", "x", "expected"),
    [
        (tp.log, -1.0, math.nan),
        (tp.sqrt, -1.0, math.nan),
        (tp.exp, 1000.0, math.inf),
        (tp.expm1, 1000.0, math.inf),
        (tp.log1p, -1.0, -math.inf),
        (tp.log1p, -2.0, math.nan),
        (lambda x: x**-1.0, 0.0, math.inf),
        (lambda x: x**0.5, -8.0, math.nan),
        (lambda x: x**2.0, 1e200, math.inf),
    ],
)
def test_float_path_gives_numpy_values_where_math_raises(fn: Fn, x: float, expected: float) -> None:
    v = fn(tp.Var(x)).value
    assert type(v) is float
    if math.isnan(expected):
        assert math.isnan(v)
    else:
        assert v == expected
    # and the same inside a tape, with the gradient computed without raising
    xs = tp.Var(x)
    with tp.Tape() as t:
        y = fn(xs)
    t.gradient(y, xs)


LARGE = [1000.0, -1000.0]


@pytest.mark.parametrize("x", LARGE)
@pytest.mark.parametrize("name", ["sigmoid", "softplus", "logsumexp"])
def test_stable_on_the_float_path(name: str, x: float) -> None:
    fn = getattr(tp, name)
    v, (g,) = value_and_grad(fn, x)
    assert math.isfinite(v) and math.isfinite(g)
    expected_v, expected_g = {
        ("sigmoid", 1000.0): (1.0, 0.0),
        ("sigmoid", -1000.0): (0.0, 0.0),
        ("softplus", 1000.0): (1000.0, 1.0),
        ("softplus", -1000.0): (0.0, 0.0),
        ("logsumexp", 1000.0): (1000.0, 1.0),
        ("logsumexp", -1000.0): (-1000.0, 1.0),
    }[name, x]
    assert v == pytest.approx(expected_v, abs=1e-300)
    assert g == pytest.approx(expected_g, abs=1e-300)


STABLE_INPUTS = [
    np.array([1000.0, -1000.0, 0.0]),
    np.array([1000.0, 1000.0]),
    np.array([-1000.0, -1000.0, -999.0]),
    np.array([[1000.0, -1000.0], [-1000.0, -1000.0], [1000.0, 999.0]]),
]


@pytest.mark.parametrize("x", STABLE_INPUTS, ids=lambda a: str(a.tolist()).replace(" ", ""))
@pytest.mark.parametrize(
    "fn",
    [tp.sigmoid, tp.softplus, tp.logsumexp, tp.softmax, tp.log_softmax],
    ids=["sigmoid", "softplus", "logsumexp", "softmax", "log_softmax"],
)
def test_stable_at_large_inputs(fn: Fn, x: tp.Array) -> None:
    # no overflow, 0/0 or division by zero anywhere, not even as a warning (underflow is fine)
    with np.errstate(all="raise", under="ignore"):
        xv = tp.Var(x)
        with tp.Tape() as t:
            y = fn(xv)
            u = _rng("stable").standard_normal(np.shape(y.value))
            s = tp.sum(y * u)
        g = t.gradient(s, xv)
    assert np.all(np.isfinite(y.value))
    assert np.all(np.isfinite(g))


def test_stable_closed_forms() -> None:
    x = np.array([1000.0, -1000.0])
    v, (g,) = value_and_grad(tp.logsumexp, x)
    assert v == 1000.0
    np.testing.assert_array_equal(g, [1.0, 0.0])
    v, (g,) = value_and_grad(tp.logsumexp, np.array([1000.0, 1000.0]))
    assert v == pytest.approx(1000.0 + math.log(2.0), rel=1e-15)
    np.testing.assert_allclose(g, [0.5, 0.5], rtol=1e-12)
    np.testing.assert_allclose(tp.softmax(tp.Var(x)).value, [1.0, 0.0])
    np.testing.assert_allclose(tp.softmax(tp.Var(np.array([-1000.0, -1000.0]))).value, [0.5, 0.5])
    np.testing.assert_allclose(tp.log_softmax(tp.Var(x)).value, [0.0, -2000.0])
    # d log_softmax(x)[1] / dx = e_1 - softmax(x) = [-1, 1]
    (g,) = grad(lambda a: tp.log_softmax(a)[1], x)
    np.testing.assert_allclose(g, [-1.0, 1.0], atol=1e-300)
    v, (g,) = value_and_grad(lambda a: tp.sum(tp.sigmoid(a)), x)
    assert v == 1.0
    np.testing.assert_array_equal(g, [0.0, 0.0])
    v, (g,) = value_and_grad(lambda a: tp.sum(tp.softplus(a)), x)
    assert v == 1000.0
    np.testing.assert_array_equal(g, [1.0, 0.0])


def test_repeated_integer_indices_accumulate() -> None:
    (g,) = grad(lambda v: tp.sum(v[[0, 0, 1]]), np.arange(5.0))
    np.testing.assert_array_equal(g, [2.0, 1.0, 0.0, 0.0, 0.0])
    (g,) = grad(
        lambda v: tp.sum(v[np.array([3, 3, 3, 0])] * np.array([1.0, 2.0, 3.0, 4.0])), np.ones(4)
    )
    np.testing.assert_array_equal(g, [4.0, 0.0, 0.0, 6.0])
    (g,) = grad(lambda v: tp.sum(v[[0, 0, 1], [2, 2, 2]]), np.zeros((2, 3)))
    np.testing.assert_array_equal(g, [[0.0, 0.0, 2.0], [0.0, 0.0, 1.0]])
    (g,) = grad(lambda v: tp.sum(v[:, [1, 1]]), np.zeros((2, 3)))
    np.testing.assert_array_equal(g, [[0.0, 2.0, 0.0], [0.0, 2.0, 0.0]])
    # two separate reads of one element accumulate too
    (g,) = grad(lambda v: v[0] + v[0] * 3.0 + v[2], np.zeros(3))
    np.testing.assert_array_equal(g, [4.0, 0.0, 1.0])


def test_scalar_index_keeps_float64_precision() -> None:
    """x[i] of a float64 array: the gradient is exactly the float64 cotangent."""
    (g,) = grad(lambda v: v[0] * 0.1, np.array([1.0, 2.0]))
    assert g.dtype == np.float64
    assert g[0] == 0.1 and g[1] == 0.0
    (g,) = grad(lambda v: v[1, 2] * (1.0 / 3.0), np.zeros((2, 3)))
    assert g[1, 2] == 1.0 / 3.0
    (g,) = grad(lambda v: v[-1] * math.pi + v[0] * math.e, np.ones(4))
    np.testing.assert_array_equal(g, [math.e, 0.0, 0.0, math.pi])


def test_prod_gradient_is_exact_at_zeros() -> None:
    (g,) = grad(tp.prod, np.array([0.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [6.0, 0.0, 0.0])
    (g,) = grad(tp.prod, np.array([0.0, 0.0, 3.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    (g,) = grad(lambda v: tp.sum(tp.prod(v, axis=1)), np.array([[0.0, 2.0, 3.0], [1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(g, [[6.0, 0.0, 0.0], [6.0, 3.0, 2.0]])


def test_clip_passes_the_gradient_at_its_bounds() -> None:
    x = np.array([-0.5, 0.5, 0.7, -0.7, 0.0])
    v, (g,) = value_and_grad(lambda a: tp.sum(tp.clip(a, -0.5, 0.5) * np.arange(1.0, 6.0)), x)
    np.testing.assert_array_equal(g, [1.0, 2.0, 0.0, 0.0, 5.0])
    assert v == pytest.approx(-0.5 + 1.0 + 1.5 - 2.0)
    v, (g,) = value_and_grad(lambda a: tp.clip(a, -0.5, 0.5), 0.5)
    assert v == 0.5 and g == 1.0


def test_power_at_a_zero_base() -> None:
    """d(x**y)/dy = x**y · ln x is 0 (not nan) at x = 0; d/dx = y·x**(y−1)."""
    v, (gx, gy) = value_and_grad(lambda a, b: a**b, 0.0, 2.0)
    assert (v, gx, gy) == (0.0, 0.0, 0.0)
    _, (gx, gy) = value_and_grad(
        lambda a, b: tp.sum(tp.power(a, b)), np.array([0.0, 2.0]), np.array([2.0, 3.0])
    )
    np.testing.assert_array_equal(gx, [0.0, 12.0])
    np.testing.assert_allclose(gy, [0.0, 8.0 * math.log(2.0)], rtol=1e-15)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    ("a", "ddof"), [([1.0, 2.0, 4.0], 3), ([5.0], 1), ([1.0, 2.0], 2)], ids=["3-3", "1-1", "2-2"]
)
def test_var_without_degrees_of_freedom_matches_numpy(a: list[float], ddof: int) -> None:
    """np.var divides by n − ddof = 0 and gives inf or nan (with a warning), not an error."""
    x = np.array(a)
    np.testing.assert_array_equal(tp.var(tp.Var(x), ddof=ddof).value, np.var(x, ddof=ddof))
    np.testing.assert_array_equal(tp.var(x, ddof=ddof), np.var(x, ddof=ddof))


def test_stop_gradient() -> None:
    x = np.array([1.0, -2.0, 3.0])
    v, (g,) = value_and_grad(lambda a: tp.sum(a * tp.stop_gradient(a)), x)
    assert v == 14.0
    np.testing.assert_array_equal(g, x)  # not 2x: the second factor is a constant
    (g,) = grad(lambda a: a * tp.stop_gradient(a * a), 3.0)
    assert g == 9.0
    (g,) = grad(lambda a: tp.sum(a.detach() * 5.0) + tp.sum(a), x)
    np.testing.assert_array_equal(g, np.ones(3))
    sg = tp.stop_gradient(tp.Var(x))
    np.testing.assert_array_equal(sg.value, x)
    assert tp.stop_gradient(2.5) == 2.5


def test_getitem_of_a_float_raises() -> None:
    with pytest.raises(TypeError):
        tp.Var(1.0)[0]


@pytest.mark.parametrize("fn", [tp.softmax, tp.log_softmax])
def test_softmax_of_a_scalar_raises(fn: Fn) -> None:
    with pytest.raises(ValueError, match="scalar"):
        fn(tp.Var(1.0))


# ----- float path vs array path, and forward values vs NumPy ---------------------------------


@pytest.mark.parametrize(("name", "fn", "kind"), UNARY, ids=[u[0] for u in UNARY])
def test_float_path_matches_array_path(name: str, fn: Fn, kind: str) -> None:
    xs = np.ravel(draw((4,), kind, "fp/" + name))
    for x in xs:
        v, (g,) = value_and_grad(fn, float(x))
        assert type(v) is float and type(g) is float
        va, (ga,) = value_and_grad(lambda a, f=fn: tp.sum(f(a)), np.array([x]))
        assert v == pytest.approx(float(va), rel=1e-14, abs=1e-300)
        assert g == pytest.approx(float(ga[0]), rel=1e-14, abs=1e-300)


@pytest.mark.parametrize(("name", "fn", "kx", "ky"), BINARY, ids=[b[0] for b in BINARY])
def test_binary_float_path_matches_array_path(name: str, fn: Fn, kx: str, ky: str) -> None:
    for k in range(4):
        if kx == "apart":
            x, y = (float(a) for a in draw_apart((None, None), f"bfp/{name}/{k}"))
        else:
            x = float(draw(None, kx, f"bfp/{name}/{k}/x"))
            y = float(draw(None, ky, f"bfp/{name}/{k}/y"))
        v, (gx, gy) = value_and_grad(fn, x, y)
        assert type(v) is float and type(gx) is float and type(gy) is float
        va, (gxa, gya) = value_and_grad(
            lambda a, b, f=fn: tp.sum(f(a, b)), np.array([x]), np.array([y])
        )
        assert v == pytest.approx(float(va), rel=1e-14)
        assert gx == pytest.approx(float(gxa[0]), rel=1e-14, abs=1e-300)
        assert gy == pytest.approx(float(gya[0]), rel=1e-14, abs=1e-300)


def _np_sigmoid(a: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-a))


NUMPY_REFERENCE: dict[str, Fn] = {
    "negative": np.negative,
    "exp": np.exp,
    "log": np.log,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "tanh": np.tanh,
    "sqrt": np.sqrt,
    "square": np.square,
    "abs": np.abs,
    "sign": np.sign,
    "relu": lambda a: np.maximum(a, 0.0),
    "sigmoid": _np_sigmoid,
    "softplus": lambda a: np.log1p(np.exp(a)),
}


@pytest.mark.parametrize(("name", "fn", "kind"), UNARY, ids=[u[0] for u in UNARY])
def test_unary_values_match_numpy(name: str, fn: Fn, kind: str) -> None:
    a = draw((2, 3), kind, "val/" + name)
    ref = NUMPY_REFERENCE.get(name) or getattr(np, name)  # most rows are NumPy's ufunc
    np.testing.assert_allclose(fn(tp.Var(a)).value, ref(a), rtol=1e-14)
    np.testing.assert_allclose(fn(a), ref(a), rtol=1e-14)  # plain in, plain out


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
def test_reduction_values_match_numpy(axis: Any, keepdims: bool) -> None:
    a = draw((2, 3, 4), "real", "redval")
    x = tp.Var(a)
    pairs: list[tuple[Any, Any]] = [
        (tp.sum(x, axis, keepdims), np.sum(a, axis=axis, keepdims=keepdims)),
        (tp.mean(x, axis, keepdims), np.mean(a, axis=axis, keepdims=keepdims)),
        (tp.prod(x, axis, keepdims), np.prod(a, axis=axis, keepdims=keepdims)),
        (tp.max(x, axis, keepdims), np.max(a, axis=axis, keepdims=keepdims)),
        (tp.min(x, axis, keepdims), np.min(a, axis=axis, keepdims=keepdims)),
        (
            tp.logsumexp(x, axis, keepdims),
            np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims)),
        ),
        (tp.var(x, axis, 0, keepdims), np.var(a, axis=axis, keepdims=keepdims)),
        (tp.var(x, axis, 1, keepdims), np.var(a, axis=axis, ddof=1, keepdims=keepdims)),
        (tp.std(x, axis, 1, keepdims), np.std(a, axis=axis, ddof=1, keepdims=keepdims)),
    ]
    for got, want in pairs:
        assert np.shape(got.value) == np.shape(want)
        np.testing.assert_allclose(got.value, want, rtol=1e-13)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_values_match_numpy(axis: int) -> None:
    a = draw((3, 4), "real", "smval")
    e = np.exp(a)
    ref = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(tp.softmax(tp.Var(a), axis).value, ref, rtol=1e-14)
    np.testing.assert_allclose(tp.log_softmax(tp.Var(a), axis).value, np.log(ref), rtol=1e-13)


def test_full_reductions_of_float64_arrays_give_python_floats() -> None:
    a = draw((2, 3), "real", "full")
    x = tp.Var(a)
    for fn in (tp.sum, tp.mean, tp.prod, tp.max, tp.min, tp.var, tp.std, tp.logsumexp):
        v = fn(x).value
        assert type(v) is float, f"{getattr(fn, '__name__', fn)}: {type(v).__name__}"


# ----- dtypes -------------------------------------------------------------------------------------

F32_CASES: list[tuple[str, Fn, str, tuple[int, ...]]] = [
    ("mul-python-float", lambda x: x * 0.5, "real", (3, 4)),
    ("rmul-python-float", lambda x: 1.5 * x, "real", (3, 4)),
    ("div-python-float", lambda x: x / 3.0, "real", (3, 4)),
    ("rdiv-python-float", lambda x: 3.0 / x, "nonzero", (3, 4)),
    ("add-python-float", lambda x: x + 1.0, "real", (3, 4)),
    ("rsub-python-float", lambda x: 2.0 - x, "real", (3, 4)),
    ("pow-python-float", lambda x: x**2.0, "real", (3, 4)),
    ("rpow-python-float", lambda x: 2.0**x, "real", (3, 4)),
    ("pow-int", lambda x: x**3, "real", (3, 4)),
    ("self-mul", lambda x: x * x, "real", (3, 4)),
    ("maximum-float", lambda x: tp.maximum(x, 0.0), "nonzero", (3, 4)),
    ("minimum-float", lambda x: tp.minimum(0.0, x), "nonzero", (3, 4)),
    ("where-float", lambda x: tp.where(x > 0, x, 0.0), "nonzero", (3, 4)),
    ("clip", lambda x: tp.clip(x, -0.25, 0.25), "nonzero", (3, 4)),
    ("sum-axis", lambda x: tp.sum(x, axis=0), "real", (3, 4)),
    ("mean", lambda x: tp.mean(x, axis=1, keepdims=True), "real", (3, 4)),
    ("prod", lambda x: tp.prod(x, axis=1), "prod", (3, 4)),
    ("max", lambda x: tp.max(x, axis=0), "distinct", (3, 4)),
    ("min", lambda x: tp.min(x), "distinct", (3, 4)),
    ("var", lambda x: tp.var(x, axis=0, ddof=1), "real", (3, 4)),
    ("std", lambda x: tp.std(x), "real", (3, 4)),
    ("logsumexp", lambda x: tp.logsumexp(x, axis=1), "real", (3, 4)),
    ("softmax", tp.softmax, "real", (3, 4)),
    ("log_softmax", lambda x: tp.log_softmax(x, 0), "real", (3, 4)),
    ("matmul", lambda x: x @ x.T, "real", (3, 4)),
    ("einsum", lambda x: tp.einsum("ij,ik->jk", x, x), "real", (3, 4)),
    ("reshape", lambda x: tp.reshape(x, (2, 6)) * 2.0, "real", (3, 4)),
    ("transpose", lambda x: tp.transpose(x) * 2.0, "real", (3, 4)),
    ("getitem", lambda x: x[[0, 0, 2], 1:], "real", (3, 4)),
    ("concatenate", lambda x: tp.concatenate([x, x * 2.0], axis=1), "real", (3, 4)),
    ("stack", lambda x: tp.stack([x, x * 2.0]), "real", (3, 4)),
    ("flip", lambda x: tp.flip(x, 0) * 2.0, "real", (3, 4)),
    ("broadcast_to", lambda x: tp.broadcast_to(x, (2, 3, 4)), "real", (3, 4)),
    ("dot", lambda x: tp.dot(x, x.T), "real", (3, 4)),
    ("outer", lambda x: tp.outer(x, x), "real", (3,)),
    ("0d-exp", tp.exp, "real", ()),
    ("0d-mul-python-float", lambda x: x * 2.5 + 1.0, "real", ()),
]
F32_CASES += [(f"unary-{n}", f, k, (2, 3)) for n, f, k in UNARY]


@pytest.mark.parametrize(("name", "fn", "kind", "shape"), F32_CASES, ids=[c[0] for c in F32_CASES])
def test_float32_stays_float32(name: str, fn: Fn, kind: str, shape: tuple[int, ...]) -> None:
    a64 = np.asarray(draw(shape, kind, "f32/" + name))
    a32 = a64.astype(np.float32)
    x = tp.Var(a32)
    assert isinstance(x.value, np.ndarray) and x.value.dtype == np.float32
    with tp.Tape() as t:
        y = fn(x)
        u = _rng("f32u/" + name).standard_normal(np.shape(y.value)).astype(np.float32)
        s = tp.sum(y * u)
    assert isinstance(y.value, np.ndarray), f"value is {type(y.value).__name__}"
    assert y.value.dtype == np.float32
    assert isinstance(s.value, np.ndarray) and s.value.dtype == np.float32
    g = t.gradient(s, x)
    assert isinstance(g, np.ndarray) and g.dtype == np.float32 and g.shape == a32.shape
    # the same gradient in float64, at the float32 point
    (g64,) = grad(lambda v: tp.sum(fn(v) * u.astype(np.float64)), a32.astype(np.float64))
    np.testing.assert_allclose(g, g64, rtol=2e-4, atol=2e-5)


def test_float32_seed_and_scalar_python_float_product() -> None:
    x = tp.Var(np.array([1.0, 2.0], dtype=np.float32))
    with tp.Tape() as t:
        y = x * 3.0
    g = t.gradient(y, x, output_gradient=np.array([1.0, -1.0]))
    assert isinstance(g, np.ndarray) and g.dtype == np.float32
    np.testing.assert_array_equal(g, [3.0, -3.0])


@pytest.mark.parametrize(
    "value",
    [np.arange(4), np.array([1, -2, 3], dtype=np.int32), [1, 2, 3], np.array([True, False])],
    ids=["int64", "int32", "list", "bool"],
)
def test_integer_arrays_are_promoted_to_float64(value: Any) -> None:
    x = tp.Var(value)
    a = np.asarray(value, dtype=np.float64)
    assert isinstance(x.value, np.ndarray) and x.value.dtype == np.float64
    np.testing.assert_array_equal(x.value, a)
    v, (g,) = value_and_grad(lambda b: tp.sum(b * b) * 0.5, value)
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, a)
    assert v == pytest.approx(0.5 * float(np.sum(a * a)))


def test_python_ints_become_floats() -> None:
    x = tp.Var(3)
    assert type(x.value) is float and x.value == 3.0
    v, (g,) = value_and_grad(lambda a: a * a, 3)
    assert type(g) is float and g == 6.0 and v == 9.0
    x = tp.Var(np.array([1.0, 2.0]))
    y = x * np.array([2, 3])  # an integer constant
    yv = y.value
    assert isinstance(yv, np.ndarray) and yv.dtype == np.float64
    np.testing.assert_array_equal(yv, [2.0, 6.0])


# ----- NumPy protocols ---------------------------------------------------------------------------


def test_numpy_calls_are_recorded_with_correct_gradients() -> None:
    a = np.array([[0.5, -1.0, 2.0], [1.5, -0.3, 0.7]])
    m = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    b = np.array([[2.0, -1.0, 0.5], [3.0, 0.25, -4.0]])
    x = tp.Var(a)
    with tp.Tape(persistent=True) as t:
        y1 = np.sin(x)
        y2 = np.sum(x, axis=0)
        y3 = m @ x  # ndarray @ Var
        y4 = b * x  # ndarray * Var
        y5 = np.maximum(x, 0)
        y6 = np.where(x > 0, x, 0)
        y7 = np.concatenate([x, x])
    for y in (y1, y2, y3, y4, y5, y6, y7):
        assert isinstance(y, tp.Var)
    names = [e.primitive for e in t]
    for row in ["sin", "sum", "matmul", "multiply", "maximum", "where", "concatenate"]:
        assert row in names
    np.testing.assert_allclose(_g(t, y1, x), np.cos(a))
    np.testing.assert_array_equal(_g(t, y2, x), np.ones((2, 3)))
    np.testing.assert_allclose(_g(t, y3, x), np.tile(m.sum(axis=0)[:, None], (1, 3)))
    np.testing.assert_array_equal(_g(t, y4, x), b)
    np.testing.assert_array_equal(_g(t, y5, x), (a > 0).astype(float))
    np.testing.assert_array_equal(_g(t, y6, x), (a > 0).astype(float))
    np.testing.assert_array_equal(_g(t, y7, x), np.full((2, 3), 2.0))


def _g(t: tp.Tape, y: Any, x: tp.Var) -> Any:
    """The gradient of sum(y) from a persistent tape: seed of ones."""
    return t.gradient(y, x, output_gradient=np.ones(y.shape))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda v: np.nancumprod(v), "np.nancumprod"),
        (lambda v: np.add.reduce(v), "np.add.reduce"),
        (lambda v: np.add.accumulate(v), "np.add.accumulate"),
        (lambda v: np.sin(v, out=np.empty(3)), "np.sin"),
        (lambda v: np.exp(v, dtype=np.float32), "np.exp"),
        (lambda v: np.spacing(v), "np.spacing"),
        (lambda v: np.lexsort(v), "np.lexsort"),
        (lambda v: np.linalg.eig(v), "np.linalg.eig"),
        (lambda v: np.fft.fft(v), "np.fft.fft"),
    ],
    ids=[
        "nancumprod",
        "add.reduce",
        "add.accumulate",
        "sin-out",
        "exp-dtype",
        "spacing",
        "lexsort",
        "eig",
        "fft",
    ],
)
def test_unsupported_numpy_raises_naming_the_function(call: Fn, name: str) -> None:
    v = tp.Var(np.array([0.5, -1.0, 2.0]))
    with pytest.raises(TypeError) as info:
        call(v)
    assert name in str(info.value)
    with tp.Tape(), pytest.raises(TypeError) as info:
        call(v)
    assert name in str(info.value)


# ----- second order for every elementwise row (both modes: rev-over-rev, fwd-over-rev) -------


@pytest.mark.parametrize(("name", "fn", "kind"), UNARY, ids=[u[0] for u in UNARY])
def test_elementwise_unary_second_order(name: str, fn: Fn, kind: str) -> None:
    check_grads(fn, [draw((3,), kind, "2nd/" + name)], order=2)


@pytest.mark.parametrize(("name", "fn", "kx", "ky"), BINARY, ids=[b[0] for b in BINARY])
def test_elementwise_binary_second_order(name: str, fn: Fn, kx: str, ky: str) -> None:
    if kx == "apart":
        args = list(draw_apart(((3,), (3,)), "2nd/" + name))
    else:
        args = [draw((3,), kx, f"2nd/{name}/x"), draw((3,), ky, f"2nd/{name}/y")]
    check_grads(fn, args, order=2)


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_value_tests_are_numpys_and_carry_no_gradient(name: str) -> None:
    """tp.isnan & co. give NumPy's booleans on floats, arrays, Vars and Duals; through a
    ``where`` they steer the gradient without carrying one."""
    ours, numpy = getattr(tp, name), getattr(np, name)
    x = np.array([0.5, np.nan, np.inf, -np.inf, -2.0])
    np.testing.assert_array_equal(ours(x), numpy(x))
    for f in (0.5, math.nan, math.inf):
        assert ours(f) is bool(numpy(f))
    assert np.array_equal(ours(tp.Dual(x, np.ones(5))), numpy(x))
    v: tp.Var = tp.Var(x)
    with tp.Tape() as t, np.errstate(invalid="ignore"):  # inf·0 in the unselected branch
        mask = ours(v)
        assert isinstance(mask, tp.Var) and np.asarray(mask.value).dtype == np.bool_
        np.testing.assert_array_equal(mask.value, numpy(x))
        assert np.array_equal(getattr(np, name)(v).value, numpy(x))  # the ufunc reaches it
        y = tp.sum(tp.where(mask, 0.0, v * 3.0))
    g = t.gradient(y, v)
    np.testing.assert_array_equal(g, np.where(numpy(x), 0.0, 3.0))


# ----- linear rows: the JVP is the map itself, the VJP its transpose --------------------------


class LinearSample(NamedTuple):
    """One point at which to check a linear row: the shape of each input that carries a
    derivative (several for a variadic row), the parameters, the inputs' dtype, and the
    inputs without a derivative that follow the first (``linear``'s ``constants``)."""

    shapes: tuple[tuple[int, ...], ...]
    params: dict[str, Any]
    dtype: type[np.floating[Any]] = np.float64
    constants: tuple[Any, ...] = ()


LINEAR_SAMPLES: dict[str, list[LinearSample]] = {
    "sum": [LinearSample(((3, 4, 2),), {"axis": (-3, -1), "keepdims": False})],
    "mean": [LinearSample(((3, 4),), {"axis": (-1,), "keepdims": True})],
    "cumsum": [LinearSample(((5, 3),), {"axis": -2})],
    "reshape": [LinearSample(((2, 6),), {"shape": (3, 2, 2)})],
    "transpose": [LinearSample(((2, 3, 4),), {"axes": (2, 0, 1)})],
    "broadcast_to": [
        LinearSample(((3, 1),), {"shape": (2, 3, 4)}),
        LinearSample(((4,),), {"shape": (3, 4)}),
    ],
    "sum_to": [
        LinearSample(((2, 3, 4),), {"shape": (3, 1)}),
        LinearSample(((3, 4),), {"shape": ()}),
    ],
    "getitem": [
        LinearSample(((4, 3),), {"index": (slice(1, None, 2), None, 0)}),
        LinearSample(((4, 3),), {"index": (np.array([0, 2, 2]), slice(None))}),
        # an int and an array apart: NumPy puts their axis in front (of the batch axes too)
        LinearSample(((2, 3, 4),), {"index": (1, slice(None), np.array([0, 3, 3]))}),
        LinearSample(((4, 3),), {"index": np.array([True, False, True, True])}),
    ],
    "astype": [
        LinearSample(((3, 4),), {"dtype": np.dtype(np.float64)}, dtype=np.float32),
        LinearSample(((3, 4),), {"dtype": np.dtype(np.float32)}),
    ],
    "concatenate": [
        LinearSample(((2, 3), (4, 3)), {"axis": 0}),
        LinearSample(((2, 1), (2, 3), (2, 2)), {"axis": 1}),
    ],
    "stack": [LinearSample(((2, 3), (2, 3)), {"axis": 1})],
    "permute": [
        LinearSample(((2, 3),), {"axis": -1}, constants=(np.array([[2, 0, 1], [1, 2, 0]]),)),
        LinearSample(((3, 2),), {"axis": -2}, constants=(np.array([[2, 0], [0, 1], [1, 2]]),)),
    ],
    "unpermute": [
        LinearSample(((2, 3),), {"axis": -1}, constants=(np.array([[2, 0, 1], [1, 2, 0]]),)),
    ],
    "scatter_add": [
        LinearSample(((2, 3),), {"index": (slice(1, 3),), "shape": (4, 3)}),
        LinearSample(((3, 3),), {"index": (np.array([0, 2, 2]), slice(None)), "shape": (4, 3)}),
        LinearSample(
            ((3, 3),), {"index": (1, slice(None), np.array([0, 3, 3])), "shape": (2, 3, 4)}
        ),
    ],
}


def test_every_linear_row_has_a_sample() -> None:
    assert {row.name for row in P.LINEAR} == set(LINEAR_SAMPLES)


def _linear_rule(rule: Fn | None, row: Primitive, k: int) -> Fn:
    """Input k's rule, called as forward mode and the sweep call it (with ``argnum`` for a
    variadic row)."""
    assert rule is not None
    if row.variadic:
        return lambda *args, **params: rule(*args, argnum=k, **params)
    return rule


@pytest.mark.parametrize(
    ("name", "n"), [(name, n) for name, s in sorted(LINEAR_SAMPLES.items()) for n in range(len(s))]
)
def test_a_linear_row_is_its_own_jvp_and_its_vjp_is_its_transpose(name: str, n: int) -> None:
    """⟨g, A d⟩ = ⟨Aᵀ g, d⟩ for random d and g (the dot-product test), and the JVP of the
    map at any point is the map applied to the tangent, also for a batch of tangents. For a
    row of several inputs, A d = Σₖ Aₖ dₖ: input k's JVP is the map of its tangent with
    zeros in the other places."""
    row = next(r for r in P.LINEAR if r.name == name)
    shapes, params, dtype, constants = LINEAR_SAMPLES[name][n]
    rng = _rng(f"linear/{name}/{n}")

    def draw(shape: tuple[int, ...]) -> Any:
        return rng.standard_normal(shape).astype(dtype)

    xs, ds = [draw(s) for s in shapes], [draw(s) for s in shapes]
    ans = row.impl(*xs, *constants, **params)
    g = rng.standard_normal(np.shape(ans)).astype(np.result_type(ans))
    vjps = [_linear_rule(row.vjp[0 if row.variadic else k], row, k) for k in range(len(xs))]
    jvps = [_linear_rule(row.jvp[0 if row.variadic else k], row, k) for k in range(len(xs))]
    assert all(r is None for r in row.vjp[len(xs) :] + row.jvp[len(xs) :])  # the constants

    def only(k: int, d: Any) -> list[Any]:
        """The map's inputs for input k's tangent d alone: zeros elsewhere."""
        return [d if j == k else np.zeros(np.shape(x)) for j, x in enumerate(xs)]

    a_d = row.impl(*ds, *constants, **params)
    at_g = [vjp(g, ans, *xs, *constants, **params) for vjp in vjps]
    lhs, rhs = np.sum(g * a_d), sum(np.sum(c * d) for c, d in zip(at_g, ds, strict=True))
    if dtype == np.float64 and np.result_type(ans) == np.float64:
        np.testing.assert_allclose(lhs, rhs, rtol=1e-12)
    else:  # a cast to float32 (either way) rounds each term: tolerance on their magnitudes
        scale = np.sum(np.abs(g * a_d))
        np.testing.assert_allclose(lhs, rhs, rtol=0, atol=8 * np.finfo(np.float32).eps * scale)
    for k, (jvp, d) in enumerate(zip(jvps, ds, strict=True)):
        np.testing.assert_array_equal(
            jvp(d, ans, *xs, *constants, **params), row.impl(*only(k, d), *constants, **params)
        )
        batch = draw((2, *shapes[k]))  # two directions at once (vector mode)
        out = jvp(batch, ans, *xs, *constants, **params)
        for i in range(2):
            np.testing.assert_array_equal(
                out[i], row.impl(*only(k, batch[i]), *constants, **params)
            )
