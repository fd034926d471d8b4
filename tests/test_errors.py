"""Bad input gives a clear error (type and message), and afterwards the same objects still
give a correct gradient."""

from __future__ import annotations

import gc
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tape as tp
from tape import _core


def stack_is_empty() -> bool:
    return _core._STACK.get() == ()


# ----- shapes ------------------------------------------------------------------------------


def test_shape_mismatch_names_both_shapes_and_the_operation() -> None:
    x0 = np.array([1.0, 2.0, 3.0])
    x, w = tp.Var(x0), tp.Var(np.ones(4))
    with tp.Tape() as t:
        y = x * 2.0
        n = len(t)
        with pytest.raises(ValueError, match="add") as info:
            _ = x + w
        assert "(3,)" in str(info.value) and "(4,)" in str(info.value)
        assert len(t) == n  # a failed operation leaves the tape unchanged
        with pytest.raises(ValueError, match="multiply") as info:
            _ = y * w
        assert "(3,)" in str(info.value) and "(4,)" in str(info.value)
        assert len(t) == n
        s = tp.sum(y * x)
    assert t.gradient(s, x) == pytest.approx(4 * x0)


def test_matmul_shape_mismatch() -> None:
    a = tp.Var(np.ones((2, 3)))
    b = tp.Var(np.ones((2, 3)))
    with tp.Tape() as t:
        n = len(t)
        with pytest.raises(ValueError, match="matmul") as info:
            _ = a @ b
        assert "(2, 3)" in str(info.value)
        assert len(t) == n
        y = tp.sum(a @ b.T)
    g = t.gradient(y, a)
    np.testing.assert_allclose(g, np.full((2, 3), 2.0))


def test_shape_mismatch_leaves_nested_tapes_unchanged() -> None:
    x = tp.Var(np.ones(3))
    with tp.Tape() as outer, tp.Tape() as inner:
        _ = x * 1.0
        n_in, n_out = len(inner), len(outer)
        with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
            _ = x + np.ones(2)
        assert (len(inner), len(outer)) == (n_in, n_out)


# ----- targets -----------------------------------------------------------------------------


def test_target_not_recorded_on_this_tape() -> None:
    x = tp.Var(3.0)
    with tp.Tape() as t1:
        a = x * x
    with tp.Tape() as t2:
        b = x + 1.0
    with pytest.raises(ValueError, match="not recorded on this tape"):
        t2.gradient(a, x)
    # both tapes still work
    assert t2.gradient(b, x) == 1.0
    assert t1.gradient(a, x) == 6.0


def test_plain_value_as_target_raises() -> None:
    # A plain number as a target means its value left the tape (float(), math.*): the
    # gradient would be lost, so it is refused (the traps issue); so is anything else.
    x = tp.Var(3.0)
    w = tp.Var(np.array([1.0, 2.0]))
    with tp.Tape(persistent=True) as t:
        y = x * x * tp.sum(w)
    with pytest.raises(TypeError, match="left the tape"):
        t.gradient(9.0, x)
    with pytest.raises(TypeError, match="left the tape"):
        t.gradient(np.float64(9.0), w)
    with pytest.raises(TypeError, match="must be a Var"):
        t.gradient("y", x)  # type: ignore[call-overload]
    assert t.gradient(y, x) == 18.0


def test_target_from_a_freed_tape() -> None:
    x = tp.Var(3.0)
    with tp.Tape() as t1:
        a = x * x
    assert t1.gradient(a, x) == 6.0  # t1 is now freed
    with pytest.raises(RuntimeError, match="freed"):
        t1.gradient(a, x)
    with tp.Tape() as t2:
        b = x * 5.0
    with pytest.raises(ValueError, match="not recorded on this tape"):
        t2.gradient(a, x)
    assert t2.gradient(b, x) == 5.0
    assert a.value == 9.0  # the Var itself still holds its value


def test_non_scalar_target_without_output_gradient() -> None:
    x0 = np.array([1.0, 2.0, 3.0])
    x = tp.Var(x0)
    with tp.Tape() as t:
        y = x * x
    with pytest.raises(ValueError, match=r"shape \(3,\)") as info:
        t.gradient(y, x)
    assert "output_gradient" in str(info.value)
    np.testing.assert_allclose(t.gradient(y, x, output_gradient=np.ones(3)), 2 * x0)


