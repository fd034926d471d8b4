"""Record once, optimise with SciPy: a compiled tape as ``scipy.optimize.minimize``'s objective.

Run it with ``python examples/fit_scipy.py``. It fits L2-regularised logistic regression to
scikit-learn's bundled breast-cancer data (569 tumours, 30 standardised features): the loss
of the 31 parameters θ = (w, b) is

    L(θ) = mean(softplus(z) − y·z) + (λ/2)·|w|²,   z = X·w + b,

recorded ONCE on a tape and compiled. Every iterate of the optimiser then replays it:
``prog.objective`` gives the loss and its gradient (``jac=True``), ``prog.hvp`` gives
Hessian-vector products (``hessp``) for the Newton-CG trust-region method, and the Python
function is never called again. The same two fits are done by re-recording the loss at every
iterate (``tp.value_and_grad`` and ``tp.hvp``), and the script checks that both ways reach
the same optimum (to 1e-8) and prints the time each took.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize  # type: ignore[import-untyped]
from sklearn.datasets import load_breast_cancer  # type: ignore[import-untyped]

import tape as tp

Floats = npt.NDArray[np.floating[Any]]

LAMBDA = 1e-2
"""The L2 coefficient λ."""


def data() -> tuple[Floats, Floats]:
    """The breast-cancer features (standardised) and labels (1 = benign)."""
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X.astype(np.float64), y.astype(np.float64)


def make_loss(X: Floats, y: Floats) -> Callable[[Any], Any]:
    """L(θ) with tape's functions: recorded for a Var, plain NumPy for an array."""
    d = X.shape[1]

    def loss(theta: Any) -> Any:
        w, b = theta[:d], theta[d]
        z = X @ w + b
        return tp.mean(tp.softplus(z) - y * z) + 0.5 * LAMBDA * tp.sum(w * w)

    return loss


@dataclass
class Fit:
    """One optimisation.

    Attributes:
        method: SciPy's method name.
        how: ``"replay"`` (one recording, a compiled program) or ``"re-record"``.
        theta: The optimum found.
        loss: L at the optimum.
        grad_norm: |∇L| at the optimum (by a fresh recording).
        evaluations: Objective (and gradient) evaluations.
        hessp: Hessian-vector products.
        seconds: Wall time of ``minimize``.
        in_tape: Of that, the time spent in the objective and ``hessp`` (the rest is SciPy).
        accuracy: Training accuracy of the fitted classifier.
    """

    method: str
    how: str
    theta: Floats
    loss: float
    grad_norm: float
    evaluations: int
    hessp: int
    seconds: float
    in_tape: float
    accuracy: float

    def line(self) -> str:
        return (
            f"{self.method:<10} {self.how:<10} {self.loss:.10f}  {self.grad_norm:8.1e}  "
            f"{self.evaluations:>5} {self.hessp:>6}  {1e3 * self.seconds:8.1f}  "
            f"{1e3 * self.in_tape:8.1f}  "
            f"{100 * self.accuracy:5.1f} %"
        )


HEADER = (
    f"{'method':<10} {'how':<10} {'loss':<12}  {'|grad|':>8}  {'evals':>5} {'hessp':>6}  "
    f"{'ms':>8}  {'in tape':>8}  accuracy"
)


def fit(
    method: str,
    fun: Callable[[Floats], tuple[float, Floats]],
    hessp: Callable[[Floats, Floats], Floats] | None,
    theta0: Floats,
    how: str,
    check: Callable[[Floats], tuple[float, Floats]],
    X: Floats,
    y: Floats,
) -> Fit:
    """Minimise with SciPy, counting the calls; report the optimum."""
    calls = {"fun": 0, "hessp": 0}
    spent = [0.0]

    def counted_fun(theta: Floats) -> tuple[float, Floats]:
        calls["fun"] += 1
        t0 = time.perf_counter()
        out = fun(theta)
        spent[0] += time.perf_counter() - t0
        return out

    def counted_hessp(theta: Floats, p: Floats) -> Floats:
        calls["hessp"] += 1
        assert hessp is not None
        t0 = time.perf_counter()
        out = hessp(theta, p)
        spent[0] += time.perf_counter() - t0
        return out

    options = {"gtol": 1e-10} if method == "trust-ncg" else {"gtol": 1e-10, "ftol": 1e-15}
    start = time.perf_counter()
    res = minimize(
        counted_fun,
        theta0,
        jac=True,
        hessp=counted_hessp if hessp is not None else None,
        method=method,
        options={**options, "maxiter": 1000},
    )
    seconds = time.perf_counter() - start
    value, grad = check(res.x)
    z = X @ res.x[:-1] + res.x[-1]
    accuracy = float(np.mean((z > 0) == (y > 0.5)))
    return Fit(
        method,
        how,
        res.x,
        value,
        float(np.linalg.norm(grad)),
        calls["fun"],
        calls["hessp"],
        seconds,
        spent[0],
        accuracy,
    )


def main(argv: Sequence[str] | None = None) -> list[Fit]:
    """Both fits, by replay and by re-recording; prints the table and returns the fits."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    X, y = data()
    loss = make_loss(X, y)
    theta0 = np.zeros(X.shape[1] + 1)

    theta = tp.Var(theta0)
    with tp.Tape(persistent=True) as t:
        recorded = loss(theta)
    prog = t.compile(inputs=[theta], outputs=[recorded])  # recorded once, here

    fresh = tp.value_and_grad(loss)

    def fresh_hessp(x: Floats, p: Floats) -> Floats:
        return np.asarray(tp.hvp(loss, x, p))

    def check(x: Floats) -> tuple[float, Floats]:
        v, g = fresh(x)
        return float(v), np.asarray(g)

    fits = []
    for method in ("L-BFGS-B", "trust-ncg"):
        uses_hessp = method == "trust-ncg"
        fits.append(
            fit(
                method,
                prog.objective,
                prog.hvp if uses_hessp else None,
                theta0,
                "replay",
                check,
                X,
                y,
            )
        )
        fits.append(
            fit(
                method, check, fresh_hessp if uses_hessp else None, theta0, "re-record", check, X, y
            )
        )
    print(
        "L2-regularised logistic regression on breast cancer "
        f"({X.shape[0]} × {X.shape[1]}), λ = {LAMBDA}"
    )
    print(f"one recording: {len(prog)} records\n")
    print(HEADER)
    for f in fits:
        print(f.line())
    best = fits[0].theta
    for f in fits[1:]:
        diff = float(np.max(np.abs(f.theta - best)))
        assert diff < 1e-6, f"{f.method} by {f.how} ended {diff:.1e} away from L-BFGS-B by replay"
    for replayed, recorded_ in zip(fits[::2], fits[1::2], strict=True):
        diff = float(np.max(np.abs(replayed.theta - recorded_.theta)))
        assert diff < 1e-8, f"{replayed.method}: replay and re-recording differ by {diff:.1e}"
        print(
            f"\n{replayed.method}: replay and re-recording reach the same optimum "
            f"(max |Δθ| = {diff:.1e}); the objective and hessp took "
            f"{1e3 * replayed.in_tape:.1f} ms by replay, "
            f"{1e3 * recorded_.in_tape:.1f} ms by re-recording"
        )
    return fits


if __name__ == "__main__":
    main()
