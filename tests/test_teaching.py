"""Seeing gradients flow: names, every node's adjoint, the sweep step by step, the forward
trace beside it, and the tape drawn (HTML and SVG for Jupyter).

The running example is Griewank and Walther's f(x₁, x₂) = ln x₁ + x₁·x₂ − sin x₂ at (2, 5),
whose gradient is (1/x₁ + x₂, x₁ − cos x₂) = (5.5, 2 − cos 5).
"""

from __future__ import annotations

import math
import shutil
import xml.etree.ElementTree as ET
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tape as tp

GRAD = [5.5, 2.0 - math.cos(5.0)]
HAS_DOT = shutil.which("dot") is not None


def textbook() -> tuple[tp.Tape, tp.Var, tp.Var, tp.Var]:
    x1, x2 = tp.Var(2.0, name="x1"), tp.Var(5.0, name="x2")
    with tp.Tape(persistent=True) as t:
        y = tp.log(x1) + x1 * x2 - tp.sin(x2)
    return t, x1, x2, y


# ----- names ---------------------------------------------------------------------------------


def test_names_replace_the_generated_ones_everywhere() -> None:
    w1 = tp.Var(2.0, name="w1")
    b = tp.Var(-1.0)
    with tp.Tape(persistent=True) as t:
        n = w1 * 3.0 + b
        n.name = "n"  # an intermediate, named after the fact
        o = tp.tanh(n)
    t.gradient(o, [w1, b])
    table = str(t)
    assert "w1  =  input" in table
    assert "n  =  v₁ + v₀" in table  # b is the second input (v₀), w1 * 3 is v₁
    assert "tanh n" in table
    assert repr(w1) == "Var(2.0, name='w1')"
    assert repr(n) == f"Var({n.value!r}, name='n')"
    assert "v₃ on a tape" in repr(o)  # an unnamed record: the table's own name for it
    dot = t.to_dot()
    assert "w1 = input" in dot and "n = " in dot and "n̄ = " in dot
    assert "x₁" not in table  # no generated name for an input that has one


def test_a_leaf_named_after_recording_is_shown_by_its_name() -> None:
    x = tp.Var(3.0)
    with tp.Tape(persistent=True) as t:
        y = x * x
    x.name = "x"
    assert "x × x" in str(t)
    x.name = None
    assert "v₀ × v₀" in str(t)
    del y


def test_bad_names_are_refused() -> None:
    with pytest.raises(TypeError, match="non-empty string"):
        tp.Var(1.0, name="")
    with pytest.raises(TypeError, match="non-empty string"):
        tp.Var(1.0, name=3)  # type: ignore[arg-type]


def test_error_messages_say_how_print_shows_the_record() -> None:
    x = tp.Var(0.0, name="x")
    with (
        pytest.raises(FloatingPointError, match=r"record 1 \(log; v₁ in print\(t\)\)"),
        np.errstate(all="ignore"),
        tp.Tape(check_finite=True),
    ):
        tp.log(x)


# ----- every node's adjoint -------------------------------------------------------------------


def test_adjoint_of_every_recorded_var() -> None:
    x1, x2 = tp.Var(2.0), tp.Var(5.0)
    with tp.Tape(persistent=True) as t:
        a = tp.log(x1)
        b = x1 * x2
        c = a + b
        d = tp.sin(x2)
        y = c - d
        after = y * 2.0  # recorded after the target: it does not influence it
    assert t.gradient(y, [x1, x2]) == pytest.approx(GRAD, rel=1e-15)
    for v, want in [(a, 1.0), (b, 1.0), (c, 1.0), (d, -1.0), (y, 1.0), (after, 0.0)]:
        assert t.adjoint(v) == want
    assert t.adjoint(x1) == pytest.approx(GRAD[0], rel=1e-15)
    assert t.adjoint(x2) == pytest.approx(GRAD[1], rel=1e-15)


