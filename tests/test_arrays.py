"""The shape and selection functions of ``tape._arrays``: values are NumPy's (exactly, on plain
arrays, Vars and Duals), ``np.X(var)`` reaches ``tp.X``, ``tp.array`` of nested lists, the
errors, and sort's permutation recomputed when a compiled tape is replayed where the order
differs. (The gradients are checked by the case table, ``_cases_arrays``.)"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from _draw import draw_array

import tape as tp
from tape import _arrays, _numpy
from tape.testing import check_grads

Fn = Callable[..., Any]

M = draw_array((4, 5), "real", "arrays/M")
S = draw_array((4, 4), "real", "arrays/S")
B = draw_array((2, 3, 4), "real", "arrays/B")
V = draw_array((7,), "distinct", "arrays/V")
V14 = draw_array((14,), "distinct", "arrays/V14")
T = np.array([2.0, 1.0, 2.0, 0.5, 1.0])  # ties
F = 1.2


@dataclass(frozen=True)
class Same:
    """``ours(*args)`` must equal ``numpy(*args)`` exactly (shape, dtype kind and values)."""

    id: str
    ours: Fn
    numpy: Fn
    args: tuple[Any, ...]


def same(id: str, name: str, *args: Any, **kw: Any) -> Same:
    """``tape._arrays.name`` (``tp.name``, or the complete version of a table function)
    against ``np.name`` with the same arguments."""
    ours, numpy = getattr(_arrays, name), getattr(np, name)
    return Same(id, lambda *a: ours(*a, **kw), lambda *a: numpy(*a, **kw), args)


SAME: list[Same] = [
    same("linspace", "linspace", 0.3, 2.2, 7),
    same("column_stack-of-an-array", "column_stack", V),
    same("linspace-no-endpoint", "linspace", -1.0, 3.0, 5, endpoint=False),
    same("linspace-arrays", "linspace", M[0], M[1], 4, axis=-1),
    same("gradient", "gradient", V),
    same("gradient-spacing-axes", "gradient", M, 0.5, 2.0),
    same("gradient-edge2", "gradient", M, axis=-1, edge_order=2),
    same("ravel", "ravel", B),
    same("ravel-F", "ravel", M, order="F"),
    same("ravel-float", "ravel", F),
    same("moveaxis", "moveaxis", B, 0, -1),
    same("moveaxis-several", "moveaxis", B, [0, 2], [2, 0]),
    same("rollaxis", "rollaxis", B, 2),
    same("rollaxis-start", "rollaxis", B, 0, 3),
    same("rollaxis-negative", "rollaxis", B, -1, -2),
    same("roll", "roll", M, 2, axis=1),
    same("roll-flat", "roll", M, 7),
    same("roll-axes", "roll", M, (1, -2), axis=(0, -1)),
    same("roll-same-axis-twice", "roll", M, (1, 2), axis=(1, 1)),
    same("roll-negative", "roll", V, -9),
    same("roll-empty", "roll", np.zeros((0, 3)), 1, axis=0),
    same("flipud", "flipud", M),
    same("fliplr", "fliplr", B),
    same("rot90", "rot90", M),
    same("rot90-k2", "rot90", M, 2),
    same("rot90-k3", "rot90", M, 3),
    same("rot90-k-1-axes", "rot90", B, -1, axes=(2, 0)),
    same("rot90-k4", "rot90", M, 4),
    same("diag-matrix", "diag", S),
    same("diag-matrix-k2", "diag", M, 2),
    same("diag-matrix-k-3", "diag", M, -3),
    same("diag-matrix-k-beyond", "diag", M, 7),
    same("diag-vector", "diag", V),
    same("diag-vector-k2", "diag", V, 2),
    same("diag-vector-k-1", "diag", V, -1),
    same("diag-empty-vector-k1", "diag", np.zeros(0), 1),
    same("tril", "tril", M),
    same("tril-k2", "tril", S, k=2),
    same("tril-k-1-batch", "tril", B, -1),
    same("tril-1d", "tril", V),
    same("triu", "triu", M),
    same("triu-k-2", "triu", M, k=-2),
    same("triu-batch", "triu", B, 1),
    same("tile", "tile", V, 2),
    same("tile-more-reps", "tile", M, (2, 1, 3)),
    same("tile-fewer-reps", "tile", B, 2),
    same("tile-float", "tile", F, (2, 2)),
    same("tile-zero", "tile", M, (0, 2)),
    same("tile-ones", "tile", M, (1, 1, 1)),
    same("diff", "diff", V),
    same("diff-n2-axis0", "diff", M, n=2, axis=0),
    same("diff-n0", "diff", M, n=0),
    same("diff-n-beyond", "diff", V, n=9),
    same("diff-prepend-append", "diff", M, prepend=0.0, append=np.ones((4, 1))),
    same("diff-prepend-axis0", "diff", M, axis=0, prepend=M[:1]),
    same("pad", "pad", M, 2),
    same("pad-pairs", "pad", M, ((1, 0), (0, 2))),
    same("pad-values", "pad", M, (1, 2), constant_values=((1.0, 2.0), (3.0, 4.0))),
    same("pad-value", "pad", V, 3, constant_values=-1.5),
    same("pad-edge", "pad", M, (2, 1), mode="edge"),
    same("pad-reflect", "pad", M, 3, mode="reflect"),
    same("pad-reflect-wider-than-axis", "pad", np.arange(3.0), (7, 9), mode="reflect"),
    same("pad-reflect-one", "pad", np.ones(1), 2, mode="reflect"),
    same("pad-symmetric", "pad", V, (9, 15), mode="symmetric"),
    same("pad-wrap", "pad", M, ((9, 1), (0, 12)), mode="wrap"),
    same("pad-zero-width", "pad", M, 0, mode="wrap"),
    same("pad-3d-per-axis", "pad", B, ((0, 1), (2, 0), (1, 1)), mode="edge"),
    same("atleast_1d-float", "atleast_1d", F),
    same("atleast_1d-2d", "atleast_1d", M),
    same("atleast_2d-float", "atleast_2d", F),
    same("atleast_2d-1d", "atleast_2d", V),
    same("atleast_3d-float", "atleast_3d", F),
    same("atleast_3d-1d", "atleast_3d", V),
    same("atleast_3d-2d", "atleast_3d", M),
    same("atleast_3d-4d", "atleast_3d", np.ones((2, 1, 3, 1))),
    same("array_split", "array_split", V, 3),
    same("array_split-more-sections", "array_split", np.arange(3.0), 5),
    same("array_split-indices", "array_split", V, [2, 2, 5, 20]),
    same("array_split-negative-index", "array_split", V, [-2]),
    same("array_split-axis-1", "array_split", M, 2, axis=-1),
    same("split", "split", V14, 7),
    same("split-indices", "split", M, [1, 3], axis=1),
    same("split-np-int", "split", V14, np.int64(2)),
    same("vsplit", "vsplit", S, 2),
    same("hsplit", "hsplit", M, [2]),
    same("hsplit-1d", "hsplit", V, 7),
    same("dsplit", "dsplit", B, [1, 3]),
    same("hstack", "hstack", [M, M[:, :2]]),
    same("hstack-1d", "hstack", (V, np.ones(2), 2.0)),
    same("vstack", "vstack", [V, V]),
    same("vstack-2d", "vstack", (M, M[:1])),
    same("dstack", "dstack", (M, M)),
    same("dstack-1d", "dstack", [V, V]),
    same("column_stack", "column_stack", (V, V, np.ones((7, 2)))),
    same("append", "append", M, V),
    same("append-axis", "append", M, M[:, :1], axis=1),
    same("append-floats", "append", F, 2.0),
    same("concatenate-axis-none", "concatenate", (M, V), axis=None),
    same("select", "select", [M > 0.5, M < -0.5], [M * 2.0, -M], 0.25),
    same("select-scalar-choices", "select", [M > 0], [1.0], -1.0),
    same("sort", "sort", V),
    same("sort-axis0", "sort", M, axis=0),
    same("sort-flat", "sort", M, axis=None),
    same("sort-ties-stable", "sort", T, kind="stable"),
    same("sort-stable-keyword", "sort", M, stable=True),
    same("partition", "partition", V, 3),
    same("partition-kths", "partition", V14, (0, 6, 13)),
    same("partition-axis0", "partition", M, 1, axis=0),
    same("partition-ties", "partition", T, 2),
]
"""Every function on plain arrays (and, below, on Vars and Duals), against NumPy."""

SAME += [
    Same("reshape-F", _arrays.reshape, np.reshape, (M, (5, 4), "F")),
    Same("concatenate-axis-none-np", _arrays.concatenate, np.concatenate, ((M, V), None)),
    Same("stack-axis-last", lambda a: _arrays.stack(a, -1), lambda a: np.stack(a, -1), ((M, M),)),
    Same(
        "take_along_axis-default",
        lambda a: _arrays.take_along_axis(a, np.argsort(M)),
        lambda a: np.take_along_axis(a, np.argsort(M)),
        (M,),
    ),
    Same("row_stack", tp.row_stack, np.vstack, ((V, V),)),
]


def assert_exact(ours: Any, numpy: Any, id: str) -> None:
    if isinstance(numpy, list | tuple):
        assert isinstance(ours, list | tuple) and len(ours) == len(numpy), id
        for o, n in zip(ours, numpy, strict=True):
            assert_exact(o, n, id)
        return
    got = np.asarray(ours.value if isinstance(ours, tp.Var) else ours)
    want = np.asarray(numpy)
    assert got.shape == want.shape, f"{id}: shape {got.shape}, NumPy's {want.shape}"
    assert got.dtype == want.dtype, f"{id}: dtype {got.dtype}, NumPy's {want.dtype}"
    np.testing.assert_array_equal(got, want, err_msg=id)


def boxed(args: tuple[Any, ...], box: Callable[[Any], Any]) -> tuple[Any, ...]:
    """The arguments with every float array (also inside lists and tuples) boxed."""

    def one(a: Any) -> Any:
        if isinstance(a, list | tuple):
            return type(a)(one(x) for x in a)
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            return box(a)
        return a

    return tuple(one(a) for a in args)


def plain_of(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return [plain_of(x) for x in v]
    if isinstance(v, tp.Dual):
        return v.primal
    return v.value if isinstance(v, tp.Var) else v


@pytest.mark.parametrize("c", SAME, ids=[c.id for c in SAME])
def test_values_are_numpys_on_plain_arrays(c: Same) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        want = c.numpy(*c.args)
    assert_exact(c.ours(*c.args), want, c.id)


@pytest.mark.parametrize("c", SAME, ids=[c.id for c in SAME])
def test_values_are_numpys_on_vars_and_duals(c: Same) -> None:
    want = c.numpy(*c.args)
    for box in (tp.Var, lambda a: tp.Dual(a, np.ones_like(a))):
        got = c.ours(*boxed(c.args, box))
        assert_exact(plain_of(got), want, c.id)
    with tp.Tape():
        assert_exact(plain_of(c.ours(*boxed(c.args, tp.Var))), want, c.id + " (recorded)")


NUMPY_CALLS: list[tuple[Any, Fn, tuple[Any, ...]]] = [
    (np.ravel, tp.ravel, (M,)),
    (np.moveaxis, tp.moveaxis, (B, 0, 2)),
    (np.rollaxis, tp.rollaxis, (B, 2)),
    (np.roll, tp.roll, (M, 1)),
    (np.flipud, tp.flipud, (M,)),
    (np.fliplr, tp.fliplr, (M,)),
    (np.rot90, tp.rot90, (M,)),
    (np.diag, tp.diag, (V,)),
    (np.tril, tp.tril, (M,)),
    (np.triu, tp.triu, (M,)),
    (np.tile, tp.tile, (V, 2)),
    (np.diff, tp.diff, (V,)),
    (np.pad, tp.pad, (M, 1)),
    (np.atleast_1d, tp.atleast_1d, (M,)),
    (np.atleast_2d, tp.atleast_2d, (V,)),
    (np.atleast_3d, tp.atleast_3d, (V,)),
    (np.array_split, tp.array_split, (V, 2)),
    (np.split, _arrays.split, (V14, 2)),
    (np.vsplit, tp.vsplit, (S, 2)),
    (np.hsplit, tp.hsplit, (S, 2)),
    (np.dsplit, tp.dsplit, (B, 2)),
    (np.hstack, tp.hstack, ([M, M],)),
    (np.vstack, tp.vstack, ([M, M],)),
    (np.dstack, tp.dstack, ([M, M],)),
    (np.column_stack, tp.column_stack, ([V, V],)),
    (np.append, tp.append, (V, V)),
    (np.select, tp.select, ([V > 0], [V])),
    (np.sort, tp.sort, (V,)),
    (np.partition, tp.partition, (V, 2)),
    (np.concatenate, _arrays.concatenate, ([M, M],)),
    (np.concat, _arrays.concatenate, ([M, M],)),
    (np.stack, _arrays.stack, ([M, M],)),
    (np.reshape, _arrays.reshape, (M, (20,))),
    (np.take_along_axis, _arrays.take_along_axis, (M, np.argsort(M))),
]


@pytest.mark.parametrize(
    ("func", "ours", "args"), NUMPY_CALLS, ids=[f.__name__ for f, _, _ in NUMPY_CALLS]
)
def test_numpy_calls_on_a_var_reach_tape(func: Any, ours: Fn, args: tuple[Any, ...]) -> None:
    assert _numpy.FUNCTIONS[func] is ours
    got = func(*boxed(args, tp.Var))
    for g in got if isinstance(got, list | tuple) else [got]:
        assert isinstance(g, tp.Var), func.__name__
    assert_exact(plain_of(got), func(*args), func.__name__)


def test_numpy_names_the_new_functions_as_supported() -> None:
    for name in ("np.sort", "np.pad", "np.tril", "np.hstack", "np.select", "np.rot90"):
        assert name in tp.SUPPORTED_NUMPY


# ----- tp.array --------------------------------------------------------------------------------


def test_array_stacks_nested_lists_differentiably() -> None:
    x, y = tp.Var(3.0), tp.Var(-0.5)
    with tp.Tape() as t:
        a = tp.array([[x, x * y, 2.5], (x**2, y, 1)])
        assert isinstance(a, tp.Var)
        total = tp.sum(a * np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    np.testing.assert_array_equal(a.value, [[3.0, -1.5, 2.5], [9.0, -0.5, 1.0]])
    dx, dy = t.gradient(total, [x, y])
    assert dx == 1.0 + 2.0 * -0.5 + 4.0 * 2 * 3.0  # d/dx of x + 2xy + 4x²
    assert dy == 2.0 * 3.0 + 5.0


def test_array_of_vars_holding_arrays_and_constants() -> None:
    x = tp.Var(np.array([1.0, 2.0]))
    a = tp.array([x, [5.0, 6.0], np.array([7.0, 8.0])])
    assert isinstance(a, tp.Var)
    np.testing.assert_array_equal(a.value, [[1.0, 2.0], [5.0, 6.0], [7.0, 8.0]])
    check_grads(lambda v: tp.array([[v, v * 2.0], [np.zeros(2), v]]), [np.array([0.5, -1.0])])


def test_array_of_duals_is_a_dual() -> None:
    d = tp.Dual(2.0, 1.0)
    a = tp.array([d, d * d, 1.0])
    assert isinstance(a, tp.Dual)
    np.testing.assert_array_equal(a.primal, [2.0, 4.0, 1.0])
    np.testing.assert_array_equal(a.tangent, [1.0, 4.0, 0.0])


def test_array_without_vars_is_numpys() -> None:
    assert_exact(tp.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 4.0]]), "nested")
    assert_exact(tp.array([1, 2]), np.array([1.0, 2.0]), "ints become floats")
    assert_exact(tp.array([]), np.array([]), "empty")
    assert_exact(tp.array(2.5), np.array(2.5).item(), "a float")
    f32 = tp.array([np.ones(2, np.float32)])
    assert isinstance(f32, np.ndarray) and f32.dtype == np.float32
    assert tp.array([tp.Var(1.0), 2.0], dtype=np.float32).dtype == np.float32


def test_array_refuses_ragged_lists() -> None:
    x = tp.Var(1.0)
    with pytest.raises(ValueError, match=r"ragged.*element \[1\]\[0\] has shape \(\) but element "):
        tp.array([[x, x], [x, [x, x]]])
    with pytest.raises(ValueError, match=r"ragged.*\[0\] has shape \(2,\) but element \[1\] has"):
        tp.array([[x, x], [x]])
    with pytest.raises(
        ValueError, match=r"ragged sequence: element \[0\] has shape \(2,\).*\(3,\)"
    ):
        tp.array([[1.0, 2.0], [1.0, 2.0, 3.0]])  # plain, too: the same message
    with pytest.raises(TypeError, match="real numbers"):
        tp.array([x, "a"])


# ----- sort and partition: ties, and replay where the order changes ------------------------------


def test_a_tie_gives_the_gradient_to_the_element_argsort_put_there() -> None:
    w = np.array([1.0, 10.0, 100.0, 1000.0, 1e4])
    for kind in (None, "stable"):
        x = tp.Var(T)
        with tp.Tape() as t:
            y = tp.sum(tp.sort(x, kind=kind) * w)
        g = np.empty(5)
        g[np.argsort(T, kind=kind)] = w  # position i's weight goes to the element argsort put there
        np.testing.assert_array_equal(t.gradient(y, x), g)
    # stable: of the two 1.0s (indices 1 and 4) the earlier comes first
    np.testing.assert_array_equal(np.argsort(T, kind="stable"), [3, 1, 4, 0, 2])


def _replay_matches_a_fresh_recording(f: Fn, at: np.ndarray, new: np.ndarray) -> None:
    x = tp.Var(at)
    with tp.Tape(persistent=True) as t:
        y = f(x)
    prog = t.compile([x], [y])
    z = tp.Var(new)
    with tp.Tape() as t2:
        y2 = f(z)
    want = t2.gradient(y2, z)
    for run in (prog.value_and_grad, prog.value_and_grad_interpreted):
        value, (g,) = run(new)
        assert value == y2.value
        np.testing.assert_array_equal(g, want)
    np.testing.assert_allclose(prog.jvp(new, np.ones_like(new)), np.sum(want), rtol=1e-15)


W4 = np.array([1.0, 10.0, 100.0, 1000.0])


def test_a_compiled_sort_re_sorts_where_the_order_changed() -> None:
    def f(x: Any) -> Any:
        return tp.sum(np.sort(x) * W4)

    at, new = np.array([4.0, 1.0, 3.0, 2.0]), np.array([1.0, 3.0, 2.0, 4.0])
    _replay_matches_a_fresh_recording(f, at, new)
    x = tp.Var(at)
    with tp.Tape(persistent=True) as t:
        y = f(x)
    value, (g,) = t.compile([x], [y]).value_and_grad(new)
    assert value == 1.0 + 20.0 + 300.0 + 4000.0  # sorted at the new point, not in the old order
    np.testing.assert_array_equal(g, [1.0, 100.0, 10.0, 1000.0])


def test_a_compiled_partition_re_partitions() -> None:
    def f(x: Any) -> Any:
        return tp.sum(tp.partition(x, 1) ** 2 * W4)

    _replay_matches_a_fresh_recording(
        f, np.array([4.0, 1.0, 3.0, 2.0]), np.array([1.0, 5.0, 2.0, 0.5])
    )


def test_a_compiled_sort_along_an_axis_of_a_matrix() -> None:
    def f(x: Any) -> Any:
        return tp.sum(tp.sort(x, axis=0) * np.arange(6.0).reshape(3, 2))

    at = np.array([[3.0, 1.0], [1.0, 2.0], [2.0, 3.0]])
    _replay_matches_a_fresh_recording(f, at, at[::-1].copy())


def test_sort_under_nested_tapes_and_forward_over_reverse() -> None:
    def f(x: Any) -> Any:
        return tp.sum(tp.sort(x) ** 3 * np.arange(1.0, 5.0))

    x = np.array([0.5, -1.0, 2.0, 0.1])
    h = tp.hessian(f)(x)
    order = np.argsort(x)
    want = np.zeros((4, 4))
    want[order, order] = 6.0 * x[order] * np.arange(1.0, 5.0)
    np.testing.assert_allclose(h, want, rtol=1e-14)
    check_grads(f, [x], order=2)


def test_a_recorded_sort_keeps_its_order_as_a_record() -> None:
    x = tp.Var(np.array([2.0, 1.0]))
    with tp.Tape() as t:
        tp.sort(x)
    assert [e.primitive for e in t] == ["input", "sort_order", "permute"]


# ----- errors: what was wrong, and what to do ----------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: tp.diag(B), ValueError, "1- or 2-d"),
        (lambda: tp.flipud(F), ValueError, ">= 1-d"),
        (lambda: tp.fliplr(V), ValueError, ">= 2-d"),
        (lambda: tp.rot90(M, axes=(0, 0)), ValueError, "Axes must be different"),
        (lambda: tp.rot90(M, axes=(0, 3)), ValueError, "out of range"),
        (lambda: tp.rot90(M, axes=(0, 1, 2)), ValueError, "len\\(axes\\) must be 2"),
        (lambda: tp.moveaxis(B, [0, 0], [1, 2]), ValueError, "repeated axis in `source`"),
        (lambda: tp.moveaxis(B, [0, 1], [1]), ValueError, "same number of elements"),
        (lambda: tp.rollaxis(B, 0, 5), ValueError, "'start' arg requires"),
        (lambda: tp.roll(M, np.ones((1, 1), int), 0), ValueError, "scalars or 1D sequences"),  # type: ignore[call-overload]
        (lambda: tp.diff(V, n=-1), ValueError, "non-negative"),
        (lambda: tp.diff(F), ValueError, "at least one dimensional"),
        (lambda: tp.tile(V, -1), ValueError, "negative"),
        (lambda: tp.pad(M, 1, mode="mean"), ValueError, "supported: constant, edge"),
        (lambda: tp.pad(M, 1, mode="edge", constant_values=1), ValueError, "unsupported keyword"),
        (lambda: tp.pad(M, 1.5), TypeError, "integral"),
        (lambda: tp.pad(M, -1), ValueError, "negative"),
        (lambda: tp.pad(M, ((1, 2, 3),)), ValueError, "broadcast"),
        (lambda: tp.pad(np.zeros((0, 2)), 1, mode="wrap"), ValueError, "empty axis 0"),
        (lambda: tp.pad(V, 1, mode="reflect", reflect_type="odd"), ValueError, "'even'"),
        (lambda: _arrays.split(V, 2), ValueError, "equal division"),
        (lambda: tp.array_split(V, 0), ValueError, "larger than 0"),
        (lambda: tp.vsplit(V, 1), ValueError, "2 or more dimensions"),
        (lambda: tp.dsplit(M, 1), ValueError, "3 or more dimensions"),
        (lambda: tp.hsplit(F, 1), ValueError, "1 or more dimensions"),
        (lambda: tp.hstack([]), ValueError, "at least one array"),
        (lambda: tp.vstack(x for x in [M]), TypeError, '"sequence" type'),  # type: ignore[call-overload]
        (lambda: _arrays.stack([M, V]), ValueError, "same shape"),
        (lambda: _arrays.concatenate([F, F]), ValueError, "zero-dimensional"),
        (lambda: _arrays.concatenate([M], out=M), TypeError, "immutable"),  # type: ignore[call-overload]
        (lambda: tp.hstack([M, M], dtype=np.float32, casting="safe"), TypeError, "Cannot cast"),
        (lambda: tp.select([M > 0], [M, M]), ValueError, "same length"),
        (lambda: tp.select([], []), ValueError, "empty condition list"),
        (lambda: tp.select([M], [M]), TypeError, "invalid entry 0 in condlist"),
        (lambda: tp.sort(tp.Var(V), order="x"), TypeError, "structured"),  # type: ignore[call-overload]
        (lambda: tp.sort(tp.Var(3.0)), ValueError, "out of bounds"),
        (lambda: tp.ravel(M, order="K"), ValueError, "'C' or 'F'"),  # type: ignore[call-overload]
        (lambda: _arrays.reshape(M, (20,), order="A"), ValueError, "'C' or 'F'"),  # type: ignore[call-overload]
    ],
)
def test_bad_input_raises_clearly(call: Fn, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_tril_and_triu_give_exact_zeros_where_inf_would_make_nan() -> None:
    m = np.array([[1.0, np.inf], [np.inf, 2.0]])
    np.testing.assert_array_equal(tp.tril(tp.Var(m)).value, np.tril(m))
    np.testing.assert_array_equal(
        tp.diag(tp.Var(np.array([np.inf, 1.0]))).value, np.diag([np.inf, 1.0])
    )


def test_select_with_recorded_conditions_replays() -> None:
    def f(x: Any) -> Any:
        return tp.sum(tp.select([x > 1.0, x < -1.0], [x * x, -x], 0.5 * x))

    _replay_matches_a_fresh_recording(
        f, np.array([2.0, -2.0, 0.3, 0.1]), np.array([0.3, 2.0, -2.0, 1.5])
    )


def test_sort_jacobians_are_the_permutation_in_both_modes() -> None:
    a = np.array([[3.0, 1.0], [2.0, 4.0]])
    rows = np.eye(4)[[1, 0, 2, 3]]  # sort along the last axis: row 0 swaps its two elements
    cols = np.eye(4)[[2, 1, 0, 3]]  # along axis 0: column 0 swaps
    np.testing.assert_array_equal(tp.jacfwd(tp.sort)(a).reshape(4, 4), rows)
    np.testing.assert_array_equal(tp.jacrev(tp.sort)(a).reshape(4, 4), rows)
    np.testing.assert_array_equal(tp.jacfwd(lambda v: tp.sort(v, axis=0))(a).reshape(4, 4), cols)
    np.testing.assert_array_equal(tp.jacrev(lambda v: tp.sort(v, axis=0))(a).reshape(4, 4), cols)


def test_a_compiled_sort_gives_hvp_and_jacobian_at_the_new_order() -> None:
    def f(x: Any) -> Any:
        return tp.sum(tp.sort(x) ** 3 * np.arange(1.0, 5.0))

    x = tp.Var(np.array([4.0, 1.0, 3.0, 2.0]))
    with tp.Tape(persistent=True) as t:
        y = f(x)
    prog = t.compile([x], [y])
    new = np.array([1.0, 3.0, 2.0, 4.0])  # ranks 0, 2, 1, 3: weights 1, 3, 2, 4
    np.testing.assert_array_equal(prog.hvp(new, np.ones(4)), 6.0 * new * [1.0, 3.0, 2.0, 4.0])
    np.testing.assert_array_equal(prog.jacobian(new), 3.0 * new**2 * [1.0, 3.0, 2.0, 4.0])
