"""Forward vs reverse mode: the same Jacobian two ways, at different costs.

For f: Rⁿ → Rᵐ, forward mode pushes tangents (one per input direction) through f in the
order it runs; reverse mode records f once, then sweeps the tape backwards carrying
cotangents (one per output). ``tp.jacfwd`` is one forward pass carrying n tangents;
``tp.jacrev`` is one reverse sweep carrying m cotangents. The work grows with n in forward
mode and with m in reverse mode, so forward wins when n is small and reverse when m is
small: this example measures where they cross, and the *cheap-gradient principle*: for a
scalar f (m = 1) the gradient by reverse mode costs a small constant times f, whatever n is.

Run: ``python examples/forward_vs_reverse.py`` (add ``--quick`` for a smaller sweep,
``--png PATH`` to choose the plot's file). With matplotlib installed
(``pip install -e '.[examples]'``) it saves forward_vs_reverse.png (``docs/`` holds a copy):
both modes' times against n and m on log axes, with the crossover marked.

BLAS runs on ONE thread here. With two, on a 2-core machine shared with other work (where
a BLAS call can wait for a descheduled thread), jacfwd at n = m = 300 took 25-28 ms instead
of 1.7-1.9 ms in two runs out of three, and the winner flipped from jacfwd to jacrev (when
this was first noticed, it flipped at n = m = 100). BLAS reads
its thread count once, when NumPy is first imported, so this file sets the environment
variables before its own ``import numpy``. When NumPy was imported earlier (by a program
importing this file), they no longer apply: the example says so, and limits the threads
with threadpoolctl when that is installed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""The variables OpenBLAS, OpenMP and MKL read, once, when NumPy loads its BLAS."""

NUMPY_LOADED_FIRST = "numpy" in sys.modules
"""True when NumPy was imported before this module: then BLAS_VARS can no longer apply."""

if not NUMPY_LOADED_FIRST:
    for _var in BLAS_VARS:
        os.environ[_var] = "1"

import numpy as np  # noqa: E402  (after the pin: BLAS reads the variables on import)

import tape as tp  # noqa: E402

SIZES = (1, 3, 10, 30, 100, 300, 1000)

FWD_WORDS = "jacfwd: one forward pass carrying n tangents"
REV_WORDS = "jacrev: one reverse sweep carrying m cotangents"
"""What each mode pushes through f: the table's column headers and the plot's legend."""

Row = tuple[int, int, float, float]
"""One measurement: (n, m, seconds for jacfwd, seconds for jacrev)."""


# ----- the BLAS pin ------------------------------------------------------------------------------


def blas_threads() -> int | None:
    """The threads NumPy's BLAS uses now, as threadpoolctl reports it (None without it)."""
    try:
        threadpoolctl: Any = importlib.import_module("threadpoolctl")
    except ImportError:
        return None
    counts = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    return max(counts) if counts else None


def limit_blas_after_import() -> Any:
    """When NumPy was imported before this module, limit BLAS to one thread with
    threadpoolctl (if installed); returns the limiter to keep alive, or None."""
    if not NUMPY_LOADED_FIRST:
        return None
    try:
        threadpoolctl: Any = importlib.import_module("threadpoolctl")
    except ImportError:
        return None
    return threadpoolctl.threadpool_limits(limits=1, user_api="blas")


def pin_status(limiter: Any = None) -> str:
    """One line saying how many threads BLAS runs on, and why."""
    threads = blas_threads()
    counted = f"{threads} thread{'s' * (threads != 1)}" if threads else "1 thread"
    if not NUMPY_LOADED_FIRST:
        how = f"{', '.join(BLAS_VARS)} set to 1 before NumPy was imported"
    elif limiter is not None:
        how = "NumPy was imported before this file, too late for the environment variables: "
        how += "limited with threadpoolctl"
    else:  # without threadpoolctl, nothing can tell or change the count
        counted = "an unknown number of threads"
        how = "NOT pinned: NumPy was imported before this file, too late for the environment "
        how += "variables, and threadpoolctl is not installed"
    return f"BLAS on {counted} ({how})."


# ----- timing ------------------------------------------------------------------------------------