def test_seed_of_the_wrong_shape() -> None:
    x0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = tp.Var(x0)
    with tp.Tape() as t:
        y = tp.sin(x)
    with pytest.raises(ValueError, match=r"\(2,\).*\(2, 2\)"):
        t.gradient(y, x, output_gradient=np.ones(2))
    with pytest.raises(ValueError, match="output_gradient has shape"):
        t.gradient(y, x, output_gradient=np.ones((2, 2, 1)))
    u = np.array([[1.0, -1.0], [0.5, 2.0]])
    np.testing.assert_allclose(t.gradient(y, x, output_gradient=u), u * np.cos(x0))


def test_seed_for_a_scalar_target_must_be_scalar() -> None:
    x = tp.Var(2.0)
    with tp.Tape() as t:
        y = x * x
    with pytest.raises(ValueError, match="output_gradient has shape"):
        t.gradient(y, x, output_gradient=np.ones(3))
    assert t.gradient(y, x, output_gradient=2.0) == 8.0


def test_source_that_is_not_a_var() -> None:
    x = tp.Var(2.0)
    with tp.Tape() as t:
        y = x * x
    with pytest.raises(TypeError, match="sources must be Vars"):
        t.gradient(y, [x, 2.0])  # type: ignore[list-item]
    assert t.gradient(y, x) == 4.0


def test_second_gradient_on_a_non_persistent_tape() -> None:
    x = tp.Var(2.0)
    with tp.Tape() as t:
        y = x * x * x
    assert t.gradient(y, x) == 12.0
    with pytest.raises(RuntimeError, match=r"persistent=True"):
        t.gradient(y, x)
    with pytest.raises(RuntimeError, match="freed"):
        t.jacobian(y, x)
    # the Vars are fine: a new tape differentiates them again
    with tp.Tape() as t2:
        z = x * x * x
    assert t2.gradient(z, x) == 12.0


def test_gradient_of_a_tape_that_never_recorded() -> None:
    x = tp.Var(2.0)
    t = tp.Tape()
    with pytest.raises(RuntimeError, match="recorded nothing"):
        t.gradient(x, x)


# ----- values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "phrase"),
    [
        (1 + 2j, "complex"),
        (np.array([1.0, 2j]), "complex"),
        (np.array([1.0, object()], dtype=object), "object"),
        ("1.5", "<U3"),
        (np.array(["a", "b"]), "<U1"),
    ],
    ids=["complex", "complex-array", "object-array", "str", "str-array"],
)
def test_non_real_values_raise_type_error(bad: object, phrase: str) -> None:
    with pytest.raises(TypeError, match="real numbers") as info:
        tp.Var(bad)  # type: ignore[arg-type]
    assert phrase in str(info.value)
    x = tp.Var(1.5)
    with tp.Tape() as t:
        y = x * x
    assert t.gradient(y, x) == 3.0


def test_var_of_a_var_raises() -> None:
    x = tp.Var(2.0)
    with pytest.raises(TypeError, match="detach"):
        tp.Var(x)


def test_complex_constant_in_an_operation_raises() -> None:
    x = tp.Var(np.array([1.0, 2.0]))
    with tp.Tape() as t:
        n = len(t)
        with pytest.raises(TypeError, match="complex"):
            _ = x * np.array([1j, 2j])
        assert len(t) == n
        y = tp.sum(x * x)
    np.testing.assert_allclose(t.gradient(y, x), [2.0, 4.0])


def test_complex_output_gradient_raises() -> None:
    x = tp.Var(np.array([1.0, 2.0]))
    with tp.Tape() as t:
        y = x * 3.0
    with pytest.raises(TypeError, match="must be real"):
        t.gradient(y, x, output_gradient=np.array([1j, 1.0]))
    np.testing.assert_allclose(t.gradient(y, x, output_gradient=np.ones(2)), [3.0, 3.0])


# ----- unsupported NumPy ----------------------------------------------------------------------


