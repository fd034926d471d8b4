"""The Tape API: gradient's result structure, VJPs, Jacobians, persistence, pausing, the
Wengert list as records and as text, and the basics of Var (values, dtypes, operators)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

import tape as tp
from tape import _core
from tape.testing import numerical_jacobian

SUB = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")


def vname(i: int) -> str:
    """Textbook name of slot i: v₋₁, v₀, v₁, ..."""
    return "v" + str(i).translate(SUB)


def griewank(x1: tp.Var, x2: tp.Var) -> tp.Var:
    """f(x₁, x₂) = ln(x₁) + x₁·x₂ − sin(x₂), the example of Evaluating Derivatives."""
    return tp.log(x1) + x1 * x2 - tp.sin(x2)


# ----- gradient: the structure of the result ------------------------------------------------


def test_single_float_source_gives_a_float() -> None:
    x = tp.Var(1.5)
    with tp.Tape() as t:
        y = x * x * x
    g = t.gradient(y, x)
    assert type(g) is float
    assert g == pytest.approx(3 * 1.5**2, rel=1e-14)


def test_single_array_source_gives_an_array_of_its_shape() -> None:
    x0 = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.75]])
    x = tp.Var(x0)
    with tp.Tape() as t:
        y = tp.sum(tp.sin(x) * x)
    g = t.gradient(y, x)
    assert isinstance(g, np.ndarray)
    assert g.shape == (2, 3)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, np.cos(x0) * x0 + np.sin(x0), rtol=1e-13)


def test_float32_source_gives_a_float32_gradient() -> None:
    x0 = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    x = tp.Var(x0)
    with tp.Tape() as t:
        y = tp.sum(x * x)
    g = t.gradient(y, x)
    assert isinstance(g, np.ndarray)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * x0, rtol=1e-6)


@pytest.mark.parametrize("container", [list, tuple])
def test_list_or_tuple_of_sources_gives_a_list(container: Callable[..., object]) -> None:
    x1, x2 = tp.Var(2.0), tp.Var(5.0)
    with tp.Tape() as t:
        y = griewank(x1, x2)
    sources = container([x1, x2])
    assert isinstance(sources, list | tuple)
    grads = t.gradient(y, sources)
    assert type(grads) is list
    assert len(grads) == 2
    assert grads[0] == pytest.approx(1 / 2.0 + 5.0, rel=1e-14)
    assert grads[1] == pytest.approx(2.0 - math.cos(5.0), rel=1e-14)


def test_mixed_float_and_array_sources() -> None:
    s = tp.Var(0.5)
    a0 = np.array([1.0, -2.0, 3.0])
    a = tp.Var(a0)
    with tp.Tape() as t:
        y = tp.sum(tp.exp(s * a))
    gs, ga = t.gradient(y, [s, a])
    assert type(gs) is float
    assert gs == pytest.approx(float(np.sum(a0 * np.exp(0.5 * a0))), rel=1e-13)
    assert isinstance(ga, np.ndarray)
    np.testing.assert_allclose(ga, 0.5 * np.exp(0.5 * a0), rtol=1e-13)


def test_same_source_twice_in_the_list() -> None:
    x = tp.Var(3.0)
    with tp.Tape() as t:
        y = x * x
    g1, g2 = t.gradient(y, [x, x])
    assert g1 == g2 == pytest.approx(6.0)


# ----- sources the target does not depend on -------------------------------------------------


def test_source_recorded_before_but_unused_by_target_gets_zeros() -> None:
    x, w = tp.Var(2.0), tp.Var(np.array([1.0, 2.0]))
    with tp.Tape() as t:
        unused = tp.sum(w * 3.0)
        y = x * x
    assert isinstance(unused, tp.Var)
    gx, gw = t.gradient(y, [x, w])
    assert gx == pytest.approx(4.0)
    assert isinstance(gw, np.ndarray)
    assert gw.shape == (2,)
    np.testing.assert_array_equal(gw, np.zeros(2))


def test_float_source_never_seen_by_the_tape_gets_zero() -> None:
    x, w = tp.Var(3.0), tp.Var(7.0)
    with tp.Tape() as t:
        y = x * 2.0
    gx, gw = t.gradient(y, [x, w])
    assert gx == pytest.approx(2.0)
    assert type(gw) is float
    assert gw == 0.0


def test_array_source_never_seen_by_the_tape_gets_zeros() -> None:
    x, w = tp.Var(3.0), tp.Var(np.array([1.0, 2.0, 3.0]))
    with tp.Tape() as t:
        y = x * x
    gw = t.gradient(y, w)
    assert isinstance(gw, np.ndarray)
    assert gw.shape == (3,)
    np.testing.assert_array_equal(gw, np.zeros(3))


def test_source_first_used_after_the_target_gets_zero() -> None:
    x, w = tp.Var(3.0), tp.Var(7.0)
    with tp.Tape() as t:
        y = x * 2.0
        later = w * 1.0
    assert isinstance(later, tp.Var)
    gx, gw = t.gradient(y, [x, w])
    assert gx == pytest.approx(2.0)
    assert gw == 0.0


# ----- vector-Jacobian products and Jacobians ------------------------------------------------


def vec_fn(x: tp.Var) -> tp.Var:
    return tp.sin(x) * x[::-1] + tp.sum(x * x)


def mat_fn(a: tp.Var) -> tp.Var:
    return tp.tanh(a @ a.T) * 2.0


def test_output_gradient_is_a_vjp_of_the_numerical_jacobian() -> None:
    x0 = np.array([0.3, -1.2, 2.0])
    u = np.array([1.0, -2.0, 0.5])
    x = tp.Var(x0)
    with tp.Tape() as t:
        y = vec_fn(x)
    g = t.gradient(y, x, output_gradient=u)
    jac = numerical_jacobian(vec_fn, [x0])
    np.testing.assert_allclose(g, u @ jac, rtol=1e-7, atol=1e-8)


def test_output_gradient_for_a_matrix_target() -> None:
    a0 = np.array([[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]])
    u = np.array([[1.0, 2.0], [-3.0, 0.5]])
    a = tp.Var(a0)
    with tp.Tape() as t:
        y = mat_fn(a)
    assert y.shape == (2, 2)
    g = t.gradient(y, a, output_gradient=u)
    jac = numerical_jacobian(mat_fn, [a0])  # shape (2, 2, 2, 3)
    np.testing.assert_allclose(g, np.tensordot(u, jac, axes=2), rtol=1e-7, atol=1e-8)


def test_output_gradient_on_a_scalar_target_scales_the_gradient() -> None:
    x = tp.Var(0.7)
    with tp.Tape() as t:
        y = tp.exp(x)
    g = t.gradient(y, x, output_gradient=3.0)
    assert g == pytest.approx(3.0 * math.exp(0.7), rel=1e-14)


def test_jacobian_of_vector_function() -> None:
    x0 = np.array([0.3, -1.2, 2.0])
    x = tp.Var(x0)
    with tp.Tape() as t:
        y = vec_fn(x)
    jac = t.jacobian(y, x)
    assert jac.shape == (3, 3)
    np.testing.assert_allclose(jac, numerical_jacobian(vec_fn, [x0]), rtol=1e-7, atol=1e-8)


def test_jacobian_of_matrix_function_has_target_shape_plus_source_shape() -> None:
    a0 = np.array([[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]])
    a = tp.Var(a0)
    with tp.Tape() as t:
        y = mat_fn(a)
    jac = t.jacobian(y, a)
    assert jac.shape == (2, 2, 2, 3)
    np.testing.assert_allclose(jac, numerical_jacobian(mat_fn, [a0]), rtol=1e-7, atol=1e-8)


def test_jacobian_of_scalar_source_and_of_scalar_target() -> None:
    s = tp.Var(0.4)
    c = np.array([1.0, -2.0, 3.0])
    with tp.Tape() as t:
        y = tp.sin(s * c)
    jac = t.jacobian(y, s)
    assert jac.shape == (3,)
    np.testing.assert_allclose(jac, c * np.cos(0.4 * c), rtol=1e-13)

    x0 = np.array([0.5, 1.5])
    x = tp.Var(x0)
    with tp.Tape() as t2:
        z = tp.sum(x**3.0)
    jac2 = t2.jacobian(z, x)
    assert jac2.shape == (2,)
    np.testing.assert_allclose(jac2, 3 * x0**2, rtol=1e-13)


# ----- persistence --------------------------------------------------------------------------


def test_persistent_tape_gives_identical_repeated_gradients() -> None:
    x0 = np.array([0.3, -1.2, 2.0])
    x = tp.Var(x0)
    with tp.Tape(persistent=True) as t:
        y = tp.sum(vec_fn(x) ** 2.0)
    g1 = t.gradient(y, x)
    g2 = t.gradient(y, x)
    g3 = t.gradient(y, [x])[0]
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_array_equal(g1, g3)
    num = numerical_jacobian(lambda v: tp.sum(vec_fn(v) ** 2.0), [x0])
    np.testing.assert_allclose(g1, num, rtol=1e-6)
    n = len(t)
    assert n > 0
    # a Jacobian on a persistent tape keeps the records too
    jac = t.jacobian(y, x)
    np.testing.assert_allclose(jac, g1, rtol=1e-14)
    assert len(t) == n
    np.testing.assert_array_equal(t.gradient(y, x), g1)


def test_persistent_tape_can_take_gradients_of_different_targets() -> None:
    x = tp.Var(0.9)
    with tp.Tape(persistent=True) as t:
        s = tp.sin(x)
        c = tp.cos(x)
    assert t.gradient(s, x) == pytest.approx(math.cos(0.9), rel=1e-14)
    assert t.gradient(c, x) == pytest.approx(-math.sin(0.9), rel=1e-14)


def test_non_persistent_tape_is_freed_by_its_gradient() -> None:
    x = tp.Var(2.0)
    with tp.Tape() as t:
        y = x * x
    assert len(t) == 2
    assert t.gradient(y, x) == 4.0
    assert len(t) == 0
    assert list(t) == []


# ----- stop_recording -----------------------------------------------------------------------


def test_stop_recording_treats_paused_values_as_constants() -> None:
    x = tp.Var(1.5)
    with tp.Tape() as t:
        a = x * x
        n = len(t)
        with t.stop_recording():
            b = x * 3.0  # its value is used below, but as a constant
            assert len(t) == n
            assert b._tape is None
            assert _core._STACK.get() == ()
        assert _core._STACK.get() == (t,)
        y = a + b
    assert y.value == pytest.approx(1.5**2 + 4.5)
    assert t.gradient(y, x) == pytest.approx(2 * 1.5)


def test_gradient_through_a_fully_paused_computation_is_zero() -> None:
    x = tp.Var(np.array([1.0, 2.0]))
    with tp.Tape() as t:
        y0 = tp.sum(x * 0.0)
        with t.stop_recording():
            z = tp.sum(tp.exp(x))
        y = y0 + z
    g = t.gradient(y, x)
    np.testing.assert_array_equal(g, np.zeros(2))
    assert y.value == pytest.approx(math.exp(1.0) + math.exp(2.0))


def test_stop_recording_pauses_only_that_tape() -> None:
    x = tp.Var(0.5)
    with tp.Tape() as outer, tp.Tape() as inner:
        with outer.stop_recording():
            y = tp.sin(x)
            assert _core._STACK.get() == (inner,)
        assert _core._STACK.get() == (outer, inner)
    assert inner.gradient(y, x) == pytest.approx(math.cos(0.5))
    assert len(outer) == 0


# ----- the Wengert list: len, iteration, text ------------------------------------------------


def test_len_and_iteration_give_the_records() -> None:
    x1, x2 = tp.Var(2.0), tp.Var(5.0)
    with tp.Tape() as t:
        y = griewank(x1, x2)
    assert len(t) == 7  # two inputs and five operations
    entries = list(t)
    assert all(isinstance(e, tp.Entry) for e in entries)
    assert [e.slot for e in entries] == list(range(7))
    names = [e.primitive for e in entries]
    assert names.count("input") == 2
    assert sorted(n for n in names if n != "input") == sorted(
        ["log", "multiply", "add", "sin", "subtract"]
    )
    by_name = {e.primitive: e for e in entries if e.primitive != "input"}
    inputs = [e for e in entries if e.primitive == "input"]
    assert [e.value for e in inputs] == [2.0, 5.0]
    assert all(e.inputs == () for e in inputs)
    s1, s2 = inputs[0].slot, inputs[1].slot
    assert by_name["log"].inputs == (s1,)
    assert by_name["log"].value == pytest.approx(math.log(2.0))
    assert by_name["multiply"].inputs == (s1, s2)
    assert by_name["multiply"].value == pytest.approx(10.0)
    assert by_name["sin"].inputs == (s2,)
    assert by_name["sin"].value == pytest.approx(math.sin(5.0))
    assert by_name["add"].inputs == (by_name["log"].slot, by_name["multiply"].slot)
    assert by_name["subtract"].inputs == (by_name["add"].slot, by_name["sin"].slot)
    assert by_name["subtract"].value == pytest.approx(y.value)
    assert entries[-1].value == pytest.approx(math.log(2) + 10 - math.sin(5))
    # every operation's inputs come before it: a straight-line program
    assert all(all(s < e.slot for s in e.inputs) for e in entries)
    assert all(e.params == {} for e in entries)


def test_entries_show_constants_and_params() -> None:
    x = tp.Var(np.arange(6.0))
    with tp.Tape() as t:
        r = tp.reshape(x, (3, 2))
        y = r * 2.0
    entries = list(t)
    assert [e.primitive for e in entries] == ["input", "reshape", "multiply"]
    assert entries[1].params == {"shape": (3, 2)}
    assert entries[2].inputs == (1, -1)  # -1: a constant
    assert isinstance(entries[2].value, np.ndarray)
    np.testing.assert_array_equal(entries[2].value, 2.0 * np.arange(6.0).reshape(3, 2))
    assert y.shape == (3, 2)


def test_str_shows_a_numbered_wengert_list_with_adjoints() -> None:
    x1, x2 = tp.Var(2.0), tp.Var(5.0)
    with tp.Tape(persistent=True) as t:
        y = griewank(x1, x2)
    before = str(t)
    assert "adjoint" not in before
    g1, g2 = t.gradient(y, [x1, x2])
    text = str(t)
    lines = text.splitlines()
    # a row per record, named v₋₁, v₀ (inputs) then v₁ … v₅ (operations)
    rows = [ln.split() for ln in lines if ln.strip().startswith("v")]
    assert [r[0] for r in rows] == [vname(i) for i in range(-1, 6)]
    ops = {r[0]: " ".join(r[2:]) for r in rows}
    assert "x₁" in ops[vname(-1)] and "x₂" in ops[vname(0)]
    body = "\n".join(" ".join(r) for r in rows)
    for symbol in ("ln", "×", "sin", "+", "−"):
        assert symbol in body, symbol
    # adjoints: ∂f/∂x₁ = 1/x₁ + x₂ = 5.5 and ∂f/∂x₂ = x₁ − cos x₂ = 1.71634
    assert f"{1 / 2 + 5:.6g}" == "5.5"
    assert f"{2 - math.cos(5):.6g}" == "1.71634"
    assert "5.5" in ops[vname(-1)].split()
    assert "1.71634" in ops[vname(0)].split()
    assert g1 == pytest.approx(5.5) and g2 == pytest.approx(2 - math.cos(5))
    assert "adjoint" in text


def test_str_of_an_empty_tape() -> None:
    t = tp.Tape()
    assert "empty" in str(t)


# ----- no tape ------------------------------------------------------------------------------


def test_outside_any_tape_operations_compute_and_record_nothing() -> None:
    x = tp.Var(np.array([1.0, 2.0, 3.0]))
    with tp.Tape() as t:
        y = x * 2.0
    n = len(t)
    assert _core._STACK.get() == ()
    z = tp.sum(tp.sin(x) * y + 1.0)
    assert isinstance(z, tp.Var)
    assert z._tape is None
    assert z.value == pytest.approx(float(np.sum(np.sin([1.0, 2.0, 3.0]) * [2.0, 4.0, 6.0] + 1)))
    assert len(t) == n
    w = -x / 3.0
    assert w._tape is None
    np.testing.assert_allclose(w.value, -np.array([1.0, 2.0, 3.0]) / 3.0)


# ----- Var basics ---------------------------------------------------------------------------


def test_var_of_float_basics() -> None:
    v = tp.Var(2.5)
    assert type(v.value) is float and v.value == 2.5
    assert v.shape == ()
    assert v.ndim == 0
    assert v.size == 1
    assert v.dtype == np.float64
    assert repr(v) == "Var(2.5)"
    assert float(v) == 2.5
    with pytest.raises(TypeError, match="scalar"):
        len(v)


def test_var_of_array_basics() -> None:
    a0 = np.arange(6.0).reshape(2, 3)
    v = tp.Var(a0)
    assert isinstance(v.value, np.ndarray)
    np.testing.assert_array_equal(v.value, a0)
    assert v.shape == (2, 3)
    assert v.ndim == 2
    assert v.size == 6
    assert len(v) == 2
    assert v.dtype == np.float64
    assert repr(v).startswith("Var([[0., 1., 2.]")
    a0[0, 0] = 100.0  # the Var copied its input
    assert v.value[0, 0] == 0.0


def test_repr_inside_a_tape_names_the_slot() -> None:
    x = tp.Var(2.0)
    with tp.Tape():
        y = x * 3.0
    assert repr(y) == "Var(6.0, v₁ on a tape)"  # as print(t) names it (x is v₀)


@pytest.mark.parametrize(
    ("given", "expected_dtype"),
    [
        (3, np.float64),
        (True, np.float64),
        (np.int32(4), np.float64),
        ([1, 2, 3], np.float64),
        (np.arange(3, dtype=np.int64), np.float64),
        (np.arange(3, dtype=np.uint8), np.float64),
        (np.array([1.0, 2.0], dtype=np.float32), np.float32),
        (np.array([1.0, 2.0], dtype=np.float64), np.float64),
    ],
)
def test_integers_promote_to_float64_and_float32_stays(
    given: npt.ArrayLike, expected_dtype: type[np.floating[npt.NBitBase]]
) -> None:
    v = tp.Var(given)
    assert v.dtype == expected_dtype
    np.testing.assert_array_equal(v.value, np.asarray(given, dtype=expected_dtype))


def test_python_int_becomes_a_python_float() -> None:
    v = tp.Var(3)
    assert type(v.value) is float
    assert v.value == 3.0


@pytest.mark.parametrize(
    "bad",
    [1j, np.array([1 + 2j]), np.array([object()]), "abc", np.array(["a", "b"])],
    ids=["complex", "complex-array", "object-array", "str", "str-array"],
)
def test_non_real_values_raise_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="real"):
        tp.Var(bad)  # type: ignore[arg-type]


def test_value_is_assignable() -> None:
    v = tp.Var(np.array([1.0, 2.0]))
    v.value = np.array([3.0, 4.0, 5.0])
    assert v.shape == (3,)
    v.value = 7  # ints are promoted here too
    assert type(v.value) is float and v.value == 7.0
    v.value = np.array([0.5, 1.5])
    with tp.Tape() as t:
        y = tp.sum(v * v)
    np.testing.assert_allclose(t.gradient(y, v), [1.0, 3.0])


def test_comparisons_give_plain_booleans() -> None:
    s = tp.Var(2.0)
    assert (s > 1.0) is True
    assert (s < 1.0) is False
    assert (s >= 2.0) is True
    assert (s <= 1.5) is False
    assert (s == 2.0) is True
    assert (s != 2.0) is False
    a = tp.Var(np.array([-1.0, 0.0, 2.0]))
    mask = a > 0.0
    assert isinstance(mask, np.ndarray) and mask.dtype == np.bool_
    np.testing.assert_array_equal(mask, [False, False, True])
    np.testing.assert_array_equal(a <= tp.Var(np.zeros(3)), [True, True, False])


def test_comparisons_are_recorded_without_derivative() -> None:
    """Inside a tape a comparison is a record (so a replay recomputes the mask) whose value
    is boolean and through which no gradient flows; outside, it is a plain bool array."""
    a = tp.Var(np.array([-1.0, 2.0]))
    with tp.Tape() as t:
        b = a * 1.0
        n = len(t)
        m1 = b > 0.0
        m2 = b == a
        y = tp.sum(tp.where(m1, b, 0.0))
    assert len(t) == n + 4  # two comparisons (a's leaf was already there), where, sum
    assert [e.primitive for e in list(t)[n : n + 2]] == ["greater", "equal"]
    assert isinstance(m1, tp.Var) and isinstance(m2, tp.Var)
    np.testing.assert_array_equal(m1.value, [False, True])
    np.testing.assert_array_equal(m2.value, [True, True])
    np.testing.assert_array_equal(t.gradient(y, a), [0.0, 1.0])
    plain = a > 0.0  # no tape: plain booleans
    assert isinstance(plain, np.ndarray) and plain.dtype == np.bool_


def test_comparison_masks_in_where_and_indexing() -> None:
    x0 = np.array([-1.0, 2.0, -3.0, 4.0])
    x = tp.Var(x0)
    with tp.Tape() as t:
        y = tp.sum(tp.where(x > 0.0, x * x, -3.0 * x))
    np.testing.assert_allclose(t.gradient(y, x), np.where(x0 > 0, 2 * x0, -3.0))
    with tp.Tape() as t2:
        z = tp.sum(x[x > 0.0] ** 3.0)
    np.testing.assert_allclose(t2.gradient(z, x), np.where(x0 > 0, 3 * x0**2, 0.0))


def test_bool_of_a_scalar_var() -> None:
    assert bool(tp.Var(0.5)) is True
    assert bool(tp.Var(0.0)) is False
    x = tp.Var(2.0)
    with tp.Tape() as t:
        y = x * x if x > 1.0 else x  # Python control flow on a recorded value
    assert t.gradient(y, x) == 4.0


def test_detach_and_stop_gradient_stop_gradients() -> None:
    x = tp.Var(2.0)
    with tp.Tape() as t:
        y = x * x.detach() + tp.stop_gradient(x) * 3.0 + x
    assert y.value == pytest.approx(4.0 + 6.0 + 2.0)
    assert t.gradient(y, x) == pytest.approx(2.0 + 1.0)  # only x·(const) and x remain
    d = x.detach()
    assert d is not x and d.value == x.value and d._tape is None


def test_stop_gradient_of_a_recorded_array() -> None:
    x0 = np.array([1.0, 2.0])
    x = tp.Var(x0)
    with tp.Tape() as t:
        h = tp.exp(x)
        y = tp.sum(h * tp.stop_gradient(h))  # d/dx e^x·c = e^x·c with c = e^x held fixed
    np.testing.assert_allclose(t.gradient(y, x), np.exp(2 * x0), rtol=1e-14)


# ----- operators ---------------------------------------------------------------------------

X0 = np.array([0.5, 1.25, 2.0])
C = 1.7
A = np.array([0.3, -1.1, 2.2])
M = np.array([[1.0, 2.0, 3.0], [-4.0, 5.0, 0.5]])
ONES = np.ones(3)

# (name, operation on a Var, operation on a plain array, closed-form gradient of the sum)
OPS: list[
    tuple[str, Callable[[tp.Var], object], Callable[[npt.NDArray[np.float64]], object], object]
] = [
    ("x + c", lambda x: x + C, lambda x: x + C, ONES),
    ("c + x", lambda x: C + x, lambda x: C + x, ONES),
    ("x + a", lambda x: x + A, lambda x: x + A, ONES),
    ("a + x", lambda x: A + x, lambda x: A + x, ONES),
    ("x - c", lambda x: x - C, lambda x: x - C, ONES),
    ("c - x", lambda x: C - x, lambda x: C - x, -ONES),
    ("a - x", lambda x: A - x, lambda x: A - x, -ONES),
    ("x * c", lambda x: x * C, lambda x: x * C, C * ONES),
    ("c * x", lambda x: C * x, lambda x: C * x, C * ONES),
    ("a * x", lambda x: A * x, lambda x: A * x, A),
    ("x * x", lambda x: x * x, lambda x: x * x, 2 * X0),
    ("x / c", lambda x: x / C, lambda x: x / C, ONES / C),
    ("c / x", lambda x: C / x, lambda x: C / x, -C / X0**2),
    ("a / x", lambda x: A / x, lambda x: A / x, -A / X0**2),
    ("x / a", lambda x: x / A, lambda x: x / A, 1 / A),
    ("x ** c", lambda x: x**C, lambda x: x**C, C * X0 ** (C - 1)),
    ("c ** x", lambda x: C**x, lambda x: C**x, C**X0 * math.log(C)),
    (
        "|a| ** x",
        lambda x: np.abs(A) ** x,
        lambda x: np.abs(A) ** x,
        np.abs(A) ** X0 * np.log(np.abs(A)),
    ),
    ("x ** x", lambda x: x**x, lambda x: x**x, X0**X0 * (np.log(X0) + 1)),
    ("-x", lambda x: -x, lambda x: -x, -ONES),
    ("+x", lambda x: +x, lambda x: +x, ONES),
    ("x @ a", lambda x: x @ A, lambda x: x @ A, A),
    ("a @ x", lambda x: A @ x, lambda x: A @ x, A),
    ("M @ x", lambda x: M @ x, lambda x: M @ x, M.sum(axis=0)),
    ("x @ M.T", lambda x: x @ M.T, lambda x: x @ M.T, M.sum(axis=0)),
    ("abs(-x)", lambda x: abs(-x), lambda x: abs(-x), ONES),
]


@pytest.mark.parametrize(("name", "op", "plain_op", "grad"), OPS, ids=[o[0] for o in OPS])
def test_operator_value_and_gradient(
    name: str,
    op: Callable[[tp.Var], object],
    plain_op: Callable[[npt.NDArray[np.float64]], object],
    grad: object,
) -> None:
    x = tp.Var(X0)
    with tp.Tape() as t:
        out = op(x)
        assert isinstance(out, tp.Var), name
        y = tp.sum(out)
    np.testing.assert_allclose(out.value, np.asarray(plain_op(X0.copy())), rtol=1e-14)
    np.testing.assert_allclose(t.gradient(y, x), np.asarray(grad), rtol=1e-12, atol=1e-15)


def test_operators_on_scalar_vars_with_floats() -> None:
    x = tp.Var(1.5)
    with tp.Tape() as t:
        y = (2.0 * x + 1.0) / (x - 0.5) - 3.0**x + x**2.0 - (1.0 - x) * 4.0
    expected = (2 * 1.5 + 1) / 1.0 - 3**1.5 + 1.5**2 - (1 - 1.5) * 4
    assert y.value == pytest.approx(expected, rel=1e-14)
    # d/dx: (2(x−½) − (2x+1))/(x−½)² − 3ˣ ln 3 + 2x + 4
    dy = (2 * 1.0 - 4.0) / 1.0 - 3**1.5 * math.log(3) + 3.0 + 4.0
    assert t.gradient(y, x) == pytest.approx(dy, rel=1e-13)
