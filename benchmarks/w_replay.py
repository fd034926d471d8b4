"""W9: replay (issue 12). A compiled tape (``Tape.compile``) run again at new inputs, against
the hand-written floor and against recording the same function afresh.

- W9 W1: W1's tensor loss (MLP(2, [16, 16, 1]), hinge + L2), value and gradient, on the
  compiled path (the default at this length) and forced onto the interpreted path.
- W9 JVP: the same loss in forward mode, J·v along one random direction of every
  parameter: ``Program.jvp`` lowered to NumPy, the generic replay, ``tp.jvp`` (dual numbers)
  and forward mode written by hand (the floor).
- W9 HVP: H·v of the same loss: ``Program.hvp`` (its second-order program, lowered), the
  generic forward-over-reverse replay and ``tp.hvp``.
- W9 W5 N=…: W5's scalar chain x ← 1.0001·x + 0.1·sin x at N = 10³, 10⁴, 10⁵ links, in
  µs per link, against the Python-float floor: the default path (``auto``), each path forced
  (compiled only up to 10⁴ links: at 10⁵ CPython's compile takes tens of seconds and GBs).
- W9 build: at N = 10⁵, the time to build the Program (lowering and the interpreter's op
  lists, i.e. the first ``value_and_grad`` minus a later one) against the time to record the
  tape, and the peak memory of building against the memory the tape holds (tracemalloc, in a
  fresh subprocess).
- W9 threshold: per record, what compiling costs once and what each path costs per call, at
  several chain lengths: the measurement behind ``tape._program.COMPILE_LIMIT``.

    OPENBLAS_NUM_THREADS=1 python benchmarks/w_replay.py [--quick] [--write]
                                             # these tables alone; --write rewrites the
                                             # replay section of RESULTS.md
"""

from __future__ import annotations

import gc
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from harness import FLOOR, TAPE, Contender, Table, check_gradients, measure
from w_mlp import ALPHA, W1, np_value_and_grad, setup, tape_loss
from w_scalar import X0, _floor_chain

import tape as tp
from tape._codegen import Interpreter, compile_plan, lower
from tape._program import COMPILE_LIMIT

HERE = Path(__file__).resolve().parent


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
    prog = t.compile(inputs=ps, outputs=[loss])
    interp = prog.using("interpreted")

    def replay() -> list[Any]:
        return list(prog.value_and_grad(*params)[1])

    def replay_i() -> list[Any]:
        return list(interp.value_and_grad(*params)[1])

    floor = lambda: np_value_and_grad(params, X, y, spec)[1]
    cs = [
        Contender("numpy (floor)", FLOOR, floor, floor),
        Contender("tape: record + sweep", TAPE, record, record),
        Contender("tape: compiled replay", TAPE, replay, replay),
        Contender("tape: interpreted replay", TAPE, replay_i, replay_i),
    ]
    check_gradients("W9 W1", cs)
    measure(cs, repeats, warmup=3)
    table = Table(
        "W9 W1", "replay vs re-recording: W1's tensor loss, value and gradient", "ms", 1e-3, cs
    )
    table.notes.append(f"{len(prog)} records; path auto = {prog._chosen()}")
    return table


