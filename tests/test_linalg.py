"""``tp.linalg``: values against NumPy's, closed-form derivatives, two real programs (a Gaussian
process's marginal likelihood, a spring network's Hessian), and the points where a derivative
does not exist.

The gradient of every function in both modes (and to second order for inv, solve, det,
slogdet, cholesky, eigh, norm, svd, qr, pinv) is checked against finite differences by the case
table (``_cases_linalg``, run by ``test_primitives``).

Where a derivative does not exist, and what happens (each tested below):

- inv, solve of a singular matrix: NumPy's ``LinAlgError``, with or without a tape.
- det at a singular matrix: the gradient is the cofactor matrix (adj(A)ᵀ), exact and finite.
- slogdet at a singular matrix: logabsdet = −inf, and its gradient raises ``LinAlgError``.
- eigh with repeated eigenvalues: the eigenvectors' derivative is inf or nan; the eigenvalues'
  is finite.
- svd with repeated singular values: the same for singular vectors and values; with
  ``full_matrices=True`` the extra columns of a non-square U have no derivative, and
  differentiating them raises ``ValueError``.
- norm at 0: gradient 0 (the least subgradient, as ``abs`` at 0), Hessian 0.
- cholesky of a matrix that is not positive definite: ``LinAlgError``.
- cond of a singular matrix: inf for p None, 2, −2 (its derivative inf or nan); for the
  other p, ``LinAlgError`` on tape values (NumPy's inf for plain arrays).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any, assert_type

import _cases_linalg  # (importing it adds its cases to CASES)
import numpy as np
import pytest
from _cases import CASES
from _draw import draw_array

import tape as tp
from tape import _linalg

la = tp.linalg
RNG = np.random.default_rng(11)
A = draw_array((3, 3), "real", "la-a") + 2.0 * np.eye(3)
STACK = draw_array((2, 3, 3), "real", "la-stack")
TALL = draw_array((5, 3), "real", "la-tall")
WIDE = draw_array((3, 5), "real", "la-wide")
SYM = (STACK + np.swapaxes(STACK, -1, -2)) / 2
SPD = STACK @ np.swapaxes(STACK, -1, -2) + 3.0 * np.eye(3)


def grad(f: Any, x: Any) -> Any:
    return tp.grad(f)(x)


def num_grad(f: Any, x: tp.Array, eps: float = 1e-6) -> tp.Array:
    """Central finite differences of a scalar f of plain arrays."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        g[i] = (f(up) - f(down)) / (2 * eps)
    return g


def num_hessian(f: Any, x: tp.Array, eps: float = 1e-5) -> tp.Array:
    """Central finite differences of tape's gradient of f: column i is ∂∇f/∂xᵢ."""
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        up, down = np.asarray(tp.grad(f)(x + e)), np.asarray(tp.grad(f)(x - e))
        cols.append((up - down) / (2 * eps))
    return np.stack(cols, axis=1)


# ----- values equal NumPy's ----------------------------------------------------------------------

