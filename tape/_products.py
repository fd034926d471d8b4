"""Products of arrays of any rank (dot, inner, tensordot, kron, cross, vdot) and einsum's full
notation (``...``, the sublist form, repeated indices), written over the table's rows.

Every function here is a composition: ``einsum`` rewrites NumPy's notation into the table's
einsum row (explicit letters, no ellipsis, no repeated index within one operand: a repeated
index is the table's ``diagonal`` first, a size-1 axis that broadcasts is the table's
``broadcast_to`` first), and the named products are einsums, matmuls, reshapes and products,
so both modes, higher orders and replay come from those rows.
"""

from __future__ import annotations

import builtins
import math
import operator
import string
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from . import _table as T
from ._core import bind
from ._rows import Array, Value

if TYPE_CHECKING:
    from ._dual import Dual
    from ._var import Var

_LETTERS = string.ascii_letters

TensorAxes = int | Sequence[int | Sequence[int]]
"""``tensordot``'s ``axes``: a count, or a pair (axes of a, axes of b), each an int or ints."""


# ----- einsum ------------------------------------------------------------------------------------


def _sublist_term(sub: Any, where: str) -> str:
    """A sublist (ints in [0, 52) and Ellipsis) as subscript letters."""
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
            continue
        try:
            k = operator.index(s)
        except TypeError:
            raise TypeError(
                f"einsum: {where} must hold integers and Ellipsis, not {type(s).__name__}"
            ) from None
        if not 0 <= k < len(_LETTERS):
            raise ValueError(f"einsum: subscript {k} in {where} is outside [0, {len(_LETTERS)})")
        out.append(_LETTERS[k])
    return "".join(out)


def _from_sublists(args: Sequence[Any]) -> tuple[str, list[Any]]:
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as a subscripts string and its operands."""
    operands = list(args[0::2][: len(args) // 2])
    terms = [_sublist_term(s, f"sublist {k}") for k, s in enumerate(args[1::2])]
    spec = ",".join(terms)
    if len(args) % 2 == 1:  # the output sublist
        spec += "->" + _sublist_term(args[-1], "the output sublist")
    return spec, operands


def _split_term(term: str, nd: int, where: str) -> tuple[list[str], bool]:
    """A term's letters with the ellipsis as one "." item; whether it had one."""
    if term.count("...") > 1 or term.replace("...", "").count("."):
        raise ValueError(f"einsum: {where} {term!r}: '.' is allowed only as one '...'")
    items: list[str] = []
    head, dots, tail = term.partition("...")
    for c in head + tail:
        if c not in _LETTERS:
            raise ValueError(f"einsum: {where} {term!r}: subscripts must be letters, not {c!r}")
    items = [*head, *(["."] if dots else []), *tail]
    named = len(items) - (1 if dots else 0)
    if named > nd or (not dots and named != nd):
        raise ValueError(
            f"einsum: {where} {term!r} names {named} axes but the operand has {nd} dimensions"
        )
    return items, bool(dots)