def test_adjoint_raises_instead_of_returning_none() -> None:
    x = tp.Var(2.0)
    with tp.Tape() as t:
        y = x * x
    t.gradient(y, x)
    with pytest.raises(RuntimeError, match=r"persistent=True"):
        t.adjoint(x)
    with tp.Tape(persistent=True) as tp_:
        y = x * x
    with pytest.raises(RuntimeError, match="no sweep yet"):
        tp_.adjoint(y)
    assert tp_.gradient(y, x) == 4.0
    with pytest.raises(ValueError, match="not recorded on this tape"):
        tp_.adjoint(tp.Var(1.0))


def test_adjoint_before_the_earliest_source_raises() -> None:
    x1, x2 = tp.Var(2.0), tp.Var(5.0)
    with tp.Tape(persistent=True) as t:
        a = x1 * 3.0  # slot 1, before x2's leaf
        y = a * x2
    assert t.gradient(y, x2) == 6.0  # the sweep stops at x2
    with pytest.raises(ValueError, match="pass it among the sources"):
        t.adjoint(x1)
    t.gradient(y, [x1, x2])
    assert t.adjoint(x1) == 15.0
    assert t.adjoint(a) == 5.0


def test_array_adjoints_have_the_vars_shape() -> None:
    x = tp.Var(np.arange(3.0))
    z = tp.Var(np.ones((2, 2)))
    with tp.Tape(persistent=True) as t:
        y = tp.sum(x * x)
        w = tp.sum(z)
    t.gradient(y, [x, z])
    np.testing.assert_array_equal(t.adjoint(x), [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(t.adjoint(w), 0.0)  # after the target


# ----- the sweep, one step at a time ---------------------------------------------------------


def test_steps_sum_to_the_gradient() -> None:
    t, x1, x2, y = textbook()
    steps = t.steps(y)
    assert all(isinstance(s, tp.Step) for s in steps)
    # in the sweep's order: records from the target back to the first
    assert [s.record for s in steps] == sorted((s.record for s in steps), reverse=True)
    sums: dict[int, float] = defaultdict(float)
    for s in steps:
        sums[s.input] += s.contribution  # type: ignore[assignment]
    leaf1, leaf2 = (e.slot for e in t if e.primitive == "input")
    assert [sums[leaf1], sums[leaf2]] == t.gradient(y, [x1, x2])  # exactly
    # each total is the running sum of the contributions so far
    running: dict[int, float] = defaultdict(float)
    for s in steps:
        running[s.input] += s.contribution  # type: ignore[assignment]
        assert s.total == running[s.input]
    ops = [(s.op, s.argnum) for s in steps]
    assert ops.count(("multiply", 0)) == 1 and ops.count(("multiply", 1)) == 1
    assert len(steps) == 8  # two updates for each of −, +, × and one each for ln, sin


def test_steps_of_an_array_program_sum_to_the_gradient() -> None:
    rng = np.random.default_rng(0)
    W = tp.Var(rng.standard_normal((3, 2)), name="W")
    x = tp.Var(rng.standard_normal(2), name="x")
    with tp.Tape(persistent=True) as t:
        h = tp.tanh(W @ x)
        y = tp.sum(h * h) + tp.sum(W)
    steps = t.steps(y)
    gW, gx = t.gradient(y, [W, x])
    for var, want in [(W, gW), (x, gx)]:
        shape = np.shape(want)
        slot = next(e.slot for e in t if e.primitive == "input" and np.shape(e.value) == shape)
        got = sum(np.asarray(s.contribution) for s in steps if s.input == slot)
        np.testing.assert_allclose(got, want, rtol=1e-14)
        assert var.name is not None


def test_show_steps_in_the_tables_notation() -> None:
    x1, x2 = tp.Var(2.0), tp.Var(5.0)
    with tp.Tape(persistent=True) as t:
        y = tp.log(x1) + x1 * x2 - tp.sin(x2)
    lines = t.show_steps(y).splitlines()
    assert "v̄₀ += v̄₂ · ∂v₂/∂v₀ = 1 · 2   (multiply; v̄₀ = 1.71634)" in lines
    assert "v̄₋₁ += v̄₁ · ∂v₁/∂v₋₁ = 1 · 0.5   (log; v̄₋₁ = 5.5)" in lines


def test_steps_need_a_persistent_tape() -> None:
    x = tp.Var(2.0)
    with tp.Tape() as t:
        y = x * x
    with pytest.raises(RuntimeError, match="persistent=True"):
        t.steps(y)


# ----- the forward trace beside the reverse one ------------------------------------------------


def test_forward_trace_gives_the_directional_derivative_in_every_record() -> None:
    t, x1, x2, y = textbook()
    dots = t.forward_trace({x1: 1.0})  # ẋ = (1, 0)
    assert dots[len(t) - 1] == pytest.approx(GRAD[0], rel=1e-15)
    dots = t.forward_trace({x2: 1.0})  # ẋ = (0, 1)
    assert dots[len(t) - 1] == pytest.approx(GRAD[1], rel=1e-15)
    t.gradient(y, [x1, x2])
    table = str(t)
    assert "tangent v̇" in table and "adjoint v̄" in table
    # Griewank and Walther's v̇ column for ẋ = (0, 1): v̇ of x1·x2 is x1 = 2
    row = next(line for line in table.splitlines() if "x1 × x2" in line)
    assert row.split()[-2:] == ["2", "1"]


def test_forward_trace_on_arrays_matches_jvp() -> None:
    rng = np.random.default_rng(1)
    A = rng.standard_normal((3, 3))
    x0, v = rng.standard_normal(3), rng.standard_normal(3)

    def f(x: Any) -> Any:
        return tp.sum(tp.tanh(A @ x) ** 2)

    x = tp.Var(x0)
    with tp.Tape(persistent=True) as t:
        y = f(x)
    dots = t.forward_trace({x: v})
    _, want = tp.jvp(f, (x0,), (v,))
    assert dots[-1] == pytest.approx(want, rel=1e-13)
    with pytest.raises(ValueError, match="shape"):
        t.forward_trace({x: np.ones(2)})
    with pytest.raises(ValueError, match="inputs of the tape"):
        t.forward_trace({y: 1.0})


# ----- the tape drawn ----------------------------------------------------------------------


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_td = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tr":
            self.rows.append([])
        self._in_td = tag in ("td", "th")
        if self._in_td:
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_td = False

    def handle_data(self, data: str) -> None:
        if self._in_td:
            self.rows[-1][-1] += data


def test_html_table_holds_every_record() -> None:
    t, x1, x2, y = textbook()
    t.gradient(y, [x1, x2])
    parser = _Cells()
    parser.feed(t._repr_html_())
    header, *body = parser.rows
    assert header == ["slot", "operation", "value", "adjoint v̄"]
    assert len(body) == len(t)
    assert ["x1", "input", "2", "5.5"] in body
    assert ["v₂", "x1 × x2", "10", "1"] in body


def test_draw_without_graphviz_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    t, *_ = textbook()
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        t.draw()
    assert t._repr_svg_() is None  # Jupyter then shows the HTML table


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed here")
def test_draw_gives_an_svg_with_one_node_per_record(tmp_path: Path) -> None:
    t, x1, x2, y = textbook()
    t.gradient(y, [x1, x2])
    svg = t.draw()
    root = ET.fromstring(svg)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    nodes = root.findall(".//svg:g[@class='node']", ns)
    assert len(nodes) == len(t)
    texts = " ".join(el.text or "" for el in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "x1 = input" in texts and "x̄1 = 5.5" in texts
    assert svg._repr_svg_() == str(svg)
    assert repr(svg) == f"<tape drawing: {len(svg)} characters of SVG>"
    t.draw(tmp_path / "tape.png", format="png")
    assert (tmp_path / "tape.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="needs a path"):
        t.draw(format="png")  # type: ignore[call-overload]


def test_a_freed_tape_says_what_it_held() -> None:
    x = tp.Var(2.0)
    with tp.Tape() as t:
        y = tp.exp(x * x)
    assert repr(t) == "<Tape done, 3 records>"
    t.gradient(y, x)
    assert len(t) == 0  # the records are gone ...
    assert repr(t) == "<Tape freed, 3 records released by gradient()>"  # ... but not unsaid
