"""Derivatives at the edges: kinks, poles, 0, ±∞, integer exponents, single-element
statistics. Each convention is checked in reverse mode (``tp.grad``) and forward mode
(``tp.jvp``), on a Python float and on an array (the rules take different paths for them),
and where a second derivative means something, reverse-over-reverse and forward-over-reverse
as well.

The conventions follow PyTorch's (``derivatives.yaml`` / ``FunctionsManual.cpp``) and JAX's
(``jax/_src/lax/lax.py``) where those agree, PyTorch's where they differ; each row's
docstring says which. Where the true derivative does not exist and no framework defines one
(0·∞ in ``where``'s unselected branch, a negative base's derivative in the exponent) the
answer is nan, and the test says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tape as tp
from tape.testing import check_grads

# inf and nan are the subject here: NumPy's warnings about making them are expected
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

Fn = Callable[..., Any]
INF = math.inf
NAN = math.nan


def first(f: Fn, x: float) -> list[float]:
    """f'(x) by reverse mode and by forward mode, on a float and on a one-element array."""
    out = [float(tp.grad(f)(x)), float(tp.jvp(f, (x,), (1.0,))[1])]
    a = np.array([x])
    out.append(float(np.asarray(tp.grad(lambda v: tp.sum(f(v)))(a))[0]))
    out.append(float(np.asarray(tp.jvp(f, (a,), (np.ones(1),))[1])[0]))
    return out


def second(f: Fn, x: float) -> list[float]:
    """f''(x): reverse-over-reverse and forward-over-reverse, float and array."""
    g = tp.grad(f)
    out = [float(tp.grad(g)(x)), float(tp.jvp(g, (x,), (1.0,))[1])]
    a = np.array([x])
    out.append(float(tp.hessian(lambda v: tp.sum(f(v)))(a)[0, 0]))
    ga = tp.grad(lambda v: tp.sum(f(v)))
    out.append(float(np.asarray(tp.jvp(ga, (a,), (np.ones(1),))[1])[0]))
    return out


def same(got: list[float], want: float) -> None:
    np.testing.assert_allclose(got, [want] * len(got), rtol=1e-12, atol=0, equal_nan=True)


# ----- power -------------------------------------------------------------------------------------

POWER_X: list[tuple[str, Fn, float, float, float | None]] = [
    # id, f, x, f'(x), f''(x) (None: not meaningful)
    ("x**0-at-0", lambda x: x**0, 0.0, 0.0, 0.0),  # PyTorch pow_backward, JAX integer_pow: 0
    ("x**0.0-at-0", lambda x: x**0.0, 0.0, 0.0, 0.0),
    ("x**0-at-2", lambda x: x**0, 2.0, 0.0, 0.0),
    ("x**0-at-inf", lambda x: x**0, INF, 0.0, None),
    ("x**1-at-0", lambda x: x**1, 0.0, 1.0, 0.0),  # f'' was 0·0**-1 = nan
    ("x**2-at-0", lambda x: x**2, 0.0, 0.0, 2.0),
    ("x**3-at-0", lambda x: x**3, 0.0, 0.0, 0.0),
    ("x**0.5-at-0", lambda x: x**0.5, 0.0, INF, None),  # PyTorch and JAX: inf
    ("x**1.5-at-0", lambda x: x**1.5, 0.0, 0.0, INF),
    ("x**-1-at-0", lambda x: x**-1.0, 0.0, -INF, None),
    ("(-2)**3", lambda x: x**3, -2.0, 12.0, -12.0),  # a negative base, integer exponent: exact
    ("(-2)**2", lambda x: x**2, -2.0, -4.0, 2.0),
    ("(-2)**-1", lambda x: x**-1, -2.0, -0.25, -0.25),
    ("(-8)**(1/3)", lambda x: x ** (1.0 / 3.0), -8.0, NAN, None),  # NumPy's nan value
    ("x**2-at-inf", lambda x: x**2, INF, INF, None),
    ("np.power", lambda x: np.power(x, 0.0), 0.0, 0.0, 0.0),
]


