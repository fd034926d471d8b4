"""Property tests: forward mode against reverse mode on random compositions of primitives.

Hypothesis draws two inputs (Python floats or float64 arrays of small random shapes, the
second broadcastable against the first) and a random straight-line program over them:
unary elementwise functions, broadcasting binary operations (with the other input, with
the input itself, with a constant or with a reduction of the running value), reductions
over random axes (with and without keepdims), matmul with 1-d, 2-d and batched operands,
reshape and transpose. Each program is differentiated both ways:

- ``tp.jacfwd`` (one vector-mode pass) == ``tp.jacrev`` (one sweep per output), rtol 1e-9;
- ⟨J v, u⟩ from ``tp.jvp`` == ⟨v, Jᵀ u⟩ from ``tp.vjp`` for random u, v.

Domains are safe by construction: log and sqrt only see 1 + h² or exp(tanh h), division is
by 1 + h², products and exponentials see tanh-squashed operands, and whenever the running
bound on |h| would pass ``BOUND`` the value is squashed by tanh first. Kinks and ties (abs,
relu, maximum, max) need no care here: both modes follow the same convention there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tape as tp

N_COMPOSITIONS = 200
"""Random programs whose jacfwd and jacrev are compared."""
N_TRANSPOSE = 200
"""Random programs whose jvp and vjp are compared through ⟨J v, u⟩ = ⟨v, Jᵀ u⟩."""

BOUND = 8.0
"""The running value is squashed by tanh before its bound on |h| could pass this."""
MAX_SIZE = 48
"""No intermediate value has more elements than this."""
RTOL = 1e-9

Shape = tuple[int, ...]
Step = Callable[[Any, Any, Any], Any]  # (h, x, y) -> new h


def reproducible(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@dataclass(frozen=True)
class Program:
    """x, y -> h: ``steps`` applied in turn to h = first(x, y)."""

    x: tp.Value
    y: tp.Value
    texts: tuple[str, ...]
    steps: tuple[Step, ...]

    def __call__(self, x: Any, y: Any) -> Any:
        h = x
        for step in self.steps:
            h = step(h, x, y)
        return h

    def __repr__(self) -> str:
        return f"Program(x={self.x!r}, y={self.y!r}, steps={' ; '.join(self.texts)})"


# ----- the pieces ------------------------------------------------------------------------------

# Unary elementwise: (name, function, bound of the output given the input's bound b).
UNARY: list[tuple[str, Step, Callable[[float], float]]] = [
    ("sin", lambda h, x, y: tp.sin(h), lambda b: 1.0),
    ("cos", lambda h, x, y: tp.cos(h), lambda b: 1.0),
    ("tanh", lambda h, x, y: tp.tanh(h), lambda b: 1.0),
    ("sigmoid", lambda h, x, y: tp.sigmoid(h), lambda b: 1.0),
    ("softplus", lambda h, x, y: tp.softplus(h), lambda b: b + 1.0),
    ("exp∘tanh", lambda h, x, y: tp.exp(tp.tanh(h)), lambda b: math.e),
    ("log(1+h²)", lambda h, x, y: tp.log(tp.square(h) + 1.0), lambda b: math.log1p(b * b)),
    ("log∘exp∘tanh", lambda h, x, y: tp.log(tp.exp(tp.tanh(h))), lambda b: 1.0),
    ("sqrt(1+h²)", lambda h, x, y: tp.sqrt(tp.square(h) + 1.0), lambda b: math.sqrt(1 + b * b)),
    ("square", lambda h, x, y: tp.square(h), lambda b: b * b),
    ("neg", lambda h, x, y: -h, lambda b: b),
    ("abs", lambda h, x, y: tp.abs(h), lambda b: b),
    ("relu", lambda h, x, y: tp.relu(h), lambda b: b),
    ("expm1∘tanh", lambda h, x, y: tp.expm1(tp.tanh(h)), lambda b: math.e),
    ("log1p∘sigmoid", lambda h, x, y: tp.log1p(tp.sigmoid(h)), lambda b: 1.0),
    ("h**3", lambda h, x, y: h**3.0, lambda b: b**3),
    ("2**tanh", lambda h, x, y: 2.0 ** tp.tanh(h), lambda b: 2.0),
]


def _shape_of(v: Any) -> Shape:
    return tuple(v.shape) if isinstance(v, tp.Var | tp.Dual) else np.shape(v)


def _alternate(a: Any, b: Any) -> Any:
    """where(mask, a, b) with a fixed checkerboard-like mask of the broadcast shape."""
    shape = np.broadcast_shapes(_shape_of(a), _shape_of(b))
    mask = (np.arange(math.prod(shape)) % 2 == 0).reshape(shape)
    return tp.where(mask, a, b)


# Binary broadcasting: (name, function of (a, b), bound given the operands' bounds).
BINARY: list[tuple[str, Callable[[Any, Any], Any], Callable[[float, float], float]]] = [
    ("+", lambda a, b: a + b, lambda p, q: p + q),
    ("-", lambda a, b: a - b, lambda p, q: p + q),
    ("*", lambda a, b: a * b, lambda p, q: p * q),
    ("/(1+b²)", lambda a, b: a / (tp.square(b) + 1.0), lambda p, q: p),
    ("maximum", tp.maximum, lambda p, q: max(p, q)),
    ("minimum", tp.minimum, lambda p, q: max(p, q)),
    ("(1+a²)**tanh b", lambda a, b: (tp.square(a) + 1.0) ** tp.tanh(b), lambda p, q: 1 + p * p),
    ("where", lambda a, b: _alternate(a, b), lambda p, q: max(p, q)),
]

REDUCTIONS: list[tuple[str, Callable[..., Any], Callable[[float, int], float]]] = [
    ("sum", tp.sum, lambda b, n: b * n),
    ("mean", tp.mean, lambda b, n: b),
    ("max", tp.max, lambda b, n: b),
    ("min", tp.min, lambda b, n: b),
    ("logsumexp", tp.logsumexp, lambda b, n: b + math.log(n)),
    ("prod∘tanh", lambda h, axis, keepdims: tp.prod(tp.tanh(h), axis=axis, keepdims=keepdims),
     lambda b, n: 1.0),
]  # fmt: skip


def _size(shape: Shape) -> int:
    return math.prod(shape)


def _broadcast(a: Shape, b: Shape) -> Shape | None:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


# ----- the steps of a program: functions of (h, x, y), with their constants bound first -------

Binop = Callable[[Any, Any], Any]


def _first(f: Binop, h: Any, x: Any, y: Any) -> Any:
    return f(h, y)


def _squash(h: Any, x: Any, y: Any) -> Any:
    return tp.tanh(h)


def _with_input(f: Binop, which: str, swap: bool, h: Any, x: Any, y: Any) -> Any:
    other = x if which == "x" else y
    return f(other, h) if swap else f(h, other)


def _with_const(f: Binop, c: tp.Array, h: Any, x: Any, y: Any) -> Any:
    return f(h, c)


def _with_reduced(f: Binop, axis: int, h: Any, x: Any, y: Any) -> Any:
    return f(h, tp.mean(h, axis=axis, keepdims=True))


def _reduce(f: Callable[..., Any], axis: Any, keepdims: bool, h: Any, x: Any, y: Any) -> Any:
    return f(h, axis=axis, keepdims=keepdims)


def _matmul_right(m: tp.Array, h: Any, x: Any, y: Any) -> Any:
    return h @ m


def _matmul_left(m: tp.Array, h: Any, x: Any, y: Any) -> Any:
    return tp.matmul(m, h)


def _gram(h: Any, x: Any, y: Any) -> Any:
    return h @ tp.swapaxes(h, -1, -2)


def _dot_self(h: Any, x: Any, y: Any) -> Any:
    return h @ h


def _reshape(shape: Shape, h: Any, x: Any, y: Any) -> Any:
    return tp.reshape(h, shape)


def _transpose(perm: Shape, h: Any, x: Any, y: Any) -> Any:
    return tp.transpose(h, perm)


@st.composite
def input_shapes(draw: st.DrawFn) -> tuple[Shape | None, Shape | None]:
    """x's shape (None: a Python float) and y's, broadcastable against x's."""
    ndim = draw(st.integers(0, 3))
    if ndim == 0:
        sx: Shape | None = draw(st.sampled_from([None, (1,), (2,)]))
    else:
        sx = tuple(draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim)))
    base = () if sx is None else sx
    keep = draw(st.integers(0, len(base)))
    sy_list = [n if draw(st.booleans()) else 1 for n in base[len(base) - keep :]]
    sy: Shape | None = tuple(sy_list)
    if sy == () and draw(st.booleans()):
        sy = None
    return sx, sy


