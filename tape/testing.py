"""Checking derivatives numerically: central finite differences against both modes.

``check_grads`` is the reference every primitive, transform and example is tested with.
For small problems it compares the whole Jacobian, computed by forward mode (``jacfwd``:
vector-mode dual numbers) and by reverse mode (``jacrev``: the batched reverse sweep), with
the Jacobian of central differences, element by element. For large ones (more than
``max_full`` entries) it compares random projections instead, two at a time so that the
batched paths are exercised too. With ``order=2`` the same is done again for the gradient
function itself (forward over reverse, and reverse over reverse).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ._core import _plain
from ._rows import Array, Value
from ._table import concatenate, reshape, stack
from ._var import Var
from .transforms import grad, jacfwd, jacrev, jvp

MAX_FULL = 1024
"""``check_grads`` compares whole Jacobians while (total input size) × (output size) is at
most this; above it, random projections."""

_PROJECTIONS = 2  # random directions (fwd) and cotangents (rev) per projected check


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


def _num(v: Any) -> str:
    """A plain number as Python prints a float (not ``np.float64(...)``)."""
    return repr(float(v))


def _compare(
    what: str,
    got: npt.ArrayLike,
    want: npt.ArrayLike,
    rtol: float,
    atol: float,
    element: Callable[[tuple[int, ...]], str] | None = None,
) -> None:
    """Raise an AssertionError naming the worst element when ``got`` and ``want`` differ.

    ``what`` says what was compared; ``element`` describes an index of it (what the entry
    is the derivative of, and by what).
    """
    g = np.asarray(_plain(got), dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    if g.shape != w.shape:
        raise AssertionError(
            f"{what}: got shape {g.shape}, but central finite differences give {w.shape}"
        )
    err = np.abs(g - w) - (atol + rtol * np.abs(w))
    bad = np.isnan(err) | (err > 0)
    if not np.any(bad):
        return
    i = tuple(
        int(j)
        for j in np.unravel_index(int(np.argmax(np.where(np.isnan(err), np.inf, err))), err.shape)
    )
    where = f" = {element(i)}" if element is not None else ""
    n_bad = int(np.count_nonzero(bad))
    raise AssertionError(
        f"{what} disagrees with central finite differences at index {i}{where}: "
        f"got {_num(g[i])}, numerical {_num(w[i])} (difference {_num(abs(g[i] - w[i]))}; "
        f"allowed atol + rtol·|numerical| with rtol={_num(rtol)}, atol={_num(atol)}); "
        f"{n_bad} of {g.size} element(s) disagree"
    )


def _index(i: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(j) for j in i) + "]"


def _jacobian_element(
    out_ndim: int, k: int, out_name: str = "out"
) -> Callable[[tuple[int, ...]], str]:
    def describe(i: tuple[int, ...]) -> str:
        o, a = i[:out_ndim], i[out_ndim:]
        return f"∂{out_name}{_index(o) if o else ''}/∂x{k}{_index(a) if a else ''}"

    return describe


def _projection_element(k: int, out_name: str) -> Callable[[tuple[int, ...]], str]:
    def describe(i: tuple[int, ...]) -> str:
        a = i[1:]
        return f"∂⟨u{i[0]}, {out_name}⟩/∂x{k}{_index(a) if a else ''}"

    return describe


def _direction_element(j: int, out_name: str) -> Callable[[tuple[int, ...]], str]:
    def describe(i: tuple[int, ...]) -> str:
        return f"(J·v{j}){_index(i) if i else ''} of {out_name}"

    return describe


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
    max_full: int = MAX_FULL,
) -> None:
    """Compare ``f``'s derivatives at ``args`` in both modes with central finite differences.

    Small problems ((total input size) × (output size) ≤ ``max_full``), every entry of the
    Jacobian ∂f/∂xₖ of every argument k:

    - ``"fwd"``: ``jacfwd`` (one pass of vector-mode dual numbers) against the numerical
      Jacobian;
    - ``"rev"``: ``jacrev`` (one recording, the batched reverse sweep) against it.

    Larger problems, random projections (seeded), two at a time so that the batched paths
    run too:

    - ``"fwd"``: J·v for two random directions v (one ``jvp`` with a batch of two tangents)
      against the numerical directional derivatives (f(x + εv) − f(x − εv)) / 2ε;
    - ``"rev"``: the Jacobian of (⟨u₁, f⟩, ⟨u₂, f⟩) for two random cotangents u (``jacrev``)
      against its numerical Jacobian.

    ``order=2`` then does the same for the gradient function x ↦ ∇⟨u, f⟩(x) (u = 1 for a
    scalar f; all arguments' gradients flattened and joined), which exercises forward over
    reverse ("fwd") and reverse over reverse ("rev").

    Args:
        f: A function of Vars/Duals (written with tp.* functions, Var methods or NumPy calls).
        args: The point: floats or arrays, one per positional argument of ``f``.
        order: 1 or 2.
        modes: Any of ``"fwd"`` and ``"rev"``.
        eps: The finite-difference step.
        rtol, atol: Tolerances, as in ``np.allclose``.
        seed: Seed of the random projections.
        max_full: The largest (total input size) × (output size) checked entry by entry.

    Raises:
        AssertionError: Naming the order, the mode, the argument, the element of the
            Jacobian that disagrees most, both values and the tolerances.
    """
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
    tol = {"eps": eps, "rtol": rtol, "atol": atol}
    _check_first_order(f, point, xs, was_float, out_shape, modes, max_full, rng, "", **tol)
    if order == 2:
        u = rng.standard_normal(out_shape)
        nums = tuple(range(len(xs)))

        def contracted(*a: Any) -> Any:
            out = f(*a)
            return out if out_shape == () else (out * u).sum()

        def gradient_of_f(*a: Any) -> Any:
            gs = grad(contracted, nums)(*a)
            return concatenate([reshape(g, (-1,)) for g in gs])

        grad_shape = (sum(x.size for x in xs),)
        what = "order 2, of the gradient " + ("∇f" if out_shape == () else "∇⟨u, f⟩ (u random)")
        what += " (every argument's, flattened and joined): "
        _check_first_order(
            gradient_of_f, point, xs, was_float, grad_shape, modes, max_full, rng, what, **tol
        )


def _check_first_order(
    f: Callable[..., Any],
    point: Sequence[Value],
    xs: Sequence[Array],
    was_float: Sequence[bool],
    out_shape: tuple[int, ...],
    modes: Sequence[str],
    max_full: int,
    rng: np.random.Generator,
    prefix: str,
    *,
    eps: float,
    rtol: float,
    atol: float,
) -> None:
    nums = tuple(range(len(xs)))
    n_in = sum(x.size for x in xs)
    n_out = math.prod(out_shape)
    out_name = "∇" if prefix else "out"
    if n_in * n_out <= max_full:
        numeric = [numerical_jacobian(f, point, argnum=k, eps=eps) for k in nums]
        for m in modes:
            if m == "fwd":
                got = jacfwd(f, nums)(*point)
                how = "forward-mode Jacobian (jacfwd: vector-mode dual numbers)"
            else:
                got = jacrev(f, nums)(*point)
                how = "reverse-mode Jacobian (jacrev: batched reverse sweep)"
            for k in nums:
                _compare(
                    f"{prefix}{how} of argument {k}",
                    got[k],
                    numeric[k],
                    rtol,
                    atol,
                    _jacobian_element(len(out_shape), k, out_name),
                )
        return
    p = _PROJECTIONS
    if "rev" in modes:
        us = rng.standard_normal((p, *out_shape))

        def projected(*a: Any) -> Any:
            out = f(*a)
            return stack([(out * u).sum() if out_shape else out * u for u in us])

        got = jacrev(projected, nums)(*point)
        for k in nums:
            _compare(
                f"{prefix}reverse-mode gradients (jacrev) of {p} random projections "
                f"⟨uᵢ, {out_name}⟩ by argument {k}",
                got[k],
                numerical_jacobian(projected, point, argnum=k, eps=eps),
                rtol,
                atol,
                _projection_element(k, out_name),
            )
    if "fwd" in modes:
        vs = [rng.standard_normal((p, *x.shape)) for x in xs]
        _, jv = jvp(f, point, vs)
        jv_plain = np.broadcast_to(np.asarray(_plain(jv)), (p, *out_shape))
        for j in range(p):
            up = [x + eps * v[j] for x, v in zip(xs, vs, strict=True)]
            down = [x - eps * v[j] for x, v in zip(xs, vs, strict=True)]
            num_dir = (_call_plain(f, up, was_float) - _call_plain(f, down, was_float)) / (2 * eps)
            _compare(
                f"{prefix}forward-mode J·v{j} (jvp of {p} random directions vᵢ at once)",
                jv_plain[j],
                num_dir,
                rtol,
                atol,
                _direction_element(j, out_name),
            )


__all__ = ["check_grads", "numerical_jacobian"]
