"""The traps a newcomer fell into: each gave a wrong answer without a word (or hung).

Every test here failed on 53cebab. Together they pin down what the tape does at its edges:
the identity, targets that are not Vars, Vars made outside every tape, tapes freed by the
garbage collector at arbitrary points, recording from another thread, and reading the tape
by hand.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import math
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tape as tp
from tape.testing import numerical_jacobian

# ----- the identity: an operation that hands back its input Var itself ----------------------

M = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])

IDENTITIES: dict[str, Callable[[Any], Any]] = {
    "itself": lambda x: x,
    "+x": lambda x: +x,
    "np.positive": lambda x: np.positive(x),
    "np.transpose, identity order": lambda x: np.transpose(x, (0, 1)),
    "np.swapaxes(x, 1, 1)": lambda x: np.swapaxes(x, 1, 1),
    "reshape to its own shape": lambda x: x.reshape(x.shape),
    "np.reshape to its own shape": lambda x: np.reshape(x, (2, 3)),
    "np.broadcast_to its own shape": lambda x: np.broadcast_to(x, (2, 3)),
    "np.squeeze, nothing to squeeze": lambda x: np.squeeze(x),
    "tp.expand_dims then squeeze": lambda x: tp.squeeze(tp.expand_dims(x, 0), 0),
}


@pytest.mark.parametrize("spelling", IDENTITIES)
def test_identity_gradient_on_a_tape_is_the_seed(spelling: str) -> None:
    f = IDENTITIES[spelling]
    x = tp.Var(M)
    w = tp.Var(2.0)
    seed = np.arange(6.0).reshape(2, 3) - 2.5
    with tp.Tape(persistent=True) as t:
        y = f(x)
    gx, gw = t.gradient(y, [x, w], output_gradient=seed)
    np.testing.assert_array_equal(gx, seed)
    assert gw == 0.0
    np.testing.assert_array_equal(t.jacobian(y, x), np.eye(6).reshape(2, 3, 2, 3))


def test_identity_of_a_scalar_and_of_another_var() -> None:
    x, z = tp.Var(2.0), tp.Var(5.0)
    with tp.Tape(persistent=True) as t:
        y = +x
        _ = z * z  # the tape records something else too
    assert t.gradient(y, x) == 1.0
    assert t.gradient(y, [x, z]) == [1.0, 0.0]
    assert t.gradient(z, z) == 1.0  # a Var the tape saw as an input, handed back


def test_identity_under_nested_tapes() -> None:
    x = tp.Var(3.0)
    with tp.Tape() as outer:
        with tp.Tape() as inner:
            y = x * x
        g = inner.gradient(y, x)  # 2x, recorded on the outer tape
    assert outer.gradient(g, x) == 2.0
    with tp.Tape() as outer2:
        with tp.Tape() as inner2:
            y2 = +x
        g2 = inner2.gradient(y2, x)  # 1: a constant, still a Var under the outer tape
    assert isinstance(g2, tp.Var)
    assert outer2.gradient(g2, x) == 0.0


# ----- a target that is not a Var ------------------------------------------------------------


LEAKS: dict[str, Callable[[tp.Var], Any]] = {
    "math.exp(x)": lambda x: math.exp(x),
    "float(v) * 2": lambda x: float(x * x) * 2,
    "v.item()": lambda x: (x * 3.0).item(),
    "int(v)": lambda x: int(x) + 0.5,
    "v.item(i)": lambda x: (x * np.ones(2)).item(1),
}


@pytest.mark.parametrize("how", LEAKS)
def test_a_target_that_left_the_tape_raises(how: str) -> None:
    x = tp.Var(1.5)
    with tp.Tape() as t:
        y = LEAKS[how](x)
    assert not isinstance(y, tp.Var)
    saw = r"left the\s+tape \(this tape saw (float\(\)|int\(\)|item\(index=\(1,\)\))"
    with pytest.raises(TypeError, match=saw):
        t.gradient(y, x)


def test_a_plain_target_raises_even_when_nothing_was_guarded() -> None:
    x = tp.Var(np.ones(3))
    with tp.Tape() as t:
        y = tp.sum(x * 2.0)
    with pytest.raises(TypeError, match="left the tape"):
        t.gradient(np.float64(6.0), x)
    with pytest.raises(TypeError, match="left the tape"):
        t.jacobian(np.ones(3), x)
    np.testing.assert_array_equal(t.gradient(y, x), [2.0, 2.0, 2.0])


def test_a_constant_inner_gradient_is_still_differentiable() -> None:
    # the inner gradient of a linear function is a constant: under an outer tape it is a
    # Var with no history, whose derivative the outer tape gives as zero
    x = tp.Var(3.0)
    with tp.Tape() as outer:
        with tp.Tape() as inner:
            y = 4.0 * x
        g = inner.gradient(y, x)
    assert isinstance(g, tp.Var) and g.value == 4.0
    assert outer.gradient(g, x) == 0.0


# ----- Vars computed outside every tape -------------------------------------------------------


def test_a_var_made_outside_every_tape_warns_once_and_names_the_operation() -> None:
    x = tp.Var(2.0)
    z = 3 * x  # outside every tape: z has no history
    with (
        pytest.warns(tp.TapeWarning, match="'multiply' outside every tape") as caught,
        tp.Tape() as t,
    ):
        y = z * x
    assert len(caught) == 1
    assert caught[0].filename == __file__  # points at the user's line, not the library's
    assert t.gradient(y, x) == 6.0  # tf.GradientTape's rule: z is a leaf of this tape
    with warnings.catch_warnings():
        warnings.simplefilter("error", tp.TapeWarning)
        with tp.Tape() as t2:  # once per Var: no second warning
            y2 = z * x
    assert t2.gradient(y2, x) == 6.0


@pytest.mark.parametrize("persistent", [False, True])
def test_a_var_of_a_tape_that_stopped_recording_warns_on_the_next_tape(persistent: bool) -> None:
    x = tp.Var(2.0)
    with tp.Tape(persistent=persistent) as first:
        y = tp.sin(x)
    if not persistent:
        first.gradient(y, x)  # (freed: the warning cannot name the operation)
    with pytest.warns(tp.TapeWarning, match="stopped recording") as caught, tp.Tape() as t:
        z = 3.0 * y
    assert caught[0].filename == __file__
    assert ("'sin'" in str(caught[0].message)) == persistent
    assert t.gradient(z, x) == 0.0  # a leaf of this tape: the rule the warning explains
    assert t is not first


def test_a_var_of_an_active_tape_below_does_not_warn() -> None:
    x = tp.Var(2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", tp.TapeWarning)
        with tp.Tape() as outer:
            y = tp.sin(x)  # recorded on the outer tape, which is still recording
            with tp.Tape() as inner:
                z = y * y
            g = inner.gradient(z, y)
        assert outer.gradient(g, x) == pytest.approx(2.0 * math.cos(2.0))


def test_an_inner_tapes_var_under_a_recording_outer_tape_does_not_warn_on_the_next_inner() -> None:
    # y is inner1's, and the outer tape recorded its operation too: inner2 sees it as one of
    # the outer tape's values (a leaf of inner2, as every outer value is), with no warning
    x = tp.Var(2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", tp.TapeWarning)
        with tp.Tape(persistent=True) as outer:
            with tp.Tape():
                y = tp.sin(x)
            with tp.Tape() as inner2:
                z = y * x
            g = inner2.gradient(z, x)  # y held fixed: sin 2
            w = z * 1.0
    assert isinstance(g, tp.Var)  # (a gradient under an outer tape is one of its Vars)
    assert g.item() == pytest.approx(math.sin(2.0), rel=1e-15)
    assert outer.gradient(w, x) == pytest.approx(2.0 * math.cos(2.0) + math.sin(2.0), rel=1e-15)
    assert outer.gradient(g, x) == pytest.approx(math.cos(2.0), rel=1e-15)


def test_leaves_and_values_made_while_paused_do_not_warn() -> None:
    a = tp.Var(np.ones(2))
    b = a.detach()
    with warnings.catch_warnings():
        warnings.simplefilter("error", tp.TapeWarning)
        with tp.Tape() as t:
            with t.stop_recording():
                c = a * 2.0  # a constant on purpose
            y = tp.sum(a * b * c)
        np.testing.assert_array_equal(t.gradient(y, a), [2.0, 2.0])
        with tp.Tape() as t3:
            y3 = a * 1.0
        t3.gradient(y3, a, output_gradient=np.ones(2))


def test_a_var_made_outside_warns_on_the_general_path_too() -> None:
    x = tp.Var(np.arange(3.0))
    s = tp.sum(x)  # a reduction outside every tape
    with pytest.warns(tp.TapeWarning, match="'sum'"), tp.Tape() as outer, tp.Tape() as t:
        y = tp.exp(s)
    np.testing.assert_array_equal(t.gradient(y, x), [0.0, 0.0, 0.0])
    del outer


# ----- the garbage collector frees tapes at arbitrary points ----------------------------------

_STRESS = """
import gc
import numpy as np
import tape as tp
from tape.testing import numerical_jacobian