def _parse(subscripts: str, operands: Sequence[Any]) -> tuple[list[str], str]:
    """NumPy's subscripts for ``operands`` as explicit letters, one per axis (ellipses filled
    in, an implicit output made explicit); repeated letters within a term may remain."""
    spec = subscripts.replace(" ", "")
    ins_s, arrow, out_s = spec.partition("->")
    if "->" in out_s or "-" in ins_s or ">" in ins_s:
        raise ValueError(f"einsum: bad subscripts {subscripts!r}")
    terms = ins_s.split(",")
    if len(terms) != len(operands):
        raise ValueError(
            f"einsum: the subscripts name {len(terms)} operands but {len(operands)} were given"
        )
    split = [_split_term(t, T.ndim(o), "term") for t, o in zip(terms, operands, strict=True)]
    used = set(spec) & set(_LETTERS)
    spare = [c for c in _LETTERS if c not in used]
    n_ell = builtins.max(
        [
            T.ndim(o) - (len(items) - 1)
            for (items, dots), o in zip(split, operands, strict=True)
            if dots
        ],
        default=0,
    )
    if n_ell > len(spare):
        raise ValueError("einsum: too many axes under '...' for the letters left")
    ell = "".join(spare[:n_ell])  # the broadcast axes, right-aligned as NumPy aligns them
    ins = []
    for (items, dots), o in zip(split, operands, strict=True):
        k = T.ndim(o) - (len(items) - 1) if dots else 0
        ins.append("".join(ell[n_ell - k :] if c == "." else c for c in items))
    if arrow:
        if out_s.count("...") > 1 or out_s.replace("...", "").count("."):
            raise ValueError(f"einsum: output {out_s!r}: '.' is allowed only as one '...'")
        if n_ell and "..." not in out_s:
            raise ValueError(
                f"einsum: output {out_s!r} needs '...' for the axes the inputs' '...' cover"
            )
        bad = [c for c in out_s.replace("...", "") if c not in _LETTERS]
        if bad:
            raise ValueError(
                f"einsum: output {out_s!r}: subscripts must be letters, not {bad[0]!r}"
            )
        out = out_s.replace("...", ell)
        if len(set(out)) != len(out):
            raise ValueError(f"einsum: output {out_s!r} repeats a subscript")
        missing = set(out) - set("".join(ins))
        if missing:
            raise ValueError(
                f"einsum: output subscript {sorted(missing)[0]!r} appears in no input term"
            )
    else:
        letters = "".join(t for t, (items, _) in zip(ins, split, strict=True))
        named = [c for c in letters if c not in ell]
        out = ell + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    return ins, out


def _take_diagonals(x: Any, term: str) -> tuple[Any, str]:
    """Repeated letters within one term (``ii``, ``iij``) as the table's diagonal: each
    repetition becomes one axis (last), until every letter appears once."""
    while True:
        rep = next((c for c in term if term.count(c) > 1), None)
        if rep is None:
            return x, term
        i = term.index(rep)
        j = term.index(rep, i + 1)
        xs = T._shape_of(x)
        if xs[i] != xs[j]:
            raise ValueError(
                f"einsum: subscript {rep!r} is repeated in one operand over axes of different "
                f"lengths ({xs[i]} and {xs[j]})"
            )
        x = T.diagonal(x, 0, i, j)
        term = "".join(c for k, c in enumerate(term) if k not in (i, j)) + rep


def _broadcast_sizes(xs: list[Any], ins: list[str]) -> list[Any]:
    """Axes of length 1 whose letter is longer elsewhere broadcast (as in NumPy's einsum):
    made explicit with broadcast_to, whose VJP sums back (the einsum row does not)."""
    size: dict[str, int] = {}
    for x, term in zip(xs, ins, strict=True):
        for c, n in zip(term, T._shape_of(x), strict=True):
            if n != 1:
                if size.get(c, n) != n:
                    raise ValueError(
                        f"einsum: subscript {c!r} has lengths {size[c]} and {n} in different "
                        "operands"
                    )
                size[c] = n
    out = []
    for x, term in zip(xs, ins, strict=True):
        want = tuple(size.get(c, 1) for c in term)
        out.append(x if T._shape_of(x) == want else T.broadcast_to(x, want))
    return out