VALUES: list[tuple[str, Any, Any, tuple[Any, ...]]] = [
    ("inv", la.inv, np.linalg.inv, (STACK,)),
    ("pinv", la.pinv, np.linalg.pinv, (TALL,)),
    ("solve", la.solve, np.linalg.solve, (STACK, TALL[:3, :2])),
    ("solve-vector", la.solve, np.linalg.solve, (A, TALL[:3, 0])),
    ("det", la.det, np.linalg.det, (STACK,)),
    ("slogdet", la.slogdet, np.linalg.slogdet, (STACK,)),
    ("norm", la.norm, np.linalg.norm, (STACK,)),
    ("eigh", la.eigh, np.linalg.eigh, (STACK,)),  # only the lower triangle is read
    ("eigh-U", lambda a: la.eigh(a, "U"), lambda a: np.linalg.eigh(a, "U"), (STACK,)),
    ("eigvalsh", la.eigvalsh, np.linalg.eigvalsh, (STACK,)),
    ("cholesky", la.cholesky, np.linalg.cholesky, (SPD,)),
    (
        "cholesky-upper",
        lambda a: la.cholesky(a, upper=True),
        lambda a: np.linalg.cholesky(a, upper=True),
        (SPD,),
    ),
    ("svd", la.svd, np.linalg.svd, (STACK,)),
    ("svd-tall-full", la.svd, np.linalg.svd, (TALL,)),
    (
        "svd-reduced",
        lambda a: la.svd(a, full_matrices=False),
        lambda a: np.linalg.svd(a, full_matrices=False),
        (WIDE,),
    ),
    ("svdvals", la.svdvals, np.linalg.svdvals, (WIDE,)),
    ("cond", la.cond, np.linalg.cond, (TALL,)),
    ("cond-1", lambda a: la.cond(a, 1), lambda a: np.linalg.cond(a, 1), (STACK,)),
    ("cond-nuc", lambda a: la.cond(a, "nuc"), lambda a: np.linalg.cond(a, "nuc"), (STACK,)),
    ("qr", la.qr, np.linalg.qr, (TALL,)),
    ("qr-wide", la.qr, np.linalg.qr, (WIDE,)),
    ("qr-r", lambda a: la.qr(a, "r"), lambda a: np.linalg.qr(a, "r"), (STACK,)),
    ("matrix_power", lambda a: la.matrix_power(a, 7), lambda a: np.linalg.matrix_power(a, 7), (A,)),
    (
        "matrix_power-neg",
        lambda a: la.matrix_power(a, -3),
        lambda a: np.linalg.matrix_power(a, -3),
        (STACK,),
    ),
    ("matrix_power-0", lambda a: la.matrix_power(a, 0), lambda a: np.eye(3) + 0 * a, (STACK,)),
]


def _same(got: Any, want: Any) -> None:
    if isinstance(want, tuple):
        assert type(got).__name__ == type(want).__name__  # SVDResult, EighResult, ...
        assert got._fields == want._fields  # type: ignore[attr-defined]
        for g, w in zip(got, want, strict=True):
            _same(g, w)
        return
    np.testing.assert_allclose(np.asarray(_plain(got)), want, atol=1e-12)


def _plain(v: Any) -> Any:
    return v.value if isinstance(v, tp.Var) else v


@pytest.mark.parametrize("name,ours,theirs,args", VALUES, ids=[v[0] for v in VALUES])
def test_values_equal_numpys(name: str, ours: Any, theirs: Any, args: tuple[Any, ...]) -> None:
    want = theirs(*args)
    _same(ours(*args), want)  # plain arrays in
    _same(ours(*(tp.Var(a) for a in args)), want)  # Vars in
    with tp.Tape():
        _same(ours(*(tp.Var(a) for a in args)), want)  # recorded


@pytest.mark.parametrize(
    "shape,kw", [(c[1], c[2]) for c in _cases_linalg.NORMS], ids=[c[0] for c in _cases_linalg.NORMS]
)
def test_norm_values_equal_numpys(shape: tuple[int, ...], kw: dict[str, Any]) -> None:
    x = draw_array(shape, "real", f"normvalue{shape}")
    want = np.linalg.norm(x, **kw)
    np.testing.assert_allclose(la.norm(x, **kw), want, rtol=1e-12)
    got = np.linalg.norm(tp.Var(x), **kw)
    assert isinstance(got, tp.Var) and got.shape == np.shape(want)
    np.testing.assert_allclose(got.value, want, rtol=1e-12)


