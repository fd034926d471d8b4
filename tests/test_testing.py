"""``tp.testing.check_grads`` itself: it compares whole Jacobians, in both modes.

A custom linear solve whose JVP rule is written for one tangent but declared to take a
batch of them (``batched=True``: 53cebab called every rule that way) is right along any ONE
direction, and wrong for k directions at once: ``np.linalg.solve(A, D)`` reads the k
stacked tangents as a matrix, so ``jacfwd`` (and ``jacrev``, whose batched sweep pushes k
cotangents through the rules as dual numbers) give A⁻ᵀ instead of A⁻¹. A check of one random
projection per mode cannot see it; comparing the full Jacobians can.
"""

from __future__ import annotations

import inspect
import math
import re
from typing import Any

import numpy as np
import pytest

import tape as tp
from tape import testing
from tape.testing import check_grads, numerical_jacobian

A2 = np.array([[2.0, 1.0], [-0.5, 3.0]])  # not symmetric
A3 = np.array([[3.0, 1.0, -0.5], [0.2, 2.0, 1.0], [-1.0, 0.4, 4.0]])
B3 = np.array([1.0, -2.0, 0.5])


def _claims_a_batch() -> dict[str, Any]:
    """``batched=True`` where tp.primitive has the flag; 53cebab had none, and called every
    JVP rule with the whole batch (the same thing)."""
    return {"batched": True} if "batched" in inspect.signature(tp.primitive).parameters else {}


def _vjp_b(g: Any, x: Any, b: Any, a: Any) -> Any:
    return wrong_solve(g, tp.transpose(a))


def _jvp_b(db: Any, x: Any, b: Any, a: Any) -> Any:
    return wrong_solve(db, a)  # right for one tangent; for a batch, solves the transpose


@tp.primitive(
    vjp=[_vjp_b, None], jvp=[_jvp_b, None], name="solve_claims_batch_test", **_claims_a_batch()
)
def wrong_solve(b: tp.Array, a: tp.Array) -> tp.Array:
    """A⁻¹ b, differentiable in b; its JVP rule wrongly claims to take a batch."""
    return np.linalg.solve(a, b)


def solve_b(b: Any) -> Any:
    return wrong_solve(b, A3)


def test_the_wrong_solve_is_right_along_one_direction_and_wrong_for_a_batch() -> None:
    ai = np.linalg.inv(A3)
    assert np.max(np.abs(ai - ai.T)) > 0.05
    # what the old check_grads compared: one random direction, one random cotangent
    rng = np.random.default_rng(0)
    v, u = rng.standard_normal(3), rng.standard_normal(3)
    _, jv = tp.jvp(solve_b, (B3,), (v,))
    np.testing.assert_allclose(jv, ai @ v, rtol=1e-13)
    g = tp.grad(lambda b: tp.sum(solve_b(b) * u))(B3)
    np.testing.assert_allclose(g, ai.T @ u, rtol=1e-13)
    # and what is wrong: k = 3 directions at once
    np.testing.assert_allclose(tp.jacfwd(solve_b)(B3), ai.T, rtol=1e-13)
    np.testing.assert_allclose(tp.jacrev(solve_b)(B3), ai.T, rtol=1e-13)
    np.testing.assert_allclose(numerical_jacobian(solve_b, [B3]), ai, rtol=1e-8)


@pytest.mark.parametrize(
    ("modes", "how"),
    [
        (("fwd", "rev"), "forward-mode Jacobian (jacfwd"),
        (("fwd",), "forward-mode Jacobian (jacfwd"),
        (("rev",), "reverse-mode Jacobian (jacrev"),
    ],
)
def test_check_grads_compares_the_whole_jacobian(modes: tuple[str, ...], how: str) -> None:
    with pytest.raises(AssertionError) as e:
        check_grads(solve_b, [B3], modes=modes)
    msg = str(e.value)
    assert how in msg and "of argument 0" in msg, msg
    m = re.search(
        r"at index \((\d), (\d)\) = ∂out\[(\d)\]/∂x0\[(\d)\]: got (\S+), numerical (\S+) ", msg
    )
    assert m is not None, msg
    i, j = int(m[1]), int(m[2])
    assert (int(m[3]), int(m[4])) == (i, j)
    ai = np.linalg.inv(A3)
    assert float(m[5]) == pytest.approx(ai[j, i], rel=1e-12)  # got A⁻ᵀ
    assert float(m[6].rstrip(",")) == pytest.approx(ai[i, j], rel=1e-7)  # numerical A⁻¹
    assert "rtol=1e-05, atol=1e-06" in msg
    assert "np.float64" not in msg and "array(" not in msg


