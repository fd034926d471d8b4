"""Checking derivatives numerically: central finite differences against the tape."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ._primitive import Array, Value
from ._tape import Tape
from ._var import Var


def _as_f64(v: npt.ArrayLike) -> Array:
    arr = np.array(v, dtype=np.float64)
    return arr


def _call_plain(f: Callable[..., Any], xs: Sequence[Array], was_float: Sequence[bool]) -> Array:
    args = [Var(float(x) if fl else x) for x, fl in zip(xs, was_float, strict=True)]
    out = f(*args)
    return np.asarray(out.value if isinstance(out, Var) else out, dtype=np.float64)


def numerical_jacobian(
    f: Callable[..., Any], args: Sequence[Value], argnum: int = 0, eps: float = 1e-6
) -> Array:
    """∂f/∂args[argnum] by central differences, of shape ``out.shape + arg.shape``.

    ``f`` is called with Vars (outside any tape) and may return a Var or a plain value.
    """
    was_float = [isinstance(a, float | int) for a in args]
    xs = [_as_f64(a) for a in args]
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


def check_grads(
    f: Callable[..., Any],
    args: Sequence[Value],
    *,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    seed: int = 0,
) -> None:
    """Compare the tape's gradient of ``f`` at ``args`` with central finite differences.

    A non-scalar output is contracted with a fixed random vector u first (so this checks
    the vector-Jacobian product uᵀJ). Arguments are promoted to float64.

    Args:
        f: A function of Vars (written with tp.* functions, Var methods or NumPy calls).
        args: The point: floats or arrays, one per argument of ``f``.
        eps: The finite-difference step.
        rtol, atol: Tolerances, as in ``np.allclose``.
        seed: Seed of the random contraction vector.

    Raises:
        AssertionError: Naming the argument, the worst element and both values.
    """
    was_float = [isinstance(a, float | int) for a in args]
    xs = [_as_f64(a) for a in args]
    out_shape = _call_plain(f, xs, was_float).shape
    u = np.random.default_rng(seed).standard_normal(out_shape)

    def scalar_f(*vs: Any) -> Any:
        out = f(*vs)
        return out * u if out_shape == () else (out * u).sum()

    variables = [Var(float(x) if fl else x) for x, fl in zip(xs, was_float, strict=True)]
    with Tape() as t:
        y = scalar_f(*variables)
    if not isinstance(y, Var):
        raise AssertionError("f does not depend on its arguments (no Var came out)")
    grads = t.gradient(y, variables)
    for k in range(len(xs)):
        num = numerical_jacobian(scalar_f, [x.copy() for x in xs], argnum=k, eps=eps)
        got = np.asarray(grads[k], dtype=np.float64)
        if got.shape != num.shape:
            raise AssertionError(f"argument {k}: gradient shape {got.shape} != {num.shape}")
        err = np.abs(got - num) - (atol + rtol * np.abs(num))
        if np.any(err > 0) or not np.all(np.isfinite(got) == np.isfinite(num)):
            i = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
            raise AssertionError(
                f"argument {k}: the tape's gradient and finite differences disagree at index "
                f"{tuple(int(j) for j in i)}: tape {got[i]!r}, numerical {num[i]!r} "
                f"(rtol={rtol}, atol={atol})"
            )


__all__ = ["check_grads", "numerical_jacobian"]