def test_array_api_norms_equal_numpys() -> None:
    x = draw_array((2, 3, 4), "real", "apinorm")
    v = tp.Var(x)
    vector_norm: Any = np.linalg.vector_norm  # (NumPy's stubs do not know Vars)
    matrix_norm: Any = np.linalg.matrix_norm
    vector_kws: list[dict[str, Any]] = [
        {},
        {"axis": 1},
        {"axis": (0, 2), "keepdims": True},
        {"ord": 1},
        {"ord": np.inf},
    ]
    for kw in vector_kws:
        got = vector_norm(v, **kw)
        assert isinstance(got, tp.Var)
        np.testing.assert_allclose(got.value, vector_norm(x, **kw), rtol=1e-12)
    matrix_kws: list[dict[str, Any]] = [{}, {"ord": "nuc"}, {"ord": -1, "keepdims": True}]
    for kw in [*matrix_kws, {"ord": 2}]:
        got = matrix_norm(v, **kw)
        assert isinstance(got, tp.Var)
        np.testing.assert_allclose(got.value, matrix_norm(x, **kw), rtol=1e-12)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"lower": True},
        {"trans": 1},
        {"trans": "T", "lower": True},
        {"trans": "C", "unit_diagonal": True},
        {"lower": True, "unit_diagonal": True},
    ],
    ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()) or "default",
)
def test_solve_triangular_equals_scipys(kw: dict[str, Any]) -> None:
    """Only the named triangle (and, with unit_diagonal, not the diagonal) is read, as by
    scipy.linalg.solve_triangular: the other entries are garbage here."""
    scipy_linalg = pytest.importorskip("scipy.linalg")
    a = draw_array((4, 4), "real", "tri") + 3.0 * np.eye(4)
    for b in (draw_array((4,), "real", "trib"), draw_array((4, 2), "real", "trib2")):
        want = scipy_linalg.solve_triangular(a, b, **kw)
        np.testing.assert_allclose(la.solve_triangular(a, b, **kw), want, rtol=1e-12)
        np.testing.assert_allclose(la.solve_triangular(tp.Var(a), b, **kw).value, want, rtol=1e-12)


def test_named_results_and_numpy_routing() -> None:
    v = tp.Var(SYM)
    w = np.linalg.eigh(v).eigenvalues  # np.linalg.eigh on a Var reaches tp.linalg.eigh
    assert isinstance(w, tp.Var)
    np.testing.assert_allclose(w.value, np.linalg.eigvalsh(SYM), atol=1e-12)
    r = np.linalg.svd(tp.Var(TALL), full_matrices=False)
    assert isinstance(r, la.SVDResult) and isinstance(r.Vh, tp.Var)
    u, s, vh = r  # unpacks as NumPy's
    np.testing.assert_allclose(((u * s[None, :]) @ vh).value, TALL, atol=1e-12)
    sign, logabsdet = np.linalg.slogdet(tp.Var(A))
    assert isinstance(sign, float) and isinstance(logabsdet, tp.Var)
    assert np.linalg.qr(tp.Var(TALL)).Q.shape == (5, 3)


def test_every_numpy_function_reaches_tape() -> None:
    """Each entry of the NUMPY mapping, called through NumPy on a Var, gives a Var (or a
    named tuple of Vars) with NumPy's value."""
    vec = TALL[:3, 0]
    calls: dict[Any, tuple[Any, ...]] = {
        np.linalg.solve: (A, vec),
        np.linalg.matrix_power: (A, 3),
        np.linalg.matmul: (STACK, A),
        np.linalg.outer: (vec, vec),
        np.linalg.vecdot: (STACK, A),
    }
    for fn in _linalg.NUMPY:
        square = SPD if fn is np.linalg.cholesky else STACK
        args = calls.get(fn, (square,))
        if fn is np.linalg.multi_dot:
            got, want = fn([vec, tp.Var(A), STACK[0], vec]), fn([vec, A, STACK[0], vec])
        else:
            got, want = fn(tp.Var(args[0]), *args[1:]), fn(*args)
        outs = (
            [x for x in got if not isinstance(x, float | np.ndarray)]
            if isinstance(got, tuple)
            else [got]
        )
        assert all(isinstance(o, tp.Var) for o in outs), fn
        _same(got, want)


