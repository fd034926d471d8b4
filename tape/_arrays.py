"""Shape and selection functions beyond the table's core rows: NumPy's ravel, roll, rot90, tril,
pad, the stacks and splits, sort and the like, each with NumPy's signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NUMPY: dict[Callable[..., Any], Callable[..., Any]] = {}
"""NumPy functions this module differentiates: called on a Var or Dual, each reaches the
function here (see ``_numpy``)."""

PLAIN: dict[Callable[..., Any], Callable[..., Any]] = {}
"""NumPy functions this module serves without a derivative (indices, truth values)."""