# (The overloads overlap only for a call without operands, which raises.)
@overload
def einsum(  # type: ignore[overload-overlap]
    subscripts: str, /, *operands: Value, out: None = None, optimize: bool | str = False
) -> Array: ...
@overload
def einsum(  # type: ignore[overload-overlap]
    subscripts: str, /, *operands: Var | Value, out: None = None, optimize: bool | str = False
) -> Var: ...
@overload
def einsum(
    subscripts: str, /, *operands: Dual | Value, out: None = None, optimize: bool | str = False
) -> Dual: ...
@overload
def einsum(
    *operands: Any, out: None = None, optimize: bool | str = False
) -> Any: ...  # the sublist form
def einsum(
    *operands: Any,
    out: None = None,
    dtype: None = None,
    order: str = "K",
    casting: str = "safe",
    optimize: Any = False,
) -> Any:
    """Einstein summation with NumPy's full notation: explicit (``"ij,jk->ik"``) or implicit
    output (``"ij,jk"``: the letters seen once, sorted), ``...`` for broadcast leading,
    trailing or middle axes, a repeated index within one operand (``"ii->"`` a trace,
    ``"ii->i"`` a diagonal, ``"iij->j"``), and the sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])``. Returns a Var when any operand is a Var.

    Recorded as the table's rows: a diagonal (getitem) per repeated index, broadcast_to for
    axes of length 1 that broadcast, and one einsum row. ``optimize`` is accepted and ignored
    (the result is the same).

    Example:
        ``einsum("...ij,...jk->...ik", a, b)`` is ``a @ b`` for stacks of matrices.
    """
    if out is not None or dtype is not None:
        raise TypeError("einsum: out= and dtype= are not supported on tape values")
    del order, casting, optimize  # the layout and the contraction order do not change values
    if not operands:
        raise TypeError("einsum needs subscripts and operands")
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = _from_sublists(operands)
    ins, res = _parse(subscripts, ops)
    diag = [_take_diagonals(x, term) for x, term in zip(ops, ins, strict=True)]
    xs, ins = [d[0] for d in diag], [d[1] for d in diag]
    xs = _broadcast_sizes(xs, ins)
    return bind(T.EINSUM, *xs, spec=",".join(ins) + "->" + res)


# ----- named products ----------------------------------------------------------------------------


def _axes_list(ax: Any, nd: int, which: str) -> list[int]:
    items = [ax] if isinstance(ax, int | np.integer) else list(ax)
    out = []
    for a in items:
        a = operator.index(a)
        if not -nd <= a < nd:
            raise ValueError(f"tensordot: axis {a} of {which} is out of bounds for {nd} dimensions")
        out.append(a % nd)
    if len(set(out)) != len(out):
        raise ValueError(f"tensordot: {which}'s axes repeat an axis: {items}")
    return out


@overload
def tensordot(a: Var, b: Var | Value, axes: TensorAxes = 2) -> Var: ...
@overload
def tensordot(a: Value, b: Var, axes: TensorAxes = 2) -> Var: ...
@overload
def tensordot(a: Dual, b: Dual | Value, axes: TensorAxes = 2) -> Dual: ...
@overload
def tensordot(a: Value, b: Dual, axes: TensorAxes = 2) -> Dual: ...
@overload
def tensordot(a: Value, b: Value, axes: TensorAxes = 2) -> Value: ...
def tensordot(a: Any, b: Any, axes: TensorAxes = 2) -> Any:
    """Sum of products over ``axes``, like ``np.tensordot``: an int N pairs the last N axes
    of ``a`` with the first N of ``b``; a pair of sequences (or ints) names them. The result
    has the other axes of ``a`` then those of ``b``. One einsum row."""
    na, nb = T.ndim(a), T.ndim(b)
    if isinstance(axes, int | np.integer):
        n = operator.index(axes)
        if n < 0 or n > builtins.min(na, nb):
            raise ValueError(f"tensordot: axes={n} does not fit operands of {na} and {nb} dims")
        ax_a, ax_b = list(range(na - n, na)), list(range(n))
    else:
        try:
            first, second = axes
        except (TypeError, ValueError):
            raise TypeError(
                "tensordot: axes must be an int or a pair (axes of a, axes of b)"
            ) from None
        ax_a, ax_b = _axes_list(first, na, "a"), _axes_list(second, nb, "b")
        if len(ax_a) != len(ax_b):
            raise ValueError(
                f"tensordot: {len(ax_a)} axes of a cannot pair with {len(ax_b)} axes of b"
            )
    sa, sb = T._shape_of(a), T._shape_of(b)
    for i, j in zip(ax_a, ax_b, strict=True):
        if sa[i] != sb[j]:
            raise ValueError(
                f"tensordot: axis {i} of a (length {sa[i]}) and axis {j} of b (length "
                f"{sb[j]}) differ"
            )
    if na + nb - len(ax_a) > len(_LETTERS):
        raise ValueError("tensordot: too many axes")
    ta = list(_LETTERS[:na])
    tb = list(_LETTERS[na : na + nb])
    for i, j in zip(ax_a, ax_b, strict=True):
        tb[j] = ta[i]
    out = [c for k, c in enumerate(ta) if k not in ax_a] + [
        c for k, c in enumerate(tb) if k not in ax_b
    ]
    return bind(T.EINSUM, a, b, spec="".join(ta) + "," + "".join(tb) + "->" + "".join(out))


