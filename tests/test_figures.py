"""The figures' logic: forward_vs_reverse finds and names the crossover its table and plot
mark, and pins BLAS to one thread before NumPy loads; benchmarks/report.py reads back the
tables of RESULTS.md, so that results.png can be redrawn without rerunning the suite."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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


# ----- benchmarks/report.py: results.png from RESULTS.md -----------------------------------------

BENCHMARKS = ROOT / "benchmarks"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def _bench_modules() -> tuple[Any, Any]:
    """The suite's harness and report modules (they import each other by bare name)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module("harness"), importlib.import_module("report")
    finally:
        sys.path.remove(str(BENCHMARKS))


def _tables(h: Any) -> list[Any]:
    """A few tables shaped like the suite's, in seconds (``per`` as the suite sets it)."""
    w7 = h.Table(
        "W7 (1, 1000)",
        "Jacobian of tanh(W @ x), n = 1 inputs, m = 1000 outputs (1000×1)",
        "ms",
        1e-3,
        [
            h.Contender("numpy (floor)", h.FLOOR, times=[2.2e-5, 2.1e-5, 2.4e-5]),
            h.Contender("tape jacfwd", h.TAPE, times=[7.6e-5, 7.2e-5, 7.9e-5]),
            h.Contender("tape jacrev", h.TAPE, times=[1.4e-3, 1.2e-3, 1.5e-3]),
            h.missing("torch.func.jacfwd", h.PEER, "not installed (ImportError)"),
            h.Contender("jax jacfwd (jit)", h.JIT, times=[1.41e-5]),
        ],
        notes=["`f calls`: calls of the Python function in one Jacobian."],
        extra_cols=["f calls"],
    )
    w7.rows[1].extra["f calls"] = "1"
    w7.rows[1].note = "one vector-mode pass"
    w5 = h.Table(
        "W5 N=1e3",
        "deep scalar chain, N = 1,000 links",
        "µs/link",
        1e-6 * 1000,
        [
            h.Contender("python floats (floor)", h.FLOOR, times=[1.8e-4, 1.7e-4]),
            h.Contender("tape", h.TAPE, times=[8.9e-3, 8.4e-3, 9.4e-3]),
            h.skipped("autograd", h.PEER, "~63 s for 5 run(s) at its per-link time (budget 30 s)"),
        ],
    )
    w5.rows.append(h.Contender("micrograd", h.PEER))
    w5.rows[-1].fail(RecursionError("maximum recursion depth exceeded"), "computing the gradient")
    w8 = h.Table(
        "W8",
        "cheap-gradient ratio on W3's loss",
        "ms",
        1e-3,
        [
            h.Contender("numpy value", "value", times=[9.1e-3, 8.9e-3, 9.7e-3]),
            h.Contender("numpy (floor) value+grad", h.FLOOR, times=[2.17e-2, 2.1e-2]),
            h.Contender("tape value (plain arrays)", "value", times=[9.1e-3, 8.9e-3]),
            h.Contender("tape value+grad", h.TAPE, times=[2.27e-2, 2.2e-2]),
        ],
        floor_name="numpy value",
    )
    return [w7, w5, w8]


def test_report_reads_back_the_tables_it_writes(tmp_path: Path) -> None:
    h, report = _bench_modules()
    tables = _tables(h)
    path = tmp_path / "RESULTS.md"
    report.write_markdown(path, "python benchmarks/run.py", {"CPU": "x"}, [], tables, [], 60, "1")
    back = report.load_markdown(path)
    assert [t.key for t in back] == [t.key for t in tables]
    for t, b in zip(tables, back, strict=True):
        assert (b.title, b.unit, b.notes, b.extra_cols) == (t.title, t.unit, t.notes, t.extra_cols)
        assert b.floor().name == t.floor().name
        assert [(c.name, c.role, c.status) for c in b.rows] == [
            (c.name, c.role, c.status) for c in t.rows
        ]
        for c, d in zip(t.rows, b.rows, strict=True):
            assert d.note == c.note and d.extra == c.extra
            if c.times:  # the median survives, to the three digits the table prints
                assert d.times and abs(t.value(c)[0] / b.value(d)[0] - 1) < 5e-3
                assert abs(t.ratios(c)[0] / b.ratios(d)[0] - 1) < 1e-2
            else:
                assert not d.times


def test_every_saved_workload_has_a_panel_and_a_name() -> None:
    _, report = _bench_modules()
    tables = report.load_markdown(BENCHMARKS / "RESULTS.md")
    assert len(tables) >= 9 and all(t.floor() is not None for t in tables)
    for t in tables:
        assert any(t.key in keys or t.key.split()[0] in keys for _, keys in report.FAMILIES)
        assert report.named_workload(t) is not None, f"{t.key} has no name in words"


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is not installed")
def test_the_chart_draws_saved_and_live_tables(tmp_path: Path) -> None:
    h, report = _bench_modules()
    saved = report.load_markdown(BENCHMARKS / "RESULTS.md")
    for name, tables in (("saved", saved), ("live", _tables(h))):
        assert report.chart(tmp_path / f"{name}.png", tables)
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
