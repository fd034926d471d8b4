"""Custom primitives (``tp.primitive``) and ``tp.testing.check_grads`` itself.

A custom primitive is one row of the table, with its own rules: it is recorded as one
record, runs in both modes, nests for second derivatives and broadcasts when declared
elementwise. ``check_grads`` is then shown to catch deliberately wrong rules: a VJP off by
a factor of 2, a JVP off by a factor of 2 (only in forward mode), and a rule that is right
in value but not differentiable itself (only with ``order=2``).

Names in the registry are global and must be unique, so every primitive here is registered
once, at import, under a name ending in ``_test``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tape as tp
from tape.testing import check_grads, numerical_jacobian

Fn = Callable[..., Any]


def sigmoid(x: tp.Array) -> tp.Array:
    return 1.0 / (1.0 + np.exp(-x))


def _const(v: Any) -> Any:
    """The plain value inside a Var or Dual: a constant as far as any derivative is concerned."""
    if isinstance(v, tp.Var):
        return v.value
    if isinstance(v, tp.Dual):
        return v.primal
    return v


# ----- log1pexp: one input ---------------------------------------------------------------------


@tp.primitive(
    vjp=lambda g, ans, x: g * tp.sigmoid(x),
    jvp=lambda dx, ans, x: dx * tp.sigmoid(x),
    name="log1pexp_test",
    notation="L1PE⟨{0}⟩",
)
def log1pexp(x: tp.Value) -> tp.Value:
    """log(1 + eˣ) without overflow."""
    if isinstance(x, float):
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


XS = np.array([-3.0, -0.4, 0.1, 1.7, 4.0])


def test_custom_primitive_is_registered_and_named() -> None:
    row = tp.PRIMITIVES["log1pexp_test"]
    assert isinstance(log1pexp, tp.CustomPrimitive)
    assert log1pexp.row is row and row.name == "log1pexp_test"
    assert log1pexp.__name__ == "log1pexp_test"
    assert log1pexp.__doc__ == "log(1 + eˣ) without overflow."
    assert repr(log1pexp) == "<custom primitive log1pexp_test>"


def test_custom_primitive_on_plain_values() -> None:
    y = log1pexp(0.5)
    assert type(y) is float and y == pytest.approx(math.log1p(math.exp(0.5)), rel=1e-15)
    np.testing.assert_allclose(log1pexp(XS), np.log1p(np.exp(XS)), rtol=1e-15)


def test_custom_primitive_is_one_record_on_a_tape() -> None:
    x = tp.Var(XS)
    with tp.Tape(persistent=True) as t:
        y = log1pexp(x)
        s = tp.sum(y)
    assert isinstance(y, tp.Var)
    entries = list(t)
    assert [e.primitive for e in entries] == ["input", "log1pexp_test", "sum"]
    assert len(t) == 3
    assert entries[1].inputs == (0,)
    np.testing.assert_allclose(entries[1].value, np.log1p(np.exp(XS)), rtol=1e-15)
    text = str(t)
    assert "L1PE⟨v₀⟩" in text, text
    g = t.gradient(s, x)
    np.testing.assert_allclose(g, sigmoid(XS), rtol=1e-15)
    assert "L1PE" in str(t)  # still shown after the sweep, now with adjoints


def test_custom_primitive_gradient_is_stable_at_extremes() -> None:
    xs = np.array([-1000.0, 1000.0])
    g = tp.grad(lambda x: tp.sum(log1pexp(x)))(xs)
    np.testing.assert_array_equal(g, [0.0, 1.0])
    _, t = tp.jvp(log1pexp, (xs,), (np.ones(2),))
    np.testing.assert_array_equal(t, [0.0, 1.0])


def test_custom_primitive_both_modes_agree_with_finite_differences() -> None:
    check_grads(log1pexp, [XS], order=2)
    check_grads(log1pexp, [0.3], order=2)
    check_grads(lambda x: log1pexp(x * x) * tp.sin(x), [XS], order=2)
    f: Fn = log1pexp  # (transforms of an overloaded callable: keep the type checker general)
    jf = tp.jacfwd(f)(XS)
    jr = tp.jacrev(f)(XS)
    np.testing.assert_allclose(jf, np.diag(sigmoid(XS)), rtol=1e-15, atol=0)
    np.testing.assert_allclose(jr, jf, rtol=1e-15, atol=0)
    np.testing.assert_allclose(numerical_jacobian(log1pexp, [XS]), jf, rtol=1e-8, atol=1e-10)


def test_custom_primitive_on_duals() -> None:
    d = log1pexp(tp.Dual(0.4, 2.0))
    assert isinstance(d, tp.Dual)
    s = 1 / (1 + math.exp(-0.4))
    assert d.primal == pytest.approx(math.log1p(math.exp(0.4)), rel=1e-15)
    assert d.tangent == pytest.approx(2.0 * s, rel=1e-15)
    vec = log1pexp(tp.Dual(XS, np.eye(5)))  # vector mode
    np.testing.assert_allclose(vec.tangent, np.diag(sigmoid(XS)), rtol=1e-15, atol=0)


def test_custom_primitive_inside_hessian() -> None:
    h = tp.hessian(lambda x: tp.sum(log1pexp(x)))(XS)
    s = sigmoid(XS)
    np.testing.assert_allclose(h, np.diag(s * (1 - s)), rtol=1e-13, atol=1e-16)
    hv = tp.hvp(lambda x: tp.sum(log1pexp(x)), XS, np.arange(5.0))
    np.testing.assert_allclose(hv, s * (1 - s) * np.arange(5.0), rtol=1e-13)
    h_rr = tp.jacrev(tp.grad(lambda x: tp.sum(log1pexp(x))))(XS)
    np.testing.assert_allclose(h_rr, h, rtol=1e-13, atol=1e-16)


def test_custom_primitive_in_nested_tapes() -> None:
    x0 = 0.8
    x = tp.Var(x0)
    with tp.Tape() as outer:
        with tp.Tape() as inner:
            y = log1pexp(x) * x
        g = inner.gradient(y, x)
    assert isinstance(g, tp.Var)
    h = outer.gradient(g, x)
    s = 1 / (1 + math.exp(-x0))
    # d/dx [x·L(x)] = L + x s,  d²/dx² = 2 s + x s (1 − s)
    assert g.item() == pytest.approx(math.log1p(math.exp(x0)) + x0 * s, rel=1e-14)
    assert h == pytest.approx(2 * s + x0 * s * (1 - s), rel=1e-14)


# ----- hypot: two inputs, elementwise with broadcasting ----------------------------------------


def _hypot_impl(x: Any, y: Any) -> tp.Value:
    if isinstance(x, float) and isinstance(y, float):
        return math.hypot(x, y)
    return np.asarray(np.hypot(x, y))


@tp.primitive(
    vjp=[lambda g, ans, x, y: g * x / ans, lambda g, ans, x, y: g * y / ans],
    jvp=[lambda dx, ans, x, y: dx * x / ans, lambda dy, ans, x, y: dy * y / ans],
    name="hypot_test",
    elementwise=True,
)
def hypot(x: tp.Value, y: tp.Value) -> tp.Value:
    """√(x² + y²), elementwise with broadcasting."""
    return _hypot_impl(x, y)


HX = np.array([[1.0], [2.0], [-0.5]])  # (3, 1)
HY = np.array([0.3, -1.2, 2.0, 0.7])  # (4,)


def test_elementwise_custom_primitive_sums_cotangents_to_each_shape() -> None:
    gx, gy = tp.grad(lambda a, b: tp.sum(hypot(a, b)), (0, 1))(HX, HY)
    h = np.hypot(HX, HY)  # (3, 4)
    assert isinstance(gx, np.ndarray) and isinstance(gy, np.ndarray)
    assert gx.shape == (3, 1) and gy.shape == (4,)
    np.testing.assert_allclose(gx, np.sum(HX / h, axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(gy, np.sum(HY / h, axis=0), rtol=1e-14)
    w = np.arange(12.0).reshape(3, 4)
    _, back = tp.vjp(hypot, HX, HY)
    bx, by = back(w)
    np.testing.assert_allclose(bx, np.sum(w * HX / h, axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(by, np.sum(w * HY / h, axis=0), rtol=1e-14)


def test_elementwise_custom_primitive_forward_mode_broadcasts() -> None:
    h = np.hypot(HX, HY)
    f: Fn = hypot
    jx, jy = tp.jacfwd(f, (0, 1))(HX, HY)
    rx, ry = tp.jacrev(f, (0, 1))(HX, HY)
    assert jx.shape == (3, 4, 3, 1) and jy.shape == (3, 4, 4)
    want_x = np.einsum("ij,ik->ijk", HX / h, np.eye(3))[..., None]
    want_y = np.einsum("ij,jk->ijk", HY / h, np.eye(4))
    np.testing.assert_allclose(jx, want_x, rtol=1e-14, atol=0)
    np.testing.assert_allclose(jy, want_y, rtol=1e-14, atol=0)
    np.testing.assert_allclose(rx, jx, rtol=1e-14, atol=0)
    np.testing.assert_allclose(ry, jy, rtol=1e-14, atol=0)
    _, t = tp.jvp(hypot, (HX, HY), (np.ones((3, 1)), np.zeros(4)))
    np.testing.assert_allclose(t, np.broadcast_to(HX / h, (3, 4)), rtol=1e-14)


def test_elementwise_custom_primitive_with_floats_and_check_grads() -> None:
    assert hypot(3.0, 4.0) == 5.0
    f: Fn = hypot
    gx, gy = tp.grad(f, (0, 1))(3.0, 4.0)
    assert type(gx) is float and gx == pytest.approx(0.6) and gy == pytest.approx(0.8)
    check_grads(hypot, [HX, HY], order=2)
    check_grads(hypot, [1.5, -0.3], order=2)
    check_grads(lambda a: hypot(a, 2.0), [HY], order=2)  # a constant operand
    h = tp.hessian(lambda a: hypot(a, 2.0))(1.5)  # d²/da² √(a² + 4) = 4 / (a² + 4)^{3/2}
    assert float(h) == pytest.approx(4 / (1.5**2 + 4) ** 1.5, rel=1e-14)


def test_wrong_number_of_positional_inputs_raises_type_error() -> None:
    with pytest.raises(TypeError, match="hypot_test takes 2"):
        hypot(1.0)
    with pytest.raises(TypeError, match="log1pexp_test takes 1"):
        log1pexp(1.0, 2.0)
    with pytest.raises(TypeError, match="takes 2"):
        hypot(tp.Var(1.0), 2.0, 3.0)


# ----- static parameters and inputs without a derivative -------------------------------------


@tp.primitive(
    vjp=lambda g, ans, x, *, k: g * k * tp.power(x, k - 1.0),
    jvp=lambda dx, ans, x, *, k: dx * k * tp.power(x, k - 1.0),
    name="powk_test",
    notation="{0}^k{p}",
)
def powk(x: tp.Value, *, k: float) -> tp.Value:
    """x ** k with a static exponent k."""
    return np.power(x, k) if isinstance(x, np.ndarray) else math.pow(x, k)


def test_keyword_parameters_are_static() -> None:
    x0 = np.array([0.5, 1.5, 2.0])
    g = tp.grad(lambda x: tp.sum(powk(x, k=3.0)))(x0)
    np.testing.assert_allclose(g, 3 * x0**2, rtol=1e-14)
    _, t = tp.jvp(lambda x: powk(x, k=2.5), (x0,), (np.ones(3),))
    np.testing.assert_allclose(t, 2.5 * x0**1.5, rtol=1e-14)
    with tp.Tape() as tape_:
        powk(tp.Var(x0), k=3.0)
    entries = list(tape_)
    assert entries[-1].primitive == "powk_test" and entries[-1].params == {"k": 3.0}
    check_grads(lambda x: powk(x, k=3.0), [x0], order=2)


@tp.primitive(
    vjp=[lambda g, ans, x, w: g * w, None],
    jvp=[lambda dx, ans, x, w: dx * w, None],
    name="scaled_by_constant_test",
    elementwise=True,
)
def scaled(x: tp.Value, w: tp.Value) -> tp.Value:
    """x · w, with w treated as a constant (no derivative for it)."""
    return x * w


def test_an_input_without_rules_gets_a_zero_derivative() -> None:
    x0, w0 = np.array([1.0, -2.0, 0.5]), np.array([3.0, 0.5, -1.0])
    gx, gw = tp.grad(lambda x, w: tp.sum(scaled(x, w)), (0, 1))(x0, w0)
    np.testing.assert_array_equal(gx, w0)
    np.testing.assert_array_equal(gw, np.zeros(3))
    _, t = tp.jvp(scaled, (x0, w0), (np.ones(3), np.ones(3)))
    np.testing.assert_array_equal(t, w0)  # w's tangent contributes nothing
    f: Fn = scaled
    jr = tp.jacrev(f, 1)(x0, w0)
    np.testing.assert_array_equal(jr, np.zeros((3, 3)))
    jf = tp.jacfwd(f, 1)(x0, w0)  # vector mode through a row whose only rule is None
    assert np.shape(jf) == (3, 3)
    np.testing.assert_array_equal(jf, np.zeros((3, 3)))


# ----- registration errors --------------------------------------------------------------------


def test_duplicate_name_raises_value_error() -> None:
    before = dict(tp.PRIMITIVES)

    def again(x: tp.Value) -> tp.Value:
        return x

    with pytest.raises(ValueError, match="log1pexp_test"):
        tp.primitive(vjp=lambda g, ans, x: g, jvp=lambda d, ans, x: d, name="log1pexp_test")(again)
    with pytest.raises(ValueError, match="'sin'"):
        tp.primitive(vjp=lambda g, ans, x: g, jvp=lambda d, ans, x: d, name="sin")(again)
    assert before == tp.PRIMITIVES, "a refused row leaves the registry unchanged"
    assert tp.PRIMITIVES["log1pexp_test"] is log1pexp.row


def test_default_name_is_the_function_name() -> None:
    def cube_default_name_test(x: tp.Value) -> tp.Value:
        return x * x * x

    if "cube_default_name_test" in tp.PRIMITIVES:  # registered already (test run twice)
        prim = tp.CustomPrimitive(tp.PRIMITIVES["cube_default_name_test"], None)
    else:
        prim = tp.primitive(
            vjp=lambda g, ans, x: g * 3.0 * x * x, jvp=lambda d, ans, x: d * 3.0 * x * x
        )(cube_default_name_test)
    assert prim.row.name == "cube_default_name_test"
    f: Fn = prim
    assert tp.grad(f)(2.0) == 12.0


def test_mismatched_rule_counts_raise_value_error() -> None:
    def f(x: tp.Value, y: tp.Value) -> tp.Value:
        return x

    before = dict(tp.PRIMITIVES)
    with pytest.raises(ValueError, match="2 vjp rules but 1 jvp"):
        tp.primitive(
            vjp=[lambda g, ans, x, y: g, lambda g, ans, x, y: g],
            jvp=lambda d, ans, x, y: d,
            name="mismatch_test",
        )
    with pytest.raises(ValueError, match="1 vjp rules but 3 jvp"):
        tp.primitive(vjp=lambda g, ans, x: g, jvp=[None, None, None], name="mismatch_test")
    assert before == tp.PRIMITIVES
    assert "mismatch_test" not in tp.PRIMITIVES
    del f


# ----- check_grads catches wrong rules ---------------------------------------------------------


@tp.primitive(
    vjp=lambda g, ans, x: g * (2.0 * tp.cos(x)),  # WRONG: off by a factor of 2
    jvp=lambda dx, ans, x: dx * tp.cos(x),
    name="sin_bad_vjp_test",
)
def sin_bad_vjp(x: tp.Value) -> tp.Value:
    return np.sin(x)


@tp.primitive(
    vjp=lambda g, ans, x: g * tp.cos(x),
    jvp=lambda dx, ans, x: dx * (2.0 * tp.cos(x)),  # WRONG: off by a factor of 2
    name="sin_bad_jvp_test",
)
def sin_bad_jvp(x: tp.Value) -> tp.Value:
    return np.sin(x)


@tp.primitive(
    # Right values, but computed with plain NumPy on plain values: the rules are constants
    # to any outer derivative, so the second derivative comes out 0 instead of −sin.
    vjp=lambda g, ans, x: g * np.cos(_const(x)),
    jvp=lambda dx, ans, x: dx * np.cos(_const(x)),
    name="sin_numpy_rules_test",
)
def sin_numpy_rules(x: tp.Value) -> tp.Value:
    return np.sin(x)


@tp.primitive(
    # Right values, but the input is cut off by stop_gradient inside the rules.
    vjp=lambda g, ans, x: g * tp.cos(tp.stop_gradient(x)),
    jvp=lambda dx, ans, x: dx * tp.cos(tp.stop_gradient(x)),
    name="sin_stopped_rules_test",
)
def sin_stopped_rules(x: tp.Value) -> tp.Value:
    return np.sin(x)


SIN_X = np.array([0.3, -1.1, 2.0, 0.9])


def test_check_grads_passes_a_correct_sin() -> None:
    check_grads(tp.sin, [SIN_X], order=2)


def test_check_grads_catches_a_wrong_vjp_rule() -> None:
    with pytest.raises(AssertionError) as e:
        check_grads(sin_bad_vjp, [SIN_X])
    msg = str(e.value)
    assert "reverse-mode Jacobian (jacrev" in msg and "of argument 0" in msg
    i = re.search(r"at index \((\d+), (\d+)\) = ∂out\[(\d+)\]/∂x0\[(\d+)\]", msg)
    assert i is not None, msg
    assert i[1] == i[2] == i[3] == i[4], "the wrong entries are on the diagonal"
    k = int(i[1])
    assert f"got {2 * math.cos(SIN_X[k])!r}, numerical " in msg, msg
    assert "np.float64" not in msg and "rtol=1e-05, atol=1e-06" in msg
    with pytest.raises(AssertionError, match=r"reverse-mode.*index \(\d+, \d+\)"):
        check_grads(sin_bad_vjp, [SIN_X], modes=("rev",))
    with pytest.raises(AssertionError, match=r"reverse-mode.*index"):
        check_grads(sin_bad_vjp, [0.7], modes=("rev",))
    check_grads(sin_bad_vjp, [SIN_X], modes=("fwd",))  # forward mode never runs the VJP


def test_check_grads_catches_a_wrong_jvp_rule_only_in_forward_mode() -> None:
    with pytest.raises(AssertionError) as e:
        check_grads(sin_bad_jvp, [SIN_X])
    msg = str(e.value)
    assert "forward-mode Jacobian (jacfwd" in msg
    assert re.search(r"at index \(\d+, \d+\) = ∂out\[\d+\]/∂x0\[\d+\]", msg), msg
    with pytest.raises(AssertionError, match=r"forward-mode.*index \(\)"):
        check_grads(sin_bad_jvp, [0.7], modes=("fwd",))
    check_grads(sin_bad_jvp, [SIN_X], modes=("rev",))  # reverse mode never runs the JVP


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_check_grads_order_2_catches_rules_that_are_not_differentiable(mode: str) -> None:
    check_grads(sin_numpy_rules, [SIN_X], order=1, modes=(mode,))  # values are right
    with pytest.raises(AssertionError, match=r"order 2.*index \(\d+, \d+\)"):
        check_grads(sin_numpy_rules, [SIN_X], order=2, modes=(mode,))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_check_grads_order_2_catches_stop_gradient_in_a_rule(mode: str) -> None:
    check_grads(sin_stopped_rules, [SIN_X], order=1, modes=(mode,))
    with pytest.raises(AssertionError, match=r"order 2.*index \(\d+, \d+\)"):
        check_grads(sin_stopped_rules, [SIN_X], order=2, modes=(mode,))


def test_wrong_second_derivative_is_the_expected_one() -> None:
    # The rules above differentiate to 0 where sin'' = −sin: confirm what order 2 saw.
    h = tp.jacrev(tp.grad(lambda x: tp.sum(sin_numpy_rules(x))))(SIN_X)
    np.testing.assert_array_equal(h, np.zeros((4, 4)))
    h_good = tp.jacrev(tp.grad(lambda x: tp.sum(tp.sin(x))))(SIN_X)
    np.testing.assert_allclose(h_good, np.diag(-np.sin(SIN_X)), rtol=1e-15)


# ----- rules written for one tangent, in vector mode (jacfwd, jacrev, hessian) ---------------
#
# A linear solve x = A⁻¹b with its rules written, naturally, for one tangent:
#   ẋ = A⁻¹(ḃ − Ȧx),  b̄ = A⁻ᵀx̄,  Ā = −b̄ xᵀ.
# Given k stacked tangents (k, n), np.linalg.solve reads them as one (n, k) matrix: with
# k = n it silently solves the transpose, and jacfwd and jacrev came out A⁻ᵀ instead of A⁻¹.


def _solve_vjp_a(g: Any, x: Any, a: Any, b: Any) -> Any:
    return -tp.outer(solve(tp.transpose(a), g), x)


def _solve_vjp_b(g: Any, x: Any, a: Any, b: Any) -> Any:
    return solve(tp.transpose(a), g)


def _solve_jvp_a(da: Any, x: Any, a: Any, b: Any) -> Any:
    return -solve(a, da @ x)


def _solve_jvp_b(db: Any, x: Any, a: Any, b: Any) -> Any:
    return solve(a, db)


@tp.primitive(vjp=[_solve_vjp_a, _solve_vjp_b], jvp=[_solve_jvp_a, _solve_jvp_b], name="solve_test")
def solve(a: tp.Array, b: tp.Array) -> tp.Array:
    """A⁻¹ b for a square A and a vector b."""
    return np.linalg.solve(a, b)


SOLVE_A = np.array([[3.0, 1.0, -0.5], [0.2, 2.0, 1.0], [-1.0, 0.4, 4.0]])  # not symmetric
SOLVE_B = np.array([1.0, -2.0, 0.5])
SOLVE_AI = np.linalg.inv(SOLVE_A)


def solve_jacobians(a: tp.Array, b: tp.Array) -> tuple[tp.Array, tp.Array]:
    """∂x/∂A = −A⁻¹ ⊗ x (∂xᵢ/∂Aⱼₖ = −(A⁻¹)ᵢⱼ xₖ) and ∂x/∂b = A⁻¹."""
    ai = np.linalg.inv(a)
    x = ai @ b
    return -np.einsum("ij,k->ijk", ai, x), ai


def test_solve_test_matrix_is_not_symmetric() -> None:
    assert np.max(np.abs(SOLVE_AI - SOLVE_AI.T)) > 0.05  # A⁻ᵀ would be caught


@pytest.mark.parametrize("how", ["jacfwd", "jacrev", "jacobian-fwd", "jacobian-rev"])
def test_custom_rules_for_one_tangent_give_the_right_jacobian(how: str) -> None:
    jacs: dict[str, Callable[[Fn, Any], Fn]] = {
        "jacfwd": tp.jacfwd,
        "jacrev": tp.jacrev,
        "jacobian-fwd": lambda f, a: tp.jacobian(f, a, mode="fwd"),
        "jacobian-rev": lambda f, a: tp.jacobian(f, a, mode="rev"),
    }
    jac = jacs[how]
    f: Fn = solve
    ja, jb = jac(f, (0, 1))(SOLVE_A, SOLVE_B)
    want_a, want_b = solve_jacobians(SOLVE_A, SOLVE_B)
    np.testing.assert_allclose(jb, want_b, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ja, want_a, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(jac(f, 1)(SOLVE_A, SOLVE_B), SOLVE_AI, rtol=1e-13, atol=1e-15)


def test_custom_rules_for_one_tangent_in_jvp_with_a_batch_of_tangents() -> None:
    # tp.jvp takes tangents with a leading batch axis: J·vᵢ for each vᵢ
    vs = np.array([[1.0, 0.0, 0.0], [0.5, -1.0, 2.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    _, t = tp.jvp(lambda b: solve(SOLVE_A, b), (SOLVE_B,), (vs,))
    np.testing.assert_allclose(t, vs @ SOLVE_AI.T, rtol=1e-13, atol=1e-15)


def half_sq_norm_of_solve(b: Any) -> Any:
    """f(b) = ½‖A⁻¹b‖²: ∇f = A⁻ᵀA⁻¹b, H = A⁻ᵀA⁻¹."""
    return 0.5 * tp.sum(tp.square(solve(SOLVE_A, b)))


def half_sq_norm_of_solve_in_a(a: Any) -> Any:
    """g(A) = ½‖A⁻¹b‖²: ∇g = −A⁻ᵀ x xᵀ with x = A⁻¹b."""
    return 0.5 * tp.sum(tp.square(solve(a, SOLVE_B)))


def hessian_in_a_closed_form(a: tp.Array) -> tp.Array:
    """∂²g/∂Aⱼₖ∂Aₗₘ = (A⁻¹ₘⱼ yₗ + (A⁻ᵀA⁻¹)ⱼₗ xₘ) xₖ + yⱼ A⁻¹ₖₗ xₘ, y = A⁻ᵀx."""
    ai = np.linalg.inv(a)
    x = ai @ SOLVE_B
    y = ai.T @ x
    h = np.einsum("mj,l,k->jklm", ai, y, x)
    h += np.einsum("jl,m,k->jklm", ai.T @ ai, x, x)
    h += np.einsum("j,kl,m->jklm", y, ai, x)
    return np.asarray(h)


def test_the_closed_form_hessian_in_a_is_the_derivative_of_the_gradient() -> None:
    def grad_in_a(a: tp.Array) -> tp.Array:  # ∇g = −y xᵀ
        x = np.linalg.solve(a, SOLVE_B)
        return np.asarray(-np.outer(np.linalg.solve(a.T, x), x))

    eps = 1e-6
    num = np.zeros((3, 3, 3, 3))
    for lm in np.ndindex(3, 3):
        e = np.zeros((3, 3))
        e[lm] = eps
        num[(Ellipsis, *lm)] = (grad_in_a(SOLVE_A + e) - grad_in_a(SOLVE_A - e)) / (2 * eps)
    np.testing.assert_allclose(hessian_in_a_closed_form(SOLVE_A), num, rtol=1e-7, atol=1e-9)


SECOND_ORDER: dict[str, Callable[[Fn], Fn]] = {
    "hessian": tp.hessian,
    "jacfwd(grad)": lambda f: tp.jacfwd(tp.grad(f)),
    "jacrev(grad)": lambda f: tp.jacrev(tp.grad(f)),
    "jacfwd(jacrev)": lambda f: tp.jacfwd(tp.jacrev(f)),
    "jacrev(jacrev)": lambda f: tp.jacrev(tp.jacrev(f)),
    "jacrev(jacfwd)": lambda f: tp.jacrev(tp.jacfwd(f)),
    "jacfwd(jacfwd)": lambda f: tp.jacfwd(tp.jacfwd(f)),
}


@pytest.mark.parametrize("how", list(SECOND_ORDER))
def test_second_derivatives_through_rules_for_one_tangent(how: str) -> None:
    # the nested cases: the batched sweeps push dual numbers with k tangents through the VJP
    # rules, which call solve, whose JVP then meets the batch
    h = SECOND_ORDER[how](half_sq_norm_of_solve)(SOLVE_B)
    np.testing.assert_allclose(h, SOLVE_AI.T @ SOLVE_AI, rtol=1e-12, atol=1e-14)
    ha = SECOND_ORDER[how](half_sq_norm_of_solve_in_a)(SOLVE_A)
    assert np.shape(ha) == (3, 3, 3, 3)
    np.testing.assert_allclose(ha, hessian_in_a_closed_form(SOLVE_A), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ha, np.transpose(ha, (2, 3, 0, 1)), rtol=1e-12, atol=1e-14)


def test_hvp_through_rules_for_one_tangent() -> None:
    v = np.array([0.3, -1.0, 2.0])
    hv = tp.hvp(half_sq_norm_of_solve, SOLVE_B, v)
    np.testing.assert_allclose(hv, SOLVE_AI.T @ SOLVE_AI @ v, rtol=1e-12)


def test_check_grads_passes_the_solve_with_rules_for_one_tangent() -> None:
    check_grads(solve, [SOLVE_A, SOLVE_B], order=2)
    check_grads(half_sq_norm_of_solve, [SOLVE_B], order=2)


# How the rules meet k directions: counting their calls and the tangents they see.


class Spy:
    """A JVP rule's arguments, recorded: the shape of each tangent it was given."""

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def seen(self, d: Any) -> None:
        self.shapes.append(tuple(np.shape(_const(d))))


