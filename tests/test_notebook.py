"""The lesson notebook: it is the one ``lesson_build.py`` writes, it runs from top to bottom
in a fresh kernel within its time limit, its numbers are the lesson's, and the outputs
stored in it (what GitHub shows) are the ones a fresh run gives.

Two kinds of cells are compared loosely, by their tags: ``timing`` cells print measured
times, so only their shape is checked; ``graph`` cells show a Graphviz drawing, which needs
the ``dot`` program: without it the notebook still runs (the cell prints a note instead of
the picture) and ``test_graph_cells_show_the_drawings`` is skipped, saying why.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from nbformat import NotebookNode

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

import lesson_build  # noqa: E402

TOTAL_SECONDS = 120.0
"""The whole notebook's budget on a loaded machine (it takes a few seconds)."""

HAS_DOT = shutil.which("dot") is not None


@pytest.fixture(scope="module")
def stored() -> NotebookNode:
    return lesson_build.read(lesson_build.NOTEBOOK)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[NotebookNode, float]:
    """The stored notebook executed again, in a temporary folder, and how long it took."""
    work = tmp_path_factory.mktemp("lesson")
    copy = work / "lesson.ipynb"
    shutil.copy(lesson_build.NOTEBOOK, copy)
    nb = lesson_build.read(copy)
    # A fresh machine's first matplotlib import builds the font cache and says so on stderr,
    # which would land in the notebook's output: build it here, outside the notebook.
    importlib.import_module("matplotlib.font_manager")
    start = time.perf_counter()
    lesson_build.execute(nb, work, timeout=lesson_build.TIMEOUT)  # raises on a cell error
    return nb, time.perf_counter() - start


def code_cells(nb: NotebookNode) -> list[Any]:
    return [c for c in nb.cells if c.cell_type == "code"]


def tags(cell: Any) -> set[str]:
    return set(cell.metadata.get("tags", []))


def text_of(cell: Any) -> str:
    """Everything a cell printed or displayed as text (stdout and text/plain, in order)."""
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif "text/plain" in out.get("data", {}):
            parts.append(out.data["text/plain"])
    return "".join(parts)


def comparable(cell: Any) -> list[tuple[str, str]]:
    """A cell's outputs as (kind, text) pairs: streams, plain text, HTML; PNG pictures only by
    kind (their bytes depend on matplotlib's version, not on the lesson), and Graphviz's SVG
    not at all (a tape adds it to its display only where ``dot`` is installed)."""
    out: list[tuple[str, str]] = []
    for o in cell.outputs:
        if o.output_type == "stream":  # one print may arrive in several chunks: join them
            if out and out[-1][0] == o.name:
                out[-1] = (o.name, out[-1][1] + o.text)
            else:
                out.append((o.name, o.text))
        elif o.output_type in ("display_data", "execute_result"):
            for mime in sorted(o.data):
                if mime == "image/svg+xml":  # a tape's graph, there only where dot is
                    continue
                body = o.data[mime] if mime in ("text/plain", "text/html") else ""
                out.append((mime, body))
        else:
            out.append((o.output_type, str(o.get("ename", ""))))
    return out


def test_the_committed_notebook_is_the_one_lesson_build_writes(stored: NotebookNode) -> None:
    built = lesson_build.build()
    assert [(c.cell_type, c.source) for c in stored.cells] == [
        (c.cell_type, c.source) for c in built.cells
    ], "examples/lesson.ipynb is stale: run python examples/lesson_build.py"
    assert [tags(c) for c in stored.cells] == [tags(c) for c in built.cells]


def test_the_committed_notebook_is_executed(stored: NotebookNode) -> None:
    cells = code_cells(stored)
    assert all(c.execution_count is not None for c in cells), "stored without running it"
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    assert not any(o.output_type == "error" for c in cells for o in c.outputs)


def test_it_runs_without_errors_or_warnings_within_its_time(
    fresh: tuple[NotebookNode, float],
) -> None:
    nb, seconds = fresh
    assert seconds < TOTAL_SECONDS, f"the notebook took {seconds:.1f} s"
    for cell in code_cells(nb):
        for out in cell.outputs:
            assert out.output_type != "error", out
            assert out.get("name") != "stderr", f"{cell.source[:60]!r} wrote to stderr: {out.text}"


def test_its_numbers_are_the_lessons(fresh: tuple[NotebookNode, float]) -> None:
    text = "\n".join(text_of(c) for c in code_cells(fresh[0]))
    assert "tape: f′(1.5) = 8.5   (6x² − 5 = 8.5; error 0.0)" in text
    assert "{'a': 3.0, 'b': -4.5, 'c': -1.5, 'f': 2.0, 'e': -1.5, 'd': -1.5, 'L': 1.0}" in text
    bar = "\u0304"  # the combining macron show_steps writes: b̄ is b + bar
    assert f"b{bar} += e{bar} · ∂e/∂b = -1.5 · 3   (multiply; b{bar} = -4.5)" in text
    assert "dy/dx = 7.0, and 2x + 1 = 7.0" in text  # three uses of x, three contributions
    for line in (  # the neuron's gradients, checked against the closed form in the notebook
        "∂o/∂x1 = -1.500000   closed form -1.500000",
        "∂o/∂x2 = +0.500000   closed form +0.500000",
        "∂o/∂w1 = +1.000000   closed form +1.000000",
        "∂o/∂w2 = +0.000000   closed form +0.000000",
        "∂o/∂b = +0.500000   closed form +0.500000",
    ):
        assert line in text
    assert "forward mode: 5 passes" in text and "reverse mode: 1 sweep of 10 records" in text
    assert "scalar Vars: 65,412 records   arrays: 38 records" in text
    assert "gradients agree to 1e-12" in text
    assert "after 100 steps: training accuracy 100.0 %" in text


def test_the_stored_outputs_are_what_a_fresh_run_gives(
    stored: NotebookNode, fresh: tuple[NotebookNode, float]
) -> None:
    old, new = code_cells(stored), code_cells(fresh[0])
    assert len(old) == len(new)
    for a, b in zip(old, new, strict=True):
        if "timing" in tags(a):  # measured times differ; the table's shape does not
            assert [ln.split()[0] for ln in text_of(a).splitlines()] == [
                ln.split()[0] for ln in text_of(b).splitlines()
            ]
        elif "graph" in tags(a):
            continue  # test_graph_cells_show_the_drawings
        else:
            assert comparable(a) == comparable(b), a.source[:200]


@pytest.mark.skipif(
    not HAS_DOT,
    reason="Graphviz's dot is not installed: the notebook's graph cells printed a note "
    "instead of their pictures, which are therefore not checked",
)
def test_graph_cells_show_the_drawings(
    stored: NotebookNode, fresh: tuple[NotebookNode, float]
) -> None:
    for nb in (stored, fresh[0]):
        graphs = [c for c in code_cells(nb) if "graph" in tags(c)]
        assert len(graphs) == 2
        svgs = [o.data.get("image/svg+xml", "") for c in graphs for o in c.outputs]
        assert len(svgs) == 2 and all("<svg" in s for s in svgs)
        assert all(name in svgs[0] for name in ("a", "e", "L"))
        assert all(name in svgs[1] for name in ("x1", "w1", "tanh", "0.707107"))


def test_the_plots_are_stored_as_small_pictures(stored: NotebookNode) -> None:
    outputs = [o for c in code_cells(stored) for o in c.outputs]
    pngs = [o.data["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 2  # f and its tangent; training and the decision boundary
    assert all(len(p) < 150_000 for p in pngs)
    assert lesson_build.NOTEBOOK.stat().st_size < 400_000
