"""Replay: a compiled tape run again at new inputs equals a fresh recording there.

- Random compositions of primitives (hypothesis) are recorded at one point, compiled, and
  replayed at new points: ``value_and_grad``, the outputs, ``jvp``, ``hvp`` and ``jacobian``
  of the program equal those of a fresh recording (``tp.value_and_grad``, ``tp.jvp``,
  ``tp.hvp``, ``tp.jacrev``) to 1e-12. The same holds for the moons MLP step.
- Every guard kind (``bool``, ``float``, ``int``, ``.item()``, a mask index, a comparison in a
  ``while``) raises ``TapeInvalidated`` on a branch change, naming the guard's record and
  the operation that made its value, and does not raise otherwise. Selections that stay on
  the tape (``where``, ``maximum``, ``relu``, ``abs``, ``clip``, ``max``...) need no guard and
  replay correctly on the other side of their kink.
- Diagnostics: ``Tape(check_finite=True)`` names the record where a NaN/Inf first appears
  (forward and in the sweep); the safe-``where`` pattern; ``nbytes``; ``to_dot``; errors.
- ``examples/replay.py`` runs (with fewer points) and its two paths agree.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import tape as tp
from tape import nn, optim

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

import moons  # noqa: E402
import replay as replay_example  # noqa: E402

N_REPLAY = 300
"""Random compositions recorded once and replayed at ``N_NEW_POINTS`` new points each."""
N_NEW_POINTS = 3
"""New points per random composition (each checks values, gradients, jvp, hvp, jacobian)."""
TOL = 1e-12

Floats = npt.NDArray[np.float64]


def assert_same(got: Any, want: Any, what: str = "") -> None:
    """Equal to 1e-12 (relative and absolute), for values or (nested) sequences of them."""
    if isinstance(want, list | tuple) and isinstance(got, list | tuple):
        assert len(got) == len(want), what
        for k, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{what}[{k}]")
        return
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert g.shape == w.shape, f"{what}: shape {g.shape} != {w.shape}"
    assert np.all(np.isfinite(w)), f"{what}: the reference is not finite: {w}"
    np.testing.assert_allclose(g, w, rtol=TOL, atol=TOL, err_msg=what)


def fresh_value_and_grad(f: Callable[..., Any], *xs: Any) -> tuple[Any, list[Any]]:
    """A fresh recording of ``f`` at ``xs`` (its own Tape) and one reverse sweep."""
    vs = [tp.Var(x) for x in xs]
    with tp.Tape() as t:
        y = f(*vs)
    return y.value, t.gradient(y, vs)


def record(f: Callable[..., Any], *xs: Any) -> tuple[tp.Tape, tp.Program, list[tp.Var]]:
    """Record ``f`` at ``xs`` on a persistent tape and compile it (inputs ``xs``, output f)."""
    vs = [tp.Var(x) for x in xs]
    with tp.Tape(persistent=True) as t:
        y = f(*vs)
    return t, t.compile(inputs=vs, outputs=[y]), vs


def entries(t: tp.Tape, name: str) -> list[int]:
    """The slots of the records of primitive ``name`` on ``t``."""
    return [e.slot for e in t if e.primitive == name]


# ----- random compositions (hypothesis) --------------------------------------------------------
#
# A composition is a list of steps over a pool that starts as the three inputs x (3, 4),
# b (4,) and s (a float). Each step applies one operation to members of the pool and appends
# the result. Every shape in the pool is (), (1,), (4,), (1, 1), (1, 4), (3, 1) or (3, 4), so
# any two members broadcast together. Every member carries a static bound on |value| (the
# inputs lie in [-2, 2]); an operation that could exceed BOUND gets its operand squashed by
# tanh first, so no value overflows. The bounds depend on the steps only, never on values:
# the Python code takes the same path at every input, as replay requires.

BOUND = 50.0
UNARY = ("relu", "abs", "tanh", "exp", "sin", "sigmoid", "softplus", "square", "negative")
BINARY = ("add", "subtract", "multiply", "divide", "maximum", "minimum")
REDUCE = ("sum", "mean", "max", "min", "logsumexp")
COMPARE = ("<", "<=", ">", ">=", "!=", "and", "or", "not")
KINDS = ("unary", "binary", "reduce", "matmul", "where", "clip")

_RNG = np.random.default_rng(1234)
C44 = _RNG.uniform(-0.5, 0.5, size=(4, 4))  # constant matrices for matmul
C14 = _RNG.uniform(-0.5, 0.5, size=(1, 4))
V4 = _RNG.uniform(-1.0, 1.0, size=4)

Step = tuple[int, int, int, int, int, int]  # kind, op, and four operand picks


def _squash(v: Any, bound: float, limit: float = BOUND) -> tuple[Any, float]:
    return (tp.tanh(v), 1.0) if bound > limit else (v, bound)


def _unary(op: str, a: Any, ba: float) -> tuple[Any, float]:
    if op == "relu":
        return tp.relu(a), ba
    if op == "abs":
        return tp.abs(a), ba
    if op == "tanh":
        return tp.tanh(a), 1.0
    if op == "exp":
        a, ba = _squash(a, ba, 3.0)
        return tp.exp(a), math.exp(ba)
    if op == "sin":
        return tp.sin(a), 1.0
    if op == "sigmoid":
        return tp.sigmoid(a), 1.0
    if op == "softplus":
        return tp.softplus(a), ba + 1.0
    if op == "square":
        a, ba = _squash(a, ba, 7.0)
        return tp.square(a), ba * ba
    return -a, ba


def _binary(op: str, a: Any, ba: float, b: Any, bb: float) -> tuple[Any, float]:
    if op == "add":
        return a + b, ba + bb
    if op == "subtract":
        return a - b, ba + bb
    if op == "multiply":
        if ba * bb > BOUND:
            return a * tp.tanh(b), ba
        return a * b, ba * bb
    if op == "divide":
        return a / (1.5 + tp.tanh(b)), 2.0 * ba
    if op == "maximum":
        return tp.maximum(a, b), max(ba, bb)
    return tp.minimum(a, b), max(ba, bb)


def _axes(shape: tuple[int, ...]) -> list[tuple[Any, bool]]:
    """Reduction (axis, keepdims) choices that keep the pool's shapes broadcastable."""
    if len(shape) == 0:
        return [(None, False)]
    if len(shape) == 1:
        return [(None, False), (0, True), (-1, False)]
    out: list[tuple[Any, bool]] = [(None, False), (0, True), (1, True), (-1, True), ((0, 1), True)]
    out.append((0, False))  # (3, 4) -> (4,), (3, 1) -> (1,)
    if shape[0] == 1:
        out.append((1, False))  # (1, 4) -> (1,)
    return out


def _reduce(op: str, a: Any, ba: float, axis: Any, keepdims: bool) -> tuple[Any, float]:
    size = math.prod(_shape(a))  # (the whole input: a bound for any axis)
    if op == "sum":
        return tp.sum(a, axis=axis, keepdims=keepdims), ba * size
    if op == "mean":
        return tp.mean(a, axis=axis, keepdims=keepdims), ba
    if op == "max":
        return tp.max(a, axis=axis, keepdims=keepdims), ba
    if op == "min":
        return tp.min(a, axis=axis, keepdims=keepdims), ba
    return tp.logsumexp(a, axis=axis, keepdims=keepdims), ba + math.log(max(size, 1))


