"""Forward vs reverse mode: the same Jacobian two ways, at different costs.

For f: Rⁿ → Rᵐ, forward mode pushes tangents (one per input direction) through f in the
order it runs; reverse mode records f once and sweeps the tape backwards once per output.
``tp.jacfwd`` carries all n directions in ONE vector-mode pass, ``tp.jacrev`` records once
and carries all m cotangents in one reverse sweep. The work grows with n in forward mode
and with m in reverse mode. Forward wins when n is small, reverse when m is small: this example
measures where they cross, and the *cheap-gradient principle*: for a scalar f (m = 1) the
gradient by reverse mode costs a small constant times f, whatever n is.

Run: ``python examples/forward_vs_reverse.py`` (add ``--quick`` for a smaller sweep).
With matplotlib installed (``pip install -e '.[examples]'``) it saves forward_vs_reverse.png.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tape as tp

SIZES = (1, 3, 10, 30, 100, 300, 1000)


def make_f(n: int, m: int, rng: np.random.Generator) -> Callable[[Any], Any]:
    """tanh(W @ x) followed by a chain of three elementwise layers: Rⁿ → Rᵐ."""
    w = rng.standard_normal((m, n)) / np.sqrt(n)

    def f(x: Any) -> Any:
        h = tp.tanh(w @ x)
        for _ in range(3):
            h = tp.sin(h) * h + 0.5 * h
        return h

    return f


def best_time(fn: Callable[[], object], budget: float = 0.05) -> float:
    """The fastest of several runs (seconds): the least noisy estimate on a busy machine."""
    fn()  # warm-up
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < budget and len(times) < 50):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def compare(n: int, m: int, rng: np.random.Generator) -> tuple[float, float]:
    """Times of jacfwd and jacrev on one f: Rⁿ → Rᵐ, after checking they agree."""
    f = make_f(n, m, rng)
    x = rng.standard_normal(n)
    jf, jr = tp.jacfwd(f)(x), tp.jacrev(f)(x)
    if not np.allclose(jf, jr, rtol=1e-10, atol=1e-12):
        raise SystemExit(f"jacfwd and jacrev disagree at n={n}, m={m}")
    return best_time(lambda: tp.jacfwd(f)(x)), best_time(lambda: tp.jacrev(f)(x))


def table(rows: list[tuple[int, int, float, float]], vary: str) -> str:
    """One line per (n, m): the time of each mode and what it pushed through f."""
    head = f"  {'n':>5} {'m':>5}   {'jacfwd':>9}  {'pass carries':<16} {'jacrev':>9}  "
    lines = [head + f"{'sweep carries':<16} faster (≈: within 10 %)"]
    winners = [
        "≈" if abs(tf - tr) < 0.1 * min(tf, tr) else ("fwd" if tf < tr else "rev")
        for _, _, tf, tr in rows
    ]
    # the crossover: the first row from which the mode that wins at the largest size wins on
    last = winners[-1]
    cross = next((i for i in range(len(rows)) if all(w in (last, "≈") for w in winners[i:])), None)
    if cross is not None and (cross == 0 or winners[cross] != last):
        cross = next((i for i in range(cross, len(rows)) if winners[i] == last), None)
    for i, ((n, m, tf, tr), winner) in enumerate(zip(rows, winners, strict=True)):
        mark = "  ← crossover" if i == cross and i > 0 and last != "≈" else ""
        lines.append(
            f"  {n:>5} {m:>5}   {tf * 1e3:>7.3f}ms  {f'{n} tangents':<16} {tr * 1e3:>7.3f}ms  "
            f"{f'{m} cotangents':<16} {winner}{mark}"
        )
    return (
        f"Jacobian of f: Rⁿ → Rᵐ, varying {vary} (jacfwd: 1 forward pass; "
        f"jacrev: 1 recording + 1 reverse sweep):\n" + "\n".join(lines)
    )


def cheap_gradient(n: int, rng: np.random.Generator) -> tuple[float, float]:
    """time(gradient)/time(f) for f(x) = Σ tanh(A x)², A of n×n: reverse and forward mode."""
    a = rng.standard_normal((n, n)) / np.sqrt(n)
    x = rng.standard_normal(n)

    def f(z: Any) -> Any:
        return (tp.tanh(a @ z) ** 2).sum()

    t_f = best_time(lambda: f(x))  # plain NumPy: no tape is active
    t_rev = best_time(lambda: tp.grad(f)(x))
    t_fwd = best_time(lambda: tp.jacfwd(f)(x))
    assert np.allclose(tp.grad(f)(x), tp.jacfwd(f)(x), rtol=1e-10, atol=1e-12)
    return t_rev / t_f, t_fwd / t_f


def plot(
    rows_n: list[tuple[int, int, float, float]], rows_m: list[tuple[int, int, float, float]]
) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: pip install -e '.[examples]' to save the plot"
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for ax, rows, key, title in (
        (ax1, rows_n, 0, "m = 1 (scalar output): vary n"),
        (ax2, rows_m, 1, "n = 1 (scalar input): vary m"),
    ):
        xs = [r[key] for r in rows]
        ax.loglog(xs, [r[2] * 1e3 for r in rows], "o-", label="jacfwd (forward, 1 pass)")
        ax.loglog(xs, [r[3] * 1e3 for r in rows], "s-", label="jacrev (reverse, m sweeps)")
        ax.set_xlabel("n" if key == 0 else "m")
        ax.set_ylabel("time (ms)")
        ax.set_title(title)
        ax.legend()
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig("forward_vs_reverse.png", dpi=100)
    return "saved forward_vs_reverse.png"


def main(argv: list[str]) -> None:
    rng = np.random.default_rng(0)
    sizes = (1, 10, 100) if "--quick" in argv else SIZES
    rows_n = [(n, 1, *compare(n, 1, rng)) for n in sizes]
    rows_m = [(1, m, *compare(1, m, rng)) for m in sizes]
    print(table(rows_n, "n at m = 1"))
    print()
    print(table(rows_m, "m at n = 1"))
    print()
    square = [(k, k, *compare(k, k, rng)) for k in sizes if k <= 300]
    print(table(square, "n = m"))
    print("\nCheap-gradient ratio for f(x) = Σ tanh(A x)², A of n×n:")
    print(f"  {'n':>5}   {'reverse grad / f':>17}   {'forward (jacfwd) / f':>21}")
    for n in (10, 100) if "--quick" in argv else (10, 100, 300, 1000):
        r_rev, r_fwd = cheap_gradient(n, rng)
        print(f"  {n:>5}   {r_rev:>17.1f}   {r_fwd:>21.1f}")
    print("\n" + plot(rows_n, rows_m))


if __name__ == "__main__":
    main(sys.argv[1:])
