"""NumPy's ndarray methods on Var and Dual: every one either works with NumPy's signature and
NumPy's values, or is refused with an error that names it and says what to use instead.

- ``test_every_ndarray_method_is_supported_or_refused`` walks ``dir(np.ndarray)``: a method
  NumPy adds later fails it until it is put in ``CALLS`` or ``REFUSED`` here.
- Each call in ``CALLS`` is applied to an ndarray, a Var and a Dual: the values (and dtypes)
  must be NumPy's. The differentiable ones are checked against central finite differences
  in both modes, first and second order (``check_grads``).
- Results without a derivative (indices, truth values, contents) leave a guard record while
  a tape records; a replayed Program raises where such a result comes out differently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import tape as tp
from tape import _numpy as N
from tape.testing import check_grads

Fn = Callable[..., Any]

RNG = np.random.default_rng(20240611)
A = RNG.permutation(np.linspace(-1.6, 1.7, 12)).reshape(3, 4)  # distinct: no ties
B = RNG.permutation(np.linspace(-1.1, 1.2, 24)).reshape(2, 3, 4)
M = RNG.permutation(np.linspace(-0.9, 1.3, 16)).reshape(4, 4)
V = np.array([0.7, -1.2, 0.0, 2.3, -0.4, 1.1])
W4 = np.array([0.5, -1.5, 2.0, 0.25])
A43 = RNG.permutation(np.linspace(-1.0, 1.0, 12)).reshape(4, 3)
OFF_STEPS = np.array([[0.23, -1.37, 2.41, 0.06], [-0.72, 1.14, -2.88, 0.51], [0.9, 1.8, -0.3, 0.6]])
"""Values away from the steps of round(·, 0) and round(·, 1)."""
P12 = 0.5 + np.abs(A)  # positive, for products


@dataclass(frozen=True)
class Call:
    """``fn`` (written with methods, so it runs on an ndarray, a Var and a Dual) at ``x``."""

    id: str
    fn: Fn
    x: np.ndarray
    differentiable: bool = True
    eps: float = 1e-6  # finite-difference step (coarse when a value passes through float32)
    tol: float = 1e-5
    order: int = 2


CALLS: dict[str, list[Call]] = {}


def call(name: str, id: str, fn: Fn, x: np.ndarray, **kw: Any) -> None:
    CALLS.setdefault(name, []).append(Call(f"{name}-{id}", fn, x, **kw))


def plain_call(name: str, id: str, fn: Fn, x: np.ndarray) -> None:
    call(name, id, fn, x, differentiable=False)


# ----- reductions --------------------------------------------------------------------------
for red, x in [("sum", A), ("mean", A), ("max", A), ("min", A), ("prod", P12)]:
    call(red, "all", lambda v, r=red: getattr(v, r)(), x)
    call(red, "axis0", lambda v, r=red: getattr(v, r)(0), x)
    call(red, "axis-neg-keep", lambda v, r=red: getattr(v, r)(axis=-1, keepdims=True), x)
    xb = B if red != "prod" else 0.5 + np.abs(B)
    call(red, "axes", lambda v, r=red: getattr(v, r)(axis=(0, 1)), xb)
    call(red, "axes-neg-keep", lambda v, r=red: getattr(v, r)(axis=(-1, -3), keepdims=True), xb)
call("sum", "dtype32", lambda v: v.sum(dtype=np.float32), A, eps=1e-2, tol=1e-4, order=1)
call("sum", "dtype64", lambda v: v.sum(axis=1, dtype=np.float64), A)
call("mean", "dtype32", lambda v: v.mean(axis=0, dtype=np.float32), A, eps=1e-2, tol=1e-4, order=1)
call("prod", "dtype64", lambda v: v.prod(axis=1, dtype="float64"), P12)
for stat in ("std", "var"):
    call(stat, "all", lambda v, s=stat: getattr(v, s)(), A)
    call(stat, "ddof1", lambda v, s=stat: getattr(v, s)(ddof=1), A)
    call(stat, "axis", lambda v, s=stat: getattr(v, s)(axis=1), A)
    call(
        stat,
        "axes-keep-ddof",
        lambda v, s=stat: getattr(v, s)(axis=(0, 2), ddof=1, keepdims=True),
        B,
    )
    call(stat, "positional", lambda v, s=stat: getattr(v, s)(0, None, None, 1, True), A)
call("cumsum", "flat", lambda v: v.cumsum(), A)
call("cumsum", "axis0", lambda v: v.cumsum(axis=0), A)
call("cumsum", "axis-neg", lambda v: v.cumsum(-1) * v, B)
call("cumsum", "dtype", lambda v: v.cumsum(0, np.float64), V)
call("cumprod", "flat", lambda v: v.cumprod(), A)
call("cumprod", "axis-neg", lambda v: v.cumprod(-1) * v, B)
call("dot", "3d-2d", lambda v: v.dot(A.T), B)
call("trace", "square", lambda v: v.trace(), M)
call("trace", "offset", lambda v: v.trace(1), A)
call("trace", "axes", lambda v: v.trace(axis1=1, axis2=2).sum() * v.trace(-1, 0, 2), B)

# ----- elementwise -------------------------------------------------------------------------
call("clip", "both", lambda v: v.clip(-0.55, 0.45) * v, A)  # bounds off A's values
call("clip", "min-keyword", lambda v: v.clip(min=0.1), A)
call("clip", "max-only", lambda v: v.clip(None, 0.25), A)
call("round", "0", lambda v: v.round() * v, OFF_STEPS)
call("round", "1", lambda v: v.round(1) * v, OFF_STEPS)
call("round", "neg", lambda v: v.round(decimals=-1) + v, OFF_STEPS * 30.0)
call("conj", "real", lambda v: v.conj() * v, A)
call("conjugate", "real", lambda v: v.conjugate() * v, A)
call("real", "real", lambda v: v.real * v, A)
call("imag", "zeros", lambda v: v.imag + v * v, A)
call(
    "astype",
    "float32",
    lambda v: (v.astype(np.float32) * 2.0).astype(np.float64) * v,
    A,
    eps=1e-2,
    tol=1e-4,
    order=1,
)
call(
    "astype",
    "float16",
    lambda v: (v.astype("float16") * 2.0).astype(float) * v,
    A,
    eps=1e-1,
    tol=2e-2,
    order=1,
)
call("astype", "same", lambda v: v.astype(np.float64) * v, A)
call("dot", "vector", lambda v: v.dot(W4), A)
call("dot", "matrix", lambda v: v.dot(A43), A)
call("dot", "self", lambda v: v.dot(v) * v, V)
call("dot", "scalar", lambda v: v.dot(2.0), A)

# ----- shapes ------------------------------------------------------------------------------
call("reshape", "ints", lambda v: v.reshape(2, 6), A)
call("reshape", "tuple", lambda v: v.reshape((6, 2)), A)
call("reshape", "list", lambda v: v.reshape([4, 3]), A)
call("reshape", "minus-one", lambda v: v.reshape(-1), B)
call("reshape", "infer", lambda v: v.reshape(3, -1), B)
call("reshape", "fortran", lambda v: v.reshape((4, 3), order="F"), A)
call("reshape", "fortran-3d", lambda v: v.reshape(4, 6, order="F"), B)
call("reshape", "fortran-flat", lambda v: v.reshape(-1, order="F"), B)
call("transpose", "none", lambda v: v.transpose(), B)
call("transpose", "ints", lambda v: v.transpose(2, 0, 1), B)
call("transpose", "tuple", lambda v: v.transpose((2, 0, 1)), B)
call("transpose", "list", lambda v: v.transpose([1, 2, 0]), B)
call("transpose", "None", lambda v: v.transpose(None), B)
call("transpose", "negative", lambda v: v.transpose(-1, 0, 1), B)
call("transpose", "negative-tuple", lambda v: v.transpose((0, -1, -2)), B)
call("T", "2d", lambda v: v.T, A)
call("mT", "3d", lambda v: v.mT, B)
call("swapaxes", "2d", lambda v: v.swapaxes(0, 1), A)
call("swapaxes", "negative", lambda v: v.swapaxes(-1, 0), B)
call("squeeze", "all", lambda v: v.squeeze(), A.reshape(3, 1, 4))
call("squeeze", "axis", lambda v: v.squeeze(axis=1), A.reshape(3, 1, 4))
call("squeeze", "axes", lambda v: v.squeeze((0, 2)), A.reshape(1, 12, 1))
call("ravel", "C", lambda v: v.ravel(), B)
call("ravel", "F", lambda v: v.ravel("F"), A)
call("flatten", "C", lambda v: v.flatten(), A)
call("flatten", "F", lambda v: v.flatten(order="F"), B)
call("flatten", "1d", lambda v: v.flatten() * v, V)
call("flat", "slice", lambda v: v.flat[2:7], A)
call("flat", "one", lambda v: v.flat[5] * v, A)
call("copy", "2d", lambda v: v.copy() * v, A)
call("copy", "order", lambda v: v.copy("F"), A)

# ----- selections by plain integers --------------------------------------------------------
call("take", "flat", lambda v: v.take([0, 5, 5, 11]), A)
call("take", "axis", lambda v: v.take([2, 0, 2], axis=1), A)
call("take", "2d-indices", lambda v: v.take(np.array([[0, 1], [2, 2]]), axis=0), A)
call("take", "scalar", lambda v: v.take(3) * v, A)
call("take", "wrap", lambda v: v.take([5, -1, 13], mode="wrap"), A)
call("take", "clip", lambda v: v.take([5, 20, -3], axis=1, mode="clip"), A)
call("repeat", "flat", lambda v: v.repeat(2), A)
call("repeat", "axis", lambda v: v.repeat(2, axis=0), A)
call("repeat", "counts", lambda v: v.repeat([1, 0, 3], axis=0), A)
call("compress", "axis0", lambda v: v.compress([True, False, True], axis=0), A)
call("compress", "axis1", lambda v: v.compress(np.array([1, 0, 1, 1], dtype=bool), axis=1), A)
call("compress", "flat-short", lambda v: v.compress([False, True, True]), A)
call("diagonal", "square", lambda v: v.diagonal(), M)
call("diagonal", "above", lambda v: v.diagonal(1), A)
call("diagonal", "below", lambda v: v.diagonal(-1), A)
call("diagonal", "3d", lambda v: v.diagonal(0, 1, 2), B)
call("diagonal", "3d-negative-axes", lambda v: v.diagonal(offset=1, axis1=-1, axis2=0), B)

# ----- no derivative: plain results --------------------------------------------------------
for pred in ("all", "any"):
    plain_call(pred, "mask", lambda v, p=pred: getattr(v > 0.0, p)(), A)
    plain_call(pred, "mask-axis", lambda v, p=pred: getattr(v > 0.0, p)(axis=0), A)
    plain_call(
        pred, "mask-axes-keep", lambda v, p=pred: getattr(v > 0.5, p)(axis=(0, 2), keepdims=True), B
    )
    plain_call(pred, "values", lambda v, p=pred: getattr(v, p)(), V)
for arg in ("argmax", "argmin"):
    plain_call(arg, "flat", lambda v, a=arg: getattr(v, a)(), A)
    plain_call(arg, "axis", lambda v, a=arg: getattr(v, a)(axis=1), A)
    plain_call(arg, "axis-keep", lambda v, a=arg: getattr(v, a)(axis=-1, keepdims=True), B)
plain_call("argsort", "default", lambda v: v.argsort(), A)
plain_call("argsort", "axis0-stable", lambda v: v.argsort(axis=0, kind="stable"), A)
plain_call("argsort", "flat", lambda v: v.argsort(axis=None), A)
plain_call("argsort", "stable-keyword", lambda v: v.argsort(stable=True), V)
plain_call("argpartition", "1d", lambda v: v.argpartition(2), V)
plain_call("argpartition", "axis", lambda v: v.argpartition(1, axis=0), A)
plain_call("argpartition", "kths", lambda v: v.argpartition((1, 3)), V)
plain_call("nonzero", "values", lambda v: v.nonzero(), V)
plain_call("nonzero", "mask", lambda v: (v > 0.0).nonzero(), A)
plain_call("item", "flat-index", lambda v: v.item(3), A)
plain_call("item", "multi-index", lambda v: v.item(1, 2), A)
plain_call("item", "tuple-index", lambda v: v.item((2, 3)), A)
plain_call("item", "one-element", lambda v: v[1:2, 2:3].item(), A)
plain_call("item", "mask", lambda v: (v > 0.0).item(5), A)
plain_call("tolist", "2d", lambda v: v.tolist(), A)
plain_call("tolist", "scalar", lambda v: v[0, 1].tolist(), A)
for attr in ("shape", "ndim", "size", "dtype", "itemsize", "nbytes", "device"):
    plain_call(attr, "attribute", lambda v, a=attr: getattr(v, a), A)
plain_call("to_device", "cpu", lambda v: v.to_device("cpu").shape, A)


REFUSED: dict[str, type[Exception]] = {
    **dict.fromkeys(
        [
            "byteswap",
            "choose",
            "dump",
            "dumps",
            "fill",
            "getfield",
            "itemset",
            "partition",
            "put",
            "resize",
            "searchsorted",
            "setfield",
            "setflags",
            "sort",
            "tobytes",
            "tofile",
            "view",
        ],
        TypeError,
    ),
    **dict.fromkeys(["base", "ctypes", "data", "flags", "strides"], AttributeError),
}
"""ndarray methods (TypeError when called) and attributes (AttributeError, so that
``hasattr`` stays False) that tape values refuse, with a message naming them."""

NDARRAY_METHODS = [m for m in dir(np.ndarray) if not m.startswith("_")]
ALL_CALLS = [c for calls in CALLS.values() for c in calls]
DIFFERENTIABLE_CALLS = [c for c in ALL_CALLS if c.differentiable]


def as_plain(r: Any) -> Any:
    """A result in plain form: a Var's value, a Dual's primal, tuples element by element."""
    if isinstance(r, tp.Var):
        return r.value
    if isinstance(r, tp.Dual):
        return r.primal
    if isinstance(r, tuple):
        return tuple(as_plain(e) for e in r)
    return r


def assert_same(ours: Any, numpy: Any, what: str, exact: bool) -> None:
    if isinstance(numpy, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(numpy), what
        for o, n in zip(ours, numpy, strict=True):
            assert_same(o, n, what, exact)
        return
    if isinstance(numpy, list | str | int | bool | np.dtype):
        assert ours == numpy and type(ours) is type(numpy), (what, ours, numpy)
        return
    o, n = np.asarray(ours), np.asarray(numpy)
    assert o.shape == n.shape, (what, o.shape, n.shape)
    assert o.dtype == n.dtype, (what, o.dtype, n.dtype)
    if exact:
        np.testing.assert_array_equal(o, n, err_msg=what)
    else:
        np.testing.assert_allclose(o, n, rtol=1e-13, atol=1e-15, err_msg=what)


# ----- the walk over NumPy's method list -----------------------------------------------------


def test_every_ndarray_method_is_supported_or_refused() -> None:
    unknown = [m for m in NDARRAY_METHODS if m not in CALLS and m not in REFUSED]
    assert not unknown, f"ndarray methods with neither a test call nor a refusal: {unknown}"
    assert not set(CALLS) & set(REFUSED)
    for values in (tp.Var(A), tp.Dual(A, np.ones_like(A))):
        for name in NDARRAY_METHODS:
            if name in CALLS:
                assert hasattr(values, name), f"{type(values).__name__}.{name} is missing"


@pytest.mark.parametrize("name", sorted(REFUSED))
@pytest.mark.parametrize("kind", ["Var", "Dual"])
def test_refused_methods_say_what_to_use(name: str, kind: str) -> None:
    v = tp.Var(A) if kind == "Var" else tp.Dual(A, np.ones_like(A))
    expected = REFUSED[name]
    with pytest.raises(expected) as info:
        member = getattr(v, name)  # attributes refuse here (AttributeError: hasattr is False)
        member()  # methods refuse when called
    message = str(info.value)
    assert f"ndarray.{name} is not supported on tape {kind}s: " in message, message
    assert len(message) > len(f"ndarray.{name} is not supported on tape {kind}s: ") + 20
    if expected is AttributeError:
        assert not hasattr(v, name)


def test_in_place_methods_point_to_new_values() -> None:
    v = tp.Var(A)
    with pytest.raises(TypeError, match=r"immutable.*tp\.Var\(np\.full"):
        v.fill(0.0)
    with pytest.raises(TypeError, match=r"np\.sort\(v, axis\) \(tp\.sort\)"):
        v.sort()
    with pytest.raises(TypeError, match=r"np\.partition\(v, kth, axis\)"):
        v.partition(1)
    with pytest.raises(TypeError, match=r"v\.reshape"):
        v.resize((2, 6))
    with pytest.raises(TypeError, match=r"tp\.where"):
        v.put([0], [1.0])
    with pytest.raises(TypeError, match=r"out=\.\.\.\) is not supported"):
        v.sum(out=np.empty(()))  # type: ignore[arg-type]
    np.testing.assert_array_equal(v.value, A)  # nothing was written


def test_the_differentiable_sort_the_refusal_recommends() -> None:
    def sort_rows(v: Any) -> Any:
        return np.sort(v, axis=1)

    got = sort_rows(tp.Var(A))
    assert isinstance(got, tp.Var)
    np.testing.assert_array_equal(got.value, np.sort(A, axis=1))
    check_grads(lambda v: sort_rows(v) * np.arange(4.0), [A], order=2)
    check_grads(lambda v: v[v.argsort()] * np.arange(6.0), [V + 0.05], order=2)


# ----- values are NumPy's, for a Var and for a Dual ------------------------------------------


@pytest.mark.parametrize("c", ALL_CALLS, ids=[c.id for c in ALL_CALLS])
def test_values_are_numpys(c: Call) -> None:
    numpy = c.fn(c.x)
    for v in (tp.Var(c.x), tp.Dual(c.x, np.ones_like(c.x))):
        ours = c.fn(v)
        if c.differentiable:
            assert type(ours) is type(v), f"{c.id}: {type(ours).__name__} from a {type(v).__name__}"
        else:
            assert not isinstance(ours, tp.Var | tp.Dual), c.id
        assert_same(as_plain(ours), numpy, c.id, exact=not c.differentiable)
    with tp.Tape():  # recording gives the same values
        assert_same(as_plain(c.fn(tp.Var(c.x))), numpy, c.id, exact=not c.differentiable)


@pytest.mark.parametrize("c", DIFFERENTIABLE_CALLS, ids=[c.id for c in DIFFERENTIABLE_CALLS])
def test_gradients_match_finite_differences_in_both_modes(c: Call) -> None:
    check_grads(c.fn, [c.x], order=c.order, modes=("fwd", "rev"), eps=c.eps, rtol=c.tol, atol=c.tol)


@pytest.mark.parametrize(
    "c",
    [c for c in ALL_CALLS if c.differentiable and c.order == 2][:40],
    ids=[c.id for c in ALL_CALLS if c.differentiable and c.order == 2][:40],
)
def test_forward_equals_reverse(c: Call) -> None:
    np.testing.assert_allclose(tp.jacfwd(c.fn)(c.x), tp.jacrev(c.fn)(c.x), rtol=1e-12, atol=1e-14)


# ----- calling conventions in detail ---------------------------------------------------------


def test_reshape_and_transpose_spellings_agree() -> None:
    v = tp.Var(B)
    forms = [v.reshape(4, 6), v.reshape((4, 6)), v.reshape([4, 6]), v.reshape(4, -1)]
    for f in forms:
        np.testing.assert_array_equal(f.value, B.reshape(4, 6))
    np.testing.assert_array_equal(v.reshape(-1).value, B.ravel())
    for t in [v.transpose(2, 0, 1), v.transpose((2, 0, 1)), v.transpose([-1, 0, 1])]:
        np.testing.assert_array_equal(t.value, B.transpose(2, 0, 1))
    with pytest.raises(TypeError, match="needs a shape"):
        v.reshape()
    with pytest.raises(ValueError, match="'C' and 'F'"):
        v.reshape(24, order="A")
    with pytest.raises(ValueError, match="out of bounds"):
        v.transpose(0, 1, 3)  # NumPy: AxisError, a ValueError
    with pytest.raises(ValueError):
        v.transpose(0, 1)
    with pytest.raises(ValueError, match="ndim < 2"):
        _ = tp.Var(V).mT


def test_reductions_take_numpys_positional_order() -> None:
    v = tp.Var(B)
    # a.sum(axis, dtype, out, keepdims)
    np.testing.assert_array_equal(v.sum(1, None, None, True).value, B.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(v.max(1, None, True).value, B.max(axis=1, keepdims=True))
    np.testing.assert_allclose(v.std(2, None, None, 1).value, B.std(axis=2, ddof=1), rtol=1e-14)
    with pytest.raises(ValueError, match="simultaneously"):
        v.var(ddof=1, correction=1)
    with pytest.raises(ValueError, match="one of max or min"):
        v.clip()


def test_copy_and_flatten_are_new_values() -> None:
    x = tp.Var(V)
    for c in (x.copy(), x.flatten(), x.astype(np.float64), x.reshape(6, copy=True)):
        assert c is not x
        np.testing.assert_array_equal(c.value, V)
    c = x.copy()
    x.value = np.zeros(6)  # reassigning the original leaves the copy alone
    np.testing.assert_array_equal(c.value, V)
    assert x.astype(np.float64, copy=False) is x
    with tp.Tape() as t:
        y = (x.copy() * 3.0).sum()
    assert [e.primitive for e in t][-3:] == ["copy", "multiply", "sum"]
    np.testing.assert_array_equal(t.gradient(y, x), np.full(6, 3.0))


def test_item_and_tolist_give_python_values() -> None:
    v = tp.Var(A)
    assert type(v.item(3)) is float and v.item(3) == A.item(3)
    assert type(v[0, 0].item()) is float
    assert (v > 0).item(5) is (A.item(5) > 0)
    with tp.Tape():
        assert (v > 0).item(5) is (A.item(5) > 0)  # a recorded mask: a guard, a Python bool
        assert (v[1, 2] > 0).item() is bool(A[1, 2] > 0)
    rows = v.tolist()
    assert rows == A.tolist() and isinstance(rows, list) and isinstance(rows[0], list)
    assert type(rows[0][0]) is float
    assert tp.Var(2.5).tolist() == 2.5
    assert tp.Dual(A, A).item(1, 1) == A[1, 1]
    with pytest.raises(ValueError):
        v.item()  # more than one element, as NumPy


def test_non_differentiable_results_are_copies() -> None:
    v = tp.Var(A)
    with tp.Tape() as t:
        i = v.argsort(axis=None)
        i[0] = 99  # the caller's array: what the guard saw is unchanged
        y = v.sum()
    guard = next(e for e in t if e.primitive == "guard")
    np.testing.assert_array_equal(guard.value, np.argsort(A, axis=None))
    assert y.value == pytest.approx(A.sum())


# ----- astype -----------------------------------------------------------------------------


def test_astype_float32_roundtrip_casts_the_cotangent_back() -> None:
    x64 = tp.Var(A)
    x32 = tp.Var(A.astype(np.float32))
    with tp.Tape(persistent=True) as t:
        y32 = x64.astype(np.float32)
        y64 = x32.astype(np.float64)
        s = (y32 * y32).sum() + (y64 * y64).sum()
    assert np.asarray(y32.value).dtype == np.float32
    assert np.asarray(y64.value).dtype == np.float64
    g64, g32 = (np.asarray(g) for g in t.gradient(s, [x64, x32]))
    assert g64.dtype == np.float64 and g32.dtype == np.float32
    np.testing.assert_allclose(g64, 2.0 * A.astype(np.float32), rtol=1e-7)
    np.testing.assert_allclose(g32, 2.0 * A.astype(np.float32), rtol=1e-7)
    # the rule itself: the cotangent goes back in the input's dtype
    row = tp.PRIMITIVES["astype"]
    vjp = row.vjp[0]
    assert vjp is not None
    back = vjp(np.ones(3, np.float32), None, np.ones(3), dtype=np.dtype(np.float32))
    assert back.dtype == np.float64
    # forward mode: the tangent is cast with the value
    d = tp.Dual(A, np.ones_like(A)).astype(np.float32)
    assert np.asarray(d.primal).dtype == np.float32 and np.asarray(d.tangent).dtype == np.float32


def test_astype_to_integer_or_bool_raises_and_a_mask_casts_to_floats() -> None:
    v = tp.Var(A)
    for dt in (np.int64, int, bool, np.uint8):
        with pytest.raises(TypeError, match=r"has no derivative.*round"):
            v.astype(dt)
    with pytest.raises(TypeError, match="according to the rule 'safe'"):
        v.astype(np.float32, casting="safe")  # as NumPy: float64 -> float32 is not safe
    with tp.Tape() as t:
        m = (v > 0.0).astype(np.float64)
        y = (m * v).sum()
    np.testing.assert_array_equal(m.value, (A > 0).astype(float))
    np.testing.assert_array_equal(t.gradient(y, v), (A > 0).astype(float))  # no derivative via m
    with tp.Tape():
        frac = (v > 0.0).mean()  # accuracy-style: a mask's mean is a float
        count = (v > 0.0).sum(axis=0)
    assert frac.value == pytest.approx(np.mean(A > 0))
    np.testing.assert_array_equal(count.value, np.sum(A > 0, axis=0).astype(float))


# ----- values that leave the tape: guards that a replay checks -------------------------------

X0 = np.array([0.3, -1.2, 2.0, 0.9, -0.5])
GUARDED: list[tuple[str, Fn, np.ndarray]] = [
    # name, the call, an input where its result differs from X0's
    ("argmax", lambda v: v.argmax(), np.array([0.3, -1.2, 0.0, 0.9, -0.5])),
    ("argmin", lambda v: v.argmin(), np.array([0.3, 1.2, 2.0, 0.9, -0.5])),
    ("argsort", lambda v: v.argsort(), np.array([0.3, -1.2, 2.0, -0.9, -0.5])),
    ("argpartition(kth=1)", lambda v: v.argpartition(1), np.array([0.3, -1.2, 2.0, 0.9, -2.5])),
    ("nonzero", lambda v: (v > 0.0).nonzero(), np.array([-0.3, -1.2, 2.0, 0.9, -0.5])),
    ("all", lambda v: (v > -2.0).all(), np.array([0.3, -2.2, 2.0, 0.9, -0.5])),
    ("any", lambda v: (v > 1.5).any(), np.array([0.3, -1.2, 1.0, 0.9, -0.5])),
    ("tolist", lambda v: v.tolist(), np.array([0.3, -1.2, 2.0, 0.9, -0.6])),
    ("float", lambda v: v[2].item(), np.array([0.3, -1.2, 2.5, 0.9, -0.5])),
    (
        "argmax(axis=0, keepdims=True)",
        lambda v: v.argmax(axis=0, keepdims=True),
        np.array([2.3, -1.2, 2.0, 0.9, -0.5]),
    ),
    ("argsort(axis=None)", lambda v: v.argsort(axis=None), np.array([0.3, -1.2, 2.0, -0.9, -0.5])),
    ("item(index=(2,))", lambda v: v.item(2), np.array([0.3, -1.2, 2.5, 0.9, -0.5])),
]


@pytest.mark.parametrize(("kind", "fn", "x_other"), GUARDED, ids=[g[0] for g in GUARDED])
def test_a_plain_result_is_a_guard_that_replay_checks(
    kind: str, fn: Fn, x_other: np.ndarray
) -> None:
    x = tp.Var(X0)
    with tp.Tape() as t:
        out = fn(x)
        y = tp.sum(x * x)
    assert not isinstance(out, tp.Var | tp.Dual)
    kinds = [e.params["kind"] for e in t if e.primitive == "guard"]
    assert kinds and kinds[-1] == kind, kinds
    prog = t.compile(inputs=[x], outputs=[y])
    same = X0 * 1.01  # same order, signs and ... (only tolist and item see every change)
    if kind.startswith(("tolist", "float", "item")):
        same = X0.copy()
    _, (g,) = prog.value_and_grad(same)
    np.testing.assert_allclose(g, 2.0 * same)
    assert prog(same) == pytest.approx(float(np.sum(same * same)))
    name = kind.split("(")[0]
    with pytest.raises(tp.TapeInvalidated, match=rf"guard at record \d+: {name}"):
        prog(x_other)
    with pytest.raises(tp.TapeInvalidated, match=name):
        prog.value_and_grad(x_other)


def test_guards_outside_a_tape_and_on_duals_record_nothing() -> None:
    d = tp.Dual(X0, np.ones(5))
    assert d.argmax() == 2 and bool((d > 0.0).any())
    with tp.Tape() as t:
        _ = d.argsort()  # a Dual is not on the tape: nothing to guard
    assert len(t) == 0


def test_an_index_from_argmax_keeps_the_gradient_exact() -> None:
    def f(v: Any) -> Any:
        return v[v.argmax()] ** 2 + v.max() * v[v.argmin()]

    check_grads(f, [X0], order=2)
    x = tp.Var(X0)
    with tp.Tape() as t:
        y = f(x)
    g = np.zeros(5)
    g[2] = 2 * 2.0 + (-1.2)
    g[1] = 2.0
    np.testing.assert_allclose(t.gradient(y, x), g)


# ----- the NumPy functions of the same names ---------------------------------------------------

NUMPY_FUNCTIONS: list[tuple[str, Fn, np.ndarray, bool]] = [
    ("cumsum", lambda v: np.cumsum(v, axis=1), A, True),
    ("round", lambda v: np.round(v, 1) * v, OFF_STEPS, True),
    ("around", lambda v: np.around(v) * v, OFF_STEPS, True),
    ("ravel", lambda v: np.ravel(v, order="F"), A, True),
    ("diagonal", lambda v: np.diagonal(v, 1), A, True),
    ("trace", lambda v: np.trace(v), M, True),
    ("take", lambda v: np.take(v, [0, 3, 3], axis=1), A, True),
    ("take_along_axis", lambda v: np.take_along_axis(v, np.argsort(A, axis=0), 0), A, True),
    ("repeat", lambda v: np.repeat(v, 2, axis=1), A, True),
    ("compress", lambda v: np.compress([True, False, True], v, axis=0), A, True),
    ("copy", lambda v: np.copy(v) * v, A, True),
    ("astype", lambda v: np.astype(v, np.float64) * v, A, True),
    ("real", lambda v: np.real(v) * v, A, True),
    ("var-ddof", lambda v: np.var(v, axis=0, ddof=1), A, True),
    ("std-correction", lambda v: np.std(v, axis=-1, correction=1), B, True),
    ("sum-dtype", lambda v: np.sum(v, axis=(0, 1), keepdims=True), B, True),
    ("clip-keywords", lambda v: np.clip(v, a_min=-0.55, a_max=0.45), A, True),
    ("permute_dims", lambda v: np.permute_dims(v, (2, 0, 1)), B, True),
    ("matrix_transpose", lambda v: np.matrix_transpose(v), B, True),
    ("argmax", lambda v: np.argmax(v, axis=0), A, False),
    ("argsort", lambda v: np.argsort(v), A, False),
    ("nonzero", lambda v: np.nonzero(v), V, False),
    ("all", lambda v: np.all(v > 0.0, axis=1), A, False),
    ("any", lambda v: np.any(v > 1.0), A, False),
    ("size", lambda v: np.size(v, 1), A, False),
    ("imag", lambda v: np.imag(v), A, False),
    ("where-condition-only", lambda v: np.where(v > 0.0), A, False),
    ("isclose", lambda v: np.isclose(v, A[0] + 1e-9, atol=0.0, rtol=1e-6), A, False),
    (
        "isclose-equal_nan",
        lambda v: np.isclose(
            np.where(v > 0.0, np.nan, v), np.where(A > 1.0, np.nan, A), equal_nan=True
        ),
        A,
        False,
    ),
    ("allclose", lambda v: np.allclose(v, A + 1e-12), A, False),
    ("count_nonzero", lambda v: np.count_nonzero(v > 0.0), A, False),
    ("count_nonzero-axis", lambda v: np.count_nonzero(v > 0.0, axis=0, keepdims=True), A, False),
    ("searchsorted", lambda v: np.searchsorted(np.sort(V), v), V, False),
    (
        "searchsorted-right",
        lambda v: np.searchsorted(v, [-0.4, 0.25, 9.0], side="right"),
        np.sort(V),
        False,
    ),
    ("zeros_like", lambda v: np.zeros_like(v), A, False),
    ("ones_like", lambda v: np.ones_like(v, shape=(2,)), A, False),
    ("full_like", lambda v: np.full_like(v, 2.5), A, False),
]


@pytest.mark.parametrize(
    ("name", "fn", "x", "diff"), NUMPY_FUNCTIONS, ids=[n[0] for n in NUMPY_FUNCTIONS]
)
def test_numpy_functions_reach_the_methods(name: str, fn: Fn, x: np.ndarray, diff: bool) -> None:
    numpy = fn(x)
    ours = fn(tp.Var(x))
    if name == "imag":
        assert isinstance(ours, tp.Var)
        np.testing.assert_array_equal(ours.value, numpy)
        return
    assert_same(as_plain(ours), numpy, name, exact=not diff)
    if diff:
        assert isinstance(ours, tp.Var)
        check_grads(fn, [x], order=2)


def test_supported_numpy_lists_only_rules() -> None:
    listed = set(tp.SUPPORTED_NUMPY)
    for name in ["np.cumsum", "np.round", "np.take_along_axis", "np.astype", "np.trace"]:
        assert name in listed, name
    for name in ["np.shape", "np.ndim", "np.size", "np.argmax", "np.nonzero", "np.all"]:
        assert name not in listed, name  # they work on a Var, but have no derivative
    assert set(N.SUPPORTED_FUNCTIONS) <= listed and set(N.SUPPORTED_UFUNCS) <= listed


def test_the_new_rows_replay() -> None:
    def f(v: Any) -> Any:
        a = v.astype(np.float32).astype(np.float64)
        b = a.cumsum(axis=1).round(1).copy() * v
        return (b + v.take([0, 2], axis=1).repeat(2, axis=0).sum() * v.diagonal().sum()).sum()

    x = tp.Var(A[:2, :3].copy())
    with tp.Tape() as t:
        y = f(x)
    prog = t.compile(inputs=[x], outputs=[y])
    x1 = A[1:, 1:] * 0.7
    value, (g,) = prog.value_and_grad(x1)
    want_value, want_g = tp.value_and_grad(f)(x1)
    assert value == pytest.approx(float(want_value), rel=1e-12)
    np.testing.assert_allclose(g, want_g, rtol=1e-12)
    np.testing.assert_allclose(
        prog.hvp(x1, np.ones((2, 3))), tp.hvp(f, x1, np.ones((2, 3))), rtol=1e-12
    )


def test_plain_helpers_on_a_tape_leave_guards_and_records_that_replay_checks() -> None:
    """count_nonzero and searchsorted leave guards (a replay where they change raises);
    isclose is recorded comparisons, so a replay recomputes its mask."""
    x = tp.Var(np.array([0.7, -1.2, 0.0, 2.3]))
    with tp.Tape(persistent=True) as t:
        n = np.count_nonzero(x > 0.0)
        k = np.searchsorted(x, 0.5)
        close = np.isclose(x, 0.0)
        assert isinstance(close, tp.Var)
        y = tp.sum(tp.where(close, 0.0, x * x)) * float(n + k)
    assert (int(n), int(k)) == (2, 2)
    prog = t.compile([x], [y])

    moved = np.array([0.0, -1.2, 0.5, 2.3])  # same counts, the zero elsewhere
    value, (grad,) = prog.value_and_grad(moved)
    np.testing.assert_allclose(value, (1.44 + 0.25 + 2.3**2) * 4.0)
    np.testing.assert_allclose(grad, np.where(moved == 0.0, 0.0, 2.0 * moved) * 4.0)

    with pytest.raises(tp.TapeInvalidated, match="count_nonzero"):
        prog.value_and_grad(np.array([0.7, 1.2, 0.0, 2.3]))
