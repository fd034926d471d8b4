"""Forward mode in the kernel: what ``bind`` does when an input is a Dual.

The primal is computed one level down (by ``bind`` again: it may be recorded by tapes below),
the tangent by the row's JVP rules (``push_tangents``, which ``forward_sweep`` over recorded
records uses too). Installed into the kernel when this module loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _table as P
from ._core import _STACK, _plain, _shape, bind, install
from ._dual import Dual, make_dual
from ._rows import Primitive


def _forward(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any], level: int) -> Any:
    """Forward mode: the primal by the row's forward rule, the tangent by its JVP rules."""
    stack = _STACK.get()
    if stack and stack[-1]._level > level:
        # tapes entered after these dual numbers were made (a jvp inside a grad's function
        # that a later grad wraps) must not record their insides: compute below them
        token = _STACK.set(tuple(t for t in stack if t._level < level))
        try:
            return _forward_at(prim, args, params, level)
        finally:
            _STACK.reset(token)
    return _forward_at(prim, args, params, level)


def _forward_at(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any], level: int) -> Any:
    primals = []
    tangents = []
    for a in args:
        if type(a) is Dual and a._level == level:
            primals.append(a._primal)
            tangents.append(a._tangent)
        else:
            primals.append(a)
            tangents.append(None)
    ans = bind(prim, *primals, **params)
    if not prim.differentiable:
        return ans  # booleans carry no tangent
    return make_dual(ans, push_tangents(prim, primals, tangents, ans, params), level)


def push_tangents(
    prim: Primitive,
    primals: Sequence[Any],
    tangents: Sequence[Any],
    ans: Any,
    params: dict[str, Any],
) -> Any:
    """The output tangent of one record: the sum of its JVP rules over the inputs that
    carry a tangent (None for none). Tangents may carry leading batch axes (vector mode)."""
    ashape = _shape(ans)
    batch: tuple[int, ...] = ()
    out: Any = None
    for k, d in enumerate(tangents):
        if d is None:
            continue
        xshape, dshape = _shape(primals[k]), _shape(d)
        nb = len(dshape) - len(xshape)
        if nb:
            batch = dshape[:nb]
        rule = prim.jvp[0] if prim.variadic else prim.jvp[k]
        if rule is None:
            continue
        if nb and prim.elementwise and len(xshape) < len(ashape):
            # line the k directions up with the output's axes before broadcasting
            d = P.reshape(d, batch + (1,) * (len(ashape) - len(xshape)) + xshape)
        if prim.variadic:
            c = rule(d, ans, *primals, argnum=k, **params)
        else:
            c = rule(d, ans, *primals, **params)
        if c is not None:
            out = c if out is None else out + c
    full = batch + ashape
    if out is None:
        return 0.0 if full == () else np.zeros(full, dtype=_dtype(ans))
    if _shape(out) != full:
        out = P.broadcast_to(out, full)
    return out


def _dtype(v: Any) -> Any:
    p = _plain(v)
    return p.dtype if isinstance(p, np.ndarray) else np.float64


install(forward=_forward)
