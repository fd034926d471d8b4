"""W9: replay. A compiled tape (``Tape.compile``) run again at new inputs vs recording the
same function afresh, on W1's tensor loss and on W5's chain with N = 10⁴.

Until ``tp.Tape`` has ``compile`` this workload reports "not available yet".
"""

from __future__ import annotations

from typing import Any

from harness import FLOOR, TAPE, Contender, Table, check_gradients, measure
from w_mlp import W1, np_value_and_grad, setup, tape_loss
from w_scalar import X0, _floor_chain

import tape as tp


def available() -> bool:
    return hasattr(tp.Tape, "compile")


def _w1(repeats: int) -> Table:
    spec = W1
    params, X, y = setup(spec)
    ps = [tp.Var(p) for p in params]

    def record() -> list[Any]:
        with tp.Tape() as t:
            loss = tape_loss(ps, X, y, spec)
        return list(t.gradient(loss, ps))

    with tp.Tape(persistent=True) as t:
        loss = tape_loss(ps, X, y, spec)
    prog = t.compile(inputs=ps, outputs=[loss])  # type: ignore[attr-defined]

    def replay() -> list[Any]:
        return list(prog.value_and_grad(*params)[1])

    floor = lambda: np_value_and_grad(params, X, y, spec)[1]
    cs = [
        Contender("numpy (floor)", FLOOR, floor, floor),
        Contender("tape: record + sweep", TAPE, record, record),
        Contender("tape: compiled replay", TAPE, replay, replay),
    ]
    check_gradients("W9 W1", cs)
    measure(cs, repeats, warmup=3)
    return Table(
        "W9 W1", "replay vs re-recording: W1's tensor loss, value and gradient", "ms", 1e-3, cs
    )


def _w5(repeats: int, n: int = 10_000) -> Table:
    x0 = tp.Var(X0)

    def chain() -> Any:
        x = x0
        for _ in range(n):
            x = 1.0001 * x + 0.1 * tp.sin(x)
        return x

    def record() -> float:
        with tp.Tape() as t:
            x = chain()
        return float(t.gradient(x, x0))

    with tp.Tape(persistent=True) as t:
        xn = chain()
    prog = t.compile(inputs=[x0], outputs=[xn])  # type: ignore[attr-defined]

    def replay() -> float:
        return float(prog.value_and_grad(X0)[1][0])

    floor = lambda: _floor_chain(n)
    cs = [
        Contender("python floats (floor)", FLOOR, floor, floor),
        Contender("tape: record + sweep", TAPE, record, record),
        Contender("tape: compiled replay", TAPE, replay, replay),
    ]
    check_gradients("W9 W5", cs)
    measure(cs, repeats, warmup=1, min_sample=0.0)
    return Table("W9 W5", f"replay vs re-recording: W5's chain, N = {n:,}", "ms", 1e-3, cs)


def run_w9(repeats: int) -> list[Table]:
    tables = [_w1(repeats), _w5(max(3, repeats // 2))]
    for t in tables:
        rec = t.median("tape: record + sweep")
        rep = t.median("tape: compiled replay")
        if rec and rep:
            t.notes.append(f"replay is {rec / rep:.2f}× faster than recording again")
    return tables


def not_available() -> Table:
    t = Table("W9", "replay (compiled tape) vs re-recording", "ms", 1e-3, [])
    t.notes.append("not available yet: tp.Tape has no compile() in this version of tape")
    return t