def median_times(
    fns: Sequence[Callable[[], object]], budget: float = 0.1, runs: tuple[int, int] = (7, 101)
) -> list[float]:
    """The median time (seconds) of each function, timed interleaved.

    Rounds run every function once, the order rotating each round, so that a busy moment
    of the machine slows all of them alike; at least ``runs[0]`` rounds, then more until
    ``budget`` seconds have passed (at most ``runs[1]``). Each function runs once first as a
    warm-up.
    """
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    start = time.perf_counter()
    k = 0
    while k < runs[0] or (time.perf_counter() - start < budget and k < runs[1]):
        for j in range(len(fns)):
            i = (j + k) % len(fns)
            t0 = time.perf_counter()
            fns[i]()
            times[i].append(time.perf_counter() - t0)
        k += 1
    return [statistics.median(ts) for ts in times]


# ----- the function and the measurements ---------------------------------------------------------


def make_f(n: int, m: int, rng: np.random.Generator) -> Callable[[Any], Any]:
    """tanh(W @ x) followed by a chain of three elementwise layers: Rⁿ → Rᵐ."""
    w = rng.standard_normal((m, n)) / np.sqrt(n)

    def f(x: Any) -> Any:
        h = tp.tanh(w @ x)
        for _ in range(3):
            h = tp.sin(h) * h + 0.5 * h
        return h

    return f


def compare(n: int, m: int, rng: np.random.Generator) -> Row:
    """Times of jacfwd and jacrev on one f: Rⁿ → Rᵐ, after checking they agree."""
    f = make_f(n, m, rng)
    x = rng.standard_normal(n)
    jf, jr = tp.jacfwd(f)(x), tp.jacrev(f)(x)
    if not np.allclose(jf, jr, rtol=1e-10, atol=1e-12):
        raise SystemExit(f"jacfwd and jacrev disagree at n={n}, m={m}")
    t_fwd, t_rev = median_times([lambda: tp.jacfwd(f)(x), lambda: tp.jacrev(f)(x)])
    return n, m, t_fwd, t_rev


# ----- the crossover -----------------------------------------------------------------------------


def faster(t_fwd: float, t_rev: float) -> str:
    """The table's verdict: "fwd", "rev", or "≈" when they are within 10 % of each other."""
    if abs(t_fwd - t_rev) < 0.1 * min(t_fwd, t_rev):
        return "≈"
    return "fwd" if t_fwd < t_rev else "rev"


MODE = {"fwd": "jacfwd", "rev": "jacrev"}


class Crossover(NamedTuple):
    """Where the mode that is faster at the largest size starts being faster for good.

    ``row`` is the first row of the final run of rows that ``winner`` wins by more than
    10 % (``faster`` says "fwd" or "rev"); ``before`` is the last row before it that the
    other mode won by more than 10 %, or None when the other mode never did (the rows before
    ``row`` are then all within 10 %: ``winner`` is never slower).
    """

    row: int
    winner: str  # "jacfwd" or "jacrev"
    before: int | None


def crossover(rows: Sequence[Row]) -> Crossover | None:
    """Where the winner at the largest size starts winning for good, or None when the two
    modes are within 10 % of each other at the largest size."""
    verdicts = [faster(t_fwd, t_rev) for _, _, t_fwd, t_rev in rows]
    last = verdicts[-1]
    if last == "≈":
        return None
    row = len(rows) - 1
    while row > 0 and verdicts[row - 1] == last:
        row -= 1
    other = "rev" if last == "fwd" else "fwd"
    before = next((j for j in range(row - 1, -1, -1) if verdicts[j] == other), None)
    return Crossover(row, MODE[last], before)


