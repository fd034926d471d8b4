"""Forward mode: Dual numbers, and every primitive's JVP rule against its VJP rule.

For every row of ``tp.PRIMITIVES`` (the table ``CASES`` below holds the inputs, away from
kinks and ties; ``test_every_builtin_row_has_a_case`` fails when a row has none):

- the transpose identity ⟨J v, u⟩ = ⟨v, Jᵀ u⟩ with random u, v: the JVP rules (``tp.jvp``)
  against the VJP rules (``tp.vjp``), in float64 to rtol 1e-10;
- ``tp.jacfwd`` (vector mode, one pass) == ``tp.jacrev`` (one sweep per output) to 1e-10,
  and both == central finite differences (``numerical_jacobian``) to about 1e-6.

Then vector mode itself: ``jacfwd`` on n = 500 calls ``f`` once and applies as many
primitives as on n = 5.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import _cases_arrays  # noqa: F401  (the shared table's families, checked in both modes
import _cases_linalg  # noqa: F401   by test_primitives through check_grads)
import _cases_products  # noqa: F401
import _cases_stats  # noqa: F401
import numpy as np
import pytest
from _cases import CASES as SHARED_CASES
from _draw import BINARY, UNARY, Counter, Shape, draw
from _draw import draw_array as arr
from _draw import keyed_rng as _rng
from _draw import shape_id as sid

import tape as tp
from tape import _core
from tape._table import round as round_
from tape._table import scatter_add, sum_to
from tape.testing import numerical_jacobian

Fn = Callable[..., Any]

FWD_REV_RTOL = 1e-10
FD_RTOL = 1e-6
FD_ATOL = 1e-7


# ----- inputs ----------------------------------------------------------------------------------


def apart(sx: Shape, sy: Shape, key: str) -> tuple[tp.Value, tp.Value]:
    """Two real inputs whose broadcast elements differ by more than 0.2 (no ties)."""
    for attempt in range(1000):
        x = draw(sx, "real", f"{key}/{attempt}/x")
        y = draw(sy, "real", f"{key}/{attempt}/y")
        if np.min(np.abs(np.subtract(x, y))) > 0.2:
            return x, y
    raise AssertionError("no separated inputs found")


# ----- the case table --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """``fn`` at ``args`` (each argument differentiated); ``rows`` are the rows it records."""

    id: str
    fn: Fn
    args: tuple[tp.Value, ...]
    rows: tuple[str, ...]
    tol: float | None = None  # for values that pass through float32: forward vs reverse, and FD
    eps: float = 1e-6  # the finite-difference step


CASES: list[Case] = []


def case(
    id: str,
    fn: Fn,
    args: Sequence[tp.Value],
    rows: Sequence[str],
    tol: float | None = None,
    eps: float = 1e-6,
) -> None:
    CASES.append(Case(id, fn, tuple(args), tuple(rows), tol, eps))


shape: Shape
for name, ufn, kind in UNARY:
    for shape in [None, (5,), (2, 3)]:
        cid = f"{name}-{sid(shape)}"
        case(cid, ufn, [draw(shape, kind, cid)], [name])

BINARY_SHAPES: list[tuple[Shape, Shape]] = [
    (None, None),  # both Python floats
    (None, (3,)),
    ((2, 3), None),
    ((2, 3), (2, 3)),
    ((3, 1), (1, 4)),
    ((2, 3), (3,)),
    ((4,), (2, 3, 4)),
    ((2, 1, 4), (3, 1)),
]
for name, bfn, kx, ky in BINARY:
    for sx, sy in BINARY_SHAPES:
        cid = f"{name}-{sid(sx)}-{sid(sy)}"
        if kx == "apart":
            pair = apart(sx, sy, cid)
        else:
            pair = (draw(sx, kx, cid + "/x"), draw(sy, ky, cid + "/y"))
        case(cid, bfn, pair, [name])
    # one operand a constant, on either side
    if kx == "apart":
        cl, cr = (np.asarray(a) for a in apart((3, 4), (4,), name + "/const"))
    else:
        cl, cr = arr((3, 4), kx, name + "/cl"), arr((4,), ky, name + "/cr")
    case(f"{name}-const-right", lambda x, f=bfn, c=cr: f(x, c), [cl], [name])
    case(f"{name}-const-left", lambda y, f=bfn, c=cl: f(c, y), [cr], [name])

case("power-float-exponent", lambda x: x**3.0, [arr((2, 3), "real", "p3")], ["power"])
case("power-scalar-base", lambda y: 2.0**y, [arr((4,), "real", "p2")], ["power"])

COND = np.array([[True], [False]])
case(
    "where-broadcast",
    lambda x, y: tp.where(COND, x, y),
    [arr((2, 3), "real", "w/x"), arr((3,), "real", "w/y")],
    ["where"],
)
case(
    "where-const-branch",
    lambda x: tp.where(np.array([True, False, True]), x, 0.5),
    [arr((2, 3), "real", "w2")],
    ["where"],
)
case(
    "where-float-branch",
    lambda x, y: tp.where(np.array([False, True, True]), x, y),
    [0.7, arr((3,), "real", "w3")],
    ["where"],
)


def _off_bounds(a: tp.Value, bounds: Sequence[float]) -> tp.Value:
    out = np.array(a, dtype=np.float64)
    for b in bounds:
        out = np.where(np.abs(out - b) < 0.15, b + 0.3, out)
    return float(out) if isinstance(a, float) else out


case(
    "clip-both",
    lambda x: tp.clip(x, -0.5, 0.5),
    [_off_bounds(arr((3, 4), "real", "c1"), [-0.5, 0.5])],
    ["clip"],
)
case("clip-upper-float", lambda x: tp.clip(x, None, 0.3), [-0.4], ["clip"])
case(
    "nan_to_num",
    lambda x: tp.nan_to_num(x, posinf=3.0) * 2.0,
    [np.array([0.5, np.inf, -1.5, np.nan])],
    ["nan_to_num"],
)
case("clip-lower-float-outside", lambda x: tp.clip(x, 0.3, None), [-0.4], ["clip"])
case(
    "clip-lower",
    lambda x: tp.clip(x, -0.2, None),
    [_off_bounds(arr((5,), "real", "c2"), [-0.2])],
    ["clip"],
)

REDUCTIONS: list[tuple[str, Fn, str]] = [
    ("sum", tp.sum, "real"),
    ("mean", tp.mean, "real"),
    ("prod", tp.prod, "prod"),
    ("max", tp.max, "distinct"),
    ("min", tp.min, "distinct"),
    ("logsumexp", tp.logsumexp, "real"),
]
REDUCTION_AXES: list[tuple[Shape, Any, bool]] = [
    (None, None, False),
    ((5,), None, False),
    ((5,), 0, True),
    ((2, 3, 4), None, False),
    ((2, 3, 4), 0, False),
    ((2, 3, 4), -1, False),
    ((2, 3, 4), (0, 2), False),
    ((2, 3, 4), 1, True),
    ((2, 3, 4), (-1, -3), True),
]
for name, rfn, kind in REDUCTIONS:
    for shape, axis, keep in REDUCTION_AXES:
        cid = f"{name}-{sid(shape)}-axis{axis}-keep{keep}".replace(" ", "")
        case(
            cid,
            lambda x, f=rfn, a=axis, k=keep: f(x, axis=a, keepdims=k),
            [draw(shape, kind, cid)],
            [name],
        )

for name, afn in [("softmax", tp.softmax), ("log_softmax", tp.log_softmax)]:
    for shape, ax in [((5,), -1), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1)]:
        cid = f"{name}-{sid(shape)}-axis{ax}"
        case(cid, lambda x, f=afn, a=ax: f(x, axis=a), [draw(shape, "real", cid)], [name])

MATMUL_SHAPES: list[tuple[tuple[int, ...], tuple[int, ...]]] = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((3, 4), (4,)),
    ((3, 4), (4, 2)),
    ((2, 3, 4), (4, 2)),
    ((3, 4), (2, 4, 2)),
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (2, 4, 2)),
    ((2, 1, 3, 4), (3, 4, 2)),
]
for sx, sy in MATMUL_SHAPES:
    cid = f"matmul-{sid(sx)}-{sid(sy)}"
    case(cid, tp.matmul, [arr(sx, "real", cid + "/x"), arr(sy, "real", cid + "/y")], ["matmul"])
M43 = arr((4, 3), "real", "M43")
case("matmul-const-right", lambda x: x @ M43, [arr((2, 5, 4), "real", "mr")], ["matmul"])
case("matmul-const-left", lambda y: M43 @ y, [arr((3,), "real", "ml")], ["matmul"])
case("matmul-self", lambda x: x @ x.T, [arr((3, 4), "real", "ms")], ["matmul", "transpose"])

EINSUM_SPECS: list[tuple[str, list[tuple[int, ...]]]] = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,j->i", [(2, 3), (3,)]),
    ("i,i->", [(4,), (4,)]),
    ("ijk,ik->ij", [(2, 3, 4), (2, 4)]),
    ("ij,jk", [(2, 3), (3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("ijk->ki", [(2, 3, 4)]),
    ("ij,k->ijk", [(2, 3), (2,)]),
]
for spec, shapes in EINSUM_SPECS:
    cid = f"einsum-{spec}"
    ops = [arr(s, "real", f"{cid}/{k}") for k, s in enumerate(shapes)]
    case(cid, lambda *xs, s=spec: tp.einsum(s, *xs), ops, ["einsum"])

RESHAPES: list[tuple[Shape, tuple[int, ...]]] = [
    ((2, 3), (3, 2)),
    ((6,), (2, 3)),
    ((2, 3, 4), (4, -1)),
    (None, (1, 1)),
]
for shape, new in RESHAPES:
    cid = f"reshape-{sid(shape)}-{sid(new)}"
    case(cid, lambda x, s=new: tp.reshape(x, s), [draw(shape, "real", cid)], ["reshape"])
case("reshape-method", lambda x: x.reshape(3, 4), [arr((2, 6), "real", "rm")], ["reshape"])

for shape, axes in [
    ((3, 4), None),
    ((2, 3, 4), None),
    ((2, 3, 4), (1, 0, 2)),
    ((2, 3, 4), (2, 0, 1)),
]:
    cid = f"transpose-{sid(shape)}-{axes}".replace(" ", "")
    case(cid, lambda x, a=axes: tp.transpose(x, a), [draw(shape, "real", cid)], ["transpose"])
case("swapaxes", lambda x: tp.swapaxes(x, 0, 2), [arr((2, 3, 4), "real", "sw")], ["transpose"])

for shape, new in [((3,), (2, 3)), ((3, 1), (2, 3, 4)), (None, (2, 3)), ((1, 4), (3, 4))]:
    cid = f"broadcast_to-{sid(shape)}-{sid(new)}"
    case(cid, lambda x, s=new: tp.broadcast_to(x, s), [draw(shape, "real", cid)], ["broadcast_to"])

for shape, new in [((2, 3, 4), (3, 1)), ((2, 3), (3,)), ((2, 3), (1, 1)), ((4, 3), (4, 1))]:
    cid = f"sum_to-{sid(shape)}-{sid(new)}"
    case(cid, lambda x, s=new: sum_to(x, s), [draw(shape, "real", cid)], ["sum_to"])

GETITEMS: list[tuple[str, tuple[int, ...], Any]] = [
    ("slice", (5,), slice(1, 4)),
    ("step", (3, 4), (slice(None), slice(None, None, 2))),
    ("int", (3, 4), (1, 2)),
    ("row", (3, 4), 1),
    ("repeated", (4,), np.array([0, 2, 0, 3, 0])),
    ("int-array-2d", (3, 4), (np.array([0, 2, 2]), np.array([1, 1, 3]))),
    ("mask", (2, 3), np.array([[True, False, True], [False, True, True]])),
    ("newaxis", (2, 3), (None, slice(None), 1)),
    ("ellipsis", (2, 3, 4), (Ellipsis, 2)),
]
for gid, ishape, index in GETITEMS:
    cid = f"getitem-{gid}"
    case(cid, lambda x, i=index: x[i], [arr(ishape, "real", cid)], ["getitem"])

SCATTERS: list[tuple[str, tuple[int, ...], Any, tuple[int, ...]]] = [
    ("slice", (3,), slice(1, 4), (5,)),
    ("repeated", (5,), np.array([0, 2, 0, 3, 0]), (4,)),
    ("rows", (2, 4), np.array([2, 0]), (3, 4)),
    ("basic-2d", (2,), (1, slice(0, 4, 2)), (3, 4)),
]
for gid, gshape, index, to_shape in SCATTERS:
    cid = f"scatter_add-{gid}"
    case(
        cid,
        lambda g, i=index, s=to_shape: scatter_add(g, i, s),
        [arr(gshape, "real", cid)],
        ["scatter_add"],
    )

C13 = arr((1, 3), "real", "C13")
case(
    "concatenate-axis0-const",
    lambda x, y: tp.concatenate([x, C13, y], axis=0),
    [arr((2, 3), "real", "cc/x"), arr((1, 3), "real", "cc/y")],
    ["concatenate"],
)
case(
    "concatenate-axis1",
    lambda x, y: tp.concatenate([x, y], axis=-1),
    [arr((2, 3), "real", "cc1/x"), arr((2, 2), "real", "cc1/y")],
    ["concatenate"],
)
case(
    "concatenate-1d",
    lambda x, y: tp.concatenate([x, y]),
    [arr((3,), "real", "cc2/x"), arr((2,), "real", "cc2/y")],
    ["concatenate"],
)
case(
    "stack-axis0",
    lambda x, y: tp.stack([x, y]),
    [arr((3,), "real", "st/x"), arr((3,), "real", "st/y")],
    ["stack"],
)
case(
    "stack-axis1-const",
    lambda x, y: tp.stack([x, C13[0], y], axis=1),
    [arr((3,), "real", "st1/x"), arr((3,), "real", "st1/y")],
    ["stack"],
)
case(
    "stack-2d-last",
    lambda x, y: tp.stack([x, y], axis=-1),
    [arr((2, 3), "real", "st2/x"), arr((2, 3), "real", "st2/y")],
    ["stack"],
)
for axis in [None, 0, (0, 1), -1]:
    cid = f"flip-{axis}".replace(" ", "")
    case(cid, lambda x, a=axis: tp.flip(x, a), [arr((2, 3), "real", cid)], ["flip"])

# Composite public functions, for good measure.
case("var-axis", lambda x: tp.var(x, axis=1, ddof=1), [arr((3, 4), "real", "var")], ["mean"])
case("std", lambda x: tp.std(x), [arr((5,), "real", "std")], ["sqrt", "mean"])
case(
    "outer",
    tp.outer,
    [arr((3,), "real", "out/x"), arr((2,), "real", "out/y")],
    ["reshape", "multiply"],
)
case("split", lambda x: tp.split(x, 2, axis=1)[1], [arr((2, 4), "real", "split")], ["getitem"])
case("dot-scalar", tp.dot, [0.5, arr((3,), "real", "dot")], ["multiply"])

# Rows behind ndarray methods.
OFF_STEPS = np.array([[0.23, -1.37, 2.41], [-0.72, 1.14, -2.88]])  # away from round's steps
case("round", lambda x: x.round(1) * x + x, [OFF_STEPS], ["round"])
case("round-float", lambda x: round_(x) + x * x, [0.3], ["round"])
for shape, cs_axis in [((5,), None), ((2, 3, 4), None), ((2, 3, 4), 1), ((3, 4), -1)]:
    cid = f"cumsum-{sid(shape)}-{cs_axis}"
    case(cid, lambda x, a=cs_axis: tp.sin(x.cumsum(a)), [draw(shape, "real", cid)], ["cumsum"])
case("copy", lambda x: x.copy() * x, [arr((2, 3), "real", "copy")], ["copy"])
case(
    "astype-float32",  # float32 in between: a coarse step, and a quadratic (exact differences)
    lambda x: (x.astype(np.float32) * 2.0).astype(np.float64) * x,
    [arr((2, 3), "real", "astype")],
    ["astype"],
    tol=1e-5,
    eps=1e-2,
)


def builtin_rows() -> list[tp.Primitive]:
    """Registered rows that belong to the library (user rows, e.g. from test_custom, excluded:
    they are registered by whichever test module defines them)."""
    return [
        row
        for row in tp.PRIMITIVES.values()
        if getattr(row.impl, "__module__", "").split(".")[0] == "tape"
    ]


def _differentiable(row: tp.Primitive) -> bool:
    return bool(getattr(row, "differentiable", True))


def test_every_builtin_row_has_a_case() -> None:
    rows = [r.name for r in builtin_rows() if _differentiable(r)]
    assert len(rows) >= 44 and {"add", "einsum", "scatter_add", "sum_to"} <= set(rows)
    covered = {r for c in CASES for r in c.rows} | {r for c in SHARED_CASES for r in c.rows}
    missing = [r for r in rows if r not in covered]
    assert not missing, f"registered rows without a forward-mode case: {missing}"


def test_rows_without_a_derivative_have_no_rules() -> None:
    # Rows declared differentiable=False (comparisons and the like, whose outputs are not
    # real numbers) have nothing to test against the VJP: forward mode must push no
    # tangent through them, so every JVP (and VJP) rule is None.
    for row in builtin_rows():
        if not _differentiable(row):
            assert all(r is None for r in row.jvp), row.name
            assert all(r is None for r in row.vjp), row.name


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_case_records_the_rows_it_names(c: Case) -> None:
    xs = [tp.Var(a) for a in c.args]
    with tp.Tape() as t:
        c.fn(*xs)
    recorded = {e.primitive for e in t}
    assert set(c.rows) <= recorded, f"{c.id}: recorded {sorted(recorded)}"


# ----- ⟨J v, u⟩ = ⟨v, Jᵀ u⟩ --------------------------------------------------------------------


def _like(shape: tuple[int, ...], was_float: bool, rng: np.random.Generator) -> tp.Value:
    a = rng.standard_normal(shape)
    return float(a) if was_float else a


def _plain_out(fn: Fn, args: Sequence[tp.Value]) -> tp.Array:
    out = fn(*args)
    return np.asarray(out.value if isinstance(out, tp.Var) else out, dtype=np.float64)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_jvp_is_the_transpose_of_vjp(c: Case) -> None:
    rng = _rng("uv/" + c.id)
    floats = [isinstance(a, float) for a in c.args]
    vs = [_like(np.shape(a), fl, rng) for a, fl in zip(c.args, floats, strict=True)]
    out, jv = tp.jvp(c.fn, c.args, vs)
    want = _plain_out(c.fn, c.args)
    np.testing.assert_allclose(out, want, rtol=1e-15, atol=0)
    assert np.shape(jv) == want.shape
    if want.shape == ():
        assert type(jv) is float or (isinstance(jv, np.ndarray) and jv.shape == ())
    u = _like(want.shape, want.shape == (), rng)
    out2, back = tp.vjp(c.fn, *c.args)
    np.testing.assert_allclose(out2, want, rtol=1e-15, atol=0)
    cts = back(u)
    assert len(cts) == len(c.args)
    for ct, a, fl in zip(cts, c.args, floats, strict=True):
        assert np.shape(ct) == np.shape(a)
        assert (type(ct) is float) == fl, "a float input gets a float cotangent"
    lhs_terms = np.asarray(jv) * u
    rhs_terms = [np.asarray(v) * np.asarray(ct) for v, ct in zip(vs, cts, strict=True)]
    lhs = float(np.sum(lhs_terms))
    rhs = float(sum(np.sum(r) for r in rhs_terms))
    scale = float(np.sum(np.abs(lhs_terms))) + float(sum(np.sum(np.abs(r)) for r in rhs_terms))
    assert abs(lhs - rhs) <= (c.tol or FWD_REV_RTOL) * scale + 1e-300, (lhs, rhs)
    steps = all(all(r is None for r in tp.PRIMITIVES[n].vjp) for n in c.rows)
    if not steps and not c.id.endswith("-outside"):  # (step functions: derivative 0)
        assert scale > 0.0, "a test that cannot fail: all-zero derivatives"


# ----- jacfwd == jacrev == finite differences --------------------------------------------------


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_jacfwd_equals_jacrev_equals_finite_differences(c: Case) -> None:
    nums = tuple(range(len(c.args)))
    fwd = tp.jacfwd(c.fn, nums)(*c.args)
    rev = tp.jacrev(c.fn, nums)(*c.args)
    out_shape = _plain_out(c.fn, c.args).shape
    assert len(fwd) == len(rev) == len(c.args)
    for k, a in enumerate(c.args):
        want_shape = out_shape + np.shape(a)
        assert np.shape(fwd[k]) == want_shape, f"jacfwd argnum {k}"
        assert np.shape(rev[k]) == want_shape, f"jacrev argnum {k}"
        np.testing.assert_allclose(fwd[k], rev[k], rtol=c.tol or FWD_REV_RTOL, atol=1e-13)
        num = numerical_jacobian(c.fn, c.args, argnum=k, eps=c.eps)
        np.testing.assert_allclose(fwd[k], num, rtol=c.tol or FD_RTOL, atol=c.tol or FD_ATOL)
        np.testing.assert_allclose(rev[k], num, rtol=c.tol or FD_RTOL, atol=c.tol or FD_ATOL)


@pytest.mark.parametrize(
    "c", [c for c in CASES if len(c.args) == 1], ids=[c.id for c in CASES if len(c.args) == 1]
)
def test_int_argnums_gives_one_jacobian(c: Case) -> None:
    fwd = tp.jacfwd(c.fn)(*c.args)
    rev = tp.jacrev(c.fn)(*c.args)
    assert isinstance(fwd, np.ndarray) and isinstance(rev, np.ndarray)
    np.testing.assert_allclose(fwd, rev, rtol=c.tol or FWD_REV_RTOL, atol=1e-13)


# ----- Dual basics -----------------------------------------------------------------------------


def test_dual_of_a_square_at_two() -> None:
    d = tp.Dual(2.0, 1.0)
    sq = d * d
    assert isinstance(sq, tp.Dual)
    assert sq.primal == 4.0 and type(sq.primal) is float
    assert sq.tangent == 4.0 and type(sq.tangent) is float
    assert d.primal == 2.0 and d.tangent == 1.0
    assert repr(d) == "Dual(2.0, 1.0)"


def test_dual_converts_ints_to_floats() -> None:
    d = tp.Dual(3, 2)
    assert type(d.primal) is float and type(d.tangent) is float
    cube = d * d * d
    assert cube.primal == 27.0
    assert cube.tangent == 3 * 9.0 * 2.0


def test_dual_arithmetic_on_floats_against_closed_forms() -> None:
    x0, v = 0.7, 1.5
    d: Any = tp.Dual(x0, v)
    checks: list[tuple[Any, float, float]] = [
        (d + 3.0, x0 + 3.0, v),
        (3.0 - d, 3.0 - x0, -v),
        (d / 2.0, x0 / 2.0, v / 2.0),
        (2.0 / d, 2.0 / x0, -2.0 * v / x0**2),
        (d**3.0, x0**3, 3 * x0**2 * v),
        (2.0**d, 2.0**x0, math.log(2.0) * 2.0**x0 * v),
        (d**d, x0**x0, x0**x0 * (math.log(x0) + 1.0) * v),
        (-d, -x0, -v),
        (abs(-d), x0, v),
        (tp.sin(d) * tp.exp(d), math.sin(x0) * math.exp(x0),
         (math.cos(x0) + math.sin(x0)) * math.exp(x0) * v),
        (np.tanh(d), math.tanh(x0), (1 - math.tanh(x0) ** 2) * v),
        (np.log(d), math.log(x0), v / x0),
        (d.sqrt(), math.sqrt(x0), v / (2 * math.sqrt(x0))),
        (d.sigmoid(), 1 / (1 + math.exp(-x0)),
         math.exp(-x0) / (1 + math.exp(-x0)) ** 2 * v),
    ]  # fmt: skip
    for got, p, t in checks:
        assert isinstance(got, tp.Dual)
        assert type(got.primal) is float and type(got.tangent) is float
        assert got.primal == pytest.approx(p, rel=1e-14)
        assert got.tangent == pytest.approx(t, rel=1e-13)


def test_dual_two_duals_same_level_product_rule() -> None:
    # d(x·y) = y dx + x dy, two Duals built by hand share the same level
    a = tp.Dual(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    b = tp.Dual(np.array([3.0, -1.0]), np.array([0.5, 2.0]))
    p = a * b
    np.testing.assert_array_equal(p.primal, [3.0, -2.0])
    np.testing.assert_array_equal(p.tangent, [1.0 * 3.0 + 1.0 * 0.5, 0.0 * -1.0 + 2.0 * 2.0])


@pytest.mark.parametrize(
    ("primal", "tangent"),
    [
        (np.ones(3), np.ones(2)),
        (np.ones((2, 3)), np.ones((3, 2))),
        (1.0, np.ones((2, 2))),
        (np.ones(3), np.ones((2, 2, 2))),
    ],
)
def test_dual_rejects_a_tangent_of_the_wrong_shape(primal: Any, tangent: Any) -> None:
    with pytest.raises(ValueError, match="tangent") as e:
        tp.Dual(primal, tangent)
    assert str(np.shape(tangent)) in str(e.value)
    assert str(np.shape(primal)) in str(e.value)


def test_dual_accepts_k_directions() -> None:
    d: Any = tp.Dual(np.array([1.0, 2.0, 3.0]), np.eye(3)[:2])
    assert d.tangent.shape == (2, 3)
    y = tp.sum(d * d)
    assert y.primal == 14.0
    np.testing.assert_array_equal(y.tangent, [2.0, 4.0])  # 2x along e₀ and e₁
    s = tp.Dual(2.0, np.array([1.0, -1.0, 0.5]))  # a scalar with 3 directions
    np.testing.assert_array_equal((s * s).tangent, [4.0, -4.0, 2.0])


def test_dual_float32_primal_keeps_float32_tangent() -> None:
    x0 = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    d: Any = tp.Dual(x0, np.ones(3))  # a float64 tangent is cast to the primal's dtype
    assert d.primal.dtype == np.float32 and d.tangent.dtype == np.float32
    for y in [
        d * d,
        tp.sin(d),
        np.exp(d),
        d / 3.0,
        tp.sum(d * d, axis=0),
        d @ np.ones(3, np.float32),
    ]:
        assert isinstance(y, tp.Dual)
        assert np.asarray(y.primal).dtype == np.float32
        assert np.asarray(y.tangent).dtype == np.float32
    np.testing.assert_allclose((d * d).tangent, 2 * x0, rtol=1e-6)
    d0: Any = tp.Dual(np.float32(2.0), 1.0)
    assert isinstance(d0.tangent, np.ndarray) and d0.tangent.dtype == np.float32
    vec: Any = tp.Dual(x0, np.eye(3))
    assert vec.tangent.dtype == np.float32
    assert tp.jacfwd(lambda a: a * a)(x0).dtype == np.float32
    _, t = tp.jvp(lambda a: tp.sin(a), (x0,), (np.ones(3),))
    assert np.asarray(t).dtype == np.float32


def test_dual_comparisons_and_conversions_are_plain() -> None:
    d = tp.Dual(np.array([1.0, 2.0, 3.0]), np.ones(3))
    lt = d < 2.5
    assert isinstance(lt, np.ndarray) and lt.dtype == bool
    np.testing.assert_array_equal(lt, [True, True, False])
    np.testing.assert_array_equal(d >= np.array([1.0, 3.0, 3.0]), [True, False, True])
    assert d.shape == (3,) and d.ndim == 1 and d.size == 3 and len(d) == 3
    assert d.dtype == np.float64
    s = tp.Dual(1.5, 2.0)
    assert float(s) == 1.5 and (s > 1.0) is True and s.item() == 1.5
    with pytest.raises(TypeError):
        np.asarray(d)
    rows = list(d)
    assert len(rows) == 3 and all(isinstance(r, tp.Dual) for r in rows)
    assert [float(r.primal) for r in rows] == [1.0, 2.0, 3.0]
    assert [float(r.tangent) for r in rows] == [1.0, 1.0, 1.0]


# Operators, methods, np.* and tp.* calls on Duals: each is applied to a Dual (one direction,
# and all 6 directions at once in vector mode) and its tangent compared with the central
# difference of the same expression evaluated on Vars outside any tape.
X0 = np.array([[0.6, 1.3, 0.9], [1.45, 0.75, 1.1]])
C23 = np.array([[0.3, -1.2, 0.8], [2.0, 0.5, -0.7]])
M32 = np.array([[1.0, -0.5], [0.25, 2.0], [-1.5, 0.75]])
N42 = np.array([[0.5, 1.0], [-1.0, 0.3], [2.0, -0.4], [0.1, 0.9]])
MASK = np.array([[True, False, True], [False, True, True]])

DUAL_OPS: dict[str, Fn] = {
    "add": lambda a: a + C23,
    "radd": lambda a: C23 + a,
    "add-float": lambda a: a + 2.0,
    "sub": lambda a: a - C23,
    "rsub": lambda a: C23 - a,
    "mul": lambda a: a * C23,
    "rmul": lambda a: 3.0 * a,
    "mul-self": lambda a: a * a,
    "div": lambda a: a / C23,
    "rdiv": lambda a: C23 / a,
    "pow": lambda a: a**2.5,
    "rpow": lambda a: 2.0**a,
    "pow-self": lambda a: a**a,
    "neg": lambda a: -a,
    "pos": lambda a: +a,
    "abs": lambda a: abs(a - 1.0),
    "matmul": lambda a: a @ M32,
    "rmatmul": lambda a: N42 @ a,
    "matmul-self": lambda a: a @ a.T,
    "getitem-row": lambda a: a[1],
    "getitem-slice": lambda a: a[:, 1:],
    "getitem-repeated": lambda a: a[np.array([0, 0, 1])],
    "getitem-mask": lambda a: a[MASK],
    "sum": lambda a: a.sum(),
    "sum-axis": lambda a: a.sum(axis=0),
    "mean-keepdims": lambda a: a.mean(axis=1, keepdims=True),
    "max-axis": lambda a: a.max(axis=1),
    "min": lambda a: a.min(),
    "prod-axis": lambda a: a.prod(axis=0),
    "reshape-args": lambda a: a.reshape(3, 2),
    "reshape-tuple": lambda a: a.reshape((6,)),
    "T": lambda a: a.T,
    "transpose-method": lambda a: a.transpose(1, 0),
    "exp-method": lambda a: a.exp(),
    "log-method": lambda a: a.log(),
    "tanh-method": lambda a: a.tanh(),
    "relu-method": lambda a: (a - 1.0).relu(),
    "sigmoid-method": lambda a: a.sigmoid(),
    "sqrt-method": lambda a: a.sqrt(),
    "abs-method": lambda a: (a - 1.0).abs(),
    "np.sin": lambda a: np.sin(a),
    "np.cos": lambda a: np.cos(a),
    "np.tan": lambda a: np.tan(a * 0.5),
    "np.exp": lambda a: np.exp(a),
    "np.log": lambda a: np.log(a),
    "np.log1p": lambda a: np.log1p(a),
    "np.expm1": lambda a: np.expm1(a),
    "np.sqrt": lambda a: np.sqrt(a),
    "np.square": lambda a: np.square(a),
    "np.tanh": lambda a: np.tanh(a),
    "np.absolute": lambda a: np.absolute(a - 1.0),
    "np.sign": lambda a: np.sign(a - 1.0) * a,
    "np.negative": lambda a: np.negative(a),
    "np.add": lambda a: np.add(a, C23),
    "np.subtract": lambda a: np.subtract(C23, a),
    "np.multiply": lambda a: np.multiply(a, a),
    "np.divide": lambda a: np.divide(C23, a),
    "np.power": lambda a: np.power(a, 3.0),
    "np.maximum": lambda a: np.maximum(a, C23),
    "np.minimum": lambda a: np.minimum(C23, a),
    "np.matmul": lambda a: np.matmul(a, M32),
    "np.sum": lambda a: np.sum(a, axis=1),
    "np.mean": lambda a: np.mean(a),
    "np.max": lambda a: np.max(a, axis=0),
    "np.min": lambda a: np.min(a, axis=1, keepdims=True),
    "np.prod": lambda a: np.prod(a),
    "np.var": lambda a: np.var(a, axis=1),
    "np.std": lambda a: np.std(a),
    "np.dot": lambda a: np.dot(a, M32),
    "np.outer": lambda a: np.outer(a[0], a[1]),
    "np.einsum": lambda a: np.einsum("ij,jk->ik", a, M32),
    "np.reshape": lambda a: np.reshape(a, (3, 2)),
    "np.transpose": lambda a: np.transpose(a),
    "np.swapaxes": lambda a: np.swapaxes(a, 0, 1),
    "np.expand_dims": lambda a: np.expand_dims(a, 1),
    "np.squeeze": lambda a: np.squeeze(np.expand_dims(a, 0)),
    "np.broadcast_to": lambda a: np.broadcast_to(a, (4, 2, 3)),
    "np.concatenate": lambda a: np.concatenate([a, C23, a], axis=1),
    "np.stack": lambda a: np.stack([a, C23], axis=1),
    "np.split": lambda a: np.split(a, 3, axis=1)[2],
    "np.flip": lambda a: np.flip(a, 0),
    "np.where": lambda a: np.where(MASK, a, 0.5 * a),
    "np.clip": lambda a: np.clip(a, 0.7, 1.2),
    "tp.softmax": lambda a: tp.softmax(a),
    "tp.log_softmax": lambda a: tp.log_softmax(a, axis=0),
    "tp.logsumexp": lambda a: tp.logsumexp(a, axis=1),
    "tp.softplus": lambda a: tp.softplus(a),
    "tp.einsum-3": lambda a: tp.einsum("ij,ij,jk->ik", a, a, M32),
}


def _on_vars(g: Fn, x: tp.Array) -> tp.Array:
    out = g(tp.Var(x))
    return np.asarray(out.value if isinstance(out, tp.Var) else out, dtype=np.float64)


@pytest.mark.parametrize("name", list(DUAL_OPS))
def test_operations_on_duals_against_finite_differences(name: str) -> None:
    g = DUAL_OPS[name]
    rng = _rng("dual/" + name)
    v = rng.standard_normal(X0.shape)
    eps = 1e-6
    want_primal = _on_vars(g, X0)
    # one direction
    out = g(tp.Dual(X0, v))
    assert isinstance(out, tp.Dual), name
    np.testing.assert_allclose(out.primal, want_primal, rtol=1e-14)
    num = (_on_vars(g, X0 + eps * v) - _on_vars(g, X0 - eps * v)) / (2 * eps)
    assert np.shape(out.tangent) == want_primal.shape
    np.testing.assert_allclose(out.tangent, num, rtol=FD_RTOL, atol=FD_ATOL)
    # all 6 directions at once (vector mode): tangent[k] = J e_k
    basis = np.eye(X0.size).reshape((X0.size, *X0.shape))
    vec = g(tp.Dual(X0, basis))
    assert isinstance(vec, tp.Dual)
    np.testing.assert_allclose(vec.primal, want_primal, rtol=1e-14)
    vt = np.asarray(vec.tangent)
    assert vt.shape == (X0.size, *want_primal.shape)
    for k in range(X0.size):
        e = basis[k]
        num_k = (_on_vars(g, X0 + eps * e) - _on_vars(g, X0 - eps * e)) / (2 * eps)
        np.testing.assert_allclose(vt[k], num_k, rtol=FD_RTOL, atol=FD_ATOL)
    # and linearity: the one direction v is Σ vₖ eₖ
    np.testing.assert_allclose(
        np.tensordot(v.ravel(), vt, axes=1), out.tangent, rtol=1e-12, atol=1e-13
    )


# ----- vector mode: one forward pass -----------------------------------------------------------


IMPL_CALLS = [0]


@tp.primitive(
    vjp=lambda g, ans, x: g * (2.0 * tp.cos(2.0 * x)),
    jvp=lambda dx, ans, x: dx * (2.0 * tp.cos(2.0 * x)),
    name="sin2x_forward_test",
    notation="sin2x {0}",
    batched=True,  # its rules broadcast over a leading batch axis: one call for k directions
)
def sin2x(x: tp.Value) -> tp.Value:
    """sin(2x), counting how often its forward computation runs."""
    IMPL_CALLS[0] += 1
    return np.sin(2.0 * np.asarray(x)) if isinstance(x, np.ndarray) else math.sin(2.0 * x)


def elementwise_f(x: Any) -> Any:
    """f(x) = sin2x(x) · x + tanh(x)²: its Jacobian is diagonal."""
    return sin2x(x) * x + tp.square(tp.tanh(x))


def elementwise_f_diag(x0: tp.Array) -> tp.Array:
    th = np.tanh(x0)
    return np.asarray(2 * np.cos(2 * x0) * x0 + np.sin(2 * x0) + 2 * th * (1 - th**2))


@pytest.fixture
def count_primitive_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every primitive application on plain values, by name, through ``tape._core.call``."""
    seen: list[str] = []
    real = _core.call

    def counting(prim: tp.Primitive, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        seen.append(prim.name)
        return real(prim, args, params)

    monkeypatch.setattr(_core, "call", counting)
    yield seen


def test_jacfwd_on_500_inputs_calls_f_once(count_primitive_calls: list[str]) -> None:
    x0 = np.linspace(-2.0, 2.0, 500)
    f = Counter(elementwise_f)
    IMPL_CALLS[0] = 0
    del count_primitive_calls[:]
    j = tp.jacfwd(f)(x0)
    assert f.calls == 1
    assert IMPL_CALLS[0] == 1, "the custom primitive's forward computation ran once"
    assert j.shape == (500, 500)
    np.testing.assert_allclose(np.diag(j), elementwise_f_diag(x0), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(j - np.diag(np.diag(j)), 0.0)
    assert count_primitive_calls.count("sin2x_forward_test") == 1


def test_jacfwd_primitive_applications_do_not_grow_with_n(
    count_primitive_calls: list[str],
) -> None:
    counts = {}
    a_big = np.linspace(-1.0, 1.0, 500 * 3).reshape(3, 500) / 50.0
    for n in (5, 500):
        x0 = np.linspace(-1.0, 1.5, n)
        a = a_big[:, :n]

        def f(x: Any, a: tp.Array = a) -> Any:
            h = tp.tanh(a @ x)  # (3,)
            return tp.concatenate([h, tp.reshape(tp.logsumexp(x), (1,)), elementwise_f(x)[:2]])

        del count_primitive_calls[:]
        j = tp.jacfwd(f)(x0)
        counts[n] = list(count_primitive_calls)
        assert j.shape == (6, n)
        np.testing.assert_allclose(j, tp.jacrev(f)(x0), rtol=1e-10, atol=1e-14)
    assert len(counts[5]) > 10
    assert counts[5] == counts[500], "vector mode: the same applications for any n"


def test_jacrev_records_f_once() -> None:
    # The counterpart: jacrev records f once (one forward computation of sin2x), however
    # many outputs it then sweeps back from. (How it sweeps, one seed at a time or all m
    # seeds at once, is its own business: only the recording is pinned down here.)
    for m in (3, 30):
        x0 = np.linspace(-1.0, 1.0, m)
        f = Counter(elementwise_f)
        IMPL_CALLS[0] = 0
        j = tp.jacrev(f)(x0)
        assert f.calls == 1 and IMPL_CALLS[0] == 1  # (recorded on the fast path, not by call)
        np.testing.assert_allclose(np.diag(j), elementwise_f_diag(x0), rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(j - np.diag(np.diag(j)), 0.0)


def test_jvp_on_a_float_and_on_several_directions_by_hand() -> None:
    out, t = tp.jvp(lambda a: sin2x(a) * a, (0.3,), (2.0,))
    assert type(out) is float and type(t) is float
    assert out == pytest.approx(math.sin(0.6) * 0.3, rel=1e-15)
    assert t == pytest.approx(2.0 * (2 * math.cos(0.6) * 0.3 + math.sin(0.6)), rel=1e-14)
    # three directions at once on a float primal: tangent of shape (3,)
    out3, t3 = tp.jvp(lambda a: sin2x(a) * a, (0.3,), (np.array([1.0, 0.0, -0.5]),))
    assert out3 == out
    d1 = 2 * math.cos(0.6) * 0.3 + math.sin(0.6)
    np.testing.assert_allclose(t3, [d1, 0.0, -0.5 * d1], rtol=1e-14)


# ----- forward and reverse agree at the edges ----------------------------------------------------


def test_stop_gradient_stops_tangents_as_well_as_cotangents() -> None:
    # d/dx [sg(x)·x] = sg(x) = x0 in both modes (not 2·x0)
    def f(x: Any) -> Any:
        return tp.stop_gradient(x) * x

    assert float(tp.jacfwd(f)(2.0)) == 2.0
    assert float(tp.jacrev(f)(2.0)) == 2.0
    assert tp.jvp(f, (2.0,), (1.0,))[1] == 2.0

    def g(x: Any) -> Any:
        return tp.sum(tp.stop_gradient(tp.sin(x)) * x)

    x0 = np.array([0.5, 1.0, -2.0])
    np.testing.assert_allclose(tp.jacfwd(g)(x0), np.sin(x0), rtol=1e-15)
    np.testing.assert_allclose(tp.jacrev(g)(x0), np.sin(x0), rtol=1e-15)


def test_a_row_without_jvp_rules_gives_zero_tangents_of_the_batched_shape() -> None:
    d: Any = tp.Dual(np.array([1.0, -2.0, 0.5]), np.eye(3)[:2])  # 2 directions
    s = tp.sign(d)
    np.testing.assert_array_equal(s.primal, [1.0, -1.0, 1.0])
    assert np.shape(s.tangent) == (2, 3)
    np.testing.assert_array_equal(s.tangent, 0.0)
    j = tp.jacfwd(lambda x: tp.sign(x) * x)(np.array([1.0, -2.0]))
    np.testing.assert_array_equal(j, np.diag([1.0, -1.0]))


def test_vjp_through_getitem_keeps_float64_for_a_float_cotangent() -> None:
    x0 = np.arange(12.0).reshape(3, 4)
    _, back = tp.vjp(lambda a: a[1, 2], x0)
    (ct,) = back(0.1)
    assert isinstance(ct, np.ndarray) and ct.dtype == np.float64
    assert ct[1, 2] == 0.1  # exactly: no trip through float32
    g = tp.grad(lambda a: a[1, 2] * 0.1)(x0)
    assert isinstance(g, np.ndarray) and g[1, 2] == 0.1