@pytest.mark.parametrize(
    ("f", "x", "d1", "d2"), [p[1:] for p in POWER_X], ids=[p[0] for p in POWER_X]
)
def test_power_in_the_base(f: Fn, x: float, d1: float, d2: float | None) -> None:
    same(first(f, x), d1)
    if d2 is not None:
        same(second(f, x), d2)


POWER_Y: list[tuple[str, float, float, float]] = [
    # id, base x, exponent y, d(x**y)/dy
    ("0**2", 0.0, 2.0, 0.0),  # x**y·ln x → 0 as x → 0⁺ for y > 0 (PyTorch; JAX)
    ("0**0.5", 0.0, 0.5, 0.0),
    ("0**0", 0.0, 0.0, 0.0),  # PyTorch: 0 by continuity from y → 0⁺ (JAX: 0)
    ("0**-1", 0.0, -1.0, -INF),  # PyTorch: −∞, the limit as x → 0⁺ (JAX: nan)
    ("2**0", 2.0, 0.0, math.log(2.0)),
    ("(-2)**3", -2.0, 3.0, NAN),  # real only at integer y: no derivative in y (both)
    ("inf**2", INF, 2.0, INF),
]


@pytest.mark.parametrize(("x", "y", "dy"), [p[1:] for p in POWER_Y], ids=[p[0] for p in POWER_Y])
def test_power_in_the_exponent(x: float, y: float, dy: float) -> None:
    same(first(lambda e: tp.power(x, e), y), dy)


def test_power_at_zero_zero_in_both_arguments() -> None:
    def f(v: Any) -> Any:
        return v[0] ** v[1]

    p = np.array([0.0, 0.0])
    np.testing.assert_array_equal(tp.grad(f)(p), [0.0, 0.0])
    np.testing.assert_array_equal(tp.jacfwd(f)(p), [0.0, 0.0])
    np.testing.assert_array_equal(tp.jacrev(f)(p), [0.0, 0.0])


def test_power_keeps_its_mixed_second_derivative_at_a_zero_exponent() -> None:
    # the x = 0, y = 0 fix must not touch x ≠ 0: d²(x**y)/dx dy = 1/x at y = 0
    def f(v: Any) -> Any:
        return v[0] ** v[1]

    p = np.array([2.0, 0.0])
    want = np.array([[0.0, 0.5], [0.5, math.log(2.0) ** 2]])
    np.testing.assert_allclose(tp.hessian(f)(p), want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tp.jacrev(tp.grad(f))(p), want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tp.jacfwd(tp.grad(f))(p), want, rtol=1e-12, atol=1e-15)
    check_grads(f, [np.array([2.0, 0.3])], order=2)


def test_power_of_an_array_with_some_zeros() -> None:
    x = np.array([0.0, 1.5, 0.0, -2.0])
    y = np.array([0.0, 0.0, 2.0, 3.0])
    gx = tp.grad(lambda a: tp.sum(tp.power(a, y)))(x)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0, 12.0])
    h = tp.hessian(lambda a: tp.sum(a**1.0 + a**2.0))(np.array([0.0, 3.0]))
    np.testing.assert_array_equal(h, np.diag([2.0, 2.0]))


# ----- elementwise kinks and poles ------------------------------------------------------------

