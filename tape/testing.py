"""Checking derivatives numerically: central finite differences against both modes.

``check_grads`` is the reference every primitive, transform and example is tested with:
the tape's reverse-mode gradient and the dual numbers' forward-mode directional derivative
are each compared with central differences, element by element, and (with ``order=2``)
the same is done again for the gradient function itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ._primitive import Array, Value
from ._tape import Tape, _plain
from ._var import Var


def _call_plain(f: Callable[..., Any], xs: Sequence[Array], was_float: Sequence[bool]) -> Array:
    args = [Var(float(x) if fl else x) for x, fl in zip(xs, was_float, strict=True)]
    out = f(*args)
    return np.asarray(_plain(out), dtype=np.float64)


def numerical_jacobian(
    f: Callable[..., Any], args: Sequence[Value], argnum: int = 0, eps: float = 1e-6
) -> Array:
    """∂f/∂args[argnum] by central differences in float64, of shape ``out.shape + arg.shape``.

    ``f`` is called with Vars (outside any tape) and may return a Var or a plain value.
    """
    was_float = [np.ndim(a) == 0 and not isinstance(a, np.ndarray) for a in args]
    xs = [np.array(a, dtype=np.float64) for a in args]
    base = _call_plain(f, xs, was_float)
    x = xs[argnum]
    jac = np.zeros(base.shape + x.shape)
    for i in np.ndindex(x.shape):
        up = [a.copy() for a in xs]
        down = [a.copy() for a in xs]
        up[argnum][i] += eps
        down[argnum][i] -= eps
        diff = (_call_plain(f, up, was_float) - _call_plain(f, down, was_float)) / (2 * eps)
        jac[(Ellipsis, *i)] = diff
    return jac


def _compare(what: str, got: npt.ArrayLike, want: npt.ArrayLike, rtol: float, atol: float) -> None:
    g = np.asarray(got, dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    if g.shape != w.shape:
        raise AssertionError(f"{what}: shape {g.shape}, but finite differences give {w.shape}")
    err = np.abs(g - w) - (atol + rtol * np.abs(w))
    bad = np.isnan(err) | (err > 0)
    if np.any(bad):
        i = np.unravel_index(int(np.argmax(np.where(np.isnan(err), np.inf, err))), err.shape)
        raise AssertionError(
            f"{what} disagrees with central finite differences at index "
            f"{tuple(int(j) for j in i)}: {g[i]!r} vs numerical {w[i]!r} "
            f"(rtol={rtol}, atol={atol})"
        )


def check_grads(
    f: Callable[..., Any],
    args: Sequence[Value],
    *,
    order: int = 1,
    modes: Sequence[str] = ("fwd", "rev"),
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    seed: int = 0,
) -> None:
    """Compare ``f``'s derivatives at ``args`` in both modes with central finite differences.

    - ``"rev"``: the tape's gradient of ⟨u, f⟩ (u a fixed random cotangent) against
      numerical partial derivatives, element by element, for every argument.
    - ``"fwd"``: the dual numbers' J·v (v a fixed random direction) against the numerical
      directional derivative (f(x + εv) − f(x − εv)) / 2ε, element by element.
    - ``order=2``: the same again for the gradient function x ↦ ∇⟨u, f⟩(x), which exercises
      reverse-over-reverse ("rev") and forward-over-reverse ("fwd").

    Args:
        f: A function of Vars/Duals (written with tp.* functions, Var methods or NumPy calls).
        args: The point: floats or arrays, one per positional argument of ``f``.
        order: 1 or 2.
        modes: Any of ``"fwd"`` and ``"rev"``.
        eps: The finite-difference step.
        rtol, atol: Tolerances, as in ``np.allclose``.
        seed: Seed of the random u and v.

    Raises:
        AssertionError: Naming the mode, the argument, the worst element and both values.
    """
    from .transforms import grad, jvp

    for m in modes:
        if m not in ("fwd", "rev"):
            raise ValueError(f'check_grads: modes are "fwd" and "rev", not {m!r}')
    if order not in (1, 2):
        raise ValueError(f"check_grads: order must be 1 or 2, not {order}")
    was_float = [np.ndim(a) == 0 and not isinstance(a, np.ndarray) for a in args]
    xs = [np.array(a, dtype=np.float64) for a in args]
    point: list[Value] = [float(x) if fl else x for x, fl in zip(xs, was_float, strict=True)]
    rng = np.random.default_rng(seed)
    out_shape = _call_plain(f, xs, was_float).shape
    u = rng.standard_normal(out_shape)
    vs = [rng.standard_normal(x.shape) for x in xs]

    def contracted(*a: Any) -> Any:
        out = f(*a)
        return out * u if out_shape == () else (out * u).sum()

    if "rev" in modes:
        variables = [Var(p) for p in point]
        with Tape() as t:
            y = contracted(*variables)
        grads: list[Value]
        if isinstance(y, Var):
            grads = t.gradient(y, variables)
        else:  # the output does not depend on the arguments: the gradient is zero
            grads = [np.zeros_like(x) for x in xs]
        for k in range(len(xs)):
            num = numerical_jacobian(contracted, point, argnum=k, eps=eps)
            _compare(f"reverse-mode gradient of argument {k}", grads[k], num, rtol, atol)
    if "fwd" in modes:
        tangents: list[Value] = [float(v) if fl else v for v, fl in zip(vs, was_float, strict=True)]
        _, jv = jvp(f, point, tangents)
        up = [x + eps * v for x, v in zip(xs, vs, strict=True)]
        down = [x - eps * v for x, v in zip(xs, vs, strict=True)]
        num_dir = (_call_plain(f, up, was_float) - _call_plain(f, down, was_float)) / (2 * eps)
        _compare("forward-mode J·v", jv, num_dir, rtol, atol)
    if order == 2:
        nums = tuple(range(len(xs)))

        def gradient_of_f(*a: Any) -> Any:
            from ._primitives import concatenate, reshape

            gs = grad(contracted, nums)(*a)
            return concatenate([reshape(g, (-1,)) for g in gs])

        check_grads(
            gradient_of_f, point, order=1, modes=modes, eps=eps, rtol=rtol, atol=atol, seed=seed
        )


__all__ = ["check_grads", "numerical_jacobian"]
