"""The two code paths of a replayed program, forced on the same tapes.

``Program.value_and_grad`` runs a plan of plain NumPy and ``math`` lines either compiled
into one function (short tapes) or by an interpreter over flat op codes and slots (long
tapes); ``prog.using("compiled" | "interpreted" | "generic")`` forces a path. Here:

- random compositions (the replay property test's) and the MLP losses of W1 and W2 give the
  same values and gradients on every path as a fresh recording, to 1e-12;
- guards raise ``TapeInvalidated`` on both paths, and variadic rows (concatenate, stack,
  einsum) and rows without plain code replay on both;
- ``path="auto"`` compiles up to ``COMPILE_LIMIT`` records and interprets past it, and a
  long scalar chain gives the derivative a float computation gives;
- where ``math`` raises (exp overflow, division by zero) the program falls back to the
  generic replay and gives NumPy's inf, as a fresh recording does;
- inputs are not copied and not written; results never share memory with the program's
  constants, with the caller's inputs or with each other;
- ``source()`` reads as NumPy: literal shapes and axes, no generic calls for the W1 rows;
- ``jvp`` (forward mode, lowered the same way: each record's line then its tangent's) gives
  fresh forward mode's tangents on every path, for several outputs, falls back to the
  generic replay for batched tangents, and hands out no aliases of the caller's tangents.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_replay import Step, _point, assert_same, composition, fresh_value_and_grad, record

import tape as tp
from tape import _codegen
from tape._program import COMPILE_LIMIT, Program

PATHS = ("compiled", "interpreted", "generic", "fused")
"""The forced paths, and "fused": the interpreter with every chunk of its lines compiled
(chunks of 3 lines, each compiled though it occurs once, slots more than one away read and
written through holes), as a long loop's lines are."""


def fused(prog: tp.Program) -> tp.Program:
    """``prog`` on the interpreted path with every chunk of 3 of its lines compiled."""
    p = Program(prog._tape, prog._records, prog._inputs, prog._outputs, "interpreted", prog._shapes)
    mp = pytest.MonkeyPatch()
    mp.setattr(_codegen, "CHUNK", 3)
    mp.setattr(_codegen, "FUSE_MIN_REPEATS", 1)
    mp.setattr(_codegen, "FUSE_MAX_LINES", 10**9)
    mp.setattr(_codegen, "_NEAR", 2)  # most slots far: read and written through holes
    try:
        if np.shape(prog._records[prog._outputs[0]][4]) == ():  # value_and_grad's
            p._runner("interpreted")
        p._jvp_runner("interpreted")
    finally:
        mp.undo()
    return p


def on(prog: tp.Program, path: str) -> tp.Program:
    """``prog`` on one of ``PATHS``."""
    return fused(prog) if path == "fused" else prog.using(path)


def on_every_path(prog: tp.Program, *xs: Any) -> list[tuple[Any, tuple[Any, ...]]]:
    """``value_and_grad`` at ``xs`` on each forced path."""
    return [on(prog, path).value_and_grad(*xs) for path in PATHS]


def on_random_compositions(test: Callable[[list[Step], int], None]) -> Callable[..., None]:
    """``test(steps, seed)`` over 60 random compositions (the replay property test's steps)."""
    steps = st.lists(st.tuples(*(st.integers(0, 99) for _ in range(6))), min_size=1, max_size=10)
    run = given(steps=steps, seed=st.integers(0, 2**32 - 1))(test)
    return settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )(run)


@on_random_compositions
def test_every_path_equals_a_fresh_recording_on_random_compositions(
    steps: list[Step], seed: int
) -> None:
    f = composition(steps)

    def scalar(x: Any, b: Any, s: Any) -> Any:
        return f(x, b, s)[0]

    rng = np.random.default_rng(seed)
    _, prog, _ = record(scalar, *_point(rng))
    for _ in range(2):
        point = _point(rng)
        want = fresh_value_and_grad(scalar, *point)
        for path, (value, grads) in zip(PATHS, on_every_path(prog, *point), strict=True):
            assert_same(value, want[0], f"{path}: value")
            assert_same(list(grads), want[1], f"{path}: gradients")
            assert isinstance(grads[2], float), path


