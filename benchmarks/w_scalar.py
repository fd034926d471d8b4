"""Scalar code: W1 in micrograd's own style (lists of scalar values) and W5, the deep chain
x ← 1.0001·x + 0.1·sin(x).

The floor is hand-written Python floats with ``math``: the forward pass keeps what the
backward pass needs and the backward pass is written out by hand.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import peers
from harness import (
    FLOOR,
    JIT,
    PEER,
    TAPE,
    Contender,
    Table,
    assert_agree,
    check_gradients,
    measure,
    missing,
    skipped,
)
from w_mlp import ALPHA, W1, setup

import tape as tp

LR = 0.01

# ----- W1 scalar ---------------------------------------------------------------------------------


def _neurons(params: list[np.ndarray]) -> list[list[tuple[list[float], float]]]:
    """[layer][neuron] = (weights, bias) as Python floats, from the tensor parameters."""
    layers = []
    for k in range(0, len(params), 2):
        W, b = params[k], params[k + 1]
        layers.append([(W[:, j].tolist(), float(b[j])) for j in range(W.shape[1])])
    return layers


def floor_scalar(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Contender:
    """Micrograd's MLP by hand: Python floats forward, and the backward pass written out."""
    layers = _neurons(params)
    Xs, ys = X.tolist(), y.tolist()
    n = len(Xs)
    inv_n = 1.0 / n
    nl = len(layers)

    def value_and_grad(
        layers: list[list[tuple[list[float], float]]],
    ) -> tuple[float, list[list[list[float]]], list[list[float]]]:
        gW = [[[0.0] * len(w) for w, _ in layer] for layer in layers]
        gb = [[0.0] * len(layer) for layer in layers]
        data = 0.0
        for xrow, yi in zip(Xs, ys, strict=True):
            acts = [xrow]
            pres = []
            h = xrow
            for li, layer in enumerate(layers):
                z = [sum((wi * xi for wi, xi in zip(w, h, strict=True)), b) for w, b in layer]
                pres.append(z)
                h = z if li == nl - 1 else [v if v > 0 else 0.0 for v in z]
                acts.append(h)
            m = 1.0 - yi * h[0]
            if m <= 0:
                continue
            data += m
            dz = [-yi * inv_n]
            for li in range(nl - 1, -1, -1):
                hin = acts[li]
                layer = layers[li]
                gWl, gbl = gW[li], gb[li]
                dh = [0.0] * len(hin)
                for j, (w, _) in enumerate(layer):
                    d = dz[j]
                    if d == 0.0:
                        continue
                    gbl[j] += d
                    gw = gWl[j]
                    for k, xk in enumerate(hin):
                        gw[k] += d * xk
                        dh[k] += d * w[k]
                if li:
                    dz = [d if z > 0 else 0.0 for d, z in zip(dh, pres[li - 1], strict=True)]
        reg = 0.0
        for li, layer in enumerate(layers):
            for j, (w, b) in enumerate(layer):
                reg += b * b + sum(wi * wi for wi in w)
                gb[li][j] += 2 * ALPHA * b
                gw = gW[li][j]
                for k, wk in enumerate(w):
                    gw[k] += 2 * ALPHA * wk
        return data * inv_n + ALPHA * reg, gW, gb

    def flat_grads(gW: list[list[list[float]]], gb: list[list[float]]) -> list[np.ndarray]:
        out = []
        for li in range(nl):
            out.append(np.array(gW[li]).T)
            out.append(np.array(gb[li]))
        return out

    state = [[[(list(w), b) for w, b in layer] for layer in layers]]

    def step() -> None:
        cur = state[0]
        _, gW, gb = value_and_grad(cur)
        state[0] = [
            [
                ([wk - LR * gk for wk, gk in zip(w, gW[li][j], strict=True)], b - LR * gb[li][j])
                for j, (w, b) in enumerate(layer)
            ]
            for li, layer in enumerate(cur)
        ]

    def grads() -> list[np.ndarray]:
        _, gW, gb = value_and_grad(layers)
        return flat_grads(gW, gb)

    return Contender("python floats (floor)", FLOOR, step, grads)


def tape_scalar_loss(
    params: list[np.ndarray], X: np.ndarray, y: np.ndarray
) -> tuple[list[tp.Var], Callable[[], Any]]:
    """micrograd's demo model and loss, line for line, on scalar tp.Vars: (params, loss)."""
    layers = [[([tp.Var(v) for v in w], tp.Var(b)) for w, b in layer] for layer in _neurons(params)]
    flat: list[tp.Var] = []
    for layer in layers:
        for w, b in layer:
            flat.extend([*w, b])
    Xs, ys = X.tolist(), y.tolist()
    nl = len(layers)

    def model(x: list[Any]) -> Any:
        for li, layer in enumerate(layers):
            out = []
            for w, b in layer:
                act = sum((wi * xi for wi, xi in zip(w, x, strict=True)), b)
                out.append(act if li == nl - 1 else act.relu())
            x = out
        return x[0]

    def loss() -> Any:
        scores = [model(xrow) for xrow in Xs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in flat)
        return data_loss + reg_loss

    return flat, loss


