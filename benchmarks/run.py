"""The benchmark suite of tape: W1–W9 against micrograd, HIPS autograd, PyTorch and JAX.

    python benchmarks/run.py                 # the full suite (< 10 min on 2 cores);
                                             # writes benchmarks/RESULTS.md and results.png
    python benchmarks/run.py --quick         # fewer repeats, smaller W4 and W5 (< 2 min)
    python benchmarks/run.py --only W1,W5    # some workloads

Partial runs (--quick, --only) print their tables but leave RESULTS.md alone unless given
--write. A peer that is not installed is reported as missing; gradients that disagree
(rtol 1e-6) stop the suite.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ALL = ("W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "MEM")


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer repeats, smaller W4/W5 (< 2 min)")
    p.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W5 (or MEM)")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for every library's kernels (BLAS, OpenMP, XLA); default 1, see RESULTS.md",
    )
    p.add_argument("--write", action="store_true", help="write RESULTS.md and the chart anyway")
    return p.parse_args(argv)


def pin_threads(n: int) -> None:
    """Give every library the same number of threads; must run before they are imported."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    if n == 1:
        flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flags).strip()


def main(argv: list[str]) -> int:
    args = parse(argv)
    pin_threads(args.threads)
    sys.path.insert(0, str(Path(__file__).resolve().parent))

    import harness
    import memory
    import peers
    import report
    import w_array
    import w_jacobian
    import w_mlp
    import w_replay
    import w_scalar

    torch = peers.load("torch")
    if torch is not None:
        torch.set_num_threads(args.threads)
    for name in peers.PEERS:
        peers.load(name)

    only = {w.strip().upper() for w in args.only.split(",") if w.strip()}
    unknown = only - set(ALL)
    if unknown:
        print(f"unknown workloads {sorted(unknown)}; choose from {', '.join(ALL)}")
        return 2
    selected = [w for w in ALL if not only or w in only]
    quick = args.quick
    full = not quick and not only
    info = report.machine(args.threads)
    command = "python benchmarks/run.py" + "".join(f" {a}" for a in argv)
    print(f"tape benchmarks — {command}")
    for k, v in info.items():
        print(f"  {k}: {v}")
    print()

    tables: list[harness.Table] = []
    mem: dict[str, Any] = {}
    start = time.perf_counter()

    def show(ts: list[harness.Table]) -> None:
        for t in ts:
            tables.append(t)
            print(harness.render_text(t))
            print(flush=True)

    r = 5 if quick else 21
    jobs: dict[str, Callable[[], None]] = {
        "W1": lambda: show(
            [w_mlp.run_step(w_mlp.W1, r), w_scalar.run_w1_scalar(2 if quick else 5)]
        ),
        "W2": lambda: show([w_mlp.run_step(w_mlp.W2, r)]),
        "W3": lambda: show([w_mlp.run_step(w_mlp.W3, 5 if quick else 21)]),
        "W4": lambda: show([w_array.run_w4(1024 if quick else 2048, 2 if quick else 5)]),
        "W5": lambda: show(
            w_scalar.run_w5(
                [100, 1000, 10_000] if quick else [100, 1000, 10_000, 100_000, 1_000_000],
                budget=3.0 if quick else 30.0,
                repeats_for=lambda n: (
                    1 if n >= 1_000_000 else (3 if quick else {100_000: 3}.get(n, 7))
                ),
            )
        ),
        "W6": lambda: show([w_array.run_w6(5 if quick else 11)]),
        "W7": lambda: show(
            w_jacobian.run_w7(lambda n, m: (2 if quick else 5) if n * m >= 10**6 else r)
        ),
        "W8": lambda: show([w_mlp.run_w8(5 if quick else 11)]),
        "W9": lambda: show(
            w_replay.run_w9(5 if quick else 11, quick=quick)
            if w_replay.available()
            else [w_replay.not_available()]
        ),
        "MEM": lambda: mem.update(
            measure_memory(memory, w_mlp, peers, 100_000 if quick else 1_000_000, args.threads)
        ),
    }
    for w in selected:
        t0 = time.perf_counter()
        print(f"== {w} ...", flush=True)
        jobs[w]()
        print(f"   ({w} took {time.perf_counter() - t0:.0f} s)\n", flush=True)
    elapsed = time.perf_counter() - start

    memory_lines = memory_report(mem)
    for line in memory_lines:
        print(line)
    targets = evaluate(tables, mem)
    print("\nTargets:")
    for w, t, m, ok in targets:
        print(f"  {ok:6} {w:10} target {t:45} measured {m}")
    print(f"\nsuite ran in {elapsed / 60:.1f} min")

    if full or args.write:
        here = Path(__file__).resolve().parent
        end_load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        report.write_markdown(
            here / "RESULTS.md", command, info, targets, tables, memory_lines, elapsed, end_load
        )
        drawn = report.chart(here / "results.png", tables)
        print(f"wrote {here / 'RESULTS.md'}" + (f" and {here / 'results.png'}" if drawn else ""))
        if not drawn:
            print("matplotlib is not installed: no chart (pip install '.[bench]')")
    else:
        print("(partial run: RESULTS.md and results.png not written; --write to force)")
    return 0