def fresh_jvp(f: Callable[..., Any], xs: list[Any], ds: list[Any]) -> list[Any]:
    """A fresh forward pass of dual numbers through ``f`` (tuple outputs: each tangent)."""
    outs = []
    for k in range(2):
        _, t = tp.jvp(lambda *vs, k=k: f(*vs)[k], xs, ds)
        outs.append(t)
    return outs


@on_random_compositions
def test_jvp_on_every_path_equals_fresh_forward_mode_on_random_compositions(
    steps: list[Step], seed: int
) -> None:
    """Both outputs of a composition (the scalar and the last pool member), their tangents
    along random directions: the lowered forward mode against a fresh pass of duals."""
    f = composition(steps)
    rng = np.random.default_rng(seed)
    vs = [tp.Var(x) for x in _point(rng)]
    with tp.Tape(persistent=True) as t:
        y0, y1 = f(*vs)
    prog = t.compile(inputs=vs, outputs=[y0, y1])
    for _ in range(2):
        point: list[Any] = list(_point(rng))
        ds: list[Any] = list(_point(rng))
        want = fresh_jvp(f, point, ds)
        for path in PATHS:
            got = on(prog, path).jvp(point, ds)
            assert_same(got, want, f"{path}: tangents")
            assert type(got[0]) is float, path


def _mlp_loss(act: Callable[[Any], Any], X: Any, y: Any) -> Callable[..., Any]:
    def loss(w0: Any, b0: Any, w1: Any, b1: Any) -> Any:
        h = act(X @ w0 + b0) @ w1 + b1
        lp = tp.log_softmax(h, axis=-1)
        return -lp[np.arange(len(y)), y].mean() + 1e-3 * ((w0 * w0).sum() + (w1 * w1).sum())

    return loss


@pytest.mark.parametrize("act", [tp.tanh, tp.relu, tp.sigmoid], ids=["tanh", "relu", "sigmoid"])
def test_mlp_losses_on_every_path(act: Callable[[Any], Any]) -> None:
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((12, 5)), rng.integers(0, 3, 12)
    loss = _mlp_loss(act, X, y)

    def params() -> list[Any]:
        return [
            rng.standard_normal((5, 7)),
            rng.standard_normal(7),
            rng.standard_normal((7, 3)),
            rng.standard_normal(3),
        ]

    _, prog, _ = record(loss, *params())
    for _ in range(3):
        ps = params()
        want = fresh_value_and_grad(loss, *ps)
        for path, (value, grads) in zip(PATHS, on_every_path(prog, *ps), strict=True):
            assert_same(value, want[0], f"{path}: value")
            assert_same(list(grads), want[1], f"{path}: gradients")


def test_jvp_of_the_mlp_losses_on_every_path() -> None:
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((12, 5)), rng.integers(0, 3, 12)
    loss = _mlp_loss(tp.tanh, X, y)
    shapes = [(5, 7), (7,), (7, 3), (3,)]
    _, prog, _ = record(loss, *(rng.standard_normal(s) for s in shapes))
    src = prog.source("jvp")
    assert src.startswith("def jvp(x0, x1, x2, x3, d0, d1, d2, d3):")
    assert "T(" not in src and "C(" not in src  # every row's tangent as plain NumPy
    assert "np.broadcast_to(t" not in src  # (no broadcast where an input has the shape)
    for _ in range(2):
        ps = [rng.standard_normal(s) for s in shapes]
        ds = [rng.standard_normal(s) for s in shapes]
        _, want = tp.jvp(loss, ps, ds)
        for path in PATHS:
            assert_same(on(prog, path).jvp(ps, ds), want, path)


def test_jvp_of_a_long_chain_is_the_float_derivative_on_every_path() -> None:
    n = COMPILE_LIMIT // 4 + 1
    _, prog, _ = record(lambda x: _chain(x, n), 0.5)
    assert prog._chosen() == "interpreted"
    _, d = _float_chain(-0.7, n)
    for path in ("auto", *PATHS):
        got = (prog if path == "auto" else on(prog, path)).jvp(-0.7, 2.0)
        assert_same(got, 2.0 * d, path)
    fused_jvp = prog._jvp_runner("interpreted")
    assert isinstance(fused_jvp, _codegen.Interpreter)
    assert [f for f, _, _, b, _ in fused_jvp._ops.code if b == -3], "the loop's chunks fuse"