@overload
def dot(a: Var, b: Var | Value) -> Var: ...
@overload
def dot(a: Value, b: Var) -> Var: ...
@overload
def dot(a: Dual, b: Dual | Value) -> Dual: ...
@overload
def dot(a: Value, b: Dual) -> Dual: ...
@overload
def dot(a: Value, b: Value) -> Value: ...
def dot(a: Any, b: Any) -> Any:
    """``np.dot`` for any ranks: a product when either is a scalar, ``matmul`` for vectors
    and matrices, and for N-d operands the sum over the last axis of ``a`` and the
    second-to-last of ``b`` (the last when ``b`` is a vector)."""
    na, nb = T.ndim(a), T.ndim(b)
    if na == 0 or nb == 0:
        return T.multiply(a, b)
    if na <= 2 and nb <= 2:
        return T.matmul(a, b)
    return tensordot(a, b, ([na - 1], [builtins.max(nb - 2, 0)]))


@overload
def inner(a: Var, b: Var | Value) -> Var: ...
@overload
def inner(a: Value, b: Var) -> Var: ...
@overload
def inner(a: Dual, b: Dual | Value) -> Dual: ...
@overload
def inner(a: Value, b: Dual) -> Dual: ...
@overload
def inner(a: Value, b: Value) -> Value: ...
def inner(a: Any, b: Any) -> Any:
    """``np.inner``: a product when either is a scalar, else the sum over the last axes of
    both (the result has the other axes of ``a`` then those of ``b``)."""
    na, nb = T.ndim(a), T.ndim(b)
    if na == 0 or nb == 0:
        return T.multiply(a, b)
    return tensordot(a, b, ([na - 1], [nb - 1]))


@overload
def vdot(a: Var, b: Var | Value) -> Var: ...
@overload
def vdot(a: Value, b: Var) -> Var: ...
@overload
def vdot(a: Dual, b: Dual | Value) -> Dual: ...
@overload
def vdot(a: Value, b: Dual) -> Dual: ...
@overload
def vdot(a: Value, b: Value) -> Value: ...
def vdot(a: Any, b: Any) -> Any:
    """``np.vdot`` for real values: the dot product of the flattened operands (which must
    have the same number of elements)."""
    sa, sb = math.prod(T._shape_of(a)), math.prod(T._shape_of(b))
    if sa != sb:
        raise ValueError(f"vdot: the operands have {sa} and {sb} elements; they must match")
    return T.matmul(T.reshape(a, (-1,)), T.reshape(b, (-1,)))


@overload
def kron(a: Var, b: Var | Value) -> Var: ...
@overload
def kron(a: Value, b: Var) -> Var: ...
@overload
def kron(a: Dual, b: Dual | Value) -> Dual: ...
@overload
def kron(a: Value, b: Dual) -> Dual: ...
@overload
def kron(a: Value, b: Value) -> Value: ...
def kron(a: Any, b: Any) -> Any:
    """Kronecker product, like ``np.kron`` for any ranks (the shorter shape is padded with
    leading ones): blocks ``a[i, j, ...] * b``. A broadcast product of two reshapes and a
    reshape."""
    na, nb = T.ndim(a), T.ndim(b)
    if na == 0 or nb == 0:
        return T.multiply(a, b)
    n = builtins.max(na, nb)
    sa = (1,) * (n - na) + T._shape_of(a)
    sb = (1,) * (n - nb) + T._shape_of(b)
    ea = T.reshape(a, tuple(x for s in sa for x in (s, 1)))
    eb = T.reshape(b, tuple(x for s in sb for x in (1, s)))
    return T.reshape(T.multiply(ea, eb), tuple(p * q for p, q in zip(sa, sb, strict=True)))


