"""Function transforms: grad, value_and_grad, vjp, jvp, jacfwd, jacrev, jacobian, hessian, hvp.

Each transform takes a function of floats and arrays (written with ``tp.*`` functions, Var
methods or plain NumPy calls) and returns a new function, with JAX's semantics where JAX
has the same name. Reverse mode records the function once on a ``Tape`` and sweeps it;
forward mode pushes ``Dual`` numbers through it. They compose: ``hessian`` is forward over
reverse (Duals flowing through a tape's sweep), and nested ``grad`` is reverse over reverse.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal, ParamSpec, TypeAlias, overload

import numpy as np

from ._dual import Dual, make_dual
from ._primitive import Array, Value
from ._tape import _LEVELS, Tape, _new_var, _plain, read_only
from ._var import Var, as_value

P = ParamSpec("P")
Out: TypeAlias = "Var | Dual | float | Array"
"""What a transformed function may return: a plain value, or a Var / Dual computed from its
inputs."""
Argnums: TypeAlias = int | tuple[int, ...]


def _argnums_tuple(argnums: Argnums, nargs: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"argnums {argnums} is out of range for {nargs} positional arguments")
    return tuple(i % nargs for i in nums)


def _lift(x: Any) -> Var:
    """A fresh, unrecorded Var around ``x`` (a value, or a Var/Dual of an outer transform)."""
    v: Var = _new_var(Var)
    v._value = x if isinstance(x, Var | Dual) else as_value(x)
    v._tape = None
    v._slot = -1
    return v


def _down(out: Any, tape: Tape) -> Any:
    """``out`` as the level below this transform sees it (a plain value when not nested)."""
    if isinstance(out, Var) and (out._tape is tape or out._tape is None):
        return read_only(out._value)
    return out


def _check_scalar(y: Any, what: str) -> None:
    shape = np.shape(_plain(y))
    if shape != ():
        raise TypeError(
            f"{what} needs a function with a scalar output; this one returned shape {shape}. "
            "Use vjp, jacrev or jacobian for non-scalar outputs."
        )


def _value_and_grad(
    f: Callable[..., Any], argnums: Argnums, has_aux: bool, args: tuple[Any, ...], what: str
) -> tuple[Any, Any, Any]:
    nums = _argnums_tuple(argnums, len(args))
    lifted = [_lift(a) if i in nums else a for i, a in enumerate(args)]
    with Tape() as t:
        out = f(*lifted)
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"{what}(has_aux=True) needs f to return a pair (output, aux)")
        y, aux = out
    else:
        y, aux = out, None
    _check_scalar(y, what)
    sources = [lifted[i] for i in nums]
    if isinstance(y, Var) and t._slot_of(y) >= 0:
        grads = t.gradient(y, sources)
    else:  # the output does not depend on the inputs
        grads = [0.0 if np.shape(_plain(s)) == () else np.zeros_like(_plain(s)) for s in sources]
    g = grads[0] if isinstance(argnums, int) else tuple(grads)
    return _down(y, t), g, _down(aux, t)


@overload
def grad(
    f: Callable[P, Out], argnums: int = 0, has_aux: Literal[False] = False
) -> Callable[P, Value]: ...
@overload
def grad(
    f: Callable[P, Out], argnums: tuple[int, ...], has_aux: Literal[False] = False
) -> Callable[P, tuple[Value, ...]]: ...
@overload
def grad(
    f: Callable[P, tuple[Out, Any]], argnums: int = 0, *, has_aux: Literal[True]
) -> Callable[P, tuple[Value, Any]]: ...
@overload
def grad(
    f: Callable[P, tuple[Out, Any]], argnums: tuple[int, ...], has_aux: Literal[True]
) -> Callable[P, tuple[tuple[Value, ...], Any]]: ...
def grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """The gradient of a scalar function, by reverse mode (one tape, one sweep).

    Args:
        f: A function with a scalar output.
        argnums: Which positional argument(s) to differentiate: an int, or a tuple (then the
            gradient is a tuple).
        has_aux: ``f`` returns ``(output, aux)``; the gradient function then returns
            ``(gradient, aux)``.

    Returns:
        A function of the same arguments returning the gradient, shaped like the argument.

    Raises:
        TypeError: When ``f``'s output is not a scalar (the message names its shape).
    """

    def grad_f(*args: Any) -> Any:
        _, g, aux = _value_and_grad(f, argnums, has_aux, args, "grad")
        return (g, aux) if has_aux else g

    grad_f.__doc__ = f"Gradient of {getattr(f, '__name__', 'f')} (argnums={argnums})."
    return grad_f


@overload
def value_and_grad(
    f: Callable[P, Out], argnums: int = 0, has_aux: Literal[False] = False
) -> Callable[P, tuple[Value, Value]]: ...
@overload
def value_and_grad(
    f: Callable[P, Out], argnums: tuple[int, ...], has_aux: Literal[False] = False
) -> Callable[P, tuple[Value, tuple[Value, ...]]]: ...
@overload
def value_and_grad(
    f: Callable[P, tuple[Out, Any]], argnums: int = 0, *, has_aux: Literal[True]
) -> Callable[P, tuple[tuple[Value, Any], Value]]: ...
@overload
def value_and_grad(
    f: Callable[P, tuple[Out, Any]], argnums: tuple[int, ...], has_aux: Literal[True]
) -> Callable[P, tuple[tuple[Value, Any], tuple[Value, ...]]]: ...
def value_and_grad(
    f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """Like ``grad``, but the new function returns ``(value, gradient)`` from one recording
    (with ``has_aux``: ``((value, aux), gradient)``, as in JAX)."""

    def vg(*args: Any) -> Any:
        y, g, aux = _value_and_grad(f, argnums, has_aux, args, "value_and_grad")
        return ((y, aux), g) if has_aux else (y, g)

    return vg


def vjp(
    f: Callable[..., Out], *primals: Value
) -> tuple[Value, Callable[[Value], tuple[Value, ...]]]:
    """Record ``f`` at ``primals`` once; return its output and a function that pulls a
    cotangent back to all the inputs (a tuple, one per primal) by one reverse sweep.

    The returned function may be called any number of times (the tape is kept).

    Example:
        ``out, back = vjp(f, x); (x_bar,) = back(u)`` gives ``uᵀ ∂f/∂x``.
    """
    lifted = [_lift(p) for p in primals]
    with Tape(persistent=True) as t:
        out = f(*lifted)
    recorded = out if isinstance(out, Var) and t._slot_of(out) >= 0 else None
    out_shape = np.shape(_plain(out))

    def pullback(cotangent: Value) -> tuple[Value, ...]:
        if np.shape(cotangent) != out_shape:
            raise ValueError(
                f"vjp: the cotangent has shape {np.shape(cotangent)}, the output {out_shape}"
            )
        if recorded is None:
            return tuple(
                0.0 if np.shape(_plain(s)) == () else np.zeros_like(_plain(s)) for s in lifted
            )
        return tuple(t.gradient(recorded, lifted, output_gradient=cotangent))

    return _down(out, t), pullback


def _tangent_for(p: Any, v: Any) -> Any:
    pv = _plain(p) if isinstance(p, Var | Dual) else as_value(p)
    if isinstance(v, Var | Dual):
        return v  # a tangent that is itself recorded (reverse over forward)
    vv = as_value(v)
    if np.shape(pv) != np.shape(vv) and np.shape(vv)[1:] != np.shape(pv):
        raise ValueError(
            f"jvp: a tangent of shape {np.shape(vv)} does not match its primal {np.shape(pv)}"
        )
    if isinstance(pv, np.ndarray):
        return np.asarray(vv, dtype=pv.dtype)
    return vv


def _forward_pass(
    f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any | None]
) -> tuple[Any, Any, int]:
    level = next(_LEVELS)
    args = [
        p if t is None else make_dual(p if isinstance(p, Var | Dual) else as_value(p), t, level)
        for p, t in zip(primals, tangents, strict=True)
    ]
    out = f(*args)
    if isinstance(out, Dual) and out._level == level:
        return out._primal, out._tangent, level
    return out, None, level


def jvp(
    f: Callable[..., Out], primals: Sequence[Value], tangents: Sequence[Value]
) -> tuple[Value, Value]:
    """Forward mode: ``f(*primals)`` and its directional derivative along ``tangents``, from
    one pass of dual numbers.

    Returns:
        ``(out, out_tangent)``, where ``out_tangent = J · tangents``.
    """
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    ts = [_tangent_for(p, v) for p, v in zip(primals, tangents, strict=True)]
    out, t, _ = _forward_pass(f, primals, ts)
    if t is None:
        pv = _plain(out)
        t = 0.0 if np.shape(pv) == () else np.zeros_like(pv)
    return out, t


def _basis(x: Any) -> tuple[Any, tuple[int, ...]]:
    """k = x.size unit directions, stacked: shape (k,) + x.shape."""
    pv = _plain(x) if isinstance(x, Var | Dual) else as_value(x)
    shape = np.shape(pv)
    n = math.prod(shape)
    dtype = pv.dtype if isinstance(pv, np.ndarray) else np.float64
    return np.eye(n, dtype=dtype).reshape((n, *shape)), shape


def _jacfwd_one(f: Callable[..., Any], args: tuple[Any, ...], i: int) -> Any:
    basis, shape = _basis(args[i])
    tangents: list[Any] = [None] * len(args)
    tangents[i] = basis
    out, t, _ = _forward_pass(f, args, tangents)
    out_shape = np.shape(_plain(out))
    n = math.prod(shape)
    if t is None:
        return np.zeros(out_shape + shape)
    if isinstance(t, np.ndarray):
        return np.moveaxis(t.reshape((n, *out_shape)), 0, -1).reshape(out_shape + shape)
    from . import _primitives as ops  # a Var or Dual tangent (nested): keep it differentiable

    moved = ops.transpose(ops.reshape(t, (n, math.prod(out_shape))))
    return ops.reshape(moved, out_shape + shape)


@overload
def jacfwd(f: Callable[P, Out], argnums: int = 0) -> Callable[P, Array]: ...
@overload
def jacfwd(f: Callable[P, Out], argnums: tuple[int, ...]) -> Callable[P, tuple[Array, ...]]: ...
def jacfwd(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The Jacobian by forward mode in ONE pass: vector-mode dual numbers carry all
    ``x.size`` directions at once. Shape ``out.shape + x.shape``. Cheap when x is small."""

    def jac(*args: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args))
        js = tuple(_jacfwd_one(f, args, i) for i in nums)
        return js[0] if isinstance(argnums, int) else js

    return jac