def verdict(rows: Sequence[Row], key: int, var: str) -> tuple[list[str], str]:
    """The crossover in words, for the table (on one line) and the plot (a line each): the
    phrases, and the mark for the row where the winner takes over ("" for none). ``key``
    picks the size that varies (0 for n, 1 for m) and ``var`` names it: "n", "m", "n = m"."""
    c = crossover(rows)
    if c is None:
        return ["no clear winner:", f"within 10 % of each other at {var} = {rows[-1][key]}"], ""
    at = f"{var} = {rows[c.row][key]}"
    if c.before is not None:
        loser = "jacfwd" if c.winner == "jacrev" else "jacrev"
        return [
            f"crossover at {at}:",
            f"{loser} is faster up to {var} = {rows[c.before][key]},",
            f"{c.winner} from {at} on",
        ], "crossover"
    if c.row == 0:
        return ["no crossover:", f"{c.winner} is faster at every {var} measured"], ""
    return [
        "no crossover:",
        f"{c.winner} is never slower (≈ up to {var} = {rows[c.row - 1][key]})",
        f"and is faster from {at} on",
    ], f"{c.winner} faster from here on"


# ----- the table ---------------------------------------------------------------------------------


def _plural(k: int, word: str) -> str:
    return f"{k} {word}" + "s" * (k != 1)


def table(rows: Sequence[Row], vary: str, key: int, var: str) -> str:
    """One line per (n, m): each mode's time and what it pushed through f, the faster mode,
    and the crossover (marked on its row, and in words below)."""
    fwd_head, fwd_tail = FWD_WORDS.split(" carrying ")
    rev_head, rev_tail = REV_WORDS.split(" carrying ")
    w = 30
    lines = [
        f"Jacobian of f: Rⁿ → Rᵐ, varying {vary} (median times):",
        f"  {'n':>5} {'m':>5}   {fwd_head:<{w}} {rev_head:<{w}} faster",
        f"  {'':>5} {'':>5}   {'carrying ' + fwd_tail:<{w}} {'carrying ' + rev_tail:<{w}} "
        "(≈: within 10 %)",
    ]
    c = crossover(rows)
    words, mark = verdict(rows, key, var)
    for i, (n, m, t_fwd, t_rev) in enumerate(rows):
        fwd = f"{t_fwd * 1e3:8.3f} ms  {_plural(n, 'tangent')}"
        rev = f"{t_rev * 1e3:8.3f} ms  {_plural(m, 'cotangent')}"
        here = f"  ← {mark}" if mark and c is not None and i == c.row else ""
        lines.append(f"  {n:>5} {m:>5}   {fwd:<{w}} {rev:<{w}} {faster(t_fwd, t_rev)}{here}")
    lines.append("  → " + " ".join(words))
    return "\n".join(lines)


# ----- the cheap-gradient principle --------------------------------------------------------------


def cheap_gradient(n: int, rng: np.random.Generator) -> tuple[float, float]:
    """time(gradient)/time(f) for f(x) = Σ tanh(A x)², A of n×n: reverse and forward mode."""
    a = rng.standard_normal((n, n)) / np.sqrt(n)
    x = rng.standard_normal(n)

    def f(z: Any) -> Any:
        return (tp.tanh(a @ z) ** 2).sum()

    assert np.allclose(tp.grad(f)(x), tp.jacfwd(f)(x), rtol=1e-10, atol=1e-12)
    # f(x) on a plain array is plain NumPy: no tape is active
    t_f, t_rev, t_fwd = median_times([lambda: f(x), lambda: tp.grad(f)(x), lambda: tp.jacfwd(f)(x)])
    return t_rev / t_f, t_fwd / t_f


# ----- the plot ----------------------------------------------------------------------------------


class Panel(NamedTuple):
    """One sweep: its rows, the size that varies (``key`` as in ``crossover``, ``var`` as in
    ``verdict``), the panel's title and its x-axis label."""

    rows: Sequence[Row]
    key: int
    var: str
    title: str
    xlabel: str


FWD_COLOUR, REV_COLOUR = "#1f77b4", "#d62728"


