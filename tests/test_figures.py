"""The figures' logic: forward_vs_reverse finds and names the crossover its table and plot
mark, and pins BLAS to one thread before NumPy loads."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))

import forward_vs_reverse as fvr  # noqa: E402

SIZES = (1, 3, 10, 30, 100, 300, 1000)


def rows_n(t_fwd: list[float], t_rev: list[float]) -> list[fvr.Row]:
    """A sweep over n at m = 1 with the given times (ms)."""
    return [(n, 1, f * 1e-3, r * 1e-3) for n, f, r in zip(SIZES, t_fwd, t_rev, strict=True)]


# ----- forward_vs_reverse: the crossover ---------------------------------------------------------


def test_a_real_crossover_is_where_the_final_winner_takes_over_for_good() -> None:
    # jacfwd clearly faster up to n = 30, within 10 % at n = 100, jacrev clearly faster after
    rows = rows_n([1.0, 1.0, 1.0, 1.0, 2.0, 4.0, 9.0], [2.0, 2.0, 2.0, 2.0, 2.1, 2.0, 2.0])
    assert [fvr.faster(r[2], r[3]) for r in rows] == ["fwd"] * 4 + ["≈", "rev", "rev"]
    assert fvr.crossover(rows) == fvr.Crossover(row=5, winner="jacrev", before=3)
    words, mark = fvr.verdict(rows, 0, "n")
    assert mark == "crossover"
    assert " ".join(words) == (
        "crossover at n = 300: jacfwd is faster up to n = 30, jacrev from n = 300 on"
    )
    lines = fvr.table(rows, "n at m = 1", 0, "n").splitlines()
    marked = [ln for ln in lines if "← crossover" in ln]
    assert len(marked) == 1 and marked[0].split()[:2] == ["300", "1"]
    assert lines[-1] == "  → " + " ".join(words)


def test_only_the_last_change_of_winner_counts() -> None:
    # the lead changes hands three times; the crossover is the last change
    rows = rows_n([1.0, 3.0, 1.0, 3.0, 1.0, 1.0, 1.0], [2.0, 1.0, 2.0, 1.0, 2.0, 2.0, 2.0])
    assert fvr.crossover(rows) == fvr.Crossover(row=4, winner="jacfwd", before=3)


def test_ties_before_the_winner_are_not_a_crossover() -> None:
    # what the example measures at m = 1: the two modes within 10 % up to n = 100
    rows = rows_n([1.0, 1.0, 1.0, 1.0, 1.05, 1.5, 4.0], [1.0] * 7)
    assert fvr.crossover(rows) == fvr.Crossover(row=5, winner="jacrev", before=None)
    words, mark = fvr.verdict(rows, 0, "n")
    assert " ".join(words) == (
        "no crossover: jacrev is never slower (≈ up to n = 100) and is faster from n = 300 on"
    )
    assert mark == "jacrev faster from here on"
    assert "← jacrev faster from here on" in fvr.table(rows, "n at m = 1", 0, "n").splitlines()[8]


def test_one_mode_faster_everywhere_and_a_tie_at_the_end() -> None:
    # n = 1, varying m: jacfwd always wins
    rows = [(1, m, 1e-3, 2e-3 * m) for m in SIZES]
    assert fvr.crossover(rows) == fvr.Crossover(row=0, winner="jacfwd", before=None)
    assert fvr.verdict(rows, 1, "m") == (
        ["no crossover:", "jacfwd is faster at every m measured"],
        "",
    )
    assert "←" not in fvr.table(rows, "m at n = 1", 1, "m")
    # within 10 % at the largest size: no winner to take over
    tied = rows_n([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05], [2.0] * 6 + [1.0])
    assert fvr.crossover(tied) is None
    assert fvr.verdict(tied, 0, "n")[0][0] == "no clear winner:"


def test_the_table_headers_use_the_legend_words() -> None:
    head = fvr.table(rows_n([1.0] * 7, [2.0] * 7), "n at m = 1", 0, "n").splitlines()[1:3]
    for words in (fvr.FWD_WORDS, fvr.REV_WORDS):
        first, rest = words.split(" carrying ")
        assert first in head[0] and f"carrying {rest}" in head[1]


# ----- forward_vs_reverse: the BLAS pin ----------------------------------------------------------


def _python(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter without any BLAS thread variables set."""
    env = {k: v for k, v in os.environ.items() if k not in fvr.BLAS_VARS}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=EXAMPLES,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


HAS_THREADPOOLCTL = importlib.util.find_spec("threadpoolctl") is not None


def test_blas_is_pinned_before_numpy_loads() -> None:
    out = _python(
        "import os, sys\n"
        "import forward_vs_reverse as f\n"
        "print(f.NUMPY_LOADED_FIRST)\n"
        "print([os.environ.get(v) for v in f.BLAS_VARS])\n"
        "print(f.blas_threads())\n"
        "print(f.pin_status())\n"
    )
    assert out[0] == "False"
    assert out[1] == "['1', '1', '1']"
    if HAS_THREADPOOLCTL:  # the BLAS NumPy loaded really runs on one thread
        assert out[2] == "1"
    assert out[3].startswith("BLAS on 1 thread (OPENBLAS_NUM_THREADS")


def test_numpy_imported_first_is_detected_and_said() -> None:
    out = _python(
        "import os, numpy\n"
        "import forward_vs_reverse as f\n"
        "print(f.NUMPY_LOADED_FIRST)\n"
        "print([os.environ.get(v) for v in f.BLAS_VARS])\n"
        "limiter = f.limit_blas_after_import()\n"
        "print(f.pin_status(limiter))\n"
        "print(f.blas_threads())\n"
    )
    assert out[0] == "True"
    assert out[1] == "[None, None, None]"  # too late to matter: left alone
    assert "NumPy was imported before this file" in out[2]
    if HAS_THREADPOOLCTL:
        assert "limited with threadpoolctl" in out[2] and out[3] == "1"
    else:
        assert "NOT pinned" in out[2]