def _shape(v: Any) -> tuple[int, ...]:
    return tuple(v.shape) if hasattr(v, "shape") else ()


def _mask(op: str, p: Any, q: Any, r: Any) -> Any:
    """A boolean mask computed from pool members: a recorded comparison (no guard)."""
    if op == "<":
        return p < q
    if op == "<=":
        return p <= q
    if op == ">":
        return p > q
    if op == ">=":
        return p >= q
    if op == "!=":
        return p != q
    # np.logical_and/or rather than & and |: under tp.grad(f, argnums=k) the other inputs
    # are constants, their comparisons plain arrays, and `ndarray & Var` is not supported
    # (see test_plain_mask_on_the_left_of_and_or_a_recorded_mask)
    if op == "and":
        return np.logical_and(p > q, r < 0.3)
    if op == "or":
        return np.logical_or(p < -0.2, q > r)
    return ~(p > r)


def composition(steps: Sequence[Step]) -> Callable[[Any, Any, Any], tuple[Any, Any]]:
    """The function the steps describe: (x, b, s) -> (a scalar, the last pool member)."""

    def f(x: Any, b: Any, s: Any) -> tuple[Any, Any]:
        pool: list[tuple[Any, float]] = [(x, 2.0), (b, 2.0), (s, 2.0)]
        for kind_i, op_i, i, j, k, m in steps:
            n = len(pool)
            (a, ba), (c, bc) = pool[i % n], pool[j % n]
            kind = KINDS[kind_i % len(KINDS)]
            if kind == "unary":
                out = _unary(UNARY[op_i % len(UNARY)], a, ba)
            elif kind == "binary":
                out = _binary(BINARY[op_i % len(BINARY)], a, ba, c, bc)
            elif kind == "reduce":
                axis, keepdims = _axes(_shape(a))[k % len(_axes(_shape(a)))]
                out = _reduce(REDUCE[op_i % len(REDUCE)], a, ba, axis, keepdims)
            elif kind == "matmul":
                shape = _shape(a)
                if not shape:
                    out = (a * V4, ba)
                elif shape[-1] == 4:
                    out = (tp.matmul(a, C44), 2.0 * ba)
                else:
                    out = (tp.matmul(a, C14), 0.5 * ba)
            elif kind == "where":
                mask = _mask(COMPARE[op_i % len(COMPARE)], a, c, pool[k % n][0])
                (d, bd) = pool[m % n]
                other: Any = 0.0 if k % 3 == 0 else c
                out = (tp.where(mask, d, other), max(bd, 0.0 if k % 3 == 0 else bc))
            else:
                out = (tp.clip(a, -0.5, 0.7), min(ba, 0.7))
            pool.append(_squash(*out))
        last = pool[-1][0]
        scalar = 0.05 * tp.sum(last * last) + tp.mean(tp.sin(last)) + tp.sum(tp.tanh(x) * b) * s
        return scalar, last

    return f


steps_strategy = st.lists(
    st.tuples(*(st.integers(0, 99) for _ in range(6))), min_size=1, max_size=10
)


def _point(rng: np.random.Generator) -> tuple[Floats, Floats, float]:
    return (
        rng.uniform(-2.0, 2.0, size=(3, 4)),
        rng.uniform(-2.0, 2.0, size=4),
        float(rng.uniform(-2.0, 2.0)),
    )


@settings(
    max_examples=N_REPLAY,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps=steps_strategy, seed=st.integers(0, 2**32 - 1))
def test_replay_equals_retracing_on_random_compositions(steps: list[Step], seed: int) -> None:
    for kind in sorted({KINDS[step[0] % len(KINDS)] for step in steps}):
        event(f"uses {kind}")
    f = composition(steps)

    def f_scalar(x: Any, b: Any, s: Any) -> Any:
        return f(x, b, s)[0]

    def f_out(x: Any, b: Any, s: Any) -> Any:
        return f(x, b, s)[1]

    rng = np.random.default_rng(seed)
    x0, b0, s0 = _point(rng)
    X, B, S = tp.Var(x0), tp.Var(b0), tp.Var(s0)
    with tp.Tape(persistent=True) as t:
        scalar, out = f(X, B, S)
    assert not entries(t, "guard"), "a composition must take no Python branch"
    prog = t.compile(inputs=[X, B, S], outputs=[scalar])
    prog_out = t.compile(inputs=[X, B, S], outputs=[out])
    both = t.compile(inputs=[X, B, S], outputs=[scalar, out])

    for _ in range(N_NEW_POINTS):
        x1, b1, s1 = _point(rng)
        vx, vb, vs = _point(rng)

        # values and gradients: replay + one sweep against a fresh recording
        value, grads = prog.value_and_grad(x1, b1, s1)
        ref_value, ref_grads = tp.value_and_grad(f_scalar, argnums=(0, 1, 2))(x1, b1, s1)
        assert_same(value, ref_value, "value")
        assert_same(grads, ref_grads, "gradients")
        assert isinstance(grads[2], float)  # a float input gets a float gradient

        # the outputs themselves
        ref_both = f(tp.Var(x1), tp.Var(b1), tp.Var(s1))
        assert_same(prog_out(x1, b1, s1), ref_both[1].value, "output")
        assert_same(both(x1, b1, s1), [ref_both[0].value, ref_both[1].value], "both outputs")

        # forward mode over the replayed records
        _, ref_jv = tp.jvp(f_out, (x1, b1, s1), (vx, vb, vs))
        assert_same(prog_out.jvp([x1, b1, s1], [vx, vb, vs]), ref_jv, "jvp")

        # forward over reverse: H·v, each input's block, and against tp.hvp along x alone
        hv = prog.hvp([x1, b1, s1], [vx, vb, vs])
        ref_hv = [
            tp.jvp(tp.grad(f_scalar, argnums=k), (x1, b1, s1), (vx, vb, vs))[1] for k in range(3)
        ]
        assert_same(hv, ref_hv, "hvp")
        hv_x = prog.hvp([x1, b1, s1], [vx, np.zeros(4), 0.0])[0]
        assert_same(hv_x, tp.hvp(lambda x, b=b1, s=s1: f_scalar(x, b, s), x1, vx), "hvp along x")

        # the Jacobian of the last pool member with respect to x
        jac = prog_out.jacobian(x1, b1, s1)
        assert_same(jac, tp.jacrev(f_out)(x1, b1, s1), "jacobian")


def test_replay_does_not_call_the_function_again() -> None:
    calls: list[float] = []

    def f(x: tp.Var) -> tp.Var:
        calls.append(1.0)
        return tp.sum(tp.exp(tp.sin(x)) * x)

    _, prog, _ = record(f, np.array([0.1, 0.2]))
    for k in range(5):
        x = np.array([0.3 * k, -0.1 * k])
        value, (g,) = prog.value_and_grad(x)
        assert_same(value, float(np.sum(np.exp(np.sin(x)) * x)))
        assert_same(g, np.exp(np.sin(x)) * (np.cos(x) * x + 1.0))
    assert len(calls) == 1


