"""Statistics (cumprod, the nan-reductions, average, ptp, median, quantile, percentile): NumPy's
values on plain arrays, the NumPy protocol reaching tape's functions, closed-form gradients,
the conventions at zeros, nans and ties, and replay where the sort order or the nan pattern
changes. (Gradients against finite differences are in the case table: ``_cases_stats``.)"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from _draw import keyed_rng

import tape as tp

Fn = Callable[..., Any]

X = keyed_rng("stats/x").standard_normal((3, 4, 5))
XN = X.copy()
XN[0, 1, 2] = XN[1, :, 3] = XN[2, 2, :] = np.nan  # a slice of nan alone along axes 0 and 2
W = np.abs(keyed_rng("stats/w").standard_normal((3, 4, 5))) + 0.1
AXES: list[dict[str, Any]] = [
    {},
    {"axis": 0},
    {"axis": -1},
    {"axis": (0, 2)},
    {"axis": (2, 0), "keepdims": True},
    {"axis": 1, "keepdims": True},
]

# ----- values equal NumPy's (exactly: the same floating-point operations) ----------------------

VALUES: list[tuple[str, Fn, Fn, tp.Array]] = []
for kw in AXES:
    for name, ours, theirs in [
        ("median", tp.median, np.median),
        ("ptp", tp.ptp, np.ptp),
        ("nansum", tp.nansum, np.nansum),
        ("nanmean", tp.nanmean, np.nanmean),
        ("nanvar", tp.nanvar, np.nanvar),
        ("nanstd", tp.nanstd, np.nanstd),
        ("nanmax", tp.nanmax, np.nanmax),
        ("nanmin", tp.nanmin, np.nanmin),
        ("average", tp.average, np.average),
    ]:
        arr = XN if name.startswith("nan") else X
        VALUES.append(
            (
                f"{name}-{kw}",
                lambda a, f=ours, k=kw: f(a, **k),
                lambda a, f=theirs, k=kw: f(a, **k),
                arr,
            )
        )
    for q in [0.0, 0.3, 0.5, 1.0, [0.1, 0.75], [[0.2], [0.9]]]:
        VALUES.append(
            (
                f"quantile-{q}-{kw}",
                lambda a, qq=q, k=kw: tp.quantile(a, qq, **k),
                lambda a, qq=q, k=kw: np.quantile(a, qq, **k),
                X,
            )
        )
    VALUES.append(
        (
            f"percentile-{kw}",
            lambda a, k=kw: tp.percentile(a, [25, 50, 99.5], **k),
            lambda a, k=kw: np.percentile(a, [25, 50, 99.5], **k),
            X,
        )
    )
VALUES += [
    ("median-even", tp.median, np.median, X[0, 0, :4]),
    ("median-odd", tp.median, np.median, X[0, 0, :5]),
    ("median-0d", tp.median, np.median, np.array(1.5)),
    ("median-nan", lambda a: tp.median(a, 1), lambda a: np.median(a, 1), XN),
    ("quantile-nan", lambda a: tp.quantile(a, 0.3, 2), lambda a: np.quantile(a, 0.3, 2), XN),
    ("nanvar-ddof", lambda a: tp.nanvar(a, 1, ddof=1), lambda a: np.nanvar(a, 1, ddof=1), XN),
    ("nanstd-ddof4", lambda a: tp.nanstd(a, 1, ddof=4), lambda a: np.nanstd(a, 1, ddof=4), XN),
    ("nanvar-ddof-high", lambda a: tp.nanvar(a, 0, ddof=3), lambda a: np.nanvar(a, 0, ddof=3), XN),
    ("average-weights", lambda a: tp.average(a, weights=W), lambda a: np.average(a, weights=W), X),
    (
        "average-weights-1d",
        lambda a: tp.average(a, 1, W[0, :, 0]),
        lambda a: np.average(a, 1, W[0, :, 0]),
        X,
    ),
    (
        "average-weights-tuple",
        lambda a: tp.average(a, (2, 0), W[:, 0, :].T, keepdims=True),
        lambda a: np.average(a, (2, 0), W[:, 0, :].T, keepdims=True),
        X,
    ),
    (
        "average-returned",
        lambda a: tp.average(a, 1, W[0, :, 0], returned=True)[1],
        lambda a: np.average(a, 1, W[0, :, 0], returned=True)[1],
        X,
    ),
    (
        "average-returned-no-weights",
        lambda a: tp.average(a, (0, 1), returned=True)[1],
        lambda a: np.average(a, (0, 1), returned=True)[1],
        X,
    ),
    (
        "amax-tuple",
        lambda a: np.amax(a, axis=(0, 2), keepdims=True),  # a Var on the tape: tp.max
        lambda a: np.amax(a, axis=(0, 2), keepdims=True),
        X,
    ),
    (
        "amin-tuple",
        lambda a: np.amin(a, axis=(-1, 1)),
        lambda a: np.amin(a, axis=(-1, 1)),
        X,
    ),
]


@pytest.mark.parametrize(
    ("ours", "theirs", "arr"), [v[1:] for v in VALUES], ids=[v[0] for v in VALUES]
)
def test_values_equal_numpy(ours: Fn, theirs: Fn, arr: tp.Array) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy warns on a slice of nan alone
        want = theirs(arr)
        got = ours(arr)
        with tp.Tape():
            rec = ours(tp.Var(arr))
    assert np.shape(got) == np.shape(want)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(rec.value if isinstance(rec, tp.Var) else rec, want)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumprod_values_equal_numpy_up_to_rounding(axis: int | None) -> None:
    """Recursive doubling groups the products differently from NumPy's running loop."""
    np.testing.assert_allclose(tp.cumprod(X, axis), np.cumprod(X, axis), rtol=1e-14, atol=0)
    zeros = np.array([2.0, 0.0, 3.0, 0.0, -1.0])
    np.testing.assert_array_equal(tp.cumprod(zeros), np.cumprod(zeros))
    long = keyed_rng("cp/long").uniform(0.9, 1.1, 1000)
    np.testing.assert_allclose(tp.cumprod(long), np.cumprod(long), rtol=1e-13, atol=0)