def tape_scalar(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Contender:
    flat, loss = tape_scalar_loss(params, X, y)

    def raw_grads() -> list[Any]:
        with tp.Tape() as t:
            total = loss()
        return t.gradient(total, flat)

    def step() -> None:
        for p, g in zip(flat, raw_grads(), strict=True):
            p.value = p.value - LR * g

    def grads() -> list[np.ndarray]:
        return _unflatten(raw_grads(), params)

    return Contender("tape (scalar Vars)", TAPE, step, grads)


def _unflatten(values: list[float], params: list[np.ndarray]) -> list[np.ndarray]:
    """Neuron-major floats (w..., b per neuron, layer by layer) as [W0, b0, W1, b1, ...]."""
    out = []
    it = iter(values)
    for k in range(0, len(params), 2):
        nin, nout = params[k].shape
        W = np.empty((nin, nout))
        b = np.empty(nout)
        for j in range(nout):
            W[:, j] = [next(it) for _ in range(nin)]
            b[j] = next(it)
        out.extend([W, b])
    return out


def micrograd_scalar(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Contender:
    """micrograd's own demo step (micrograd.nn.MLP, its loss and its SGD)."""
    mg = peers.load("micrograd")
    if mg is None:
        return missing("micrograd", PEER, peers.why_missing("micrograd"))
    from micrograd.engine import Value
    from micrograd.nn import MLP

    sizes = [params[0].shape[0]] + [params[k].shape[1] for k in range(0, len(params), 2)]
    model = MLP(sizes[0], sizes[1:])
    for layer, tl in zip(model.layers, _neurons(params), strict=True):
        for neuron, (w, b) in zip(layer.neurons, tl, strict=True):
            for v, wv in zip(neuron.w, w, strict=True):
                v.data = wv
            neuron.b.data = b
    Xs, ys = X.tolist(), y.tolist()

    def loss() -> Any:  # micrograd's demo.ipynb, full batch
        inputs = [list(map(Value, xrow)) for xrow in Xs]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        return data_loss + reg_loss

    def step() -> None:
        total = loss()
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= LR * p.grad

    def grads() -> list[np.ndarray]:
        total = loss()
        model.zero_grad()
        total.backward()
        return _unflatten([float(p.grad) for p in model.parameters()], params)

    return Contender("micrograd", PEER, step, grads)


def run_w1_scalar(repeats: int) -> Table:
    params, X, y = setup(W1)
    cs = [floor_scalar(params, X, y), tape_scalar(params, X, y), micrograd_scalar(params, X, y)]
    check_gradients("W1 scalar", cs)
    measure(cs, repeats, warmup=1, min_sample=0.0)
    t = Table(
        "W1 scalar",
        "micrograd's demo step as scalar code: MLP(2, [16, 16, 1]) of scalar values, 100 points, "
        "hinge + 1e-4·L2, forward + backward + SGD",
        "ms",
        1e-3,
        cs,
    )
    t.notes.append("`× best eager peer` is × micrograd, the only scalar peer.")
    return t


# ----- W5: the deep scalar chain -----------------------------------------------------------------

X0 = 0.5


def _floor_chain(n: int) -> float:
    xs = [0.0] * n
    x = X0
    sin, cos = math.sin, math.cos
    for i in range(n):
        xs[i] = x
        x = 1.0001 * x + 0.1 * sin(x)
    g = 1.0
    for i in range(n - 1, -1, -1):
        g *= 1.0001 + 0.1 * cos(xs[i])
    return g


def _tape_chain(n: int) -> float:
    x0 = tp.Var(X0)
    with tp.Tape() as t:
        x = x0
        for _ in range(n):
            x = 1.0001 * x + 0.1 * tp.sin(x)
    return float(t.gradient(x, x0))


def _micrograd_chain(n: int) -> float:
    from micrograd.engine import Value

    def mg_sin(v: Any) -> Any:  # micrograd has no sin: one written its way
        out = Value(math.sin(v.data), (v,), "sin")

        def _backward() -> None:
            v.grad += math.cos(v.data) * out.grad

        out._backward = _backward
        return out

    x0 = Value(X0)
    x = x0
    for _ in range(n):
        x = 1.0001 * x + 0.1 * mg_sin(x)
    x.backward()
    return float(x0.grad)


def _chain_makers() -> list[tuple[str, str, Callable[[int], float] | None, str]]:
    """(name, role, chain(n) -> gradient, why missing)."""
    makers: list[tuple[str, str, Callable[[int], float] | None, str]] = [
        ("python floats (floor)", FLOOR, _floor_chain, ""),
        ("tape", TAPE, _tape_chain, ""),
    ]
    mg = peers.load("micrograd")
    makers.append(("micrograd", PEER, _micrograd_chain if mg else None, "micrograd"))
    torch = peers.load("torch")
    if torch is not None:

        def torch_chain(n: int) -> float:
            x0 = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
            x = x0
            for _ in range(n):
                x = 1.0001 * x + 0.1 * torch.sin(x)
            x.backward()
            return float(x0.grad)

        makers.append(("torch (0-d tensors)", PEER, torch_chain, ""))
    else:
        makers.append(("torch (0-d tensors)", PEER, None, "torch"))
    ag = peers.load("autograd")
    if ag is not None:
        import autograd.numpy as anp

        def ag_f(x: Any, n: int) -> Any:
            for _ in range(n):
                x = 1.0001 * x + 0.1 * anp.sin(x)
            return x

        ag_grad = ag.grad(ag_f)
        makers.append(("autograd", PEER, lambda n: float(ag_grad(X0, n)), ""))
    else:
        makers.append(("autograd", PEER, None, "autograd"))
    jax = peers.load("jax")
    if jax is not None:
        jnp = jax.numpy

        def jax_f(x: Any, n: int) -> Any:
            for _ in range(n):
                x = 1.0001 * x + 0.1 * jnp.sin(x)
            return x

        jax_grad = jax.grad(jax_f)

        def jit_f(x: Any, n: int) -> Any:
            return jax.lax.fori_loop(0, n, lambda _, x: 1.0001 * x + 0.1 * jnp.sin(x), x)

        jit_grad = jax.jit(jax.grad(jit_f), static_argnums=1)
        makers.append(("jax (eager)", PEER, lambda n: float(jax_grad(jnp.float64(X0), n)), ""))
        makers.append(
            (
                "jax (jit, lax.fori_loop)",
                JIT,
                lambda n: float(jit_grad(jnp.float64(X0), n)),
                "",
            )
        )
    else:
        makers.append(("jax (eager)", PEER, None, "jax"))
        makers.append(("jax (jit, lax.fori_loop)", JIT, None, "jax"))
    return makers


def run_w5(ns: list[int], budget: float, repeats_for: Callable[[int], int]) -> list[Table]:
    """One table per N. A contender whose estimated time at the next N (its per-link time so
    far, times the runs needed there) exceeds ``budget`` seconds is not run there; one that
    failed at some N is not run at larger N. An N with one repeat is timed once, with no
    separate warm-up (the smaller N warmed up), and that run's gradient is the one checked."""
    makers = _chain_makers()
    per_link: dict[str, float] = {}
    failed: dict[str, str] = {}
    tables = []
    for n in ns:
        cs: list[Contender] = []
        reps = repeats_for(n)
        runs = 1 if reps <= 1 else reps + 2  # + the gradient check and the warm-up
        for name, role, chain, why in makers:
            if chain is None:
                cs.append(missing(name, role, peers.why_missing(why)))
                continue
            if name in failed:
                cs.append(skipped(name, role, failed[name]))
                continue
            est = per_link.get(name, 0.0) * n * runs
            if est > budget:
                cs.append(
                    skipped(
                        name,
                        role,
                        f"~{est:.0f} s for {runs} run(s) at its per-link time "
                        f"(budget {budget:.0f} s)",
                    )
                )
                continue
            if name.startswith("jax (jit"):
                chain(n)  # compile for this N first: compile time is not a per-link cost

            def step(chain: Callable[[int], float] = chain, n: int = n) -> float:
                return chain(n)

            cs.append(Contender(name, role, step, step))
        if reps <= 1:
            # time once: the gradient of that one run is the one checked
            ref: tuple[str, float] | None = None
            for c in cs:
                if not c.ok:
                    continue
                try:
                    gc.collect()  # the previous contender's garbage, outside the timing
                    t0 = time.perf_counter()
                    assert c.step is not None
                    g = c.step()
                    c.times.append(time.perf_counter() - t0)
                except (RecursionError, RuntimeError, MemoryError) as e:
                    c.fail(e, f"at N={n}")
                    continue
                if ref is None:
                    ref = (c.name, g)
                else:
                    assert_agree(f"W5 N={n}", ref[0], ref[1], c.name, g)
        else:
            check_gradients(f"W5 N={n}", cs)
            measure(cs, reps, warmup=1, min_sample=0.01)
        for c in cs:
            if c.status == "failed":
                failed[c.name] = f"failed at N={n}"
            if c.times:
                per_link[c.name] = min(c.times) / n
        tables.append(
            Table(
                f"W5 N={n:.0e}".replace("e+0", "e"),
                f"deep scalar chain, N = {n:,} links "
                "(x ← 1.0001·x + 0.1·sin x), gradient dx_N/dx_0",
                "µs/link",
                1e-6 * n,
                cs,
            )
        )
    tables[-1].notes.append(
        "x₀ = 0.5 is drawn to the attracting fixed point near π, so dx_N/dx_0 ≈ 0.9ᴺ underflows "
        "to 0 beyond ~7,000 links: gradients are compared everywhere but only meaningfully at "
        "small N. jax (jit) runs lax.fori_loop (one compiled loop, compiled before timing), not "
        "the Python loop the others run."
    )
    return tables