def test_replay_accepts_several_inputs_and_leaves_others_at_their_recorded_values() -> None:
    # w is a leaf of the tape but not a compiled input: it keeps its recorded value
    w = tp.Var(np.array([2.0, -1.0]))
    x, s = tp.Var(np.array([0.5, 1.5])), tp.Var(0.7)
    with tp.Tape(persistent=True) as t:
        y = tp.sum(tp.sin(x * s) * w)
    prog = t.compile(inputs=[x, s], outputs=[y])
    x1, s1 = np.array([-0.3, 2.0]), -1.2
    value, (gx, gs) = prog.value_and_grad(x1, s1)
    wv = np.array([2.0, -1.0])
    assert_same(value, float(np.sum(np.sin(x1 * s1) * wv)))
    assert_same(gx, np.cos(x1 * s1) * s1 * wv)
    assert isinstance(gs, float)
    assert_same(gs, float(np.sum(np.cos(x1 * s1) * x1 * wv)))
    jv = prog.jvp([x1, s1], [np.array([1.0, 0.0]), 0.5])
    assert_same(jv, float(np.sum(np.cos(x1 * s1) * (np.array([1.0, 0.0]) * s1 + x1 * 0.5) * wv)))


def test_jvp_and_jacobian_with_an_input_first_used_after_the_output() -> None:
    # The program keeps the records up to its last output; an input whose leaf was recorded
    # after that (w, first used after y) has no record in it, and y does not depend on it.
    x, w = tp.Var(np.array([1.0, 2.0])), tp.Var(np.array([3.0, 4.0, 5.0]))
    with tp.Tape(persistent=True) as t:
        y = x * x
        _ = tp.sum(y) * w
    prog = t.compile(inputs=[x, w], outputs=[y])
    x1, w1 = np.array([0.5, -1.0]), np.array([1.0, 1.0, 1.0])
    assert_same(prog(x1, w1), x1 * x1)
    assert_same(prog.jvp([x1, w1], [np.ones(2), np.ones(3)]), 2.0 * x1)
    assert_same(prog.jacobian(x1, w1), np.diag(2.0 * x1))
    by_w = t.compile(inputs=[w, x], outputs=[y])  # ∂y/∂w: zeros, by either kind of sweep
    assert_same(by_w.jacobian(w1, x1), np.zeros((2, 3)))
    with tp.Tape(persistent=True) as t2:
        s = tp.sum(x * x)
        _ = s * w
    by_w2 = t2.compile(inputs=[w, x], outputs=[s])
    assert_same(by_w2.jacobian(w1, x1), np.zeros(3))
    assert_same(by_w2.jvp([w1, x1], [np.ones(3), np.ones(2)]), float(np.sum(2.0 * x1)))


# ----- the nn example: the moons MLP step --------------------------------------------------------


def test_moons_mlp_step_replayed_with_new_parameters_equals_a_fresh_recording() -> None:
    X, y = moons.make_moons(100, noise=0.1, rng=np.random.default_rng(0))
    model = nn.MLP(2, [16, 16, 1], rng=np.random.default_rng(0))
    params = model.parameters()
    assert sum(p.size for p in params) == 337

    def loss() -> tp.Var:
        return nn.hinge(model(X).reshape(-1), y) + 1e-4 * nn.l2(params)

    with tp.Tape(persistent=True) as t:
        recorded = loss()
    prog = t.compile(inputs=params, outputs=[recorded])
    assert not entries(t, "guard")
    recorded_value = recorded.value

    opt = optim.SGD(params, lr=0.5)
    for step in range(6):
        # a fresh recording at the current parameters (and an SGD step from its gradients)
        with tp.Tape() as fresh:
            ref = loss()
        ref_grads = fresh.gradient(ref, params)
        value, grads = prog.value_and_grad(*(p.value for p in params))
        assert_same(value, ref.value, f"loss at step {step}")
        assert_same(list(grads), ref_grads, f"gradients at step {step}")
        for g, p in zip(grads, params, strict=True):
            assert np.shape(g) == p.shape
        opt.step(ref_grads)
    # the parameters moved: replay really computed at new values
    assert abs(float(value) - float(recorded_value)) > 1e-3
    # and the hinge's relu changed which samples are active (selections replay, no guard)
    assert float(prog(*(p.value for p in params))) < float(recorded_value)


# ----- guards: every kind raises on a branch change, and only then -------------------------------


def _guard_message_names(t: tp.Tape, message: str, guard_index: int, made_by: str) -> None:
    """The message names the guard's record and the record (and operation) it guards."""
    guards = entries(t, "guard")
    slot = guards[guard_index]
    entry = list(t)[slot]
    assert entry.primitive == "guard"
    assert f"guard at record {slot}:" in message, message
    source = entry.inputs[0]
    assert list(t)[source].primitive == made_by
    assert f"of record {source} ({made_by})" in message, message
    assert "Record again" in message


COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "greater": lambda a, b: a > b,
    "greater_equal": lambda a, b: a >= b,
    "equal": lambda a, b: a == b,
    "less": lambda a, b: a < b,
    "less_equal": lambda a, b: a <= b,
    "not_equal": lambda a, b: a != b,
}


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_bool_guard_in_an_if_raises_only_on_a_branch_change(name: str) -> None:
    cmp = COMPARISONS[name]

    def f(x: tp.Var, w: tp.Var) -> tp.Var:
        if cmp(tp.sum(x), tp.sum(w)):  # a comparison of two recorded values, as `if` sees it
            return tp.sum(tp.sin(x) * w)
        return tp.sum(x * x) + tp.sum(w)

    x0, w0 = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.5, 0.5])
    t, prog, _ = record(f, x0, w0)
    taken = bool(cmp(x0.sum(), w0.sum()))
    # inputs on the same side of the `if`: replay equals a fresh recording
    for x1 in (np.array([0.2, -0.5, 3.3]), np.array([2.0, 2.0, -1.0])):
        assert bool(cmp(x1.sum(), w0.sum())) == taken
        value, grads = prog.value_and_grad(x1, w0)
        ref_value, ref_grads = fresh_value_and_grad(f, x1, w0)
        assert_same(value, ref_value)
        assert_same(list(grads), ref_grads)
    # the other side: TapeInvalidated, from every way of running the program
    candidates = (np.array([-1.0, -2.0, 0.5]), np.array([0.5, 0.5, 0.5]))  # sums -2.5, 1.5
    x2 = next(c for c in candidates if bool(cmp(c.sum(), w0.sum())) != taken)
    runs: list[Callable[[], object]] = [
        lambda: prog(x2, w0),
        lambda: prog.value_and_grad(x2, w0),
        lambda: prog.jvp([x2, w0], [np.ones(3), np.zeros(3)]),
        lambda: prog.hvp([x2, w0], [np.ones(3), np.zeros(3)]),
        lambda: prog.jacobian(x2, w0),
    ]
    for run in runs:
        with pytest.raises(tp.TapeInvalidated) as info:
            run()
        _guard_message_names(t, str(info.value), 0, name)
        assert "bool()" in str(info.value)


