"""Function transforms: grad, value_and_grad, vjp, jvp, jacfwd, jacrev, jacobian, hessian, hvp.

Each transform takes a function of floats and arrays (written with ``tp.*`` functions, Var
methods or plain NumPy calls) and returns a new function, with JAX's semantics where JAX
has the same name. Reverse mode records the function once on a ``Tape`` and sweeps it;
forward mode pushes ``Dual`` numbers through it. They compose: ``hessian`` is forward over
reverse (Duals flowing through a tape's sweep), and nested ``grad`` is reverse over reverse.

What the function returns decides what its derivative is:

- a Var computed from the inputs: the tape's sweep (``Tape.gradient`` / ``Tape.jacobian``);
- an input handed back unchanged (``lambda x: x``, ``+x``, a reshape to the same shape): the
  identity, whose derivative with respect to itself is the identity (and zero with respect
  to any other input);
- a plain value with nothing left of the inputs in it (``lambda x: 3.0``): a constant, whose
  derivative is zero, as in JAX;
- a plain value after a value left the tape for Python (``float(x)``, ``x.item()``,
  ``math.sin(x)``): a ``TypeError``, since the derivative through it is lost.

Keyword arguments of the transformed function are passed to ``f`` unchanged (they are never
differentiated).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal, ParamSpec, Protocol, TypeAlias, TypeVar, overload

import numpy as np

from . import _table as ops
from ._core import _LEVELS, _STACK, _new_var, _plain, pop_escape, read_only
from ._dual import Dual, make_dual
from ._rows import Array, Value
from ._sweep import forward_sweep, jacobian_from_tangent
from ._tape import Tape, _constant_var
from ._var import Var, as_value

P = ParamSpec("P")
R = TypeVar("R", covariant=True)
Out: TypeAlias = "Var | Dual | float | Array"
"""What a transformed function may return: a plain value, or a Var / Dual computed from its
inputs."""
In: TypeAlias = "Var | Dual | Value"
"""What a transformed function takes where ``f`` takes a value to differentiate: a float or
an array (or, nested in another transform, a Var or Dual)."""
Argnums: TypeAlias = int | tuple[int, ...]


class Transformed(Protocol[P, R]):
    """The type of a transformed function: it takes ``f``'s own arguments, or floats and
    arrays where ``f`` is annotated with ``Var`` (``tp.grad(tp.sin)(1.0)``; a function
    ``f(x: tp.Var) -> tp.Var`` called through ``tp.jacfwd`` with an ndarray), and returns
    ``R``, the transform's result."""

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...
    @overload
    def __call__(self, *args: In, **kwargs: Any) -> R: ...


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


def _record(
    f: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    nums: tuple[int, ...],
    persistent: bool,
) -> tuple[Tape, list[Any], Any]:
    """Record ``f`` once on a new tape, the arguments ``nums`` lifted to leaf Vars."""
    lifted = [_lift(a) if i in nums else a for i, a in enumerate(args)]
    with Tape(persistent=persistent) as t:
        out = f(*lifted, **kwargs)
    return t, lifted, out


def _on_tape(y: Any, t: Tape) -> bool:
    """Whether ``t`` can differentiate ``y``: a Var recorded on it, or a Var with no history
    (an input handed back unchanged, or a constant Var), which ``Tape.gradient`` takes as a
    leaf. A Var of another tape (captured from outside ``f``) is a constant here."""
    return isinstance(y, Var) and (y._tape is t or y._tape is None)


def _constant_output(y: Any, t: Tape, what: str) -> None:
    """``y`` is not on the tape: fine for a constant, a TypeError when a value of the inputs
    left the tape for Python on the way (its derivative would be lost without a word)."""
    if isinstance(y, Var | Dual):
        return  # a Var of another tape, or a dual number of an outer jvp: a constant here
    escaped = t._escaped()
    if escaped is None:
        return
    raise TypeError(
        f"{what}: the function returned a plain {type(y).__name__}, not a Var, after a value "
        f"left the tape for Python ({escaped}): through float(), int(), .item() or a math.* "
        "function, so its derivative would be lost. Keep the computation on Vars (tp.* "
        "functions, Var methods, np.* calls on Vars: tp.exp(x), not math.exp(x))."
    )