def test_unsupported_numpy_function_names_it() -> None:
    x = tp.Var(np.array([1.0, 2.0, 3.0]))
    with tp.Tape() as t:
        n = len(t)
        with pytest.raises(TypeError, match=r"np\.nancumprod is not supported"):
            np.nancumprod(x)
        with pytest.raises(TypeError, match=r"np\.lexsort is not supported"):
            np.lexsort(x)
        assert len(t) == n
        y = np.sum(np.sin(x))  # supported: routed to tape
    assert isinstance(y, tp.Var)
    np.testing.assert_allclose(t.gradient(y, x), np.cos([1.0, 2.0, 3.0]))


def test_unsupported_numpy_ufunc_names_it() -> None:
    x = tp.Var(np.array([0.5, 1.0]))
    with pytest.raises(TypeError, match=r"np\.spacing is not supported"):
        np.spacing(x)
    with pytest.raises(TypeError, match=r"np\.add\.reduce"):
        np.add.reduce(x)
    with pytest.raises(TypeError, match=r"np\.sin with out="):
        np.sin(x, out=np.empty(2))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda v: np.linalg.eig(v), "np.linalg.eig"),  # (np.linalg.norm has a rule now)
        (lambda v: np.linalg.eigvals(v), "np.linalg.eigvals"),
        (lambda v: np.fft.fft(v), "np.fft.fft"),
        (lambda v: np.fft.rfft(v), "np.fft.rfft"),
        (
            lambda v: np.lib.stride_tricks.sliding_window_view(v, 2),
            "np.lib.stride_tricks.sliding_window_view",
        ),
        (lambda v: np.nancumprod(v), "np.nancumprod"),
        (lambda v: np.lexsort(v), "np.lexsort"),
    ],
)
def test_unsupported_functions_are_named_in_full_with_what_to_do(call: Any, name: str) -> None:
    for v in (tp.Var(np.array([0.5, 1.0, 2.0])), tp.Dual(np.array([0.5, 1.0, 2.0]), np.ones(3))):
        with pytest.raises(TypeError) as info:
            call(v)
        message = str(info.value)
        assert message.startswith(f"{name} is not supported on tape Vars"), message
        assert "tp.primitive" in message and "v.value" in message
        supported = message.split("Functions with a rule: ")[1].split(", and the ufuncs")[0]
        names = supported.split(", ")
        assert names == sorted(names) and all(n.startswith("np.") for n in names)
        assert "np.sum" in names and "np.reshape" in names
        for plain in ("np.shape", "np.ndim", "np.size", "np.argmax", "np.all"):
            assert plain not in names  # no derivative rule: not listed as supported


def test_unsupported_ufuncs_list_the_ufuncs_with_rules() -> None:
    x = tp.Var(np.array([0.5, 1.0]))
    with pytest.raises(TypeError) as info:
        np.spacing(x)
    message = str(info.value)
    assert message.startswith("np.spacing is not supported on tape Vars")
    assert "np.sin" in message and "np.absolute" in message and "tp.primitive" in message


def test_numpy_names_drop_private_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    from tape._numpy import numpy_name

    # older NumPy releases report their implementation modules
    monkeypatch.setattr(np.linalg.norm, "__module__", "numpy.linalg._linalg")
    monkeypatch.setattr(np.sum, "__module__", "numpy._core.fromnumeric")
    assert numpy_name(np.linalg.norm) == "np.linalg.norm"
    assert numpy_name(np.sum) == "np.sum"
    assert numpy_name(np.fft.fft) == "np.fft.fft"
    assert numpy_name(np.arctan) == "np.arctan"


def test_supported_numpy_holds_only_functions_with_a_derivative_rule() -> None:
    assert "np.shape" not in tp.SUPPORTED_NUMPY and "np.ndim" not in tp.SUPPORTED_NUMPY
    x = tp.Var(np.array([[0.5, -1.0], [2.0, 0.25]]))
    assert np.shape(x) == (2, 2) and np.ndim(x) == 2  # they still work, without a rule
    for name in tp.SUPPORTED_NUMPY:
        obj: Any = np
        for part in name.split(".")[1:]:
            obj = getattr(obj, part)
        assert callable(obj), name
        assert name.count(".") >= 1 and not any(p.startswith("_") for p in name.split("."))