SPY_BATCHED, SPY_AUTO, SPY_DEFAULT, SPY_ONE, SPY_SOLVE = Spy(), Spy(), Spy(), Spy(), Spy()


def _spied(spy: Spy, rule: Fn) -> Fn:
    def wrapped(d: Any, *rest: Any) -> Any:
        spy.seen(d)
        return rule(d, *rest)

    return wrapped


def _cube_vjp(g: Any, ans: Any, x: Any) -> Any:
    return g * 3.0 * x * x


def _cube_jvp(d: Any, ans: Any, x: Any) -> Any:
    return d * 3.0 * x * x  # broadcasts: right for a batch of tangents too


def _registered(name: str, spy: Spy, **flags: Any) -> Fn:
    """The cube primitive ``name`` with a spied JVP, registered on first use (made here, not
    at import, so that this file also runs against a tape without the ``batched`` flag)."""
    if name in tp.PRIMITIVES:
        return tp.CustomPrimitive(tp.PRIMITIVES[name], None)

    def cube(x: tp.Value) -> tp.Value:
        return x * x * x

    return tp.primitive(vjp=_cube_vjp, jvp=_spied(spy, _cube_jvp), name=name, **flags)(cube)


def _solve_b_vjp(g: Any, x: Any, b: Any, a: Any) -> Any:
    return solve(tp.transpose(a), g)


