"""``tp.linalg``: NumPy's ``np.linalg`` on tape values, with derivatives in both modes.

Each function takes floats, arrays, Vars or Duals, as ``np.linalg``'s does; ``np.linalg.X``
called on a Var reaches the same function.
"""

from __future__ import annotations