def np_jvp(ps: list[np.ndarray], dps: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> float:
    """W1's loss differentiated along ``dps`` by hand: forward mode in NumPy (the floor)."""
    h, dh = X, np.zeros_like(X)
    n = len(ps) // 2
    for i in range(n):
        W, b, dW, db = ps[2 * i], ps[2 * i + 1], dps[2 * i], dps[2 * i + 1]
        z, dz = h @ W + b, dh @ W + h @ dW + db
        if i < n - 1:
            on = z > 0.0
            h, dh = z * on, dz * on
        else:
            h, dh = z, dz
    margins = 1.0 - h * y[:, None]
    data = float(((-dh * y[:, None]) * (margins > 0.0)).mean())
    return data + ALPHA * sum(2.0 * float((p * d).sum()) for p, d in zip(ps, dps, strict=True))


def _w1_program(seed: int) -> tuple[Any, list[Any], list[Any], Any, Any, tp.Program]:
    """W1's loss recorded and compiled, its parameters, a random direction for each, the
    data."""
    spec = W1
    params, X, y = setup(spec)
    rng = np.random.default_rng(seed)
    dps = [rng.standard_normal(p.shape) for p in params]
    ps = [tp.Var(p) for p in params]
    with tp.Tape(persistent=True) as t:
        loss = tape_loss(ps, X, y, spec)
    return spec, params, dps, X, y, t.compile(inputs=ps, outputs=[loss])


def _w1_jvp(repeats: int) -> Table:
    spec, params, dps, X, y, prog = _w1_program(1)
    generic = prog.using("generic")

    def floor() -> list[Any]:
        return [np.array(np_jvp(params, dps, X, y))]

    def fresh() -> list[Any]:
        return [np.array(tp.jvp(lambda *v: tape_loss(v, X, y, spec), params, dps)[1])]

    def lowered() -> list[Any]:
        return [np.array(prog.jvp(params, dps))]

    def replayed() -> list[Any]:
        return [np.array(generic.jvp(params, dps))]

    cs = [
        Contender("numpy (floor)", FLOOR, floor, floor),
        Contender("tape: tp.jvp (dual numbers)", TAPE, fresh, fresh),
        Contender("tape: compiled jvp replay", TAPE, lowered, lowered),
        Contender("tape: generic jvp replay", TAPE, replayed, replayed),
    ]
    check_gradients("W9 JVP", cs)
    measure(cs, repeats, warmup=3)
    table = Table(
        "W9 JVP",
        "forward mode: W1's tensor loss, value's J·v along one direction for every parameter",
        "ms",
        1e-3,
        cs,
    )
    table.notes.append(
        "the compiled jvp is Program.jvp lowered to NumPy (source('jvp')); the generic one "
        "replays record by record and pushes tangents through the rows' JVP rules"
    )
    return table


def _w1_hvp(repeats: int) -> Table:
    spec, params, dps, X, y, prog = _w1_program(2)
    generic = prog.using("generic")

    def fresh() -> list[Any]:
        return list(tp.hvp(lambda *v: tape_loss(v, X, y, spec), tuple(params), tuple(dps)))

    def lowered() -> list[Any]:
        return list(prog.hvp(params, dps))

    def replayed() -> list[Any]:
        return list(generic.hvp(params, dps))

    def value_and_grad() -> list[Any]:
        return list(prog.value_and_grad(*params)[1])

    cs = [
        Contender("tape: tp.hvp (forward over reverse)", TAPE, fresh, fresh),
        Contender("tape: hvp replay (second-order program)", TAPE, lowered, lowered),
        Contender("tape: generic hvp replay", TAPE, replayed, replayed),
    ]
    check_gradients("W9 HVP", cs)
    measure(cs, repeats, warmup=3)
    ref = Contender("vag", TAPE, value_and_grad, value_and_grad)
    measure([ref], repeats, warmup=3)
    table = Table(
        "W9 HVP",
        "H·v of W1's tensor loss along one direction for every parameter",
        "ms",
        1e-3,
        cs,
    )
    table.notes.append(
        "the second-order program: s(x, v) = <grad f(x), v> recorded once (the replay on "
        "an inner tape, its sweep recorded by an outer one) and its value_and_grad lowered; "
        f"the same program's value_and_grad takes {1e3 * statistics.median(ref.times):.3f} ms"
    )
    return table


def _chain_tape(n: int) -> tuple[tp.Program, float, float]:
    """W5's chain recorded once; returns the program, the recording time and the time of
    ``compile`` (freezing the records; the plan is built by the first call)."""
    x0 = tp.Var(X0)
    t0 = time.perf_counter()
    with tp.Tape(persistent=True) as t:
        x: Any = x0
        for _ in range(n):
            x = 1.0001 * x + 0.1 * tp.sin(x)
    seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    prog = t.compile(inputs=[x0], outputs=[x])
    return prog, seconds, time.perf_counter() - t0


def _w5(n: int, repeats: int) -> Table:
    x0 = tp.Var(X0)

    def record() -> float:
        with tp.Tape() as t:
            x: Any = x0
            for _ in range(n):
                x = 1.0001 * x + 0.1 * tp.sin(x)
        return float(t.gradient(x, x0))

    prog = _chain_tape(n)[0]
    paths = ["auto", "interpreted"] + (["compiled"] if n <= 10_000 else [])

    def replay(path: str) -> Any:
        p = prog.using(path)
        return lambda: float(p.value_and_grad(X0)[1][0])

    floor = lambda: _floor_chain(n)
    cs = [
        Contender("python floats (floor)", FLOOR, floor, floor),
        Contender("tape: record + sweep", TAPE, record, record),
        *(Contender(f"tape: replay ({p})", TAPE, replay(p), replay(p)) for p in paths),
    ]
    for c in cs[2:]:  # build each path's plan outside the timing (see W9 build)
        assert c.step is not None
        c.step()
    check_gradients(f"W9 W5 N={n}", cs)
    measure(cs, repeats, warmup=1, min_sample=0.0)
    table = Table(
        f"W9 W5 N=1e{round(math.log10(n))}",
        f"replay of W5's chain, N = {n:,} links ({len(prog):,} records), value and derivative",
        "µs/link",
        1e-6 * n,
        cs,
    )
    table.notes.append(f"path auto = {prog._chosen()} (COMPILE_LIMIT = {COMPILE_LIMIT:,} records)")
    return table


def _build_memory(n: int) -> dict[str, Any]:
    """In this (fresh) process: the tape's memory and the peak while building, traced."""
    import tracemalloc

    _chain_tape(100)[0].value_and_grad(X0)  # warm: imports, op-code caches
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    x0 = tp.Var(X0)
    with tp.Tape(persistent=True) as t:
        x: Any = x0
        for _ in range(n):
            x = 1.0001 * x + 0.1 * tp.sin(x)
    tape_bytes = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.reset_peak()
    mark = tracemalloc.get_traced_memory()[0]
    prog = t.compile(inputs=[x0], outputs=[x])
    prog.value_and_grad(X0)  # builds the plan and runs it once
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "n": n,
        "records": len(prog),
        "tape_bytes": tape_bytes,
        "build_peak_bytes": peak - mark,
        "kept_bytes": current - mark,
    }


