"""Record once, replay many times: a compiled tape evaluates gradients at new inputs.

Run it with ``python examples/replay.py``. Two workloads are recorded ONCE each, compiled with
``Tape.compile``, and then evaluated at many new inputs by ``prog.value_and_grad``, which
replays the recorded records (the Python function is not called again) and runs the reverse
sweep over them:

1. the moons MLP step (``MLP(2, [16, 16, 1])``, hinge loss + 1e-4·L2 on 100 points) as a
   function of its 337 parameters, trained for 1,000 SGD steps by replay alone;
2. a 10,000-operation scalar function (2,500 explicit Euler steps of dh/dt = sin(c·h)).

At the same inputs the script also re-records the function and takes its gradient (the
usual path), timing both interleaved (replay, re-record, replay, re-record, ...), asserts
that they agree to 1e-12, and prints the speedup of replay over re-tracing. Finally it
shows a branch guard firing: a function with a Python ``if`` on a recorded value, replayed
at an input where the ``if`` goes the other way, raises ``tp.TapeInvalidated``.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from moons import make_moons

import tape as tp
from tape import nn

TOL = 1e-12
"""Replay and re-tracing must agree to this (relative and absolute) tolerance."""

Floats = npt.NDArray[np.float64]


@dataclass
class Timing:
    """Replay against re-tracing on one workload, at the same inputs.

    Attributes:
        name: The workload.
        records: The number of records the compiled program replays.
        points: The number of inputs evaluated (by each path).
        replay_s: Seconds spent in ``prog.value_and_grad`` (replay + sweep), in total.
        retrace_s: Seconds spent re-recording and sweeping at the same inputs, in total.
        max_diff: The largest difference between the two paths, over values and gradients,
            relative to max(1, |reference|).
    """

    name: str
    records: int
    points: int
    replay_s: float
    retrace_s: float
    max_diff: float

    @property
    def speedup(self) -> float:
        """How many times faster replay is than re-tracing (> 1: replay is faster)."""
        return self.retrace_s / self.replay_s

    def line(self) -> str:
        """One line of the summary table."""
        return (
            f"{self.name:<34} {self.records:>7} {self.points:>6}  "
            f"{1e3 * self.replay_s / self.points:>9.3f}  "
            f"{1e3 * self.retrace_s / self.points:>9.3f}  {self.speedup:>6.2f}x  "
            f"{self.max_diff:.1e}"
        )


HEADER = (
    f"{'workload':<34} {'records':>7} {'points':>6}  {'replay ms':>9}  {'retrace ms':>9}  "
    f"{'speedup':>7}  max diff"
)


def _diff(a: Any, b: Any) -> float:
    """max |a − b| / max(1, |b|) elementwise, for values or (nested) sequences of them."""
    if isinstance(a, list | tuple):
        return max((_diff(x, y) for x, y in zip(a, b, strict=True)), default=0.0)
    a_, b_ = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a_.shape != b_.shape:
        return math.inf
    if a_.size == 0:
        return 0.0
    return float(np.max(np.abs(a_ - b_) / np.maximum(1.0, np.abs(b_))))


# ----- workload 1: the moons MLP step ------------------------------------------------------------


def moons_problem(
    seed: int = 0, n: int = 100
) -> tuple[nn.MLP, list[tp.Var], Callable[[], tp.Var], Floats, Floats]:
    """micrograd's demo: ``MLP(2, [16, 16, 1])`` on ``n`` two-moons points.

    Returns:
        ``(model, params, loss, X, y)``: ``loss()`` computes hinge + 1e-4·L2 from the current
        parameter values (the data is a constant).
    """
    X, y = make_moons(n, noise=0.1, rng=np.random.default_rng(seed))
    model = nn.MLP(2, [16, 16, 1], rng=np.random.default_rng(seed))
    params = model.parameters()

    def loss() -> tp.Var:
        return nn.hinge(model(X).reshape(-1), y) + 1e-4 * nn.l2(params)

    return model, params, loss, X, y


def moons_workload(points: int = 1000, lr: float = 0.3, seed: int = 0) -> tuple[Timing, str]:
    """Record the moons loss once, then train ``points`` SGD steps by replay alone.

    At every step the replayed loss and gradients are compared with a fresh recording at the
    same parameter values (timed separately, interleaved with the replays).

    Returns:
        The timing, and a line describing the training (first and last loss, accuracy).
    """
    model, params, loss, X, y = moons_problem(seed)
    with tp.Tape(persistent=True) as t:
        recorded = loss()
    prog = t.compile(inputs=params, outputs=[recorded])
    values: list[Any] = [p.value for p in params]
    replay_s = retrace_s = worst = 0.0
    losses: list[float] = []
    for _ in range(points):
        start = time.perf_counter()
        value, grads = prog.value_and_grad(*values)  # the model's Python code is not run
        replay_s += time.perf_counter() - start

        for p, v in zip(params, values, strict=True):
            p.value = v
        start = time.perf_counter()
        with tp.Tape() as fresh:
            ref = loss()
        ref_grads = fresh.gradient(ref, params)
        retrace_s += time.perf_counter() - start

        worst = max(worst, _diff(value, ref.value), _diff(list(grads), ref_grads))
        losses.append(float(value))
        values = [v - lr * g for v, g in zip(values, grads, strict=True)]
    for p, v in zip(params, values, strict=True):
        p.value = v
    acc = float(np.mean((np.asarray(model(X).value).reshape(-1) > 0) == (y > 0)))
    note = (
        f"moons by replay: {points} SGD steps (lr {lr}) of one compiled tape, "
        f"loss {losses[0]:.4f} -> {losses[-1]:.4f}, training accuracy {100 * acc:.1f} %; "
        f"the tape holds {t.nbytes / 1024:.1f} KiB"
    )
    timing = Timing(
        "moons MLP step (337 parameters)", len(prog), points, replay_s, retrace_s, worst
    )
    return timing, note


# ----- workload 2: a 10,000-operation scalar function --------------------------------------------


def euler(h: Any, n_ops: int = 10_000) -> Any:
    """``n_ops // 4`` explicit Euler steps of dh/dt = sin(c·h), step 0.01, four operations each
    (c cycles through 1.0, 1.1, ..., 1.6): a long chain of scalar records."""
    for k in range(n_ops // 4):
        h = h + 0.01 * tp.sin(h * (1.0 + 0.1 * (k % 7)))
    return h


def scalar_workload(points: int = 100, n_ops: int = 10_000) -> Timing:
    """Record ``euler`` once at h = 0.3, then evaluate value and derivative at ``points`` new
    starting values in [−2, 2], by replay and by re-tracing (interleaved)."""
    h0 = tp.Var(0.3)
    with tp.Tape(persistent=True) as t:
        out = euler(h0, n_ops)
    prog = t.compile(inputs=[h0], outputs=[out])
    traced = tp.value_and_grad(lambda h: euler(h, n_ops))
    replay_s = retrace_s = worst = 0.0
    for x in np.linspace(-2.0, 2.0, points):
        start = time.perf_counter()
        value, (grad,) = prog.value_and_grad(float(x))
        replay_s += time.perf_counter() - start
        start = time.perf_counter()
        ref_value, ref_grad = traced(float(x))
        retrace_s += time.perf_counter() - start
        worst = max(worst, _diff(value, ref_value), _diff(grad, ref_grad))
    name = f"scalar chain ({n_ops:,} ops)"
    return Timing(name, len(prog), points, replay_s, retrace_s, worst)


# ----- a guard firing ----------------------------------------------------------------------------


def piecewise(x: tp.Var) -> tp.Var:
    """A function with a Python branch on a recorded value: the branch is kept as a guard."""
    if tp.sum(x) > 0:  # the value leaves the tape here: the tape keeps a guard record
        return tp.sum(tp.sin(x))
    return tp.sum(x * x)


def guard_demo(
    recorded_at: Sequence[float] = (1.0, 2.0, 3.0),
    same_branch: Sequence[float] = (0.5, -0.2, 1.0),
    other_branch: Sequence[float] = (-1.0, -2.0, -3.0),
) -> tuple[float, str]:
    """Record ``piecewise`` at one input, replay at an input on the same side of its ``if``
    (fine: returns that value), then at one on the other side (``TapeInvalidated``).

    Returns:
        ``(value on the same branch, the TapeInvalidated message)``.

    Raises:
        AssertionError: When the guard does not fire.
    """
    x = tp.Var(np.asarray(recorded_at, dtype=np.float64))
    with tp.Tape(persistent=True) as t:
        y = piecewise(x)
    prog = t.compile(inputs=[x], outputs=[y])
    same = float(prog(np.asarray(same_branch, dtype=np.float64)))
    try:
        prog(np.asarray(other_branch, dtype=np.float64))
    except tp.TapeInvalidated as e:
        return same, str(e)
    raise AssertionError("the guard did not fire")


# ----- main --------------------------------------------------------------------------------------


def run(moons_points: int, scalar_points: int, n_ops: int) -> list[Timing]:
    """Both workloads; asserts replay equals re-tracing to ``TOL``. Prints as it goes."""
    timings = []
    moons_timing, note = moons_workload(moons_points)
    print(note)
    timings.append(moons_timing)
    timings.append(scalar_workload(scalar_points, n_ops))
    for timing in timings:
        if not timing.max_diff <= TOL:
            raise AssertionError(
                f"{timing.name}: replay and re-tracing differ by {timing.max_diff:.3g}"
            )
    return timings


def main(argv: list[str] | None = None) -> list[Timing]:
    """Run both workloads and the guard demo; print a summary. Returns the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--points", type=int, default=1000, help="moons SGD steps (1000)")
    parser.add_argument(
        "--scalar-points", type=int, default=100, help="inputs of the scalar chain (100)"
    )
    parser.add_argument("--ops", type=int, default=10_000, help="scalar chain length (10000)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    timings = run(args.points, args.scalar_points, args.ops)
    same, message = guard_demo()
    print()
    print("replay (prog.value_and_grad) against re-tracing (record + gradient), same inputs:")
    print(HEADER)
    for timing in timings:
        print(timing.line())
    print(f"(ms per point; replay and re-tracing agree to {TOL:g} on every value and gradient)")
    for timing in timings:
        if timing.speedup < 1.0:
            print(
                f"note: on the {timing.name} replay is slower than re-tracing: each record is "
                "one tiny float operation, and the replay loop's cost per record exceeds the "
                "recording path's"
            )
    print()
    print(f"guard: piecewise replayed on its recorded branch gives {same:.6f}; on the other:")
    print(f"  TapeInvalidated: {message}")
    print(f"\ndone in {time.perf_counter() - start:.1f} s")
    return timings


if __name__ == "__main__":
    main()