def _zero_like(v: Any) -> Any:
    """The zero derivative with respect to ``v``: a float or an array of its dtype (a Var
    with no history when an outer tape is active, as ``Tape.gradient`` gives)."""
    pv = _plain(v) if isinstance(v, Var | Dual) else as_value(v)
    z: Any = np.zeros_like(pv) if isinstance(pv, np.ndarray) else 0.0
    if any(t._state == "active" for t in _STACK.get()):
        return _constant_var(z)
    return z


def _gradients(t: Tape, y: Any, sources: Sequence[Var], seed: Any, what: str) -> list[Any]:
    """∂y/∂source (times ``seed``) for each source: one sweep of ``t``."""
    if _on_tape(y, t):
        return t.gradient(y, list(sources), output_gradient=seed)
    _constant_output(y, t, what)
    return [_zero_like(s) for s in sources]


def _value_and_grad(
    f: Callable[..., Any],
    argnums: Argnums,
    has_aux: bool,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    what: str,
) -> tuple[Any, Any, Any]:
    nums = _argnums_tuple(argnums, len(args))
    t, lifted, out = _record(f, args, kwargs, nums, persistent=False)
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"{what}(has_aux=True) needs f to return a pair (output, aux)")
        y, aux = out
    else:
        y, aux = out, None
    _check_scalar(y, what)
    grads = _gradients(t, y, [lifted[i] for i in nums], None, what)
    g = grads[0] if isinstance(argnums, int) else tuple(grads)
    return _down(y, t), g, _down(aux, t)


@overload
def grad(
    f: Callable[P, Out], argnums: int = 0, has_aux: Literal[False] = False
) -> Transformed[P, Value]: ...
@overload
def grad(
    f: Callable[P, Out], argnums: tuple[int, ...], has_aux: Literal[False] = False
) -> Transformed[P, tuple[Value, ...]]: ...
@overload
def grad(
    f: Callable[P, tuple[Out, Any]], argnums: int = 0, *, has_aux: Literal[True]
) -> Transformed[P, tuple[Value, Any]]: ...
@overload
def grad(
    f: Callable[P, tuple[Out, Any]], argnums: tuple[int, ...], has_aux: Literal[True]
) -> Transformed[P, tuple[tuple[Value, ...], Any]]: ...
def grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Any:
    """The gradient of a scalar function, by reverse mode (one tape, one sweep).

    Args:
        f: A function with a scalar output.
        argnums: Which positional argument(s) to differentiate: an int, or a tuple (then the
            gradient is a tuple).
        has_aux: ``f`` returns ``(output, aux)``; the gradient function then returns
            ``(gradient, aux)``.

    Returns:
        A function of the same arguments returning the gradient, shaped like the argument.
        (``grad(lambda x: x)(2.0) == 1.0``; the gradient of a constant is zero.)

    Raises:
        TypeError: When ``f``'s output is not a scalar (the message names its shape), or is
            a plain number after a value left the tape (``float(x)``, ``math.sin(x)``).
    """

    def grad_f(*args: Any, **kwargs: Any) -> Any:
        _, g, aux = _value_and_grad(f, argnums, has_aux, args, kwargs, "grad")
        return (g, aux) if has_aux else g

    grad_f.__doc__ = f"Gradient of {getattr(f, '__name__', 'f')} (argnums={argnums})."
    return grad_f


@overload
def value_and_grad(
    f: Callable[P, Out], argnums: int = 0, has_aux: Literal[False] = False
) -> Transformed[P, tuple[Value, Value]]: ...
@overload
def value_and_grad(
    f: Callable[P, Out], argnums: tuple[int, ...], has_aux: Literal[False] = False
) -> Transformed[P, tuple[Value, tuple[Value, ...]]]: ...
@overload
def value_and_grad(
    f: Callable[P, tuple[Out, Any]], argnums: int = 0, *, has_aux: Literal[True]
) -> Transformed[P, tuple[tuple[Value, Any], Value]]: ...
@overload
def value_and_grad(
    f: Callable[P, tuple[Out, Any]], argnums: tuple[int, ...], has_aux: Literal[True]
) -> Transformed[P, tuple[tuple[Value, Any], tuple[Value, ...]]]: ...
def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Any:
    """Like ``grad``, but the new function returns ``(value, gradient)`` from one recording
    (with ``has_aux``: ``((value, aux), gradient)``, as in JAX)."""

    def vg(*args: Any, **kwargs: Any) -> Any:
        y, g, aux = _value_and_grad(f, argnums, has_aux, args, kwargs, "value_and_grad")
        return ((y, aux), g) if has_aux else (y, g)

    return vg