# ----- memory ------------------------------------------------------------------------------------


def measure_memory(memory: Any, w_mlp: Any, peers: Any, n: int, threads: int) -> dict[str, Any]:
    out: dict[str, Any] = {"chain_n": n}
    out["tape"] = memory.measure_in_subprocess("tape", n, threads)
    out["floats"] = memory.measure_in_subprocess("python floats", n, threads)
    if peers.load("torch") is not None:
        out["torch"] = memory.measure_in_subprocess("torch", max(n // 10, 1000), threads)
    else:
        out["torch"] = {"lib": "torch", "n": "", "error": "missing (not installed)"}
    out["w3"] = w_mlp.w3_residuals()
    return out


def _mib(b: float) -> str:
    return f"{b / 2**20:.1f} MiB"


def memory_report(mem: dict[str, Any]) -> list[str]:
    if not mem:
        return []
    lines = [
        "Memory of W5's chain (peak RSS growth of a fresh process, one per measurement):",
        "",
        "| library | links | records | peak RSS growth: recording | + sweep | bytes/link "
        "| bytes/record |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in ("tape", "floats", "torch"):
        m = mem.get(key) or {}
        if "error" in m:
            lines.append(f"| {m.get('lib', key)} | {m.get('n', '')} | | {m['error']} | | | |")
            continue
        if not m:
            continue
        per_rec = m.get("bytes_per_record")
        lines.append(
            f"| {m['lib']} | {m['n']:,} | {m.get('records', '—')} | {_mib(m['recording_bytes'])} "
            f"| {_mib(m['with_sweep_bytes'])} | {m['bytes_per_link']:.0f} "
            f"| {'—' if per_rec is None else f'{per_rec:.0f}'} |"
        )
    w3 = mem.get("w3")
    if w3:
        lines += [
            "",
            "Residuals one W3 step holds for its backward pass (batch 256, 784→512→512→10):",
            "",
            "| | all arrays held | activations only (no parameters, no input batch) |",
            "|---|---|---|",
            f"| tape ({w3['tape_records']} records: their input and output arrays, each "
            f"buffer once) | {_mib(w3['tape_total'])} | {_mib(w3['tape_activations'])} |",
        ]
        if "torch_total" in w3:
            lines.append(
                f"| torch ({w3['torch_saved_tensors']} saved tensors via saved_tensors_hooks, "
                f"each storage once) | {_mib(w3['torch_total'])} "
                f"| {_mib(w3['torch_activations'])} |"
            )
        if "tape_nbytes_property" in w3:
            lines.append(f"\n`t.nbytes` for the same tape: {_mib(w3['tape_nbytes_property'])}.")
    return lines


# ----- targets -----------------------------------------------------------------------------------


def evaluate(tables: list[Any], mem: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(workload, target, measured, met) for every target of the issue that was measured."""
    by = {t.key: t for t in tables}
    out: list[tuple[str, str, str, str]] = []

    def med(key: str, name: str) -> float | None:
        t = by.get(key)
        return t.median(name) if t is not None else None

    def floor_ratio(key: str, name: str = "tape") -> float | None:
        t = by.get(key)
        if t is None:
            return None
        row = next((c for c in t.rows if c.name == name), None)
        return None if row is None else t.ratios(row)[0]

    def yes(ok: bool) -> str:
        return "MET" if ok else "MISSED"

    for key, limit in (("W1 tensor", 2.0), ("W2", 2.0)):
        r = floor_ratio(key)
        if r is not None:
            out.append((key, f"≤ {limit:g}× floor", f"{r:.2f}× floor", yes(r <= limit)))
    if "W1 scalar" in by:
        tm, mg = med("W1 scalar", "tape (scalar Vars)"), med("W1 scalar", "micrograd")
        if tm and mg:
            out.append(
                (
                    "W1 scalar",
                    "≥ 5× faster than micrograd",
                    f"{mg / tm:.2f}× faster",
                    yes(mg / tm >= 5),
                )
            )
    if "W3" in by:
        r = floor_ratio("W3")
        tt, to = med("W3", "tape"), med("W3", "torch")
        if r is not None:
            vs = f", {tt / to:.2f}× torch" if tt and to else ""
            ok = r <= 1.1 and (to is None or (tt is not None and tt <= to))
            out.append(("W3", "≤ 1.1× floor and ≤ PyTorch", f"{r:.2f}× floor{vs}", yes(ok)))
    r = floor_ratio("W4")
    if r is not None:
        out.append(("W4", "≤ 1.05× floor", f"{r:.2f}× floor", yes(r <= 1.05)))
    w5 = sorted((t for t in tables if t.key.startswith("W5 ")), key=lambda t: t.per)
    if w5:
        per = [(t.key[3:], t.median("tape")) for t in w5]
        worst = max((m for _, m in per if m is not None), default=None)
        n_max = w5[-1].key[3:]
        ran_max = w5[-1].median("tape") is not None and n_max == "N=1e6"
        desc = ", ".join(f"{k}: {m:.2f}" for k, m in per if m is not None) + " µs/link"
        ok = worst is not None and worst <= 2.3 and ran_max
        out.append(("W5", "≤ 2.3 µs/link, and 10⁶ links work", desc, yes(ok)))
    r6 = med("W6", "tape")
    if r6 is not None:
        out.append(("W6", "≤ 5 µs/op", f"{r6:.2f} µs/op", yes(r6 <= 5)))
    w7 = [t for t in tables if t.key.startswith("W7 ")]
    for t in w7:
        tf, tr = t.median("tape jacfwd"), t.median("tape jacrev")
        rivals = {
            n: t.median(n) for n in ("torch.func.jacfwd", "torch.func.jacrev", "autograd.jacobian")
        }
        rivals_ok = {n: v for n, v in rivals.items() if v is not None}
        if tf is None or tr is None:
            continue
        best = min(tf, tr)
        beaten = [n for n, v in rivals_ok.items() if v < best]
        calls = next((c.extra.get("f calls") for c in t.rows if c.name == "tape jacfwd"), "?")
        desc = (
            f"tape best {best:.3g} ms (fwd {tf:.3g}, rev {tr:.3g}); "
            + ", ".join(f"{n} {v:.3g}" for n, v in rivals_ok.items())
            + f"; jacfwd f calls: {calls}"
        )
        if not rivals_ok:
            out.append(
                (
                    t.key,
                    "faster than torch.func and autograd; jacfwd one pass",
                    f"no peer measured; jacfwd f calls: {calls}",
                    "—",
                )
            )
            continue
        ok = not beaten and calls == "1"
        out.append((t.key, "faster than torch.func and autograd; jacfwd one pass", desc, yes(ok)))
    if "W8" in by:
        c = next((c for c in by["W8"].rows if c.name == "tape value+grad"), None)
        ratio = c.extra.get("grad / value") if c is not None else None
        if ratio:
            out.append(("W8", "≤ 3", f"{ratio}", yes(float(ratio) <= 3)))
    r = floor_ratio("W9 W1", "tape: compiled replay")
    if r is not None:
        out.append(("W9 W1", "replay ≤ 1.3× floor", f"{r:.2f}× floor", yes(r <= 1.3)))
    for t in sorted((t for t in tables if t.key.startswith("W9 W5")), key=lambda t: t.per):
        r = floor_ratio(t.key, "tape: replay (auto)")
        if r is not None:
            out.append((t.key, "replay ≤ 5× float floor per link", f"{r:.2f}× floor", yes(r <= 5)))
    if "W9 build" in by:
        t = by["W9 build"]
        row = t.rows[1]
        r = t.ratios(row)[0]
        peak = row.extra.get("peak ÷ tape's")
        if r is not None and peak:
            out.append(
                (
                    "W9 build",
                    "build ≤ 3× recording, peak memory ≤ 2× the tape's",
                    f"{r:.2f}× recording, peak {peak}× the tape's",
                    yes(r <= 3 and float(peak) <= 2),
                )
            )
    tm = (mem.get("tape") or {}).get("bytes_per_record")
    if tm is not None:
        out.append(
            (
                "memory",
                "≤ 300 bytes per scalar record",
                f"{tm:.0f} B/record at {mem['chain_n']:,} links",
                yes(tm <= 300),
            )
        )
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