def _solve_b_jvp(db: Any, x: Any, b: Any, a: Any) -> Any:
    return solve(a, db)


@tp.primitive(
    vjp=[_solve_b_vjp, None],
    jvp=[_spied(SPY_SOLVE, _solve_b_jvp), None],
    name="solve_b_spied_test",
    batched=None,  # tried on a batch, checked: the check must catch solve's mixing
)
def solve_b_spied(b: tp.Array, a: tp.Array) -> tp.Array:
    """A⁻¹ b, differentiable in b only."""
    return np.linalg.solve(a, b)


X5 = np.array([0.5, -1.0, 2.0, 0.25, 1.5])


def test_a_batched_rule_is_called_once_with_the_whole_batch() -> None:
    del SPY_BATCHED.shapes[:]
    f = _registered("cube_batched_test", SPY_BATCHED, batched=True)
    j = tp.jacfwd(f)(X5)
    np.testing.assert_allclose(j, np.diag(3 * X5**2), rtol=1e-15)
    assert SPY_BATCHED.shapes == [(5, 5)]
    del SPY_BATCHED.shapes[:]
    h = tp.hessian(lambda x: tp.sum(f(x)))(X5)
    np.testing.assert_allclose(h, np.diag(6 * X5), rtol=1e-15)
    assert SPY_BATCHED.shapes == [(5, 5)], "one call: the forward pass in hessian's tape"


