"""Memory: a non-persistent tape frees its records after its gradient, a persistent one keeps
them until it is dropped; very long tapes differentiate without recursion."""

from __future__ import annotations

import gc
import math
import sys
import time
import tracemalloc
import weakref

import numpy as np
import pytest

import tape as tp

BIG = 500_000  # elements: 4 MB per float64 array


def test_non_persistent_tape_frees_saved_values_after_gradient() -> None:
    x = tp.Var(np.linspace(0.0, 1.0, BIG))
    with tp.Tape() as t:
        h = tp.sin(x)  # saved by the tape (it is an input of the next record)
        y = tp.sum(h * h)
    hv = h.value
    ref = weakref.ref(hv)
    del h, hv
    gc.collect()
    assert ref() is not None  # held by the tape only
    g = t.gradient(y, x)
    gc.collect()
    assert ref() is None
    assert len(t) == 0
    assert isinstance(g, np.ndarray)
    np.testing.assert_allclose(g[:3], np.sin(2 * np.linspace(0.0, 1.0, BIG)[:3]), atol=1e-15)


def test_non_persistent_tape_returns_memory_after_gradient() -> None:
    x = tp.Var(np.linspace(0.0, 1.0, BIG))
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        with tp.Tape() as t:
            v = x
            for _ in range(10):
                v = tp.sin(v)  # ten saved intermediates of 4 MB each
            y = tp.sum(v)
        del v
        recorded = tracemalloc.get_traced_memory()[0] - base
        g = t.gradient(y, x)
        del g
        gc.collect()
        after = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert recorded > 10 * BIG * 8  # the tape really held the intermediates
    assert after < 0.05 * recorded  # ... and gave them back


def test_persistent_tape_keeps_records_until_dropped() -> None:
    x = tp.Var(np.linspace(0.0, 1.0, BIG))
    with tp.Tape(persistent=True) as t:
        h = tp.sin(x)
        y = tp.sum(h * h)
    ref = weakref.ref(h.value)
    tref = weakref.ref(t)
    del h
    g1 = t.gradient(y, x)
    g2 = t.gradient(y, x)
    gc.collect()
    assert ref() is not None
    assert len(t) == 4
    np.testing.assert_array_equal(g1, g2)
    del t, y  # y's Var also refers to the tape
    gc.collect()
    assert tref() is None
    assert ref() is None


def test_tape_that_was_never_differentiated_is_freed_when_dropped() -> None:
    x = tp.Var(np.linspace(0.0, 1.0, BIG))
    with tp.Tape() as t:
        h = tp.exp(x)
        y = tp.sum(h)
    ref = weakref.ref(h.value)
    del h, t, y
    gc.collect()
    assert ref() is None


# ----- long tapes ------------------------------------------------------------------------


def test_million_operation_scalar_chain() -> None:
    # Euler steps of x' = sin x over [0, 1]: x ← 1·x + h·sin x, four records per step.
    links = 250_000
    h = 1.0 / links
    x0 = 0.7
    x = tp.Var(x0)
    start = time.perf_counter()
    with tp.Tape() as t:
        v = x
        for _ in range(links):
            v = 1.0 * v + h * tp.sin(v)
    n = len(t)
    g = t.gradient(v, x)
    elapsed = time.perf_counter() - start
    assert n == 4 * links + 1 >= 1_000_000
    assert sys.getrecursionlimit() < n  # a recursive sweep could not have done this
    # the same chain with its derivative carried forward in plain Python
    xv, d = x0, 1.0
    for _ in range(links):
        d *= 1.0 + h * math.cos(xv)
        xv = xv + h * math.sin(xv)
    assert v.value == pytest.approx(xv, rel=1e-12)
    assert g == pytest.approx(d, rel=1e-9)
    # and the ODE's own flow: ∂x(1)/∂x₀ = sin x(1) / sin x₀ (Euler is O(h) away from it)
    x1 = 2 * math.atan(math.tan(x0 / 2) * math.e)
    assert g == pytest.approx(math.sin(x1) / math.sin(x0), rel=1e-4)
    assert elapsed < 40


def test_hundred_thousand_operation_array_chain() -> None:
    links = 33_334
    h = 1.0 / links
    x0 = np.linspace(0.2, 3.0, 8)
    x = tp.Var(x0)
    with tp.Tape() as t:
        v = x
        for _ in range(links):
            v = v + h * tp.sin(v)
        y = tp.sum(v)
    assert len(t) >= 100_000
    g = t.gradient(y, x)
    xv, d = x0.copy(), np.ones_like(x0)
    for _ in range(links):
        d = d * (1.0 + h * np.cos(xv))
        xv = xv + h * np.sin(xv)
    assert y.value == pytest.approx(float(np.sum(xv)), rel=1e-12)
    np.testing.assert_allclose(g, d, rtol=1e-9)
    x1 = 2 * np.arctan(np.tan(x0 / 2) * math.e)
    np.testing.assert_allclose(g, np.sin(x1) / np.sin(x0), rtol=1e-4)


def test_deep_nested_tapes_on_a_long_chain() -> None:
    # second derivative through a 20,000-step chain: yₙ₊₁ = yₙ · (1 + x/N), y₀ = 1, so
    # y_N = (1 + x/N)^N, y'' = (N−1)/N · (1 + x/N)^(N−2)
    steps = 20_000
    x0 = 0.5
    x = tp.Var(x0)
    with tp.Tape() as outer:
        with tp.Tape() as inner:
            y = x * 0.0 + 1.0
            for _ in range(steps):
                y = y * (1.0 + x / float(steps))
        g = inner.gradient(y, x)
    assert isinstance(g, tp.Var)
    h2 = outer.gradient(g, x)
    base = 1.0 + x0 / steps
    assert g.item() == pytest.approx(base ** (steps - 1), rel=1e-10)
    assert h2 == pytest.approx((steps - 1) / steps * base ** (steps - 2), rel=1e-10)
