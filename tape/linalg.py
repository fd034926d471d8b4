"""``tp.linalg``: NumPy's ``np.linalg`` on tape values, with derivatives in both modes.

Each function takes floats, arrays, Vars or Duals, as ``np.linalg``'s does; ``np.linalg.X``
called on a Var reaches the same function. Batched over leading axes as NumPy's are (a
``(..., M, N)`` stack of matrices). ``solve_triangular`` (NumPy has none) takes the
arguments of ``scipy.linalg.solve_triangular``. See ``tape._linalg`` for where derivatives
do not exist and what happens there.
"""

from __future__ import annotations

from ._linalg import EighResult as EighResult
from ._linalg import LinAlgError as LinAlgError
from ._linalg import QRResult as QRResult
from ._linalg import SlogdetResult as SlogdetResult
from ._linalg import SVDResult as SVDResult
from ._linalg import cholesky as cholesky
from ._linalg import cond as cond
from ._linalg import det as det
from ._linalg import eigh as eigh
from ._linalg import eigvalsh as eigvalsh
from ._linalg import inv as inv
from ._linalg import matrix_power as matrix_power
from ._linalg import norm as norm
from ._linalg import pinv as pinv
from ._linalg import qr as qr
from ._linalg import slogdet as slogdet
from ._linalg import solve as solve
from ._linalg import solve_triangular as solve_triangular
from ._linalg import svd as svd
from ._linalg import svdvals as svdvals

__all__ = [
    "EighResult",
    "LinAlgError",
    "QRResult",
    "SVDResult",
    "SlogdetResult",
    "cholesky",
    "cond",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "matrix_power",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
    "svdvals",
]
