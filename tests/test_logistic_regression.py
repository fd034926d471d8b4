"""A real program in plain NumPy: L2-regularised logistic regression written with
``np.logaddexp``, minimised by ``scipy.optimize.minimize`` with tape's gradient and
Hessian-vector products, checked against the closed forms.

The loss of weights w on data (X, y), y = ±1, is

    L(w) = mean(log(1 + exp(−y · Xw))) + ½ λ |w|²  =  mean(logaddexp(0, −y · Xw)) + ½ λ |w|²

with gradient Xᵀ(−y σ(−y Xw)) / n + λ w and Hessian Xᵀ diag(σ(m)(1 − σ(m))) X / n + λ I
(m = y Xw). scipy is in the ``examples`` extra, which ``make test`` installs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tape as tp

optimize = pytest.importorskip("scipy.optimize")

RNG = np.random.default_rng(11)
N, D = 200, 5
X = RNG.standard_normal((N, D))
W_TRUE = np.array([1.5, -2.0, 0.5, 0.0, 1.0])
Y = np.where(RNG.uniform(size=N) < 1.0 / (1.0 + np.exp(-X @ W_TRUE)), 1.0, -1.0)
LAM = 0.1


def loss(w: Any) -> Any:
    """Plain NumPy: the same code runs on arrays and on tape values."""
    margins = -Y * (X @ w)
    return np.mean(np.logaddexp(0.0, margins)) + 0.5 * LAM * np.sum(w * w)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def grad_closed(w: np.ndarray) -> np.ndarray:
    return np.asarray(X.T @ (-Y * sigmoid(-Y * (X @ w))) / N + LAM * w)


def hess_closed(w: np.ndarray) -> np.ndarray:
    s = sigmoid(Y * (X @ w))
    return (X.T * (s * (1.0 - s))) @ X / N + LAM * np.eye(D)


def test_the_gradient_and_hessian_are_the_closed_forms() -> None:
    w = RNG.standard_normal(D)
    value, g = tp.value_and_grad(loss)(w)
    assert value == pytest.approx(float(loss(w)), rel=1e-14)
    np.testing.assert_allclose(g, grad_closed(w), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tp.hessian(loss)(w), hess_closed(w), rtol=1e-11, atol=1e-13)
    v = RNG.standard_normal(D)
    np.testing.assert_allclose(tp.hvp(loss, w, v), hess_closed(w) @ v, rtol=1e-11, atol=1e-13)


def _minimise(method: str, **how: Any) -> Any:
    vg = tp.value_and_grad(loss)

    def fun(w: np.ndarray) -> tuple[float, np.ndarray]:
        value, g = vg(w)
        return float(value), np.asarray(g)

    return optimize.minimize(fun, np.zeros(D), jac=True, method=method, **how)


def test_lbfgs_with_tape_gradients_finds_the_closed_form_optimum() -> None:
    ours = _minimise("L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-15})
    assert ours.success, ours.message
    ref = optimize.minimize(
        lambda w: float(loss(w)),
        np.zeros(D),
        jac=grad_closed,
        method="L-BFGS-B",
        options={"gtol": 1e-10, "ftol": 1e-15},
    )
    np.testing.assert_allclose(ours.x, ref.x, rtol=1e-6, atol=1e-8)
    assert np.linalg.norm(grad_closed(ours.x)) < 1e-7  # a stationary point
    assert np.all(np.linalg.eigvalsh(hess_closed(ours.x)) > 0)  # and a minimum


def test_trust_ncg_with_tape_hessian_vector_products_converges() -> None:
    res = _minimise(
        "trust-ncg",
        hessp=lambda w, v: np.asarray(tp.hvp(loss, w, v)),
        options={"gtol": 1e-10},
    )
    assert res.success, res.message
    assert np.linalg.norm(grad_closed(res.x)) < 1e-9
    assert res.nit < 20  # Newton's method: a handful of steps from 0
    # the fitted weights recover the signs of the model that made the labels
    assert np.array_equal(np.sign(res.x[[0, 1, 2, 4]]), np.sign(W_TRUE[[0, 1, 2, 4]]))