def test_bool_guard_on_python_and_or() -> None:
    def f(x: tp.Var) -> tp.Var:
        if (tp.sum(x) > 0) and (tp.max(x) < 5.0):  # two guards, the second only if reached
            return tp.sum(tp.exp(x))
        return tp.sum(x)

    t, prog, _ = record(f, np.array([1.0, 2.0]))
    assert len(entries(t, "guard")) == 2
    assert_same(prog.value_and_grad(np.array([3.0, 1.0]))[1][0], np.exp([3.0, 1.0]))
    with pytest.raises(tp.TapeInvalidated) as info:
        prog(np.array([-1.0, -2.0]))
    _guard_message_names(t, str(info.value), 0, "greater")
    with pytest.raises(tp.TapeInvalidated) as info:
        prog(np.array([1.0, 7.0]))
    _guard_message_names(t, str(info.value), 1, "less")


def test_float_guard_used_in_python_arithmetic() -> None:
    def f(x: tp.Var, w: tp.Var) -> tp.Var:
        k = float(tp.mean(w))  # leaves the tape: a Python number from here on
        scale = 1.0 / (1.0 + k * k)
        return tp.sum(tp.sin(x)) * scale + tp.sum(w * w)

    x0, w0 = np.array([0.3, -0.7, 1.1]), np.array([1.0, 2.0])
    t, prog, _ = record(f, x0, w0)
    # new x, same w: the float comes out the same, replay is valid (and k is a constant)
    x1 = np.array([2.0, 0.1, -1.0])
    value, (gx, gw) = prog.value_and_grad(x1, w0)
    ref_value, (ref_gx, ref_gw) = fresh_value_and_grad(f, x1, w0)
    assert_same([value, gx, gw], [ref_value, ref_gx, ref_gw])
    assert_same(gw, 2.0 * w0)  # no derivative through float(): it is a constant to the tape
    # a different w whose mean is unchanged is fine too
    assert_same(prog(x1, np.array([0.5, 2.5])), f(tp.Var(x1), tp.Var(np.array([0.5, 2.5]))).value)
    # any change of the float is a different program
    with pytest.raises(tp.TapeInvalidated) as info:
        prog.value_and_grad(x1, np.array([1.0, 2.5]))
    _guard_message_names(t, str(info.value), 0, "mean")
    assert "float()" in str(info.value) and "1.5" in str(info.value)


def test_int_guard_sets_a_loop_count() -> None:
    def f(x: tp.Var) -> tp.Var:
        h = x
        for _ in range(int(tp.sum(x))):  # int() truncates: 2.5 -> 2 iterations
            h = tp.sin(h) + x
        return tp.sum(h)

    x0 = np.array([1.0, 1.5])
    t, prog, _ = record(f, x0)
    assert len(entries(t, "sin")) == 2
    for x1 in (np.array([1.2, 1.7]), np.array([0.0, 2.01]), np.array([-1.0, 3.99])):
        assert int(x1.sum()) == 2
        value, (g,) = prog.value_and_grad(x1)
        ref_value, (ref_g,) = fresh_value_and_grad(f, x1)
        assert_same([value, g], [ref_value, ref_g])
    for x2 in (np.array([1.5, 1.6]), np.array([0.5, 0.4])):
        with pytest.raises(tp.TapeInvalidated) as info:
            prog(x2)
        _guard_message_names(t, str(info.value), 0, "sum")
        assert "int()" in str(info.value)


def test_item_guard() -> None:
    def f(x: tp.Var) -> tp.Var:
        top = tp.max(x).item()  # a Python float
        return tp.sum(x * x) / top

    x0 = np.array([1.0, 3.0, 2.0])
    t, prog, _ = record(f, x0)
    # the maximum is unchanged (3.0): valid
    x1 = np.array([0.5, 3.0, -2.0])
    value, (g,) = prog.value_and_grad(x1)
    assert_same([value, g], [float(np.sum(x1 * x1)) / 3.0, 2.0 * x1 / 3.0])
    with pytest.raises(tp.TapeInvalidated) as info:
        prog(np.array([1.0, 4.0, 2.0]))
    _guard_message_names(t, str(info.value), 0, "max")
    assert "float()" in str(info.value)


def test_mask_index_guard() -> None:
    def f(x: tp.Var) -> tp.Var:
        pos = x[x > 0]  # a boolean mask as an index: the output's shape depends on it
        return tp.sum(tp.exp(pos)) * pos.shape[0]

    x0 = np.array([1.0, -2.0, 3.0, -0.5])
    t, prog, _ = record(f, x0)
    x1 = np.array([0.1, -0.2, 2.0, -3.0])  # the same elements are selected
    value, (g,) = prog.value_and_grad(x1)
    sel = x1 > 0
    assert_same(value, 2.0 * float(np.sum(np.exp(x1[sel]))))
    assert_same(g, np.where(sel, 2.0 * np.exp(x1), 0.0))
    assert_same(prog.jacobian(x1), np.where(sel, 2.0 * np.exp(x1), 0.0))  # scalar output
    for x2 in (np.array([1.0, 2.0, 3.0, -0.5]), np.array([-1.0, -2.0, 3.0, -0.5])):
        with pytest.raises(tp.TapeInvalidated) as info:
            prog.value_and_grad(x2)
        _guard_message_names(t, str(info.value), 0, "greater")
        assert "index()" in str(info.value)


def test_comparison_as_truth_value_in_a_while_loop() -> None:
    def f(x: tp.Var) -> tp.Var:
        h = x
        while tp.sum(h * h) > 1.0:  # one guard per test of the condition
            h = h * 0.5
        return tp.sum(tp.sin(h))

    x0 = np.array([1.0, 1.5])  # |x|² = 3.25 -> 0.8125: one halving, two guards
    t, prog, _ = record(f, x0)
    assert len(entries(t, "guard")) == 2
    x1 = np.array([1.2, -1.0])  # 2.44 -> 0.61: also one halving
    value, (g,) = prog.value_and_grad(x1)
    assert_same([value, g], [float(np.sum(np.sin(x1 / 2))), 0.5 * np.cos(x1 / 2)])
    with pytest.raises(tp.TapeInvalidated) as info:
        prog(np.array([0.5, 0.5]))  # no halving: the first test comes out False
    _guard_message_names(t, str(info.value), 0, "greater")
    with pytest.raises(tp.TapeInvalidated) as info:
        prog(np.array([3.0, 3.0]))  # two halvings: the second test comes out True
    _guard_message_names(t, str(info.value), 1, "greater")


# ----- selections stay on the tape: no guard, correct on the other side of the kink -------------

SELECTIONS: dict[str, Callable[[Any], Any]] = {
    "where": lambda x: tp.sum(tp.where(x > 0.2, tp.sin(x), x * x)),
    "where-and": lambda x: tp.sum(tp.where((x > -1.0) & (x < 1.0), tp.exp(x), 2.0 * x)),
    "maximum": lambda x: tp.sum(tp.maximum(x, 0.3) * x),
    "minimum": lambda x: tp.sum(tp.minimum(tp.sin(x), 0.25)),
    "relu": lambda x: tp.sum(tp.relu(x) * tp.relu(x - 0.5)),
    "abs": lambda x: tp.sum(tp.abs(x) * x),
    "clip": lambda x: tp.sum(tp.clip(x, -0.5, 0.5) * x),
    "max": lambda x: tp.max(x * x),
    "max-axis": lambda x: tp.sum(tp.max(x.reshape(2, 2), axis=0)),
    "min": lambda x: tp.min(tp.sin(x)),
}