def test_check_grads_passes_right_rules_in_full_and_by_projection() -> None:
    def f(x: Any, y: Any) -> Any:
        return tp.tanh(x @ y) * tp.sum(tp.exp(y))

    x0 = np.array([[0.3, -0.2, 0.5], [1.0, 0.1, -0.4]])
    y0 = np.array([0.2, -0.7, 1.1])
    check_grads(f, [x0, y0], order=2)
    check_grads(f, [x0, y0], order=2, max_full=0)  # random projections only
    check_grads(lambda a, b: tp.sin(a) * b, [0.4, 1.5], order=2)
    check_grads(lambda a, b: tp.sin(a) * b, [0.4, 1.5], order=2, max_full=0)


def test_above_the_size_limit_check_grads_projects_two_directions_at_once() -> None:
    def f(b: Any) -> Any:
        return wrong_solve(b, A2)

    b0 = np.array([0.5, -1.5])
    # two random directions in one jvp: the batch of two reaches the rule, which is wrong
    with pytest.raises(AssertionError, match=r"forward-mode J·v\d \(jvp of 2 random directions"):
        check_grads(f, [b0], max_full=0, modes=("fwd",))
    with pytest.raises(AssertionError, match=r"reverse-mode gradients \(jacrev\) of 2 random"):
        check_grads(f, [b0], max_full=0, modes=("rev",))


def test_the_size_limit_is_input_size_times_output_size() -> None:
    assert testing.MAX_FULL == 1024

    def bad_sin(x: Any) -> Any:
        return _sin_bad_jvp(x)

    small = np.linspace(-1.0, 1.0, 32)  # 32 × 32 = 1024: whole Jacobians
    with pytest.raises(AssertionError, match=r"forward-mode Jacobian \(jacfwd.*\(\d+, \d+\)"):
        check_grads(bad_sin, [small])
    large = np.linspace(-1.0, 1.0, 33)  # 33 × 33 > 1024: projections
    with pytest.raises(AssertionError, match=r"forward-mode J·v0"):
        check_grads(bad_sin, [large])


def _sin_jvp_off_by_two(dx: Any, ans: Any, x: Any) -> Any:
    return dx * (2.0 * tp.cos(x))


@tp.primitive(vjp=lambda g, ans, x: g * tp.cos(x), jvp=_sin_jvp_off_by_two, name="sin2_jvp_test")
def _sin_bad_jvp(x: tp.Value) -> tp.Value:
    return np.sin(x)


def test_order_2_compares_the_whole_hessian() -> None:
    # a VJP rule with plain NumPy inside: right first derivatives, zero second derivatives
    def vjp(g: Any, ans: Any, x: Any) -> Any:
        while isinstance(x, tp.Var | tp.Dual):  # the plain value: a constant to any derivative
            x = x.value if isinstance(x, tp.Var) else x.primal
        return g * np.cos(x)

    name = "sin_const_vjp_test"
    prim = (
        tp.CustomPrimitive(tp.PRIMITIVES[name], None)
        if name in tp.PRIMITIVES
        else tp.primitive(vjp=vjp, jvp=lambda d, ans, x: d * tp.cos(x), name=name)(np.sin)
    )

    def f(x: Any) -> Any:
        return tp.sum(prim(x))

    x0 = np.array([0.3, -1.1, 2.0])
    check_grads(f, [x0], order=1)
    with pytest.raises(AssertionError) as e:
        check_grads(f, [x0], order=2, modes=("rev",))
    msg = str(e.value)
    assert msg.startswith("order 2, of the gradient ∇f"), msg
    m = re.search(
        r"at index \((\d), (\d)\) = ∂∇\[(\d)\]/∂x0\[(\d)\]: got 0\.0, numerical (\S+) ", msg
    )
    assert m is not None, msg
    k = int(m[1])
    assert m[1] == m[2] and float(m[5]) == pytest.approx(-math.sin(x0[k]), rel=1e-6)


def test_failure_message_for_floats_prints_plain_numbers() -> None:
    with pytest.raises(AssertionError) as e:
        check_grads(_sin_bad_jvp, [0.7], modes=("fwd",))
    msg = str(e.value)
    want = f"at index () = ∂out/∂x0: got {2 * math.cos(0.7)!r}, numerical "
    assert want in msg, msg
    assert "np.float64" not in msg
