"""Optimizers: one SGD, momentum and Adam step on a known quadratic against the update worked
out by hand, float parameters, learning-rate schedules, and the errors of step()."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tape as tp
from tape import optim

# The quadratic f(x) = Σ aᵢ (xᵢ − cᵢ)², whose gradient is 2a(x − c).
A = np.array([1.0, 0.5])
C = np.array([3.0, 1.0])
X0 = np.array([1.0, -2.0])  # gradient at X0: 2·[1, 0.5]·[−2, −3] = [−4, −3]


def quadratic_grad(x: tp.Var) -> tp.Array:
    """∇f at x, taken with the tape (the way a training loop gets it)."""
    with tp.Tape() as t:
        f = (A * tp.square(x - C)).sum()
    g = t.gradient(f, x)
    assert isinstance(g, np.ndarray)
    return g


def test_quadratic_gradient_is_the_hand_computed_one() -> None:
    np.testing.assert_array_equal(quadratic_grad(tp.Var(X0)), [-4.0, -3.0])


def test_sgd_step_is_x_minus_lr_times_gradient() -> None:
    x = tp.Var(X0)
    opt = optim.SGD([x], lr=0.1)
    opt.step([quadratic_grad(x)])
    # x₁ = x₀ − 0.1·g = [1, −2] − 0.1·[−4, −3] = [1.4, −1.7]
    np.testing.assert_allclose(x.value, [1.4, -1.7], rtol=0, atol=1e-15)


def test_sgd_momentum_two_steps_by_hand() -> None:
    x = tp.Var(X0)
    opt = optim.SGD([x], lr=0.1, momentum=0.9)
    opt.step([quadratic_grad(x)])
    # step 1: buf = g₀ = [−4, −3];  x₁ = [1, −2] − 0.1·[−4, −3] = [1.4, −1.7]
    np.testing.assert_allclose(x.value, [1.4, -1.7], rtol=0, atol=1e-15)
    g1 = quadratic_grad(x)
    # g₁ = 2·[1, 0.5]·([1.4, −1.7] − [3, 1]) = [−3.2, −2.7]
    np.testing.assert_allclose(g1, [-3.2, -2.7], rtol=0, atol=1e-15)
    opt.step([g1])
    # step 2: buf = 0.9·[−4, −3] + [−3.2, −2.7] = [−6.8, −5.4]
    #         x₂ = [1.4, −1.7] − 0.1·[−6.8, −5.4] = [2.08, −1.16]
    np.testing.assert_allclose(x.value, [2.08, -1.16], rtol=0, atol=1e-15)


def test_sgd_weight_decay_adds_wd_times_p_to_the_gradient() -> None:
    x = tp.Var(X0)
    opt = optim.SGD([x], lr=0.1, weight_decay=0.5)
    opt.step([quadratic_grad(x)])
    # g + 0.5·x = [−4, −3] + 0.5·[1, −2] = [−3.5, −4];  x₁ = [1, −2] − 0.1·[−3.5, −4]
    np.testing.assert_allclose(x.value, [1.35, -1.6], rtol=0, atol=1e-15)


def test_adam_first_step_moves_each_coordinate_by_about_lr() -> None:
    x = tp.Var(X0)
    opt = optim.Adam([x], lr=0.01)
    g = quadratic_grad(x)
    opt.step([g])
    # m = 0.1·g, v = 0.001·g²;  m̂ = m / (1 − 0.9) = g,  v̂ = v / (1 − 0.999) = g²
    # x₁ = x₀ − 0.01·g / (|g| + 1e-8) = [1 + 0.01·4/(4 + 1e-8), −2 + 0.01·3/(3 + 1e-8)]
    want = [1.0 + 0.01 * 4.0 / (4.0 + 1e-8), -2.0 + 0.01 * 3.0 / (3.0 + 1e-8)]
    np.testing.assert_allclose(x.value, want, rtol=1e-15, atol=0)
    np.testing.assert_allclose(x.value, [1.01, -1.99], rtol=0, atol=1e-10)


def test_adam_two_steps_with_bias_correction_by_hand() -> None:
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    x = tp.Var(X0)
    opt = optim.Adam([x], lr=lr, betas=(b1, b2), eps=eps)
    g0 = quadratic_grad(x)
    opt.step([g0])
    g1 = quadratic_grad(x)
    opt.step([g1])

    x1 = X0 - lr * g0 / (np.abs(g0) + eps)  # the first step, as above
    # x₁ = [1.05, −1.95], so g₁ = 2·[1, 0.5]·([1.05, −1.95] − [3, 1]) = [−3.9, −2.95]
    np.testing.assert_allclose(g1, [-3.9, -2.95], rtol=0, atol=1e-9)  # (eps shifts x₁ by 1e-10)
    m = b1 * ((1 - b1) * g0) + (1 - b1) * g1  # [−0.75, −0.565]
    v = b2 * ((1 - b2) * g0**2) + (1 - b2) * g1**2
    m_hat = m / (1 - b1**2)  # 1 − 0.81 = 0.19
    v_hat = v / (1 - b2**2)  # 1 − 0.998001 = 0.001999
    want = x1 - lr * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(m, [-0.75, -0.565], rtol=0, atol=1e-9)
    np.testing.assert_allclose(x.value, want, rtol=1e-14)
    # the numbers: m̂ = [−0.75, −0.565] / 0.19 = [−3.9473684, −2.9736842],
    # v = [0.031194, 0.0176935], √v̂ = √(v / 0.001999) = [3.9502914, 2.9750925],
    # x₂ = [1.05, −1.95] − 0.05 · m̂ / √v̂ = [1.0999630, −1.9000237]
    np.testing.assert_allclose(x.value, [1.0999630, -1.9000237], rtol=0, atol=1e-7)


def test_adam_weight_decay_is_added_to_the_gradient() -> None:
    x = tp.Var(X0)
    opt = optim.Adam([x], lr=0.01, weight_decay=10.0)
    opt.step([quadratic_grad(x)])
    # g + 10·x = [−4 + 10, −3 − 20] = [6, −23]: the first step goes against its sign
    want = X0 - 0.01 * np.array([6.0, -23.0]) / (np.array([6.0, 23.0]) + 1e-8)
    np.testing.assert_allclose(x.value, want, rtol=1e-15)


# ----- float parameters ------------------------------------------------------------------------


def scalar_grad(w: tp.Var) -> float:
    """d/dw (w − 3)² = 2(w − 3)."""
    with tp.Tape() as t:
        f = (w - 3.0) * (w - 3.0)
    g = t.gradient(f, w)
    assert isinstance(g, float)
    return g


def test_sgd_on_a_float_parameter_keeps_it_a_float() -> None:
    w = tp.Var(1.0)
    opt = optim.SGD([w], lr=0.25, momentum=0.5)
    opt.step([scalar_grad(w)])  # g = −4: w = 1 + 0.25·4 = 2
    assert type(w.value) is float
    assert w.value == 2.0
    opt.step([scalar_grad(w)])  # g = −2, buf = 0.5·(−4) − 2 = −4: w = 2 + 0.25·4 = 3
    assert w.value == 3.0


def test_adam_on_a_float_parameter() -> None:
    w = tp.Var(1.0)
    opt = optim.Adam([w], lr=0.1)
    opt.step([scalar_grad(w)])
    assert type(w.value) is float
    assert w.value == pytest.approx(1.0 + 0.1 * 4.0 / (4.0 + 1e-8), rel=1e-15)


def test_adam_converges_on_the_quadratic() -> None:
    x = tp.Var(X0)
    w = tp.Var(-1.0)
    opt = optim.Adam([x, w], lr=0.1)
    for _ in range(500):
        opt.step([quadratic_grad(x), scalar_grad(w)])
    np.testing.assert_allclose(x.value, C, atol=1e-3)
    assert w.value == pytest.approx(3.0, abs=1e-3)


def test_float32_parameters_stay_float32() -> None:
    x = tp.Var(X0.astype(np.float32))
    for opt in (optim.SGD([x], lr=0.1, momentum=0.9), optim.Adam([x], lr=0.1)):
        opt.step([np.ones(2, dtype=np.float32)])
        assert isinstance(x.value, np.ndarray)
        assert x.value.dtype == np.float32


# ----- schedules and state -----------------------------------------------------------------------


def test_lr_is_assignable_between_steps() -> None:
    x = tp.Var(0.0)
    opt = optim.SGD([x], lr=1.0)
    opt.step([1.0])
    opt.lr = 0.5
    opt.step([1.0])
    assert x.value == -1.5
    assert opt.steps == 2


def test_a_value_kept_from_before_a_step_keeps_its_numbers() -> None:
    x = tp.Var(X0)
    before = x.value
    optim.SGD([x], lr=0.1).step([np.ones(2)])
    assert x.value is not before
    np.testing.assert_array_equal(before, X0)  # the old value was not written in place
    np.testing.assert_array_equal(x.value, X0 - 0.1)
    assert not x.value.flags.writeable  # type: ignore[union-attr]


@pytest.mark.parametrize("make", [optim.SGD, optim.Adam])
def test_a_value_only_the_var_holds_is_updated_in_place(make: Any) -> None:
    x, ref = tp.Var(X0), tp.Var(X0)
    opt, ref_opt = make([x], lr=0.1), make([ref], lr=0.1)
    address = id(x.value)
    for k in range(3):
        with tp.Tape() as t:
            loss = tp.sum(tp.sin(x) * x)
        g = t.gradient(loss, x)
        opt.step([g])
        _ = ref.value  # a reference held while stepping: ref gets new arrays
        kept = ref.value
        ref_opt.step([g])
        assert ref.value is not kept, k
        assert id(x.value) == address, k  # the same array every step
        np.testing.assert_array_equal(x.value, ref.value)
    assert not x.value.flags.writeable  # type: ignore[union-attr]


def test_a_live_tape_or_a_view_stops_the_update_in_place() -> None:
    x = tp.Var(X0)
    with tp.Tape(persistent=True) as t:  # holds x's value in its records until freed
        loss = tp.sum(x * x)
    held = id(x.value)
    optim.SGD([x], lr=0.1).step(t.gradient(loss, [x]))
    assert id(x.value) != held
    np.testing.assert_array_equal(t.gradient(loss, x), 2 * X0)  # the records kept X0
    view = np.asarray(x.value)[:1]
    optim.SGD([x], lr=0.1).step([np.ones(2)])
    np.testing.assert_array_equal(view, (X0 - 0.2 * X0)[:1])  # unchanged


def test_step_reads_gradients_from_tape_in_parameter_order() -> None:
    a, b = tp.Var(np.array([1.0, 2.0])), tp.Var(3.0)
    with tp.Tape() as t:
        loss = (a * a).sum() + 10.0 * b
    optim.SGD([a, b], lr=0.5).step(t.gradient(loss, [a, b]))
    np.testing.assert_array_equal(a.value, [0.0, 0.0])  # a − 0.5·2a
    assert b.value == -2.0  # 3 − 0.5·10


# ----- errors ------------------------------------------------------------------------------------


def test_step_with_too_few_gradients_raises() -> None:
    ps = [tp.Var(np.zeros(2)), tp.Var(np.zeros((2, 3))), tp.Var(1.0)]
    opt = optim.SGD(ps, lr=0.1)
    with pytest.raises(ValueError, match=r"step\(\) got 2 gradients for 3 parameters"):
        opt.step([np.zeros(2), np.zeros((2, 3))])
    assert opt.steps == 0


@pytest.mark.parametrize("make", [optim.SGD, optim.Adam])
def test_step_with_a_wrong_shape_names_index_and_shapes(make: type[optim.Optimizer]) -> None:
    ps = [tp.Var(np.zeros(2)), tp.Var(np.zeros((2, 3)))]
    opt = make(ps, lr=0.1)
    with pytest.raises(
        ValueError, match=r"gradient 1 has shape \(3, 2\) but parameter 1 has shape \(2, 3\)"
    ):
        opt.step([np.zeros(2), np.zeros((3, 2))])
    np.testing.assert_array_equal(ps[0].value, 0.0)  # nothing was updated


def test_step_with_an_array_gradient_for_a_float_parameter_raises() -> None:
    opt = optim.SGD([tp.Var(1.0)], lr=0.1)
    with pytest.raises(
        ValueError, match=r"gradient 0 has shape \(1,\) but parameter 0 has shape \(\)"
    ):
        opt.step([np.ones(1)])


def test_step_with_a_recorded_gradient_raises() -> None:
    x = tp.Var(2.0)
    opt = optim.SGD([x], lr=0.1)
    with pytest.raises(TypeError, match="gradient 0 is a Var"):
        opt.step([x])  # type: ignore[list-item]


def test_bad_hyperparameters_and_parameter_lists_raise() -> None:
    p = tp.Var(1.0)
    with pytest.raises(ValueError, match="no parameters"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(TypeError, match="parameter 0 is a ndarray"):
        optim.SGD([np.zeros(2)], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="lr must be >= 0"):
        optim.SGD([p], lr=-1.0)
    with pytest.raises(ValueError, match="lr must be >= 0"):
        optim.Adam([p], lr=math.nan)
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD([p], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        optim.Adam([p], betas=(0.9, 1.0))