@pytest.mark.parametrize("name", sorted(SELECTIONS))
def test_selection_replays_correctly_across_its_kink(name: str) -> None:
    f = SELECTIONS[name]
    x0 = np.array([0.9, -0.6, 0.4, -1.3])
    t, prog, _ = record(f, x0)
    assert not entries(t, "guard"), "a selection must not need a guard"
    ref0 = fresh_value_and_grad(f, x0)[1][0]
    changed = False
    for x1 in (-x0, x0[::-1].copy(), np.array([0.1, 1.2, -0.2, 0.45]), 3.0 * x0):
        value, (g,) = prog.value_and_grad(x1)
        ref_value, (ref_g,) = fresh_value_and_grad(f, x1)
        assert_same([value, g], [ref_value, ref_g], name)
        assert_same(prog.hvp(x1, np.ones(4)), tp.hvp(f, x1, np.ones(4)), name)
        changed = changed or not np.allclose(g, ref0)
    assert changed  # the kink was crossed: the recorded branch's gradient would be wrong


# ----- the non-differentiable rows: comparisons and the guard ------------------------------------

ROW_CASES: dict[str, Callable[[Any], Any]] = {
    "less": lambda x: x < 0.2,
    "less_equal": lambda x: x <= 0.5,
    "greater": lambda x: x > 0.2,
    "greater_equal": lambda x: x >= 0.5,
    "equal": lambda x: x == 0.5,
    "not_equal": lambda x: x != 0.5,
    "logical_and": lambda x: (x > -1.0) & (x < 0.5),
    "logical_or": lambda x: (x < -1.0) | (x >= 0.5),
    "logical_not": lambda x: ~(x > 0.0),
    "isnan": lambda x: tp.isnan(tp.where(x < 0.2, np.nan, x)),
    "isinf": lambda x: tp.isinf(tp.where(x > 0.5, np.inf, x)),
    "isfinite": lambda x: tp.isfinite(tp.where(x < 0.2, -np.inf, x)),
}
"""Each comparison row, and a mask that records it (used by ``where`` below)."""

GUARD_CASES: dict[str, Callable[[Any], Any]] = {
    "bool": lambda x: bool(tp.sum(x) > 0),
    "float": lambda x: float(tp.sum(x)),
    "int": lambda x: int(tp.sum(x)),
    "index": lambda x: x[x > 0],
}
"""Each guard kind and a computation that records it (tested in the guard section above)."""

COVERAGE: dict[str, Callable[[Any], Any]] = {
    **ROW_CASES,
    "guard": lambda x: [case(x) for case in GUARD_CASES.values()],
    "sort_order": lambda x: tp.sort(x),
    "partition_order": lambda x: tp.partition(x, 1),
    "slogdet_sign": lambda x: tp.linalg.slogdet(tp.reshape(x, (2, 2))),
    "held": lambda x: tp.grad(lambda z: tp.sum(tp.relu(z) * z))(x),  # relu's mask, recorded
}
"""Every row with differentiable=False, and a computation that records it."""


_U = np.array([0.3, -1.1, 0.8, 0.5, -0.4, 1.7])
_X0 = np.array([1.0, -2.0, 3.0, -0.5, 0.7, -1.5])

SECOND_ORDER: dict[str, tuple[Callable[[Any], Any], Any, Any]] = {
    name: (f, _X0, -1.3 * _X0 + 0.05)  # every kink crossed: signs, ties and maxima move
    for name, f in {
        "relu": lambda z: tp.sum(tp.relu(z) * z),
        "abs": lambda z: tp.sum(tp.abs(z) * z),
        "maximum": lambda z: tp.sum(tp.maximum(z, 0.1) * z),
        "minimum": lambda z: tp.sum(tp.minimum(z, 0.1) * z),
        "fmax": lambda z: tp.sum(tp.fmax(z, 0.1) * z),
        "fmin": lambda z: tp.sum(tp.fmin(z, 0.1) * z),
        "clip": lambda z: tp.sum(tp.clip(z, -0.5, 0.5) * z),
        "max": lambda z: tp.max(z) * tp.sum(z),
        "min": lambda z: tp.min(z) * tp.sum(z),
        "power": lambda z: tp.sum(tp.relu(z) ** 3.0),
        "sinc": lambda z: tp.sum(tp.sinc(z * tp.relu(z))),
        "remainder": lambda z: tp.sum(tp.remainder(3.0, z) * z),
        "fmod": lambda z: tp.sum(tp.fmod(3.0, z) * z),
        "sort": lambda z: tp.sum(tp.sort(z) * np.arange(6.0)),
    }.items()
}
SECOND_ORDER["norm at 0"] = (
    lambda z: tp.linalg.norm(tp.relu(z)) * tp.sum(z),
    np.abs(_X0),
    -np.abs(_X0),  # relu gives the zero vector: the norm's derivative there is 0
)
SECOND_ORDER["power at 0"] = (lambda z: tp.sum(tp.relu(z) ** 2.0), np.abs(_X0), _X0)
SECOND_ORDER["nan_to_num"] = (  # log of the negative entries is nan, then masked
    lambda z: tp.sum(tp.nan_to_num(tp.log(z)) * z),
    np.abs(_X0),
    _X0,
)
"""Functions with kinks, a point to record at and one to replay at, for second-order tapes."""


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_a_compiled_second_order_tape_recomputes_what_its_rules_decide(name: str) -> None:
    """A gradient taken while an outer tape records is a recorded sweep; compiled and
    replayed where every mask, tie and sign differs, it equals a fresh recording there
    (the rules' masks are records of their own, the row ``held``, not constants)."""
    f, x0, x1 = SECOND_ORDER[name]
    xv = tp.Var(x0)
    with tp.Tape(persistent=True) as outer:
        g: Any = tp.grad(f)(xv)  # (a Var: the sweep recorded by the outer tape)
        s = tp.sum(g * _U)
    prog = outer.compile(inputs=[xv], outputs=[s])

    def fresh(z: Any) -> Any:
        return tp.sum(tp.grad(f)(z) * _U)

    with np.errstate(invalid="ignore"):  # (nan_to_num's case takes logs of negatives)
        want = fresh_value_and_grad(fresh, x1)
        for path in ("compiled", "interpreted", "generic"):
            value, grads = prog.using(path).value_and_grad(x1)
            assert_same(value, want[0], f"{path}: ⟨∇f, u⟩")
            assert_same(list(grads), want[1], f"{path}: H u")