# ----- NumPy's functions reach tape's --------------------------------------------------------

NP_CALLS: list[tuple[str, Fn, str]] = [
    ("cumprod", lambda v: np.cumprod(v, axis=1), "multiply"),
    ("nansum", lambda v: np.nansum(v, axis=(0, 1)), "where"),
    ("nanmean", lambda v: np.nanmean(v, 0, keepdims=True), "where"),
    ("nanvar", lambda v: np.nanvar(v, 1, ddof=1), "where"),
    ("nanstd", lambda v: np.nanstd(v, axis=-1), "sqrt"),
    ("nanmax", lambda v: np.nanmax(v, axis=1), "max"),
    ("nanmin", lambda v: np.nanmin(v), "min"),
    ("average", lambda v: np.average(v, axis=1, weights=W[0, :, 0]), "divide"),
    ("ptp", lambda v: np.ptp(v, axis=(0, 2)), "min"),
    ("median", lambda v: np.median(v, axis=-1), "getitem"),
    ("quantile", lambda v: np.quantile(v, [0.2, 0.4], axis=0), "getitem"),
    ("percentile", lambda v: np.percentile(v, 30, axis=1, keepdims=True), "getitem"),
    ("amax", lambda v: np.amax(v, axis=(0, 1)), "max"),
    ("amin", lambda v: np.amin(v, axis=2, keepdims=True), "min"),
]


@pytest.mark.parametrize(("call", "row"), [c[1:] for c in NP_CALLS], ids=[c[0] for c in NP_CALLS])
def test_numpy_functions_reach_tape(call: Fn, row: str) -> None:
    v = tp.Var(X)
    with tp.Tape() as t:
        out = call(v)
    assert isinstance(out, tp.Var)
    assert row in {e.primitive for e in t}
    np.testing.assert_allclose(out.value, call(X), rtol=1e-14, atol=0)  # cumprod: rounding
    assert isinstance(call(tp.Dual(X, np.ones_like(X))), tp.Dual)


def test_numpy_only_arguments_are_refused_clearly() -> None:
    v = tp.Var(X)
    with pytest.raises(TypeError, match="out="):
        np.nansum(v, out=np.empty(()))
    with pytest.raises(TypeError, match="weights="):
        np.quantile(v, 0.5, weights=np.ones_like(X))


