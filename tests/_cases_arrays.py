"""Gradient cases for the rows and functions of ``tape._arrays``: see ``_cases``.

Shapes, axes and keywords follow autograd's tests (test_numpy.py, test_systematic.py) where
they have them (roll(x, 2, axis=1) of a 4×5, tril/triu(k=2) of a 5×5, rot90 of a 10×11
made smaller, sort of R(1) and R(7), partition of R(7) and R(14) at kth 0, 3, 6,
atleast_* of 1.2 up to R(2, 4, 3, 5)), plus the edge cases: axis=-1, size-1 axes, empty
pieces of a split, negative diagonals, a vector made a matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from _cases import case
from _draw import draw, draw_array

import tape as tp
from tape._arrays import (
    _unpermute,
    concatenate,
    reshape,
    stack,
    take_along_axis,
)

Fn = Callable[..., Any]


def weighted(pieces: Sequence[Any]) -> Any:
    """The pieces of a split joined again, each times a different weight (so a gradient that
    went to the wrong piece shows)."""
    return tp.concatenate([p * float(i + 1) for i, p in enumerate(pieces)], axis=-1)


def one(cid: str, fn: Fn, shape: tuple[int, ...] | None, rows: Sequence[str], func: str,
        kind: str = "real", order: int = 1) -> None:  # fmt: skip
    case(cid, fn, [draw(shape, kind, cid)], rows, funcs=[func], order=order)


# ----- axes ------------------------------------------------------------------------------------

one("ravel-3d", tp.ravel, (5, 6, 4), ["reshape"], "ravel")
one("ravel-F", lambda x: tp.ravel(x, order="F"), (3, 4), ["transpose", "reshape"], "ravel")
one("ravel-np", np.ravel, (2, 3), ["reshape"], "ravel")
one("ravel-float", tp.ravel, None, ["reshape"], "ravel")

one("moveaxis", lambda x: tp.moveaxis(x, 0, -1), (2, 3, 4), ["transpose"], "moveaxis")
one(
    "moveaxis-several",
    lambda x: np.moveaxis(x, [0, 1], [-1, -2]),
    (2, 3, 4),
    ["transpose"],
    "moveaxis",
)
one("rollaxis", lambda x: tp.rollaxis(x, 2), (2, 3, 4), ["transpose"], "rollaxis")
one("rollaxis-start", lambda x: np.rollaxis(x, 0, 3), (2, 3, 4), ["transpose"], "rollaxis")

one(
    "roll-axis1",
    lambda x: np.roll(x, 2, axis=1),
    (4, 5),
    ["getitem", "concatenate"],
    "roll",
    order=2,
)
one("roll-flat", lambda x: tp.roll(x, 2), (4, 5), ["getitem", "concatenate", "reshape"], "roll")
one(
    "roll-axes",
    lambda x: tp.roll(x, (1, -2), axis=(0, -1)),
    (3, 4),
    ["getitem", "concatenate"],
    "roll",
)
one("roll-negative-1d", lambda x: tp.roll(x, -7, axis=-1), (5,), ["getitem"], "roll")

one("flipud", np.flipud, (4, 3), ["flip"], "flipud")
one("flipud-1d", tp.flipud, (5,), ["flip"], "flipud")
one("fliplr", np.fliplr, (4, 3), ["flip"], "fliplr")
one("fliplr-3d", tp.fliplr, (2, 3, 2), ["flip"], "fliplr")

one("rot90", np.rot90, (4, 5), ["flip", "transpose"], "rot90", order=2)
one("rot90-k2", lambda x: tp.rot90(x, 2), (4, 5), ["flip"], "rot90")
one("rot90-k3-axes", lambda x: tp.rot90(x, -1, axes=(2, 0)), (2, 3, 4), ["flip"], "rot90")

# ----- diagonals and triangles -------------------------------------------------------------------

one("diag-of-matrix", np.diag, (4, 4), ["getitem"], "diag")
one("diag-of-matrix-k-1", lambda x: tp.diag(x, -1), (4, 5), ["getitem"], "diag")
one("diag-makes-matrix", tp.diag, (4,), ["where"], "diag", order=2)
one("diag-makes-matrix-k2", lambda x: np.diag(x, 2), (3,), ["where", "concatenate"], "diag")
one("diag-makes-matrix-k-1", lambda x: tp.diag(x, k=-1), (3,), ["where"], "diag")

one("tril-k2", lambda x: np.tril(x, k=2), (5, 5), ["where"], "tril", order=2)
one("tril-k-1-batch", lambda x: tp.tril(x, -1), (2, 3, 4), ["where"], "tril")
one("tril-1d", tp.tril, (3,), ["where"], "tril")
one("triu-k2", lambda x: np.triu(x, k=2), (5, 5), ["where"], "triu")
one("triu-k-2", lambda x: tp.triu(x, k=-2), (4, 3), ["where"], "triu", order=2)

# ----- repetition, differences, padding --------------------------------------------------------

one("tile-2", lambda x: np.tile(x, 2), (3,), ["reshape", "broadcast_to"], "tile", order=2)
one("tile-2d-reps", lambda x: tp.tile(x, (2, 1, 3)), (2, 3), ["broadcast_to"], "tile")
one("tile-float", lambda x: tp.tile(x, (2, 2)), None, ["broadcast_to"], "tile")

one("diff", np.diff, (5,), ["getitem", "subtract"], "diff", order=2)
one("diff-n2-axis0", lambda x: tp.diff(x, n=2, axis=0), (5, 3), ["subtract"], "diff")
one("diff-n-large", lambda x: tp.diff(x, n=3, axis=-1), (2, 3), ["subtract"], "diff")
one(
    "diff-prepend-append",
    lambda x: np.diff(x, prepend=0.0, append=np.ones((3, 1))),
    (3, 4),
    ["concatenate", "subtract"],
    "diff",
)
case(
    "diff-prepend-var",
    lambda x, p: tp.diff(x, axis=0, prepend=p),
    [draw((3, 2), "real", "dpv-x"), draw((1, 2), "real", "dpv-p")],
    ["concatenate", "subtract"],
    funcs=["diff"],
)

one("pad-constant", lambda x: np.pad(x, 2), (3, 4), ["concatenate"], "pad", order=2)
one(
    "pad-constant-pairs",
    lambda x: tp.pad(x, ((1, 0), (0, 2)), constant_values=((1.0, 2.0), (3.0, 4.0))),
    (2, 3),
    ["concatenate"],
    "pad",
)
case(
    "pad-constant-var",
    lambda x, c: tp.pad(x, (1, 2), constant_values=c),
    [draw((3,), "real", "pcv-x"), 0.7],
    ["concatenate", "broadcast_to"],
    funcs=["pad"],
)
one("pad-edge", lambda x: np.pad(x, (2, 1), mode="edge"), (3, 4), ["getitem"], "pad")
one("pad-reflect", lambda x: tp.pad(x, 3, mode="reflect"), (4, 3), ["getitem"], "pad")
one("pad-symmetric", lambda x: tp.pad(x, 4, mode="symmetric"), (3,), ["getitem"], "pad")
one("pad-wrap", lambda x: np.pad(x, ((5, 1),), mode="wrap"), (2, 3), ["getitem"], "pad")

# ----- at least k dimensions ---------------------------------------------------------------

for _k, _fn, _name in (
    (1, tp.atleast_1d, "atleast_1d"),
    (2, tp.atleast_2d, "atleast_2d"),
    (3, tp.atleast_3d, "atleast_3d"),
):
    _shapes: list[tuple[int, ...] | None] = [None, (1,), (7,), (1, 4), (2, 4), (2, 4, 5)]
    if _k == 3:
        _shapes.append((2, 4, 3, 5))
    for _shape in _shapes:
        _rows = ["reshape"] if len(_shape or ()) < _k else []
        one(f"{_name}-{_shape}", _fn, _shape, _rows, _name)
one(
    "atleast_2d-several",
    lambda x: tp.concatenate(np.atleast_2d(x, x[0]), axis=1),
    (3,),
    ["reshape", "getitem"],
    "atleast_2d",
)

# ----- splits ----------------------------------------------------------------------------------

one(
    "array_split-uneven",
    lambda x: weighted(tp.array_split(x, 3, axis=-1)),
    (2, 7),
    ["getitem", "concatenate"],
    "array_split",
)
one(
    "array_split-indices-empty",
    lambda x: weighted(np.array_split(x, [2, 2, 6], axis=0)),
    (5,),
    ["getitem", "concatenate"],
    "array_split",
)
one(
    "array_split-more-sections",
    lambda x: weighted(tp.array_split(x, 5)),
    (3,),
    ["getitem"],
    "array_split",
)
one(
    "split-np",
    lambda x: weighted(np.split(x, np.int64(2))),
    (10,),
    ["getitem", "concatenate"],
    "split",
)
one(
    "vsplit",
    lambda x: weighted([tp.ravel(p) for p in np.vsplit(x, 2)]),
    (4, 3),
    ["getitem"],
    "vsplit",
)
one("hsplit", lambda x: weighted(tp.hsplit(x, [1])), (2, 3), ["getitem"], "hsplit")
one("hsplit-1d", lambda x: weighted(np.hsplit(x, 3)), (6,), ["getitem"], "hsplit")
one("dsplit", lambda x: weighted(np.dsplit(x, [1, 3])), (2, 2, 4), ["getitem"], "dsplit")

# ----- stacks ------------------------------------------------------------------------------------

A23 = draw_array((2, 3), "real", "A23")
case(
    "hstack",
    lambda x, y: np.hstack([x, A23, y]),
    [draw((2, 1), "real", "hs-x"), draw((2, 2), "real", "hs-y")],
    ["concatenate"],
    funcs=["hstack"],
)
case(
    "hstack-1d-float",
    lambda x, y: tp.hstack((x, y, 2.0)),
    [draw((3,), "real", "hs1-x"), 0.3],
    ["concatenate", "reshape"],
    funcs=["hstack"],
    order=2,
)
case(
    "vstack",
    lambda x, y: np.vstack([x, y, A23]),
    [draw((3,), "real", "vs-x"), draw((2, 3), "real", "vs-y")],
    ["concatenate", "reshape"],
    funcs=["vstack"],
)
case(
    "row_stack",
    lambda x: tp.row_stack([x, x * 2.0]),
    [draw((3,), "real", "rs-x")],
    ["concatenate", "reshape"],
    funcs=["row_stack"],
)
case(
    "dstack",
    lambda x, y: np.dstack((x, y)),
    [draw((2, 3), "real", "ds-x"), draw((2, 3, 2), "real", "ds-y")],
    ["concatenate", "reshape"],
    funcs=["dstack"],
)
case(
    "dstack-1d",
    lambda x: tp.dstack([x, x]),
    [draw((3,), "real", "ds1-x")],
    ["concatenate", "reshape"],
    funcs=["dstack"],
)
case(
    "column_stack",
    lambda x, y: np.column_stack((x, A23.T, y)),
    [draw((3,), "real", "cs-x"), draw((3, 1), "real", "cs-y")],
    ["concatenate", "reshape"],
    funcs=["column_stack"],
)
case(
    "append-flat",
    lambda x, y: np.append(x, y),
    [draw((2, 3), "real", "ap-x"), 0.5],
    ["concatenate", "reshape"],
    funcs=["append"],
)
case(
    "append-axis",
    lambda x, y: tp.append(x, y, axis=-1),
    [draw((2, 3), "real", "apa-x"), draw((2, 1), "real", "apa-y")],
    ["concatenate"],
    funcs=["append"],
)
case(
    "append-const-arr",
    lambda y: np.append(np.array([1.0, 2.0, 3.0]), y),
    [4.0],
    ["concatenate", "reshape"],
    funcs=["append"],
)

# ----- the complete versions of the table's functions ------------------------------------------

one(
    "concatenate-axis-none",
    lambda x: np.concatenate([x, A23], axis=None),
    (2, 2),
    ["concatenate", "reshape"],
    "concatenate",
)
one(
    "concatenate-dtype",
    lambda x: concatenate((x, x), axis=-1, dtype=np.float64),
    (2, 2),
    ["concatenate"],
    "concatenate",
)
one("stack-dtype", lambda x: stack([x, A23], axis=-1, dtype=None), (2, 3), ["stack"], "stack")
one("reshape-F", lambda x: np.reshape(x, (3, 2), order="F"), (2, 3), ["reshape"], "reshape")
one("reshape-copy", lambda x: reshape(x, (4,), copy=True), (4,), ["copy"], "reshape")
one(
    "take_along_axis-default-axis",
    lambda x: take_along_axis(x, np.array([[2, 0, 1], [0, 0, 2]])),
    (2, 3),
    ["getitem"],
    "take_along_axis",
)

# ----- selection -------------------------------------------------------------------------------

case(
    "select",
    lambda x: np.select([x > 0.25, x < -0.25], [x * x, -x], 0.5),
    [draw((3, 4), "distinct", "select")],
    ["where"],
    funcs=["select"],
    order=2,
)
case(
    "select-broadcast-default-var",
    lambda x, d: tp.select([np.array([True, False, False])], [x], default=d),
    [draw((2, 3), "real", "sbd-x"), 0.4],
    ["where"],
    funcs=["select"],
)

# ----- sorting -----------------------------------------------------------------------------------

W7 = np.arange(1.0, 8.0)
one("sort-1", np.sort, (1,), ["permute"], "sort")
one("sort-7", lambda x: np.sort(x) * W7, (7,), ["permute"], "sort", "distinct", order=2)
one("sort-axis0", lambda x: tp.sort(x, axis=0), (4, 3), ["permute"], "sort", "distinct")
one("sort-flat", lambda x: tp.sort(x, axis=None), (3, 4), ["permute"], "sort", "distinct")
one(
    "sort-stable-size1-axis",
    lambda x: tp.sort(x, axis=-1, kind="stable"),
    (2, 1, 3),
    ["permute"],
    "sort",
    "distinct",
)
for _n, _kth in ((7, 0), (7, 3), (7, 6), (14, 0), (14, 3), (14, 6)):
    one(
        f"partition-{_n}-{_kth}",
        lambda x, k=_kth: np.partition(x, kth=k),
        (_n,),
        ["permute"],
        "partition",
        "distinct",
    )
one(
    "partition-kths-axis0",
    lambda x: tp.partition(x, (0, 2), axis=0) * np.arange(1.0, 4.0),
    (3, 3),
    ["permute"],
    "partition",
    "distinct",
    order=2,
)
_PERM = np.array([[2, 0, 1], [1, 2, 0]])
one(
    "unpermute",
    lambda t: _unpermute(t, _PERM, -1) * np.arange(1.0, 4.0),
    (2, 3),
    ["unpermute"],
    "sort",
    order=2,
)

# ----- array -------------------------------------------------------------------------------------

case(
    "array-1d-floats",
    lambda x: tp.array([x, x * 1.0, x + 2.5]),
    [3.0],
    ["stack"],
    funcs=["array"],
)
case(
    "array-2d-nested",
    lambda x, y: tp.array([[x, x * y, 2.5], [x**2, y, x / 2.0]]),
    [3.0, -0.5],
    ["stack"],
    funcs=["array"],
    order=2,
)
case(
    "array-of-arrays",
    lambda x: tp.array([[2.0 * x, x + 1.0], [x, np.ones((3, 2))]]),
    [draw((3, 2), "real", "arr-arr")],
    ["stack"],
    funcs=["array"],
)


# ----- sampling and differences (linspace, gradient), and np.angle / np.real_if_close -----------

case(
    "linspace-ends",
    lambda a, b: tp.linspace(a, b, 7),
    [0.3, 2.2],
    ["add", "where"],
    ["linspace"],
    order=2,
)
case("linspace-no-endpoint", lambda a, b: np.linspace(a, b, 5, endpoint=False), [-1.2, 3.4],
     ["add"], ["linspace"])  # fmt: skip
case("linspace-arrays-axis", lambda a, b: tp.linspace(a, b, 4, axis=-1),
     [draw((2, 3), "real", "ls/a"), draw((3,), "real", "ls/b")], ["add"], ["linspace"])  # fmt: skip
case("linspace-retstep", lambda a, b: tp.linspace(a, b, 6, retstep=True)[1] * 2.0, [0.5, 1.5],
     ["divide"], ["linspace"])  # fmt: skip
case("gradient-1d", tp.gradient, [draw((10,), "real", "gr/1")], ["subtract"], ["gradient"], order=2)
case("gradient-2d-axes", lambda f: tp.concatenate(list(np.gradient(f, 0.5, 2.0))),
     [draw((4, 5), "real", "gr/2")], ["subtract"], ["gradient"])  # fmt: skip
case("gradient-axis-edge2", lambda f: tp.gradient(f, axis=-1, edge_order=2),
     [draw((3, 6), "real", "gr/3")], ["subtract"], ["gradient"])  # fmt: skip
case("np-angle", lambda x: np.angle(x) + x, [draw((5,), "nonzero", "an")], ["where"])
case(
    "np-real_if_close", lambda x: np.real_if_close(x) * x, [draw((5,), "real", "ric")], ["multiply"]
)
case(
    "vstack-of-an-array",
    lambda x: np.vstack(x) * 2.0,
    [draw((3, 4), "real", "vs")],
    ["concatenate"],
)
case(
    "hstack-of-a-vector", lambda x: np.hstack(x) * 2.0, [draw((4,), "real", "hs")], ["concatenate"]
)
case("column_stack-of-a-vector", lambda x: np.column_stack(x) * 2.0, [draw((3,), "real", "cs0")],
     ["concatenate"], ["column_stack"])  # fmt: skip
case("column_stack-of-scalars", lambda x: tp.column_stack([x, 2.0 * x]), [0.7], ["concatenate"],
     ["column_stack"])  # fmt: skip