def test_typing_of_the_public_functions() -> None:
    v = tp.Var(A)
    assert_type(la.inv(v), tp.Var)
    assert_type(la.inv(A), tp.Array)
    assert_type(la.det(v), tp.Var)
    assert_type(la.solve(v, A), tp.Var)
    assert_type(la.solve(A, v), tp.Var)
    assert_type(la.eigh(v).eigenvectors, tp.Var)
    assert_type(la.svd(v).S, tp.Var)
    assert_type(la.svd(v, compute_uv=False), tp.Var)
    assert_type(la.qr(v, mode="r"), tp.Var)
    assert_type(la.slogdet(v).logabsdet, tp.Var)
    assert_type(la.norm(v, "fro"), tp.Var)
    assert_type(la.cholesky(tp.Var(SPD)), tp.Var)
    assert_type(la.solve_triangular(v, A, lower=True), tp.Var)
    assert isinstance(la.solve_triangular(v, A, lower=True), tp.Var)


def test_every_linalg_function_has_a_gradient_case() -> None:
    names = [n for n in la.__all__ if inspect.isfunction(getattr(la, n))]
    assert len(names) >= 14
    covered = {f for c in CASES for f in c.funcs}
    missing = [n for n in names if f"linalg.{n}" not in covered]
    assert not missing, f"tp.linalg functions without a gradient case: {missing}"
    order2 = {f for c in CASES if c.order == 2 for f in c.funcs}
    for n in ["inv", "solve", "det", "slogdet", "cholesky", "eigh", "norm"]:
        assert f"linalg.{n}" in order2, n


# ----- closed forms ------------------------------------------------------------------------------


def test_det_gradient_is_det_times_inverse_transpose() -> None:
    g = grad(lambda a: tp.sum(la.det(a)), STACK)
    want = np.linalg.det(STACK)[:, None, None] * np.swapaxes(np.linalg.inv(STACK), -1, -2)
    np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-12)
    # forward mode: d det = det · tr(A⁻¹ dA)
    d = RNG.standard_normal(STACK.shape)
    _, jv = tp.jvp(la.det, [STACK], [d])
    want_jv = np.linalg.det(STACK) * np.trace(np.linalg.solve(STACK, d), axis1=-2, axis2=-1)
    np.testing.assert_allclose(jv, want_jv, rtol=1e-10)


def test_logdet_gradient_is_inverse_transpose() -> None:
    g = grad(lambda a: tp.sum(la.slogdet(a).logabsdet), STACK)
    np.testing.assert_allclose(g, np.swapaxes(np.linalg.inv(STACK), -1, -2), rtol=1e-10)


def test_trace_of_inverse_gradient() -> None:
    g = grad(lambda a: np.trace(la.inv(a)), A)
    ainv = np.linalg.inv(A)
    np.testing.assert_allclose(g, -(ainv @ ainv).T, rtol=1e-10, atol=1e-12)


def test_eigenvalue_gradient_is_the_eigenvector_outer_product() -> None:
    _, v = np.linalg.eigh(SYM[0])
    g = grad(lambda a: la.eigvalsh((a + a.T) / 2)[2], SYM[0])
    np.testing.assert_allclose(g, np.outer(v[:, 2], v[:, 2]), rtol=1e-9, atol=1e-12)


def test_nuclear_norm_gradient_is_u_vt() -> None:
    u, _, vh = np.linalg.svd(WIDE, full_matrices=False)
    np.testing.assert_allclose(grad(lambda a: la.norm(a, "nuc"), WIDE), u @ vh, atol=1e-10)


def test_solve_gradient_closed_form() -> None:
    b = TALL[:3, 0]
    x = np.linalg.solve(A, b)
    ga = tp.grad(lambda a, b: tp.sum(la.solve(a, b)), (0, 1))(A, b)
    lam = np.linalg.solve(A.T, np.ones(3))
    np.testing.assert_allclose(ga[0], -np.outer(lam, x), rtol=1e-10)
    np.testing.assert_allclose(ga[1], lam, rtol=1e-10)


# ----- a Gaussian process's log marginal likelihood ----------------------------------------------

X_GP = np.linspace(-2.0, 2.0, 7)
Y_GP = np.sin(1.3 * X_GP) + 0.1 * draw_array((7,), "real", "gp-noise")
D2 = (X_GP[:, None] - X_GP[None, :]) ** 2