# ----- closed forms and conventions -----------------------------------------------------------


def _grad(f: Fn, *args: tp.Value) -> list[Any]:
    xs = [tp.Var(a) for a in args]
    with tp.Tape() as t:
        y = f(*xs)
    return t.gradient(y, xs)


def test_median_of_an_odd_vector_has_a_one_hot_gradient() -> None:
    x = np.array([0.3, -1.2, 2.5, 0.9, -0.4])
    (g,) = _grad(tp.median, x)
    np.testing.assert_array_equal(g, [1.0, 0.0, 0.0, 0.0, 0.0])  # 0.3 is the middle value
    out, tangent = tp.jvp(tp.median, [x], [np.array([1.0, 2.0, 3.0, 4.0, 5.0])])
    assert out == 0.3 and tangent == 1.0


def test_median_of_an_even_vector_splits_the_gradient_between_the_middle_two() -> None:
    (g,) = _grad(tp.median, np.array([4.0, 1.0, 3.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.5, 0.5])


def test_median_along_an_axis_is_one_hot_per_slice() -> None:
    x = keyed_rng("med/axis").permutation(15).reshape(3, 5).astype(float)
    (g,) = _grad(lambda v: tp.sum(tp.median(v, axis=1)), x)
    want = (x == np.median(x, axis=1, keepdims=True)).astype(float)
    np.testing.assert_array_equal(g, want)


def test_tied_order_statistics_follow_a_stable_argsort() -> None:
    """Equal values are ranked in array order (a stable argsort), and the gradient goes to
    the one at the rank NumPy's answer reads: not shared, unlike tp.max's ties."""
    x = np.array([2.0, 1.0, 2.0, 5.0, 2.0])  # ranks: 1→0, the 2s at 0, 2, 4 → 1, 2, 3
    (g,) = _grad(tp.median, x)  # rank 2: the second 2
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0, 0.0, 0.0])
    (g,) = _grad(lambda v: tp.quantile(v, 0.25), x)  # rank 1: the first 2
    np.testing.assert_array_equal(g, [1.0, 0.0, 0.0, 0.0, 0.0])
    (g,) = _grad(lambda v: tp.quantile(v, 1.0), np.array([3.0, 1.0, 3.0]))  # the last 3
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])


def test_quantile_gradient_is_the_interpolation_weights() -> None:
    """q = 0.3 of 5 values: virtual index 1.2, so 0.8 to the 2nd smallest, 0.2 to the 3rd."""
    x = np.array([5.0, 1.0, 4.0, 2.0, 3.0])  # sorted: 1 2 3 4 5 at positions 1 3 4 2 0
    (g,) = _grad(lambda v: tp.quantile(v, 0.3), x)
    np.testing.assert_allclose(g, [0.0, 0.0, 0.0, 0.8, 0.2], rtol=1e-15, atol=1e-15)
    (g,) = _grad(lambda v: tp.percentile(v, 87.5), x)  # virtual index 3.5: ½ to 4 and to 5
    np.testing.assert_allclose(g, [0.5, 0.0, 0.5, 0.0, 0.0], rtol=1e-15)
    (g,) = _grad(lambda v: tp.sum(tp.quantile(v, [0.0, 1.0])), x)  # the min and the max
    np.testing.assert_array_equal(g, [1.0, 1.0, 0.0, 0.0, 0.0])


