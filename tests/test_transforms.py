"""The function transforms: grad, value_and_grad, vjp, jvp, jacobian, hessian and hvp.

Gradients are checked against closed forms and central finite differences; Hessians against
closed forms (a quadratic form, Rosenbrock, logsumexp), and the ways of getting second
derivatives against each other: forward over reverse (``tp.hessian``, ``tp.hvp``), reverse
over reverse (``tp.jacrev(tp.grad(f))``, the gradient of ⟨∇f, v⟩) and nested tapes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tape as tp
from tape.testing import numerical_jacobian

Fn = Callable[..., Any]
RNG = np.random.default_rng(20240611)


def _plain(v: Any) -> Any:
    return v.value if isinstance(v, tp.Var) else v


# ----- grad and value_and_grad ----------------------------------------------------------------


def f_xy(x: Any, y: Any) -> Any:
    """Σ sin(x)·y + (Σ y)²: ∂/∂x = cos(x)·y, ∂/∂y = sin(x) + 2 Σ y (x, y of one shape)."""
    return tp.sum(tp.sin(x) * y) + tp.sum(y) ** 2.0


def df_xy(x: tp.Array, y: tp.Array) -> tuple[tp.Array, tp.Array]:
    return np.cos(x) * y, np.sin(x) + 2 * np.sum(y)


X3 = np.array([0.3, -1.2, 2.0])
Y3 = np.array([1.5, 0.25, -0.75])


def test_grad_int_argnums_gives_one_gradient() -> None:
    gx = tp.grad(f_xy)(X3, Y3)
    gy = tp.grad(f_xy, 1)(X3, Y3)
    assert isinstance(gx, np.ndarray) and isinstance(gy, np.ndarray)
    np.testing.assert_allclose(gx, df_xy(X3, Y3)[0], rtol=1e-14)
    np.testing.assert_allclose(gy, df_xy(X3, Y3)[1], rtol=1e-14)


def test_grad_tuple_argnums_gives_a_tuple() -> None:
    gs = tp.grad(f_xy, (0, 1))(X3, Y3)
    assert isinstance(gs, tuple) and len(gs) == 2
    want = df_xy(X3, Y3)
    for g, w in zip(gs, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-14)
    (only_y,) = tp.grad(f_xy, (1,))(X3, Y3)
    np.testing.assert_allclose(only_y, want[1], rtol=1e-14)
    swapped = tp.grad(f_xy, (1, 0))(X3, Y3)
    np.testing.assert_allclose(swapped[0], want[1], rtol=1e-14)
    np.testing.assert_allclose(swapped[1], want[0], rtol=1e-14)


def test_grad_negative_argnums() -> None:
    want = df_xy(X3, Y3)
    np.testing.assert_allclose(tp.grad(f_xy, -1)(X3, Y3), want[1], rtol=1e-14)
    np.testing.assert_allclose(tp.grad(f_xy, -2)(X3, Y3), want[0], rtol=1e-14)
    gs = tp.grad(f_xy, (0, -1))(X3, Y3)
    np.testing.assert_allclose(gs[0], want[0], rtol=1e-14)
    np.testing.assert_allclose(gs[1], want[1], rtol=1e-14)
    with pytest.raises(ValueError, match="argnums"):
        tp.grad(f_xy, -3)(X3, Y3)
    with pytest.raises(ValueError, match="argnums"):
        tp.grad(f_xy, 2)(X3, Y3)


def test_grad_has_aux() -> None:
    def f(x: Any, y: Any) -> tuple[Any, Any]:
        out = f_xy(x, y)
        return out, {"y_sum": float(_plain(tp.sum(y))), "tag": "aux"}

    g, aux = tp.grad(f, has_aux=True)(X3, Y3)
    np.testing.assert_allclose(g, df_xy(X3, Y3)[0], rtol=1e-14)
    assert aux == {"y_sum": pytest.approx(float(np.sum(Y3))), "tag": "aux"}
    (gx, gy), aux2 = tp.grad(f, (0, 1), has_aux=True)(X3, Y3)
    np.testing.assert_allclose(gx, df_xy(X3, Y3)[0], rtol=1e-14)
    np.testing.assert_allclose(gy, df_xy(X3, Y3)[1], rtol=1e-14)
    assert aux2["tag"] == "aux"


def test_grad_has_aux_with_a_recorded_aux_returns_its_value() -> None:
    def f(x: Any) -> tuple[Any, Any]:
        s = tp.sum(x * x)
        return s, tp.sqrt(s)  # aux computed on the tape comes back as a plain value

    g, aux = tp.grad(f, has_aux=True)(X3)
    np.testing.assert_allclose(g, 2 * X3, rtol=1e-15)
    assert not isinstance(aux, tp.Var)
    assert aux == pytest.approx(math.sqrt(float(np.sum(X3**2))), rel=1e-15)


def test_grad_has_aux_needs_a_pair() -> None:
    with pytest.raises(TypeError, match="pair"):
        not_a_pair: Fn = lambda x: tp.sum(x)
        tp.grad(not_a_pair, has_aux=True)(X3)


def test_value_and_grad() -> None:
    v, g = tp.value_and_grad(f_xy)(X3, Y3)
    assert type(v) is float
    assert v == pytest.approx(float(np.sum(np.sin(X3) * Y3) + np.sum(Y3) ** 2), rel=1e-14)
    np.testing.assert_allclose(g, df_xy(X3, Y3)[0], rtol=1e-14)
    v2, (gx, gy) = tp.value_and_grad(f_xy, (0, 1))(X3, Y3)
    assert v2 == v
    np.testing.assert_allclose(gx, df_xy(X3, Y3)[0], rtol=1e-14)
    np.testing.assert_allclose(gy, df_xy(X3, Y3)[1], rtol=1e-14)

    def f(x: Any) -> tuple[Any, Any]:
        return tp.sum(tp.exp(x)), "note"

    (val, aux), gf = tp.value_and_grad(f, has_aux=True)(X3)
    assert val == pytest.approx(float(np.sum(np.exp(X3))), rel=1e-14)
    assert aux == "note"
    np.testing.assert_allclose(gf, np.exp(X3), rtol=1e-14)


def test_grad_of_a_float_is_a_float() -> None:
    g = tp.grad(lambda x: x * tp.sin(x))(0.8)
    assert type(g) is float
    assert g == pytest.approx(math.sin(0.8) + 0.8 * math.cos(0.8), rel=1e-14)
    gx, gy = tp.grad(lambda x, y: x**y, (0, 1))(1.5, 2.5)
    assert type(gx) is float and type(gy) is float
    assert gx == pytest.approx(2.5 * 1.5**1.5, rel=1e-14)
    assert gy == pytest.approx(math.log(1.5) * 1.5**2.5, rel=1e-14)
    g_int = tp.grad(lambda x: x * x * x)(2)  # integers are differentiated as floats
    assert type(g_int) is float and g_int == 12.0
    v, g2 = tp.value_and_grad(lambda x: tp.exp(x))(0.5)
    assert type(v) is float and type(g2) is float


def test_grad_of_a_0d_array() -> None:
    g = tp.grad(lambda x: x * x * x)(np.array(1.5))
    assert np.shape(g) == () and np.asarray(g).dtype == np.float64
    assert float(g) == pytest.approx(3 * 1.5**2, rel=1e-15)
    g32 = tp.grad(lambda x: x * x * x)(np.array(1.5, dtype=np.float32))
    assert isinstance(g32, np.ndarray) and g32.shape == () and g32.dtype == np.float32
    assert float(g32) == pytest.approx(6.75, rel=1e-6)


def test_grad_of_nd_arrays() -> None:
    x0 = RNG.uniform(-1.0, 1.0, (2, 3, 4))
    w = RNG.standard_normal((3, 4))

    def f(x: Any) -> Any:
        return tp.sum(tp.tanh(x) * w) + tp.sum(tp.logsumexp(x, axis=(0, 2)))

    g = tp.grad(f)(x0)
    assert isinstance(g, np.ndarray) and g.shape == (2, 3, 4)
    lse = np.log(np.sum(np.exp(x0), axis=(0, 2), keepdims=True))
    want = (1 - np.tanh(x0) ** 2) * w + np.exp(x0 - lse)
    np.testing.assert_allclose(g, want, rtol=1e-13)
    num = numerical_jacobian(f, [x0])
    np.testing.assert_allclose(g, num, rtol=1e-7, atol=1e-8)


def test_grad_keeps_float32() -> None:
    x32 = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    g = tp.grad(lambda x: tp.sum(tp.sin(x) * x))(x32)
    assert isinstance(g, np.ndarray) and g.dtype == np.float32
    x64 = x32.astype(np.float64)
    np.testing.assert_allclose(g, np.cos(x64) * x64 + np.sin(x64), rtol=1e-5)
    gx, gy = tp.grad(lambda x, y: tp.sum(x * y), (0, 1))(x32, np.ones((2, 2)))
    assert isinstance(gx, np.ndarray) and isinstance(gy, np.ndarray)
    assert gx.dtype == np.float32 and gy.dtype == np.float64


def test_grad_of_an_unused_argument_and_of_a_constant_output_is_zero() -> None:
    g = tp.grad(lambda x, y: tp.sum(x * x), 1)(X3, Y3)
    assert isinstance(g, np.ndarray) and g.shape == Y3.shape
    np.testing.assert_array_equal(g, 0.0)
    g0 = tp.grad(lambda x: 3.0)(X3)
    np.testing.assert_array_equal(g0, np.zeros(3))
    assert tp.grad(lambda x: 3.0)(1.0) == 0.0


@pytest.mark.parametrize(
    ("f", "shape"),
    [
        (lambda x: x * 2.0, "(3,)"),
        (lambda x: tp.reshape(x, (3, 1)), "(3, 1)"),
        (lambda x: tp.outer(x, x), "(3, 3)"),
    ],
)
def test_grad_of_a_non_scalar_output_raises_type_error(f: Fn, shape: str) -> None:
    with pytest.raises(TypeError, match="scalar") as e:
        tp.grad(f)(X3)
    assert shape in str(e.value)
    with pytest.raises(TypeError, match="scalar") as e2:
        tp.value_and_grad(f)(X3)
    assert shape in str(e2.value)


# ----- vjp ------------------------------------------------------------------------------------


def g_two(x: Any, y: Any) -> Any:
    """(2, 3) x (3,) -> (2, 2): a nonlinear map with two inputs."""
    h = tp.tanh(x * y) @ np.array([[1.0, -0.5], [0.3, 2.0], [-1.0, 0.7]])
    return h * tp.sum(tp.exp(y))


def test_vjp_pullback_called_several_times() -> None:
    x0 = RNG.uniform(-1, 1, (2, 3))
    y0 = RNG.uniform(-1, 1, (3,))
    out, back = tp.vjp(g_two, x0, y0)
    np.testing.assert_allclose(out, _plain(g_two(tp.Var(x0), tp.Var(y0))), rtol=1e-15)
    jx = numerical_jacobian(g_two, [x0, y0], argnum=0)  # (2, 2, 2, 3)
    jy = numerical_jacobian(g_two, [x0, y0], argnum=1)  # (2, 2, 3)
    us = [RNG.standard_normal((2, 2)) for _ in range(3)]
    results = [back(u) for u in us]
    for u, (cx, cy) in zip(us, results, strict=True):
        assert isinstance(cx, np.ndarray) and isinstance(cy, np.ndarray)
        assert cx.shape == (2, 3) and cy.shape == (3,)
        np.testing.assert_allclose(cx, np.tensordot(u, jx, axes=2), rtol=1e-7, atol=1e-8)
        np.testing.assert_allclose(cy, np.tensordot(u, jy, axes=2), rtol=1e-7, atol=1e-8)
    # calling again (in another order) gives the same answers: the tape is kept intact
    for u, (cx, cy) in reversed(list(zip(us, results, strict=True))):
        again = back(u)
        np.testing.assert_array_equal(again[0], cx)
        np.testing.assert_array_equal(again[1], cy)
    # linear in the cotangent
    both = back(us[0] + 2.0 * us[1])
    np.testing.assert_allclose(both[0], results[0][0] + 2.0 * results[1][0], rtol=1e-12)


def test_vjp_of_a_float_function() -> None:
    out, back = tp.vjp(lambda a, b: tp.sin(a) * b, 0.4, 3.0)
    assert type(out) is float and out == pytest.approx(math.sin(0.4) * 3.0, rel=1e-15)
    ca, cb = back(2.0)
    assert type(ca) is float and type(cb) is float
    assert ca == pytest.approx(2.0 * math.cos(0.4) * 3.0, rel=1e-15)
    assert cb == pytest.approx(2.0 * math.sin(0.4), rel=1e-15)
    ca2, _ = back(-0.5)
    assert ca2 == pytest.approx(-0.5 * math.cos(0.4) * 3.0, rel=1e-15)


def test_vjp_rejects_a_cotangent_of_the_wrong_shape() -> None:
    _, back = tp.vjp(g_two, np.ones((2, 3)), np.ones(3))
    with pytest.raises(ValueError, match="cotangent"):
        back(np.ones(4))


def test_vjp_of_an_output_independent_of_the_input() -> None:
    out, back = tp.vjp(lambda x: np.ones(2), np.ones(3))
    np.testing.assert_array_equal(out, np.ones(2))
    (c,) = back(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(c, np.zeros(3))


# ----- jvp ------------------------------------------------------------------------------------


def h_three(a: Any, x: Any, m: Any) -> Any:
    """A float, a vector and a matrix in, a (2,)-vector out."""
    return tp.sin(a * x) @ m + tp.sum(m, axis=0) * a**2.0


def test_jvp_with_several_primals() -> None:
    a0, x0, m0 = 0.7, RNG.uniform(-1, 1, 3), RNG.uniform(-1, 1, (3, 2))
    args: list[tp.Value] = [a0, x0, m0]
    va, vx, vm = 0.3, RNG.standard_normal(3), RNG.standard_normal((3, 2))
    out, t = tp.jvp(h_three, (a0, x0, m0), (va, vx, vm))
    np.testing.assert_allclose(out, np.sin(a0 * x0) @ m0 + m0.sum(0) * a0**2, rtol=1e-15)
    js = [numerical_jacobian(h_three, args, argnum=k) for k in range(3)]
    want = js[0] * va + js[1] @ vx + np.tensordot(js[2], vm, axes=2)
    np.testing.assert_allclose(t, want, rtol=1e-7, atol=1e-8)
    # closed form of the same directional derivative
    closed = (
        (np.cos(a0 * x0) * (va * x0 + a0 * vx)) @ m0
        + np.sin(a0 * x0) @ vm
        + vm.sum(0) * a0**2
        + m0.sum(0) * 2 * a0 * va
    )
    np.testing.assert_allclose(t, closed, rtol=1e-13)
    # jvp is linear in the tangents: one tangent at a time adds up to all of them
    parts = [
        tp.jvp(h_three, (a0, x0, m0), (va, np.zeros(3), np.zeros((3, 2))))[1],
        tp.jvp(h_three, (a0, x0, m0), (0.0, vx, np.zeros((3, 2))))[1],
        tp.jvp(h_three, (a0, x0, m0), (0.0, np.zeros(3), vm))[1],
    ]
    np.testing.assert_allclose(sum(parts), t, rtol=1e-13, atol=1e-15)


def test_jvp_errors() -> None:
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        tp.jvp(lambda a, b: a * b, (1.0, 2.0), (1.0,))
    with pytest.raises(ValueError, match="tangent"):
        tp.jvp(lambda a: a * 2.0, (np.ones(3),), (np.ones(4),))


def test_jvp_of_an_output_independent_of_the_input() -> None:
    out, t = tp.jvp(lambda x: np.arange(3.0), (np.ones(2),), (np.ones(2),))
    np.testing.assert_array_equal(out, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(t, np.zeros(3))


# ----- jacobian(mode=...) ---------------------------------------------------------------------


class ArgTypes:
    """Wraps f and records the type of its first argument at each call.

    jacobian(mode="auto") calls f once, with Var inputs (a recording, which tells the
    output's size); mode="fwd" calls it with Duals, mode="rev" with Vars.
    """

    def __init__(self, f: Fn) -> None:
        self.f = f
        self.types: list[type] = []

    def __call__(self, *args: Any) -> Any:
        self.types.append(type(args[0]))
        return self.f(*args)


rules_run: list[str] = []


def _tracked_vjp(g: Any, ans: Any, x: Any) -> Any:
    rules_run.append("vjp")
    return g


def _tracked_jvp(d: Any, ans: Any, x: Any) -> Any:
    rules_run.append("jvp")
    return d


@tp.primitive(
    vjp=_tracked_vjp,
    jvp=_tracked_jvp,
    name="tracked_identity_test",
)
def tracked(x: tp.Value) -> tp.Value:
    """x, recorded as one record whose rules say which mode ran through it."""
    return x


def wide(x: Any) -> Any:
    """R² -> R⁵ (input smaller: forward mode)."""
    x = tracked(x)
    return tp.concatenate([tp.sin(x), x * x[::-1], tp.reshape(tp.prod(x), (1,))])


def narrow(x: Any) -> Any:
    """R⁵ -> R² (output smaller: reverse mode)."""
    x = tracked(x)
    return tp.stack([tp.sum(tp.exp(x)), tp.sum(x * tp.cos(x))])


def square_map(x: Any) -> Any:
    """R³ -> R³ (equal sizes: reverse mode)."""
    x = tracked(x)
    return tp.tanh(x) * tp.sum(x)


@pytest.mark.parametrize(
    ("f", "n", "chosen"),
    [(wide, 2, "jvp"), (narrow, 5, "vjp"), (square_map, 3, "vjp")],
)
def test_jacobian_auto_picks_the_cheaper_mode(f: Fn, n: int, chosen: str) -> None:
    x0 = RNG.uniform(0.2, 1.5, n)
    spy = ArgTypes(f)
    del rules_run[:]
    j = tp.jacobian(spy)(x0)
    assert spy.types == [tp.Var], "one call: a recording, swept forward or backward"
    assert set(rules_run) == {chosen}, "forward over the records, or the batched reverse sweep"
    fwd_spy, rev_spy = ArgTypes(f), ArgTypes(f)
    del rules_run[:]
    jf = tp.jacobian(fwd_spy, mode="fwd")(x0)
    jr = tp.jacobian(rev_spy, mode="rev")(x0)
    assert fwd_spy.types == [tp.Dual] and rev_spy.types == [tp.Var]
    assert set(rules_run) == {"jvp", "vjp"}
    np.testing.assert_allclose(j, jf, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(jf, jr, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(j, numerical_jacobian(f, [x0]), rtol=1e-7, atol=1e-8)


def test_jacobian_auto_with_tuple_argnums_counts_all_inputs() -> None:
    # inputs 1 + 2 = 3 < output 4: forward mode
    def f(a: Any, b: Any) -> Any:
        b = tracked(b)
        return tp.concatenate([a * b, tp.exp(b), tp.reshape(tp.sum(b) * a, (1,))])

    a0, b0 = np.array([0.5]), np.array([1.0, -0.4])
    spy = ArgTypes(f)
    del rules_run[:]
    ja, jb = tp.jacobian(spy, (0, 1))(a0, b0)
    assert spy.types == [tp.Var] and set(rules_run) == {"jvp"}
    np.testing.assert_allclose(ja, numerical_jacobian(f, [a0, b0], 0), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(jb, numerical_jacobian(f, [a0, b0], 1), rtol=1e-7, atol=1e-8)
    ra, rb = tp.jacobian(f, (0, 1), mode="rev")(a0, b0)
    np.testing.assert_allclose(ja, ra, rtol=1e-12)
    np.testing.assert_allclose(jb, rb, rtol=1e-12)


def test_jacobian_auto_nested_in_other_transforms() -> None:
    # forward over the records of an inner tape whose values are an outer tape's Vars (grad
    # of it), or dual numbers (jvp of it): the sweep's rules are recorded / carried too
    x0 = np.array([0.4, 1.3])

    def total(x: Any) -> Any:
        return tp.sum(tp.jacobian(wide)(x))  # Σ of wide's Jacobian (a 5 × 2 forward case)

    def total_closed(x: tp.Array) -> float:
        return float(np.cos(x).sum() + 3 * x.sum())

    g = tp.grad(total)(x0)
    want = np.array([-math.sin(x0[0]) + 3.0, -math.sin(x0[1]) + 3.0])
    np.testing.assert_allclose(g, want, rtol=1e-14)
    _, t = tp.jvp(total, (x0,), (np.array([1.0, -2.0]),))
    assert float(t) == pytest.approx(float(want @ np.array([1.0, -2.0])), rel=1e-14)
    assert float(_plain(total(tp.Var(x0)))) == pytest.approx(total_closed(x0), rel=1e-14)


def test_jacobian_rejects_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="mode"):
        tp.jacobian(wide, mode="sideways")  # type: ignore[call-overload]


# ----- Hessians against closed forms ----------------------------------------------------------

A = np.array(
    [[2.0, 1.0, 0.0, -0.5], [-1.0, 3.0, 0.5, 0.2], [0.25, 0.0, 1.0, 1.5], [0.3, -0.7, 0.0, 2.0]]
)


def quadratic(x: Any) -> Any:
    """½ xᵀ A x with A not symmetric: H = (A + Aᵀ)/2."""
    return 0.5 * (x @ (A @ x))


def quadratic_hessian(x0: tp.Array) -> tp.Array:
    return np.asarray(0.5 * (A + A.T))


def rosenbrock(x: Any) -> Any:
    """Σᵢ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²."""
    head, tail = x[:-1], x[1:]
    return tp.sum(100.0 * tp.square(tail - head * head) + tp.square(1.0 - head))


def rosenbrock_hessian(x0: tp.Array) -> tp.Array:
    n = x0.size
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x0[i] ** 2 - 400 * x0[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x0[i]
    return h


def lse(x: Any) -> Any:
    return tp.logsumexp(x)


def lse_hessian(x0: tp.Array) -> tp.Array:
    s = np.exp(x0 - np.max(x0))
    s /= s.sum()
    return np.asarray(np.diag(s) - np.outer(s, s))


def product(x: Any) -> Any:
    return tp.prod(x)


def product_hessian(x0: tp.Array) -> tp.Array:
    """∂²(Π x)/∂xᵢ∂xⱼ = Π_{k ≠ i, j} x_k for i ≠ j, and 0 on the diagonal."""
    n = x0.size
    h = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                h[i, j] = np.prod(np.delete(x0, [i, j]))
    return h


HESSIANS: list[tuple[str, Fn, Callable[[tp.Array], tp.Array], tp.Array]] = [
    ("quadratic", quadratic, quadratic_hessian, np.array([1.0, -2.0, 0.5, 0.3])),
    ("rosenbrock", rosenbrock, rosenbrock_hessian, np.array([-1.2, 1.0, 0.8, 1.5, 0.3])),
    ("rosenbrock-minimum", rosenbrock, rosenbrock_hessian, np.ones(4)),
    ("logsumexp", lse, lse_hessian, np.array([0.3, -1.0, 2.0, 0.0, 1.1])),
    ("product", product, product_hessian, np.array([0.5, -1.2, 2.0, 0.8])),
]
HESSIAN_IDS = [h[0] for h in HESSIANS]


def nested_tapes_hessian(f: Fn, x0: tp.Array) -> tp.Array:
    x = tp.Var(x0)
    with tp.Tape(persistent=True) as outer:
        with tp.Tape() as inner:
            y = f(x)
        g = inner.gradient(y, x)
    assert isinstance(g, tp.Var)
    return outer.jacobian(g, x)


@pytest.mark.parametrize(("name", "f", "closed", "x0"), HESSIANS, ids=HESSIAN_IDS)
def test_hessian_equals_its_closed_form_and_is_symmetric(
    name: str, f: Fn, closed: Callable[[tp.Array], tp.Array], x0: tp.Array
) -> None:
    h = tp.hessian(f)(x0)
    assert isinstance(h, np.ndarray) and h.shape == (x0.size, x0.size)
    want = closed(x0)
    scale = float(np.max(np.abs(want)))
    np.testing.assert_allclose(h, want, rtol=1e-12, atol=1e-14 * scale)
    np.testing.assert_allclose(h, h.T, rtol=1e-12, atol=1e-14 * scale)


@pytest.mark.parametrize(("name", "f", "closed", "x0"), HESSIANS, ids=HESSIAN_IDS)
def test_forward_over_reverse_equals_reverse_over_reverse_equals_nested_tapes(
    name: str, f: Fn, closed: Callable[[tp.Array], tp.Array], x0: tp.Array
) -> None:
    fwd_rev = tp.hessian(f)(x0)
    fwd_rev2 = tp.jacfwd(tp.grad(f))(x0)
    rev_rev = tp.jacrev(tp.grad(f))(x0)
    nested = nested_tapes_hessian(f, x0)
    scale = float(np.max(np.abs(closed(x0))))
    for other in (fwd_rev2, rev_rev, nested):
        assert other.shape == fwd_rev.shape
        np.testing.assert_allclose(other, fwd_rev, rtol=1e-12, atol=1e-14 * scale)
    np.testing.assert_allclose(nested, closed(x0), rtol=1e-12, atol=1e-14 * scale)


@pytest.mark.parametrize(("name", "f", "closed", "x0"), HESSIANS, ids=HESSIAN_IDS)
def test_hvp_equals_hessian_times_v_in_every_mode(
    name: str, f: Fn, closed: Callable[[tp.Array], tp.Array], x0: tp.Array
) -> None:
    v = np.random.default_rng(len(name)).standard_normal(x0.shape)
    want = closed(x0) @ v
    scale = float(np.max(np.abs(want)))
    hv = tp.hvp(f, x0, v)  # forward over reverse
    assert isinstance(hv, np.ndarray) and hv.shape == x0.shape
    np.testing.assert_allclose(hv, want, rtol=1e-12, atol=1e-13 * scale)

    def grad_dot_v(x: Any) -> Any:  # reverse over reverse: ∇⟨∇f(x), v⟩ = H v
        return tp.sum(tp.grad(f)(x) * v)

    np.testing.assert_allclose(tp.grad(grad_dot_v)(x0), want, rtol=1e-12, atol=1e-13 * scale)
    x = tp.Var(x0)  # nested tapes
    with tp.Tape() as outer:
        with tp.Tape() as inner:
            y = f(x)
        g = inner.gradient(y, x)
        gv = tp.sum(g * v)
    np.testing.assert_allclose(outer.gradient(gv, x), want, rtol=1e-12, atol=1e-13 * scale)


JACOBIAN_OF_JACOBIAN: dict[str, Callable[[Fn], Fn]] = {
    "jacfwd(jacrev)": lambda f: tp.jacfwd(tp.jacrev(f)),
    "jacrev(jacrev)": lambda f: tp.jacrev(tp.jacrev(f)),
    "jacrev(jacfwd)": lambda f: tp.jacrev(tp.jacfwd(f)),
    "jacfwd(jacfwd)": lambda f: tp.jacfwd(tp.jacfwd(f)),
}


@pytest.mark.parametrize("combo", list(JACOBIAN_OF_JACOBIAN))
@pytest.mark.parametrize(("name", "f", "closed", "x0"), HESSIANS, ids=HESSIAN_IDS)
def test_hessian_as_the_jacobian_of_the_jacobian(
    name: str, f: Fn, closed: Callable[[tp.Array], tp.Array], x0: tp.Array, combo: str
) -> None:
    # JAX's spelling of the Hessian is jacfwd(jacrev(f)); every composition must agree.
    want = closed(x0)
    scale = float(np.max(np.abs(want)))
    h = JACOBIAN_OF_JACOBIAN[combo](f)(x0)
    np.testing.assert_allclose(h, want, rtol=1e-12, atol=1e-14 * scale)


def test_hvp_by_reverse_over_forward() -> None:
    # H v = ∇ₓ (J_f(x) v) for a scalar f: the gradient of a forward-mode directional derivative
    x0 = np.array([-1.2, 1.0, 0.8, 1.5])
    v = np.array([0.5, -1.0, 0.25, 2.0])

    def directional(x: Any) -> Any:
        _, t = tp.jvp(rosenbrock, (x,), (v,))
        return t

    np.testing.assert_allclose(tp.grad(directional)(x0), rosenbrock_hessian(x0) @ v, rtol=1e-12)


def test_hessian_with_tuple_argnums() -> None:
    # f(x, y) = xᵀ B y + Σ x³ + Σ eʸ:
    # Hxx = diag(6x), Hxy = B, Hyx = Bᵀ, Hyy = diag(eʸ)
    b = np.array([[2.0, 1.0], [-1.0, 3.0], [0.25, 0.0]])

    def f(x: Any, y: Any) -> Any:
        return x @ (b @ y) + tp.sum(x**3.0) + tp.sum(tp.exp(y))

    x0, y0 = np.array([1.0, -2.0, 0.5]), np.array([0.3, -0.2])
    (hxx, hxy), (hyx, hyy) = tp.hessian(f, (0, 1))(x0, y0)
    assert hxx.shape == (3, 3) and hxy.shape == (3, 2)
    assert hyx.shape == (2, 3) and hyy.shape == (2, 2)
    np.testing.assert_allclose(hxx, np.diag(6 * x0), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(hxy, b, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(hyx, b.T, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(hyy, np.diag(np.exp(y0)), rtol=1e-14, atol=1e-15)
    # the int-argnums Hessians are the diagonal blocks
    np.testing.assert_allclose(tp.hessian(f, 1)(x0, y0), hyy, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(tp.hessian(f, 0)(x0, y0), hxx, rtol=1e-14, atol=1e-15)


def test_hessian_of_a_float_function() -> None:
    h = tp.hessian(lambda x: tp.sin(x) * x)(0.9)
    assert float(h) == pytest.approx(2 * math.cos(0.9) - 0.9 * math.sin(0.9), rel=1e-14)
    hv = tp.hvp(lambda x: x**4.0, 1.5, 2.0)
    assert float(hv) == pytest.approx(12 * 1.5**2 * 2.0, rel=1e-14)


def test_hessian_of_prod_at_a_zero() -> None:
    # Π x is a polynomial: its Hessian is finite everywhere, zeros included. With one zero
    # entry x₀ = 0 only the row and column of x₀ survive: H₀ⱼ = Π_{k ≠ 0, j} x_k.
    x0 = np.array([0.0, -1.2, 2.0, 0.8])
    want = product_hessian(x0)
    assert np.count_nonzero(want) == 6
    # the gradient itself, taken while an outer derivative watches: (Π_{k≠0} x_k, 0, 0, 0)
    grad_want = np.array([-1.2 * 2.0 * 0.8, 0.0, 0.0, 0.0])
    g_out, hv = tp.jvp(tp.grad(product), (x0,), (np.ones(4),))
    np.testing.assert_allclose(g_out, grad_want, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(hv, want @ np.ones(4), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(tp.hessian(product)(x0), want, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(tp.jacrev(tp.grad(product))(x0), want, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(nested_tapes_hessian(product, x0), want, rtol=1e-14, atol=1e-15)


def test_hessian_of_a_matrix_argument() -> None:
    # f(W) = Σ (W x)² : ∂²f/∂Wᵢⱼ∂Wₖₗ = 2 δᵢₖ xⱼ xₗ
    x = np.array([0.5, -1.0, 2.0])
    w0 = RNG.standard_normal((2, 3))
    h = tp.hessian(lambda w: tp.sum(tp.square(w @ x)))(w0)
    assert h.shape == (2, 3, 2, 3)
    want = 2 * np.einsum("ik,j,l->ijkl", np.eye(2), x, x)
    np.testing.assert_allclose(h, want, rtol=1e-14, atol=1e-15)


def test_nested_grad_is_the_second_derivative() -> None:
    d2 = tp.grad(tp.grad(lambda x: tp.exp(x) * x))(0.4)
    assert type(d2) is float
    assert d2 == pytest.approx((0.4 + 2) * math.exp(0.4), rel=1e-14)


THIRD_ORDER: dict[str, Callable[[Fn], Fn]] = {
    "grad(grad(grad))": lambda f: tp.grad(tp.grad(tp.grad(f))),
    "jacfwd(grad(grad))": lambda f: tp.jacfwd(tp.grad(tp.grad(f))),
    "grad(jacfwd(grad))": lambda f: tp.grad(tp.jacfwd(tp.grad(f))),
    "jacrev(hessian)": lambda f: tp.jacrev(tp.hessian(f)),
}


@pytest.mark.parametrize("combo", list(THIRD_ORDER))
def test_third_derivative_by_composed_transforms(combo: str) -> None:
    # d³/dx³ x⁵ = 60 x², d³/dx³ sin x = −cos x
    d3 = THIRD_ORDER[combo](lambda x: x**5.0)(1.3)
    assert float(d3) == pytest.approx(60 * 1.3**2, rel=1e-13)
    s3 = THIRD_ORDER[combo](tp.sin)(0.7)
    assert float(s3) == pytest.approx(-math.cos(0.7), rel=1e-13)


def test_third_derivative_by_three_nested_tapes() -> None:
    x = tp.Var(1.3)
    with tp.Tape() as t1:
        with tp.Tape() as t2:
            with tp.Tape() as t3:
                y = x**5.0
            g = t3.gradient(y, x)
        h = t2.gradient(g, x)
    assert t1.gradient(h, x) == pytest.approx(60 * 1.3**2, rel=1e-13)