def _build(n: int, repeats: int) -> Table:
    rec = Contender("record the tape", TAPE)
    build = Contender("build the Program (compile() + first call − a later call)", TAPE)
    for _ in range(repeats):
        gc.collect()
        prog, seconds, freeze = _chain_tape(n)
        rec.times.append(seconds)
        t0 = time.perf_counter()
        prog.value_and_grad(X0)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        prog.value_and_grad(X0)
        build.times.append(freeze + first - (time.perf_counter() - t0))
        del prog
    out = subprocess.run(
        [sys.executable, str(Path(__file__)), "--memory", str(n)],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE,
    )
    mem = json.loads(out.stdout.strip().splitlines()[-1])
    mib = 2**20
    build.extra = {
        "tape's memory (MiB)": f"{mem['tape_bytes'] / mib:.1f}",
        "peak while building (MiB)": f"{mem['build_peak_bytes'] / mib:.1f}",
        "peak ÷ tape's": f"{mem['build_peak_bytes'] / mem['tape_bytes']:.2f}",
        "kept (MiB)": f"{mem['kept_bytes'] / mib:.1f}",
    }
    table = Table(
        "W9 build",
        f"building the Program of W5's chain at N = {n:,} links ({mem['records']:,} records), "
        "against recording it",
        "s",
        1.0,
        [rec, build],
        extra_cols=list(build.extra),
        floor_name="record the tape",
    )
    table.notes.append(
        "memory by tracemalloc in a fresh process: what the tape holds after recording, and "
        "the peak above that while compile() and the first value_and_grad build the Program "
        "and run it once; kept: what the Program holds after"
    )
    return table


def _mixed_chain_tape(n: int) -> tp.Program:
    """A chain of ``n`` links, each a function picked at random (seeded): a tape whose lines
    do not repeat, as a program without loops (W5's chain is one loop) records."""
    rng = np.random.default_rng(0)
    ops = [tp.sin, tp.cos, tp.tanh, lambda v: v * v, lambda v: 0.5 * v]
    x0 = tp.Var(X0)
    with tp.Tape(persistent=True) as t:
        x: Any = x0
        for k in rng.integers(0, len(ops), n):
            x = 0.9 * ops[k](x) + 0.01
    return t.compile(inputs=[x0], outputs=[x])