def gp_kernel(theta: Any) -> Any:
    """K(θ) for θ = (length-scale ℓ, signal std σf, noise std σn): σf² e^(−d²/2ℓ²) + σn² I."""
    ell, sf, sn = theta[0], theta[1], theta[2]
    return sf**2 * np.exp(-D2 / (2.0 * ell**2)) + sn**2 * np.eye(len(X_GP))


def gp_lml(theta: Any) -> Any:
    """log p(y | θ) = −½ yᵀK⁻¹y − Σ log Lᵢᵢ − (n/2) log 2π, with K = LLᵀ."""
    low = la.cholesky(gp_kernel(theta))
    z = la.solve_triangular(low, Y_GP, lower=True)  # L⁻¹ y
    alpha = la.solve_triangular(low, z, lower=True, trans="T")  # K⁻¹ y
    logdet_half = tp.sum(tp.log(tp.diagonal(low)))
    return -0.5 * tp.dot(Y_GP, alpha) - logdet_half - 0.5 * len(X_GP) * math.log(2 * math.pi)


def gp_lml_slogdet(theta: Any) -> Any:
    k = gp_kernel(theta)
    return (
        -0.5 * tp.dot(Y_GP, la.solve(k, Y_GP))
        - 0.5 * la.slogdet(k).logabsdet
        - 0.5 * len(X_GP) * math.log(2 * math.pi)
    )


THETA = np.array([0.8, 1.2, 0.3])


def test_gp_marginal_likelihood_gradient() -> None:
    value, g = tp.value_and_grad(gp_lml)(THETA)
    # the same value as NumPy's, and as the slogdet form
    k = gp_kernel(THETA)
    want = (
        -0.5 * Y_GP @ np.linalg.solve(k, Y_GP)
        - 0.5 * np.linalg.slogdet(k)[1]
        - 0.5 * len(X_GP) * math.log(2 * math.pi)
    )
    assert value == pytest.approx(want, rel=1e-12)
    assert tp.grad(gp_lml_slogdet)(THETA) == pytest.approx(g, rel=1e-9)
    # central finite differences
    fd = num_grad(lambda t: float(gp_lml(t)), THETA.copy())
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    # closed form: ∂/∂θ = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ)
    ell, sf, sn = THETA
    rbf = np.exp(-D2 / (2 * ell**2))
    dks = [sf**2 * rbf * D2 / ell**3, 2 * sf * rbf, 2 * sn * np.eye(len(X_GP))]
    alpha = np.linalg.solve(k, Y_GP)
    inner = np.outer(alpha, alpha) - np.linalg.inv(k)
    closed = [0.5 * np.trace(inner @ dk) for dk in dks]
    np.testing.assert_allclose(g, closed, rtol=1e-9)
    # forward mode agrees (one pass with three tangents)
    _, jv = tp.jvp(gp_lml, [THETA], [np.eye(3)])
    np.testing.assert_allclose(jv, g, rtol=1e-10)


def test_gp_marginal_likelihood_hessian() -> None:
    """Second order through cholesky and the triangular solves (forward over reverse)."""
    h = tp.hessian(gp_lml)(THETA)
    fd = num_hessian(gp_lml, THETA)
    np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-12)


# ----- a spring network's Hessian ----------------------------------------------------------------

# a 2×3 grid of nodes, triangulated (9 springs on 6 nodes: 2·6 − 3, minimally rigid in 2-D)
NODES = np.array([[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1]], dtype=float)
NODES = NODES + 0.1 * draw_array(NODES.shape, "real", "springs")  # generic positions
EDGES = np.array([[0, 1], [1, 2], [3, 4], [4, 5], [0, 3], [1, 4], [2, 5], [0, 4], [1, 5]])
REST = np.linalg.norm(NODES[EDGES[:, 0]] - NODES[EDGES[:, 1]], axis=1)  # unstressed
STIFF = 1.0 + 0.5 * np.arange(len(EDGES)) / len(EDGES)