@pytest.mark.parametrize("name", ["prod", "det"])
def test_a_second_order_branch_on_values_is_a_guard(name: str) -> None:
    """Rules that take another formula where a value is zero (prod's, det's at a singular
    matrix) keep the branch as a guard: a replay where it changes raises, not a stale
    formula."""
    f = {
        "prod": lambda z: tp.prod(tp.relu(z)),
        "det": lambda z: tp.linalg.det(tp.reshape(tp.relu(z)[:4], (2, 2))) * tp.sum(z),
    }[name]
    xv = tp.Var(np.abs(_X0))
    with tp.Tape(persistent=True) as outer:
        g: Any = tp.grad(f)(xv)  # (a Var: the sweep recorded by the outer tape)
        s = tp.sum(g * _U)
    prog = outer.compile(inputs=[xv], outputs=[s])
    x1 = np.abs(_X0) * np.array([-1.0, -1.0, 1.0, 1.0, 1.0, 1.0])  # a zero row after relu
    with pytest.raises(
        tp.TapeInvalidated, match=r"guard at record \d+: bool\(\) of record \d+ \(held\)"
    ):
        prog.value_and_grad(x1)
    assert_same(
        prog.value_and_grad(np.abs(_X0) + 0.1)[0],
        fresh_value_and_grad(lambda z: tp.sum(tp.grad(f)(z) * _U), np.abs(_X0) + 0.1)[0],
    )


def test_every_non_differentiable_row_has_a_case() -> None:
    rows = {name for name, row in tp.PRIMITIVES.items() if not row.differentiable}
    assert rows == set(COVERAGE), f"rows without a case here: {sorted(rows - set(COVERAGE))}"
    for name, case in COVERAGE.items():
        x = tp.Var(np.array([0.5, -1.5, 2.0, 0.1]))
        with tp.Tape() as t:
            case(x)
        assert entries(t, name), f"{name}: the case did not record the row"
        for e in t:
            if e.primitive in ROW_CASES:  # booleans: an array, or a bool for scalars
                v = e.value
                assert type(v) is bool or (isinstance(v, np.ndarray) and v.dtype == np.bool_)
    x = tp.Var(np.array([0.5, -1.5, 2.0, 0.1]))
    with tp.Tape() as t:
        COVERAGE["guard"](x)
    kinds = sorted(e.params["kind"] for e in t if e.primitive == "guard")
    assert kinds == sorted(GUARD_CASES)


def test_plain_mask_on_the_left_of_and_or_a_recorded_mask() -> None:
    # `recorded & plain` records logical_and; the operands the other way round must too
    # (a mask computed from data, or from a constant under tp.grad(f, argnums=k)).
    x = tp.Var(np.array([1.0, -1.0, 2.0]))
    plain = np.array([True, True, False])
    with tp.Tape(persistent=True) as t:
        m = x > 0
        both = plain & m
        either = plain | m
        y = tp.sum(tp.where(both, x, 0.0)) + tp.sum(tp.where(either, tp.sin(x), 0.0))
    assert entries(t, "logical_and") and entries(t, "logical_or")
    prog = t.compile(inputs=[x], outputs=[y])
    x1 = np.array([-1.0, 2.0, 3.0])
    value, (g,) = prog.value_and_grad(x1)
    # both = [F, T, F], either = [T, T, T] at x1
    assert_same(value, 2.0 + float(np.sum(np.sin(x1))))
    assert_same(g, [np.cos(-1.0), 1.0 + np.cos(2.0), np.cos(3.0)])


@pytest.mark.parametrize("name", sorted(ROW_CASES))
def test_comparison_row_is_recomputed_by_replay(name: str) -> None:
    mask_of = ROW_CASES[name]

    def f(x: tp.Var) -> tp.Var:
        return tp.sum(tp.where(mask_of(x), tp.sin(x), x * x))

    x0 = np.array([0.5, -1.5, 2.0, 0.1, -0.7])
    t, prog, _ = record(f, x0)
    assert entries(t, name) and not entries(t, "guard")
    masks = set()
    for x1 in (x0, -x0, np.array([0.5, 0.5, -2.0, 1.0, 0.2]), np.linspace(-2.0, 2.0, 5)):
        masks.add(tuple(mask_of(x1)))
        value, (g,) = prog.value_and_grad(x1)
        ref_value, (ref_g,) = fresh_value_and_grad(f, x1)
        assert_same([value, g], [ref_value, ref_g], name)
        m = mask_of(x1)
        assert_same(g, np.where(m, np.cos(x1), 2.0 * x1), name)
        assert_same(prog.jvp(x1, np.ones(5)), float(np.sum(np.where(m, np.cos(x1), 2.0 * x1))))
    assert len(masks) > 1  # the mask changed between the points


# ----- NaN/Inf origin -----------------------------------------------------------------------------


def test_check_finite_names_the_record_where_a_nan_appears() -> None:
    x = tp.Var(2.0)
    with (
        np.errstate(all="ignore"),
        pytest.raises(FloatingPointError) as info,
        tp.Tape(check_finite=True) as t,
    ):
        h = x  # record 0
        for _ in range(10):
            h = tp.sin(h) + 1.0  # records 1..20
        h = tp.log(h - h)  # record 21: 0; record 22: log 0 = -inf
        for _ in range(10):
            h = h * 2.0 + 1.0  # never reached
    message = str(info.value)
    # the tape stopped at the log: everything before it was recorded, the log was not
    assert len(t) == 22
    assert list(t)[21].primitive == "subtract"
    assert "record 22 (log; v₂₂ in print(t))" in message, message
    assert "non-finite value -inf" in message and "from inputs 0" in message, message


def test_check_finite_on_arrays_reports_how_many_elements() -> None:
    x = tp.Var(np.linspace(0.5, 3.0, 6))
    with (
        np.errstate(all="ignore"),
        pytest.raises(FloatingPointError) as info,
        tp.Tape(check_finite=True) as t,
    ):
        h = x
        for _ in range(20):
            h = h * 1.0 + 0.0
        h = tp.log(tp.square(h - x[2]))  # one element is log 0
        for _ in range(20):
            h = tp.exp(h)
    message = str(info.value)
    assert f"record {len(t)} (log;" in message, message
    assert "1 non-finite" in message, message


def test_check_finite_names_the_record_of_a_non_finite_adjoint() -> None:
    def chain(x: tp.Var) -> tp.Var:
        h = x * 3.0
        for _ in range(20):
            h = h + 1.0
        z = tp.sqrt(h - h)  # sqrt(0) = 0 at every x, but sqrt'(0) = inf
        for _ in range(10):
            z = tp.sin(z) * 2.0  # finite cotangents: 2**10 at the sqrt
        return z

    # without the check the gradient is silently nan
    with np.errstate(all="ignore"):
        x = tp.Var(1.0)
        with tp.Tape() as t:
            y = chain(x)
        assert math.isnan(t.gradient(y, x))
    # with it, the sweep stops at the sqrt record
    x = tp.Var(1.0)
    with np.errstate(all="ignore"):
        with tp.Tape(check_finite=True, persistent=True) as t:
            y = chain(x)  # every value is finite: no error while recording
        with pytest.raises(FloatingPointError) as info:
            t.gradient(y, x)
    (sqrt_slot,) = entries(t, "sqrt")
    message = str(info.value)
    want = f"non-finite adjoint at record {sqrt_slot} (sqrt; v₂₃ in print(t)), input 1"
    assert want in message, message
    assert "inputs were 0" in message, message


