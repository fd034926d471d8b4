"""Gradient cases for the rows and functions of ``tape._linalg``: see ``_cases``.

Shapes follow HIPS autograd's tests/test_linalg.py: square matrices, stacks ``(2, 3, 3)``,
tall and wide ones for svd, qr, pinv and norm. Inputs are made valid inside the case
function where the function needs it (symmetric for eigh, positive definite for cholesky),
and outputs that carry an arbitrary sign (eigenvectors, singular vectors) are made
sign-invariant there (squared elementwise, or products like V diag(f(w)) Vᵀ). Each case
names the linalg functions it calls as ``linalg.<name>`` (``test_linalg`` checks that every
function of ``tp.linalg`` has one).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _cases import case
from _draw import draw_array

import tape as tp

la = tp.linalg


def well(shape: tuple[int, ...], key: str, shift: float = 2.0) -> tp.Array:
    """A well-conditioned (stack of) square matrices: real entries plus shift·I."""
    return draw_array(shape, "real", key) + shift * np.eye(shape[-1])


def mt(a: Any) -> Any:
    """The last two axes swapped (NumPy's call, which reaches tape's on a Var)."""
    return np.swapaxes(a, -1, -2)


def sym(a: Any) -> Any:
    return (a + mt(a)) / 2.0


def spd(a: Any) -> Any:
    """A positive-definite matrix made from any a: a aᵀ + n·I."""
    return a @ mt(a) + a.shape[-1] * np.eye(a.shape[-1])


def expm_sym(wv: Any) -> Any:
    """V diag(exp w) Vᵀ from eigh's (w, V): independent of the eigenvectors' signs."""
    w, v = wv
    return (v * np.exp(w)[..., None, :]) @ mt(v)


def tanh_of_singular_values(usv: Any) -> Any:
    """U diag(tanh s) Vh from svd's (U, s, Vh): independent of the vectors' signs."""
    u, s, vh = usv
    return (u * np.tanh(s)[..., None, :]) @ vh


def real(shape: tuple[int, ...], key: str) -> tp.Array:
    return draw_array(shape, "real", key)


# ----- inv, pinv ---------------------------------------------------------------------------------
case("linalg-inv-3x3", la.inv, [well((3, 3), "inv")], ["inv"], ["linalg.inv"], order=2)
case("linalg-inv-2x3x3", la.inv, [well((2, 3, 3), "inv3")], ["inv"], ["linalg.inv"])
case(
    "linalg-inv-trace",  # tr(A⁻¹), a scalar through inv
    lambda a: np.trace(np.linalg.inv(a)),
    [well((3, 3), "invtr")],
    ["inv"],
    ["linalg.inv"],
)
for pshape in [(3, 5), (5, 3), (2, 4, 3)]:
    case(
        f"linalg-pinv-{'x'.join(map(str, pshape))}",
        la.pinv,
        [real(pshape, f"pinv{pshape}")],
        ["pinv"],
        ["linalg.pinv"],
    )
case(
    "linalg-pinv-np-order2",
    lambda a: np.linalg.pinv(a),
    [real((4, 2), "pinv2")],
    ["pinv"],
    ["linalg.pinv"],
    order=2,
)

# ----- solve, solve_triangular -------------------------------------------------------------------
SOLVES: list[tuple[str, tuple[int, ...], tuple[int, ...], int]] = [
    ("vector", (3, 3), (3,), 2),
    ("matrix", (3, 3), (3, 2), 1),
    ("batched", (2, 3, 3), (2, 3, 2), 1),
    ("batched-vector", (2, 3, 3), (3,), 1),
    ("broadcast-a", (3, 3), (2, 3, 4), 1),
    ("broadcast-b", (2, 3, 3), (3, 2), 1),
]
for sname, ashape, bshape, sorder in SOLVES:
    case(
        f"linalg-solve-{sname}",
        la.solve,
        [well(ashape, f"sa{sname}"), real(bshape, f"sb{sname}")],
        ["solve"],
        ["linalg.solve"],
        order=sorder,
    )
case(
    "linalg-solve-np",
    lambda a, b: np.linalg.solve(a, b) ** 2,
    [well((3, 3), "snp"), real((3,), "snpb")],
    ["solve"],
    ["linalg.solve"],
)
TRIANGULAR: list[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, Any], int]] = [
    ("lower-vector", (3, 3), (3,), {"lower": True}, 2),
    ("upper-matrix", (3, 3), (3, 2), {}, 1),
    ("trans-unit", (3, 3), (3, 2), {"trans": "T", "unit_diagonal": True}, 1),
    ("batched-lower-trans", (2, 3, 3), (2, 3, 2), {"lower": True, "trans": 1}, 1),
]
for tname, ashape, bshape, kw, torder in TRIANGULAR:
    case(
        f"linalg-solve_triangular-{tname}",
        lambda a, b, kw=kw: la.solve_triangular(a, b, **kw),
        [well(ashape, f"ta{tname}"), real(bshape, f"tb{tname}")],
        ["solve"],
        ["linalg.solve_triangular"],
        order=torder,
    )

# ----- det, slogdet ------------------------------------------------------------------------------
case("linalg-det-3x3", la.det, [well((3, 3), "det", 0.5)], ["det"], ["linalg.det"], order=2)
case("linalg-det-2x3x3", la.det, [real((2, 3, 3), "det3")], ["det"], ["linalg.det"])
case("linalg-det-1x1", lambda a: np.linalg.det(a), [real((1, 1), "det1")], ["det"], ["linalg.det"])
SINGULAR = np.array([[1.0, 2.0, -1.0], [0.0, 0.0, 0.0], [3.0, 1.0, 2.0]])  # det exactly 0
case(
    "linalg-det-singular",  # the cofactors from the minors, to second order
    la.det,
    [SINGULAR],
    ["det"],
    ["linalg.det"],
    order=2,
)
case(
    "linalg-slogdet-3x3",
    lambda a: la.slogdet(a).logabsdet,
    [well((3, 3), "sld", 0.5)],
    ["slogdet"],
    ["linalg.slogdet"],
    order=2,
)
case(
    "linalg-slogdet-2x3x3",  # sign · exp(logabsdet) = det, with negative determinants
    lambda a: np.linalg.slogdet(a)[0] * np.exp(np.linalg.slogdet(a)[1]),
    [real((2, 3, 3), "sld3")],
    ["slogdet"],
    ["linalg.slogdet"],
)

# ----- norm --------------------------------------------------------------------------------------
NORMS: list[tuple[str, tuple[int, ...], dict[str, Any], tuple[str, ...], int]] = [
    ("vector", (5,), {}, ("norm",), 2),
    ("vector-ord2-keepdims", (5,), {"ord": 2, "keepdims": True}, ("norm",), 1),
    ("fro", (3, 4), {"ord": "fro"}, ("norm",), 2),
    ("all-3d", (2, 3, 4), {}, ("norm",), 1),
    ("axis0", (3, 4), {"axis": 0}, ("norm",), 1),
    ("axis-1-keepdims", (2, 3, 4), {"axis": -1, "keepdims": True}, ("norm",), 1),
    ("ord1", (3, 4), {"ord": 1, "axis": 1}, ("abs", "sum"), 1),
    ("ordinf", (5,), {"ord": np.inf}, ("abs", "max"), 1),
    ("ord-inf", (3, 4), {"ord": -np.inf, "axis": 0}, ("abs", "min"), 1),
    ("ord0", (5,), {"ord": 0}, ("where",), 1),
    ("ord3", (2, 5), {"ord": 3, "axis": -1}, ("power",), 2),
    ("ord-1.5", (5,), {"ord": -1.5}, ("power",), 1),
    ("fro-axes", (2, 3, 4), {"ord": "fro", "axis": (2, 0)}, ("norm",), 1),
    ("fro-keepdims", (2, 3, 4), {"axis": (1, 2), "keepdims": True}, ("norm",), 1),
    ("nuc", (3, 4), {"ord": "nuc"}, ("svd_s",), 2),
    ("nuc-axes", (2, 3, 4), {"ord": "nuc", "axis": (0, 2)}, ("svd_s",), 1),
    ("mat2", (4, 3), {"ord": 2}, ("svd_s", "max"), 1),
    ("mat-2", (2, 3, 4), {"ord": -2, "axis": (1, 2)}, ("svd_s", "min"), 1),
    ("mat1", (3, 4), {"ord": 1}, ("abs", "max"), 1),
    ("mat-1", (2, 3, 4), {"ord": -1, "axis": (2, 1), "keepdims": True}, ("min",), 1),
    ("matinf", (3, 4), {"ord": np.inf}, ("max",), 1),
    ("mat-inf", (2, 3, 4), {"ord": -np.inf, "axis": (0, 1)}, ("min",), 1),
]
for nname, nshape, kw, nrows, norder in NORMS:
    case(
        f"linalg-norm-{nname}",
        lambda x, kw=kw: la.norm(x, **kw),
        [draw_array(nshape, "distinct", f"norm{nname}") * 0.3],  # no ties, no zeros
        nrows,
        ["linalg.norm"],
        order=norder,
    )
case("linalg-norm-float", la.norm, [-1.5], ["norm"], ["linalg.norm"])
case(
    "linalg-norm-np",
    lambda x: np.linalg.norm(x, axis=1) + np.linalg.norm(x, "nuc"),
    [real((3, 4), "normnp")],
    ["norm", "svd_s"],
    ["linalg.norm"],
)
case(
    "linalg-vector_norm-np",
    lambda x: np.linalg.vector_norm(x, axis=(0, 1)) + np.linalg.vector_norm(x, ord=1),
    [real((2, 3, 2), "vnorm")],
    ["norm", "abs"],
    ["linalg.norm"],
)
case(
    "linalg-matrix_norm-np",
    lambda x: np.linalg.matrix_norm(x) + np.linalg.matrix_norm(x, ord=2, keepdims=True)[:, 0, 0],
    [real((2, 3, 4), "mnorm")],
    ["norm", "svd_s"],
    ["linalg.norm"],
)

# ----- eigh, eigvalsh ----------------------------------------------------------------------------
case(
    "linalg-eigh-values",
    lambda a: la.eigh(sym(a)).eigenvalues,
    [real((3, 3), "eigw")],
    ["eigvalsh"],
    ["linalg.eigh"],
    order=2,
)
case(
    "linalg-eigh-vectors",  # v·v: the vectors' squares do not depend on their signs
    lambda a: la.eigh(sym(a)).eigenvectors ** 2,
    [real((3, 3), "eigv")],
    ["eigh_vectors"],
    ["linalg.eigh"],
    order=2,
)
case(
    "linalg-eigh-batched-expm",  # V diag(exp w) Vᵀ: the matrix exponential of sym(a)
    lambda a: expm_sym(np.linalg.eigh(sym(a))),
    [real((2, 3, 3), "eigb")],
    ["eigvalsh", "eigh_vectors"],
    ["linalg.eigh"],
)
case(
    "linalg-eigh-upper-triangle",  # not symmetric: only the upper triangle is read
    lambda a: la.eigh(a, UPLO="U")[1] ** 2 + la.eigh(a, "U")[0][..., None, :],
    [real((2, 3, 3), "eigu")],
    ["eigvalsh", "eigh_vectors"],
    ["linalg.eigh"],
)
case(
    "linalg-eigvalsh",
    lambda a: np.linalg.eigvalsh(a) + la.eigvalsh(a, UPLO="U"),  # each triangle of a
    [real((2, 4, 4), "eigvals")],
    ["eigvalsh"],
    ["linalg.eigvalsh"],
)

# ----- cholesky ----------------------------------------------------------------------------------
case(
    "linalg-cholesky-3x3",
    lambda a: la.cholesky(spd(a)),
    [real((3, 3), "chol")],
    ["cholesky"],
    ["linalg.cholesky"],
    order=2,
)
case(
    "linalg-cholesky-batched",
    lambda a: np.linalg.cholesky(spd(a)),
    [real((2, 3, 3), "chol3")],
    ["cholesky"],
    ["linalg.cholesky"],
)
case(
    "linalg-cholesky-upper",
    lambda a: la.cholesky(spd(a), upper=True),
    [real((3, 3), "cholu")],
    ["cholesky"],
    ["linalg.cholesky"],
)
case(
    "linalg-cholesky-lower-triangle",  # a itself, not symmetric: only its lower part is read
    lambda a: la.cholesky(a),
    [spd(real((3, 3), "choll")) + np.triu(real((3, 3), "cholnoise"), 1)],
    ["cholesky"],
    ["linalg.cholesky"],
)

# ----- svd ---------------------------------------------------------------------------------------
for vshape in [(3, 3), (3, 5), (5, 3), (2, 4, 3)]:
    vid = "x".join(map(str, vshape))
    case(
        f"linalg-svd-s-{vid}",
        lambda a: la.svd(a, compute_uv=False),
        [real(vshape, f"svs{vid}")],
        ["svd_s"],
        ["linalg.svd"],
    )
    case(
        f"linalg-svd-uv-{vid}",  # squares: independent of the vectors' signs
        lambda a: la.svd(a, full_matrices=False).U ** 2,
        [real(vshape, f"svu{vid}")],
        ["svd_u"],
        ["linalg.svd"],
    )
    case(
        f"linalg-svd-vh-{vid}",
        lambda a: la.svd(a, False).Vh ** 2,
        [real(vshape, f"svv{vid}")],
        ["svd_vh"],
        ["linalg.svd"],
    )
case(
    "linalg-svd-square-full",  # NumPy's default full_matrices=True, a square matrix
    lambda a: tanh_of_singular_values(np.linalg.svd(a)),
    [real((3, 3), "svfull")],
    ["svd_u", "svd_s", "svd_vh"],
    ["linalg.svd"],
    order=2,
)
case(
    "linalg-svd-rebuild-wide",  # U S Vh = a: all three rows' derivatives together
    lambda a: (lambda r: (r.U * r.S[..., None, :]) @ r.Vh)(la.svd(a, full_matrices=False)),
    [real((2, 3, 4), "svrebuild")],
    ["svd_u", "svd_s", "svd_vh"],
    ["linalg.svd"],
)
case(
    "linalg-svdvals",
    lambda a: np.linalg.svdvals(a) + la.svdvals(2.0 * a),
    [real((4, 3), "svdvals")],
    ["svd_s"],
    ["linalg.svdvals"],
)

# ----- qr ----------------------------------------------------------------------------------------
for qshape, qorder in [((4, 3), 2), ((3, 3), 1), ((2, 4, 3), 1)]:
    qid = "x".join(map(str, qshape))
    case(
        f"linalg-qr-{qid}",
        lambda a: (lambda q, r: np.concatenate([q, mt(r)], axis=-2))(*la.qr(a)),
        [real(qshape, f"qr{qid}")],
        ["qr_q", "qr_r"],
        ["linalg.qr"],
        order=qorder,
    )
case(
    "linalg-qr-wide",  # M < N: Q R₁ of the first M columns, R₂ = Qᵀ A₂
    lambda a: np.linalg.qr(a).Q.sum() + np.linalg.qr(a).R,
    [real((3, 5), "qrwide")],
    ["qr_q", "qr_r"],
    ["linalg.qr"],
)
case(
    "linalg-qr-r-batched",
    lambda a: la.qr(a, mode="r"),
    [real((2, 3, 2), "qrr")],
    ["qr_r"],
    ["linalg.qr"],
)

# ----- cond ---------------------------------------------------------------------------------------
for cp in [None, -2, 1, "fro", -np.inf]:
    case(
        f"linalg-cond-{cp}",
        lambda a, cp=cp: la.cond(a, cp),
        [well((2, 3, 3), f"cond{cp}", 1.0) if cp is not None else real((4, 3), "cond")],
        ["svd_s"] if cp in (None, -2) else ["inv", "abs"] if cp != "fro" else ["inv", "norm"],
        ["linalg.cond"],
        order=2 if cp is None else 1,
    )

# ----- matrix_power ------------------------------------------------------------------------------
for pw in [0, 1, 2, 3, 5, -2]:
    case(
        f"linalg-matrix_power-{pw}",
        lambda a, pw=pw: la.matrix_power(a, pw) + a,
        [well((3, 3), f"mp{pw}", 0.5)],
        ["inv"] if pw < 0 else ["matmul"] if pw > 1 else ["add"],
        ["linalg.matrix_power"],
        order=2 if pw == 5 else 1,
    )
case(
    "linalg-matrix_power-batched",
    lambda a: np.linalg.matrix_power(a, 4),
    [well((2, 3, 3), "mpb", 0.5)],
    ["matmul"],
    ["linalg.matrix_power"],
)

# ----- np.linalg's array-API spellings of table functions ----------------------------------------
case(
    "linalg-np-products",
    lambda a, b: (
        np.linalg.multi_dot([b[0], a, np.linalg.matrix_transpose(a), b[1]])
        + np.linalg.vecdot(a, np.linalg.matmul(a, a)).sum()
        + np.linalg.trace(np.linalg.outer(b[0], b[1]), offset=1)
        + np.linalg.diagonal(a, offset=-1).sum()
    ),
    [real((3, 3), "npla"), real((2, 3), "nplb")],
    ["matmul", "transpose", "multiply", "getitem"],
    order=2,
)
