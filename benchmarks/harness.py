"""Timing, gradient agreement and result tables shared by every workload.

A *contender* is one library's (or the hand-written floor's) version of a workload: a
``step`` callable to time and a ``grads`` callable that returns its gradients at the common
initial parameters. ``measure`` first asserts that every contender's gradients agree with the
floor's (rtol 1e-6), then warms each one up, then times them interleaved (A B C A B C ...,
the starting contender rotating each round) and keeps every sample.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FLOOR = "floor"  # the hand-written NumPy (or Python-float) forward + backward
TAPE = "tape"
PEER = "peer"  # an eager peer library
JIT = "jit"  # a compiled peer (JAX jit): labelled, and never the "best eager peer"

RTOL = 1e-6


class GradientMismatch(AssertionError):
    """Two contenders of one workload computed different gradients."""


@dataclass
class Contender:
    """One library's version of a workload."""

    name: str
    role: str
    step: Callable[[], Any] | None = None
    grads: Callable[[], Sequence[Any]] | None = None
    status: str = "ok"  # ok | missing | failed | skipped
    note: str = ""
    times: list[float] = field(default_factory=list)  # seconds per call, one per repeat
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def fail(self, exc: BaseException, when: str) -> None:
        self.status = "failed"
        msg = str(exc).splitlines()[0] if str(exc) else ""
        self.note = f"{type(exc).__name__} {when}" + (f": {msg[:90]}" if msg else "")


def missing(name: str, role: str, why: str) -> Contender:
    return Contender(name, role, status="missing", note=why)


def skipped(name: str, role: str, why: str) -> Contender:
    return Contender(name, role, status="skipped", note=why)


# ----- gradient agreement ------------------------------------------------------------------------


def _flat(gs: Any) -> list[np.ndarray]:
    if isinstance(gs, list | tuple):
        out: list[np.ndarray] = []
        for g in gs:
            out.extend(_flat(g))
        return out
    return [np.asarray(gs, dtype=np.float64)]


def assert_agree(label: str, ref_name: str, ref: Any, name: str, got: Any) -> None:
    """Assert ``got`` equals ``ref`` within rtol 1e-6 (atol 1e-12 of the largest reference
    element, so that exact zeros and 1e-17 round-off compare equal, and at least 1e-300, so
    that subnormal numbers, which carry fewer digits, do too)."""
    r, g = _flat(ref), _flat(got)
    if len(r) != len(g):
        raise GradientMismatch(f"{label}: {name} returned {len(g)} gradients, {ref_name} {len(r)}")
    for k, (a, b) in enumerate(zip(r, g, strict=True)):
        if a.shape != b.shape:
            raise GradientMismatch(
                f"{label}: gradient {k} of {name} has shape {b.shape}, {ref_name}'s {a.shape}"
            )
        scale = float(np.max(np.abs(a))) if a.size else 0.0
        try:
            np.testing.assert_allclose(b, a, rtol=RTOL, atol=max(1e-12 * scale, 1e-300))
        except AssertionError as e:
            raise GradientMismatch(
                f"{label}: gradient {k} of {name} disagrees with {ref_name} (rtol {RTOL}):\n{e}"
            ) from None


def check_gradients(label: str, contenders: Sequence[Contender]) -> None:
    """Compute every contender's gradients at the initial parameters and assert agreement
    with the floor's (or, without a floor, the first contender's). A contender that raises
    is marked failed (that is a finding, e.g. micrograd's RecursionError), not an error."""
    ref_name, ref = "", None
    for c in sorted(contenders, key=lambda c: c.role != FLOOR):
        if not c.ok or c.grads is None:
            continue
        try:
            got = c.grads()
        except (RecursionError, MemoryError, RuntimeError, ValueError, TypeError) as e:
            c.fail(e, "computing the gradient")
            continue
        if ref is None:
            ref_name, ref = c.name, got
        else:
            assert_agree(label, ref_name, ref, c.name, got)


# ----- timing ------------------------------------------------------------------------------------