def test_check_finite_is_silent_on_finite_computations() -> None:
    x = tp.Var(np.array([0.5, 1.0, 2.0]))
    with tp.Tape(check_finite=True) as t:
        y = tp.sum(tp.log(x) * tp.sqrt(x))
    g = t.gradient(y, x)
    assert_same(g, (1.0 / x.value) * np.sqrt(x.value) + np.log(x.value) * 0.5 / np.sqrt(x.value))


# ----- the safe-where pattern --------------------------------------------------------------------


def naive_where(x: Any) -> Any:
    return tp.sum(tp.where(x > 0, tp.sqrt(x), 0.0))


def safe_where(x: Any) -> Any:
    return tp.sum(tp.where(x > 0, tp.sqrt(tp.where(x > 0, x, 1.0)), 0.0))


def test_naive_where_has_a_nan_gradient_at_zero() -> None:
    # THE TRAP: where() sends a zero cotangent to the unselected branch, but that branch's
    # own derivative is still evaluated there: sqrt'(0) = inf, and 0 · inf = nan (for x < 0,
    # sqrt(x) is nan and so is 0 · sqrt'(x)). Every framework behaves like this.
    x = np.array([0.0, 4.0, -1.0, 0.25])
    with np.errstate(all="ignore"):
        value, (g,) = fresh_value_and_grad(naive_where, x)
    assert_same(value, 2.5)  # the value is right
    assert math.isnan(g[0]) and math.isnan(g[2])  # the gradient is not
    assert_same(g[[1, 3]], [0.25, 1.0])
    with np.errstate(all="ignore"):  # Tape(check_finite=True) points at the sqrt record
        xv = tp.Var(np.array([0.0, 4.0]))
        with tp.Tape(check_finite=True) as t:
            y = naive_where(xv)
        with pytest.raises(FloatingPointError, match=r"record \d+ \(sqrt;"):
            t.gradient(y, xv)


def test_safe_where_has_a_finite_gradient_at_zero_and_is_right_elsewhere() -> None:
    x = np.array([0.0, 4.0, -1.0, 0.25])
    value, (g,) = fresh_value_and_grad(safe_where, x)
    assert_same(value, 2.5)
    assert_same(g, [0.0, 0.25, 0.0, 1.0])  # 1/(2√x) for x > 0, 0 elsewhere
    # scalar x = 0 exactly
    value0, (g0,) = fresh_value_and_grad(safe_where, 0.0)
    assert value0 == 0.0 and g0 == 0.0
    # and replayed at new points (the masks are recomputed), against the closed forms
    t, prog, _ = record(safe_where, x)
    assert not entries(t, "guard")
    for x1 in (np.array([1.0, 0.0, 9.0, -3.0]), np.array([0.0, 0.0, 0.0, 0.0]), x[::-1].copy()):
        value, (g,) = prog.value_and_grad(x1)
        pos = x1 > 0
        root = np.sqrt(np.where(pos, x1, 1.0))
        assert_same(value, float(np.sum(np.where(pos, root, 0.0))))
        assert_same(g, np.where(pos, 0.5 / root, 0.0))
        assert np.all(np.isfinite(prog.hvp(x1, np.ones(4))))


# ----- nbytes and to_dot -------------------------------------------------------------------------


def test_nbytes_counts_each_saved_array_once() -> None:
    x = tp.Var(np.arange(4.0))  # 4 float64: 32 bytes
    c = np.full(4, 2.0)  # a constant operand, saved: 32 bytes
    with tp.Tape() as t:
        a = x * c  # 32 (x and c already counted)
        b = tp.sin(a)  # 32
        m = a > 1.0  # 4 booleans: 4 bytes
        w = tp.where(m, b, 0.0)  # 32
        s = tp.sum(w)  # a Python float: 0
        _ = s * s + tp.sum(x * c)  # floats, and one more array (32); x and c again: 0
    assert t.nbytes == 32 + 32 + 32 + 32 + 4 + 32 + 32
    x32 = tp.Var(np.ones(5, dtype=np.float32))  # float32 stays float32: 20 bytes
    with tp.Tape() as t32:
        _ = x32 * x32  # 20
    assert t32.nbytes == 40
    with tp.Tape() as ts:
        _ = tp.Var(2.0) * 3.0
    assert ts.nbytes == 0  # scalars are Python floats: no arrays held


def test_to_dot_has_one_node_per_record_and_one_edge_per_input_slot() -> None:
    x, w = tp.Var(np.array([1.0, -2.0])), tp.Var(0.5)
    with tp.Tape() as t:
        y = tp.sum(tp.where(x > 0, x * x, tp.sin(x) * w))
        if y > -10.0:  # a guard record too
            y = y + w
    dot = t.to_dot()
    assert dot.startswith("digraph")
    assert dot.rstrip().endswith("}")
    # one node statement per record, in the tape's order
    nodes = re.findall(r"^\s*(\w+) \[label=", dot, flags=re.MULTILINE)
    assert len(nodes) == len(t) == 11 and len(set(nodes)) == len(nodes)
    slot_of = {node: k for k, node in enumerate(nodes)}
    # one edge per input slot (x * x: two edges from x), none for constants
    edges = re.findall(r"^\s*(\w+) -> (\w+);$", dot, flags=re.MULTILINE)
    want = [(s, e.slot) for e in t for s in e.inputs if s >= 0]
    assert sorted((slot_of[a], slot_of[b]) for a, b in edges) == sorted(want)
    assert dot.count("->") == len(want) == 14
    assert "guard" in dot and "style=dashed" in dot  # rows without derivatives are dashed


# ----- errors -------------------------------------------------------------------------------------