def plot(panels: Sequence[Panel], path: str) -> str:
    """Both modes' times on log axes, one panel per sweep, with the crossover marked: a
    dashed line where the curves cross for the last time, each side shaded in the colour of
    the mode that is faster there, and the table's verdict written in the panel.

    Returns:
        What happened, in one line.
    """
    try:
        matplotlib: Any = importlib.import_module("matplotlib")
    except ImportError:
        return "matplotlib is not installed: pip install -e '.[examples]' to save the plot"
    matplotlib.use("Agg")
    plt: Any = importlib.import_module("matplotlib.pyplot")
    ticker: Any = importlib.import_module("matplotlib.ticker")
    colour = {"jacfwd": FWD_COLOUR, "jacrev": REV_COLOUR}
    fig, axes = plt.subplots(1, len(panels), figsize=(5.4 * len(panels), 5.5), squeeze=False)
    for ax, p in zip(axes[0], panels, strict=True):
        xs = [r[p.key] for r in p.rows]
        ax.loglog(xs, [r[2] * 1e3 for r in p.rows], "o-", color=FWD_COLOUR, label=FWD_WORDS)
        ax.loglog(xs, [r[3] * 1e3 for r in p.rows], "s-", color=REV_COLOUR, label=REV_WORDS)
        lo, hi = xs[0] / 1.6, xs[-1] * 1.6
        ax.set_xlim(lo, hi)
        ax.set_xlabel(p.xlabel)
        ax.set_ylabel("time per Jacobian (ms, median)")
        ax.set_title(p.title)
        ax.grid(True, which="major", alpha=0.3)
        c = crossover(p.rows)
        words, mark = verdict(p.rows, p.key, p.var)
        if c is not None:
            start = xs[c.row] if c.row > 0 else lo
            ax.axvspan(start, hi, color=colour[c.winner], alpha=0.08, lw=0)
            if c.before is not None:
                loser = "jacfwd" if c.winner == "jacrev" else "jacrev"
                ax.axvspan(lo, xs[c.before], color=colour[loser], alpha=0.08, lw=0)
            if mark:
                ax.axvline(xs[c.row], color="black", ls="--", lw=1.2)
                ax.annotate(
                    mark,
                    (xs[c.row], 0.97),
                    xycoords=("data", "axes fraction"),
                    xytext=(-4, 0),
                    textcoords="offset points",
                    rotation=90,
                    ha="right",
                    va="top",
                    fontsize=9,
                )
        ax.text(0.5, -0.22, words[0], transform=ax.transAxes, ha="center", va="top", weight="bold")
        ax.text(0.5, -0.29, "\n".join(words[1:]), transform=ax.transAxes, ha="center", va="top")
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.xaxis.set_minor_locator(ticker.NullLocator())
        ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.93), ncol=2)
    fig.suptitle(
        "Jacobian of f: Rⁿ → Rᵐ (tanh(W @ x), then three elementwise layers) by forward and "
        "by reverse mode; BLAS on 1 thread",
        fontsize=12,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.87))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"saved {path}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="sizes 1, 10, 100 only")
    parser.add_argument("--png", default="forward_vs_reverse.png", help="the plot's file")
    args = parser.parse_args(argv)
    limiter = limit_blas_after_import()
    print(pin_status(limiter))
    print("Times are medians of interleaved runs (jacfwd, jacrev, jacrev, jacfwd, …).\n")
    rng = np.random.default_rng(0)
    sizes = (1, 10, 100) if args.quick else SIZES
    panels = [
        Panel(
            [compare(n, 1, rng) for n in sizes],
            0,
            "n",
            "m = 1 (scalar output, like a loss): vary n",
            "n (inputs)",
        ),
        Panel(
            [compare(1, m, rng) for m in sizes],
            1,
            "m",
            "n = 1 (scalar input): vary m",
            "m (outputs)",
        ),
        Panel(
            [compare(k, k, rng) for k in sizes if k <= 300],
            0,
            "n = m",
            "n = m (square Jacobian): vary both",
            "n = m",
        ),
    ]
    for vary, p in zip(("n at m = 1", "m at n = 1", "n = m"), panels, strict=True):
        print(table(p.rows, vary, p.key, p.var))
        print()
    print("Cheap-gradient ratio for f(x) = Σ tanh(A x)², A of n×n:")
    print(f"  {'n':>5}   {'reverse grad / f':>17}   {'forward (jacfwd) / f':>21}")
    for n in (10, 100) if args.quick else (10, 100, 300, 1000):
        r_rev, r_fwd = cheap_gradient(n, rng)
        print(f"  {n:>5}   {r_rev:>17.1f}   {r_fwd:>21.1f}")
    print("\n" + plot(panels, args.png))
    if limiter is not None:
        limiter.restore_original_limits()


if __name__ == "__main__":
    main()
