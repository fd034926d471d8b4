"""Linear algebra: the rows of ``np.linalg`` (inv, solve, det, slogdet, norm, eigh, cholesky, svd,
qr, pinv) and the functions composed from them (matrix_power, solve_triangular, the matrix
norms), with their derivative rules.

Every function is batched over leading axes as NumPy's are: a ``(..., M, N)`` stack of
matrices. Each row computes one output; a decomposition with several outputs (eigh, svd, qr)
has a row per output, and each row's rules recompute the other factors they need with the
rows themselves (so the rules nest: a second derivative records the first one's factors).

Rules are written with tape's own functions (``matmul``, ``swapaxes``, ``where``, the rows
below), so they run on arrays, on recorded Vars (reverse over reverse) and on dual numbers
(forward over reverse). A JVP may get a tangent with leading batch axes (vector-mode forward):
tangents of a row with one input broadcast against the factors as they are (their batch
axes come first); ``solve``'s are lined up with the output's axes first (``_lift``).

Formulas: M. Giles, "An extended collection of matrix derivative results for forward and
reverse mode AD" (2008); I. Murray, "Differentiation of the Cholesky decomposition" (2016);
J. Townsend, "Differentiating the singular value decomposition" (2016); the QR rules are
derived from the JVP A = QR ⇒ Q̇ = QΩ + (I − QQᵀ)ȦR⁻¹, Ṙ = (X − Ω)R with X = QᵀȦR⁻¹ and
Ω = tril(X, −1) − tril(X, −1)ᵀ, by taking its adjoint.

Where a derivative does not exist:

- ``inv``, ``solve``: a singular matrix raises NumPy's ``LinAlgError`` (in the forward pass).
- ``det``: at a singular matrix the gradient is the cofactor matrix (the adjugate's
  transpose), finite and exact: from one SVD in a plain sweep, and from the (M−1)×(M−1)
  minors with ``det`` itself when the sweep is recorded or dual (higher orders; M²
  determinants, so slow for large M, and only at an exactly singular matrix).
- ``slogdet``: at a singular matrix logabsdet is −inf and its gradient (A⁻ᵀ) raises
  ``LinAlgError``.
- ``eigh``: with repeated eigenvalues the eigenvectors are not unique and their derivative
  is inf or nan (1/(wⱼ − wᵢ) with wⱼ = wᵢ); the eigenvalues' first derivative stays finite.
- ``svd``: with repeated (or, for a non-square matrix, zero) singular values the singular
  vectors' derivative is inf or nan; the singular values' is finite. With
  ``full_matrices=True`` the extra columns of U (or rows of Vh) of a non-square matrix are
  any basis of a complement and have no derivative: differentiating them raises.
- ``norm``: at 0 the 2-norm (and Frobenius norm) has no derivative; we give 0, the
  subgradient of least norm (as ``abs`` does at 0), and 0 for its second derivative too.
- ``pinv``: the derivative is that of a matrix of constant rank (the rank NumPy's cutoff
  sees); where a perturbation changes the rank, pinv is not continuous.
- ``cond`` of a singular matrix: inf for p None, 2, −2 (derivative inf or nan); the other
  p need ``inv``, which raises ``LinAlgError`` on tape values (NumPy gives inf).
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, NamedTuple, TypeVar, overload

import numpy as np

from ._core import bind, is_dual, is_var
from ._rows import Array, Axis, Primitive, Value, register
from ._table import (
    _batch,
    _is_zero,
    _mT,
    _neg_axis,
    _shape_of,
    _unreduce,
    abs,
    concatenate,
    diagonal,
    expand_dims,
    getitem,
    held,
    matmul,
    max,
    min,
    ndim,
    outer,
    power,
    reshape,
    squeeze,
    sum,
    trace,
    transpose,
    where,
)
from ._table import guard as _guard

if TYPE_CHECKING:
    from ._dual import Dual
    from ._var import Var

M = TypeVar("M", "Var", "Dual", Array)
"""A matrix argument and the same kind of result: a Var gives a Var, a Dual a Dual, an
array an array."""

T = TypeVar("T")

LinAlgError = np.linalg.LinAlgError


class EighResult(NamedTuple, Generic[T]):
    """``eigh``'s result, as NumPy's: ascending eigenvalues and the eigenvectors (columns)."""

    eigenvalues: T
    eigenvectors: T


class SVDResult(NamedTuple, Generic[T]):
    """``svd``'s result, as NumPy's: ``a = (U * S[..., None, :]) @ Vh``."""

    U: T
    S: T
    Vh: T


class QRResult(NamedTuple, Generic[T]):
    """``qr``'s result, as NumPy's: ``a = Q @ R``, R upper triangular."""

    Q: T
    R: T


class SlogdetResult(NamedTuple, Generic[T]):
    """``slogdet``'s result, as NumPy's: det = sign · exp(logabsdet). The sign is a plain
    value (it has no derivative); logabsdet is differentiable."""

    sign: float | Array
    logabsdet: T


# ----- helpers -----------------------------------------------------------------------------------


def _matrices(a: Any, name: str, square: bool = True) -> tuple[int, int]:
    """The last two axes' lengths of ``a``, after checking it is a (stack of) matrices."""
    shape = _shape_of(a)
    if len(shape) < 2:
        raise LinAlgError(
            f"{name}: expected a matrix or a stack of matrices (..., M, N), got shape {shape}"
        )
    m, n = shape[-2:]
    if square and m != n:
        raise LinAlgError(f"{name}: the last two axes must be square, got shape {shape}")
    return m, n


def _eye(n: int) -> Array:
    return np.eye(n)


def _sym(v: Any) -> Any:
    """(v + vᵀ)/2 over the last two axes."""
    return (v + _mT(v)) * 0.5


def _from_triangle(a: Any, uplo: str) -> Any:
    """The symmetric matrix NumPy's eigh and cholesky see: the ``uplo`` triangle of ``a``
    (with the diagonal) mirrored into the other. Its derivative sends each cotangent to the
    triangle that was read, as finite differences of NumPy's functions see it."""
    n = _shape_of(a)[-1]
    keep = np.tri(n, dtype=bool) if uplo == "L" else np.tri(n, dtype=bool).T
    return where(keep, a, _mT(a))


