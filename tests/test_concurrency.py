"""Tapes in threads and in asyncio tasks: the stack of active tapes is context-local, so
concurrent recordings do not see each other; a tape refuses to be used from another thread."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import numpy.typing as npt
import pytest

import tape as tp
from tape import _core

F64 = npt.NDArray[np.float64]
N_THREADS = 8
STEPS = 40


def record_and_differentiate(
    k: int, barrier: threading.Barrier
) -> tuple[float, tp.Array, int, F64, tuple[object, ...]]:
    """Thread k: f(x) = Σ c·sin(x)·x + Σ x² (repeated STEPS times, on k's own data).

    Each step waits at the barrier, so all threads record on their tapes at the same time.
    """
    x0 = np.linspace(-1.0, 1.0, 5) + k
    c = float(k + 1)
    x = tp.Var(x0)
    with tp.Tape() as t:
        acc = tp.sum(x * 0.0)
        for _ in range(STEPS):
            barrier.wait()
            acc = acc + tp.sum(c * tp.sin(x) * x) + tp.sum(x * x)
        stack_inside = _core._STACK.get()
    n = len(t)
    g = t.gradient(acc, x)
    assert isinstance(g, np.ndarray)
    return acc.item(), g, n, x0, stack_inside


def test_eight_threads_record_their_own_tapes_at_the_same_time() -> None:
    barrier = threading.Barrier(N_THREADS, timeout=30)
    results: dict[int, tuple[float, tp.Array, int, F64, tuple[object, ...]]] = {}
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            results[k] = record_and_differentiate(k, barrier)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(N_THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors
    assert sorted(results) == list(range(N_THREADS))
    lengths = {n for _, _, n, _, _ in results.values()}
    assert len(lengths) == 1  # identical programs: no thread's records leaked into another's
    for k, (value, g, _, x0, stack_inside) in results.items():
        c = k + 1.0
        assert len(stack_inside) == 1  # only its own tape was active in thread k
        expected_value = STEPS * (np.sum(c * np.sin(x0) * x0) + np.sum(x0 * x0))
        assert value == pytest.approx(expected_value, rel=1e-12)
        expected = STEPS * (c * (np.cos(x0) * x0 + np.sin(x0)) + 2 * x0)
        np.testing.assert_allclose(g, expected, rtol=1e-12)
    assert _core._STACK.get() == ()


def test_threads_with_nested_tapes_get_their_own_second_derivatives() -> None:
    barrier = threading.Barrier(N_THREADS, timeout=30)
    results: dict[int, tuple[float, float]] = {}
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            x0 = 0.1 * k - 0.3
            x = tp.Var(x0)
            with tp.Tape() as outer:
                with tp.Tape() as inner:
                    barrier.wait()
                    y = tp.tanh(x) * float(k + 1)
                    barrier.wait()
                g = inner.gradient(y, x)
            assert isinstance(g, tp.Var)
            h = outer.gradient(g, x)
            assert isinstance(h, float)
            results[k] = (x0, h)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(N_THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors
    for k, (x0, h) in results.items():
        t = np.tanh(x0)
        assert h == pytest.approx((k + 1) * -2 * t * (1 - t * t), rel=1e-12, abs=1e-15)
    assert len(results) == N_THREADS


async def task(k: int, log: list[tuple[int, int]]) -> tuple[float, float, int]:
    """f(x) = Π over steps of (x + k)-ish: y ← y·x + k, awaiting between every operation."""
    x0 = 0.5 + 0.25 * k
    x = tp.Var(x0)
    with tp.Tape() as t:
        y = x * 1.0
        for step in range(10):
            await asyncio.sleep(0)  # hand over to the other tasks mid-recording
            log.append((k, step))
            assert _core._STACK.get() == (t,)
            y = y * x + float(k)
    n = len(t)
    return y.item(), float(t.gradient(y, x)), n


def closed_form(k: int) -> tuple[float, float]:
    """y₀ = x, yₙ₊₁ = yₙ·x + k, by plain forward accumulation of (y, dy/dx)."""
    x = 0.5 + 0.25 * k
    y, dy = x, 1.0
    for _ in range(10):
        y, dy = y * x + k, dy * x + y
    return y, dy


def test_asyncio_tasks_interleave_inside_their_tapes() -> None:
    log: list[tuple[int, int]] = []

    async def main() -> list[tuple[float, float, int]]:
        return await asyncio.gather(*(task(k, log) for k in range(6)))

    results = asyncio.run(main())
    # the tasks really interleaved: task 0 had not finished when the others started
    first_steps = [k for k, step in log if step == 0]
    assert first_steps == list(range(6))
    assert log.index((0, 9)) > log.index((5, 0))
    lengths = {n for _, _, n in results}
    assert len(lengths) == 1
    for k, (value, grad, _) in enumerate(results):
        y, dy = closed_form(k)
        assert value == pytest.approx(y, rel=1e-13)
        assert grad == pytest.approx(dy, rel=1e-13)
    assert _core._STACK.get() == ()


def test_gradient_from_another_thread_raises() -> None:
    x = tp.Var(2.0)
    t = tp.Tape()
    caught: list[BaseException] = []
    with t:
        y = x * x * x

        def other() -> None:
            try:
                t.gradient(y, x)
            except BaseException as e:
                caught.append(e)

        th = threading.Thread(target=other)
        th.start()
        th.join()
        assert len(caught) == 1
        assert isinstance(caught[0], RuntimeError)
        assert "thread other than the one that entered it" in str(caught[0])
        assert len(t) == 3  # x, x·x, (x·x)·x
    # the owning thread can still use it
    assert t.gradient(y, x) == 12.0


def test_exiting_from_another_thread_raises() -> None:
    x = tp.Var(2.0)
    t = tp.Tape()
    caught: list[BaseException] = []
    with t:
        y = x * x

        def other() -> None:
            try:
                t.__exit__(None, None, None)
            except BaseException as e:
                caught.append(e)

        th = threading.Thread(target=other)
        th.start()
        th.join()
        assert len(caught) == 1
        assert isinstance(caught[0], RuntimeError)
        assert "cannot exit a tape from a thread" in str(caught[0])
        assert _core._STACK.get() == (t,)
    assert _core._STACK.get() == ()
    assert t.gradient(y, x) == 4.0


def test_operations_in_another_thread_are_not_recorded_on_this_threads_tape() -> None:
    x = tp.Var(np.array([1.0, 2.0]))
    seen: list[object] = []
    with tp.Tape() as t:
        y = tp.sum(x * x)
        n = len(t)

        def other() -> None:
            z = x * 3.0
            seen.append(z._tape)
            seen.append(_core._STACK.get())

        th = threading.Thread(target=other)
        th.start()
        th.join()
        assert len(t) == n
    assert seen == [None, ()]
    np.testing.assert_allclose(t.gradient(y, x), [2.0, 4.0])


def test_threads_sharing_an_input_and_a_constant_array() -> None:
    # One Var and one plain array used by 8 tapes at once: each tape watches the Var itself,
    # and the array stays read-only until the last tape holding it is freed.
    x0 = np.array([0.5, -1.0, 2.0])
    x = tp.Var(x0)
    c = np.array([1.0, 2.0, 3.0])
    barrier = threading.Barrier(N_THREADS, timeout=30)
    done_recording = threading.Barrier(N_THREADS + 1, timeout=30)
    half = N_THREADS // 2
    go = [threading.Event(), threading.Event()]  # first half, then second half differentiate
    first_half_done = threading.Barrier(half + 1, timeout=30)
    results: dict[int, tp.Value] = {}
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            with tp.Tape() as t:
                if k == 0:
                    p = x * c  # thread 0's tape is the first to save c
                barrier.wait()
                if k != 0:
                    p = x * c
                y = tp.sum(tp.sin(p) * float(k + 1))
                barrier.wait()
            done_recording.wait()
            go[k // half].wait(timeout=30)
            results[k] = t.gradient(y, x)  # frees this tape
            if k < half:
                first_half_done.wait()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
            for b in (barrier, done_recording, first_half_done):
                b.abort()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(N_THREADS)]
    for th in threads:
        th.start()
    done_recording.wait()  # every tape holds c now
    with pytest.raises(ValueError, match="read-only"):
        c[0] = 100.0
    go[0].set()
    first_half_done.wait()  # four tapes freed (thread 0's among them), four still hold c
    with pytest.raises(ValueError, match="read-only"):
        c[0] = 100.0
    go[1].set()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors
    for k, g in results.items():
        np.testing.assert_allclose(g, (k + 1) * c * np.cos(x0 * c), rtol=1e-13)
    assert len(results) == N_THREADS
    c[0] = 100.0  # all tapes were freed: the caller may write again
    assert c[0] == 100.0


def test_task_started_inside_a_tape_does_not_record_on_it_after_it_exits() -> None:
    # asyncio copies the context (and so the stack of active tapes) into a task when it is
    # created. Work the task does after the `with` block has ended must not land on the
    # finished tape, nor on it after its gradient freed it.
    async def late(x: tp.Var, started: asyncio.Event, release: asyncio.Event) -> tp.Var:
        started.set()
        await release.wait()
        return x * x

    async def main() -> None:
        x = tp.Var(2.0)
        started, release = asyncio.Event(), asyncio.Event()
        with tp.Tape() as t:
            y = x * 3.0
            task = asyncio.create_task(late(x, started, release))
            await started.wait()  # the task is running, inside the block
        n = len(t)
        release.set()
        z = await task
        assert z.value == 4.0
        assert len(t) == n, "an exited tape was recorded on"
        assert z._tape is not t
        assert t.gradient(y, x) == 3.0

        started2, release2 = asyncio.Event(), asyncio.Event()
        with tp.Tape() as t2:
            y2 = x * 5.0
            task2 = asyncio.create_task(late(x, started2, release2))
            await started2.wait()
        assert t2.gradient(y2, x) == 5.0  # frees t2
        release2.set()
        await task2
        assert len(t2) == 0, "a freed tape was recorded on"

    asyncio.run(main())
    assert _core._STACK.get() == ()
