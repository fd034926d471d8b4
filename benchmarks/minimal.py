"""The smallest recorder of tape's design, against tape's own, on W5 and W6.

    python benchmarks/minimal.py

A reference for the recording path's speed targets: ``Minimal`` records exactly what a tape
records — one ``(row, slots, params, inputs, output)`` tuple per operation, reached through
an operator method and one ``bind`` unrolled for one and two inputs, with the collector
spread out as a tape spreads it — and nothing else: no thread check, no nesting, no dual
numbers, no leaves, no locking of constants, no canonical values, no errors named.
No tape can record faster in CPython without a different design (fewer Python calls per
record). The table prints medians over interleaved rounds, in µs per link (W5, the scalar
chain) or per operation (W6, 10-element arrays), next to the hand-written floor's forward
and backward together.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from w_scalar import _floor_chain, _tape_chain

import tape as tp
from tape._core import restore_collections, spread_collections

_ACTIVE: ContextVar[tuple[list[Any], ...]] = ContextVar("minimal", default=())


class _Row:
    __slots__ = ("impl", "index")

    def __init__(self, impl: Callable[..., Any], index: int) -> None:
        self.impl = impl
        self.index = index


MUL = _Row(lambda x, y: x * y, 0)
ADD = _Row(lambda x, y: x + y, 1)
SIN = _Row(lambda x: math.sin(x) if type(x) is float else np.sin(x), 2)
TANH = _Row(lambda x: math.tanh(x) if type(x) is float else np.tanh(x), 3)


class Minimal:
    """A recorded value: (value, records, slot)."""

    __slots__ = ("__weakref__", "_records", "_slot", "_value")
    _value: Any
    _records: list[Any]
    _slot: int

    def __mul__(self, other: Any) -> Minimal:
        return bind(MUL, self, other)

    def __rmul__(self, other: Any) -> Minimal:
        return bind(MUL, other, self)

    def __add__(self, other: Any) -> Minimal:
        return bind(ADD, self, other)


def bind(row: _Row, *args: Any) -> Minimal:
    records = _ACTIVE.get()[0]
    if len(args) == 1:  # (unrolled as tape's fast recorder is: a loop costs a tenth)
        a = args[0]
        slots: tuple[int, ...] = (a._slot,)
        inputs: tuple[Any, ...] = (a._value,)
    else:
        a, b = args
        if type(a) is Minimal:
            v, s = a._value, a._slot
        else:
            v, s = a, -1
        if type(b) is Minimal:
            w, r = b._value, b._slot
        else:
            w, r = b, -1
        slots, inputs = (s, r), (v, w)
    ans = row.impl(*inputs)
    out = object.__new__(Minimal)
    out._value = ans
    out._records = records
    out._slot = len(records)
    records.append((row.index, slots, None, inputs, ans))
    return out


def _leaf(value: Any) -> tuple[Minimal, Any]:
    records: list[Any] = []
    token = _ACTIVE.set((records,))
    spread_collections()  # the collector as a tape has it while recording
    x = object.__new__(Minimal)
    x._value, x._records, x._slot = value, records, 0
    records.append((-1, (), None, (), value))
    return x, token


def _done(token: Any) -> None:
    _ACTIVE.reset(token)
    restore_collections()


def w5_minimal(n: int) -> None:
    x, token = _leaf(0.5)
    for _ in range(n):
        x = 1.0001 * x + 0.1 * bind(SIN, x)
    _done(token)


def w5_tape_record(n: int) -> None:
    x0 = tp.Var(0.5)
    with tp.Tape():
        x = x0
        for _ in range(n):
            x = 1.0001 * x + 0.1 * tp.sin(x)


X6 = np.random.default_rng(6).standard_normal(10)


def w6_minimal(n: int) -> None:
    x, token = _leaf(X6)
    for _ in range(n // 4):
        x = bind(TANH, bind(SIN, x) * 1.0001 + 0.01)
    _done(token)


def w6_tape(n: int) -> None:
    xv = tp.Var(X6)
    with tp.Tape() as t:
        x = xv
        for _ in range(n // 4):
            x = tp.tanh(tp.sin(x) * 1.0001 + 0.01)
        y = x.sum()
    t.gradient(y, xv)


def w6_tape_record(n: int) -> None:
    xv = tp.Var(X6)
    with tp.Tape():
        x = xv
        for _ in range(n // 4):
            x = tp.tanh(tp.sin(x) * 1.0001 + 0.01)


def w6_floor(n: int) -> None:
    saved = []
    x = X6
    for _ in range(n // 4):
        saved.append(x)
        x = np.tanh(np.sin(x) * 1.0001 + 0.01)
        saved.append(x)
    g = np.ones_like(x)
    for k in range(n // 4 - 1, -1, -1):
        t = saved[2 * k + 1]
        g = g * (1.0 - t * t) * 1.0001 * np.cos(saved[2 * k])


def table(name: str, n: int, cases: dict[str, Callable[[int], object]], rounds: int) -> None:
    times: dict[str, list[float]] = {k: [] for k in cases}
    order = list(cases.items())
    for f in cases.values():
        f(n)
    for _ in range(rounds):
        random.shuffle(order)
        for k, f in order:
            t0 = time.perf_counter()
            f(n)
            times[k].append((time.perf_counter() - t0) / n * 1e6)
    floor = statistics.median(times["floor (forward + backward)"])
    print(f"\n{name}, n = {n:,}")
    for k, ts in times.items():
        m = statistics.median(ts)
        print(f"  {k:34s} {m:7.3f} µs   {m / floor:6.2f}× floor")


def main() -> None:
    table(
        "W5: x ← 1.0001·x + 0.1·sin x, per link (4 records)",
        10_000,
        {
            "floor (forward + backward)": _floor_chain,
            "minimal recorder (record only)": w5_minimal,
            "tape (record only)": w5_tape_record,
            "tape (record + sweep)": _tape_chain,
        },
        15,
    )
    table(
        "W6: sin, ·c, +c, tanh on 10 elements, per operation",
        1_000,
        {
            "floor (forward + backward)": w6_floor,
            "minimal recorder (record only)": w6_minimal,
            "tape (record only)": w6_tape_record,
            "tape (record + sweep)": w6_tape,
        },
        200,
    )


if __name__ == "__main__":
    main()
