"""Products of any rank and einsum's full notation: NumPy's values on plain arrays, the
NumPy protocol reaching tape's functions, closed-form gradients, and NumPy's errors.
(Gradients against finite differences are in the case table: ``_cases_products``.)"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pytest
from _draw import keyed_rng

import tape as tp

Fn = Callable[..., Any]


def _r(key: str, *shape: int) -> tp.Array:
    return keyed_rng(key).standard_normal(shape)


# ----- values equal NumPy's on plain arrays ---------------------------------------------------

PLAIN_CALLS: list[tuple[str, Fn, Fn, list[tuple[int, ...]]]] = [
    (
        "einsum-ellipsis",
        lambda a, b: tp.einsum("...ij,...jk->...ik", a, b),
        lambda a, b: np.einsum("...ij,...jk->...ik", a, b),
        [(2, 1, 2, 3), (3, 3, 4)],
    ),
    (
        "einsum-ellipsis-middle",
        lambda a, b: tp.einsum("j...k,lj...->lk...", a, b),
        lambda a, b: np.einsum("j...k,lj...->lk...", a, b),
        [(2, 3, 2), (4, 2, 3)],
    ),
    (
        "einsum-implicit-ellipsis",
        lambda a, b: tp.einsum("ij...,j", a, b),
        lambda a, b: np.einsum("ij...,j", a, b),
        [(2, 3, 4), (3,)],
    ),
    ("einsum-trace", lambda a: tp.einsum("ii", a), lambda a: np.einsum("ii", a), [(4, 4)]),
    (
        "einsum-diag-batch",
        lambda a: tp.einsum("iij->j", a),
        lambda a: np.einsum("iij->j", a),
        [(3, 3, 2)],
    ),
    (
        "einsum-two-repeats",
        lambda a: tp.einsum("ijij->ij", a),
        lambda a: np.einsum("ijij->ij", a),
        [(2, 3, 2, 3)],
    ),
    (
        "einsum-sublists",
        lambda a, b: tp.einsum(a, [0, 1], b, [1, 2], [0, 2]),
        lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]),
        [(2, 3), (3, 4)],
    ),
    (
        "einsum-sublists-implicit",
        lambda a, b: tp.einsum(a, [Ellipsis, 1], b, [1, 0]),
        lambda a, b: np.einsum(a, [Ellipsis, 1], b, [1, 0]),
        [(2, 3), (3, 4)],
    ),
    (
        "einsum-upper-case",
        lambda a, b: tp.einsum("Ab,bC", a, b),
        lambda a, b: np.einsum("Ab,bC", a, b),
        [(2, 3), (3, 4)],
    ),
    (
        "tensordot-pairs",
        lambda a, b: tp.tensordot(a, b, ((1, 0), (2, 1))),
        lambda a, b: np.tensordot(a, b, ((1, 0), (2, 1))),
        [(2, 3, 4), (2, 2, 3, 4)],
    ),
    (
        "tensordot-0",
        lambda a, b: tp.tensordot(a, b, 0),
        lambda a, b: np.tensordot(a, b, 0),
        [(4,), (2, 3)],
    ),
    ("dot-3d-3d", tp.dot, np.dot, [(2, 2, 3), (2, 3, 4)]),
    ("dot-1d-3d", tp.dot, np.dot, [(3,), (2, 3, 4)]),
    ("dot-3d-1d", tp.dot, np.dot, [(2, 4, 3), (3,)]),
    ("inner-3d-2d", tp.inner, np.inner, [(2, 2, 3), (4, 3)]),
    ("inner-scalar", tp.inner, np.inner, [(), (2, 3)]),
    ("vdot", tp.vdot, np.vdot, [(2, 3), (3, 2)]),
    ("kron-2d", tp.kron, np.kron, [(2, 3), (4, 5)]),
    ("kron-ranks", tp.kron, np.kron, [(2,), (3, 1, 2)]),
    (
        "cross-axes",
        lambda a, b: tp.cross(a, b, 0, 1, 0),
        lambda a, b: np.cross(a, b, 0, 1, 0),
        [(3, 4), (4, 3)],
    ),
    ("cross-broadcast", tp.cross, np.cross, [(2, 1, 3), (4, 3)]),
]


@pytest.mark.parametrize(
    ("ours", "numpy", "shapes"),
    [c[1:] for c in PLAIN_CALLS],
    ids=[c[0] for c in PLAIN_CALLS],
)
def test_plain_values_equal_numpy(ours: Fn, numpy: Fn, shapes: list[tuple[int, ...]]) -> None:
    args = [_r(f"plain/{k}", *s) for k, s in enumerate(shapes)]
    got = ours(*args)
    want = numpy(*args)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)
    # and the same value recorded on a tape
    xs = [tp.Var(a) for a in args]
    with tp.Tape():
        rec = ours(*xs)
    np.testing.assert_allclose(rec.value, want, rtol=1e-13, atol=1e-14)


def test_cross_of_2_vectors_equals_numpy() -> None:
    a, b, c = _r("c2/a", 4, 2), _r("c2/b", 4, 2), _r("c2/c", 4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # NumPy 2 deprecates 2-vectors
        np.testing.assert_allclose(tp.cross(a, b), np.cross(a, b), rtol=1e-14)
        np.testing.assert_allclose(tp.cross(a, c), np.cross(a, c), rtol=1e-14)
        np.testing.assert_allclose(tp.cross(c, b), np.cross(c, b), rtol=1e-14)


# ----- NumPy's functions reach tape's ------------------------------------------------------------

NP_CALLS: list[tuple[str, Fn, list[tuple[int, ...]], str]] = [
    ("einsum", lambda a, b: np.einsum("...ij,...jk", a, b), [(2, 2, 3), (3, 4)], "einsum"),
    ("einsum-sublist", lambda a: np.einsum(a, [0, 0]), [(3, 3)], "einsum"),
    ("tensordot", lambda a, b: np.tensordot(a, b, axes=1), [(2, 3), (3, 4)], "einsum"),
    ("dot", np.dot, [(2, 2, 3), (3, 4)], "einsum"),
    ("inner", np.inner, [(2, 3), (4, 3)], "einsum"),
    ("vdot", np.vdot, [(2, 3), (6,)], "matmul"),
    ("kron", np.kron, [(2, 2), (3, 3)], "multiply"),
    ("cross", lambda a, b: np.cross(a, b, axis=0), [(3, 2), (3, 2)], "stack"),
]


@pytest.mark.parametrize(
    ("call", "shapes", "row"), [c[1:] for c in NP_CALLS], ids=[c[0] for c in NP_CALLS]
)
def test_numpy_functions_reach_tape(call: Fn, shapes: list[tuple[int, ...]], row: str) -> None:
    args = [_r(f"np/{k}", *s) for k, s in enumerate(shapes)]
    xs = [tp.Var(a) for a in args]
    with tp.Tape() as t:
        out = call(*xs)
    assert isinstance(out, tp.Var)
    assert row in {e.primitive for e in t}
    np.testing.assert_allclose(out.value, call(*args), rtol=1e-13, atol=1e-14)
    # forward mode: a Dual in gives a Dual out
    d = call(tp.Dual(args[0], np.ones_like(args[0])), *args[1:])
    assert isinstance(d, tp.Dual)


# ----- closed forms -------------------------------------------------------------------------------


def _grad(f: Fn, *args: tp.Value) -> list[Any]:
    xs = [tp.Var(a) for a in args]
    with tp.Tape() as t:
        y = f(*xs)
    return t.gradient(y, xs)


def test_gradient_of_a_trace_by_einsum_is_the_identity() -> None:
    (g,) = _grad(lambda a: tp.einsum("ii", a), _r("tr", 4, 4))
    np.testing.assert_array_equal(g, np.eye(4))
    (g,) = _grad(lambda a: tp.sum(tp.einsum("ii->i", a) * np.arange(3.0)), _r("di", 3, 3))
    np.testing.assert_array_equal(g, np.diag(np.arange(3.0)))


def test_gradient_of_a_batched_diagonal_sum() -> None:
    """d/dA Σ_j w_j Σ_i A[i, i, j] puts w_j on every (i, i, j) and 0 off the diagonal."""
    w = np.array([2.0, -1.0])
    (g,) = _grad(lambda a: tp.sum(tp.einsum("iij->j", a) * w), _r("bd", 3, 3, 2))
    want = np.eye(3)[:, :, None] * w
    np.testing.assert_array_equal(g, want)


def test_gradients_of_tensordot_and_dot_are_the_other_operand() -> None:
    a, b = _r("td/a", 2, 3, 4), _r("td/b", 3, 4)
    ga, gb = _grad(lambda x, y: tp.sum(tp.tensordot(x, y, 2)), a, b)
    np.testing.assert_allclose(ga, np.broadcast_to(b, a.shape), rtol=1e-14)
    np.testing.assert_allclose(gb, a.sum(axis=0), rtol=1e-14)
    u, v = _r("vd/u", 2, 3), _r("vd/v", 6)
    gu, gv = _grad(tp.vdot, u, v)
    np.testing.assert_array_equal(gu, v.reshape(2, 3))
    np.testing.assert_array_equal(gv, u.reshape(-1))


def test_gradient_of_a_triple_product_is_a_cross_product() -> None:
    """d/da (a × b) · c = b × c, and d/db = c × a."""
    a, b, c = _r("x/a", 3), _r("x/b", 3), _r("x/c", 3)
    ga, gb = _grad(lambda x, y: tp.sum(tp.cross(x, y) * c), a, b)
    np.testing.assert_allclose(ga, np.cross(b, c), rtol=1e-13)
    np.testing.assert_allclose(gb, np.cross(c, a), rtol=1e-13)


def test_gradient_of_kron_sums_the_blocks() -> None:
    """d/dA Σ kron(A, B) = Σ B on every element; d/dB = Σ A."""
    a, b = _r("k/a", 2, 3), _r("k/b", 4, 5)
    ga, gb = _grad(lambda x, y: tp.sum(tp.kron(x, y)), a, b)
    np.testing.assert_allclose(ga, np.full(a.shape, b.sum()), rtol=1e-13)
    np.testing.assert_allclose(gb, np.full(b.shape, a.sum()), rtol=1e-13)


def test_einsum_forward_mode_matches_numpy_tangent() -> None:
    a, b = _r("f/a", 2, 1, 2, 3), _r("f/b", 3, 3, 4)
    da, db = _r("f/da", 2, 1, 2, 3), _r("f/db", 3, 3, 4)
    spec = "...ij,...jk->...ik"
    out, tangent = tp.jvp(lambda x, y: tp.einsum(spec, x, y), [a, b], [da, db])
    np.testing.assert_allclose(out, np.einsum(spec, a, b), rtol=1e-13)
    want = np.einsum(spec, da, b) + np.einsum(spec, a, db)
    np.testing.assert_allclose(tangent, want, rtol=1e-12, atol=1e-13)


def test_the_strings_the_table_einsum_took_still_record_one_einsum_row() -> None:
    a, b = tp.Var(_r("old/a", 3, 4)), tp.Var(_r("old/b", 4, 5))
    with tp.Tape() as t:
        y = tp.einsum("ij,jk->ik", a, b)
        z = tp.einsum("ij,jk", a, b)
    assert [e.primitive for e in t].count("einsum") == 2
    np.testing.assert_allclose(y.value, z.value, rtol=0)


# ----- NumPy's errors ---------------------------------------------------------------------------

ERRORS: list[tuple[str, Fn, type[Exception], str]] = [
    (
        "ellipsis-dropped",
        lambda: tp.einsum("...i->i", np.ones((2, 3))),
        ValueError,
        "needs '...'",
    ),
    ("repeat-lengths", lambda: tp.einsum("ii", np.ones((2, 3))), ValueError, "different lengths"),
    ("too-many-terms", lambda: tp.einsum("i,i", np.ones(2)), ValueError, "2 operands but 1"),
    ("term-rank", lambda: tp.einsum("ij", np.ones(3)), ValueError, "names 2 axes"),
    ("output-unknown", lambda: tp.einsum("ij->k", np.ones((2, 2))), ValueError, "'k'"),
    ("output-repeat", lambda: tp.einsum("ij->ii", np.ones((2, 2))), ValueError, "repeats"),
    ("bad-letter", lambda: tp.einsum("i1", np.ones((2, 2))), ValueError, "letters"),
    ("sizes", lambda: tp.einsum("ij,ij", np.ones((2, 3)), np.ones((2, 4))), ValueError, "'j'"),
    ("sublist", lambda: tp.einsum(np.ones(2), ["a"]), TypeError, "integers and Ellipsis"),
    ("out", lambda: tp.einsum("i", np.ones(2), out=cast(Any, np.ones(2))), TypeError, "out="),
    (
        "tensordot-lengths",
        lambda: tp.tensordot(np.ones((2, 3)), np.ones((2, 3)), 1),
        ValueError,
        "differ",
    ),
    (
        "tensordot-pair",
        lambda: tp.tensordot(np.ones((2, 3)), np.ones((3, 2)), ((0, 1), (1,))),
        ValueError,
        "cannot pair",
    ),
    ("tensordot-count", lambda: tp.tensordot(np.ones(2), np.ones(2), 2), ValueError, "axes=2"),
    ("vdot", lambda: tp.vdot(np.ones(2), np.ones(3)), ValueError, "2 and 3 elements"),
    ("cross-length", lambda: tp.cross(np.ones(4), np.ones(3)), ValueError, "2 or 3 components"),
    ("cross-axis", lambda: tp.cross(np.ones(3), np.ones(3), axisa=1), ValueError, "out of bounds"),
]


@pytest.mark.parametrize(
    ("call", "exc", "match"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_bad_input_raises_clearly(call: Fn, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        call()


def test_numpy_refuses_what_tape_refuses() -> None:
    """The einsum errors above are NumPy's errors too (not restrictions of tape's)."""
    with pytest.raises(ValueError):
        np.einsum("...i->i", np.ones((2, 3)))
    with pytest.raises(ValueError):
        np.einsum("ii", np.ones((2, 3)))
    with pytest.raises(ValueError):
        np.tensordot(np.ones((2, 3)), np.ones((2, 3)), 1)