def spring_energy(flat: Any) -> Any:
    """½ Σ kₑ (‖xᵢ − xⱼ‖ − Lₑ)², with np.linalg.norm on the Vars."""
    x = flat.reshape((-1, 2))
    lengths = np.linalg.norm(x[EDGES[:, 0]] - x[EDGES[:, 1]], axis=1)
    return 0.5 * tp.sum(STIFF * (lengths - REST) ** 2)


def test_spring_network_hessian_and_its_zero_modes() -> None:
    x0 = NODES.reshape(-1)
    h = tp.hessian(spring_energy)(x0)
    fd = num_hessian(spring_energy, x0)
    np.testing.assert_allclose(h, fd, rtol=1e-6, atol=1e-7)
    w, v = np.linalg.eigh(h)
    zero = np.abs(w) < 1e-8
    assert zero.sum() == 3, w  # two translations and one rotation
    assert np.all(w[~zero] > 1e-3), w
    center = NODES.mean(axis=0)
    modes = [
        np.tile([1.0, 0.0], 6),
        np.tile([0.0, 1.0], 6),
        np.stack([-(NODES[:, 1] - center[1]), NODES[:, 0] - center[0]], axis=1).reshape(-1),
    ]
    for m in modes:
        np.testing.assert_allclose(h @ m, 0.0, atol=1e-10)
    # the zero modes span exactly those three directions
    null = v[:, zero]
    basis = np.linalg.qr(np.stack(modes, axis=1))[0]
    np.testing.assert_allclose(np.abs(np.linalg.svd(basis.T @ null)[1]), 1.0, atol=1e-8)
    # away from rest (stretched), the reverse-over-reverse Hessian agrees with forward over reverse
    x1 = x0 * 1.1
    h1 = tp.jacrev(tp.grad(spring_energy))(x1)
    np.testing.assert_allclose(h1, tp.hessian(spring_energy)(x1), rtol=1e-10, atol=1e-12)


# ----- where the derivative does not exist -------------------------------------------------------

SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])


