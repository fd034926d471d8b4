"""A custom primitive: a stable log(1 + eˣ) with its derivative given in closed form.

``tp.primitive`` turns a plain NumPy function into a row of the primitive table, next to the
built-in ones: it is recorded on tapes (one record, not the handful its body would make),
runs in forward and reverse mode, nests for second derivatives, and is checked by
``tp.testing.check_grads`` like every built-in primitive.

    d/dx log(1 + eˣ) = σ(x),     d²/dx² = σ(x)(1 − σ(x))
"""

from __future__ import annotations

import math

import numpy as np

import tape as tp
from tape.testing import check_grads


@tp.primitive(
    vjp=lambda g, ans, x: g * tp.sigmoid(x),
    jvp=lambda dx, ans, x: dx * tp.sigmoid(x),
    notation="log1pexp {0}",
)
def log1pexp(x: tp.Value) -> tp.Value:
    """log(1 + eˣ) without overflow: max(x, 0) + log1p(e^−|x|)."""
    if isinstance(x, float):
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def main() -> None:
    xs = np.array([-1000.0, -3.0, 0.0, 2.5, 1000.0])
    x = tp.Var(xs)
    with tp.Tape() as t:
        y = log1pexp(x).sum()
    g = t.gradient(y, x)
    sig = 1.0 / (1.0 + np.exp(-np.clip(xs, -50, 50)))
    print("x           ", xs)
    print("log1pexp(x) ", log1pexp(xs))
    print("gradient    ", g)
    print("σ(x)        ", sig)
    assert np.allclose(g, sig, rtol=0, atol=1e-15), "gradient differs from σ(x)"
    assert np.all(np.isfinite(g)), "non-finite gradient at ±1000"

    with tp.Tape(persistent=True) as t2:
        z = log1pexp(tp.Var(0.5)) * 2.0
    print("\nOne record for the whole function on the tape:\n")
    print(t2)

    h = tp.hessian(lambda v: log1pexp(v).sum())(np.array([0.3, -1.2]))
    s = 1.0 / (1.0 + np.exp(-np.array([0.3, -1.2])))
    print("\nHessian (forward over reverse):\n", h)
    assert np.allclose(np.diag(h), s * (1 - s), rtol=1e-12), "second derivative is wrong"
    check_grads(lambda v: log1pexp(v), [np.array([-2.0, 0.1, 3.0])], order=2)
    print("\ncheck_grads(order=2, modes=fwd+rev) agrees with finite differences. ✓")
    del z


if __name__ == "__main__":
    main()