def _value(draw: st.DrawFn, shape: Shape | None) -> tp.Value:
    elems = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    if shape is None:
        return float(draw(elems))
    return draw(hnp.arrays(np.float64, shape, elements=elems))


@st.composite
def programs(draw: st.DrawFn) -> Program:
    sx, sy = draw(input_shapes())
    x, y = _value(draw, sx), _value(draw, sy)
    shape_x: Shape = () if sx is None else sx
    shape_y: Shape = () if sy is None else sy
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    texts: list[str] = []
    steps: list[Step] = []
    b_x, b_y = 2.0, 2.0

    def add(text: str, step: Step) -> None:
        texts.append(text)
        steps.append(step)

    # First step: combine x with y, so that both inputs matter.
    name, fn, bnd = draw(st.sampled_from(BINARY[:4]))
    add(f"x {name} y", partial(_first, fn))
    shape = _broadcast(shape_x, shape_y)
    assert shape is not None
    bound = bnd(b_x, b_y)

    n_steps = draw(st.integers(1, 6))
    for _ in range(n_steps):
        if bound > BOUND:
            add("tanh", _squash)
            bound = 1.0
        kind = draw(
            st.sampled_from(["unary", "binary", "reduce", "matmul", "reshape", "transpose"])
        )
        if kind == "unary":
            name, ufn, ubnd = draw(st.sampled_from(UNARY))
            if ubnd(bound) > 50 * BOUND:
                continue
            add(name, ufn)
            bound = ubnd(bound)
        elif kind == "binary":
            name, bfn, bbnd = draw(st.sampled_from(BINARY))
            partner = draw(st.sampled_from(["x", "y", "const", "reduced"]))
            if partner == "x" or partner == "y":
                pshape = shape_x if partner == "x" else shape_y
                new = _broadcast(shape, pshape)
                if new is None or _size(new) > MAX_SIZE:
                    continue
                pb = b_x if partner == "x" else b_y
                swap = draw(st.booleans())
                add(
                    f"{partner} {name} h" if swap else f"h {name} {partner}",
                    partial(_with_input, bfn, partner, swap),
                )
                bound = bbnd(pb, bound) if swap else bbnd(bound, pb)
                shape = new
            elif partner == "const":
                cshape = tuple(n if rng.random() < 0.5 else 1 for n in shape)
                if cshape and rng.random() < 0.3:
                    cshape = cshape[1:]  # fewer axes: broadcast from the left
                elif rng.random() < 0.3 and _size(shape) * 2 <= MAX_SIZE:
                    cshape = (2, *cshape)  # a new leading axis: the result grows
                c = rng.uniform(-1.5, 1.5, cshape)
                new = _broadcast(shape, cshape)
                assert new is not None
                add(f"h {name} const{cshape}", partial(_with_const, bfn, c))
                shape, bound = new, bbnd(bound, 1.5)
            else:  # with a reduction of h itself (keepdims, so it broadcasts back)
                if not shape:
                    continue
                along = int(rng.integers(-len(shape), len(shape)))
                add(f"h {name} mean(h, {along})", partial(_with_reduced, bfn, along))
                bound = bbnd(bound, bound)
        elif kind == "reduce":
            if not shape:
                continue
            name, rfn, rbnd = draw(st.sampled_from(REDUCTIONS))
            n_axes = draw(st.integers(0, len(shape)))
            axes = tuple(sorted(rng.choice(len(shape), size=n_axes, replace=False).tolist()))
            axis: int | tuple[int, ...] | None
            if n_axes == 0:
                axis = None
            elif n_axes == 1 and draw(st.booleans()):
                axis = axes[0] - len(shape) if draw(st.booleans()) else axes[0]
            else:
                axis = axes
            keepdims = draw(st.booleans())
            add(
                f"{name}(h, axis={axis}, keepdims={keepdims})",
                partial(_reduce, rfn, axis, keepdims),
            )
            red = set(range(len(shape))) if axis is None else {
                a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))
            }  # fmt: skip
            count = _size(tuple(shape[i] for i in red))
            shape = tuple(
                1 if i in red else n for i, n in enumerate(shape) if keepdims or i not in red
            )
            bound = rbnd(bound, max(count, 1))
        elif kind == "matmul":
            if not shape:
                continue
            form = draw(st.sampled_from(["right", "left", "gram", "vector"]))
            k = int(rng.integers(1, 4))
            if form == "right":  # (..., n) @ (n, k) or (n,) @ (n, k)
                m = rng.uniform(-1.0, 1.0, (shape[-1], k))
                add(f"h @ M{m.shape}", partial(_matmul_right, m))
                new_shape = (*shape[:-1], k)
                bound *= shape[-1]
            elif form == "left":  # (k, m) @ (..., m, n), or (k, n) @ (n,)
                rows = shape[-2] if len(shape) >= 2 else shape[-1]
                m = rng.uniform(-1.0, 1.0, (k, rows))
                add(f"M{m.shape} @ h", partial(_matmul_left, m))
                new_shape = (*shape[:-2], k, shape[-1]) if len(shape) >= 2 else (k,)
                bound *= rows
            elif form == "gram":  # (..., m, n) @ (..., n, m), or (n,) @ (n,)
                if len(shape) >= 2:
                    add("h @ hᵀ", _gram)
                    new_shape = (*shape[:-1], shape[-2])
                else:
                    add("h @ h", _dot_self)
                    new_shape = ()
                bound = bound * bound * shape[-1]
            else:  # batched: (b, ..., n) @ (n,) from a constant stack
                v = rng.uniform(-1.0, 1.0, (shape[-1],))
                add(f"h @ v{v.shape}", partial(_matmul_right, v))
                new_shape = shape[:-1]
                bound *= shape[-1]
            if _size(new_shape) > MAX_SIZE:
                texts.pop()
                steps.pop()
                continue
            shape = new_shape
        elif kind == "reshape":
            if not shape:
                add("reshape (1, 1)", partial(_reshape, (1, 1)))
                shape = (1, 1)
                continue
            n = _size(shape)
            divisors = [d for d in range(1, n + 1) if n % d == 0]
            d = int(rng.choice(divisors))
            target = draw(st.sampled_from([(n,), (d, n // d), (n // d, 1, d)]))
            add(f"reshape {target}", partial(_reshape, target))
            shape = target
        else:  # transpose
            if len(shape) < 2:
                continue
            perm = tuple(int(i) for i in rng.permutation(len(shape)))
            add(f"transpose {perm}", partial(_transpose, perm))
            shape = tuple(shape[i] for i in perm)
    return Program(x, y, tuple(texts), tuple(steps))


def _plain(v: Any) -> tp.Array:
    return np.asarray(v.value if isinstance(v, tp.Var) else v, dtype=np.float64)


def _scale(*arrays: Any) -> float:
    return max([1.0] + [float(np.max(np.abs(a))) for a in arrays if np.size(a)])


@reproducible(N_COMPOSITIONS)
@given(programs())
def test_jacfwd_equals_jacrev(p: Program) -> None:
    fwd = tp.jacfwd(p, (0, 1))(p.x, p.y)
    rev = tp.jacrev(p, (0, 1))(p.x, p.y)
    out_shape = _plain(p(tp.Var(p.x), tp.Var(p.y))).shape
    for k, a in enumerate((p.x, p.y)):
        assert np.shape(fwd[k]) == out_shape + np.shape(a)
        assert np.shape(rev[k]) == out_shape + np.shape(a)
        assert np.all(np.isfinite(fwd[k])), "the program left its safe domain"
        np.testing.assert_allclose(
            fwd[k], rev[k], rtol=RTOL, atol=1e-12 * _scale(fwd[k], rev[k]), err_msg=repr(p)
        )


@reproducible(N_TRANSPOSE)
@given(programs(), st.integers(0, 2**32 - 1))
def test_jvp_is_the_transpose_of_vjp(p: Program, seed: int) -> None:
    rng = np.random.default_rng(seed)

    def like(a: Any) -> tp.Value:
        r = rng.standard_normal(np.shape(a))
        return float(r) if isinstance(a, float) else r

    vx, vy = like(p.x), like(p.y)
    out, jv = tp.jvp(p, (p.x, p.y), (vx, vy))
    want = _plain(p(tp.Var(p.x), tp.Var(p.y)))
    np.testing.assert_allclose(out, want, rtol=1e-14, atol=1e-14)
    assert np.shape(jv) == want.shape
    u = rng.standard_normal(want.shape)
    out2, back = tp.vjp(p, p.x, p.y)
    np.testing.assert_allclose(out2, want, rtol=1e-14, atol=1e-14)
    cx, cy = back(float(u) if want.shape == () else u)
    assert np.shape(cx) == np.shape(p.x) and np.shape(cy) == np.shape(p.y)
    terms = [np.asarray(jv) * u, -np.asarray(vx) * cx, -np.asarray(vy) * cy]
    total = sum(float(np.sum(t)) for t in terms)
    scale = sum(float(np.sum(np.abs(t))) for t in terms)
    assert np.isfinite(scale), repr(p)
    assert abs(total) <= RTOL * scale + 1e-300, (total, scale, repr(p))