gc.set_threshold(1)  # a collection at (nearly) every allocation
kept, arrays = [], []
for i in range(3000):
    c = np.ones(3)  # a caller's writable array used as a constant: the tape locks it
    arrays.append(c)
    x = tp.Var(np.arange(3.0))
    t = tp.Tape()
    t.cycle = t  # a reference cycle: only the collector frees this tape
    try:
        with t:
            y = (x * c).sum() + (x * np.ones(3)).sum()
            raise ValueError(i)
    except ValueError as e:
        kept.append(e)  # a kept exception holds the frames that hold the tapes
    if len(kept) > 20:
        kept.clear()
kept.clear()
del t, y  # the last tape (y holds it too)
gc.set_threshold(700)
gc.collect()
with tp.Tape() as last:  # the next lock releases whatever a finaliser had to defer
    _ = tp.Var(1.0) * np.ones(3)
del last
gc.collect()
print(sum(not a.flags.writeable for a in arrays))
"""


def test_tapes_freed_by_the_collector_anywhere_never_deadlock(tmp_path: Path) -> None:
    # a fresh interpreter (the collector's thresholds are global), importing this same tape
    env = {**os.environ, "PYTHONPATH": str(Path(tp.__file__).resolve().parent.parent)}
    out = subprocess.run(
        [sys.executable, "-c", _STRESS],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"  # every locked array was given back


# ----- the collector's passes are spread out while tapes record -------------------------------

YOUNG = tp._core.YOUNG


def test_the_collectors_passes_are_spread_out_while_tapes_record_and_restored_after() -> None:
    before = gc.get_threshold()
    assert before[0] < YOUNG
    x = tp.Var(np.ones(3))
    with tp.Tape() as outer:
        assert gc.get_threshold() == (YOUNG, *before[1:])
        assert gc.isenabled()  # (still on: a tape never exited costs only rarer passes)
        with tp.Tape():
            y = (x * x).sum()
        assert gc.get_threshold()[0] == YOUNG  # the outer tape still records
        z = y * 2.0
    assert gc.get_threshold() == before
    np.testing.assert_array_equal(outer.gradient(z, x), [4.0, 4.0, 4.0])
    with pytest.raises(ZeroDivisionError), tp.Tape():
        _ = x * 2.0
        _ = 1 / 0
    assert gc.get_threshold() == before  # also when the block raised


@pytest.mark.parametrize("first", [0, 1, 100_000])
def test_a_threshold_the_user_set_is_kept(first: int) -> None:
    # off (0), a collection at every allocation (1: the stress test below), or spread out
    before = gc.get_threshold()
    gc.set_threshold(first, *before[1:])
    try:
        with tp.Tape():
            _ = tp.Var(1.0) * 2.0
            assert gc.get_threshold()[0] == first
        assert gc.get_threshold()[0] == first
    finally:
        gc.set_threshold(*before)


def test_overlapping_tapes_in_two_threads_restore_the_thresholds_only_after_both() -> None:
    before = gc.get_threshold()
    entered, release_a, a_done = threading.Event(), threading.Event(), threading.Event()
    seen: list[int] = []

    def a() -> None:
        with tp.Tape():
            _ = tp.Var(1.0) * 2.0
            entered.set()
            release_a.wait(10)
        a_done.set()

    thread = threading.Thread(target=a)
    thread.start()
    entered.wait(10)
    with tp.Tape():
        release_a.set()
        a_done.wait(10)
        seen.append(gc.get_threshold()[0])  # a's tape ended, this one still records
    thread.join()
    assert seen == [YOUNG]
    assert gc.get_threshold() == before


# ----- recording from another thread ----------------------------------------------------------


def test_recording_from_a_copied_context_in_another_thread_raises() -> None:
    x = tp.Var(np.ones(2))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            _ = x * 2.0
        except RuntimeError as e:
            errors.append(e)

    with tp.Tape() as t:
        y = x * 3.0
        ctx = contextvars.copy_context()
        th = threading.Thread(target=ctx.run, args=(work,))
        th.start()
        th.join()
    assert len(errors) == 1
    assert "give each thread its own Tape" in str(errors[0])
    assert len(t) == 2  # the other thread recorded nothing
    np.testing.assert_array_equal(t.gradient(y, x, output_gradient=np.ones(2)), [3.0, 3.0])


@pytest.mark.parametrize(
    "op",
    [
        lambda x: x * 2.0,  # the two-input fast path
        lambda x: -x,  # the one-input fast path
        lambda x: tp.sum(x, axis=0),  # the general path
        lambda x: x > 0,  # a comparison
        lambda x: float(x[0]),  # a guard
    ],
)
def test_every_recording_path_refuses_another_thread(op: Callable[[tp.Var], Any]) -> None:
    x = tp.Var(np.ones(2))

    async def main() -> None:
        with (
            tp.Tape(),
            pytest.raises(RuntimeError, match="other than the one that entered it"),
        ):
            await asyncio.to_thread(op, x)

    asyncio.run(main())


# ----- reading the tape by hand ---------------------------------------------------------------


def test_entries_carry_every_input_value_constants_included() -> None:
    c, d = tp.Var(np.array([1.0, -2.0])), tp.Var(3.0)
    with tp.Tape() as t:
        y = tp.sum(c * 2 - d / 4)
    entries = list(t)
    by_slot = {e.slot: e for e in entries}
    for e in entries:
        assert len(e.input_values) == len(e.inputs)
        for s, v in zip(e.inputs, e.input_values, strict=True):
            if s >= 0:
                np.testing.assert_array_equal(v, by_slot[s].value)
    # recompute the values, then the reverse sweep, from the entries alone
    rules: dict[str, Callable[..., Any]] = {
        "multiply": lambda a, b: a * b,
        "divide": lambda a, b: a / b,
        "subtract": lambda a, b: a - b,
        "sum": lambda a, **p: np.sum(a),
    }
    for e in entries:
        if e.primitive != "input":
            np.testing.assert_allclose(rules[e.primitive](*e.input_values), e.value)
    adj: dict[int, Any] = {entries[-1].slot: 1.0}
    for e in reversed(entries):
        g = adj.get(e.slot)
        if g is None or e.primitive == "input":
            continue
        parts = _partials(e.primitive, g, *e.input_values)
        for s, v, p in zip(e.inputs, e.input_values, parts, strict=False):
            if s >= 0:
                p = np.sum(p) if np.ndim(v) == 0 else p
                adj[s] = adj.get(s, 0.0) + p
    gc, gd = t.gradient(y, [c, d])
    leaf_c, leaf_d = (e.slot for e in entries if e.primitive == "input")  # in order of use
    np.testing.assert_allclose(adj[leaf_c], gc)
    np.testing.assert_allclose(adj[leaf_d], gd)


def _partials(op: str, g: Any, a: Any, b: Any = 1.0) -> list[Any]:
    """ā and b̄ of one record, by hand."""
    if op == "sum":
        return [np.ones_like(a) * g]
    if op == "subtract":
        return [g, -g]
    if op == "multiply":
        return [g * b, g * a]
    return [g / b, -g * a / b**2]  # divide


# ----- print(t) of matrices -------------------------------------------------------------------


def test_printing_a_tape_of_matrices_keeps_one_line_per_record() -> None:
    x = tp.Var(np.arange(4.0).reshape(2, 2))
    W = tp.Var(np.full((3, 2), 0.5))
    with tp.Tape(persistent=True) as t:
        h = W @ x
        m = h > 1.0
        y = tp.sum(tp.where(m, h, 0.0))
    t.gradient(y, [x, W])
    lines = str(t).splitlines()
    assert len(lines) == 4 + len(t)  # title, header, rule, a line per record, bytes saved
    assert "⟨3×2 float64 in [1, 2]⟩" in str(t)
    assert "⟨3×2 bool, 3 true⟩" in str(t)
    dot = t.to_dot()
    assert all(line.rstrip().endswith(("{", "}", ";")) for line in dot.splitlines()), dot


# ----- gradients handed out are never aliases of each other -----------------------------------


def test_gradients_of_a_sum_are_not_aliases_of_each_other_or_of_the_seed() -> None:
    a, b = tp.Var(np.ones(3)), tp.Var(np.ones(3))
    seed = np.array([1.0, 2.0, 3.0])
    with tp.Tape() as t:
        y = a + b  # add's rule hands the same cotangent to both inputs
    ga, gb = t.gradient(y, [a, b], output_gradient=seed)
    assert isinstance(ga, np.ndarray) and isinstance(gb, np.ndarray)
    assert not np.shares_memory(ga, gb) and not np.shares_memory(ga, seed)
    ga[0] = 100.0  # writing one gradient changes neither the other nor the caller's seed
    assert gb[0] == 1.0 and seed[0] == 1.0


def test_a_gradient_that_is_a_view_of_another_or_of_the_seed_is_copied() -> None:
    # reshape's rule hands out a view of its cotangent: y's adjoint, viewed, is x's
    x = tp.Var(np.arange(6.0).reshape(2, 3))
    with tp.Tape() as t:
        y = x.reshape(6)
        z = (y * y).sum()
    gx, gy = t.gradient(z, [x, y])
    assert isinstance(gx, np.ndarray) and isinstance(gy, np.ndarray)
    assert not np.shares_memory(gx, gy)
    np.testing.assert_array_equal(gy, 2 * np.arange(6.0))
    np.testing.assert_array_equal(gx, 2 * np.arange(6.0).reshape(2, 3))
    seed = np.arange(1.0, 7.0)
    with tp.Tape() as t:
        y = x.reshape(6)
    (g,) = t.gradient(y, [x], output_gradient=seed)
    assert isinstance(g, np.ndarray) and not np.shares_memory(g, seed)
    g[0, 0] = 100.0  # the caller's seed keeps its values
    assert seed[0] == 1.0


@pytest.mark.parametrize("n", [10, 300])  # 300² elements: above VIEW_FROM, a broadcast view
@pytest.mark.parametrize("reduce", ["sum", "mean"])
def test_the_gradient_of_a_full_reduction_is_a_writable_array_of_its_own(
    n: int, reduce: str
) -> None:
    x = tp.Var(np.ones((n, n)))
    with tp.Tape() as t:
        y = x.sum() if reduce == "sum" else x.mean()
    g = t.gradient(y, x)
    assert isinstance(g, np.ndarray) and g.shape == (n, n)
    assert g.flags.writeable and g.flags.owndata
    np.testing.assert_array_equal(g, np.full((n, n), 1.0 if reduce == "sum" else 1.0 / (n * n)))
    g[0, 0] = 5.0  # its own memory: no other element changes
    assert g[1, 1] == (1.0 if reduce == "sum" else 1.0 / (n * n))


def test_a_big_reduction_spreads_its_cotangent_as_a_view_not_a_fill() -> None:
    from tape._table import VIEW_FROM, _unreduce

    big, small = np.ones(VIEW_FROM), np.ones(VIEW_FROM - 1)
    view = _unreduce(2.0, big, (-1,), False)
    assert view.strides == (0,) and not view.flags.writeable
    np.testing.assert_array_equal(view, np.full(VIEW_FROM, 2.0))
    filled = _unreduce(2.0, small, (-1,), False)
    assert filled.flags.owndata and filled.flags.writeable
    rows = _unreduce(np.arange(2.0), np.ones((2, VIEW_FROM)), (-1,), False)
    np.testing.assert_array_equal(rows, np.repeat([[0.0], [1.0]], VIEW_FROM, axis=1))


_JACOBIAN_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "scalar out": lambda x: (x * x).sum(),
    "vector out": lambda x: tp.sin(x) * 2.0,
    "times one": lambda x: x * 1.0,
    "one input element": lambda x: x[1] * 3.0,
    "a sum spread out": lambda x: x.sum() + 0.0 * x,
}


def _jacobians(f: Callable[[Any], Any], x0: np.ndarray) -> dict[str, Any]:
    x = tp.Var(x0)
    with tp.Tape(persistent=True) as t:
        y = f(x)
    prog = t.compile([x], [y])
    return {
        "jacfwd": tp.jacfwd(f)(x0),
        "jacrev": tp.jacrev(f)(x0),
        "Tape.jacobian": t.jacobian(y, x),
        "Program.jacobian": prog.jacobian(x0),
    }


@pytest.mark.parametrize("name", list(_JACOBIAN_FUNCTIONS))
def test_every_jacobian_handed_out_is_a_writable_array(name: str) -> None:
    # a Jacobian assembled from a broadcast tangent was a read-only view: NumPy users write
    # into results (J[i] -= ...), so each is an array they may write to
    f = _JACOBIAN_FUNCTIONS[name]
    x0 = np.array([0.3, -1.2, 2.0])
    expected = numerical_jacobian(f, [x0])
    for how, jac in _jacobians(f, x0).items():
        assert isinstance(jac, np.ndarray) and jac.flags.writeable, how
        np.testing.assert_allclose(jac, expected, rtol=1e-6, atol=1e-8, err_msg=how)
    for jac in (tp.jacfwd(lambda x: x)(x0), tp.jacrev(lambda x: x)(x0)):  # the identity
        assert isinstance(jac, np.ndarray) and jac.flags.writeable
        np.testing.assert_array_equal(jac, np.eye(3))
    hess = tp.hessian(lambda x: (x * x * x).sum())(x0)
    assert isinstance(hess, np.ndarray) and hess.flags.writeable
    np.testing.assert_allclose(hess, np.diag(6.0 * x0))


def test_a_recorded_mask_can_be_indexed_and_reshaped_on_a_tape() -> None:
    x = tp.Var(np.array([1.0, -2.0, 3.0]))
    with tp.Tape() as t:
        m = x > 0
        first = m[0]
        column = m.reshape(3, 1)
        y = tp.sum(tp.where(column[:, 0], x, 0.0)) + (x * m).sum()
    assert bool(first) is True and column.shape == (3, 1)
    np.testing.assert_array_equal(t.gradient(y, x), [2.0, 0.0, 2.0])


# ----- an index array written to after the record that used it -------------------------------

_INDEXINGS: dict[str, tuple[Callable[[Any, np.ndarray], Any], list[Any], list[Any]]] = {
    # how x is indexed by the caller's array; the array as recorded, and what is written
    "integer array": (lambda x, i: x[i], [2, 0, 3], [1, 1, 1]),
    "in a tuple with an ellipsis": (lambda x, i: x[i, ...], [2, 0, 3], [1, 1, 1]),
    "boolean mask": (lambda x, i: x[i], [True, False, True, True], [False, True, True, True]),
    "take_along_axis": (lambda x, i: tp.take_along_axis(x, i, axis=0), [2, 0, 3], [1, 1, 1]),
}


@pytest.mark.parametrize("name", list(_INDEXINGS))
def test_writing_to_an_index_array_after_recording_changes_no_gradient(name: str) -> None:
    # the record kept the caller's array: the sweep scattered along its new contents
    index, recorded, written = _INDEXINGS[name]
    x0 = np.arange(1.0, 5.0)
    weights = np.array([1.0, 2.0, 3.0])

    def f(x: Any, i: np.ndarray) -> Any:
        picked = index(x, i)
        return (picked * weights[: picked.shape[0]]).sum()

    idx = np.array(recorded)
    x = tp.Var(x0)
    with tp.Tape(persistent=True) as t:
        y = f(x, idx)
    prog = t.compile([x], [y])
    expected = numerical_jacobian(lambda v: f(v, np.array(recorded)), [x0])
    idx[:] = written  # the caller's array stays writable, and the tape keeps its own
    np.testing.assert_allclose(t.gradient(y, x), expected, rtol=1e-6, atol=1e-9)
    _, (g,) = prog.value_and_grad(x0)
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-9)


def test_a_list_index_inside_a_tuple_is_kept_as_recorded() -> None:
    rows = [1, 0]
    x = tp.Var(np.arange(6.0).reshape(3, 2))
    with tp.Tape() as t:
        y = (x[rows, 1] * np.array([10.0, 1.0])).sum()
    rows[0] = 2
    np.testing.assert_array_equal(t.gradient(y, x), [[0.0, 1.0], [0.0, 10.0], [0.0, 0.0]])
