"""Products of arrays of any rank (dot, inner, tensordot, kron, cross, vdot) and einsum's full
notation (``...``, the sublist form, repeated indices), written over the table's rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NUMPY: dict[Callable[..., Any], Callable[..., Any]] = {}
"""NumPy functions this module differentiates: called on a Var or Dual, each reaches the
function here (see ``_numpy``)."""

PLAIN: dict[Callable[..., Any], Callable[..., Any]] = {}
"""NumPy functions this module serves without a derivative (indices, truth values)."""
