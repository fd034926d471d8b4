"""Linear algebra: the rows of ``np.linalg`` (inv, solve, det, slogdet, norm, eigh, cholesky, svd,
qr, ...) and a triangular solve, with their derivative rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NUMPY: dict[Callable[..., Any], Callable[..., Any]] = {}
"""NumPy functions this module differentiates: called on a Var or Dual, each reaches the
function here (see ``_numpy``)."""

PLAIN: dict[Callable[..., Any], Callable[..., Any]] = {}
"""NumPy functions this module serves without a derivative (indices, truth values)."""