ELEMENTWISE: list[tuple[str, Fn, float, float, float | None]] = [
    ("abs-at-0", tp.abs, 0.0, 0.0, 0.0),  # PyTorch sign(0) = 0 (JAX: 1)
    ("abs-at-inf", tp.abs, INF, 1.0, 0.0),
    ("abs-at-minus-inf", tp.abs, -INF, -1.0, 0.0),
    ("abs-builtin-at-0", lambda x: abs(x), 0.0, 0.0, 0.0),
    ("sign-at-0", tp.sign, 0.0, 0.0, 0.0),  # zero everywhere (both)
    ("sign-at-2", tp.sign, 2.0, 0.0, 0.0),
    ("relu-at-0", tp.relu, 0.0, 0.0, 0.0),  # both: 0
    ("relu-at-inf", tp.relu, INF, 1.0, 0.0),
    ("sqrt-at-0", tp.sqrt, 0.0, INF, None),  # both: inf
    ("sqrt-at-inf", tp.sqrt, INF, 0.0, None),
    ("log-at-0", tp.log, 0.0, INF, None),  # both: 1/0
    ("log-at-inf", tp.log, INF, 0.0, None),
    ("log-below-0", tp.log, -2.0, -0.5, -0.25),  # nan value, finite 1/x (both)
    ("log1p-at-minus-1", tp.log1p, -1.0, INF, None),
    ("exp-at-minus-inf", tp.exp, -INF, 0.0, 0.0),
    ("exp-at-inf", tp.exp, INF, INF, INF),
    ("tanh-at-inf", tp.tanh, INF, 0.0, None),
    ("sigmoid-at-minus-inf", tp.sigmoid, -INF, 0.0, None),
    ("softplus-at-inf", tp.softplus, INF, 1.0, None),
    ("softplus-at-minus-inf", tp.softplus, -INF, 0.0, None),
    ("reciprocal-at-0", lambda x: 1.0 / x, 0.0, -INF, None),
    ("reciprocal-at-inf", lambda x: 1.0 / x, INF, -0.0, None),
    ("divide-by-0", lambda x: x / 0.0, 1.0, INF, None),  # 1/y (both)
    ("clip-at-lower", lambda x: tp.clip(x, 0.0, 1.0), 0.0, 1.0, 0.0),  # PyTorch clamp (JAX ½)
    ("clip-at-upper", lambda x: tp.clip(x, 0.0, 1.0), 1.0, 1.0, 0.0),
    ("clip-outside", lambda x: tp.clip(x, 0.0, 1.0), 1.5, 0.0, 0.0),
    ("clip-at-inf", lambda x: tp.clip(x, None, 1.0), -INF, 1.0, 0.0),
    ("maximum-tie", lambda x: tp.maximum(x, 0.5), 0.5, 0.5, 0.0),  # ½ each (both)
    ("minimum-tie", lambda x: tp.minimum(0.5, x), 0.5, 0.5, 0.0),
    ("maximum-self", lambda x: tp.maximum(x, x), 0.7, 1.0, 0.0),  # ½ + ½
    ("round-at-a-step", lambda x: _round(x), 2.5, 0.0, 0.0),  # a step function: 0 (both)
]


def _round(x: Any) -> Any:
    from tape._table import round as round_

    return round_(x) + 0.0 * x  # a function of x whose derivative is round's: 0


@pytest.mark.parametrize(
    ("f", "x", "d1", "d2"), [e[1:] for e in ELEMENTWISE], ids=[e[0] for e in ELEMENTWISE]
)
def test_elementwise_edges(f: Fn, x: float, d1: float, d2: float | None) -> None:
    same(first(f, x), d1)
    if d2 is not None:
        same(second(f, x), d2)


def test_divide_in_the_denominator_at_zero() -> None:
    same(first(lambda y: 1.0 / y, 0.0), -INF)  # −(x/y)/y (PyTorch's div backward)
    same(first(lambda y: 0.0 / y, 0.0), NAN)  # 0/0: nan in both frameworks
    same(first(lambda y: 0.0 / y, 2.0), -0.0)


def test_maximum_tie_shares_the_gradient_in_both_modes() -> None:
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 0.0, 3.0])
    gx, gy = tp.grad(lambda a, b: tp.sum(tp.maximum(a, b)), (0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.5, 1.0, 0.5])
    np.testing.assert_array_equal(gy, [0.5, 0.0, 0.5])
    _, jv = tp.jvp(lambda a, b: tp.minimum(a, b), (x, y), (np.ones(3), np.zeros(3)))
    np.testing.assert_array_equal(jv, [0.5, 0.0, 0.5])


