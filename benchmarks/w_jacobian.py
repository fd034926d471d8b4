"""W7: the Jacobian of f(x) = tanh(W @ x), x ∈ Rⁿ, f(x) ∈ Rᵐ, by forward and reverse mode.

Each row also counts how many times the library called f for one Jacobian (the ``f calls``
column): forward mode in vector mode should need one pass whatever n is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import peers
from harness import FLOOR, JIT, PEER, TAPE, Contender, Table, check_gradients, measure, missing

import tape as tp

CASES = ((1, 1000), (1000, 1), (100, 100), (1000, 1000))


def _counted(f: Callable[[Any], Any]) -> tuple[Callable[[Any], Any], list[int]]:
    calls = [0]

    def g(x: Any) -> Any:
        calls[0] += 1
        return f(x)

    return g, calls


def _contenders(W: np.ndarray, x: np.ndarray) -> tuple[list[Contender], dict[str, list[int]]]:
    counts: dict[str, list[int]] = {}

    def floor() -> np.ndarray:
        t = np.tanh(W @ x)
        return (1.0 - t * t)[:, None] * W

    cs = [Contender("numpy (floor)", FLOOR, floor, lambda: [floor()])]

    f_tp, counts["tape jacfwd"] = _counted(lambda v: tp.tanh(W @ v))
    jf = tp.jacfwd(f_tp)
    cs.append(Contender("tape jacfwd", TAPE, lambda: jf(x), lambda: [jf(x)]))
    f_tp2, counts["tape jacrev"] = _counted(lambda v: tp.tanh(W @ v))
    jr = tp.jacrev(f_tp2)
    cs.append(Contender("tape jacrev", TAPE, lambda: jr(x), lambda: [jr(x)]))

    torch = peers.load("torch")
    if torch is not None:
        Wt, xt = torch.from_numpy(W), torch.from_numpy(x)
        for mode in ("jacfwd", "jacrev"):
            name = f"torch.func.{mode}"
            ft, counts[name] = _counted(lambda v: torch.tanh(Wt @ v))
            jt = getattr(torch.func, mode)(ft)

            def run(jt: Callable[[Any], Any] = jt) -> Any:
                return jt(xt).numpy()

            cs.append(Contender(name, PEER, run, lambda run=run: [run()]))
    else:
        why = peers.why_missing("torch")
        cs += [missing("torch.func.jacfwd", PEER, why), missing("torch.func.jacrev", PEER, why)]

    ag = peers.load("autograd")
    if ag is not None:
        import autograd.numpy as anp

        fa, counts["autograd.jacobian"] = _counted(lambda v: anp.tanh(anp.dot(W, v)))
        ja = ag.jacobian(fa)
        cs.append(Contender("autograd.jacobian", PEER, lambda: ja(x), lambda: [ja(x)]))
    else:
        cs.append(missing("autograd.jacobian", PEER, peers.why_missing("autograd")))

    jax = peers.load("jax")
    if jax is not None:
        jnp = jax.numpy
        Wj, xj = jnp.asarray(W), jnp.asarray(x)
        for mode in ("jacfwd", "jacrev"):
            for jit in (False, True):
                name = f"jax {mode} ({'jit' if jit else 'eager'})"
                fj, counts[name] = _counted(lambda v: jnp.tanh(Wj @ v))
                jj = getattr(jax, mode)(fj)
                if jit:
                    jj = jax.jit(jj)

                def runj(jj: Callable[[Any], Any] = jj) -> Any:
                    return np.asarray(jax.block_until_ready(jj(xj)))

                cs.append(Contender(name, JIT if jit else PEER, runj, lambda runj=runj: [runj()]))
    else:
        why = peers.why_missing("jax")
        for mode in ("jacfwd", "jacrev"):
            cs.append(missing(f"jax {mode} (eager)", PEER, why))
            cs.append(missing(f"jax {mode} (jit)", JIT, why))
    return cs, counts


def run_w7(repeats_for: Callable[[int, int], int]) -> list[Table]:
    tables = []
    for n, m in CASES:
        rng = np.random.default_rng(7 + n + m)
        W = rng.standard_normal((m, n)) / np.sqrt(n)
        x = rng.standard_normal(n)
        cs, counts = _contenders(W, x)
        check_gradients(f"W7 (n, m) = ({n}, {m})", cs)
        for c in cs:  # count the calls of f in one more Jacobian (jit: already compiled)
            if c.ok and c.name in counts and c.step is not None:
                counts[c.name][0] = 0
                c.step()
                k = counts[c.name][0]
                c.extra["f calls"] = "0 (compiled)" if "(jit)" in c.name and k == 0 else str(k)
        measure(cs, repeats_for(n, m), warmup=1, min_sample=0.02)
        tables.append(
            Table(
                f"W7 ({n}, {m})",
                f"Jacobian of tanh(W @ x), n = {n} inputs, m = {m} outputs ({m}×{n})",
                "ms",
                1e-3,
                cs,
                extra_cols=["f calls"],
            )
        )
    tables[-1].notes.append(
        "`f calls`: calls of the Python function in one Jacobian (jit rows were compiled "
        "before). The tape and torch.func rows give each mode; in practice one picks the "
        "cheaper mode for the shape."
    )
    return tables