def test_singular_inv_and_solve_raise_linalgerror() -> None:
    zero = np.zeros((3, 3))
    for f in (la.inv, lambda a: la.solve(a, np.ones(3))):
        with pytest.raises(np.linalg.LinAlgError):
            f(zero)
        with pytest.raises(np.linalg.LinAlgError):
            f(tp.Var(zero))
        with tp.Tape(), pytest.raises(np.linalg.LinAlgError):
            f(tp.Var(zero))
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        la.inv(tp.Var(TALL))
    with pytest.raises(np.linalg.LinAlgError, match=r"at least|stack"):
        la.det(tp.Var(np.ones(3)))


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix() -> None:
    a = np.array([[1.0, 2.0, -1.0], [0.0, 0.0, 0.0], [3.0, 1.0, 2.0]])  # rank 2, det exactly 0
    assert np.linalg.det(a) == 0.0
    cof = np.array(
        [
            [(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(3)]
            for i in range(3)
        ]
    )
    g = grad(la.det, a)
    assert np.all(np.isfinite(g)) and np.abs(g).max() > 1.0
    np.testing.assert_allclose(g, cof, atol=1e-12)
    _, jv = tp.jvp(la.det, [a], [np.ones((3, 3))])
    assert jv == pytest.approx(cof.sum())

    # the second derivative there (through the minors' determinants) is exact too
    def det_flat(v: Any) -> Any:
        return la.det(v.reshape((3, 3)))

    h = tp.hessian(det_flat)(a.reshape(-1))
    np.testing.assert_allclose(h, num_hessian(det_flat, a.reshape(-1)), atol=1e-8)
    # a larger singular matrix: the plain sweep's cofactors come from one SVD
    big = draw_array((30, 30), "real", "det-big")
    big[7] = 0.0
    g_big = grad(la.det, big)
    minors_row = [
        (-1) ** (7 + j) * np.linalg.det(np.delete(np.delete(big, 7, 0), j, 1)) for j in range(30)
    ]
    np.testing.assert_allclose(g_big[7], minors_row, rtol=1e-8)
    np.testing.assert_allclose(np.delete(g_big, 7, 0), 0.0, atol=1e-12 * np.abs(g_big).max())
    # rank 1: every cofactor is 0, so is the gradient
    np.testing.assert_allclose(grad(la.det, np.outer([1.0, 2, 0], [3.0, 1, 1])), 0.0, atol=1e-12)


def test_slogdet_at_a_singular_matrix() -> None:
    zero = np.zeros((2, 2))
    sign, logabsdet = la.slogdet(tp.Var(zero))
    assert sign == 0.0 and logabsdet.value == -np.inf
    with pytest.raises(np.linalg.LinAlgError):
        grad(lambda a: la.slogdet(a).logabsdet, zero)


def test_slogdet_sign_is_plain_and_guarded_on_replay() -> None:
    x = tp.Var(A)
    with tp.Tape() as t:
        sign, logabsdet = la.slogdet(x)
        y = tp.exp(logabsdet) * sign
    assert isinstance(sign, float) and sign == np.sign(np.linalg.det(A))
    prog = t.compile([x], [y])
    assert prog(A * 1.01) == pytest.approx(np.linalg.det(A * 1.01))
    with pytest.raises(tp.TapeInvalidated, match=r"slogdet|sign|guard"):
        prog(-A)  # det(−A) = −det(A) for 3×3: the sign the tape saw changed


def test_eigh_with_repeated_eigenvalues() -> None:
    a = np.diag([1.0, 1.0, 2.0])
    g_values = grad(lambda m: tp.sum(la.eigvalsh(m) * np.array([1.0, 2.0, 3.0])), a)
    assert np.all(np.isfinite(g_values))
    np.testing.assert_allclose(np.trace(g_values), 6.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_vectors = grad(lambda m: tp.sum(la.eigh(m)[1] ** 2 * np.arange(9.0).reshape(3, 3)), a)
    assert not np.all(np.isfinite(g_vectors))


def test_svd_with_repeated_singular_values_and_full_matrices() -> None:
    eye = np.eye(3)
    assert np.all(np.isfinite(grad(lambda m: tp.sum(la.svd(m, compute_uv=False)), eye)))
    with np.errstate(divide="ignore", invalid="ignore"):
        g = grad(lambda m: tp.sum(la.svd(m)[0] ** 2 * np.arange(9.0).reshape(3, 3)), eye)
    assert not np.all(np.isfinite(g))
    # full_matrices=True, tall: the extra columns of U have no derivative
    with pytest.raises(ValueError, match="full_matrices=False"):
        grad(lambda m: tp.sum(la.svd(m)[0]), TALL)
    assert grad(lambda m: tp.sum(la.svd(m).S), TALL).shape == TALL.shape  # S is fine
    with pytest.raises(ValueError, match="full_matrices=False"):
        tp.jvp(lambda m: la.svd(m).Vh, [WIDE], [np.ones_like(WIDE)])


def test_norm_at_zero() -> None:
    zero = np.zeros(4)
    norms: list[Callable[[Any], Any]] = [
        la.norm,
        lambda x: la.norm(x, 2),
        lambda x: np.linalg.norm(x.reshape(2, 2)),  # Frobenius
    ]
    for f in norms:
        np.testing.assert_array_equal(grad(f, zero), 0.0)
        np.testing.assert_array_equal(tp.hessian(f)(zero), 0.0)
        _, jv = tp.jvp(f, [zero], [np.ones(4)])
        assert jv == 0.0
    # abs-based norms: abs'(0) = 0
    np.testing.assert_array_equal(grad(lambda x: la.norm(x, 1), zero), 0.0)
    # a zero column among others: its gradient is 0, the others' x/‖x‖
    m = np.array([[0.0, 3.0], [0.0, 4.0]])
    np.testing.assert_allclose(grad(lambda x: tp.sum(la.norm(x, axis=0)), m), [[0, 0.6], [0, 0.8]])


def test_cond_of_a_singular_matrix() -> None:
    assert la.cond(SINGULAR, 1) == np.linalg.cond(SINGULAR, 1)  # plain: NumPy's answer
    with np.errstate(divide="ignore"):
        assert la.cond(tp.Var(np.diag([1.0, 0.0]))).value == np.inf  # σ_max / 0
    with pytest.raises(np.linalg.LinAlgError):
        la.cond(tp.Var(np.zeros((2, 2))), 1)  # ‖x‖·‖x⁻¹‖ needs the inverse


def test_cholesky_of_an_indefinite_matrix_raises() -> None:
    with pytest.raises(np.linalg.LinAlgError):
        la.cholesky(tp.Var(np.array([[1.0, 2.0], [2.0, 1.0]])))


def test_pinv_of_a_rank_deficient_matrix_keeps_its_rank() -> None:
    """At a rank-deficient matrix the derivative is that of the constant-rank pinv: it matches
    finite differences along perturbations that keep the rank (here, scaling)."""
    a = np.outer([1.0, 2.0, 3.0], [1.0, -1.0])  # rank 1
    _, jv = tp.jvp(la.pinv, [a], [a])  # d/dt pinv((1 + t) a) = −pinv(a) at t = 0
    np.testing.assert_allclose(jv, -np.linalg.pinv(a), atol=1e-10)


def test_bad_arguments_are_named() -> None:
    v = tp.Var(A)
    with pytest.raises(ValueError, match="invalid norm order"):
        la.norm(v, "bad")
    with pytest.raises(ValueError, match="invalid norm order"):
        la.norm(tp.Var(np.ones(3)), "fro")
    with pytest.raises(ValueError, match="dimensions"):
        la.norm(tp.Var(STACK), 1)
    with pytest.raises(ValueError, match="trans"):
        la.solve_triangular(v, np.ones(3), trans=3)
    with pytest.raises(TypeError, match="integer"):
        la.matrix_power(v, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="UPLO"):
        la.eigh(v, "X")
    with pytest.raises(ValueError, match="mode='reduced'"):
        la.qr(tp.Var(TALL), mode="complete")
    with pytest.raises(ValueError, match="hermitian"):
        la.svd(v, hermitian=True)


def test_batched_tangents_through_solve_with_broadcasting() -> None:
    """k tangents at once (vector-mode forward) where a and b broadcast their batch axes."""
    a, b = STACK + 3.0 * np.eye(3), TALL[:3, :2]
    da, db = RNG.standard_normal((4, *a.shape)), RNG.standard_normal((4, *b.shape))
    _, jv = tp.jvp(la.solve, [a, b], [da, db])
    for k in range(4):
        _, one = tp.jvp(la.solve, [a, b], [da[k], db[k]])
        np.testing.assert_allclose(np.asarray(jv)[k], one, rtol=1e-12)


NESTED: dict[str, Callable[[Any], Any]] = {
    "det": la.det,
    "inv": lambda a: tp.sum(la.inv(a)),
    "cholesky": lambda a: tp.sum(la.cholesky(a @ a.T + 3.0 * np.eye(3))),
    "eigh": lambda a: tp.sum(la.eigh(a)[1] ** 2 * np.arange(9.0).reshape(3, 3)),
    "svd": lambda a: tp.sum(la.svd(a)[0] ** 2 * np.arange(9.0).reshape(3, 3)),
    "qr": lambda a: tp.sum(la.qr(a)[0] * np.arange(9.0).reshape(3, 3)),
    "norm-nuc": lambda a: la.norm(a, "nuc"),
}


@pytest.mark.parametrize("name", list(NESTED))
def test_reverse_over_forward_equals_the_hessian(name: str) -> None:
    """grad of a jvp (the JVP rules recorded by a tape) gives H·d, as forward over reverse."""
    f = NESTED[name]
    d = RNG.standard_normal((3, 3))
    rof = tp.grad(lambda a: tp.jvp(f, [a], [d])[1])(A)
    h = tp.hessian(lambda v: f(v.reshape((3, 3))))(A.reshape(-1))
    np.testing.assert_allclose(np.reshape(rof, -1), h @ d.reshape(-1), rtol=1e-7, atol=1e-9)