def test_cumprod_gradient_is_exact_at_zeros() -> None:
    """Σ cumprod([2, 0, 3]) = 2 + 2·x1 + 2·x1·3 with x1 = 0: ∂/∂x = (1, x0 + x0·x2, x0·x1)."""
    (g,) = _grad(lambda v: tp.sum(tp.cumprod(v)), np.array([2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(g, [1.0, 8.0, 0.0])
    (g,) = _grad(lambda v: tp.sum(tp.cumprod(v)), np.array([0.0, 0.0, 3.0]))
    np.testing.assert_array_equal(g, [1.0, 0.0, 0.0])
    (g,) = _grad(lambda v: tp.cumprod(v)[-1], np.array([1.5, 0.0, -2.0]))  # = prod's
    np.testing.assert_array_equal(g, [0.0, -3.0, 0.0])
    out, tangent = tp.jvp(tp.cumprod, [np.array([2.0, 0.0, 3.0])], [np.array([0.0, 1.0, 0.0])])
    np.testing.assert_array_equal(out, [2.0, 0.0, 0.0])
    np.testing.assert_array_equal(tangent, [0.0, 2.0, 6.0])


def test_cumprod_hessian_is_exact_at_zeros() -> None:
    """∂²Σ cumprod/∂x[i]∂x[j] = Σ_{k ≥ max(i, j)} Π_{l ≤ k, l ∉ {i, j}} x[l], zeros included
    (a rule that masked the places after the first zero would give 0 for some of these)."""
    x = np.array([2.0, 0.0, 3.0, 0.0, -1.0, 1.5])
    n = len(x)
    want = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                want[i, j] = sum(
                    np.prod([x[m] for m in range(k + 1) if m not in (i, j)])
                    for k in range(max(i, j), n)
                )
    np.testing.assert_array_equal(tp.hessian(lambda v: tp.sum(tp.cumprod(v)))(x), want)
    assert want[1, 3] != 0.0  # the two zeros' mixed derivative: the others' product


def test_nan_entries_get_zero_gradient() -> None:
    x = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, -1.0]])
    ok = ~np.isnan(x)
    (g,) = _grad(tp.nansum, x)
    np.testing.assert_array_equal(g, ok.astype(float))
    (g,) = _grad(lambda v: tp.sum(tp.nanmean(v, axis=1)), x)
    np.testing.assert_array_equal(g, ok / 2.0)
    (g,) = _grad(lambda v: tp.sum(tp.nanmax(v, axis=0)), x)
    np.testing.assert_array_equal(g, [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    (g,) = _grad(lambda v: tp.sum(tp.nanvar(v, axis=1)), x)  # 2(x − mean)/n on the others
    means = np.nanmean(x, axis=1, keepdims=True)
    np.testing.assert_allclose(g, np.where(ok, (x - means), 0.0), rtol=1e-14)
    (g,) = _grad(lambda v: tp.sum(tp.nanstd(v, axis=1, ddof=1)), x)
    assert np.all(np.isfinite(g)) and np.all(g[~ok] == 0.0)


def test_a_slice_of_nan_alone_gives_nan_like_numpy_with_zero_gradient() -> None:
    x = np.array([[np.nan, np.nan], [1.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pairs: list[tuple[Fn, Fn]] = [
            (tp.nanmax, np.nanmax),
            (tp.nanmin, np.nanmin),
            (tp.nanmean, np.nanmean),
            (tp.nanvar, np.nanvar),
            (tp.nanstd, np.nanstd),
            (tp.median, np.median),
        ]
        for ours, theirs in pairs:
            np.testing.assert_array_equal(ours(x, axis=1), theirs(x, axis=1))
            (g,) = _grad(lambda v, f=ours: tp.nansum(f(v, axis=1)), x)
            assert np.all(np.isfinite(g)), ours
            np.testing.assert_array_equal(g[0], [0.0, 0.0])


def test_nanvar_with_too_few_values_for_ddof_is_nan_with_zero_gradient() -> None:
    x = np.array([[1.0, np.nan, 2.0], [3.0, 4.0, 6.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.nanvar(x, axis=1, ddof=2)
    np.testing.assert_array_equal(tp.nanvar(x, axis=1, ddof=2), want)
    assert np.isnan(want[0]) and want[1] == np.var(x[1], ddof=2)
    (g,) = _grad(lambda v: tp.nansum(tp.nanvar(v, axis=1, ddof=2)), x)
    np.testing.assert_array_equal(g[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(g[1], 2 * (x[1] - x[1].mean()), rtol=1e-14)


def test_average_is_differentiable_in_the_weights() -> None:
    """∂/∂wᵢ (Σ a·w / Σ w) = (aᵢ − average) / Σ w; ∂/∂aᵢ = wᵢ / Σ w."""
    a, w = np.array([1.0, 4.0, -2.0]), np.array([0.5, 1.5, 2.0])
    avg = np.average(a, weights=w)
    ga, gw = _grad(lambda x, y: tp.average(x, weights=y), a, w)
    np.testing.assert_allclose(ga, w / w.sum(), rtol=1e-15)
    np.testing.assert_allclose(gw, (a - avg) / w.sum(), rtol=1e-14)


def test_average_refuses_weights_that_sum_to_zero_and_bad_shapes() -> None:
    with pytest.raises(ZeroDivisionError, match="sum to zero"):
        tp.average(np.ones(3), weights=np.array([1.0, -1.0, 0.0]))
    with pytest.raises(TypeError, match="axis must be given"):
        tp.average(np.ones((2, 3)), weights=np.ones(3))
    with pytest.raises(ValueError, match="need shape"):
        tp.average(np.ones((2, 3)), axis=1, weights=np.ones(2))


def test_quantile_refuses_what_it_cannot_do() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        tp.quantile(X, 1.5)
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        tp.percentile(X, -5)
    with pytest.raises(ValueError, match="'linear'"):
        tp.quantile(X, 0.5, method="nearest")
    with pytest.raises(TypeError, match="q must be plain"):
        tp.quantile(X, tp.Var(0.5))
    with pytest.raises(ValueError, match="empty"):
        tp.median(np.ones((2, 0)), axis=1)
    with pytest.raises(ValueError, match="out of bounds"):
        tp.median(X, axis=3)


# ----- replay: the sort order and the nan mask -------------------------------------------------


def _compiled(f: Fn, x: tp.Array) -> tuple[tp.Program, Any]:
    v = tp.Var(x)
    with tp.Tape() as t:
        y = f(v)
    return t.compile([v], [y]), y


@pytest.mark.parametrize(
    "f",
    [
        lambda v: tp.median(v),
        lambda v: tp.sum(tp.quantile(v, [0.3, 0.6])),
        lambda v: tp.percentile(v, 50.0),
    ],
    ids=["median", "quantile", "percentile"],
)
def test_replay_where_the_sort_order_changes_raises(f: Fn) -> None:
    x0 = np.array([0.5, -1.0, 2.0, 0.1, 1.3])
    prog, _ = _compiled(f, x0)
    same_order = x0 + np.array([0.05, -0.02, 0.1, 0.0, 0.03])  # same ranks: a correct replay
    value, (g,) = prog.value_and_grad(same_order)
    want_value, want_g = tp.value_and_grad(f)(same_order)
    np.testing.assert_allclose(value, want_value, rtol=1e-14)
    np.testing.assert_allclose(g, want_g, rtol=1e-14)
    swapped = np.array([2.0, -1.0, 0.5, 0.1, 1.3])  # the median element moves
    for run in (prog, prog.value_and_grad, prog.value_and_grad_interpreted):
        with pytest.raises(tp.TapeInvalidated, match="argsort"):
            run(swapped)


def test_replay_recomputes_the_nan_mask() -> None:
    f = tp.nanmean
    prog, _ = _compiled(lambda v: f(v), np.array([1.0, np.nan, 3.0, 4.0]))
    x1 = np.array([np.nan, 2.0, 3.0, np.nan])  # nans elsewhere, and more of them
    value, (g,) = prog.value_and_grad(x1)
    assert value == 2.5
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.5, 0.0])


def test_replay_recomputes_the_nan_slices_of_nanmax() -> None:
    prog, _ = _compiled(
        lambda v: tp.nansum(tp.nanmax(v, axis=1)), np.array([[1.0, 2.0], [3.0, 0.5]])
    )
    value, (g,) = prog.value_and_grad(np.array([[np.nan, np.nan], [3.0, np.nan]]))
    assert value == 3.0
    np.testing.assert_array_equal(g, [[0.0, 0.0], [1.0, 0.0]])


def test_replay_where_the_weights_come_to_sum_to_zero_raises() -> None:
    a = tp.Var(np.array([1.0, 2.0]))
    w = tp.Var(np.array([1.0, 1.0]))
    with tp.Tape() as t:
        y = tp.average(a, weights=w)
    prog = t.compile([a, w], [y])
    assert prog(np.array([1.0, 2.0]), np.array([1.0, 3.0])) == pytest.approx(1.75)
    with pytest.raises(tp.TapeInvalidated):
        prog(np.array([1.0, 2.0]), np.array([1.0, -1.0]))
