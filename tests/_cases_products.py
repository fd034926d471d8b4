"""Gradient cases for the rows and functions of ``tape._products``: see ``_cases``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from _cases import case
from _draw import Shape, draw, shape_id

import tape as tp

# einsum's full notation (autograd's test_systematic: ellipses, sublists, three operands).
EINSUM_FULL: list[tuple[str, str, list[tuple[int, ...]], tuple[str, ...]]] = [
    ("ell-matmul", "...ij,...jk->...ik", [(2, 3), (2, 3, 4)], ("einsum",)),
    ("ell-matmul-both", "...ij,...jk->...ik", [(2, 2, 3), (2, 3, 4)], ("einsum",)),
    ("ell-lead", "...jk,...lj->...lk", [(3, 4, 4), (3, 4, 4)], ("einsum",)),
    ("ell-none", "...jk,...lj->...lk", [(4, 4), (3, 4, 4)], ("einsum",)),
    ("ell-elementwise", "...,...->...", [(4, 4), (3, 4, 4)], ("einsum",)),
    ("ell-tail", "jk...,lj...->lk...", [(3, 2), (2, 3, 4)], ("einsum",)),
    ("ell-size1", "...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 4)], ("einsum", "broadcast_to")),
    ("ell-centre", "j...k,lj...->lk...", [(2, 2, 2), (2, 2, 2)], ("einsum",)),
    ("ell-implicit", "ij...,j", [(2, 3, 4), (3,)], ("einsum",)),
    ("ell-sum", "i...->...", [(2, 3, 4)], ("einsum",)),
    ("trace", "ii", [(3, 3)], ("einsum", "getitem")),
    ("trace-explicit", "ii->", [(3, 3)], ("einsum", "getitem")),
    ("diag", "ii->i", [(3, 3)], ("einsum", "getitem")),
    ("diag-batch", "iij->j", [(3, 3, 2)], ("einsum", "getitem")),
    ("diag-three", "iii->i", [(2, 2, 2)], ("einsum", "getitem")),
    ("three-args", "ijk,lji,lli->lki", [(3, 4, 4), (4, 4, 3), (4, 4, 3)], ("einsum", "getitem")),
    ("covsum", "ijk,lji->lki", [(3, 4, 4), (4, 4, 3)], ("einsum",)),
    ("size1-broadcast", "ij,ij->ij", [(1, 3), (2, 3)], ("einsum", "broadcast_to")),
    ("transpose-1x1", "ij->ji", [(1, 1)], ("einsum",)),
]
for cid, spec, shapes, rows in EINSUM_FULL:
    cid = f"einsum-{cid}"
    args = [draw(s, "real", f"{cid}/{k}") for k, s in enumerate(shapes)]
    case(cid, lambda *xs, s=spec: tp.einsum(s, *xs), args, rows, funcs=["einsum"])
case(
    "einsum-ell-order2",
    lambda x, y: tp.einsum("...ij,...jk->...ik", x, y),
    [draw((2, 2, 3), "real", "eo2/x"), draw((2, 3, 2), "real", "eo2/y")],
    ["einsum"],
    order=2,
)
case(
    "einsum-trace-order2",
    lambda x: tp.sin(tp.einsum("ii", x)),
    [draw((3, 3), "real", "et2")],
    ["einsum", "getitem"],
    order=2,
)

SUBLISTS: list[tuple[str, list[Any], list[tuple[int, ...]]]] = [
    ("transpose", [None, [0, 1], [1, 0]], [(3, 4)]),
    ("matmul", [None, [0, 1], None, [1, 2], [0, 2]], [(2, 3), (3, 4)]),
    ("implicit", [None, [0, 1], None, [1, 2]], [(2, 3), (3, 4)]),
    (
        "ell",
        [None, [Ellipsis, 0, 1], None, [Ellipsis, 1, 2], [Ellipsis, 0, 2]],
        [(2, 2, 3), (2, 3, 4)],
    ),
    ("covsum", [None, (0, 1, 2), None, (3, 1, 0), (3, 2, 0)], [(3, 4, 4), (4, 4, 3)]),
    (
        "three-args",
        [None, (0, 1, 2), None, (3, 1, 0), None, (3, 3, 0), (3, 2, 0)],
        [(3, 4, 4), (4, 4, 3), (4, 4, 3)],
    ),
]


def _sublist_call(layout: list[Any], xs: tuple[Any, ...]) -> Any:
    it = iter(xs)
    return tp.einsum(*[next(it) if a is None else a for a in layout])


for cid, layout, shapes in SUBLISTS:
    cid = f"einsum-sublist-{cid}"
    args = [draw(s, "real", f"{cid}/{k}") for k, s in enumerate(shapes)]
    case(cid, lambda *xs, lay=layout: _sublist_call(lay, xs), args, ["einsum"], funcs=["einsum"])
case(
    "einsum-np-ellipsis",
    lambda x, y: np.einsum("...ij,...jk", x, y),
    [draw((2, 2, 3), "real", "enp/x"), draw((3, 4), "real", "enp/y")],
    ["einsum"],
)

# tensordot (autograd's test_tensordot_1..6).
TENSORDOTS: list[tuple[Shape, Shape, Any]] = [
    ((1, 3), (3,), ((1,), (0,))),
    ((2, 3, 2), (3, 4, 2), ((1,), (0,))),
    ((3,), (1, 3), ((0,), (1,))),
    ((3, 4, 2), (2, 3, 2), ((0,), (1,))),
    ((2, 3), (1, 2, 3), ((0, 1), (1, 2))),
    ((2, 3, 4), (2, 2, 3, 4), ((1, 0), (2, 1))),
    ((2, 2), (2, 2), 1),
    ((4, 2, 2), (2, 2, 4), 2),
    ((4,), (), 0),
    ((2, 6), (6, 3), ((-1,), (0,))),
    ((2, 3), (3, 4), (1, 0)),
]
for sx, sy, axes in TENSORDOTS:
    cid = f"tensordot-{shape_id(sx)}-{shape_id(sy)}-{axes}".replace(" ", "")
    args = [draw(sx, "real", cid + "/x"), draw(sy, "real", cid + "/y")]
    case(cid, lambda x, y, a=axes: tp.tensordot(x, y, a), args, ["einsum"], funcs=["tensordot"])
case(
    "tensordot-order2",
    lambda x, y: tp.tensordot(x, y, ((1, 0), (2, 1))),
    [draw((2, 3), "real", "td2/x"), draw((1, 2, 3), "real", "td2/y")],
    ["einsum"],
    funcs=["tensordot"],
    order=2,
)
case(
    "tensordot-np",
    lambda x: np.tensordot(x, x, 2),
    [draw((2, 3), "real", "tdnp")],
    ["einsum"],
    funcs=["tensordot"],
)

# dot of any ranks (autograd's test_dot), inner (test_inner), vdot.
for sx, sy, rows in [
    ((2, 2, 3), (2, 3, 4), ("einsum",)),
    ((2, 2, 3), (3,), ("einsum",)),
    ((3,), (2, 3, 4), ("einsum",)),
    ((2, 3), (2, 3, 4), ("einsum",)),
    ((2, 1, 3), (3, 2), ("einsum",)),
]:
    cid = f"dot-nd-{shape_id(sx)}-{shape_id(sy)}"
    args = [draw(sx, "real", cid + "/x"), draw(sy, "real", cid + "/y")]
    case(cid, tp.dot, args, rows, funcs=["dot"])
case(
    "dot-nd-order2",
    lambda x, y: np.dot(x, y),
    [draw((2, 2, 3), "real", "dnd2/x"), draw((3, 2), "real", "dnd2/y")],
    ["einsum"],
    funcs=["dot"],
    order=2,
)
for sx, sy, rows in [
    (None, None, ("multiply",)),
    (None, (3,), ("multiply",)),
    ((3,), (3,), ("einsum",)),
    ((2, 3), (4, 3), ("einsum",)),
    ((2, 2, 3), (3,), ("einsum",)),
    ((3,), (2, 1, 3), ("einsum",)),
]:
    cid = f"inner-{shape_id(sx)}-{shape_id(sy)}"
    args = [draw(sx, "real", cid + "/x"), draw(sy, "real", cid + "/y")]
    case(cid, tp.inner, args, rows, funcs=["inner"])
case(
    "inner-order2",
    lambda x, y: np.inner(x, y),
    [draw((2, 3), "real", "in2/x"), draw((4, 3), "real", "in2/y")],
    ["einsum"],
    funcs=["inner"],
    order=2,
)
for sx, sy in [((3,), (3,)), ((2, 3), (3, 2)), ((2, 3), (6,)), ((), (1,))]:
    cid = f"vdot-{shape_id(sx)}-{shape_id(sy)}"
    args = [draw(sx, "real", cid + "/x"), draw(sy, "real", cid + "/y")]
    case(cid, tp.vdot, args, ["matmul"], funcs=["vdot"])
case(
    "vdot-order2",
    lambda x: np.vdot(x, tp.sin(x)),
    [draw((2, 3), "real", "vd2")],
    ["matmul"],
    funcs=["vdot"],
    order=2,
)

# kron (autograd's test_kron, and mixed ranks).
for sx, sy in [
    ((5, 5), (3, 3)),
    ((4, 4), (2, 2)),
    ((3,), (2,)),
    ((2,), (3, 1)),
    ((2, 3, 1), (2, 2)),
    (None, (3,)),
    ((2, 2), ()),
]:
    cid = f"kron-{shape_id(sx)}-{shape_id(sy)}"
    args = [draw(sx, "real", cid + "/x"), draw(sy, "real", cid + "/y")]
    rows = ("multiply",) if sx is None or sy == () else ("multiply", "reshape")
    case(cid, tp.kron, args, rows, funcs=["kron"])
case(
    "kron-order2",
    lambda x, y: np.kron(x, y),
    [draw((2, 2), "real", "kr2/x"), draw((2, 3), "real", "kr2/y")],
    ["multiply", "reshape"],
    funcs=["kron"],
    order=2,
)

# cross (autograd's test_cross: every axisa/axisb/axisc/axis on 3x3), and broadcasting.
CROSS_KW: list[dict[str, int | None]] = [
    {},
    {"axisa": 0},
    {"axisb": 0},
    {"axisc": 0},
    {"axisa": 0, "axisb": 1, "axisc": 0},
    {"axisa": 1, "axisb": 0, "axisc": -1},
    {"axis": 0},
    {"axis": -1},
    {"axis": 1},
]
for kw in CROSS_KW:
    cid = "cross-3x3-" + ("-".join(f"{k}{v}" for k, v in kw.items()) or "default")
    args = [draw((3, 3), "real", cid + "/x"), draw((3, 3), "real", cid + "/y")]
    case(
        cid,
        lambda x, y, k=kw: tp.cross(x, y, **k),
        args,
        ["getitem", "stack"],
        funcs=["cross"],
    )


def _cross_quiet(x: Any, y: Any) -> Any:
    with warnings.catch_warnings():  # NumPy 2 deprecates 2-vectors (np.cross on plain values)
        warnings.simplefilter("ignore", DeprecationWarning)
        return tp.cross(x, y)


for sx, sy, rows in [
    ((3,), (3,), ("getitem", "stack")),
    ((3,), (4, 3), ("getitem", "stack")),
    ((2, 1, 3), (4, 3), ("getitem", "stack")),
    ((4, 2), (4, 3), ("getitem", "stack")),
    ((4, 3), (2,), ("getitem", "stack")),
    ((4, 2), (4, 2), ("getitem", "multiply")),
]:
    cid = f"cross-{shape_id(sx)}-{shape_id(sy)}"
    args = [draw(sx, "real", cid + "/x"), draw(sy, "real", cid + "/y")]
    case(cid, _cross_quiet, args, rows, funcs=["cross"])
case(
    "cross-order2",
    lambda x, y: np.cross(x, y, axisa=0),
    [draw((3, 2), "real", "cr2/x"), draw((2, 3), "real", "cr2/y")],
    ["getitem", "stack"],
    funcs=["cross"],
    order=2,
)
