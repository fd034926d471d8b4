"""`Dual`, the forward-mode value: a dual number a + bε with ε² = 0.

``Dual(primal, tangent)`` carries a value and its directional derivative side by side;
every operation computes the primal with the primitive's forward rule and the tangent with
its JVP rule (the same row of the same table that reverse mode uses).

The tangent may carry a leading batch axis of k directions (``tangent.shape == (k,) +
primal.shape``): vector mode, so one forward pass pushes k directions at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ._core import _STACK, _plain, install
from ._ops import Operators
from ._rows import Value
from ._var import as_value


class Dual(Operators):
    """A dual number ``primal + tangent·ε``: a value and its directional derivative.

    Args:
        primal: A float or float array (integers become float64).
        tangent: The direction: the primal's shape, or ``(k,) + primal.shape`` for k
            directions at once (vector mode). Its dtype follows the primal's.

    Example:
        >>> d = Dual(2.0, 1.0)
        >>> (d * d).tangent   # d/dx x² at 2
        4.0
    """

    __slots__ = ("_level", "_primal", "_tangent")

    _primal: Any  # a plain value, or a box one level down (Var or Dual)
    _tangent: Any
    _level: int

    def __init__(self, primal: npt.ArrayLike, tangent: npt.ArrayLike) -> None:
        p = as_value(primal)
        t = as_value(tangent)
        pshape, tshape = np.shape(p), np.shape(t)
        if tshape != pshape and tshape[1:] != pshape:
            raise ValueError(
                f"Dual: the tangent's shape {tshape} must be the primal's {pshape} "
                f"or (k,) + {pshape} for k directions"
            )
        if isinstance(p, np.ndarray) and isinstance(t, np.ndarray) and t.dtype != p.dtype:
            t = t.astype(p.dtype)
            t.flags.writeable = False
        if isinstance(p, np.ndarray) and not isinstance(t, np.ndarray):
            t = np.asarray(t, dtype=p.dtype)
        self._primal = p
        self._tangent = t
        self._level = user_level()

    @property
    def primal(self) -> Value:
        """The value a (a float or an array)."""
        return self.primal_value

    @property
    def primal_value(self) -> Value:
        """The plain value inside the primal (through any boxes of lower levels)."""
        out: Value = _plain(self._primal)
        return out

    @property
    def tangent(self) -> Value:
        """The tangent b: the primal's shape, or ``(k,) + shape`` in vector mode."""
        out: Value = _plain(self._tangent)
        return out

    def __repr__(self) -> str:
        return f"Dual({self.primal!r}, {self.tangent!r})"


_new_dual = object.__new__


def make_dual(primal: Any, tangent: Any, level: int) -> Dual:
    """A Dual without the checks of ``Dual(...)``: for the transforms and for bind."""
    d: Dual = _new_dual(Dual)
    d._primal = primal
    d._tangent = tangent
    d._level = level
    return d


def user_level() -> int:
    """The level of a Dual a user builds by hand: just above the innermost active tape."""
    stack = _STACK.get()
    return stack[-1]._level + 1 if stack else 1


install(dual=Dual)
