"""The loops over a recorded list: the reverse sweep, the forward sweep, and the batched
reverse sweep that gives a whole Jacobian in one pass.

They read records (plain tuples, see ``_core.Record``) and nothing else, so a ``Tape`` and a
replayed ``Program`` share them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from . import _table as P
from ._core import _LEVELS, Record, _brief, _plain, _shape, canonical
from ._dual import Dual, make_dual
from ._forward import push_tangents
from ._rows import ROWS, Array, Value, same


class Step(NamedTuple):
    """One adjoint update of the reverse sweep, as ``tape.steps(target)`` lists them.

    The sweep visits the records from the target back to the first; for a record
    vᵢ = φ(…, vₛ, …) it adds v̄ᵢ · ∂φ/∂vₛ to v̄ₛ, one Step per input that has a derivative.

    Attributes:
        record: The slot whose VJP rule runs (vᵢ).
        input: The slot receiving the contribution (vₛ).
        argnum: Which input of the record it is (0 for the first).
        op: The record's primitive (``"multiply"``).
        contribution: The value added to v̄ₛ: v̄ᵢ · ∂vᵢ/∂vₛ (summed back to vₛ's shape).
        total: v̄ₛ after adding it.
        adjoint: v̄ᵢ, the record's own adjoint when its rule ran.
    """

    record: int
    input: int
    argnum: int
    op: str
    contribution: Value
    total: Value
    adjoint: Value


def sweep(
    records: list[Record],
    target: int,
    seed: Any,
    sources: list[int],
    check_finite: bool = False,
    trace: list[Step] | None = None,
    label: Callable[[int], str] = str,
) -> list[Any]:
    """The reverse sweep: one loop from ``target`` back to the earliest source.

    ``adjoint[i]`` holds v̄ᵢ = ∂target/∂vᵢ, or None while nothing has reached slot i.
    With ``trace``, every adjoint update is also appended to it as a ``Step``.
    """
    adjoint: list[Any] = [None] * (target + 1)
    adjoint[target] = seed
    reached = [s for s in sources if 0 <= s <= target]
    stop = min(reached) if reached else target + 1
    rows = ROWS
    checked = check_finite or trace is not None
    for i in range(target, stop - 1, -1):
        g = adjoint[i]
        if g is None:
            continue
        p, slots, params, inputs, ans = records[i]
        prim = rows[p]
        vjp, variadic, broadcasts = prim.vjp, prim.variadic, prim.broadcasts
        n = len(slots)
        if n <= 2 and not (variadic or params or checked):
            # the common record, one or two inputs and no parameters: no generic unpacking
            if n == 1:
                s = slots[0]
                rule = vjp[0]
                if s < 0 or rule is None:
                    continue
                ct = rule(g, ans, inputs[0])
                if ct is None:
                    continue
                if broadcasts and type(ct) is not float and _unlike(ct, inputs[0]):
                    ct = unbroadcast(ct, inputs[0])
                prev = adjoint[s]
                adjoint[s] = ct if prev is None else prev + ct
                continue
            if n == 0:
                continue
            s0, s1 = slots
            x0, x1 = inputs  # (the two inputs unrolled: a loop over them cost W5's sweep 40 %)
            r0, r1 = vjp[0], vjp[1]  # (``same`` passes g on: add's inputs, subtract's first)
            if (
                s0 >= 0
                and r0 is not None
                and (ct := g if r0 is same else r0(g, ans, x0, x1)) is not None
            ):
                if broadcasts and type(ct) is not float and _unlike(ct, x0):
                    ct = unbroadcast(ct, x0)
                prev = adjoint[s0]
                adjoint[s0] = ct if prev is None else prev + ct
            if (
                s1 >= 0
                and r1 is not None
                and (ct := g if r1 is same else r1(g, ans, x0, x1)) is not None
            ):
                if broadcasts and type(ct) is not float and _unlike(ct, x1):
                    ct = unbroadcast(ct, x1)
                prev = adjoint[s1]
                adjoint[s1] = ct if prev is None else prev + ct
            continue
        for k, s in enumerate(slots):
            if s < 0:
                continue  # a constant: no adjoint to accumulate
            # the rule for input k: v̄ₛ += (vᵢ's cotangent pulled back through prim)
            rule = vjp[0] if variadic else vjp[k]
            if rule is None:
                continue
            if variadic:
                ct = rule(g, ans, *inputs, argnum=k, **(params or {}))
            elif params:
                ct = rule(g, ans, *inputs, **params)
            else:
                ct = rule(g, ans, *inputs)
            if ct is None:
                continue
            if broadcasts and _unlike(ct, inputs[k]):
                ct = unbroadcast(ct, inputs[k])
            if check_finite and not np.all(np.isfinite(_plain(ct))):
                raise FloatingPointError(
                    f"the reverse sweep got a non-finite adjoint at record {i} ({prim.name}; "
                    f"{label(i)} in print(t)), "
                    f"input {k + 1}: {_brief(_plain(ct))}; the record's inputs were "
                    + ", ".join(_brief(_plain(x)) for x in inputs)
                )
            prev = adjoint[s]
            adjoint[s] = ct if prev is None else prev + ct
            if trace is not None:
                step = Step(i, s, k, prim.name, _plain(ct), _plain(adjoint[s]), _plain(g))
                trace.append(step)
    return adjoint


def forward_sweep(
    records: list[Record], tangents: Mapping[int, Any], upto: int | None = None
) -> list[Any]:
    """Forward mode over recorded records: the tangent of every record up to ``upto``
    (default: the last), from tangents given at some slots (None where none arrives).

    Each record's tangent is ``push_tangents`` of its inputs' tangents — the JVP rules, as a
    Dual would apply them. Tangents may carry a leading batch axis (vector mode).
    """
    end = len(records) if upto is None else upto + 1
    tan: list[Any] = [None] * end
    for slot, d in tangents.items():
        if 0 <= slot < end:  # (an input first used after ``upto``: no effect)
            tan[slot] = d
    given = [s for s in tangents if 0 <= s < end]
    for i in range(min(given) + 1 if given else end, end):
        p, slots, params, inputs, ans = records[i]
        prim = ROWS[p]
        if not slots or not prim.differentiable:
            continue
        ts = [tan[s] if s >= 0 else None for s in slots]
        if any(d is not None for d in ts):
            tan[i] = push_tangents(prim, inputs, ts, ans, params or {})
    return tan


def batched_vjp(
    records: list[Record],
    target: int,
    source: int,
    tshape: tuple[int, ...],
    sshape: tuple[int, ...],
) -> Array:
    """∂target/∂source, shape ``tshape + sshape``, from ONE reverse sweep for all m seeds.

    The sweep is linear in its seed, so it is run on a dual number whose primal seed is 0 and
    whose tangent carries the m unit seeds along a leading batch axis: each VJP rule, applied
    by forward mode, pushes all m cotangents at once (vector mode) — one pass of Python over
    the records instead of m. (The zero primal costs one extra sweep's arithmetic.)
    """
    m = math.prod(tshape)
    if m == 1:  # one seed: a plain sweep
        g1 = sweep(records, target, 1.0 if tshape == () else np.ones(tshape), [source])[source]
        if g1 is None:
            return np.zeros(tshape + sshape)
        return _writable(_spread_to(_plain(g1), sshape).reshape(tshape + sshape))
    level = next(_LEVELS)
    basis = np.eye(m).reshape((m, *tshape))
    seed = make_dual(0.0 if tshape == () else np.zeros(tshape), basis, level)
    g = sweep(records, target, seed, [source])[source]
    if not (isinstance(g, Dual) and g._level == level):
        return np.zeros(tshape + sshape)
    t = _spread_to(_plain(g._tangent), (m, *sshape))
    return _writable(t.reshape(tshape + sshape))


def jacobian_from_tangent(t: Any, out_shape: tuple[int, ...], in_shape: tuple[int, ...]) -> Array:
    """The Jacobian ``out_shape + in_shape`` from a plain output tangent of a forward sweep
    that pushed all n = ``in_shape``'s size input directions at once (shape ``(n,) +
    out_shape``, or one that broadcasts to it; None: zeros)."""
    if t is None:
        return np.zeros(out_shape + in_shape)
    n = math.prod(in_shape)
    t = _spread_to(t, (n, *out_shape))
    moved = np.moveaxis(t.reshape((n, math.prod(out_shape))), 0, -1)
    return _writable(moved.reshape(out_shape + in_shape))


def _spread_to(v: Any, shape: tuple[int, ...]) -> Array:
    """``v`` as an array of ``shape``: itself when it has it, else a broadcast view."""
    a = np.asarray(v)
    return a if a.shape == shape else np.broadcast_to(a, shape)


def _writable(a: Array) -> Array:
    """``a``, or a copy when it is read-only (a broadcast view, a recorded value): what a
    Jacobian handed out is, as NumPy's own results are."""
    return a if a.flags.writeable else a.copy()


def _unlike(ct: Any, like: Any) -> bool:
    """Whether a cotangent of a broadcasting row may need summing back to its input's shape
    (False for floats and for plain arrays of the input's shape: the common case)."""
    t = type(ct)
    return t is not float and (
        t is not np.ndarray or type(like) is not np.ndarray or ct.shape != like.shape
    )


def unbroadcast(ct: Any, like: Any) -> Any:
    """Sum a cotangent back to the shape of the input it belongs to (undo broadcasting)."""
    if type(ct) is float:
        return ct
    to = _shape(like)
    if _shape(ct) == to:
        return ct
    if type(ct) is np.ndarray:  # plain: NumPy directly
        return canonical(P.SUM_TO, P._sum_to_impl(ct, to))
    return P.sum_to(ct, to)