def vjp(f: Callable[..., Out], *primals: In) -> tuple[Value, Callable[[Value], tuple[Value, ...]]]:
    """Record ``f`` at ``primals`` once; return its output and a function that pulls a
    cotangent back to all the inputs (a tuple, one per primal) by one reverse sweep.

    The returned function may be called any number of times (the tape is kept).

    Example:
        ``out, back = vjp(f, x); (x_bar,) = back(u)`` gives ``uᵀ ∂f/∂x``.

    Raises:
        TypeError: When ``f`` returns a plain value after a value left the tape.
    """
    nums = tuple(range(len(primals)))
    t, lifted, out = _record(f, tuple(primals), {}, nums, persistent=True)
    if not _on_tape(out, t):
        _constant_output(out, t, "vjp")
    out_shape = np.shape(_plain(out))

    def pullback(cotangent: Value) -> tuple[Value, ...]:
        if np.shape(cotangent) != out_shape:
            raise ValueError(
                f"vjp: the cotangent has shape {np.shape(cotangent)}, the output {out_shape}"
            )
        return tuple(_gradients(t, out, lifted, cotangent, "vjp"))

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
    f: Callable[..., Any],
    primals: Sequence[Any],
    tangents: Sequence[Any | None],
    kwargs: dict[str, Any] | None = None,
) -> tuple[Any, Any, int]:
    level = next(_LEVELS)
    args = [
        p if t is None else make_dual(p if isinstance(p, Var | Dual) else as_value(p), t, level)
        for p, t in zip(primals, tangents, strict=True)
    ]
    out = f(*args, **(kwargs or {}))
    escaped = pop_escape(level)
    if isinstance(out, Dual) and out._level == level:
        return out._primal, out._tangent, level
    if escaped is not None and not isinstance(out, Var | Dual):
        raise TypeError(
            f"forward mode: the function returned a plain {type(out).__name__}, not a Dual, "
            f"after a value left forward mode for Python ({escaped}): through float(), "
            "int(), .item() or a math.* function, so its derivative would be lost. Keep the "
            "computation on tape values (tp.exp(x), not math.exp(x))."
        )
    return out, None, level


