"""Instructions per unit of work, counted by valgrind's callgrind: a measure that does not move.

    python benchmarks/instructions.py              # W5, W6, W1 and W2 (about 7 minutes)
    python benchmarks/instructions.py --only W5,W6

The machines here are shared: between runs, medians move by 10–30 % and a 3 % change is lost
in the noise. Callgrind counts the instructions the CPU executes instead, which repeat to a
few parts in a hundred thousand for the same code, inputs and interpreter, whatever else the
machine does, once the hash seed is fixed (it is here: a random one moves them by up to
0.3 %). So a change to the kernel can be judged in one run against its parent (check out
each, run this, compare). Instructions are not time (a cache miss costs more than an add),
but for the interpreter's loop over small values they follow it closely.

Each case runs twice under callgrind, at ``n`` units and at none (imports, setup and a
warm-up of 4 units in both), and the difference is divided by ``n``. The cases are those of
``minimal.py`` (W5 per link, W6 per operation) and the tensor steps of W1 and W2 (per step,
SGD included), each next to its hand-written floor. Needs valgrind (``apt-get install
valgrind``); the two runs of a case go in parallel.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import minimal
import w_mlp
from w_scalar import _floor_chain, _tape_chain


def _steps(spec: w_mlp.Spec) -> dict[str, Callable[[int], object]]:
    """The floor's and tape's training step for an MLP workload, ``n`` steps per call."""
    params, X, y = w_mlp.setup(spec)
    out: dict[str, Callable[[int], object]] = {}
    for label, contender in (
        ("floor (forward + backward + SGD)", w_mlp.floor_contender(spec, params, X, y)),
        ("tape (record + sweep + SGD)", w_mlp.tape_contender(spec, params, X, y)),
    ):
        step = contender.step
        assert step is not None

        def run(n: int, step: Callable[[], object] = step) -> None:
            for _ in range(n):
                step()

        out[label] = run
    return out


def cases(workload: str) -> tuple[str, int, dict[str, Callable[[int], object]]]:
    """(unit, n, {case: f(n)}) for a workload; the floor first."""
    if workload == "W5":
        return (
            "link",
            4_000,
            {
                "floor (forward + backward)": _floor_chain,
                "minimal recorder (record only)": minimal.w5_minimal,
                "tape (record only)": minimal.w5_tape_record,
                "tape (record + sweep)": _tape_chain,
            },
        )
    if workload == "W6":
        return (
            "operation",
            2_000,
            {
                "floor (forward + backward)": minimal.w6_floor,
                "minimal recorder (record only)": minimal.w6_minimal,
                "tape (record only)": minimal.w6_tape_record,
                "tape (record + sweep)": minimal.w6_tape,
            },
        )
    if workload in ("W1", "W2"):
        return "step", 20, _steps(w_mlp.W1 if workload == "W1" else w_mlp.W2)
    raise SystemExit(f"unknown workload {workload!r}: W5, W6, W1 or W2")


def _count(workload: str, case: str, n: int) -> int:
    """Instructions callgrind counts for one run of this script's ``--run``."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--run",
            workload,
            case,
            str(n),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="W5,W6,W1,W2", help="workloads, comma-separated")
    ap.add_argument("--run", nargs=3, metavar=("WORKLOAD", "CASE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:  # one measured process: warm up, then n units
        workload, case, n = args.run
        f = cases(workload)[2][case]
        f(4)
        f(int(n))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind (callgrind counts)")
    with ThreadPoolExecutor(2) as pool:
        for workload in args.only.split(","):
            unit, n, fs = cases(workload)
            print(f"\n{workload}: instructions per {unit} (callgrind, n = {n:,} against 0)")
            floor = 0.0
            for case in fs:
                full, empty = pool.map(partial(_count, workload, case), (n, 0))
                per = (full - empty) / n
                floor = floor or per
                print(f"  {case:34s} {per:14,.0f}   {per / floor:6.2f}× floor", flush=True)


if __name__ == "__main__":
    main()
