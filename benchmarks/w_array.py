"""W4: sum(tanh(A @ B)) for 2048 × 2048 float64, gradient with respect to A and B (BLAS-bound).
W6: per-operation overhead, 1,000 elementwise operations on a 10-element array (overhead-bound).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import peers
from harness import FLOOR, JIT, PEER, TAPE, Contender, Table, check_gradients, measure, missing

import tape as tp

# ----- W4 ----------------------------------------------------------------------------------------


def _w4_contenders(A: np.ndarray, B: np.ndarray) -> list[Contender]:
    def floor() -> list[np.ndarray]:
        T = np.tanh(A @ B)
        dC = 1.0 - T * T
        return [dC @ B.T, A.T @ dC]

    def tape_grads() -> list[Any]:
        a, b = tp.Var(A), tp.Var(B)
        with tp.Tape() as t:
            y = tp.tanh(a @ b).sum()
        return t.gradient(y, [a, b])

    cs = [
        Contender("numpy (floor)", FLOOR, floor, floor),
        Contender("tape", TAPE, tape_grads, tape_grads),
    ]
    torch = peers.load("torch")
    if torch is not None:
        At, Bt = torch.from_numpy(A), torch.from_numpy(B)

        def torch_grads() -> list[np.ndarray]:
            a, b = At.clone().requires_grad_(), Bt.clone().requires_grad_()
            torch.tanh(a @ b).sum().backward()
            return [a.grad.numpy(), b.grad.numpy()]

        cs.append(Contender("torch", PEER, torch_grads, torch_grads))
    else:
        cs.append(missing("torch", PEER, peers.why_missing("torch")))
    ag = peers.load("autograd")
    if ag is not None:
        import autograd.numpy as anp

        ag_g = ag.grad(lambda a, b: anp.sum(anp.tanh(anp.dot(a, b))), argnum=(0, 1))

        def ag_grads() -> list[np.ndarray]:
            return list(ag_g(A, B))

        cs.append(Contender("autograd", PEER, ag_grads, ag_grads))
    else:
        cs.append(missing("autograd", PEER, peers.why_missing("autograd")))
    cs.extend(_jax_pair(lambda jnp, a, b: jnp.sum(jnp.tanh(a @ b)), (A, B), argnums=(0, 1)))
    return cs


def _jax_pair(
    f: Callable[..., Any], args: tuple[np.ndarray, ...], argnums: int | tuple[int, ...]
) -> list[Contender]:
    """JAX eager and jitted gradients of ``f(jnp, *args)``."""
    jax = peers.load("jax")
    if jax is None:
        why = peers.why_missing("jax")
        return [missing("jax (eager)", PEER, why), missing("jax (jit)", JIT, why)]
    jnp = jax.numpy
    jargs = tuple(jnp.asarray(a) for a in args)
    g = jax.grad(lambda *xs: f(jnp, *xs), argnums=argnums)
    out = []
    for name, role, fn in (("jax (eager)", PEER, g), ("jax (jit)", JIT, jax.jit(g))):

        def run(fn: Callable[..., Any] = fn) -> list[np.ndarray]:
            r = jax.block_until_ready(fn(*jargs))
            return [np.asarray(x) for x in (r if isinstance(r, tuple) else (r,))]

        out.append(Contender(name, role, run, run))
    return out


def run_w4(n: int, repeats: int) -> Table:
    rng = np.random.default_rng(4)
    A = rng.standard_normal((n, n)) / np.sqrt(n)
    B = rng.standard_normal((n, n))
    cs = _w4_contenders(A, B)
    check_gradients("W4", cs)  # also the warm-up: each contender has run once
    measure(cs, repeats, warmup=0, min_sample=0.0)
    return Table(
        "W4",
        f"sum(tanh(A @ B)), A, B {n}×{n} float64, gradient with respect to both",
        "s",
        1.0,
        cs,
    )


# ----- W6 ----------------------------------------------------------------------------------------

N_OPS = 1000
C_MUL, C_ADD = 1.0001, 0.01


def run_w6(repeats: int) -> Table:
    """x ← sin(x), x ← 1.0001·x, x ← x + 0.01, x ← tanh(x), repeated: 1,000 elementwise
    operations on a 10-element array, then sum; the gradient with respect to x₀."""
    rng = np.random.default_rng(6)
    x0 = rng.standard_normal(10)
    cycles = N_OPS // 4

    def floor() -> list[np.ndarray]:
        saved = []
        x = x0
        for _ in range(cycles):
            saved.append(x)
            x = np.sin(x)
            x = x * C_MUL
            x = x + C_ADD
            x = np.tanh(x)
            saved.append(x)
        g = np.ones_like(x)
        for k in range(cycles - 1, -1, -1):
            t = saved[2 * k + 1]
            g = g * (1.0 - t * t)
            g = g * C_MUL
            g = g * np.cos(saved[2 * k])
        return [g]

    xv = tp.Var(x0)

    def tape_grads() -> list[Any]:
        with tp.Tape() as t:
            x = xv
            for _ in range(cycles):
                x = tp.sin(x)
                x = x * C_MUL
                x = x + C_ADD
                x = tp.tanh(x)
            y = x.sum()
        return [t.gradient(y, xv)]

    cs = [
        Contender("numpy (floor)", FLOOR, floor, floor),
        Contender("tape", TAPE, tape_grads, tape_grads),
    ]
    torch = peers.load("torch")
    if torch is not None:
        xt = torch.from_numpy(x0.copy())

        def torch_grads() -> list[np.ndarray]:
            x0t = xt.clone().requires_grad_()
            x = x0t
            for _ in range(cycles):
                x = torch.sin(x)
                x = x * C_MUL
                x = x + C_ADD
                x = torch.tanh(x)
            x.sum().backward()
            return [x0t.grad.numpy()]

        cs.append(Contender("torch", PEER, torch_grads, torch_grads))
    else:
        cs.append(missing("torch", PEER, peers.why_missing("torch")))

    def chain(np_: Any, x: Any) -> Any:
        for _ in range(cycles):
            x = np_.sin(x)
            x = x * C_MUL
            x = x + C_ADD
            x = np_.tanh(x)
        return np_.sum(x)

    ag = peers.load("autograd")
    if ag is not None:
        import autograd.numpy as anp

        ag_g = ag.grad(lambda x: chain(anp, x))
        cs.append(Contender("autograd", PEER, lambda: [ag_g(x0)], lambda: [ag_g(x0)]))
    else:
        cs.append(missing("autograd", PEER, peers.why_missing("autograd")))
    cs.extend(_jax_pair(chain, (x0,), argnums=0))
    check_gradients("W6", cs)
    measure(cs, repeats, warmup=2, min_sample=0.02)
    t = Table(
        "W6",
        "per-operation overhead: 1,000 elementwise ops (sin, ·c, +c, tanh) on a 10-element "
        "array, forward + backward",
        "µs/op",
        1e-6 * N_OPS,
        cs,
    )
    t.notes.append(
        "jax (jit) compiles the whole 1,000-op chain into one kernel (compiled in warm-up)."
    )
    return t
