"""Higher derivatives by nesting tapes, checked against closed forms.

The inner tape's sweep runs while the outer tape records, so the inner gradient is a Var on
the outer tape and can be differentiated again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import numpy as np
import pytest

import tape as tp
from tape import _core

XS = [-1.3, -0.2, 0.0, 0.7, 2.1]


def second_derivative(f: Callable[[tp.Var], tp.Var], x0: float) -> tuple[float, float]:
    """(f'(x0), f''(x0)) from two nested tapes."""
    x = tp.Var(x0)
    with tp.Tape() as outer:
        with tp.Tape() as inner:
            y = f(x)
        g = inner.gradient(y, x)
    assert isinstance(g, tp.Var), "an inner gradient under an outer tape is recorded on it"
    h = outer.gradient(g, x)
    assert type(h) is float
    return g.item(), h


@pytest.mark.parametrize("x0", XS)
def test_tanh_second_derivative(x0: float) -> None:
    d1, d2 = second_derivative(tp.tanh, x0)
    th = math.tanh(x0)
    assert d1 == pytest.approx(1 - th * th, rel=1e-13)
    assert d2 == pytest.approx(-2 * th * (1 - th * th), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("x0", XS)
def test_cube_second_derivative(x0: float) -> None:
    d1, d2 = second_derivative(lambda x: x * x * x, x0)
    assert d1 == pytest.approx(3 * x0 * x0, rel=1e-14, abs=1e-15)
    assert d2 == pytest.approx(6 * x0, rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("x0", [-1.3, -0.2, 0.7, 2.1])
def test_cube_by_power_second_derivative(x0: float) -> None:
    d1, d2 = second_derivative(lambda x: x**3.0, x0)
    assert d1 == pytest.approx(3 * x0 * x0, rel=1e-13)
    assert d2 == pytest.approx(6 * x0, rel=1e-13)


@pytest.mark.parametrize("x0", XS)
def test_sin_times_exp_second_derivative(x0: float) -> None:
    d1, d2 = second_derivative(lambda x: tp.sin(x) * tp.exp(x), x0)
    e = math.exp(x0)
    assert d1 == pytest.approx((math.sin(x0) + math.cos(x0)) * e, rel=1e-13, abs=1e-15)
    assert d2 == pytest.approx(2 * math.cos(x0) * e, rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("x0", [0.3, 1.0, 4.0])
def test_log_and_sqrt_second_derivatives(x0: float) -> None:
    _, d2 = second_derivative(tp.log, x0)
    assert d2 == pytest.approx(-1 / x0**2, rel=1e-13)
    _, d2 = second_derivative(tp.sqrt, x0)
    assert d2 == pytest.approx(-0.25 * x0**-1.5, rel=1e-13)
    _, d2 = second_derivative(lambda x: 1.0 / x, x0)
    assert d2 == pytest.approx(2 / x0**3, rel=1e-13)


def test_second_derivative_of_a_linear_function_is_zero() -> None:
    # f(x) = 3x + 1: f' = 3 is a constant, f'' = 0. The inner gradient must still be a Var on
    # the outer tape (Tape.gradient's documented contract) so that it can be differentiated.
    x = tp.Var(0.4)
    with tp.Tape() as outer:
        with tp.Tape() as inner:
            y = 3.0 * x + 1.0
        g = inner.gradient(y, x)
    assert float(g) == 3.0
    assert outer.gradient(g, x) == 0.0


def test_hessian_of_a_linear_array_function_is_zero() -> None:
    # f(x) = Σ 3xᵢ + Σ xᵢ·c: the gradient (3 + c) is constant, the Hessian is the zero matrix,
    # whether taken as a Jacobian of the gradient or as a vector-Jacobian product.
    c = np.array([0.5, -1.0, 2.0])
    x = tp.Var(np.array([1.0, 2.0, 3.0]))
    with tp.Tape(persistent=True) as outer:
        with tp.Tape() as inner:
            y = tp.sum(3.0 * x) + tp.sum(x * c)
        g = inner.gradient(y, x)
    np.testing.assert_array_equal(g.value if isinstance(g, tp.Var) else g, 3.0 + c)
    np.testing.assert_array_equal(outer.gradient(g, x, output_gradient=np.ones(3)), np.zeros(3))
    # g came out as a constant, and gradient() accepts a constant target (zero derivative);
    # jacobian() is typed for Var targets, hence the cast (a no-op at runtime)
    np.testing.assert_array_equal(outer.jacobian(cast(tp.Var, g), x), np.zeros((3, 3)))


def test_tanh_second_derivative_on_an_array() -> None:
    x0 = np.linspace(-2.0, 2.0, 9)
    x = tp.Var(x0)
    with tp.Tape() as outer:
        with tp.Tape() as inner:
            y = tp.sum(tp.tanh(x))
        g = inner.gradient(y, x)  # elementwise tanh'(x)
        assert isinstance(g, tp.Var)
        s = tp.sum(g)
    h = outer.gradient(s, x)  # the Hessian is diagonal: this is its diagonal
    th = np.tanh(x0)
    np.testing.assert_allclose(g.value, 1 - th**2, rtol=1e-13)
    np.testing.assert_allclose(h, -2 * th * (1 - th**2), rtol=1e-12, atol=1e-15)


def test_cube_and_sin_exp_second_derivatives_on_arrays() -> None:
    x0 = np.array([-1.5, -0.5, 0.25, 1.0, 3.0])
    x = tp.Var(x0)
    with tp.Tape() as outer:
        with tp.Tape() as inner:
            y = tp.sum(x * x * x + tp.sin(x) * tp.exp(x))
        g = inner.gradient(y, x)
        assert isinstance(g, tp.Var)
        s = tp.sum(g)
    h = outer.gradient(s, x)
    np.testing.assert_allclose(h, 6 * x0 + 2 * np.cos(x0) * np.exp(x0), rtol=1e-12)


def test_full_hessian_of_an_array_function_row_by_row() -> None:
    # f(x) = (Σ x²)² : ∇f = 4 (Σ x²) x, H = 4 (Σ x²) I + 8 x xᵀ
    x0 = np.array([0.5, -1.0, 2.0])
    x = tp.Var(x0)
    with tp.Tape(persistent=True) as outer:
        with tp.Tape() as inner:
            y = tp.sum(x * x) ** 2.0
        g = inner.gradient(y, x)
    assert isinstance(g, tp.Var)
    hessian = outer.jacobian(g, x)
    r = float(np.sum(x0**2))
    np.testing.assert_allclose(g.value, 4 * r * x0, rtol=1e-13)
    np.testing.assert_allclose(hessian, 4 * r * np.eye(3) + 8 * np.outer(x0, x0), rtol=1e-13)


def test_hessian_vector_product_of_a_matrix_quadratic_form() -> None:
    # f(x) = ½ xᵀ A x with A not symmetric: ∇f = ½ (A + Aᵀ) x, Hv = ½ (A + Aᵀ) v
    a = np.array([[2.0, 1.0, 0.0], [-1.0, 3.0, 0.5], [0.25, 0.0, 1.0]])
    x0 = np.array([1.0, -2.0, 0.5])
    v = np.array([0.3, 0.1, -0.7])
    x = tp.Var(x0)
    with tp.Tape() as outer:
        with tp.Tape() as inner:
            y = 0.5 * (x @ (a @ x))
        g = inner.gradient(y, x)
        assert isinstance(g, tp.Var)
        gv = tp.sum(g * v)
    hv = outer.gradient(gv, x)
    sym = 0.5 * (a + a.T)
    np.testing.assert_allclose(g.value, sym @ x0, rtol=1e-14)
    np.testing.assert_allclose(hv, sym @ v, rtol=1e-14)


def test_outer_tape_records_the_inner_sweep() -> None:
    x = tp.Var(0.5)
    with tp.Tape() as outer:
        with tp.Tape(persistent=True) as inner:
            y = tp.sin(x) * x
        n_outer = len(outer)
        assert n_outer == len(inner) == 3  # both tapes recorded the forward pass
        g = inner.gradient(y, x)
        assert len(outer) > n_outer  # ... and the outer one also recorded the sweep
    assert len(inner) == 3  # the inner sweep is not recorded on the inner tape itself
    assert all(type(e.value) is float for e in inner)  # entries show plain values
    assert isinstance(g, tp.Var)
    assert g.item() == pytest.approx(math.cos(0.5) * 0.5 + math.sin(0.5), rel=1e-14)
    assert inner.adjoint(x) == pytest.approx(g.item(), rel=1e-14)
    assert outer.gradient(g, x) == pytest.approx(2 * math.cos(0.5) - 0.5 * math.sin(0.5))


# ----- mixed partials ------------------------------------------------------------------------

POINTS = [(1.5, -0.8), (-2.0, 0.5), (0.3, 1.7)]


@pytest.mark.parametrize(("x0", "y0"), POINTS)
def test_mixed_partials_of_x2y3(x0: float, y0: float) -> None:
    x, y = tp.Var(x0), tp.Var(y0)
    with tp.Tape(persistent=True) as outer:
        with tp.Tape() as inner:
            f = x * x * y * y * y
        fx, fy = inner.gradient(f, [x, y])
    assert isinstance(fx, tp.Var) and isinstance(fy, tp.Var)
    assert fx.item() == pytest.approx(2 * x0 * y0**3, rel=1e-14)
    assert fy.item() == pytest.approx(3 * x0**2 * y0**2, rel=1e-14)
    fxx, fxy = outer.gradient(fx, [x, y])
    fyx, fyy = outer.gradient(fy, [x, y])
    assert fxx == pytest.approx(2 * y0**3, rel=1e-14)
    assert fxy == pytest.approx(6 * x0 * y0**2, rel=1e-14)
    assert fyx == pytest.approx(6 * x0 * y0**2, rel=1e-14)  # Schwarz: ∂²/∂y∂x = ∂²/∂x∂y
    assert fyy == pytest.approx(6 * x0**2 * y0, rel=1e-14)


def test_mixed_partials_of_a_polynomial_on_arrays() -> None:
    # f(x, y) = Σᵢ xᵢ² yᵢ³ + Σᵢ xᵢ yᵢ: ∂²f/∂xᵢ∂yᵢ = 6 xᵢ yᵢ² + 1 (and 0 off the diagonal)
    x0 = np.array([1.0, -0.5, 2.0])
    y0 = np.array([0.5, 1.5, -1.0])
    x, y = tp.Var(x0), tp.Var(y0)
    with tp.Tape(persistent=True) as outer:
        with tp.Tape() as inner:
            f = tp.sum(x**2.0 * y**3.0 + x * y)
        fx = inner.gradient(f, x)
    assert isinstance(fx, tp.Var)
    np.testing.assert_allclose(fx.value, 2 * x0 * y0**3 + y0, rtol=1e-14)
    cross = outer.jacobian(fx, y)  # ∂(∂f/∂xᵢ)/∂yⱼ
    np.testing.assert_allclose(cross, np.diag(6 * x0 * y0**2 + 1), rtol=1e-14)
    fxx = outer.jacobian(fx, x)
    np.testing.assert_allclose(fxx, np.diag(2 * y0**3), rtol=1e-14)


def test_mixed_partial_through_a_value_computed_on_the_outer_tape() -> None:
    # u = 3x on the outer tape only; inner sees u as its leaf. d/dx (d(u²)/du) = d(2u)/dx = 6.
    x = tp.Var(1.5)
    with tp.Tape() as outer:
        u = x * 3.0
        with tp.Tape() as inner:
            y = u * u
        g = inner.gradient(y, u)
    assert isinstance(g, tp.Var)
    assert g.item() == pytest.approx(9.0)
    assert outer.gradient(g, x) == pytest.approx(6.0)


# ----- third derivatives ---------------------------------------------------------------------


@pytest.mark.parametrize("x0", XS)
def test_third_derivative_by_three_tapes(x0: float) -> None:
    # (sin x · eˣ)‴ = 2 eˣ (cos x − sin x)
    x = tp.Var(x0)
    with tp.Tape() as t1:
        with tp.Tape() as t2:
            with tp.Tape() as t3:
                y = tp.sin(x) * tp.exp(x)
            d1 = t3.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t1.gradient(d2, x)
    e = math.exp(x0)
    assert isinstance(d1, tp.Var) and isinstance(d2, tp.Var)
    assert d1.item() == pytest.approx(e * (math.sin(x0) + math.cos(x0)), rel=1e-13, abs=1e-15)
    assert d2.item() == pytest.approx(2 * e * math.cos(x0), rel=1e-13, abs=1e-15)
    assert d3 == pytest.approx(2 * e * (math.cos(x0) - math.sin(x0)), rel=1e-12, abs=1e-15)
    assert _core._STACK.get() == ()


def test_third_derivative_of_tanh_on_an_array() -> None:
    # tanh‴ = −2 (1 − t²)(1 − 3 t²) with t = tanh x
    x0 = np.linspace(-1.5, 1.5, 7)
    x = tp.Var(x0)
    with tp.Tape() as t1:
        with tp.Tape() as t2:
            with tp.Tape() as t3:
                y = tp.sum(tp.tanh(x))
            d1 = t3.gradient(y, x)
            assert isinstance(d1, tp.Var)
            s1 = tp.sum(d1)
        d2 = t2.gradient(s1, x)
        assert isinstance(d2, tp.Var)
        s2 = tp.sum(d2)
    d3 = t1.gradient(s2, x)
    t = np.tanh(x0)
    np.testing.assert_allclose(d3, -2 * (1 - t**2) * (1 - 3 * t**2), rtol=1e-11, atol=1e-14)


def test_fourth_derivative_of_x4_is_24() -> None:
    x = tp.Var(0.6)
    with tp.Tape() as t1:
        with tp.Tape() as t2:
            with tp.Tape() as t3:
                with tp.Tape() as t4:
                    y = x * x * x * x
                d1 = t4.gradient(y, x)
            d2 = t3.gradient(d1, x)
        d3 = t2.gradient(d2, x)
    d4 = t1.gradient(d3, x)
    assert float(d1) == pytest.approx(4 * 0.6**3, rel=1e-14)
    assert float(d2) == pytest.approx(12 * 0.6**2, rel=1e-14)
    assert float(d3) == pytest.approx(24 * 0.6, rel=1e-14)
    assert d4 == pytest.approx(24.0, rel=1e-14)


# ----- a value an inner tape recorded, used on the outer tape after the inner one exits ------

Inner = Callable[[tp.Var], tp.Var]
Outer = Callable[[tp.Var, tp.Var], tp.Var]

AFTER_INNER: dict[str, tuple[Inner, Outer]] = {
    # name -> (y = inner(x), recorded by both tapes; z = outer(x, y), by the outer one alone)
    "sum of squares, then scaled": (lambda x: (x * x).sum(), lambda x, y: y * 2.0),
    "sin, then squared": (lambda x: tp.sin(x).sum(), lambda x, y: y * y),
    "exp, then tanh with x": (lambda x: tp.exp(x), lambda x, y: tp.tanh(y + x).sum()),
}


@pytest.mark.parametrize("name", list(AFTER_INNER))
def test_a_value_the_inner_tape_recorded_keeps_its_history_on_the_outer_one(name: str) -> None:
    inner_f, outer_f = AFTER_INNER[name]
    x0 = np.array([0.3, -1.2, 0.8])

    def composed(v: tp.Var) -> tp.Var:
        return outer_f(v, inner_f(v))

    x = tp.Var(x0)
    with tp.Tape(persistent=True) as outer:
        with tp.Tape():
            y = inner_f(x)
        z = outer_f(x, y)
        total = y.sum()
    # through y back to x, as if y had been computed on the outer tape alone
    expected = tp.testing.numerical_jacobian(composed, [x0])
    np.testing.assert_allclose(outer.gradient(z, x), expected, rtol=1e-7, atol=1e-9)
    # y, the inner tape's Var, is a source and a target of the outer tape too
    y_leaf = tp.Var(y.value)
    with tp.Tape() as alone:
        z_alone = outer_f(x, y_leaf)
    np.testing.assert_allclose(outer.gradient(z, y), alone.gradient(z_alone, y_leaf))
    np.testing.assert_allclose(
        outer.gradient(total, x),
        tp.testing.numerical_jacobian(lambda v: inner_f(v).sum(), [x0]),
        rtol=1e-7,
        atol=1e-9,
    )