def _lift(d: Any, x: Any, out_ndim: int) -> Any:
    """A tangent ``d`` of ``x`` with its batch axes (vector-mode forward) kept apart from the
    matrix batch axes that ``x`` broadcasts over in an output of ``out_ndim`` axes."""
    b = _batch(d, x)
    if not b or ndim(x) >= out_ndim:
        return d
    return reshape(d, b + (1,) * (out_ndim - ndim(x)) + _shape_of(x))


def _inv_gaps(w: Any) -> Any:
    """F with Fᵢⱼ = 1/(wⱼ − wᵢ) off the diagonal and 0 on it, over the last axis of w:
    inf where two values are equal (their vectors then have no derivative)."""
    n = _shape_of(w)[-1]
    eye = np.eye(n, dtype=bool)
    gaps = expand_dims(w, -2) - expand_dims(w, -1)
    return where(eye, 0.0, 1.0 / where(eye, 1.0, gaps))


def _has_box(*xs: Any) -> bool:
    return builtins.any(is_var(x) or is_dual(x) for x in xs)


# ----- inv ---------------------------------------------------------------------------------------


INV = register(
    Primitive(
        "inv",
        impl=lambda x: np.linalg.inv(x),
        # d(A⁻¹) = −A⁻¹ dA A⁻¹; its adjoint: Ā = −A⁻ᵀ Ḡ A⁻ᵀ
        vjp=(lambda g, ans, x: -matmul(matmul(_mT(ans), g), _mT(ans)),),
        jvp=(lambda d, ans, x: -matmul(matmul(ans, d), ans),),
        notation="inv({0})",
    )
)


def inv(a: M) -> M:
    """The inverse of a square matrix (or of each in a stack), like ``np.linalg.inv``.

    d(A⁻¹) = −A⁻¹ dA A⁻¹. A singular matrix raises NumPy's ``LinAlgError``.
    """
    _matrices(a, "inv")
    out: M = bind(INV, a)
    return out


# ----- solve and solve_triangular ----------------------------------------------------------------


def _solve_impl(a: Any, b: Any) -> Any:
    return np.linalg.solve(a, b)


def _solve_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    # x = A⁻¹b: Ā = −A⁻ᵀḡ xᵀ (b a vector: ḡ and x as columns)
    if ndim(b) == 1:
        gb = solve(_mT(a), expand_dims(g, -1))
        return -matmul(gb, expand_dims(ans, -2))
    return -matmul(solve(_mT(a), g), _mT(ans))


def _solve_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if ndim(b) == 1:
        return squeeze(solve(_mT(a), expand_dims(g, -1)), -1)
    return solve(_mT(a), g)


def _solve_jvp_a(d: Any, ans: Any, a: Any, b: Any) -> Any:
    # ẋ = −A⁻¹ Ȧ x
    if ndim(b) == 1:
        col = expand_dims(ans, -1)
        d = _lift(d, a, ndim(col))
        return squeeze(-solve(a, matmul(d, col)), -1)
    return -solve(a, matmul(_lift(d, a, ndim(ans)), ans))


def _solve_jvp_b(d: Any, ans: Any, a: Any, b: Any) -> Any:
    if ndim(b) == 1:
        col = reshape(d, _batch(d, b) + (1,) * (ndim(a) - 2) + (_shape_of(b)[0], 1))
        return squeeze(solve(a, col), -1)
    return solve(a, _lift(d, b, ndim(ans)))


SOLVE = register(
    Primitive(
        "solve",
        impl=_solve_impl,
        vjp=(_solve_vjp_a, _solve_vjp_b),
        jvp=(_solve_jvp_a, _solve_jvp_b),
        notation="solve({0}, {1})",
        broadcasts=True,  # over the batch axes; the sweep sums them back
    )
)


@overload
def solve(a: Var, b: Var | Value) -> Var: ...
@overload
def solve(a: Value, b: Var) -> Var: ...
@overload
def solve(a: Dual, b: Dual | Value) -> Dual: ...
@overload
def solve(a: Value, b: Dual) -> Dual: ...
@overload
def solve(a: Array, b: Array) -> Array: ...
def solve(a: Any, b: Any) -> Any:
    """The solution x of ``a @ x = b``, like ``np.linalg.solve`` (NumPy 2's rule: b is a
    vector only when it is 1-d, else a stack (..., M, K); batch axes broadcast).

    The VJP is Ā = −A⁻ᵀḡ xᵀ, b̄ = A⁻ᵀḡ. A singular matrix raises NumPy's ``LinAlgError``.
    """
    _matrices(a, "solve")
    if ndim(b) == 0:
        raise LinAlgError("solve: b must be a vector (M,) or a stack of matrices (..., M, K)")
    return bind(SOLVE, a, b)


_TRANS = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}


@overload
def solve_triangular(
    a: Var,
    b: Var | Value,
    trans: int | str = 0,
    lower: bool = False,
    unit_diagonal: bool = False,
) -> Var: ...
@overload
def solve_triangular(
    a: Value, b: Var, trans: int | str = 0, lower: bool = False, unit_diagonal: bool = False
) -> Var: ...
@overload
def solve_triangular(
    a: Dual,
    b: Dual | Value,
    trans: int | str = 0,
    lower: bool = False,
    unit_diagonal: bool = False,
) -> Dual: ...
@overload
def solve_triangular(
    a: Value, b: Dual, trans: int | str = 0, lower: bool = False, unit_diagonal: bool = False
) -> Dual: ...
@overload
def solve_triangular(
    a: Array, b: Array, trans: int | str = 0, lower: bool = False, unit_diagonal: bool = False
) -> Array: ...
def solve_triangular(
    a: Any, b: Any, trans: int | str = 0, lower: bool = False, unit_diagonal: bool = False
) -> Any:
    """The solution x of ``a @ x = b`` for a triangular ``a``, with the arguments of
    ``scipy.linalg.solve_triangular`` (a, b, trans, lower, unit_diagonal; NumPy has none).

    Only the ``lower`` (or upper) triangle of ``a`` is read, and with ``unit_diagonal`` not
    its diagonal either (taken as 1); ``trans`` 1 or ``"T"`` (2 or ``"C"``, the same for real
    values) solves ``aᵀ x = b``. Unlike scipy's, it is batched over leading axes, and b
    follows ``solve``'s rule (a vector only when 1-d). Gradients reach only the triangle read.

    It is ``solve`` on the triangle (an LU solve, O(M³) instead of O(M²): NumPy has no
    triangular solver), so both modes and every order come from ``solve``'s rules.
    """
    _matrices(a, "solve_triangular")
    if trans not in _TRANS:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', not {trans!r}")
    n = _shape_of(a)[-1]
    keep = np.tri(n, dtype=bool) if lower else np.tri(n, dtype=bool).T
    if unit_diagonal:
        keep = keep & ~np.eye(n, dtype=bool)
    t = where(keep, a, np.eye(n) if unit_diagonal else 0.0)
    return solve(_mT(t) if _TRANS[trans] else t, b)