def jvp(
    f: Callable[..., Out], primals: Sequence[In], tangents: Sequence[In]
) -> tuple[Value, Value]:
    """Forward mode: ``f(*primals)`` and its directional derivative along ``tangents``, from
    one pass of dual numbers.

    A tangent may carry a leading batch axis of k directions (shape ``(k,) + primal.shape``):
    the output tangent then has shape ``(k,) + out.shape``.

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


def _jacobian_from_tangent(t: Any, out_shape: tuple[int, ...], shape: tuple[int, ...]) -> Any:
    """The output tangent of all ``x.size`` directions, (n,) + out_shape, as the Jacobian
    out_shape + x.shape."""
    if t is None or isinstance(t, float | np.ndarray):
        return jacobian_from_tangent(t, out_shape, shape)
    n = math.prod(shape)
    if ops._shape_of(t) != (n, *out_shape):
        t = ops.broadcast_to(t, (n, *out_shape))
    moved = ops.transpose(ops.reshape(t, (n, math.prod(out_shape))))
    return ops.reshape(moved, out_shape + shape)


def _jacfwd_one(
    f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], i: int
) -> Any:
    basis, shape = _basis(args[i])
    tangents: list[Any] = [None] * len(args)
    tangents[i] = basis
    out, t, _ = _forward_pass(f, args, tangents, kwargs)
    return _jacobian_from_tangent(t, np.shape(_plain(out)), shape)


@overload
def jacfwd(f: Callable[P, Out], argnums: int = 0) -> Transformed[P, Array]: ...
@overload
def jacfwd(f: Callable[P, Out], argnums: tuple[int, ...]) -> Transformed[P, tuple[Array, ...]]: ...
def jacfwd(f: Callable[..., Any], argnums: Argnums = 0) -> Any:
    """The Jacobian by forward mode in ONE pass: vector-mode dual numbers carry all
    ``x.size`` directions at once. Shape ``out.shape + x.shape``. Cheap when x is small."""

    def jac(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args))
        js = tuple(_jacfwd_one(f, args, kwargs, i) for i in nums)
        return js[0] if isinstance(argnums, int) else js

    return jac


def _jacobians_by_sweeps(
    t: Tape, lifted: list[Any], out: Any, nums: tuple[int, ...], what: str
) -> list[Any]:
    """∂out/∂lifted[i] for each i in ``nums``, by reverse sweeps over the recording ``t``."""
    out_shape = np.shape(_plain(out))
    if not _on_tape(out, t):
        _constant_output(out, t, what)
        return [np.zeros(out_shape + np.shape(_plain(lifted[i]))) for i in nums]
    return [_rows_by_sweeps(t, out, lifted[i], out_shape) for i in nums]


@overload
def jacrev(f: Callable[P, Out], argnums: int = 0) -> Transformed[P, Array]: ...
@overload
def jacrev(f: Callable[P, Out], argnums: tuple[int, ...]) -> Transformed[P, tuple[Array, ...]]: ...
def jacrev(f: Callable[..., Any], argnums: Argnums = 0) -> Any:
    """The Jacobian by reverse mode: ``f`` is recorded once and the tape is swept back from
    all output elements at once (a batched sweep). Shape ``out.shape + x.shape``. Cheap when
    the output is small."""

    def jac(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args))
        t, lifted, out = _record(f, args, kwargs, nums, persistent=True)
        js = _jacobians_by_sweeps(t, lifted, out, nums, "jacrev")
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

    flat = ops.stack([ops.reshape(r, (-1,)) for r in rows])
    return ops.reshape(flat, out_shape + src_shape)


def _jacobians_by_forward_sweep(
    t: Tape, lifted: list[Any], out: Any, nums: tuple[int, ...], what: str
) -> list[Any]:
    """∂out/∂lifted[i] for each i in ``nums`` by forward mode over the recording ``t``: one
    pass over its records per argument, pushing all the argument's ``x.size`` directions
    through the rows' JVP rules (vector mode), without calling ``f`` again."""
    out_shape = np.shape(_plain(out))
    if not _on_tape(out, t):
        _constant_output(out, t, what)
        return [np.zeros(out_shape + np.shape(_plain(lifted[i]))) for i in nums]
    tslot = t._slot_of(out)
    js = []
    for i in nums:
        src = lifted[i]
        basis, shape = _basis(src)
        if out is src:  # handed back unchanged: the identity
            js.append(np.eye(basis.shape[0], dtype=basis.dtype).reshape(out_shape + shape))
            continue
        sslot = t._slot_of(src)
        if tslot < 0 or sslot < 0 or sslot > tslot:
            js.append(np.zeros(out_shape + shape))
            continue
        tan = forward_sweep(t._records, {sslot: basis}, upto=tslot)
        js.append(_jacobian_from_tangent(tan[tslot], out_shape, shape))
    return js


@overload
def jacobian(
    f: Callable[P, Out], argnums: int = 0, mode: Literal["auto", "fwd", "rev"] = "auto"
) -> Transformed[P, Array]: ...
@overload
def jacobian(
    f: Callable[P, Out], argnums: tuple[int, ...], mode: Literal["auto", "fwd", "rev"] = "auto"
) -> Transformed[P, tuple[Array, ...]]: ...
def jacobian(
    f: Callable[..., Any], argnums: Argnums = 0, mode: Literal["auto", "fwd", "rev"] = "auto"
) -> Any:
    """The Jacobian, by forward mode when the input is smaller than the output and by
    reverse mode otherwise (``mode="fwd"`` or ``"rev"`` forces one).

    ``mode="auto"`` calls ``f`` once: it records ``f`` on a tape, which tells the output's
    size, and then either sweeps that tape backwards (``jacrev``'s batched sweep) or pushes
    the input's directions forwards over the same records (vector-mode forward).
    ``"fwd"`` is ``jacfwd`` (dual numbers through ``f``), ``"rev"`` is ``jacrev``.
    """
    if mode not in ("auto", "fwd", "rev"):
        raise ValueError(f'jacobian: mode must be "auto", "fwd" or "rev", not {mode!r}')
    if mode == "fwd":
        return jacfwd(f, argnums)
    if mode == "rev":
        return jacrev(f, argnums)

    def jac(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args))
        t, lifted, out = _record(f, args, kwargs, nums, persistent=True)
        n_in = sum(np.size(_plain(lifted[i])) for i in nums)
        n_out = np.size(_plain(out))
        by = _jacobians_by_forward_sweep if n_in < n_out else _jacobians_by_sweeps
        js = by(t, lifted, out, nums, "jacobian")
        return js[0] if isinstance(argnums, int) else tuple(js)

    return jac