def test_a_rule_for_one_tangent_with_batched_false_sees_one_tangent_at_a_time() -> None:
    del SPY_ONE.shapes[:]
    f = _registered("cube_one_test", SPY_ONE, batched=False)
    j = tp.jacfwd(f)(X5)
    np.testing.assert_allclose(j, np.diag(3 * X5**2), rtol=1e-15)
    assert SPY_ONE.shapes == [(5,)] * 5
    del SPY_ONE.shapes[:]
    h = tp.hessian(lambda x: tp.sum(f(x)))(X5)
    np.testing.assert_allclose(h, np.diag(6 * X5), rtol=1e-15)
    assert SPY_ONE.shapes == [(5,)] * 5, "forward over reverse: the forward pass in the tape"


def test_by_default_a_rule_sees_exactly_one_tangent() -> None:
    del SPY_DEFAULT.shapes[:]
    f = _registered("cube_default_test", SPY_DEFAULT)
    j = tp.jacfwd(f)(X5)
    np.testing.assert_allclose(j, np.diag(3 * X5**2), rtol=1e-15)
    assert SPY_DEFAULT.shapes == [(5,)] * 5


def test_a_rule_for_one_tangent_that_takes_a_batch_right_is_called_twice() -> None:
    # batched=None: one call on the whole batch, checked by one call on a combination
    del SPY_AUTO.shapes[:]
    f = _registered("cube_auto_test", SPY_AUTO, batched=None)
    j = tp.jacfwd(f)(X5)
    np.testing.assert_allclose(j, np.diag(3 * X5**2), rtol=1e-15)
    assert SPY_AUTO.shapes == [(5, 5), (5,)]