def test_where_gives_the_unselected_branch_zero_and_the_sqrt_trap() -> None:
    x = np.array([0.0, 4.0])

    def trap(v: Any) -> Any:
        return tp.sum(tp.where(v > 0.0, tp.sqrt(v), 0.0))

    def safe(v: Any) -> Any:
        return tp.sum(tp.where(v > 0.0, tp.sqrt(tp.where(v > 0.0, v, 1.0)), 0.0))

    # sqrt'(0) = inf times where's 0 is nan, as in every framework; the safe form is 0
    np.testing.assert_array_equal(tp.grad(trap)(x), [NAN, 0.25])
    np.testing.assert_array_equal(tp.grad(safe)(x), [0.0, 0.25])
    np.testing.assert_array_equal(tp.jvp(safe, (x,), (np.ones(2),))[1], 0.25)
    np.testing.assert_array_equal(tp.hessian(safe)(x), np.diag([0.0, -1.0 / 32.0]))


# ----- reductions ------------------------------------------------------------------------------


def test_max_and_min_ties_share_equally() -> None:
    x = np.array([1.0, 3.0, 3.0, -2.0, -2.0, -2.0])
    np.testing.assert_array_equal(tp.grad(lambda v: tp.max(v))(x), [0.0, 0.5, 0.5, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(
        tp.grad(lambda v: tp.min(v))(x), [0.0, 0.0, 0.0, 1 / 3, 1 / 3, 1 / 3]
    )
    _, jv = tp.jvp(lambda v: tp.max(v), (x,), (np.arange(6.0),))
    assert jv == pytest.approx(0.5 * 1.0 + 0.5 * 2.0)
    g = tp.grad(lambda v: tp.sum(v.max(axis=1)))(x.reshape(2, 3))
    np.testing.assert_array_equal(g, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


@pytest.mark.parametrize(
    ("x", "grad"),
    [
        ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
        ([0.0, 3.0, 4.0], [12.0, 0.0, 0.0]),  # one zero: the product of the others
        ([0.0, 0.0, 4.0], [0.0, 0.0, 0.0]),  # two zeros: all 0
    ],
)
def test_prod_at_zeros_is_exact(x: list[float], grad: list[float]) -> None:
    a = np.array(x)
    np.testing.assert_array_equal(tp.grad(lambda v: tp.prod(v))(a), grad)
    np.testing.assert_array_equal(tp.jacfwd(lambda v: tp.prod(v))(a), grad)
    h = np.array(
        [
            [
                math.prod(a[k] for k in range(3) if k not in (i, j)) if i != j else 0.0
                for j in range(3)
            ]
            for i in range(3)
        ]
    )
    np.testing.assert_array_equal(tp.hessian(lambda v: tp.prod(v))(a), h)
    np.testing.assert_array_equal(tp.jacrev(tp.grad(lambda v: tp.prod(v)))(a), h)


def test_logsumexp_with_minus_infinity_entries() -> None:
    x = np.array([-INF, 0.0, -INF])
    np.testing.assert_array_equal(tp.grad(lambda v: tp.logsumexp(v))(x), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(tp.jvp(lambda v: tp.logsumexp(v), (x,), (np.ones(3),))[1], 1.0)


# ----- std and var over a single element (item 2) ----------------------------------------------

ONE = np.array([3.0])
ROW = np.array([[1.5, -2.0, 0.5]])  # over axis 0: three groups of one element
EQUAL = np.full(4, 0.7)  # all equal: std is 0 at a kink
STATS: list[tuple[str, Fn, np.ndarray, bool]] = [
    # id, f, x, whether f is identically 0 near x (then its Hessian is 0 too)
    ("tp.std-one", lambda v: tp.std(v), ONE, True),
    ("np.std-one", lambda v: np.std(v), ONE, True),
    ("method-std-one", lambda v: v.std(), ONE, True),
    ("tp.std-keepdims-one", lambda v: tp.sum(tp.std(v, axis=-1, keepdims=True)), ONE, True),
    ("tp.std-axis0-groups", lambda v: tp.sum(tp.std(v, axis=0)), ROW, True),
    ("method-std-axis0-groups", lambda v: v.std(axis=0).sum(), ROW, True),
    ("tp.var-one", lambda v: tp.var(v), ONE, True),
    ("np.var-axis0-groups", lambda v: tp.sum(np.var(v, axis=0)), ROW, True),
    ("tp.std-equal", lambda v: tp.std(v), EQUAL, False),
    ("method-std-equal", lambda v: v.std(ddof=1), EQUAL, False),
]


@pytest.mark.parametrize(("f", "x", "constant"), [s[1:] for s in STATS], ids=[s[0] for s in STATS])
def test_std_and_var_where_the_deviation_is_zero_have_zero_derivatives(
    f: Fn, x: Any, constant: bool
) -> None:
    # a batch of one: std is 0 identically, so its derivative is 0 (finite differences,
    # autograd and PyTorch agree; sqrt'(0)·0 gave nan). Equal values: std has a kink, and
    # 0 is PyTorch's choice there (std_backward masks result == 0).
    zeros = np.zeros_like(x)
    np.testing.assert_array_equal(tp.grad(f)(x), zeros)
    np.testing.assert_array_equal(tp.jvp(f, (x,), (np.ones_like(x),))[1], 0.0)
    np.testing.assert_array_equal(tp.jacfwd(f)(x), zeros)
    np.testing.assert_array_equal(tp.jacrev(f)(x), zeros)
    hess = tp.hessian(f)(x)
    assert np.all(np.isfinite(hess))
    if constant:
        np.testing.assert_array_equal(hess, np.zeros(x.shape * 2))
        np.testing.assert_array_equal(tp.jacrev(tp.grad(f))(x), np.zeros(x.shape * 2))
        check_grads(f, [x], order=2)


def test_std_of_one_element_in_every_mode() -> None:
    x = np.array([3.0])
    assert np.asarray(tp.grad(lambda v: tp.std(v))(x))[0] == 0.0
    assert tp.jvp(lambda v: tp.std(v), (x,), (np.ones(1),))[1] == 0.0
    assert tp.grad(tp.grad(lambda s: tp.std(tp.reshape(s, (1,)))))(3.0) == 0.0
    assert tp.hessian(lambda v: tp.std(v))(x)[0, 0] == 0.0
    check_grads(lambda v: tp.std(v, axis=1), [np.array([[3.0], [-1.0]])], order=2)
    check_grads(lambda v: v.std(axis=0) * v.sum(), [np.array([[0.5, 1.0, -2.0]])], order=2)


def test_std_away_from_zero_and_its_ddof_are_unchanged() -> None:
    x = np.array([[1.0, 2.5, -0.5], [0.3, 0.3, 0.3]])  # a normal row and an equal one
    g = np.asarray(tp.grad(lambda v: tp.sum(tp.std(v, axis=1, ddof=1)))(x))
    row = x[0] - x[0].mean()
    np.testing.assert_allclose(g[0], row / (np.std(x[0], ddof=1) * 2.0), rtol=1e-12)
    np.testing.assert_array_equal(g[1], [0.0, 0.0, 0.0])
    check_grads(lambda v: tp.std(v, axis=1, ddof=1), [x[:1]], order=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        one = np.array([3.0])
        # ddof = n: NumPy's nan value (and a nan derivative), not a silent 0
        assert math.isnan(float(tp.std(tp.Var(one), ddof=1).value)) == math.isnan(
            float(np.std(one, ddof=1))
        )
        assert math.isnan(float(np.asarray(tp.grad(lambda v: tp.std(v, ddof=1))(one))[0]))


def test_std_mask_is_recomputed_by_replay() -> None:
    x = tp.Var(np.array([1.0, 2.0, 4.0]))
    with tp.Tape() as t:
        y = tp.std(x)
    prog = t.compile(inputs=[x], outputs=[y])
    value, (g,) = prog.value_and_grad(np.array([2.0, 2.0, 2.0]))
    assert value == 0.0
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    value, (g,) = prog.value_and_grad(np.array([1.0, 2.0, 3.0]))
    assert value == pytest.approx(np.std([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(
        g, tp.grad(lambda v: tp.std(v))(np.array([1.0, 2.0, 3.0])), rtol=1e-14
    )