def test_jvp_falls_back_for_batched_tangents_and_hands_out_no_aliases() -> None:
    c = np.array([1.0, -2.0, 0.5])
    _, prog, _ = record(lambda v: v + c, np.zeros(3))  # the tangent IS the input's
    x, d = np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0, 3.0])
    for path in PATHS:
        t = on(prog, path).jvp(x, d)
        np.testing.assert_array_equal(t, d)
        assert not np.shares_memory(t, d) and t.flags.writeable, path
    _, sq, _ = record(lambda v: tp.sum(v * v), np.zeros(3))
    batch = np.eye(3)  # three directions at once: vector mode, the generic replay
    for path in PATHS:
        np.testing.assert_allclose(on(sq, path).jvp(x, batch), 2.0 * x, rtol=1e-15)
    with pytest.raises(ValueError, match=r"input 0 has shape \(2,\)"):
        sq.jvp(np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match="source is of 'value_and_grad' or 'jvp'"):
        sq.source("hvp")  # type: ignore[arg-type]


@pytest.mark.parametrize("act", [tp.tanh, tp.relu], ids=["tanh", "relu"])
def test_hvp_of_the_mlp_losses_on_every_path(act: Callable[[Any], Any]) -> None:
    """H·v by the program's second-order program (recorded once, replayed as plain NumPy)
    equals a fresh forward-over-reverse pass, at points where relu's masks differ."""
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((12, 5)), rng.integers(0, 3, 12)
    loss = _mlp_loss(act, X, y)
    shapes = [(5, 7), (7,), (7, 3), (3,)]
    _, prog, _ = record(loss, *(rng.standard_normal(s) for s in shapes))
    for _ in range(3):
        ps = [rng.standard_normal(s) for s in shapes]
        ds = [rng.standard_normal(s) for s in shapes]
        want = tp.hvp(loss, tuple(ps), tuple(ds))
        for path in ("auto", "compiled", "interpreted", "generic"):
            p = prog if path == "auto" else prog.using(path)
            assert_same(list(p.hvp(ps, ds)), list(want), path)
    assert isinstance(prog._second["hvp"], Program)  # built once, at the first call


def test_hvp_falls_back_where_a_rule_changes_its_formula() -> None:
    """prod's derivative takes another formula where an element is zero; the second-order
    program keeps that choice as a guard, and hvp where it changes is forward over reverse
    (the right answer, not an error)."""

    def f(z: Any) -> Any:
        return tp.prod(tp.relu(z))

    _, prog, _ = record(f, np.array([1.0, 2.0, 0.5]))
    v = np.array([0.3, -0.7, 1.1])
    for x in (np.array([1.5, 0.5, 2.0]), np.array([1.5, -0.5, 2.0]), np.array([0.7, 1.2, 0.4])):
        (want,) = tp.hvp(f, (x,), (v,))
        assert_same(prog.hvp(x, v), want)


def test_hvp_of_a_program_with_a_users_row_is_forward_over_reverse() -> None:
    """A row made by ``tp.primitive`` may compute from plain values in its rules: hvp then
    keeps forward over reverse (no second-order program) and is right."""

    @tp.primitive(
        vjp=lambda g, ans, x: g * tp.cos(x),
        jvp=lambda d, ans, x: d * tp.cos(x),
    )
    def my_sin(x: Any) -> Any:
        return np.sin(x)

    def f(z: Any) -> Any:
        return tp.sum(my_sin(z) * z)

    _, prog, _ = record(f, np.array([0.1, 0.2]))
    x, v = np.array([0.5, 1.0]), np.array([1.0, -2.0])
    (want,) = tp.hvp(f, (x,), (v,))
    assert_same(prog.hvp(x, v), want)
    assert prog._second["hvp"] is not None and not isinstance(prog._second["hvp"], Program)


