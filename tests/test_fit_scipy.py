"""``examples/fit_scipy.py`` runs in the suite: SciPy's L-BFGS-B and trust-ncg on a recorded,
compiled logistic-regression loss reach the optimum that re-recording at every iterate
reaches, and that optimum is a real one (zero gradient, the closed-form check below)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

import fit_scipy  # noqa: E402


def test_fit_scipy_replay_and_re_recording_reach_one_optimum(
    capsys: pytest.CaptureFixture[str],
) -> None:
    fits = fit_scipy.main([])
    out = capsys.readouterr().out
    assert [(f.method, f.how) for f in fits] == [
        ("L-BFGS-B", "replay"),
        ("L-BFGS-B", "re-record"),
        ("trust-ncg", "replay"),
        ("trust-ncg", "re-record"),
    ]
    for f in fits:
        assert f.grad_norm < 1e-6, f
        assert f.accuracy > 0.97, f
        np.testing.assert_allclose(f.theta, fits[0].theta, rtol=0, atol=1e-6)
        np.testing.assert_allclose(f.loss, fits[0].loss, rtol=1e-12)
    assert fits[2].hessp > 0 and fits[0].hessp == 0  # trust-ncg used prog.hvp
    assert "replay and re-recording reach the same optimum" in out


def test_the_optimum_satisfies_the_normal_equations_of_the_fit() -> None:
    # ∇L = Xᵀ(σ(z) − y)/n + λw and ∂L/∂b = mean(σ(z) − y), computed here with NumPy alone
    X, y = fit_scipy.data()
    theta = fit_scipy.main([])[2].theta
    w, b = theta[:-1], theta[-1]
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    np.testing.assert_allclose(X.T @ (p - y) / len(y) + fit_scipy.LAMBDA * w, 0.0, atol=1e-8)
    assert abs(float(np.mean(p - y))) < 1e-8