def _moveaxis(x: Any, src: int, dst: int) -> Any:
    n = T.ndim(x)
    src, dst = src % n, dst % n
    if src == dst:
        return x
    perm = [k for k in range(n) if k != src]
    perm.insert(dst, src)
    return T.transpose(x, perm)


def _component(v: Any, k: int) -> Any:
    return T.getitem(v, (Ellipsis, k))


@overload
def cross(
    a: Var,
    b: Var | Value,
    axisa: int = -1,
    axisb: int = -1,
    axisc: int = -1,
    axis: int | None = None,
) -> Var: ...
@overload
def cross(
    a: Value, b: Var, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None
) -> Var: ...
@overload
def cross(
    a: Dual,
    b: Dual | Value,
    axisa: int = -1,
    axisb: int = -1,
    axisc: int = -1,
    axis: int | None = None,
) -> Dual: ...
@overload
def cross(
    a: Value, b: Dual, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None
) -> Dual: ...
@overload
def cross(
    a: Value, b: Value, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None
) -> Value: ...
def cross(
    a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None
) -> Any:
    """Cross product of 3-vectors along ``axisa`` of ``a`` and ``axisb`` of ``b`` (the
    other axes broadcast), written along ``axisc`` of the result; ``axis`` sets all three,
    like ``np.cross``. 2-vectors count as 3-vectors with z = 0; two 2-vectors give the z
    component alone (a scalar per pair), as NumPy does (which deprecates 2-vectors)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    for v, name, ax in ((a, "a", axisa), (b, "b", axisb)):
        nd = T.ndim(v)
        if nd == 0 or not -nd <= operator.index(ax) < nd:
            raise ValueError(f"cross: axis {ax} is out of bounds for {name} of {nd} dimensions")
        if T._shape_of(v)[ax] not in (2, 3):
            raise ValueError(
                f"cross: {name} has length {T._shape_of(v)[ax]} along axis {ax}; the vectors "
                "must have 2 or 3 components"
            )
    a = _moveaxis(a, axisa, -1)
    b = _moveaxis(b, axisb, -1)
    la, lb = T._shape_of(a)[-1], T._shape_of(b)[-1]
    a0, a1 = _component(a, 0), _component(a, 1)
    b0, b1 = _component(b, 0), _component(b, 1)
    z = a0 * b1 - a1 * b0
    if la == 2 and lb == 2:
        return z
    if la == 3 and lb == 3:
        a2, b2 = _component(a, 2), _component(b, 2)
        x = a1 * b2 - a2 * b1
        y = a2 * b0 - a0 * b2
    elif la == 3:  # b's z is 0
        a2 = _component(a, 2)
        x = -(a2 * b1)
        y = a2 * b0
    else:  # a's z is 0
        b2 = _component(b, 2)
        x = a1 * b2
        y = -(a0 * b2)
    c = T.stack([x, y, z], axis=-1)
    nc = T.ndim(c)
    if not -nc <= operator.index(axisc) < nc:
        raise ValueError(f"cross: axisc {axisc} is out of bounds for a result of {nc} dimensions")
    return _moveaxis(c, -1, axisc)


NUMPY: dict[Callable[..., Any], Callable[..., Any]] = {
    np.einsum: einsum,
    np.dot: dot,
    np.inner: inner,
    np.vdot: vdot,
    np.tensordot: tensordot,
    np.kron: kron,
    np.cross: cross,
}
"""NumPy functions this module differentiates: called on a Var or Dual, each reaches the
function here (see ``_numpy``)."""

PLAIN: dict[Callable[..., Any], Callable[..., Any]] = {}
"""NumPy functions this module serves without a derivative (indices, truth values)."""