# ----- det and slogdet ---------------------------------------------------------------------------


def _cofactors(x: Any, ans: Any) -> Any:
    """∂det/∂A, the cofactor matrix: det(A)·A⁻ᵀ, or, when some matrix of the stack is
    singular (det exactly 0), one that needs no inverse: for plain values (a first
    derivative) from the SVD A = U S Vᵀ, det(U)det(V)·U adj(S) Vᵀ with adj(S) the products
    of the other singular values (O(M³)); for recorded or dual values (higher orders), (−1)ⁱ⁺ʲ
    times the determinants of the minors, by ``det`` itself (M² determinants of size M − 1,
    differentiable to every order)."""
    if type(ans) is not np.ndarray and type(ans) is not float:  # recorded or dual
        regular = _guard(held(_no_zero, ans), "bool")  # (a replay checks the branch taken)
    else:
        regular = _no_zero(ans)
    if regular:
        return expand_dims(expand_dims(ans, -1), -1) * _mT(inv(x))
    if type(x) is np.ndarray:
        return _cofactors_svd(x)
    n = _shape_of(x)[-1]
    others = np.array([[j for j in range(n) if j != i] for i in range(n)], dtype=np.intp)
    others = others.reshape(n, n - 1)
    minors = getitem(x, (Ellipsis, others[:, None, :, None], others[None, :, None, :]))
    signs = (-1.0) ** np.add.outer(np.arange(n), np.arange(n))
    return signs * det(minors)


