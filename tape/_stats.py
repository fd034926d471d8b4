"""Reductions, scans and statistics beyond the table's core rows: cumprod, the nan-reductions,
average, ptp, median and percentile, each with NumPy's signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NUMPY: dict[Callable[..., Any], Callable[..., Any]] = {}
"""NumPy functions this module differentiates: called on a Var or Dual, each reaches the
function here (see ``_numpy``)."""

PLAIN: dict[Callable[..., Any], Callable[..., Any]] = {}
"""NumPy functions this module serves without a derivative (indices, truth values)."""