def _threshold() -> Table:
    """Per record: compile once (lower + compile), build the interpreter once, and each
    path's cost per call, at several chain lengths, for W5's chain (one loop: the
    interpreter compiles its repeated chunks) and a chain whose lines do not repeat."""
    rows: list[Contender] = []
    cols = [
        "records",
        "compile (µs/record)",
        "interpreter build (µs/record)",
        "call compiled (µs/record)",
        "call interpreted (µs/record)",
        "calls to repay compile",
    ]
    for links, kind in [(n, k) for k in ("loop", "no loop") for n in (125, 500, 2_000, 8_000)]:
        prog = _chain_tape(links)[0] if kind == "loop" else _mixed_chain_tape(links)
        recs, ins, out = prog._records, prog._inputs, prog._outputs[0]
        m = len(recs)
        gc.collect()
        t0 = time.perf_counter()
        _, compiled = compile_plan(lower(recs, ins, out))
        t_compile = time.perf_counter() - t0
        t0 = time.perf_counter()
        interp = Interpreter(recs, ins, out)
        t_build = time.perf_counter() - t0

        def per_call(f: Any) -> float:
            ts = []
            for _ in range(7):
                t0 = time.perf_counter()
                f(X0)
                ts.append(time.perf_counter() - t0)
            return sorted(ts)[3]

        c_call, i_call = per_call(compiled), per_call(interp)
        saved = i_call - c_call
        c = Contender(f"{links:,} links ({kind})", TAPE)
        c.times.append(t_compile)
        c.extra = {
            "records": f"{m:,}",
            "compile (µs/record)": f"{1e6 * t_compile / m:.1f}",
            "interpreter build (µs/record)": f"{1e6 * t_build / m:.2f}",
            "call compiled (µs/record)": f"{1e6 * c_call / m:.3f}",
            "call interpreted (µs/record)": f"{1e6 * i_call / m:.3f}",
            "calls to repay compile": f"{(t_compile - t_build) / saved:.0f}"
            if saved > 0
            else "never",
        }
        rows.append(c)
    table = Table(
        "W9 threshold",
        "where compile() stops paying: its one-off cost per record against each path's per call",
        "s",
        1.0,
        rows,
        extra_cols=cols,
    )
    table.notes.append(
        f"COMPILE_LIMIT = {COMPILE_LIMIT:,} records: compiling costs ~10–25 µs per line of source "
        "(2–3 lines per record) whatever the length, against ~1 µs to record the record, so a "
        "compiled program repays its compile only after the number of calls in the last column; "
        "the limit keeps that one-off cost under ~0.1 s, and past ~10⁵ lines compile's time and "
        "memory grow faster than linearly (issue 12: 20 s and 4.3 GB at 900,000 lines). A "
        "loop's lines repeat: past a few thousand lines the interpreter compiles each repeated "
        "chunk of them once (_codegen._fuse_repeats) and runs as fast as the whole compiled "
        "function; lines that do not repeat stay one op code each"
    )
    return table


def run_w9(repeats: int, quick: bool = False) -> list[Table]:
    tables = [_w1(repeats), _w1_jvp(repeats), _w1_hvp(repeats)]
    for n in (1_000, 10_000) if quick else (1_000, 10_000, 100_000):
        tables.append(_w5(n, max(3, repeats // 2) if n < 100_000 else 3))
    tables.append(_build(10_000 if quick else 100_000, 3))
    tables.append(_threshold())
    for t in tables:
        rec = t.median("tape: record + sweep")
        rep = t.median("tape: compiled replay") or t.median("tape: replay (auto)")
        if rec and rep:
            t.notes.append(f"replay is {rec / rep:.2f}× faster than recording again")
    return tables


def not_available() -> Table:
    t = Table("W9", "replay (compiled tape) vs re-recording", "ms", 1e-3, [])
    t.notes.append("not available yet: tp.Tape has no compile() in this version of tape")
    return t


if __name__ == "__main__":
    if sys.argv[1:2] == ["--memory"]:
        print(json.dumps(_build_memory(int(sys.argv[2]))))
        sys.exit(0)
    import harness
    import report
    import run

    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        print("(run with OPENBLAS_NUM_THREADS=1 to measure as benchmarks/run.py does)")
    tables = run_w9(11, quick="--quick" in sys.argv)
    for table in tables:
        print(harness.render_text(table))
        print()
    targets = [t for t in run.evaluate(tables, {}) if t[0].startswith("W9")]
    for w, target, measured, ok in targets:
        print(f"  {ok:6} {w:12} target {target:50} measured {measured}")
    if "--write" in sys.argv:
        threads = os.environ.get("OPENBLAS_NUM_THREADS")
        command = (
            f"OPENBLAS_NUM_THREADS={threads} " if threads else ""
        ) + "python benchmarks/w_replay.py"
        command += "".join(f" {a}" for a in sys.argv[1:])
        report.write_replay_section(
            HERE / "RESULTS.md", report.replay_section(command, tables, targets)
        )
        print(f"wrote the replay section of {HERE / 'RESULTS.md'}")