def test_guards_raise_on_both_paths() -> None:
    def f(x: Any) -> Any:
        s = tp.sum(x)
        return tp.sin(s) if s > 0 else tp.cos(s)

    _, prog, _ = record(f, np.array([0.5, 1.0]))
    for path in PATHS:
        p = on(prog, path)
        value, (g,) = p.value_and_grad(np.array([2.0, -1.0]))  # the same branch
        assert_same(value, math.sin(1.0))
        assert_same(g, np.full(2, math.cos(1.0)))
        with pytest.raises(tp.TapeInvalidated, match=r"guard at record \d+: bool\(\) of record"):
            p.value_and_grad(np.array([-2.0, 1.0]))
        assert_same(p.jvp(np.array([2.0, -1.0]), np.array([1.0, 3.0])), 4.0 * math.cos(1.0))
        with pytest.raises(tp.TapeInvalidated, match=r"guard at record \d+: bool\(\) of record"):
            p.jvp(np.array([-2.0, 1.0]), np.ones(2))


def test_variadic_rows_and_rows_without_plain_code_on_both_paths() -> None:
    def f(x: Any, w: Any) -> Any:
        c = tp.concatenate([x, tp.sin(x), w], axis=0)  # (7,)
        s = tp.stack([x * w[0], tp.exp(x)], axis=1)  # (3, 2)
        e = tp.einsum("ij,j->i", s, w[1:3])  # (3,)
        return tp.sum(c * c) + tp.sum(tp.cumsum(e)) + tp.prod(tp.softplus(x))

    x0, w0 = np.array([0.3, -0.2, 0.5]), np.array([1.0, 2.0, -1.0, 0.5])
    _, prog, _ = record(f, x0, w0)
    rng = np.random.default_rng(5)
    for _ in range(3):
        x1, w1 = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 4)
        want = fresh_value_and_grad(f, x1, w1)
        for path, (value, grads) in zip(PATHS, on_every_path(prog, x1, w1), strict=True):
            assert_same(value, want[0], f"{path}: value")
            assert_same(list(grads), want[1], f"{path}: gradients")
        ds = [rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 4)]
        _, tangent = tp.jvp(f, [x1, w1], ds)
        for path in PATHS:
            assert_same(on(prog, path).jvp([x1, w1], ds), tangent, f"{path}: tangent")


def _chain(x: Any, n: int) -> Any:
    for _ in range(n):
        x = 1.0001 * x + 0.1 * tp.sin(x)
    return x


def _float_chain(x: float, n: int) -> tuple[float, float]:
    d = 1.0
    for _ in range(n):
        d *= 1.0001 + 0.1 * math.cos(x)
        x = 1.0001 * x + 0.1 * math.sin(x)
    return x, d


def test_auto_compiles_short_tapes_and_interprets_long_ones() -> None:
    _, short, _ = record(lambda x: _chain(x, 10), 0.5)
    assert len(short) <= COMPILE_LIMIT and short._chosen() == "compiled"
    n = COMPILE_LIMIT // 4 + 1
    _, long, _ = record(lambda x: _chain(x, n), 0.5)
    assert len(long) > COMPILE_LIMIT and long._chosen() == "interpreted"
    assert long.path == "auto" and long.using("compiled").path == "compiled"
    want = _float_chain(-0.7, n)
    for path in ("auto", *PATHS):
        value, (g,) = (long if path == "auto" else on(long, path)).value_and_grad(-0.7)
        assert_same([value, g], list(want), path)


def _chunk_lines(prog: tp.Program) -> list[Any]:
    """The compiled chunks among the interpreter's lines (see ``_codegen._fuse_repeats``)."""
    run = prog._runner("interpreted")
    assert isinstance(run, _codegen.Interpreter)
    return [f for f, _, _, b, _ in run._ops.code if b == -3]


def test_the_repeated_chunks_of_a_long_loop_are_compiled_once() -> None:
    n = 1000  # 4,001 records, 7,000 lines
    _, prog, _ = record(lambda x: _chain(x, n), 0.5)
    chunks = _chunk_lines(prog)
    lines = len(prog._runner("interpreted"))  # type: ignore[arg-type]
    assert len(chunks) * _codegen.CHUNK > 0.9 * 7 * n, "most lines run in compiled chunks"
    assert len(set(chunks)) <= 6, "one function per shape of chunk, not per chunk"
    assert lines < 7 * n / 20
    want = _float_chain(0.3, n)
    compiled = prog.using("compiled").value_and_grad(0.3)
    got = prog.using("interpreted").value_and_grad(0.3)
    assert got == compiled, "the same NumPy and math expressions: the same bits"
    assert_same(list(got[0:1]) + list(got[1]), list(want))