@overload
def jacrev(f: Callable[P, Out], argnums: int = 0) -> Callable[P, Array]: ...
@overload
def jacrev(f: Callable[P, Out], argnums: tuple[int, ...]) -> Callable[P, tuple[Array, ...]]: ...
def jacrev(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The Jacobian by reverse mode: ``f`` is recorded once and the tape is swept once per
    output element. Shape ``out.shape + x.shape``. Cheap when the output is small."""

    def jac(*args: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args))
        lifted = [_lift(a) if i in nums else a for i, a in enumerate(args)]
        with Tape(persistent=True) as t:
            out = f(*lifted)
        out_shape = np.shape(_plain(out))
        js = []
        for i in nums:
            src = lifted[i]
            if isinstance(out, Var) and t._slot_of(out) >= 0:
                js.append(_rows_by_sweeps(t, out, src, out_shape))
            else:
                js.append(np.zeros(out_shape + np.shape(_plain(src))))
        return js[0] if isinstance(argnums, int) else tuple(js)

    return jac


def _rows_by_sweeps(t: Tape, out: Var, src: Var, out_shape: tuple[int, ...]) -> Any:
    """∂out/∂src over the same records: one batched sweep for all seeds when the tape holds
    plain values, else (nested) one sweep per element of ``out``, staying differentiable."""
    src_shape = np.shape(_plain(src))
    if isinstance(out._value, float | np.ndarray):
        return t.jacobian(out, src)
    m = math.prod(out_shape)
    rows = []
    for j in range(m):
        seed = np.zeros(m)
        seed[j] = 1.0
        rows.append(t.gradient(out, src, output_gradient=seed.reshape(out_shape)))
    if all(isinstance(r, float | np.ndarray) for r in rows):
        return np.stack([np.asarray(r) for r in rows]).reshape(out_shape + src_shape)
    from . import _primitives as ops  # recorded or dual gradients (nested): stay differentiable

    flat = ops.stack([ops.reshape(r, (-1,)) for r in rows])
    return ops.reshape(flat, out_shape + src_shape)


@overload
def jacobian(
    f: Callable[P, Out], argnums: int = 0, mode: Literal["auto", "fwd", "rev"] = "auto"
) -> Callable[P, Array]: ...
@overload
def jacobian(
    f: Callable[P, Out], argnums: tuple[int, ...], mode: Literal["auto", "fwd", "rev"] = "auto"
) -> Callable[P, tuple[Array, ...]]: ...
def jacobian(
    f: Callable[..., Any], argnums: Argnums = 0, mode: Literal["auto", "fwd", "rev"] = "auto"
) -> Callable[..., Any]:
    """The Jacobian, by forward mode when the input is smaller than the output and by
    reverse mode otherwise (``mode="fwd"`` or ``"rev"`` forces one)."""
    if mode not in ("auto", "fwd", "rev"):
        raise ValueError(f'jacobian: mode must be "auto", "fwd" or "rev", not {mode!r}')

    def jac(*args: Any) -> Any:
        chosen = mode
        if chosen == "auto":
            nums = _argnums_tuple(argnums, len(args))
            n_in = sum(np.size(_plain(args[i])) for i in nums)
            n_out = np.size(_plain(f(*args)))
            chosen = "fwd" if n_in < n_out else "rev"
        return (jacfwd if chosen == "fwd" else jacrev)(f, argnums)(*args)

    return jac


@overload
def hessian(f: Callable[P, Out], argnums: int = 0) -> Callable[P, Array]: ...
@overload
def hessian(
    f: Callable[P, Out], argnums: tuple[int, ...]
) -> Callable[P, tuple[tuple[Array, ...], ...]]: ...
def hessian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The Hessian of a scalar function, forward over reverse: vector-mode dual numbers
    flow through one tape's reverse sweep. Shape ``x.shape + x.shape``."""
    if isinstance(argnums, int):
        return jacfwd(grad(f, argnums), argnums)

    def hess(*args: Any) -> Any:
        rows = []
        for i in argnums:
            gi = grad(f, i)
            rows.append(jacfwd(gi, argnums)(*args))
        return tuple(rows)

    return hess


def hvp(f: Callable[..., Out], x: Value, v: Value) -> Value:
    """The Hessian-vector product H(x)·v of a scalar function, forward over reverse: one
    recording, one sweep with dual numbers, never forming H."""
    _, t = jvp(grad(f), (x,), (v,))
    return t


__all__ = [
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "value_and_grad",
    "vjp",
]