def test_a_rule_for_one_tangent_that_mixes_the_batch_falls_back_to_one_at_a_time() -> None:
    del SPY_SOLVE.shapes[:]
    f: Fn = solve_b_spied
    j = tp.jacfwd(f)(SOLVE_B, SOLVE_A)
    np.testing.assert_allclose(j, SOLVE_AI, rtol=1e-13, atol=1e-15)
    # tried on the batch, checked (and found wrong), then one direction at a time
    assert SPY_SOLVE.shapes == [(3, 3), (3,), (3,), (3,), (3,)]
    del SPY_SOLVE.shapes[:]
    j2 = tp.jacfwd(f)(SOLVE_B, SOLVE_A)
    np.testing.assert_allclose(j2, SOLVE_AI, rtol=1e-13, atol=1e-15)
    assert SPY_SOLVE.shapes == [(3,)] * 3, "remembered: not tried on a batch again"


def test_elementwise_rule_for_one_tangent_sees_the_input_shape() -> None:
    # hypot's inputs broadcast: (3, 1) and (4,) -> (3, 4); a rule called per direction gets
    # a tangent of its input's own shape (not lined up with the output's axes)
    seen: list[tuple[int, ...]] = []

    def jvp_x(dx: Any, ans: Any, x: Any, y: Any) -> Any:
        seen.append(np.shape(_const(dx)))
        return dx * x / ans

    if "hypot_one_test" in tp.PRIMITIVES:
        prim = tp.CustomPrimitive(tp.PRIMITIVES["hypot_one_test"], None, False)
    else:
        prim = tp.primitive(
            vjp=[lambda g, ans, x, y: g * x / ans, lambda g, ans, x, y: g * y / ans],
            jvp=[jvp_x, lambda dy, ans, x, y: dy * y / ans],
            name="hypot_one_test",
            elementwise=True,
            batched=False,
        )(_hypot_impl)
    f: Fn = prim
    jx = tp.jacfwd(f, 0)(HX, HY)
    want_x = np.einsum("ij,ik->ijk", HX / np.hypot(HX, HY), np.eye(3))[..., None]
    np.testing.assert_allclose(jx, want_x, rtol=1e-14, atol=0)
    assert seen == [(3, 1)] * 3