def test_converting_a_var_to_an_array_raises() -> None:
    x = tp.Var(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="drop its derivative"):
        np.asarray(x)


def test_var_as_an_index_raises() -> None:
    a = tp.Var(np.array([1.0, 2.0, 3.0]))
    i = tp.Var(1.0)
    with pytest.raises(TypeError, match="cannot be an index"):
        _ = a[i]


# ----- tape lifecycle -----------------------------------------------------------------------


def test_re_entering_an_active_tape() -> None:
    x = tp.Var(2.0)
    t = tp.Tape()
    with t:
        y = x * x
        with pytest.raises(RuntimeError, match="this tape is active"), t:
            pass
        assert _core._STACK.get() == (t,)
        z = y * x
    assert stack_is_empty()
    assert t.gradient(z, x) == 12.0


def test_re_entering_a_finished_tape() -> None:
    x = tp.Var(2.0)
    t = tp.Tape(persistent=True)
    with t:
        y = x * x
    with pytest.raises(RuntimeError, match="records once"), t:
        pass
    assert stack_is_empty()
    assert t.gradient(y, x) == 4.0


def test_exiting_nested_tapes_out_of_order() -> None:
    x = tp.Var(1.5)
    outer, inner = tp.Tape(), tp.Tape()
    outer.__enter__()
    inner.__enter__()
    y = x * x
    with pytest.raises(RuntimeError, match="out of order"):
        outer.__exit__(None, None, None)
    assert _core._STACK.get() == (inner,)
    inner.__exit__(None, None, None)
    assert stack_is_empty()
    assert inner.gradient(y, x) == 3.0
    with pytest.raises(RuntimeError, match="records once"):
        outer.__enter__()  # outer was exited (though out of order): it is done


class Boom(Exception):
    pass


def test_exception_inside_a_tape_propagates_unchanged() -> None:
    x = tp.Var(2.0)
    err = Boom("inner failure")
    with pytest.raises(Boom) as info:  # noqa: SIM117
        with tp.Tape():
            _ = x * x
            raise err
    assert info.value is err
    assert stack_is_empty()


def test_exception_inside_nested_tapes_leaves_no_tape_active() -> None:
    x = tp.Var(2.0)
    err = KeyError("k")
    with pytest.raises(KeyError) as info:  # noqa: SIM117
        with tp.Tape() as outer:
            with tp.Tape(), outer.stop_recording():
                raise err
    assert info.value is err
    assert stack_is_empty()
    with tp.Tape() as t:
        y = x * x
    assert t.gradient(y, x) == 4.0


def test_stop_recording_outside_with() -> None:
    t = tp.Tape()
    with pytest.raises(RuntimeError, match="needs the tape to be active"), t.stop_recording():
        pass
    assert stack_is_empty()


# ----- in-place mutation ------------------------------------------------------------------


def test_var_value_cannot_be_written_in_place() -> None:
    x = tp.Var(np.array([1.0, 2.0, 3.0]))
    with tp.Tape() as t:
        y = tp.sum(x * x)
    value = x.value
    assert isinstance(value, np.ndarray)
    with pytest.raises(ValueError, match="read-only"):
        value[0] = 5.0
    np.testing.assert_allclose(t.gradient(y, x), [2.0, 4.0, 6.0])


def test_recorded_intermediate_values_are_read_only() -> None:
    x = tp.Var(np.array([1.0, 2.0]))
    with tp.Tape() as t:
        h = tp.exp(x)
        y = tp.sum(h * h)
    hv = h.value
    assert isinstance(hv, np.ndarray)
    with pytest.raises(ValueError, match="read-only"):
        hv[0] = 0.0
    np.testing.assert_allclose(t.gradient(y, x), 2 * np.exp(2 * np.array([1.0, 2.0])))


