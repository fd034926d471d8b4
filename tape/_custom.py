"""Custom primitives: turn a NumPy function into a row of the table, with its own rules.

    @tp.primitive(
        vjp=lambda g, ans, x: g * tp.sigmoid(x),
        jvp=lambda dx, ans, x: dx * tp.sigmoid(x),
    )
    def log1pexp(x):
        return np.logaddexp(0.0, x)

The decorated function is registered like the built-in rows (``tp.PRIMITIVES``), so it is
recorded and printed on tapes, runs in forward and reverse mode, nests, and can be checked
with ``tp.testing.check_grads``. Write the rules with ``tp.*`` operations so that they,
too, can be differentiated (higher order).

The contract of a rule (what its arguments look like):

- ``vjp_i(g, ans, *inputs, **params)``: ``g`` is ONE cotangent, of the output's shape; the
  rule returns the cotangent of input i (of that input's shape, or broadcastable to it when
  the primitive is ``elementwise``), or ``None`` for zero.
- ``jvp_i(d, ans, *inputs, **params)``: ``d`` is ONE tangent, of input i's shape; the rule
  returns the output's tangent contributed by it (of the output's shape, or broadcastable
  to it), or ``None`` for zero.

Forward mode may carry k directions at once (``jacfwd``, ``jacobian``, ``hessian``, and the
batched reverse sweep of ``jacrev``, which pushes k cotangents through the VJP rules as the
tangents of dual numbers). A rule written for one tangent, such as
``jvp=lambda db, ans, A, b: solve(A, db)``, would be wrong on such a batch (``solve`` reads
k stacked tangents as a matrix), so the library maps the JVP rules over the k directions.
How, is the ``batched`` argument of ``primitive``:

- ``None`` (the default): the rule is written for one tangent. The library first tries one
  call on the whole batch and keeps it only when one more call, on a random combination of
  the k directions, agrees with the same combination of its results (true for every
  direction exactly when the batched call computed each direction on its own, the rule
  being linear in its tangent); otherwise, and from then on, it calls the rule once per
  direction and stacks the results. Right either way; fast for rules written with
  broadcasting ``tp.*`` operations (``dx * tp.sigmoid(x)``).
- ``False``: the rule is never shown a batch: always one call per direction.
- ``True``: the rule handles a leading batch axis itself and is called once, with ``d`` of
  shape ``batch + input.shape`` (for an ``elementwise`` primitive whose input has fewer
  axes than the output: ``batch + (1,) * pad + input.shape``, lined up with the output's
  axes), returning ``batch + output.shape`` (or broadcastable to it).

A VJP rule always receives one cotangent of the output's shape; in a batched sweep that
cotangent is a dual number whose tangent holds the k cotangents, which ``tp.*`` operations
(and this primitive's own JVP, mapped as above) handle.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, overload

import numpy as np

from . import _table as P
from ._core import _shape, bind
from ._dual import Dual
from ._rows import Primitive, Rule, Value, register
from ._var import Var


class CustomPrimitive:
    """A user-defined primitive: call it like the function it wraps.

    Positional arguments are the differentiable inputs; keyword arguments are static
    parameters, passed to the function and to both rules unchanged.

    Attributes:
        row: The registered ``Primitive`` row.
        batched: ``False`` (the default) when the JVP rules are written for one tangent and
            never shown a batch, ``True`` when they take a leading batch axis of tangents
            themselves, ``None`` when they are written for one tangent but may be tried on
            a batch (see ``primitive``).
    """

    def __init__(self, row: Primitive, doc: str | None, batched: bool | None = False) -> None:
        self.row = row
        self.batched = batched
        self.__doc__ = doc
        self.__name__ = row.name

    @overload
    def __call__(self, x: Var, /, *args: Var | Value, **params: Any) -> Var: ...
    @overload
    def __call__(self, x: Dual, /, *args: Dual | Value, **params: Any) -> Dual: ...
    @overload
    def __call__(self, x: Value, /, *args: Value, **params: Any) -> Value: ...
    @overload
    def __call__(self, x: Value, /, *args: Var | Dual | Value, **params: Any) -> Var | Dual: ...
    def __call__(self, x: Any, /, *rest: Any, **params: Any) -> Any:
        args = (x, *rest)
        n = len(self.row.vjp)
        if len(args) != n:
            raise TypeError(f"{self.row.name} takes {n} positional input(s), got {len(args)}")
        return bind(self.row, *args, **params)

    def __repr__(self) -> str:
        return f"<custom primitive {self.row.name}>"


_PROBE_WEIGHTS = np.random.default_rng(20240611).uniform(0.5, 1.5, 4096)
"""Fixed weights of the random combination of directions that checks a vectorised call."""


def _one_direction_at_a_time(rule: Rule, k: int, elementwise: bool, try_batch: bool) -> Rule:
    """``rule`` (written for one tangent of input k) lifted over leading batch axes.

    The tangent ``d`` has batch axes when it has more axes than one tangent would: input
    k's axes, or (elementwise rows line a batched tangent up with the output) the output's.
    Then the rule gives each direction's contribution, broadcast to the output's shape and
    stacked along the batch axes: from one call per direction, or (``try_batch``) from one
    call on the whole batch when that call is checked right (see ``_vectorised``). A rule
    that fails the check once is called per direction from then on.
    """
    batch_ok = [try_batch]

    def mapped(d: Any, ans: Any, *inputs: Any, **params: Any) -> Any:
        xshape = _shape(inputs[k])
        ashape = _shape(ans)
        one = max(len(xshape), len(ashape)) if elementwise else len(xshape)
        dshape = _shape(d)
        nb = len(dshape) - one
        if nb <= 0:
            return rule(d, ans, *inputs, **params)
        batch = dshape[:nb]
        m = math.prod(batch)
        if batch_ok[0] and m > 2 and type(d) is np.ndarray:
            fast = _vectorised(rule, d, nb, xshape, ashape, ans, inputs, params)
            if fast is not None:
                return fast
            batch_ok[0] = False
        flat = d if nb == 1 else P.reshape(d, (m, *dshape[nb:]))
        outs = []
        for j in range(m):
            dj = flat[j]
            if _shape(dj) != xshape:
                dj = P.reshape(dj, xshape)  # drop the axes of length 1 lined up for it
            outs.append(rule(dj, ans, *inputs, **params))
        if all(c is None for c in outs):
            return None
        if type(d) is np.ndarray and all(isinstance(c, float | np.ndarray | None) for c in outs):
            full = np.stack(
                [
                    np.zeros(ashape, dtype=d.dtype) if c is None else np.broadcast_to(c, ashape)
                    for c in outs
                ]
            )
            return full.reshape(batch + ashape)
        parts = [
            np.zeros(ashape, dtype=P.plain(d).dtype)
            if c is None
            else (c if _shape(c) == ashape else P.broadcast_to(c, ashape))
            for c in outs
        ]
        return P.reshape(P.stack(parts), batch + ashape)

    mapped.__name__ = getattr(rule, "__name__", "jvp")
    mapped.__doc__ = getattr(rule, "__doc__", None)
    return mapped


def _vectorised(
    rule: Rule,
    d: Any,
    nb: int,
    xshape: tuple[int, ...],
    ashape: tuple[int, ...],
    ans: Any,
    inputs: tuple[Any, ...],
    params: dict[str, Any],
) -> Any:
    """The rule called once on the whole batch of plain tangents ``d``, if that is right.

    A JVP rule is linear in its tangent. So the batched call's results Rⱼ are each
    direction's own, rule(dⱼ), exactly when Σⱼ wⱼ Rⱼ = rule(Σⱼ wⱼ dⱼ) for weights w in
    general position: one more call, on one combined direction, checks the whole batch. A
    rule that mixes the batch axis into its arithmetic (``np.linalg.solve(A, d)`` takes
    k stacked tangents for a matrix) fails the check, or raises, and gets None: the caller
    then calls it once per direction.
    """
    batch = _shape(d)[:nb]
    m = math.prod(batch)
    if m > _PROBE_WEIGHTS.size:
        return None
    full = batch + ashape
    w = _PROBE_WEIGHTS[:m]
    try:
        with np.errstate(all="ignore"):  # a rule that cannot take a batch may compute junk
            out = rule(d, ans, *inputs, **params)
            oshape = _shape(out) if out is not None else ()
            if (
                out is None
                or len(oshape) != len(full)
                or oshape[:nb] != batch
                or np.broadcast_shapes(oshape, full) != full
            ):
                return None
            combined = (w @ d.reshape((m, -1))).astype(d.dtype).reshape(xshape)
            single = rule(combined, ans, *inputs, **params)
            if single is None:
                return None
            r = np.broadcast_to(np.asarray(P.plain(out), dtype=np.float64), full)
            s = np.broadcast_to(np.asarray(P.plain(single), dtype=np.float64), ashape)
            r, s = r.reshape((m, -1)), s.reshape(-1)
            if not (np.all(np.isfinite(r)) and np.all(np.isfinite(s))):
                return None
            eps = float(np.finfo(d.dtype).eps)
            scale = float(np.max(np.abs(r), initial=0.0)) * float(np.sum(w))
            if not np.all(np.abs(w @ r - s) <= 1e3 * eps * (scale + np.abs(s))):
                return None
    except Exception:
        return None  # the rule cannot take a batch: one direction at a time
    return out if oshape == full else P.broadcast_to(out, full)


def primitive(
    *,
    vjp: Rule | Sequence[Rule | None],
    jvp: Rule | Sequence[Rule | None],
    name: str | None = None,
    notation: str = "",
    elementwise: bool = False,
    batched: bool | None = False,
) -> Callable[[Callable[..., Any]], CustomPrimitive]:
    """Make a NumPy function a differentiable primitive, given its derivative rules.

    Args:
        vjp: The reverse-mode rule ``vjp(g, ans, *inputs, **params)`` returning the cotangent
            of the input (one rule, or a sequence with one rule per input; ``None`` for an
            input with no derivative). ``g`` is one cotangent, of the output's shape.
        jvp: The forward-mode rule ``jvp(d, ans, *inputs, **params)`` returning the output
            tangent contributed by input tangent ``d`` (same layout as ``vjp``). ``d`` is
            one tangent, of the input's shape: when forward mode carries k directions at
            once (``jacfwd``, ``hessian``, ``jacrev``'s batched sweep) the library maps the
            rule over them (see ``batched``).
        name: The name in the registry and the Wengert list (default: the function's name;
            it must be new).
        notation: How a record prints, e.g. ``"log1pexp {0}"`` (default ``name({0}, ...)``).
        elementwise: The inputs broadcast against each other, NumPy-style: cotangents are
            then summed back to each input's shape for you.
        batched: How the JVP rules meet k directions at once. ``False`` (default): written
            for one tangent: called once per direction, never shown a batch. ``None``:
            written for one tangent, but tried once on the whole batch and kept only when a
            check by linearity (one more call, on a random combination of the directions)
            confirms it, else called once per direction from then on (fewer calls for rules
            that happen to broadcast). ``True``: the rules take a leading batch axis themselves
            and are called once, with ``d`` of shape ``batch + input.shape`` (for an
            elementwise primitive whose input has fewer axes than the output, lined up with
            the output: ``batch + (1,) * pad + input.shape``), returning
            ``batch + output.shape`` (or broadcastable to it).

    Returns:
        A decorator turning ``fn(*inputs, **params)`` (plain floats/arrays in, out) into a
        ``CustomPrimitive``.

    Example:
        A linear solve, its rules written for one tangent (the default ``batched=False``
        maps them over the directions, so ``jacfwd`` and ``jacrev`` are right)::

            @tp.primitive(
                vjp=[
                    lambda g, x, A, b: -tp.outer(solve(tp.transpose(A), g), x),
                    lambda g, x, A, b: solve(tp.transpose(A), g),
                ],
                jvp=[
                    lambda dA, x, A, b: -solve(A, dA @ x),
                    lambda db, x, A, b: solve(A, db),
                ],
            )
            def solve(A, b):
                return np.linalg.solve(A, b)
    """
    vjps = (vjp,) if callable(vjp) else tuple(vjp)
    jvps = (jvp,) if callable(jvp) else tuple(jvp)
    if len(vjps) != len(jvps):
        raise ValueError(f"primitive: {len(vjps)} vjp rules but {len(jvps)} jvp rules")
    if batched is not True:
        jvps = tuple(
            None if r is None else _one_direction_at_a_time(r, k, elementwise, batched is None)
            for k, r in enumerate(jvps)
        )

    def make(fn: Callable[..., Any]) -> CustomPrimitive:
        row = Primitive(
            name or fn.__name__,
            impl=fn,
            vjp=vjps,
            jvp=jvps,
            notation=notation,
            broadcasts=elementwise,
            elementwise=elementwise,
        )
        return CustomPrimitive(register(row), fn.__doc__, batched)

    return make


__all__ = ["CustomPrimitive", "primitive"]