def measure(
    contenders: Sequence[Contender],
    repeats: int,
    warmup: int = 2,
    min_sample: float = 0.02,
    max_number: int = 10_000,
) -> None:
    """Time the contenders' steps, interleaved, ``repeats`` rounds; each contender's
    ``times`` gets one per-call time per round. A sample loops the step ``number`` times,
    ``number`` chosen in warm-up so that a sample lasts about ``min_sample`` seconds.

    Garbage collection stays on: collecting what a library allocates is part of its cost —
    but not collecting what the contender before it left. So after warm-up everything alive
    (the libraries' modules, the workload's data) is frozen out of the collector's passes
    (``gc.freeze``), and each sample starts after a collection outside its timing. (Without
    that, what PyTorch and autograd leave was collected on the next contender's clock: in one
    test tape's W5 chain at N = 10⁴ took 6.95 µs/link with their chains run between its
    samples, 5.27 alone, 5.12 with a collection between.)"""
    live = [c for c in contenders if c.ok and c.step is not None]
    numbers: dict[int, int] = {}
    for c in live:
        assert c.step is not None
        number = 1
        try:
            for _ in range(warmup):
                t0 = time.perf_counter()
                c.step()
                dt = time.perf_counter() - t0
                number = max(1, min(max_number, math.ceil(min_sample / max(dt, 1e-9))))
        except Exception as e:  # a peer that cannot run this workload is a finding
            c.fail(e, "in warm-up")
            continue
        numbers[id(c)] = number
    live = [c for c in live if c.ok]
    gc.collect()
    gc.freeze()
    try:
        for r in range(repeats):
            k = r % len(live) if live else 0
            for c in live[k:] + live[:k]:
                assert c.step is not None
                n = numbers[id(c)]
                step = c.step
                gc.collect()  # the previous contender's garbage, outside the timing
                t0 = time.perf_counter()
                for _ in range(n):
                    step()
                c.times.append((time.perf_counter() - t0) / n)
    finally:
        gc.unfreeze()


def time_once(c: Contender) -> Any:
    """Run a contender's step once, recording its time; returns what the step returned."""
    assert c.step is not None
    gc.collect()
    t0 = time.perf_counter()
    out = c.step()
    c.times.append(time.perf_counter() - t0)
    return out


# ----- tables ------------------------------------------------------------------------------------


@dataclass
class Table:
    """One workload (or one case of it): its contenders' times, shown in ``unit``."""

    key: str  # "W2", "W5 N=10^4", ...
    title: str
    unit: str  # "ms", "s", "µs/link", "µs/op"
    per: float  # the unit's divisor of seconds: 1e-3 for ms, 1e-6 * N for µs/link
    rows: list[Contender]
    notes: list[str] = field(default_factory=list)
    extra_cols: list[str] = field(default_factory=list)
    floor_name: str | None = None  # the row ratios refer to (default: the FLOOR row)

    def value(self, c: Contender) -> tuple[float, float, float] | None:
        """(median, min, max) of a row in the table's unit."""
        if not c.times:
            return None
        ts = [t / self.per for t in c.times]
        return statistics.median(ts), min(ts), max(ts)

    def median(self, name: str) -> float | None:
        for c in self.rows:
            if c.name == name:
                v = self.value(c)
                return None if v is None else v[0]
        return None

    def floor(self) -> Contender | None:
        for c in self.rows:
            if (self.floor_name is None and c.role == FLOOR) or c.name == self.floor_name:
                return c if c.times else None
        return None

    def best_peer(self) -> Contender | None:
        peers = [c for c in self.rows if c.role == PEER and c.times]
        return min(peers, key=lambda c: statistics.median(c.times)) if peers else None

    def ratios(self, c: Contender) -> tuple[float | None, float | None]:
        """(× floor, × best eager peer) of a row."""
        if not c.times:
            return None, None
        m = statistics.median(c.times)
        f, p = self.floor(), self.best_peer()
        rf = m / statistics.median(f.times) if f is not None else None
        rp = m / statistics.median(p.times) if p is not None else None
        return rf, rp

    def cells(self) -> tuple[list[str], list[list[str]]]:
        head = ["contender", f"median ({self.unit})", "min – max", "× floor", "× best eager peer"]
        head += self.extra_cols
        body = []
        for c in self.rows:
            v = self.value(c)
            if v is None:
                status = {"missing": "missing", "failed": "FAILED", "skipped": "not run"}.get(
                    c.status, c.status
                )
                row = [c.name, status, c.note, "", ""]
            else:
                rf, rp = self.ratios(c)
                spread = f"{fmt(v[1])} – {fmt(v[2])}" if len(c.times) > 1 else "(1 run)"
                row = [c.name, fmt(v[0]), spread, fmt_ratio(rf), fmt_ratio(rp)]
                if c.note:
                    row[2] += f"  [{c.note}]"
            row += [c.extra.get(col, "") for col in self.extra_cols]
            body.append(row)
        return head, body


def fmt(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 0.001:
        return f"{x:.3g}"
    return f"{x:.2e}"


def fmt_ratio(r: float | None) -> str:
    if r is None:
        return "—"
    return f"{r:.2f}×" if r < 100 else f"{r:.0f}×"


def render_text(t: Table) -> str:
    head, body = t.cells()
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    widths[2] = min(widths[2], 60)
    lines = [f"{t.key}  {t.title}"]
    lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    for r in body:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    lines.extend(f"  note: {n}" for n in t.notes)
    return "\n".join(lines)


def render_markdown(t: Table) -> str:
    head, body = t.cells()
    lines = [f"### {t.key} — {t.title}", ""]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for r in body:
        name = f"**{r[0]}**" if r[0] == "tape" or r[0].startswith("tape ") else r[0]
        lines.append("| " + " | ".join([name, *r[1:]]) + " |")
    if t.notes:
        lines.append("")
        lines.extend(f"- {n}" for n in t.notes)
    return "\n".join(lines)