def test_a_long_loop_over_arrays_fuses_and_equals_a_fresh_recording() -> None:
    rng = np.random.default_rng(8)
    W, xs = 0.5 * rng.standard_normal((4, 4)), rng.standard_normal((400, 4))

    def rnn(h: Any, u: Any) -> Any:
        for x in xs:
            h = tp.tanh(W @ h + u * x) + 0.01 * h  # broadcast of u's (1,) against (4,)
        return tp.sum(h * h)

    _, prog, _ = record(rnn, np.zeros(4), np.array([0.7]))
    assert len(prog) > COMPILE_LIMIT and _chunk_lines(prog)
    for _ in range(2):
        point = (rng.standard_normal(4), rng.standard_normal(1))
        want = fresh_value_and_grad(rnn, *point)
        got = prog.value_and_grad(*point)
        same = prog.using("compiled").value_and_grad(*point)
        assert got[0] == same[0] and all(map(np.array_equal, got[1], same[1])), "same bits"
        assert_same(got[0], want[0], "value")
        assert_same(list(got[1]), want[1], "gradients")


def test_chunks_that_occur_rarely_stay_interpreted() -> None:
    rng = np.random.default_rng(2)
    ops = [tp.sin, tp.cos, tp.tanh, lambda v: v * v, lambda v: 0.5 * v]
    picks = rng.integers(0, len(ops), 3000)  # no period: no chunk shape repeats 16 times

    def f(x: Any) -> Any:
        for k in picks:
            x = 0.9 * ops[k](x) + 0.01
        return x

    _, prog, _ = record(f, 0.2)
    assert not _chunk_lines(prog)
    assert_same(prog.value_and_grad(0.4)[1][0], fresh_value_and_grad(f, 0.4)[1][0])