def test_compile_errors() -> None:
    x = tp.Var(np.array([1.0, 2.0, 3.0]))
    with tp.Tape() as t:
        y = tp.sum(x * x)
    t.gradient(y, x)  # a non-persistent tape is freed by its gradient
    with pytest.raises(RuntimeError, match="freed"):
        t.compile(inputs=[x], outputs=[y])

    with tp.Tape(persistent=True) as t:
        h = x * 2.0
        y = tp.sum(h)
    with pytest.raises(ValueError, match="output 0 was not recorded"):
        t.compile(inputs=[x], outputs=[tp.Var(1.0)])
    with pytest.raises(ValueError, match="output 1 was not recorded"):
        t.compile(inputs=[x], outputs=[y, 3.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="input 0 is not an input"):
        t.compile(inputs=[h], outputs=[y])  # an intermediate, not a leaf

    with tp.Tape(), tp.Tape(persistent=True) as inner:  # nested levels
        y2 = tp.sum(x * x)
    with pytest.raises(ValueError, match="nested"):
        inner.compile(inputs=[x], outputs=[y2])


def test_replay_errors_name_counts_and_shapes() -> None:
    x, s = tp.Var(np.array([1.0, 2.0, 3.0])), tp.Var(2.0)
    with tp.Tape(persistent=True) as t:
        y = tp.sum(x * s)
        v = x * s
    prog = t.compile(inputs=[x, s], outputs=[y])
    with pytest.raises(TypeError, match="takes 2 inputs, got 1"):
        prog(np.ones(3))
    with pytest.raises(TypeError, match="takes 2 inputs, got 3"):
        prog.value_and_grad(np.ones(3), 1.0, 1.0)
    with pytest.raises(ValueError, match=r"input 0 has shape \(4,\); .* recorded with \(3,\)"):
        prog(np.ones(4), 1.0)
    with pytest.raises(ValueError, match=r"input 1 has shape \(3,\); .* recorded with \(\)"):
        prog.value_and_grad(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"input 0 has shape \(3, 1\)"):
        prog.jvp([np.ones((3, 1)), 1.0], [np.ones((3, 1)), 1.0])
    with pytest.raises(TypeError, match="pass a list"):
        prog.jvp(np.ones(3), np.ones(3))
    with pytest.raises(TypeError, match="takes 2 tangents, got 1"):
        prog.jvp([np.ones(3), 1.0], [np.ones(3)])
    vec = t.compile(inputs=[x, s], outputs=[v])
    with pytest.raises(ValueError, match=r"scalar output; it has shape \(3,\)"):
        vec.value_and_grad(np.ones(3), 1.0)
    # the right call still works after the errors
    assert_same(vec(np.ones(3), 4.0), np.full(3, 4.0))
    assert_same(vec.jacobian(np.ones(3), 4.0), 4.0 * np.eye(3))


# ----- examples/replay.py ------------------------------------------------------------------------


def test_replay_example_runs_and_its_two_paths_agree(capsys: pytest.CaptureFixture[str]) -> None:
    timings = replay_example.main(["--points", "30", "--scalar-points", "3", "--ops", "2000"])
    out = capsys.readouterr().out
    assert [t.points for t in timings] == [30, 3]
    for timing in timings:
        assert timing.max_diff <= 1e-12, timing
        assert timing.replay_s > 0.0 and timing.retrace_s > 0.0
        assert math.isfinite(timing.speedup) and timing.speedup > 0.0
    loss = replay_example.moons_problem()[2]
    with tp.Tape() as t:
        loss()
    assert timings[0].records == len(t)  # the whole moons step is replayed
    assert timings[1].records == 2001  # 2,000 ops and the input
    assert "moons MLP step" in out and "scalar chain (2,000 ops)" in out
    assert "TapeInvalidated: guard at record" in out and "(greater)" in out
    assert "speedup" in out


def test_replay_example_pieces() -> None:
    same, message = replay_example.guard_demo()
    assert_same(same, float(np.sum(np.sin([0.5, -0.2, 1.0]))))
    assert "bool() of record 2 (greater)" in message
    # the moons workload trains by replay: the loss falls
    timing, note = replay_example.moons_workload(points=20, lr=0.3)
    assert timing.max_diff <= 1e-12 and "20 SGD steps" in note
    first, last = (float(v) for v in re.findall(r"loss (\S+) -> (\S+),", note)[0])
    assert last < first
    # the Euler chain's value and derivative against a float computation
    timing = replay_example.scalar_workload(points=2, n_ops=400)
    assert timing.records == 401 and timing.max_diff <= 1e-12
    h0 = tp.Var(0.3)
    with tp.Tape(persistent=True) as t:
        out = replay_example.euler(h0, 400)
    prog = t.compile(inputs=[h0], outputs=[out])
    h, dh = -1.3, 1.0
    for k in range(100):
        c = 1.0 + 0.1 * (k % 7)
        h, dh = h + 0.01 * math.sin(c * h), dh * (1.0 + 0.01 * c * math.cos(c * h))
    value, (g,) = prog.value_and_grad(-1.3)
    assert_same([value, g], [h, dh])


# ----- the compiled form: the tape as straight-line Python ------------------------------------


def test_source_is_the_wengert_list_as_straight_line_code() -> None:
    x1, x2 = tp.Var(2.0), tp.Var(5.0)
    with tp.Tape(persistent=True) as t:
        y = tp.log(x1) + x1 * x2 - tp.sin(x2)
    prog = t.compile(inputs=[x1, x2], outputs=[y])
    src = prog.source()
    assert src.startswith("def value_and_grad(x0, x1):")
    forward = [ln for ln in src.splitlines() if ln.strip().startswith("v")]
    assert len(forward) == len(t)  # one line per record
    backward = [ln for ln in src.splitlines() if ln.strip().startswith("a")]
    assert len(backward) == 1 + 8  # the seed, then one line per input of each record
    value, (g1, g2) = prog.value_and_grad(3.0, 0.5)
    assert value == pytest.approx(math.log(3.0) + 1.5 - math.sin(0.5), rel=1e-15)
    assert g1 == pytest.approx(1 / 3.0 + 0.5, rel=1e-15)
    assert g2 == pytest.approx(3.0 - math.cos(0.5), rel=1e-15)


@pytest.mark.parametrize("exponent", [2.0, 0.5, 0.0, -1.0])
def test_a_constant_exponent_is_decided_in_the_source(exponent: float) -> None:
    # power's edge cases (exponent 0, base 0) are tests on the exponent; a constant one is
    # decided when the program is built, so its line reads as d/dx x**c = c * x**(c - 1)
    x = tp.Var(np.array([0.5, 2.0, 1.5]))
    with tp.Tape(persistent=True) as t:
        y = tp.sum(x**exponent)
    prog = t.compile(inputs=[x], outputs=[y])
    src = prog.source()
    assert " if " not in src and "np.where" not in src
    expected = "np.zeros_like(v0)" if exponent == 0.0 else f"np.power(v0, {exponent - 1.0!r})"
    assert expected in src.replace(f"({exponent - 1.0!r})", f"{exponent - 1.0!r}")
    at = np.array([0.0, 3.0, 0.25]) if exponent >= 0.0 else np.array([4.0, 3.0, 0.25])
    with np.errstate(divide="ignore"):  # (x ** 0.5 at 0: an infinite derivative, in both)
        with tp.Tape() as fresh:
            xv = tp.Var(at)
            yv = tp.sum(xv**exponent)
        value, (g,) = prog.value_and_grad(at)
        expected_g = fresh.gradient(yv, xv)
    assert value == pytest.approx(yv.item(), rel=1e-15)
    np.testing.assert_allclose(g, expected_g, rtol=1e-15)


def test_compiled_and_interpreted_replay_agree_on_arrays_and_broadcasting() -> None:
    rng = np.random.default_rng(7)
    w0, b0 = rng.standard_normal((4, 3)), rng.standard_normal(3)
    w, b = tp.Var(w0), tp.Var(b0)
    data = rng.standard_normal((5, 4))
    with tp.Tape(persistent=True) as t:
        h = tp.tanh(data @ w + b)
        loss = tp.mean(tp.logsumexp(h, axis=1)) + tp.maximum(h, 0.1).sum() * 0.5
    prog = t.compile(inputs=[w, b], outputs=[loss])
    for _ in range(3):
        w1, b1 = rng.standard_normal((4, 3)), rng.standard_normal(3)
        v_c, (gw_c, gb_c) = prog.value_and_grad(w1, b1)
        v_i, (gw_i, gb_i) = prog.value_and_grad_interpreted(w1, b1)
        assert v_c == v_i
        np.testing.assert_array_equal(gw_c, gw_i)
        np.testing.assert_array_equal(gb_c, gb_i)
        assert np.shape(gb_c) == (3,)  # the broadcast bias gradient is summed back
