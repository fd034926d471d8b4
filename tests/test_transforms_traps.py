"""Transforms that gave a wrong answer without a word on 53cebab, each against closed forms.

- The identity: a function that hands back its input Var itself (``lambda x: x``, ``+x``,
  ``np.positive(x)``, a transpose with the identity order, ``swapaxes(x, i, i)``, a reshape
  or ``broadcast_to`` to the same shape, a ``squeeze`` with nothing to squeeze) records
  nothing, and every reverse-mode transform returned zeros for it. Its derivative is the
  identity, in every mode; an argument handed back is the identity for itself and zero for
  the others.
- A value that left the tape for Python (``float(x)``, ``x.item()``, ``math.sin(x)``) and
  came back as the output: zeros, as if the function were constant. Now a TypeError.
- ``tp.jacobian(f)`` (mode "auto") called ``f`` twice: once to learn the output's size.
- ``tp.hvp`` took one argument only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from _draw import Counter

import tape as tp

Fn = Callable[..., Any]

# ----- the identity, spelled many ways ---------------------------------------------------------

X23 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
I23 = np.eye(6).reshape(2, 3, 2, 3)  # ∂x/∂x for x of shape (2, 3)

IDENTITIES: dict[str, Fn] = {
    "lambda x: x": lambda x: x,
    "+x": lambda x: +x,
    "np.positive": lambda x: np.positive(x),
    "np.transpose(identity order)": lambda x: np.transpose(x, tuple(range(np.ndim(x)))),
    "tp.transpose(identity order)": lambda x: tp.transpose(x, tuple(range(np.ndim(x)))),
    "x.reshape(x.shape)": lambda x: x.reshape(x.shape),
    "np.reshape(same shape)": lambda x: np.reshape(x, np.shape(x)),
    "tp.reshape(same shape)": lambda x: tp.reshape(x, np.shape(x)),
    "np.broadcast_to(same shape)": lambda x: np.broadcast_to(x, np.shape(x)),
    "tp.broadcast_to(same shape)": lambda x: tp.broadcast_to(x, np.shape(x)),
    "np.squeeze(nothing to squeeze)": lambda x: np.squeeze(x),
    "tp.squeeze(nothing to squeeze)": lambda x: tp.squeeze(x),
}
# swapaxes needs an axis: arrays only
ARRAY_IDENTITIES: dict[str, Fn] = {
    **IDENTITIES,
    "np.swapaxes(x, -1, -1)": lambda x: np.swapaxes(x, -1, -1),
    "tp.swapaxes(x, 0, 0)": lambda x: tp.swapaxes(x, 0, 0),
}


def test_the_spellings_hand_back_the_var_itself() -> None:
    # (what makes them a trap: nothing is recorded, the tape never sees the output)
    x = tp.Var(X23)
    for name, ident in ARRAY_IDENTITIES.items():
        assert ident(x) is x, name
    s = tp.Var(2.0)
    for name, ident in IDENTITIES.items():
        assert ident(s) is s, name


@pytest.mark.parametrize("name", list(IDENTITIES))
def test_grad_of_the_identity_is_one(name: str) -> None:
    ident = IDENTITIES[name]
    g = tp.grad(ident)(2.0)
    assert type(g) is float and g == 1.0
    v, g2 = tp.value_and_grad(ident)(2.0)
    assert v == 2.0 and g2 == 1.0
    g0 = tp.grad(ident)(np.array(2.0))  # a 0-d array (float64 0-d values are floats)
    assert np.shape(g0) == () and float(g0) == 1.0
    g32 = tp.grad(ident)(np.array(2.0, dtype=np.float32))
    assert isinstance(g32, np.ndarray) and g32.dtype == np.float32 and float(g32) == 1.0


@pytest.mark.parametrize("name", list(ARRAY_IDENTITIES))
def test_reverse_mode_transforms_of_the_identity_are_the_identity(name: str) -> None:
    ident = ARRAY_IDENTITIES[name]
    u = np.array([[1.0, 2.0, -3.0], [0.5, -0.25, 4.0]])
    out, back = tp.vjp(ident, X23)
    np.testing.assert_array_equal(out, X23)
    (c,) = back(u)
    np.testing.assert_array_equal(c, u)
    (c2,) = back(2.0 * u)  # the pullback may be called again
    np.testing.assert_array_equal(c2, 2.0 * u)
    np.testing.assert_array_equal(tp.jacrev(ident)(X23), I23)
    for mode in ("auto", "fwd", "rev"):
        np.testing.assert_array_equal(tp.jacobian(ident, mode=mode)(X23), I23)


@pytest.mark.parametrize("name", list(ARRAY_IDENTITIES))
def test_forward_mode_transforms_of_the_identity_are_the_identity(name: str) -> None:
    ident = ARRAY_IDENTITIES[name]
    v = np.array([[1.0, 2.0, -3.0], [0.5, -0.25, 4.0]])
    out, t = tp.jvp(ident, (X23,), (v,))
    np.testing.assert_array_equal(out, X23)
    np.testing.assert_array_equal(t, v)
    np.testing.assert_array_equal(tp.jacfwd(ident)(X23), I23)


@pytest.mark.parametrize("name", list(IDENTITIES))
def test_scalar_jacobians_and_second_derivatives_of_the_identity(name: str) -> None:
    ident = IDENTITIES[name]
    for jac in (tp.jacfwd, tp.jacrev, tp.jacobian):
        assert float(jac(ident)(2.0)) == 1.0
    # the identity is linear: its second derivative is zero
    assert float(tp.hessian(ident)(2.0)) == 0.0
    assert float(tp.hvp(ident, 2.0, 3.0)) == 0.0
    assert float(tp.grad(tp.grad(ident))(2.0)) == 0.0
    assert float(tp.jacrev(tp.jacrev(ident))(2.0)) == 0.0


@pytest.mark.parametrize("name", list(IDENTITIES))
def test_the_identity_inside_an_outer_derivative(name: str) -> None:
    ident = IDENTITIES[name]

    def cube_over_six(x: Any) -> Any:  # x³/6 · d(ident)/dx = x³/6: f'' = x
        return x**3.0 / 6.0 * tp.grad(ident)(x)

    x0 = 1.3
    assert float(tp.grad(cube_over_six)(x0)) == pytest.approx(x0**2 / 2, rel=1e-15)
    assert float(tp.hessian(cube_over_six)(x0)) == pytest.approx(x0, rel=1e-15)
    assert float(tp.hvp(cube_over_six, x0, 2.0)) == pytest.approx(2.0 * x0, rel=1e-15)
    assert float(tp.jacrev(tp.grad(cube_over_six))(x0)) == pytest.approx(x0, rel=1e-15)
    assert float(tp.grad(lambda x: tp.grad(ident)(x) * x)(x0)) == 1.0


@pytest.mark.parametrize("name", list(ARRAY_IDENTITIES))
def test_the_jacobian_of_the_identity_inside_an_outer_derivative(name: str) -> None:
    ident = ARRAY_IDENTITIES[name]
    x0 = np.array([0.5, -1.0, 2.0])

    def through(x: Any) -> Any:  # J_ident(x) @ x = x: its Jacobian is I
        return tp.jacrev(ident)(x) @ x

    np.testing.assert_array_equal(tp.jacrev(through)(x0), np.eye(3))
    np.testing.assert_array_equal(tp.jacfwd(through)(x0), np.eye(3))
    g = tp.grad(lambda x: tp.sum(tp.jacobian(ident)(x) @ (x * x)))(x0)  # ∇ Σ x² = 2x
    np.testing.assert_allclose(g, 2 * x0, rtol=1e-15)


# ----- an argument handed back: the identity for itself, zero for the others -------------------


def second(x: Any, y: Any) -> Any:
    return y


Y3 = np.array([0.3, -0.7, 1.1])


def test_grad_of_another_argument_handed_back() -> None:
    f: Fn = second
    assert tp.grad(f)(2.0, 3.0) == 0.0
    assert tp.grad(f, 1)(2.0, 3.0) == 1.0
    assert tp.grad(f, (0, 1))(2.0, 3.0) == (0.0, 1.0)
    assert tp.value_and_grad(f, (0, 1))(2.0, 3.0) == (3.0, (0.0, 1.0))
    assert tp.grad(f, (1, 0))(2.0, 3.0) == (1.0, 0.0)


def test_jacobians_and_vjp_of_another_argument_handed_back() -> None:
    f: Fn = second
    for jac in (
        tp.jacrev,
        tp.jacfwd,
        tp.jacobian,
        lambda f, a: tp.jacobian(f, a, mode="fwd"),
        lambda f, a: tp.jacobian(f, a, mode="rev"),
    ):
        jx, jy = jac(f, (0, 1))(X23, Y3)
        np.testing.assert_array_equal(jx, np.zeros((3, 2, 3)))
        np.testing.assert_array_equal(jy, np.eye(3))
        np.testing.assert_array_equal(jac(f, 0)(X23, Y3), np.zeros((3, 2, 3)))
    out, back = tp.vjp(f, X23, Y3)
    np.testing.assert_array_equal(out, Y3)
    cx, cy = back(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(cx, np.zeros((2, 3)))
    np.testing.assert_array_equal(cy, [1.0, 2.0, 3.0])
    _, t = tp.jvp(f, (X23, Y3), (np.ones((2, 3)), np.array([4.0, 5.0, 6.0])))
    np.testing.assert_array_equal(t, [4.0, 5.0, 6.0])


def test_the_identity_on_a_tape_under_an_outer_tape_is_differentiable() -> None:
    # the inner gradient of the identity is the constant 1: the outer gradient of it is 0
    x = tp.Var(1.5)
    with tp.Tape() as outer:
        g = tp.grad(lambda z: z)(x)
    assert isinstance(g, tp.Var) and g.item() == 1.0
    assert outer.gradient(g, x) == 0.0


# ----- a value that left the tape, returned as the output --------------------------------------

ESCAPES: dict[str, Fn] = {
    "float(x)": lambda x: float(x),
    "x.item()": lambda x: x.item() * 2.0,
    "math.sin(x)": lambda x: math.sin(x),
    "int(x)": lambda x: int(x),
}


@pytest.mark.parametrize("name", list(ESCAPES))
def test_a_value_that_left_the_tape_raises_instead_of_a_zero_gradient(name: str) -> None:
    f = ESCAPES[name]
    with pytest.raises(TypeError, match=r"left the tape.*(float|int)\(\) of v"):
        tp.grad(f)(2.0)
    with pytest.raises(TypeError, match="left the tape"):
        tp.value_and_grad(f)(2.0)
    with pytest.raises(TypeError, match="left the tape"):
        tp.vjp(f, 2.0)
    for jac in (tp.jacrev, tp.jacobian, lambda f: tp.jacobian(f, mode="rev")):
        with pytest.raises(TypeError, match="left the tape"):
            jac(f)(2.0)


def test_an_array_rebuilt_from_floats_raises() -> None:
    def rebuilt(x: Any) -> Any:
        return np.array([float(x[0]), float(x[1])]) * 2.0

    with pytest.raises(TypeError, match=r"jacrev: the function returned a plain ndarray"):
        tp.jacrev(rebuilt)(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="left the tape"):
        tp.vjp(rebuilt, np.array([1.0, 2.0]))


def test_a_constant_function_still_has_a_zero_gradient() -> None:
    # nothing left the tape: a genuine constant (as in JAX)
    assert tp.grad(lambda x: 3.0)(2.0) == 0.0
    np.testing.assert_array_equal(tp.grad(lambda x: 3.0)(Y3), np.zeros(3))
    np.testing.assert_array_equal(tp.jacrev(lambda x: np.ones(2))(Y3), np.zeros((2, 3)))
    np.testing.assert_array_equal(tp.jacobian(lambda x: np.ones(4))(Y3), np.zeros((4, 3)))
    _, back = tp.vjp(lambda x: np.ones(2), Y3)
    np.testing.assert_array_equal(back(np.ones(2))[0], np.zeros(3))
    # a bool() test on a Var (a branch) is not a value leaving as a number
    assert tp.grad(lambda x: 3.0 if x > 0 else 4.0)(2.0) == 0.0


# ----- tp.jacobian(mode="auto") calls f once ---------------------------------------------------


def wide(x: Any) -> Any:
    """R² -> R⁵: ∂/∂x = [diag(cos x); [[x₁, x₀], [x₁, x₀]]; [x₁, x₀]]."""
    return tp.concatenate([tp.sin(x), x * x[::-1], tp.reshape(tp.prod(x), (1,))])


def wide_jacobian(x: tp.Array) -> tp.Array:
    return np.array(
        [[math.cos(x[0]), 0.0], [0.0, math.cos(x[1])], [x[1], x[0]], [x[1], x[0]], [x[1], x[0]]]
    )


def narrow(x: Any) -> Any:
    """R⁵ -> R²: rows eˣ and cos x − x sin x."""
    return tp.stack([tp.sum(tp.exp(x)), tp.sum(x * tp.cos(x))])


def narrow_jacobian(x: tp.Array) -> tp.Array:
    return np.stack([np.exp(x), np.cos(x) - x * np.sin(x)])


@pytest.mark.parametrize(
    ("f", "closed", "x0"),
    [
        (wide, wide_jacobian, np.array([0.4, 1.3])),
        (narrow, narrow_jacobian, np.array([0.2, -0.5, 1.0, 0.3, 1.5])),
    ],
)
def test_jacobian_auto_calls_f_once(
    f: Fn, closed: Callable[[tp.Array], tp.Array], x0: tp.Array
) -> None:
    spy = Counter(f)
    j = tp.jacobian(spy)(x0)
    assert spy.calls == 1
    np.testing.assert_allclose(j, closed(x0), rtol=1e-14, atol=1e-15)


def test_jacobian_auto_with_tuple_argnums_calls_f_once() -> None:
    def f(a: Any, b: Any) -> Any:  # inputs 1 + 2 < output 4: forward over the recording
        return tp.concatenate([a * b, tp.exp(b), tp.reshape(tp.sum(b) * a, (1,))])

    a0, b0 = np.array([0.5]), np.array([1.0, -0.4])
    spy = Counter(f)
    ja, jb = tp.jacobian(spy, (0, 1))(a0, b0)
    assert spy.calls == 1
    want_a = np.array([[b0[0]], [b0[1]], [0.0], [0.0], [b0.sum()]])
    want_b = np.array([[a0[0], 0.0], [0.0, a0[0]], [np.exp(b0[0]), 0.0], [0.0, np.exp(b0[1])]])
    want_b = np.vstack([want_b, [a0[0], a0[0]]])
    np.testing.assert_allclose(ja, want_a, rtol=1e-15)
    np.testing.assert_allclose(jb, want_b, rtol=1e-15)


# ----- hvp with several arguments ------------------------------------------------------------

B = np.array([[2.0, 1.0], [-1.0, 3.0], [0.25, 0.0]])


def xby(x: Any, y: Any) -> Any:
    """xᵀBy + Σx³ + Σeʸ: Hxx = diag(6x), Hxy = B, Hyx = Bᵀ, Hyy = diag(eʸ)."""
    return x @ (B @ y) + tp.sum(x**3.0) + tp.sum(tp.exp(y))


def test_hvp_with_a_tuple_of_arguments_is_the_block_product() -> None:
    x0, y0 = np.array([1.0, -2.0, 0.5]), np.array([0.3, -0.2])
    vx, vy = np.array([0.5, 1.0, -1.5]), np.array([2.0, -0.7])
    hx, hy = tp.hvp(xby, (x0, y0), (vx, vy))
    np.testing.assert_allclose(hx, 6 * x0 * vx + B @ vy, rtol=1e-14)
    np.testing.assert_allclose(hy, B.T @ vx + np.exp(y0) * vy, rtol=1e-14)
    hx2, hy2 = tp.hvp(xby, [x0, y0], [vx, vy])  # lists too, as jvp takes
    np.testing.assert_array_equal(hx2, hx)
    np.testing.assert_array_equal(hy2, hy)
    (only,) = tp.hvp(lambda x: tp.sum(x**3.0), (x0,), (vx,))  # a 1-tuple gives a 1-tuple
    np.testing.assert_allclose(only, 6 * x0 * vx, rtol=1e-14)
    np.testing.assert_allclose(tp.hvp(lambda x: tp.sum(x**3.0), x0, vx), 6 * x0 * vx)


def test_hvp_with_float_arguments() -> None:
    # f(a, b) = a² b³: Haa = 2b³, Hab = 6ab², Hbb = 6a²b
    ha, hb = tp.hvp(lambda a, b: a * a * b**3.0, (1.5, -0.5), (1.0, 2.0))
    a, b = 1.5, -0.5
    assert type(ha) is float and type(hb) is float
    assert ha == pytest.approx(2 * b**3 * 1.0 + 6 * a * b**2 * 2.0, rel=1e-14)
    assert hb == pytest.approx(6 * a * b**2 * 1.0 + 6 * a * a * b * 2.0, rel=1e-14)


def test_hvp_of_a_function_with_a_constant_gradient_block() -> None:
    # f linear in y: Hyy = 0, and Hxy = Hyx = 0 too
    hx, hy = tp.hvp(lambda x, y: tp.sum(x * x) + tp.sum(y), (Y3, X23), (np.ones(3), X23))
    np.testing.assert_allclose(hx, 2.0 * np.ones(3))
    np.testing.assert_array_equal(hy, np.zeros((2, 3)))


def test_hvp_needs_matching_forms() -> None:
    with pytest.raises(TypeError, match="both as tuples"):
        tp.hvp(xby, (np.ones(3), np.ones(2)), np.ones(3))  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        tp.hvp(xby, (np.ones(3), np.ones(2)), (np.ones(3),))


# ----- forward mode: a value that left it for Python ---------------------------------------------

FORWARD_ESCAPES: dict[str, Fn] = {
    "float(x)": lambda x: float(x),
    "math.exp(x)": lambda x: math.exp(x),
    "x.item()": lambda x: (x * 2.0).item(),
    "int(x)": lambda x: int(x) + 0.5,
}


@pytest.mark.parametrize("how", FORWARD_ESCAPES)
def test_forward_mode_raises_when_the_value_left_it(how: str) -> None:
    f = FORWARD_ESCAPES[how]
    with pytest.raises(TypeError, match="left forward mode for Python"):
        tp.jacfwd(f)(2.0)
    with pytest.raises(TypeError, match="left forward mode for Python"):
        tp.jvp(f, (2.0,), (1.0,))


def test_forward_mode_control_flow_and_constants_are_fine() -> None:
    # float() that only steers Python, and a constant function, are not escapes of the output
    def relu_ish(x: Any) -> Any:
        return x * 2.0 if float(x) > 0 else -x

    assert tp.jvp(relu_ish, (2.0,), (1.0,)) == (4.0, 2.0)
    assert tp.jvp(relu_ish, (-2.0,), (1.0,)) == (2.0, -1.0)
    assert tp.jacfwd(lambda x: 3.0)(2.0) == 0.0
