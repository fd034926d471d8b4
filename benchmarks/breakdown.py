"""Where tape's time goes on one workload: a tool for optimising the core.

    python benchmarks/breakdown.py W1       # W1 tensor step; also W1s (scalar), W2, W3, W5, W6
    python benchmarks/breakdown.py W5 --top 30

Prints (1) the step split into recording, reverse sweep and parameter update next to the
hand-written floor, (2) the share of the cyclic garbage collector (the same run with gc off),
(3) the sweep's time per primitive (an instrumented copy of the sweep loop, so it reads the
record layout ``(primitive, input slots, params, input values, output)``), and (4) cProfile's
top functions by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import w_mlp
import w_scalar

import tape as tp
from tape._rows import ROWS
from tape._sweep import unbroadcast


def workload(name: str) -> tuple[Callable[[], tuple[Any, Any, list[Any]]], Callable[[], Any], int]:
    """(record() -> (tape, target, sources), floor(), repeats) for a workload."""
    if name in ("W1", "W2", "W3"):
        spec = {"W1": w_mlp.W1, "W2": w_mlp.W2, "W3": w_mlp.W3}[name]
        params, X, y = w_mlp.setup(spec)
        ps = [tp.Var(p) for p in params]

        def record() -> tuple[Any, Any, list[Any]]:
            with tp.Tape(persistent=True) as t:
                loss = w_mlp.tape_loss(ps, X, y, spec)
            return t, loss, ps

        return (
            record,
            lambda: w_mlp.np_value_and_grad(params, X, y, spec),
            (30 if name == "W3" else 1000),
        )
    if name == "W1S":
        params, X, y = w_mlp.setup(w_mlp.W1)
        flat, loss = w_scalar.tape_scalar_loss(params, X, y)
        floor_c = w_scalar.floor_scalar(params, X, y)
        assert floor_c.grads is not None

        def record1s() -> tuple[Any, Any, list[Any]]:
            with tp.Tape(persistent=True) as t:
                total = loss()
            return t, total, flat

        return record1s, floor_c.grads, 5
    if name == "W5":
        n = 100_000

        def record5() -> tuple[Any, Any, list[Any]]:
            x0 = tp.Var(w_scalar.X0)
            with tp.Tape(persistent=True) as t:
                x = x0
                for _ in range(n):
                    x = 1.0001 * x + 0.1 * tp.sin(x)
            return t, x, [x0]

        return record5, lambda: w_scalar._floor_chain(n), 5
    if name == "W6":
        x0 = tp.Var(np.random.default_rng(6).standard_normal(10))

        def record6() -> tuple[Any, Any, list[Any]]:
            with tp.Tape(persistent=True) as t:
                x = x0
                for _ in range(250):
                    x = tp.sin(x)
                    x = x * 1.0001
                    x = x + 0.01
                    x = tp.tanh(x)
                y = x.sum()
            return t, y, [x0]

        return record6, lambda: None, 300
    raise SystemExit(f"unknown workload {name!r}: W1, W1s, W2, W3, W5, W6")


def split(record: Callable[[], Any], floor: Callable[[], Any], reps: int) -> None:
    rec, swp, flo = [], [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        t, y, xs = record()
        t1 = time.perf_counter()
        t.gradient(y, xs)
        t2 = time.perf_counter()
        floor()
        t3 = time.perf_counter()
        rec.append(t1 - t0)
        swp.append(t2 - t1)
        flo.append(t3 - t2)
    n = len(t._records)
    r, s, f = (statistics.median(v) * 1e3 for v in (rec, swp, flo))
    print(f"records per step: {n}")
    print(
        f"recording {r:.3f} ms ({r / n * 1e3:.2f} µs/record), sweep {s:.3f} ms "
        f"({s / n * 1e3:.2f} µs/record), floor forward+backward {f:.3f} ms"
    )


def gc_share(record: Callable[[], Any], reps: int) -> None:
    def run() -> float:
        ts = []
        for _ in range(max(3, reps // 3)):
            t0 = time.perf_counter()
            t, y, xs = record()
            t.gradient(y, xs)
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts)

    on = run()
    gc.disable()
    try:
        off = run()
    finally:
        gc.enable()
    print(
        f"gc on {on * 1e3:.3f} ms, gc off {off * 1e3:.3f} ms: the collector takes "
        f"{(on - off) / on * 100:.0f}%"
    )


def per_primitive(record: Callable[[], Any], reps: int) -> None:
    rows = ROWS
    cost: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    r = max(3, reps // 3)
    for _ in range(r):
        t, y, _ = record()
        records = t._records
        target = y._slot
        adjoint: list[Any] = [None] * (target + 1)
        adjoint[target] = 1.0
        for i in range(target, -1, -1):
            g = adjoint[i]
            if g is None:
                continue
            p, slots, params, inputs, ans = records[i]
            prim = rows[p] if isinstance(p, int) and rows is not None else p
            t0 = time.perf_counter()
            for k, s in enumerate(slots):
                if s < 0:
                    continue
                rule = prim.vjp[0] if prim.variadic else prim.vjp[k]
                if rule is None:
                    continue
                if prim.variadic:
                    ct = rule(g, ans, *inputs, argnum=k, **(params or {}))
                else:
                    ct = rule(g, ans, *inputs, **params) if params else rule(g, ans, *inputs)
                if ct is None:
                    continue
                if prim.broadcasts and type(ct) is not float:
                    ct = unbroadcast(ct, inputs[k])
                prev = adjoint[s]
                adjoint[s] = ct if prev is None else prev + ct
            cost[prim.name] += time.perf_counter() - t0
            count[prim.name] += 1
    total = sum(cost.values()) / r
    print(f"sweep by primitive (instrumented copy of the loop; {total * 1e3:.3f} ms per sweep):")
    for name, c in sorted(cost.items(), key=lambda kv: -kv[1]):
        print(
            f"  {name:14} ×{count[name] // r:<7} {c / r * 1e6:10.1f} µs "
            f"({c / count[name] * 1e6:.2f} µs each)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("workload")
    ap.add_argument("--top", type=int, default=20)
    a = ap.parse_args()
    record, floor, reps = workload(a.workload.upper())
    for _ in range(3):
        t, y, xs = record()
        t.gradient(y, xs)
    split(record, floor, reps)
    gc_share(record, reps)
    per_primitive(record, reps)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(max(3, reps // 3)):
        t, y, xs = record()
        t.gradient(y, xs)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(a.top)


if __name__ == "__main__":
    main()