def test_constant_array_is_locked_while_the_tape_holds_it() -> None:
    c = np.array([1.0, 2.0, 3.0])
    x = tp.Var(np.array([0.5, 0.5, 0.5]))
    with tp.Tape() as t:
        y = tp.sum(x * c)
    with pytest.raises(ValueError, match="read-only"):
        c[0] = 5.0
    np.testing.assert_array_equal(c, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(t.gradient(y, x), [1.0, 2.0, 3.0])
    c[0] = 5.0  # the tape has freed it: the caller's array is writable again
    assert c[0] == 5.0


def test_constant_array_stays_locked_on_a_persistent_tape_until_dropped() -> None:
    c = np.array([1.0, 2.0])
    x = tp.Var(np.array([3.0, 4.0]))
    with tp.Tape(persistent=True) as t:
        y = tp.sum(x * c)
    np.testing.assert_allclose(t.gradient(y, x), c)
    with pytest.raises(ValueError, match="read-only"):
        c[1] = 0.0
    np.testing.assert_allclose(t.gradient(y, x), [1.0, 2.0])
    del t, y
    gc.collect()  # a tape and its leaves form a reference cycle
    c[1] = 0.0
    assert c[1] == 0.0


def test_constant_shared_by_two_tapes_stays_locked_while_either_holds_it() -> None:
    c = np.array([1.0, 2.0])
    x = tp.Var(np.array([3.0, 4.0]))
    with tp.Tape() as t1:
        y1 = tp.sum(x * c)
    with tp.Tape() as t2:
        y2 = tp.sum(x * c)
    np.testing.assert_allclose(t1.gradient(y1, x), [1.0, 2.0])  # frees t1, but t2 holds c
    with pytest.raises(ValueError, match="read-only"):
        c[0] = 100.0
    np.testing.assert_allclose(t2.gradient(y2, x), [1.0, 2.0])


def test_constant_that_is_a_view_cannot_be_changed_through_its_base() -> None:
    data = np.array([[1.0, 2.0], [3.0, 4.0]])
    column = data[:, 0]  # a view: the tape saves it, so its memory must not change
    x = tp.Var(np.array([3.0, 4.0]))
    with tp.Tape() as t:
        y = tp.sum(x * column)
    with pytest.raises(ValueError, match="read-only"):
        data[0, 0] = 100.0
    np.testing.assert_allclose(t.gradient(y, x), [1.0, 3.0])


def test_reassigning_value_is_allowed_and_takes_effect() -> None:
    x = tp.Var(np.array([1.0, 2.0]))
    with tp.Tape() as t:
        y = tp.sum(x * x)
    np.testing.assert_allclose(t.gradient(y, x), [2.0, 4.0])
    x.value = np.array([5.0, -1.0])
    with tp.Tape() as t2:
        y2 = tp.sum(x * x)
    np.testing.assert_allclose(t2.gradient(y2, x), [10.0, -2.0])
    assert math.isclose(y2.item(), 26.0)


@pytest.mark.parametrize(
    "spell",
    [
        lambda v: np.array([v, v]),
        lambda v: np.mean([v, v]),
        lambda v: np.r_[v, v],
        lambda v: np.sum((v, 2.0 * v)),
        lambda v: np.asarray(v),
    ],
    ids=["array", "mean", "r_", "sum-tuple", "asarray"],
)
@pytest.mark.parametrize("kind", ["Var", "Dual"])
def test_a_list_of_tape_values_names_the_fix(spell: Callable[[Any], Any], kind: str) -> None:
    """NumPy converts a list before any protocol sees it: the error says so and names the
    stack that keeps the derivative."""
    v = tp.Var(np.ones(3)) if kind == "Var" else tp.Dual(np.ones(3), np.ones(3))
    with pytest.raises(TypeError, match=rf"a {kind} was converted.*tp\.array\(\[v1, v2\]\)"):
        spell(v)


@pytest.mark.parametrize(
    "bounds",
    [
        (np.zeros(3), 1.0),  # an array lower bound
        (0.0, np.array([1.0, 2.0, 3.0])),  # an array upper bound
        (tp.Var(0.5), None),  # a bound that would carry a gradient
    ],
)
def test_clip_with_a_bound_that_is_not_a_number_raises_naming_the_alternative(
    bounds: tuple[Any, Any],
) -> None:
    x = tp.Var(np.arange(3.0))
    lo, hi = bounds
    with pytest.raises(TypeError, match=r"must be a number or None.*tp\.minimum\(tp\.maximum"):
        tp.clip(x, lo, hi)
    with pytest.raises(TypeError, match="must be a number or None"):
        np.clip(x, lo, hi)