def _cofactors_svd(x: Array) -> Array:
    u, sv, vh = np.linalg.svd(x)
    ones = np.ones_like(sv[..., :1])
    left = np.cumprod(np.concatenate([ones, sv[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, sv[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.linalg.det(u) * np.linalg.det(vh)  # ±1
    out: Array = sign[..., None, None] * ((u * (left * right)[..., None, :]) @ vh)
    return out


DET = register(
    Primitive(
        "det",
        impl=lambda x: np.linalg.det(x),
        vjp=(lambda g, ans, x: expand_dims(expand_dims(g, -1), -1) * _cofactors(x, ans),),
        jvp=(lambda d, ans, x: sum(_cofactors(x, ans) * d, axis=(-2, -1)),),
        notation="det({0})",
    )
)


@overload
def det(a: Var) -> Var: ...
@overload
def det(a: Dual) -> Dual: ...
@overload
def det(a: Array) -> Value: ...
def det(a: Any) -> Any:
    """The determinant of a square matrix (a float; an array for a stack), like
    ``np.linalg.det``.

    ∂det/∂A = det(A)·A⁻ᵀ, the cofactor matrix. At a singular matrix (det exactly 0) the
    cofactors are computed without an inverse (from the SVD for a first derivative, from
    the minors' determinants for higher orders), so the gradient there is exact and finite
    (the adjugate's transpose; 0 when the rank is below M − 1), to every order.
    """
    _matrices(a, "det")
    return bind(DET, a)


LOGABSDET = register(
    Primitive(
        "slogdet",
        impl=lambda x: np.linalg.slogdet(x)[1],
        vjp=(lambda g, ans, x: expand_dims(expand_dims(g, -1), -1) * _mT(inv(x)),),
        jvp=(lambda d, ans, x: sum(_mT(inv(x)) * d, axis=(-2, -1)),),
        notation="logabsdet({0})",
    )
)
SLOGDET_SIGN = register(
    Primitive(
        "slogdet_sign",
        impl=lambda x: np.linalg.slogdet(x)[0],
        vjp=(None,),
        jvp=(None,),
        notation="sign det({0})",
        differentiable=False,
    )
)
"""The sign of the determinant: recorded without a derivative so that a replayed tape
recomputes it; it leaves the tape as a guard (a replay where it changes raises)."""


@overload
def slogdet(a: Var) -> SlogdetResult[Var]: ...
@overload
def slogdet(a: Dual) -> SlogdetResult[Dual]: ...
@overload
def slogdet(a: Array) -> SlogdetResult[Value]: ...
def slogdet(a: Any) -> Any:
    """The sign and the log of the absolute value of the determinant, like
    ``np.linalg.slogdet``: a named tuple ``(sign, logabsdet)``.

    ``sign`` is a plain value (±1.0, 0.0 for a singular matrix): it has no derivative. While
    a tape records, it is kept as a guard, so a replay of the tape where the sign changes
    raises ``TapeInvalidated``. ∂logabsdet/∂A = A⁻ᵀ; at a singular matrix logabsdet is −inf
    and its gradient raises NumPy's ``LinAlgError``.
    """
    _matrices(a, "slogdet")
    sign = _guard(bind(SLOGDET_SIGN, a), "index")
    sign_out: float | Array = float(sign) if np.ndim(sign) == 0 else sign
    return SlogdetResult(sign_out, bind(LOGABSDET, a))


# ----- norm --------------------------------------------------------------------------------------


def _norm2_impl(x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    if type(x) is float:
        return builtins.abs(x)
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


def _safe_div(num: Any, den: Any) -> Any:
    """num / den, and 0 where den is 0 (the 2-norm's derivative at 0: the least subgradient)."""
    zero = held(_is_zero, den)
    plain_den = type(den) is np.ndarray or type(den) is float
    if plain_den and not np.any(zero):  # (recorded or dual: the mask always, no branch)
        return num / den
    return where(zero, 0.0, num / where(zero, 1.0, den))


def _no_zero(x: Any) -> bool:
    return not bool(np.any(x == 0.0))


NORM2 = register(
    Primitive(
        "norm",
        impl=_norm2_impl,
        vjp=(
            lambda g, ans, x, axis, keepdims: _unreduce(_safe_div(g, ans), x, axis, keepdims) * x,
        ),
        jvp=(
            lambda d, ans, x, axis, keepdims: _safe_div(
                sum(d * x, axis=axis, keepdims=keepdims), ans
            ),
        ),
        notation="‖{0}‖{p}",
    )
)
"""The 2-norm of vectors (or Frobenius norm of matrices) over ``axis``: √Σx². Its
derivative x/‖x‖ is taken as 0 at x = 0."""


def _norm2(x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    n = ndim(x)  # axes as negative numbers: a batched tangent's leading axis keeps them right
    return bind(NORM2, x, axis=tuple(_neg_axis(a, n) for a in axis), keepdims=keepdims)


def _zero_like(x: Any) -> Any:
    """0 with x's shape and kind (a Var for a Var), through which no derivative flows."""
    return where(np.zeros(_shape_of(x), dtype=bool), x, 0.0)


def _vector_norm(x: Any, ord: Any, axis: int, keepdims: bool) -> Any:
    if ord is None or ord == 2:
        return _norm2(x, (axis,), keepdims)
    if ord == math.inf:
        return max(abs(x), axis=axis, keepdims=keepdims)
    if ord == -math.inf:
        return min(abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # the count of nonzeros: a step function, derivative 0
        return sum(where(x != 0.0, 1.0, 0.0) + _zero_like(x), axis=axis, keepdims=keepdims)
    if ord == 1:
        return sum(abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, str) or not isinstance(ord, int | float | np.integer | np.floating):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    p = float(ord)
    return power(sum(power(abs(x), p), axis=axis, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x: Any, ord: Any, axes: tuple[int, int], keepdims: bool) -> Any:
    n = ndim(x)
    row, col = axes
    if ord in (None, "fro", "f"):
        out = _norm2(x, (row - n, col - n), False)
    elif ord in (2, -2, "nuc"):
        rest = [i for i in range(n) if i not in (row, col)]
        s = svd(transpose(x, [*rest, row, col]), compute_uv=False)
        out = max(s, axis=-1) if ord == 2 else min(s, axis=-1) if ord == -2 else sum(s, axis=-1)
    elif ord in (1, -1):
        sums = sum(abs(x), axis=row)
        c = col - 1 if col > row else col
        out = max(sums, axis=c) if ord == 1 else min(sums, axis=c)
    elif ord in (math.inf, -math.inf):
        sums = sum(abs(x), axis=col)
        r = row - 1 if row > col else row
        out = max(sums, axis=r) if ord == math.inf else min(sums, axis=r)
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        shape = list(_shape_of(x))
        shape[row] = shape[col] = 1
        out = reshape(out, tuple(shape))
    return out


@overload
def norm(
    x: Var, ord: float | str | None = None, axis: Axis = None, keepdims: bool = False
) -> Var: ...
@overload
def norm(
    x: Dual, ord: float | str | None = None, axis: Axis = None, keepdims: bool = False
) -> Dual: ...
@overload
def norm(
    x: Value, ord: float | str | None = None, axis: Axis = None, keepdims: bool = False
) -> Value: ...
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """A vector or matrix norm, like ``np.linalg.norm``, with NumPy's choice of which.

    Vector norms (an int ``axis``, or a 1-d x): ``ord`` None or 2 (√Σx²), 1, inf, −inf
    (max/min of |x|), 0 (the count of nonzeros) or any other p ((Σ|x|ᵖ)^(1/p)). Matrix norms
    (a 2-tuple ``axis``, or a 2-d x): None or ``'fro'``, ``'nuc'`` (the sum of the singular
    values), 2 and −2 (the largest and smallest singular value), 1 and −1 (max/min column
    sum of |x|), inf and −inf (max/min row sum). With ``axis`` None and ``ord`` None any x is
    flattened (the 2-norm of all elements).

    Derivatives: the 2-norm and Frobenius norm have x/‖x‖, taken as 0 at x = 0 (no
    derivative exists there; 0 is the least subgradient, as ``abs`` gives at 0), and their
    second derivative there is 0 too. 1, inf and −inf use ``abs`` (0 at 0) and ``max``/``min``
    (ties share); 0 has derivative 0; a p-norm is a composition of powers (nan at x = 0 for
    every p). The nuclear norm's gradient is UVᵀ, 2 and −2's uvᵀ of the extreme singular pair
    (not differentiable where singular values tie). A float x gives |x|.
    """
    n = ndim(x)
    if axis is None:
        if ord is None or (ord in ("fro", "f") and n == 2) or (ord == 2 and n == 1):
            out = _norm2(x, tuple(range(-n, 0)), keepdims)
            return out
        axes: tuple[int, ...] = tuple(range(n))
    elif isinstance(axis, tuple):
        axes = tuple(operator.index(a) for a in axis)
    else:
        axes = (operator.index(axis),)
    axes = tuple(_neg_axis(a, n) % n for a in axes) if n else axes
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        if axes[0] == axes[1]:
            raise ValueError("norm: duplicate axes given")
        return _matrix_norm(x, ord, (axes[0], axes[1]), keepdims)
    raise ValueError(
        f"norm: improper number of dimensions to norm (axis {axis} of an array of {n} "
        "dimensions): give an int axis for vector norms or a pair for matrix norms"
    )


# ----- eigh and eigvalsh -------------------------------------------------------------------------


def _eigvecs(s: Any, uplo: str) -> Any:
    return bind(EIGH_VECTORS, s, uplo=uplo)


def _eigvals(s: Any, uplo: str) -> Any:
    return bind(EIGVALSH, s, uplo=uplo)


def _eigvalsh_vjp(g: Any, ans: Any, s: Any, uplo: str) -> Any:
    v = _eigvecs(s, uplo)  # S̄ = V diag(ḡ) Vᵀ
    return matmul(v * expand_dims(g, -2), _mT(v))


def _eigvalsh_jvp(d: Any, ans: Any, s: Any, uplo: str) -> Any:
    v = _eigvecs(s, uplo)  # ẇᵢ = vᵢᵀ Ṡ vᵢ
    return sum(v * matmul(d, v), axis=-2)


def _eigvecs_vjp(g: Any, ans: Any, s: Any, uplo: str) -> Any:
    f = _inv_gaps(_eigvals(s, uplo))  # S̄ = sym(V (F ∘ Vᵀ V̄) Vᵀ)
    return _sym(matmul(matmul(ans, f * matmul(_mT(ans), g)), _mT(ans)))


def _eigvecs_jvp(d: Any, ans: Any, s: Any, uplo: str) -> Any:
    f = _inv_gaps(_eigvals(s, uplo))  # V̇ = V (F ∘ Vᵀ sym(Ṡ) V)
    return matmul(ans, f * matmul(matmul(_mT(ans), _sym(d)), ans))


EIGVALSH = register(
    Primitive(
        "eigvalsh",
        impl=lambda s, uplo: np.linalg.eigvalsh(s, UPLO=uplo),
        vjp=(_eigvalsh_vjp,),
        jvp=(_eigvalsh_jvp,),
        notation="eigvalsh({0}{p})",
    )
)
EIGH_VECTORS = register(
    Primitive(
        "eigh_vectors",
        impl=lambda s, uplo: np.linalg.eigh(s, UPLO=uplo)[1],
        vjp=(_eigvecs_vjp,),
        jvp=(_eigvecs_jvp,),
        notation="eigh_vectors({0}{p})",
    )
)
"""eigh's two outputs, each its own row, on the symmetric matrix S that ``_from_triangle``
builds (their rules treat a perturbation of S through its symmetric part). ``uplo`` is the
triangle LAPACK reads, the one S was built from: the same numbers as NumPy's call on a, so
the same eigenvectors (signs included)."""


def _uplo(UPLO: str) -> str:
    u = UPLO.upper() if isinstance(UPLO, str) else UPLO
    if u not in ("L", "U"):
        raise ValueError(f"UPLO argument must be 'L' or 'U', not {UPLO!r}")
    return str(u)


def eigh(a: M, UPLO: str = "L") -> EighResult[M]:
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix, like
    ``np.linalg.eigh``: a named tuple ``(eigenvalues, eigenvectors)``.

    Only the ``UPLO`` triangle of ``a`` is read (as NumPy does), so gradients land on it.
    ẇᵢ = vᵢᵀ Ȧ vᵢ; V̇ = V (F ∘ VᵀȦV), Fᵢⱼ = 1/(wⱼ − wᵢ). With repeated eigenvalues the
    eigenvectors are not unique and their derivative is inf or nan; the eigenvalues' first
    derivative stays finite (their second derivative goes through the eigenvectors').
    Eigenvectors have an arbitrary sign: differentiate functions that do not depend on it
    (v·v, V diag(f(w)) Vᵀ).
    """
    _matrices(a, "eigh")
    uplo = _uplo(UPLO)
    s = _from_triangle(a, uplo)
    return EighResult(_eigvals(s, uplo), _eigvecs(s, uplo))


def eigvalsh(a: M, UPLO: str = "L") -> M:
    """Eigenvalues (ascending) of a symmetric matrix, like ``np.linalg.eigvalsh``: see
    ``eigh``. The derivative is ẇᵢ = vᵢᵀ Ȧ vᵢ, finite also for repeated eigenvalues."""
    _matrices(a, "eigvalsh")
    uplo = _uplo(UPLO)
    out: M = _eigvals(_from_triangle(a, uplo), uplo)
    return out


# ----- cholesky ----------------------------------------------------------------------------------


def _phi(x: Any) -> Any:
    """The lower triangle of x with its diagonal halved."""
    n = _shape_of(x)[-1]
    return x * (np.tri(n) - 0.5 * np.eye(n))


def _cholesky_jvp(d: Any, ans: Any, s: Any) -> Any:
    # L̇ = L Φ(L⁻¹ sym(Ṡ) L⁻ᵀ)
    left = solve_triangular(ans, _sym(d), lower=True)  # L⁻¹ Ṡ
    x = solve_triangular(ans, _mT(left), lower=True)  # L⁻¹ (L⁻¹ Ṡ)ᵀ = L⁻¹ Ṡ L⁻ᵀ
    return matmul(ans, _phi(x))


def _cholesky_vjp(g: Any, ans: Any, s: Any) -> Any:
    # S̄ = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹)
    p = _phi(matmul(_mT(ans), g))
    left = solve_triangular(ans, p, trans=1, lower=True)  # L⁻ᵀ P
    return _sym(_mT(solve_triangular(ans, _mT(left), trans=1, lower=True)))


CHOLESKY = register(
    Primitive(
        "cholesky",
        impl=lambda s: np.linalg.cholesky(s),
        vjp=(_cholesky_vjp,),
        jvp=(_cholesky_jvp,),
        notation="cholesky({0})",
    )
)


def cholesky(a: M, /, *, upper: bool = False) -> M:
    """The Cholesky factor of a symmetric positive-definite matrix, like
    ``np.linalg.cholesky``: L lower triangular with a = L Lᵀ (with ``upper=True``, Lᵀ).

    Only the lower triangle of ``a`` is read (the upper with ``upper=True``), as NumPy does,
    so gradients land on it. L̇ = L Φ(L⁻¹ȦL⁻ᵀ), Φ the lower triangle with its diagonal
    halved (Murray 2016). A matrix that is not positive definite raises ``LinAlgError``.
    """
    _matrices(a, "cholesky")
    low = bind(CHOLESKY, _from_triangle(a, "U" if upper else "L"))
    out: M = _mT(low) if upper else low
    return out


# ----- svd ---------------------------------------------------------------------------------------


def _svd_parts(x: Any, u: Any = None, vh: Any = None) -> tuple[Any, Any, Any]:
    """U, s, Vh of the reduced SVD of x, as rows (so that rules using them nest); a factor
    the caller already has (its row's output) is not recomputed."""
    return (
        bind(SVD_U, x, full=False) if u is None else u,
        bind(SVD_S, x),
        bind(SVD_VH, x, full=False) if vh is None else vh,
    )


def _reduced(ans: Any, full: bool) -> Any:
    """A row's output U (or Vh) when it is the reduced factor, else None (then recomputed:
    a full_matrices=True call of LAPACK need not choose the same signs as a reduced one)."""
    return None if full else ans


def _sq_gaps(s: Any) -> Any:
    """Fᵢⱼ = 1/(sⱼ² − sᵢ²) off the diagonal, 0 on it."""
    return _inv_gaps(s * s)


def _no_full(x: Any, full: bool, which: str) -> None:
    m, n = _shape_of(x)[-2:]
    if full and ((which == "U" and m > n) or (which == "Vh" and n > m)):
        raise ValueError(
            f"svd: {which} with full_matrices=True of a {m}×{n} matrix has no derivative (its "
            f"last {builtins.abs(m - n)} {'columns' if which == 'U' else 'rows'} are any "
            "orthonormal basis of a complement); use full_matrices=False"
        )


def _svd_s_vjp(g: Any, ans: Any, x: Any) -> Any:
    u, _, vh = _svd_parts(x)  # Ā = U diag(s̄) Vh
    return matmul(u * expand_dims(g, -2), vh)


def _svd_s_jvp(d: Any, ans: Any, x: Any) -> Any:
    u, _, vh = _svd_parts(x)  # ṡᵢ = uᵢᵀ Ȧ vᵢ
    return sum(u * matmul(d, _mT(vh)), axis=-2)


def _svd_u_vjp(g: Any, ans: Any, x: Any, full: bool) -> Any:
    _no_full(x, full, "U")
    u, s, vh = _svd_parts(x, u=_reduced(ans, full))
    j = matmul(_mT(u), g)
    core = (_sq_gaps(s) * (j - _mT(j))) * expand_dims(s, -2)
    out = matmul(matmul(u, core), vh)
    m, n = _shape_of(x)[-2:]
    if m > n:  # (I − UUᵀ) Ḡ S⁻¹ Vh
        out = out + matmul((g - matmul(u, j)) / expand_dims(s, -2), vh)
    return out


def _svd_u_jvp(d: Any, ans: Any, x: Any, full: bool) -> Any:
    _no_full(x, full, "U")
    u, s, vh = _svd_parts(x, u=_reduced(ans, full))
    dav = matmul(d, _mT(vh))
    ds = matmul(_mT(u), dav)  # Uᵀ Ȧ V
    dss = ds * expand_dims(s, -2)
    out = matmul(u, _sq_gaps(s) * (dss + _mT(dss)))
    m, n = _shape_of(x)[-2:]
    if m > n:  # + (I − UUᵀ) Ȧ V S⁻¹
        out = out + (dav - matmul(u, ds)) / expand_dims(s, -2)
    return out


def _svd_vh_vjp(g: Any, ans: Any, x: Any, full: bool) -> Any:
    _no_full(x, full, "Vh")
    u, s, vh = _svd_parts(x, vh=_reduced(ans, full))
    k = matmul(vh, _mT(g))  # Vᵀ V̄ with V̄ = Ḡᵀ
    core = expand_dims(s, -1) * (_sq_gaps(s) * (k - _mT(k)))
    out = matmul(matmul(u, core), vh)
    m, n = _shape_of(x)[-2:]
    if n > m:  # U S⁻¹ Ḡ (I − VVᵀ)
        out = out + matmul(u / expand_dims(s, -2), g - matmul(_mT(k), vh))
    return out


def _svd_vh_jvp(d: Any, ans: Any, x: Any, full: bool) -> Any:
    _no_full(x, full, "Vh")
    u, s, vh = _svd_parts(x, vh=_reduced(ans, full))
    dtu = matmul(_mT(d), u)  # Ȧᵀ U
    ds = _mT(matmul(vh, dtu))  # Uᵀ Ȧ V
    sds = expand_dims(s, -1) * ds
    dv = matmul(_mT(vh), _sq_gaps(s) * (sds + _mT(sds)))
    m, n = _shape_of(x)[-2:]
    if n > m:  # + (I − VVᵀ) Ȧᵀ U S⁻¹
        dv = dv + (dtu - matmul(_mT(vh), matmul(vh, dtu))) / expand_dims(s, -2)
    return _mT(dv)


SVD_S = register(
    Primitive(
        "svd_s",
        impl=lambda x: np.linalg.svd(x, compute_uv=False),
        vjp=(_svd_s_vjp,),
        jvp=(_svd_s_jvp,),
        notation="svd_s({0})",
    )
)
SVD_U = register(
    Primitive(
        "svd_u",
        impl=lambda x, full: np.linalg.svd(x, full_matrices=full)[0],
        vjp=(_svd_u_vjp,),
        jvp=(_svd_u_jvp,),
        notation="svd_u({0}{p})",
    )
)
SVD_VH = register(
    Primitive(
        "svd_vh",
        impl=lambda x, full: np.linalg.svd(x, full_matrices=full)[2],
        vjp=(_svd_vh_vjp,),
        jvp=(_svd_vh_jvp,),
        notation="svd_vh({0}{p})",
    )
)


@overload
def svd(
    a: M, full_matrices: bool = True, compute_uv: Literal[True] = True, hermitian: bool = False
) -> SVDResult[M]: ...
@overload
def svd(a: M, full_matrices: bool, compute_uv: Literal[False], hermitian: bool = False) -> M: ...
@overload
def svd(
    a: M, full_matrices: bool = True, *, compute_uv: Literal[False], hermitian: bool = False
) -> M: ...
def svd(
    a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> Any:
    """The singular value decomposition, like ``np.linalg.svd``: a named tuple
    ``(U, S, Vh)`` with ``a = (U * S[..., None, :]) @ Vh`` (S descending), or S alone with
    ``compute_uv=False``.

    ṡᵢ = uᵢᵀȦvᵢ; the singular vectors' derivatives are Townsend's (2016), with the terms for
    a non-square matrix. With repeated singular values (or a zero one of a non-square
    matrix) the vectors' derivative is inf or nan, the values' stays finite. With
    ``full_matrices=True`` (NumPy's default) a non-square matrix's extra columns of U (rows
    of Vh) have no derivative: differentiating them raises (use ``full_matrices=False``).
    Singular vectors have an arbitrary sign: differentiate functions that do not depend on
    it. ``hermitian=True`` is not supported on tape values.
    """
    _matrices(a, "svd", square=False)
    if hermitian:
        if _has_box(a):
            raise ValueError(
                "svd: hermitian=True is not supported on tape values; use hermitian=False "
                "(the same decomposition) or eigh"
            )
        npsvd: Any = np.linalg.svd
        r = npsvd(a, full_matrices, compute_uv, hermitian=True)
        return r if not compute_uv else SVDResult(*r)
    if not compute_uv:
        return bind(SVD_S, a)
    full = bool(full_matrices)
    return SVDResult(bind(SVD_U, a, full=full), bind(SVD_S, a), bind(SVD_VH, a, full=full))


def svdvals(x: M, /) -> M:
    """The singular values (descending), like ``np.linalg.svdvals``: ``svd(x,
    compute_uv=False)``."""
    out: M = svd(x, compute_uv=False)
    return out


# ----- qr ----------------------------------------------------------------------------------------


def _strict_lower(x: Any) -> Any:
    n = _shape_of(x)[-1]
    return x * np.tri(n, k=-1)


def _right_rinv(c: Any, r: Any) -> Any:
    """C R⁻¹ = (R⁻ᵀ Cᵀ)ᵀ."""
    return _mT(solve(_mT(r), _mT(c)))


def _right_rinv_t(c: Any, r: Any) -> Any:
    """C R⁻ᵀ = (R⁻¹ Cᵀ)ᵀ."""
    return _mT(solve(r, _mT(c)))


def _qr_q_jvp(d: Any, ans: Any, x: Any) -> Any:
    q, r = ans, bind(QR_R, x)
    c = _right_rinv(d, r)  # Ȧ R⁻¹
    qc = matmul(_mT(q), c)  # X = Qᵀ Ȧ R⁻¹
    low = _strict_lower(qc)
    return matmul(q, low - _mT(low) - qc) + c  # QΩ + (I − QQᵀ) Ȧ R⁻¹


def _qr_r_jvp(d: Any, ans: Any, x: Any) -> Any:
    q, r = bind(QR_Q, x), ans
    qc = matmul(_mT(q), _right_rinv(d, r))
    low = _strict_lower(qc)
    return matmul(qc - (low - _mT(low)), r)  # (X − Ω) R


def _qr_q_vjp(g: Any, ans: Any, x: Any) -> Any:
    q, r = ans, bind(QR_R, x)
    y = matmul(_mT(q), g)  # Y = Qᵀ Q̄
    inner = matmul(q, _strict_lower(y - _mT(y))) + g - matmul(q, y)
    return _right_rinv_t(inner, r)


def _qr_r_vjp(g: Any, ans: Any, x: Any) -> Any:
    q, r = bind(QR_Q, x), ans
    rg = matmul(g, _mT(r))  # R̄ Rᵀ; Y = −R̄Rᵀ
    inner = matmul(q, _strict_lower(_mT(rg) - rg) + rg)
    return _right_rinv_t(inner, r)


QR_Q = register(
    Primitive(
        "qr_q",
        impl=lambda x: np.linalg.qr(x)[0],
        vjp=(_qr_q_vjp,),
        jvp=(_qr_q_jvp,),
        notation="qr_q({0})",
    )
)
QR_R = register(
    Primitive(
        "qr_r",
        impl=lambda x: np.linalg.qr(x)[1],
        vjp=(_qr_r_vjp,),
        jvp=(_qr_r_jvp,),
        notation="qr_r({0})",
    )
)
"""The reduced QR decomposition of a matrix with at least as many rows as columns (full
column rank); ``qr`` composes the wide case from it."""


@overload
def qr(a: M, mode: Literal["reduced", "complete"] = "reduced") -> QRResult[M]: ...
@overload
def qr(a: M, mode: Literal["r"]) -> M: ...
def qr(a: Any, mode: str = "reduced") -> Any:
    """The QR decomposition, like ``np.linalg.qr``: a named tuple ``(Q, R)`` with ``a = Q @ R``,
    Q with orthonormal columns and R upper triangular; with ``mode='r'``, R alone.

    An M×N matrix with M ≥ N (full column rank) is one decomposition with its derivative; a
    wide one (M < N) is decomposed as its first M columns, Q R₁, and R₂ = Qᵀ A₂ for the rest.
    ``mode='complete'`` is the same as ``'reduced'`` for M ≤ N; for M > N its extra columns
    of Q have no derivative and tape values are refused (``'raw'`` too). At a rank-deficient
    matrix R⁻¹ does not exist: the derivative is inf or nan, or solve raises ``LinAlgError``.
    """
    m, n = _matrices(a, "qr", square=False)
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"qr: unrecognized mode {mode!r}")
    if mode == "raw" or (mode == "complete" and m > n):
        if _has_box(a):
            raise ValueError(
                f"qr: mode={mode!r} of a {m}×{n} matrix is not supported on tape values (it "
                "has no derivative); use mode='reduced'"
            )
        return np.linalg.qr(a, mode=mode)  # type: ignore[call-overload]
    if m >= n:
        q, r = bind(QR_Q, a), bind(QR_R, a)
    else:
        left = getitem(a, (Ellipsis, slice(None), slice(0, m)))
        right = getitem(a, (Ellipsis, slice(None), slice(m, None)))
        q, r1 = bind(QR_Q, left), bind(QR_R, left)
        r = concatenate([r1, matmul(_mT(q), right)], axis=-1)
    return r if mode == "r" else QRResult(q, r)


# ----- pinv --------------------------------------------------------------------------------------


def _pinv_impl(x: Any, rcond: float | None, rtol: float | None) -> Any:
    kw: dict[str, Any] = {}
    if rcond is not None:
        kw["rcond"] = rcond
    if rtol is not None:
        kw["rtol"] = rtol
    return np.linalg.pinv(x, **kw)


def _eye_minus(p: Any, q: Any) -> Any:
    """I − p q (square)."""
    pq = matmul(p, q)
    return _eye(_shape_of(pq)[-1]) - pq


def _pinv_vjp(g: Any, ans: Any, x: Any, rcond: Any, rtol: Any) -> Any:
    p, pt, gt = ans, _mT(ans), _mT(g)
    return (
        -matmul(matmul(pt, g), pt)
        + matmul(matmul(matmul(_eye_minus(x, p), gt), p), pt)
        + matmul(matmul(matmul(pt, p), gt), _eye_minus(p, x))
    )


def _pinv_jvp(d: Any, ans: Any, x: Any, rcond: Any, rtol: Any) -> Any:
    p, pt, dt = ans, _mT(ans), _mT(d)
    return (
        -matmul(matmul(p, d), p)
        + matmul(matmul(matmul(p, pt), dt), _eye_minus(x, p))
        + matmul(matmul(matmul(_eye_minus(p, x), dt), pt), p)
    )


PINV = register(
    Primitive(
        "pinv",
        impl=_pinv_impl,
        vjp=(_pinv_vjp,),
        jvp=(_pinv_jvp,),
        notation="pinv({0}{p})",
    )
)


def pinv(
    a: M,
    rcond: float | None = None,
    hermitian: bool = False,
    *,
    rtol: float | None = None,
) -> M:
    """The Moore–Penrose pseudo-inverse, like ``np.linalg.pinv`` (``rcond`` or ``rtol``:
    singular values below the cutoff count as zero).

    Ṗ = −PȦP + PPᵀȦᵀ(I − AP) + (I − PA)ȦᵀPᵀP, the derivative at a matrix of constant rank
    (the rank NumPy's cutoff sees): where a perturbation changes the rank, pinv jumps and has
    no derivative. ``hermitian=True`` is not supported on tape values.
    """
    _matrices(a, "pinv", square=False)
    if rcond is not None and rtol is not None:
        raise ValueError("pinv: give rcond or rtol, not both")
    if hermitian and _has_box(a):
        raise ValueError("pinv: hermitian=True is not supported on tape values; leave it False")
    if hermitian:
        plain_out: Any = np.linalg.pinv(a, hermitian=True)
        return plain_out  # type: ignore[no-any-return]
    r = None if rcond is None else float(rcond)
    t = None if rtol is None else float(rtol)
    out: M = bind(PINV, a, rcond=r, rtol=t)
    return out


# ----- matrix_power ------------------------------------------------------------------------------


def cond(x: M, p: float | str | None = None) -> M:
    """The condition number of a matrix (of each in a stack), like ``np.linalg.cond``: for
    ``p`` None, 2 or −2 the ratio of the extreme singular values (σ_max/σ_min, or its inverse
    for −2), for ``p`` 1, −1, inf, −inf, ``'fro'`` or ``'nuc'`` ‖x‖ₚ·‖x⁻¹‖ₚ.

    Composed of ``svd`` (the singular values' derivative) or ``norm`` and ``inv``. At a
    singular matrix NumPy gives inf; here the first form gives inf too (its derivative is
    then inf or nan), the second raises ``LinAlgError`` (from ``inv``) for tape values.
    """
    if p is None or p == 2 or p == -2:
        _matrices(x, "cond", square=False)
        sv = svd(x, compute_uv=False)
        first = getitem(sv, (Ellipsis, 0))
        last = getitem(sv, (Ellipsis, -1))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio: M = last / first if p == -2 else first / last
        return ratio
    _matrices(x, "cond")
    if not _has_box(x):
        npcond: Any = np.linalg.cond
        plain_cond: M = npcond(x, p)  # NumPy's inf at a singular matrix
        return plain_cond
    both: Any = norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))
    out: M = both
    return out


def matrix_power(a: M, n: int) -> M:
    """``a`` raised to the integer power ``n``, like ``np.linalg.matrix_power``: products by
    repeated squaring (NumPy's order), of ``inv(a)`` for n < 0, the identity for n = 0 (with
    derivative 0)."""
    _matrices(a, "matrix_power")
    try:
        k = operator.index(n)
    except TypeError:
        raise TypeError(f"matrix_power: exponent must be an integer, not {n!r}") from None
    if k == 0:
        out: M = where(np.zeros(_shape_of(a), dtype=bool), a, _eye(_shape_of(a)[-1]))
        return out
    if k < 0:
        a = inv(a)
        k = -k
    if k == 1:
        return a
    if k == 2:
        sq: M = matmul(a, a)
        return sq
    if k == 3:
        cube: M = matmul(matmul(a, a), a)
        return cube
    z: Any = None
    result: Any = None
    while k > 0:
        z = a if z is None else matmul(z, z)
        k, bit = divmod(k, 2)
        if bit:
            result = z if result is None else matmul(result, z)
    power_out: M = result
    return power_out


# ----- the NumPy mapping -------------------------------------------------------------------------


def _np_vector_norm(x: Any, /, *, axis: Axis = None, keepdims: bool = False, ord: float = 2) -> Any:
    """``np.linalg.vector_norm``: a vector norm over ``axis`` (all axes, flattened, for None)."""
    n = ndim(x)
    if axis is None:
        flat = reshape(x, (-1,))
        out = _vector_norm(flat, ord, 0, False)
        return reshape(out, (1,) * n) if keepdims else out
    axes = (axis,) if not isinstance(axis, tuple) else axis
    if len(axes) == 1:
        return _vector_norm(x, ord, _neg_axis(operator.index(axes[0]), n) % n, keepdims)
    if ord in (None, 2):
        return _norm2(x, tuple(_neg_axis(operator.index(a), n) for a in axes), keepdims)
    raise ValueError("vector_norm: several axes are supported for ord=2 only")


def _np_matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    """``np.linalg.matrix_norm``: a matrix norm over the last two axes."""
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def _np_multi_dot(arrays: Sequence[Any], *, out: None = None) -> Any:
    """``np.linalg.multi_dot``: the chained product, left to right (NumPy picks the cheapest
    order; the value is the same up to rounding). A 1-d first (last) array is a row (column)."""
    if out is not None:
        raise TypeError("multi_dot: out= is not supported on tape values")
    if len(arrays) < 2:
        raise ValueError("multi_dot: expecting at least two arrays")
    result = arrays[0]
    for x in arrays[1:]:
        result = matmul(result, x)
    return result


def _np_outer(x1: Any, x2: Any, /) -> Any:
    if ndim(x1) != 1 or ndim(x2) != 1:
        raise ValueError("outer: input arrays must be one-dimensional")
    return outer(x1, x2)


def _np_trace(x: Any, /, *, offset: int = 0, dtype: None = None) -> Any:
    if dtype is not None:
        raise TypeError("trace: dtype= is not supported on tape values")
    return trace(x, offset, -2, -1)


NUMPY: dict[Callable[..., Any], Callable[..., Any]] = {
    np.linalg.matmul: matmul,
    np.linalg.matrix_transpose: lambda x, /: _mT(x),
    np.linalg.multi_dot: _np_multi_dot,
    np.linalg.outer: _np_outer,
    np.linalg.trace: _np_trace,
    np.linalg.diagonal: lambda x, /, *, offset=0: diagonal(x, offset, -2, -1),
    np.linalg.vecdot: lambda x1, x2, /, *, axis=-1: sum(x1 * x2, axis=axis),
    np.linalg.inv: inv,
    np.linalg.pinv: pinv,
    np.linalg.solve: solve,
    np.linalg.det: det,
    np.linalg.slogdet: slogdet,
    np.linalg.norm: norm,
    np.linalg.vector_norm: _np_vector_norm,
    np.linalg.matrix_norm: _np_matrix_norm,
    np.linalg.eigh: eigh,
    np.linalg.eigvalsh: eigvalsh,
    np.linalg.cholesky: cholesky,
    np.linalg.svd: svd,
    np.linalg.svdvals: svdvals,
    np.linalg.qr: qr,
    np.linalg.matrix_power: matrix_power,
    np.linalg.cond: cond,
}
"""NumPy functions this module differentiates: called on a Var or Dual, each reaches the
function here (see ``_numpy``)."""

PLAIN: dict[Callable[..., Any], Callable[..., Any]] = {}
"""NumPy functions this module serves without a derivative (indices, truth values)."""