def test_math_errors_fall_back_to_numpy_values_on_both_paths() -> None:
    def f(x: Any, y: Any) -> Any:
        return tp.exp(x) + 1.0 / y

    _, prog, _ = record(f, 1.0, 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for path in ("compiled", "interpreted", "fused"):
            p = on(prog, path)
            value, (gx, gy) = p.value_and_grad(1000.0, 2.0)
            assert value == math.inf and gx == math.inf and gy == -0.25
            value, (gx, gy) = p.value_and_grad(0.0, 0.0)
            assert value == math.inf and gx == 1.0 and math.isinf(gy)
            assert p.jvp([1000.0, 2.0], [1.0, 0.0]) == math.inf


def test_inputs_are_not_copied_or_written() -> None:
    x = np.array([0.5, -1.0, 2.0])
    x.flags.writeable = False  # replay never writes its inputs
    _, prog, _ = record(lambda v: tp.sum(tp.tanh(v) * v), np.zeros(3))
    recs = prog.replay(x)
    assert any(r[4] is x for r in recs)  # the caller's array itself, not a copy
    for path in PATHS:
        value, (g,) = on(prog, path).value_and_grad(x)
        assert_same(value, float(np.sum(np.tanh(x) * x)))
        assert isinstance(g, np.ndarray)
        assert not np.shares_memory(g, x) and g.flags.writeable
    np.testing.assert_array_equal(x, [0.5, -1.0, 2.0])


def test_results_never_share_memory_with_inputs_constants_or_each_other() -> None:
    c = np.array([1.0, 2.0, 3.0])
    x = tp.Var(np.zeros(3))
    with tp.Tape(persistent=True) as t:
        view = x[0:2]
        y = tp.sum(x * c)
    same = t.compile(inputs=[x], outputs=[x])  # the output is the input itself
    x1 = np.array([4.0, 5.0, 6.0])
    out = same(x1)
    assert not np.shares_memory(out, x1)
    out_view = t.compile(inputs=[x], outputs=[view])(x1)
    np.testing.assert_array_equal(out_view, [4.0, 5.0])
    assert not np.shares_memory(out_view, x1)
    twice = t.compile(inputs=[x, x], outputs=[y])  # one slot, two gradients
    for path in PATHS:
        _, (g1, g2) = on(twice, path).value_and_grad(x1, x1)
        assert isinstance(g1, np.ndarray)
        np.testing.assert_array_equal(g1, c)
        np.testing.assert_array_equal(g2, c)
        assert not np.shares_memory(g1, g2) and not np.shares_memory(g1, c)
        g1[0] = -1.0  # the caller's to write: the program is not changed
        assert_same(on(twice, path).value_and_grad(x1, x1)[1][0], c)


def test_source_reads_as_numpy_with_the_shapes_made_literal() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((10, 2)), np.sign(rng.standard_normal(10))

    def loss(w: Any, b: Any) -> Any:
        h = tp.relu(X @ w + b)
        return tp.relu(1.0 - h[:, 0] * y).mean() + 1e-4 * tp.sum(w * w)

    _, prog, _ = record(loss, rng.standard_normal((2, 4)), rng.standard_normal(4))
    src = prog.source()
    assert "np.maximum(" in src and " @ " in src and ".T @ " in src
    assert "a2 = a3.sum(axis=(0,))" in src  # the bias's unbroadcast: over the batch axis
    assert "[:, 0]" in src  # a basic index, written out
    assert "C(" not in src and "U(" not in src  # no generic calls left for these rows
    _, chain, _ = record(lambda v: _chain(v, 3), 0.5)
    assert "math.sin(v0)" in chain.source() and "math.cos(" in chain.source()


def test_using_names_the_paths() -> None:
    _, prog, _ = record(lambda v: tp.sin(v), 0.5)
    assert prog.using("compiled").using("interpreted").path == "interpreted"
    with pytest.raises(ValueError, match="path must be one of 'auto', 'compiled'"):
        prog.using("fast")


@pytest.mark.parametrize("path", ["compiled", "interpreted", "generic"])
def test_compile_takes_the_path(path: Any) -> None:
    x = tp.Var(np.array([0.3, -0.7]))
    with tp.Tape(persistent=True) as t:
        y = tp.sum(tp.tanh(x) * x)
    prog = t.compile([x], [y], path=path)
    assert prog.path == path
    value, (g,) = prog.value_and_grad(np.array([1.1, 0.2]))
    z = np.array([1.1, 0.2])
    np.testing.assert_allclose(value, np.sum(np.tanh(z) * z), rtol=1e-14)
    np.testing.assert_allclose(g, np.tanh(z) + z * (1.0 - np.tanh(z) ** 2), rtol=1e-14)


def test_an_input_the_tape_never_saw_takes_its_shape_and_gets_zeros_on_every_path() -> None:
    """``compile(inputs=[a, b, c])`` where the output depends on ``a`` only: ``b`` and ``c``
    keep their own shapes (a wrong one is refused) and get zero gradients and tangents."""
    a, b, c = tp.Var(np.ones(3)), tp.Var(np.ones(2)), tp.Var(2.0)
    with tp.Tape(persistent=True) as t:
        y = tp.sum(tp.sin(a) * a)
    prog = t.compile(inputs=[a, b, c], outputs=[y])
    x = np.array([0.3, -1.2, 2.0])
    for path in PATHS:
        p = on(prog, path)
        value, (ga, gb, gc) = p.value_and_grad(x, np.full(2, 7.0), 5.0)
        assert_same(value, float(np.sum(np.sin(x) * x)), path)
        assert_same([ga, gb, gc], [np.cos(x) * x + np.sin(x), np.zeros(2), 0.0], path)
        assert isinstance(gc, float), path
        ds: list[Any] = [np.ones(3), np.ones(2), 1.0]
        assert_same(p.jvp([x, np.zeros(2), 0.0], ds), float(np.sum(np.cos(x) * x + np.sin(x))))
        with pytest.raises(ValueError, match=r"input 1 has shape \(4,\)"):
            p.value_and_grad(x, np.zeros(4), 0.0)