@overload
def hessian(f: Callable[P, Out], argnums: int = 0) -> Transformed[P, Array]: ...
@overload
def hessian(
    f: Callable[P, Out], argnums: tuple[int, ...]
) -> Transformed[P, tuple[tuple[Array, ...], ...]]: ...
def hessian(f: Callable[..., Any], argnums: Argnums = 0) -> Any:
    """The Hessian of a scalar function, forward over reverse: vector-mode dual numbers
    flow through one tape's reverse sweep. Shape ``x.shape + x.shape``."""
    if isinstance(argnums, int):
        return jacfwd(grad(f, argnums), argnums)

    def hess(*args: Any, **kwargs: Any) -> Any:
        rows = []
        for i in argnums:
            gi = grad(f, i)
            rows.append(jacfwd(gi, argnums)(*args, **kwargs))
        return tuple(rows)

    return hess


@overload
def hvp(
    f: Callable[..., Out],
    primals: tuple[In, ...] | list[In],
    tangents: tuple[In, ...] | list[In],
) -> tuple[Value, ...]: ...
@overload
def hvp(f: Callable[..., Out], primals: In, tangents: In) -> Value: ...
def hvp(f: Callable[..., Out], primals: Any, tangents: Any) -> Any:
    """The Hessian-vector product H·v of a scalar function, forward over reverse: one
    recording, one sweep with dual numbers, never forming H.

    Like ``jvp``, ``primals`` and ``tangents`` are tuples (or lists), one entry per
    argument of ``f``; the result is then a tuple, one H·v block row per argument:
    ``(H₁₁v₁ + H₁₂v₂ + ..., H₂₁v₁ + H₂₂v₂ + ..., ...)``. For a function of one argument
    ``hvp(f, x, v)`` (no tuples) returns H·v itself.
    """
    several = isinstance(primals, tuple | list)
    if several != isinstance(tangents, tuple | list):
        raise TypeError(
            "hvp: pass primals and tangents both as tuples (one entry per argument of f), "
            "or both as single values"
        )
    ps = tuple(primals) if several else (primals,)
    vs = tuple(tangents) if several else (tangents,)
    if len(ps) != len(vs):
        raise ValueError(f"hvp: {len(ps)} primals but {len(vs)} tangents")
    ts = [_tangent_for(p, v) for p, v in zip(ps, vs, strict=True)]
    _, tangent, _ = _forward_pass(_joined_gradient(f, len(ps)), ps, ts)
    hv = _split(tangent, ps, ts)
    return hv if several else hv[0]


def _joined_gradient(f: Callable[..., Any], n: int) -> Callable[..., Any]:
    """x ↦ ∇f(x) for all ``n`` arguments, flattened and joined into one vector when n > 1
    (so that one forward pass carries the tangent of every argument's gradient)."""
    nums = tuple(range(n))

    def joined(*args: Any) -> Any:

        gs = grad(f, nums)(*args)
        if n == 1:
            return gs[0]
        return ops.concatenate([ops.reshape(g, (-1,)) for g in gs])

    return joined


def _split(tangent: Any, primals: tuple[Any, ...], tangents: list[Any]) -> tuple[Any, ...]:
    """The joined gradient's tangent cut back into one piece per argument, each of the
    shape of its tangent (zeros where nothing came through)."""
    shapes = [np.shape(_plain(t)) for t in tangents]
    if tangent is None:
        return tuple(
            0.0 if s == () else np.zeros(s, dtype=_plain_dtype(p))
            for s, p in zip(shapes, primals, strict=True)
        )
    if len(primals) == 1:
        return (tangent,)

    pieces = []
    start = 0
    for s, p in zip(shapes, primals, strict=True):
        size = math.prod(np.shape(_plain(p)))
        piece = tangent[(Ellipsis, slice(start, start + size))]
        start += size
        if isinstance(piece, np.ndarray):
            pieces.append(float(piece[0]) if s == () else piece.reshape(s))
        else:
            pieces.append(ops.reshape(piece, s))
    return tuple(pieces)


def _plain_dtype(v: Any) -> Any:
    pv = _plain(v) if isinstance(v, Var | Dual) else as_value(v)
    return pv.dtype if isinstance(pv, np.ndarray) else np.float64


__all__ = [
    "Transformed",
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
