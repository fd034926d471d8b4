"""How much of the NumPy that HIPS autograd's own tests differentiate tape differentiates.

The universe is every NumPy function, ufunc and ``np.linalg`` function that autograd's
``tests/test_numpy.py``, ``tests/test_systematic.py`` and ``tests/test_linalg.py``
differentiate on real inputs (complex-only tests, ``np.random``, input constructors,
dtypes and test plumbing left out). Each function has probes that re-express autograd's
tests on tape, at the shapes, axes, keyword arguments and input domains autograd uses (every
combination where autograd's ``combo_check`` runs several). Each probe runs

- ``check_grads(f, args, order=2, modes=("fwd", "rev"))`` (reverse, forward, forward over
  reverse and reverse over reverse against central finite differences); when it fails, the
  first-order checks again one mode at a time, to say which stage failed;
- a replay check: ``tp.sum(f(*xs) * w)`` (w fixed and random) recorded on a persistent tape,
  ``t.compile(xs, [y])``, and ``prog.value_and_grad`` at a nearby point against a fresh
  recording there, to 1e-10.

A function passes when every stage of every one of its probes passes. Things autograd's tests
differentiate that are not NumPy functions (methods, indexing, ``np.r_``/``np.c_``, the
builtin ``sum``, lists of Vars as arguments) are measured too, in a separate table that the
total does not count.

Usage, from the repository root::

    .venv/bin/python scripts/autograd_coverage.py

It prints the report and writes it to ``docs/autograd_coverage.md``.
"""

from __future__ import annotations

import datetime
import itertools
import operator
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this checkout's tape, not an installed copy

import numpy as np  # noqa: E402

import tape as tp  # noqa: E402
from tape.testing import check_grads  # noqa: E402

AUTOGRAD = Path("/work/.mirror/HIPS+autograd/repo")
AUTOGRAD_COMMIT = "bff107b8d71a444a1160deade3e1cbd0b92f4fa6"  # the tests the probes re-express
OUT = ROOT / "docs" / "autograd_coverage.md"
PROBE_SECONDS = 20  # a probe still running after this long fails with TimeoutError
BUDGET_SECONDS = 150  # probes not started by then fail unrun, so that a run stays under 3 min
REPLAY_TOL = 1e-10

SYS = "test_systematic.py"
NUM = "test_numpy.py"
LIN = "test_linalg.py"

Fn = Callable[..., Any]

# ----- inputs ----------------------------------------------------------------------------------

_rng = np.random.default_rng(0)


def R(*shape: int) -> Any:
    """Standard normal values of a shape (a float for no shape), as autograd's ``npr.randn``."""
    if not shape:
        return float(_rng.standard_normal())
    return _rng.standard_normal(shape)


def U(lims: Sequence[float], *shape: int) -> Any:
    """Uniform values in ``lims`` (autograd's ``transform(lims, npr.rand(...))``)."""
    lo, hi = lims
    if not shape:
        return float(lo + (hi - lo) * _rng.random())
    return lo + (hi - lo) * _rng.random(shape)


def RC(*shape: int, min_sv: float = 0.5) -> Any:
    """R(*shape), drawn again until every matrix in it has singular values ≥ ``min_sv``:
    pinv's second derivatives grow as 1/σ³, past what central differences resolve."""
    while True:
        a = R(*shape)
        if np.min(np.linalg.svd(a, compute_uv=False)) >= min_sv:
            return a


def psd(d: int) -> Any:
    """autograd's ``rand_psd``: M Mᵀ for a standard normal M."""
    m = R(d, d)
    return m @ m.T


def join(*outs: Any) -> Any:
    """Several outputs (a tuple, a list of pieces) as one flat tape value."""
    return tp.concatenate([tp.reshape(o, (-1,)) for o in outs])


def T(a: Any) -> Any:
    return np.swapaxes(a, -1, -2)


# ----- probes ----------------------------------------------------------------------------------


@dataclass
class Probe:
    label: str
    f: Fn
    args: tuple[Any, ...]


@dataclass
class Entry:
    name: str
    files: str
    probes: list[Probe]
    note: str = ""


def _shape(a: Any) -> str:
    if np.ndim(a) == 0 and not isinstance(a, np.ndarray):
        return "scalar"
    return str(tuple(np.shape(a))).replace(",)", ")")


def _kw(kw: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kw.items())


def P(fn: Fn, *args: Any, label: str = "", **kw: Any) -> Probe:
    """A probe of ``fn(*args, **kw)``, differentiated with respect to every positional arg."""
    if not label:
        label = " × ".join(_shape(a) for a in args) + (f" {_kw(kw)}" if kw else "")
    return Probe(label, lambda *xs: fn(*xs, **kw), args)


def combo(
    fn: Fn, argnums: Sequence[int], *options: Sequence[Any], **kw_options: Sequence[Any]
) -> list[Probe]:
    """autograd's ``combo_check(fn, argnums)(*options, **kw_options)``: a probe for every
    combination of the positional options and keyword options, differentiated with respect
    to the positional arguments in ``argnums`` (the others are held constant)."""
    keys = list(kw_options)
    probes = []
    for args in itertools.product(*options):
        for values in itertools.product(*(kw_options[k] for k in keys)):
            kw = dict(zip(keys, values, strict=True))

            def f(*xs: Any, args: tuple[Any, ...] = args, kw: dict[str, Any] = kw) -> Any:
                full = list(args)
                for i, x in zip(argnums, xs, strict=True):
                    full[i] = x
                return fn(*full, **kw)

            label = " × ".join(_shape(a) if i in argnums else repr(a) for i, a in enumerate(args))
            probes.append(
                Probe(label + (f" {_kw(kw)}" if kw else ""), f, tuple(args[i] for i in argnums))
            )
    return probes


def stat(fn: Fn) -> list[Probe]:
    """autograd's ``stat_check`` on real inputs: two scalars; (3,), (2,3), (1,3) over
    axis None and 0 and keepdims; (2,3), (1,3) over axis 1 too."""
    B, C, D = R(3), R(2, 3), R(1, 3)
    return [
        *combo(fn, [0], [3.5, R()]),
        *combo(fn, [0], [B, C, D], axis=[None, 0], keepdims=[True, False]),
        *combo(fn, [0], [C, D], axis=[1], keepdims=[True, False]),
    ]


def unary(fn: Fn, lims: Sequence[float] = (-2.0, 2.0)) -> list[Probe]:
    """autograd's ``unary_ufunc_check`` on real inputs: a scalar, (2,), (3,2) and (1,2)."""
    return combo(fn, [0], [U(lims), U(lims, 2), U(lims, 3, 2), U(lims, 1, 2)])


def _tr(lims: Sequence[float], x: Any) -> Any:
    return x * (lims[1] - lims[0]) + lims[0]


def binary(
    fn: Fn,
    la: Sequence[float] = (-2.0, 2.0),
    lb: Sequence[float] = (-2.0, 2.0),
    same_args: bool = True,
) -> list[Probe]:
    """autograd's ``binary_ufunc_check`` (``same_args=False``: ``binary_ufunc_check_no_same_args``)
    on real inputs: every pair of a scalar, (2,), (3,2) and (1,2). As in autograd, both
    sides are the same draws transformed to their ranges (``_no_same_args``: fresh draws)."""
    base = [0.6, _rng.random(2), _rng.random((3, 2)), _rng.random((1, 2))]
    other = base if same_args else [0.7, _rng.random(2), _rng.random((3, 2)), _rng.random((1, 2))]
    return combo(fn, [0, 1], [_tr(la, x) for x in base], [_tr(lb, x) for x in other])


def reduction_on_plain(fn: Fn) -> Probe:
    """test_plain_numpy_reductions_on_box: ``fn(np.exp(a) * base)`` at a = 0.7."""
    base = np.abs(R(5)) + 0.5
    return Probe("exp(a)·base, a=0.7", lambda a: fn(np.exp(a) * base), (0.7,))


def universe() -> list[Entry]:
    """Every NumPy function autograd's three test files differentiate on real inputs."""
    E = Entry
    fn: Fn  # the function under test, in the loops below
    entries: list[Entry] = []
    add = entries.append
    both = f"{SYS}, {NUM}"

    # --- statistics (test_systematic's stat_check; test_numpy's own tests) ---
    def m2(x: Any) -> Any:
        return tp.array([[x, x], [x, 0.5]])

    def m3(x: Any) -> Any:
        return tp.array([[x, x, x], [x, 0.5, 0.5], [0.5, 0.5, 0.5], [x, x, 0.5]])

    add(
        E(
            "np.max",
            both,
            [
                *stat(np.max),
                P(np.max, R(10, 11)),
                P(np.max, R(3, 4, 5), axis=1),
                P(np.max, R(3, 4, 5), axis=1, keepdims=True),
                reduction_on_plain(np.max),
                Probe("max([x, x]) (tie)", lambda x: np.max(tp.array([x, x])), (1.0,)),
                *(
                    Probe(
                        f"max([[x, x], [x, .5]], axis=1) (ties), x={v}",
                        lambda x: np.max(m2(x), axis=1),
                        (v,),
                    )
                    for v in (1.0, -1.0)
                ),
            ],
        )
    )
    add(
        E(
            "np.mean",
            both,
            [
                *stat(np.mean),
                *combo(np.mean, [0], [R(10, 11)], axis=[None, 0], keepdims=[False, True]),
            ],
        )
    )
    add(
        E(
            "np.min",
            both,
            [
                *stat(np.min),
                P(np.min, R(10, 11)),
                P(np.min, R(3, 4, 5), axis=1),
                P(np.min, R(3, 4, 5), axis=1, keepdims=True),
                reduction_on_plain(np.min),
                *(
                    Probe(f"min(3-way ties, axis=0), x={v}", lambda x: np.min(m3(x), axis=0), (v,))
                    for v in (1.0, -1.0)
                ),
            ],
        )
    )
    add(
        E(
            "np.sum",
            both,
            [
                *stat(np.sum),
                *combo(np.sum, [0], [R(10, 11)], axis=[None, 0], keepdims=[False, True]),
                P(np.sum, R(10, 11, 7), axis=(1, 2)),
                reduction_on_plain(np.sum),
            ],
        )
    )

    def pos(*s: int) -> Any:  # test_prod_*: no zeros
        return R(*s) ** 2 + 0.1

    add(
        E(
            "np.prod",
            both,
            [
                *stat(np.prod),
                P(np.prod, R(2, 3) ** 2 / 10.0 + 0.1),
                P(np.prod, pos(2, 3), axis=0),
                P(np.prod, pos(2, 3), axis=0, keepdims=True),
                P(np.prod, pos(7)),
                reduction_on_plain(np.prod),
            ],
        )
    )
    for name, fn in (("np.var", np.var), ("np.std", np.std)):
        B, C, D = R(3), R(3, 4), R(1, 3)
        ddof = [
            *combo(fn, [0], [B, C, D], axis=[None], keepdims=[True, False], ddof=[0, 1]),
            *combo(fn, [0], [C, D], axis=[None, 1], keepdims=[True, False], ddof=[2]),
        ]
        add(E(name, both, [*stat(fn), *ddof]))

    # --- unary ufuncs (unary_ufunc_check, real inputs) ---
    for name, fn, lims in (
        ("np.sin", np.sin, (-2.0, 2.0)),
        ("np.abs", np.abs, (0.1, 4.0)),
        ("np.absolute", np.absolute, (0.1, 4.0)),
        ("np.arccosh", np.arccosh, (1.1, 4.0)),
        ("np.arcsinh", np.arcsinh, (-0.9, 0.9)),
        ("np.arctanh", np.arctanh, (-0.9, 0.9)),
        ("np.ceil", np.ceil, (-1.5, 1.5)),
        ("np.cos", np.cos, (-2.0, 2.0)),
        ("np.cosh", np.cosh, (-2.0, 2.0)),
        ("np.deg2rad", np.deg2rad, (-2.0, 2.0)),
        ("np.degrees", lambda x: np.degrees(x) / 50.0, (-2.0, 2.0)),
        ("np.exp", np.exp, (-2.0, 2.0)),
        ("np.exp2", np.exp2, (-2.0, 2.0)),
        ("np.expm1", np.expm1, (-2.0, 2.0)),
        ("np.fabs", np.fabs, (-2.0, 2.0)),
        ("np.floor", np.floor, (-1.5, 1.5)),
        ("np.log", np.log, (0.2, 2.0)),
        ("np.log10", np.log10, (0.2, 2.0)),
        ("np.log1p", np.log1p, (0.2, 2.0)),
        ("np.log2", np.log2, (0.2, 2.0)),
        ("np.rad2deg", lambda x: np.rad2deg(x) / 50.0, (-2.0, 2.0)),
        ("np.radians", np.radians, (-2.0, 2.0)),
        ("np.sign", np.sign, (-2.0, 2.0)),
        ("np.sinh", np.sinh, (-2.0, 2.0)),
        ("np.sqrt", np.sqrt, (1.0, 3.0)),
        ("np.square", np.square, (-2.0, 2.0)),
        ("np.tan", np.tan, (-1.1, 1.1)),
        ("np.tanh", np.tanh, (-2.0, 2.0)),
        ("np.real", np.real, (-2.0, 2.0)),
        ("np.real_if_close", np.real_if_close, (-2.0, 2.0)),
        ("np.imag", np.imag, (-2.0, 2.0)),
        ("np.conj", np.conj, (-2.0, 2.0)),
        ("np.conjugate", np.conjugate, (-2.0, 2.0)),
        ("np.angle", np.angle, (-2.0, 2.0)),
    ):
        add(E(name, SYS, unary(fn, lims)))

    # --- binary ufuncs and operators (binary_ufunc_check, real inputs) ---
    add(E("np.add", SYS, [*binary(np.add), *binary(operator.add)], "and `a + b`"))
    add(E("np.subtract", SYS, binary(operator.sub), "as `a - b`"))
    add(E("np.multiply", SYS, binary(operator.mul), "as `a * b`"))
    add(E("np.logaddexp", SYS, binary(np.logaddexp)))
    add(E("np.logaddexp2", SYS, binary(np.logaddexp2)))
    add(E("np.remainder", SYS, binary(np.remainder, (-0.9, 0.9), (0.7, 1.9), same_args=False)))
    add(
        E(
            "np.true_divide",
            SYS,
            [*binary(np.true_divide, lb=(0.8, 1.2)), *binary(np.true_divide, lb=(-0.3, -2.0))],
        )
    )
    add(
        E(
            "np.mod",
            SYS,
            [
                *binary(np.mod, lb=(0.8, 2.1), same_args=False),
                *binary(np.mod, lb=(-0.3, -2.0), same_args=False),
                *binary(operator.mod, lb=(0.3, 2.0), same_args=False),
                *binary(operator.mod, lb=(-0.3, -2.0), same_args=False),
            ],
            "and `a % b`",
        )
    )

    # --- shapes, products, selections (test_systematic's misc tests, test_numpy) ---
    axes = [None, [0, 1, 2], [0, 2, 1], [2, 0, 1], [2, 1, 0], [1, 0, 2], [1, 2, 0]]
    add(E("np.transpose", SYS, combo(np.transpose, [0], [R(2, 3, 4)], axes=axes)))
    add(
        E(
            "np.moveaxis",
            SYS,
            combo(np.moveaxis, [0], [R(2, 3, 4)], source=[0, 1, 2], destination=[0, 1, 2]),
        )
    )
    add(
        E(
            "np.repeat",
            both,
            [
                *combo(np.repeat, [0], [R(2, 3, 4), R(3, 1)], repeats=[0, 1, 2], axis=[None, 0, 1]),
                P(np.repeat, R(5, 3, 4), repeats=2, axis=1),
                P(np.repeat, R(5, 3, 4), repeats=1, axis=1),
                P(np.repeat, R(5, 3), repeats=2, axis=0),
                P(np.repeat, R(5), repeats=2, axis=0),
                P(np.repeat, R(5, 1), repeats=1, axis=0),
            ],
        )
    )
    add(
        E(
            "np.diff",
            SYS,
            [
                *combo(np.diff, [0], [R(5, 5), R(5, 5, 5)], n=[1, 2], axis=[0, 1]),
                *combo(np.diff, [0], [R(1), R(1, 1)], axis=[0]),
                *combo(np.diff, [0], [R(1, 1), R(3, 1)], axis=[1]),
            ],
        )
    )

    def gradient(x: Any, axis: Any = None) -> Any:
        out = np.gradient(x, axis=axis)
        return join(*out) if isinstance(out, list | tuple) else out

    add(
        E(
            "np.gradient",
            both,
            [
                *combo(gradient, [0], [R(5, 5), R(5, 5, 5)], axis=[None, 0, 1, -1]),
                *combo(gradient, [0], [R(5, 5, 5)], axis=[(0, 1), (0, -1)]),
                P(gradient, R(10)),
                P(gradient, R(10, 10)),
            ],
            "the several gradients of an n-d input joined into one vector",
        )
    )
    add(
        E(
            "np.tile",
            SYS,
            [
                *combo(np.tile, [0], [R(2, 1, 3, 1)], reps=[(1, 4, 1, 2)]),
                *combo(np.tile, [0], [R(1, 2)], reps=[(1, 2), (2, 3), (3, 2, 1)]),
                *combo(np.tile, [0], [R(1)], reps=[(2,), 2]),
            ],
        )
    )
    kron_a = [R(5, 5), R(4, 4), R(5), R(5, 1), R(1, 5), R()]
    kron_b = [R(3, 3), R(2, 2), R(3), R(1, 3), R(3, 1), R()]
    add(E("np.kron", SYS, combo(np.kron, [0, 1], kron_a, kron_b)))
    add(E("np.inner", SYS, combo(np.inner, [0, 1], [1.5, R(3), R(2, 3)], [0.3, R(3), R(4, 3)])))
    m1011 = R(10, 11)
    add(
        E(
            "np.dot",
            both,
            [
                *combo(
                    np.dot,
                    [0, 1],
                    [1.5, R(3), R(2, 3), R(2, 2, 3)],
                    [0.3, R(3), R(3, 4), R(2, 3, 4)],
                ),
                P(np.dot, m1011, R(11)),
                P(np.dot, m1011, R(10, 11).T),
                P(np.dot, R(10), m1011),
                P(np.dot, R(11), R(11)),
                P(np.dot, m1011, R()),
                P(np.dot, R(), m1011),
                P(np.dot, R(10), R()),
                P(np.dot, R(), R(10)),
            ],
        )
    )
    v11 = R(11)
    add(
        E(
            "np.outer",
            both,
            [P(np.outer, R(3), R(3)), P(np.outer, v11, R(11)), P(np.outer, v11.T, R(11).T)],
        )
    )
    add(
        E(
            "np.matmul",
            SYS,
            [
                *combo(np.matmul, [0, 1], [R(3), R(2, 3), R(2, 2, 3)], [R(3), R(3, 4), R(2, 3, 4)]),
                P(np.matmul, R(1, 2, 2), R(3, 2, 1)),
            ],
        )
    )
    ones = np.ones((2, 2))
    td = np.tensordot
    add(
        E(
            "np.tensordot",
            both,
            [
                *combo(
                    td,
                    [0, 1],
                    [R(1, 3), R(2, 3, 2)],
                    [R(3), R(3, 1), R(3, 4, 2)],
                    axes=[[(1,), (0,)]],
                ),
                *combo(
                    td,
                    [0, 1],
                    [R(3), R(3, 1), R(3, 4, 2)],
                    [R(1, 3), R(2, 3, 2)],
                    axes=[[(0,), (1,)]],
                ),
                *combo(
                    td,
                    [0, 1],
                    [R(2, 3), R(2, 3, 4)],
                    [R(1, 2, 3), R(2, 2, 3, 4)],
                    axes=[[(0, 1), (1, 2)], [(1, 0), (2, 1)]],
                ),
                *combo(td, [0, 1], [R(2, 2), R(4, 2, 2)], [R(2, 2), R(2, 2, 4)], axes=[1, 2]),
                *combo(td, [0, 1], [R(4)], [R()], axes=[0]),
                *combo(td, [0, 1], [R(2, 6)], [R(6, 3)], axes=[[[-1], [0]]]),
                *combo(td, [0, 1], [R(2, 6)], [R(6, 3)], axes=[[-1, 0]]),
                *combo(td, [0, 1], [R(2)], [R(2, 2)], axes=[[0, 1]]),
                Probe(
                    "x·ones(2,2) ⊗ x·ones(2,2), axes 2 by position",
                    lambda x: np.tensordot(x * ones, x * ones, 2),
                    (1.0,),
                ),
            ],
        )
    )
    for name, fn in (
        ("np.maximum", np.maximum),
        ("np.fmax", np.fmax),
        ("np.minimum", np.minimum),
        ("np.fmin", np.fmin),
    ):
        probes = combo(fn, [0, 1], [R(1), R(1, 4), R(3, 4)], [R(1), R(1, 4), R(3, 4)])
        if fn is np.maximum:

            def ties(x: Any) -> Any:
                return np.maximum(tp.array([x, x, 0.5]), tp.array([[x, 0.5, x], [x, x, 0.5]]))

            probes += [
                Probe("maximum(x, x) (tie)", lambda x: np.maximum(x, x), (1.0,)),
                *(
                    Probe(
                        f"maximum([x, x, .5], [[x, .5, x], [x, x, .5]]) (ties), x={v}", ties, (v,)
                    )
                    for v in (1.0, -1.0, 2.0)
                ),
            ]
        add(E(name, both if fn is np.maximum else SYS, probes))
    add(E("np.sort", SYS, combo(np.sort, [0], [R(1), R(7)])))
    add(E("np.partition", SYS, combo(np.partition, [0], [R(7), R(14)], kth=[0, 3, 6])))
    some = [1.2, R(1), R(7), R(1, 4), R(2, 4), R(2, 4, 5)]
    add(E("np.atleast_1d", SYS, combo(np.atleast_1d, [0], some)))
    add(E("np.atleast_2d", SYS, combo(np.atleast_2d, [0], some)))
    add(E("np.atleast_3d", SYS, combo(np.atleast_3d, [0], [*some, R(2, 4, 3, 5)])))

    ein: Fn = np.einsum
    E3 = Ellipsis
    add(
        E(
            "np.einsum",
            SYS,
            [
                *combo(ein, [1], ["ij->ji"], [R(1, 1), R(4, 4), R(3, 4)]),
                *combo(ein, [1, 2], ["ij,jk->ik"], [R(2, 3)], [R(3, 4)]),
                *combo(
                    ein,
                    [1, 2],
                    ["...ij,...jk->...ik"],
                    [R(2, 3), R(2, 2, 3)],
                    [R(3, 4), R(2, 3, 4)],
                ),
                *combo(ein, [1, 2], ["...ij,...jk->...ik"], [R(0, 2, 3)], [R(0, 3, 4)]),
                *combo(ein, [1, 2], ["ijk,lji->lki"], [R(3, 4, 4)], [R(4, 4, 3)]),
                *combo(
                    ein,
                    [1, 2],
                    ["...jk,...lj->...lk", "...,...->..."],
                    [R(4, 4), R(3, 4, 4)],
                    [R(4, 4), R(3, 4, 4)],
                ),
                *combo(
                    ein,
                    [1, 2],
                    ["jk...,lj...->lk..."],
                    [R(3, 2), R(3, 2, 4)],
                    [R(2, 3), R(2, 3, 4)],
                ),
                *combo(
                    ein,
                    [1, 2],
                    ["j...k,lj...->lk..."],
                    [R(2, 2), R(2, 2, 2)],
                    [R(2, 2), R(2, 2, 2)],
                ),
                *combo(ein, [1, 2], ["ijk,lji,lli->lki"], [R(3, 4, 4)], [R(4, 4, 3)], [R(4, 4, 3)]),
                *combo(ein, [0], [R(1, 1), R(4, 4), R(3, 4)], [(0, 1)], [(1, 0)]),
                *combo(ein, [0, 2], [R(2, 3)], [(0, 1)], [R(3, 4)], [(1, 2)], [(0, 2)]),
                *combo(
                    ein,
                    [0, 2],
                    [R(2, 3), R(2, 2, 3)],
                    [(E3, 0, 1)],
                    [R(3, 4), R(2, 3, 4)],
                    [(E3, 1, 2)],
                    [(E3, 0, 2)],
                ),
                *combo(
                    ein, [0, 2], [R(3, 4, 4)], [(0, 1, 2)], [R(4, 4, 3)], [(3, 1, 0)], [(3, 2, 0)]
                ),
                *combo(
                    ein,
                    [0, 2],
                    [R(3, 4, 4)],
                    [(0, 1, 2)],
                    [R(4, 4, 3)],
                    [(3, 1, 0)],
                    [R(4, 4, 3)],
                    [(3, 3, 0)],
                    [(3, 2, 0)],
                ),
                *combo(ein, [1, 2], ["k,nk->"], [R(5)], [R(10, 5)]),
                *combo(ein, [1], ["abcd->bd"], [R(3, 2, 3, 2)]),
                *combo(ein, [1, 2], ["...k,...nk->..."], [R(3, 5)], [R(3, 10, 5)]),
                *combo(ein, [1, 2], ["ij,k"], [R(3, 4)], [R(3)]),
            ],
        )
    )
    add(
        E(
            "np.trace",
            both,
            [
                *combo(np.trace, [0], [R(5, 5), R(4, 5), R(5, 4), R(3, 4, 5)], offset=[-1, 0, 1]),
                P(np.trace, R(10, 11), offset=4),
                P(np.trace, R(11, 10), offset=-6),
                P(np.trace, R(5, 6, 4, 3), offset=2),
            ],
            "test_numpy's random offsets fixed",
        )
    )
    add(
        E(
            "np.diag",
            both,
            [*combo(np.diag, [0], [R(5, 5), R(5)], k=[-1, 0, 1]), P(np.diag, R(10, 10))],
        )
    )
    for name, fn in (("np.tril", np.tril), ("np.triu", np.triu)):
        add(
            E(
                name,
                both,
                [*combo(fn, [0], [R(5, 5), R(5, 5, 4)], k=[-1, 0, 1]), P(fn, R(5, 5), k=2)],
            )
        )
    add(
        E(
            "np.swapaxes",
            SYS,
            combo(np.swapaxes, [0], [R(3, 4, 5)], axis1=[0, 1, 2], axis2=[0, 1, 2]),
        )
    )
    add(
        E(
            "np.rollaxis",
            SYS,
            combo(np.rollaxis, [0], [R(2, 3, 4)], axis=[0, 1, 2], start=[0, 1, 2]),
        )
    )
    add(
        E(
            "np.cross",
            SYS,
            combo(
                np.cross,
                [0, 1],
                [R(3, 3)],
                [R(3, 3)],
                axisa=[-1, 0, 1],
                axisb=[-1, 0, 1],
                axisc=[-1, 0, 1],
                axis=[None, -1, 0, 1],
            ),
        )
    )

    def pieces(split: Fn) -> Fn:
        def f(*a: Any, **kw: Any) -> Any:
            return join(*split(*a, **kw))

        return f

    add(
        E(
            "np.vsplit",
            SYS,
            [
                *combo(pieces(np.vsplit), [0], [R(4, 8)], [4, [1, 2]]),
                *combo(pieces(np.vsplit), [0], [R(4, 4, 4)], [2, [1, 2]]),
            ],
            "the pieces joined into one vector",
        )
    )
    add(
        E(
            "np.hsplit",
            SYS,
            [
                *combo(pieces(np.hsplit), [0], [R(4, 8)], [4, [1, 2]]),
                *combo(pieces(np.hsplit), [0], [R(4, 4, 4)], [2, [1, 2]]),
            ],
            "the pieces joined",
        )
    )
    add(
        E(
            "np.dsplit",
            SYS,
            combo(pieces(np.dsplit), [0], [R(4, 4, 4)], [2, [1, 2]]),
            "the pieces joined",
        )
    )
    add(
        E(
            "np.split",
            SYS,
            [
                *combo(pieces(np.split), [0], [R(1), R(7)], [1], axis=[0]),
                *combo(pieces(np.split), [0], [R(4, 8)], [4, [1, 2]], axis=[0, 1]),
                *combo(pieces(np.split), [0], [R(4, 4, 4)], [2, [1, 2]], axis=[0, 1, 2]),
            ],
            "the pieces joined",
        )
    )
    add(
        E(
            "np.array_split",
            SYS,
            [
                *combo(pieces(np.array_split), [0], [R(1), R(7)], [1, 3], axis=[0]),
                *combo(pieces(np.array_split), [0], [R(7, 7)], [4, [3, 5]], axis=[0, 1]),
                *combo(pieces(np.array_split), [0], [R(7, 7, 7)], [4, [3, 5]], axis=[0, 1, 2]),
            ],
            "the pieces joined",
        )
    )
    A564, B564 = R(5, 6, 4), R(5, 6, 4)
    cat = np.concatenate
    add(
        E(
            "np.concatenate",
            both,
            [
                Probe("((1), (3)) axis=0", lambda a, b: cat((a, b), axis=0), (R(1), R(3))),
                Probe("[(1), (3)] axis=0", lambda a, b: cat([a, b], axis=0), (R(1), R(3))),
                *(
                    Probe(
                        f"((2, 2), (2, 2)) axis={k}",
                        lambda a, b, k=k: cat((a, b), axis=k),
                        (R(2, 2), R(2, 2)),
                    )
                    for k in (0, 1)
                ),
                *(
                    Probe(
                        f"((2, 2, 2), (2, 2, 2)) axis={k}",
                        lambda a, b, k=k: cat((a, b), axis=k),
                        (R(2, 2, 2), R(2, 2, 2)),
                    )
                    for k in (0, 1, 2)
                ),
                Probe("(constant, x)", lambda x: cat((A564, x)), (R(4, 6, 4),)),
                Probe("(B, x, B)", lambda x: cat((B564, x, B564)), (A564,)),
                Probe("(B, x, B) axis=1", lambda x: cat((B564, x, B564), axis=1), (A564,)),
                Probe("(B, x, B), 1 by position", lambda x: cat((B564, x, B564), 1), (A564,)),
            ],
        )
    )
    stacks: list[tuple[str, Fn, list[tuple[tuple[int, ...], ...]]]] = [
        (
            "np.vstack",
            np.vstack,
            [
                ((2,),),
                ((2,), (2,)),
                ((2, 3),),
                ((2, 4), (1, 4)),
                ((2, 3, 4),),
                ((2, 3, 4), (5, 3, 4)),
            ],
        ),
        (
            "np.hstack",
            np.hstack,
            [
                ((2,),),
                ((2,), (2,)),
                ((3, 2),),
                ((3, 4), (3, 5)),
                ((2, 3, 4),),
                ((2, 1, 4), (2, 5, 4)),
            ],
        ),
        ("np.row_stack", np.row_stack, [((2,),), ((2,), (2,)), ((2, 3),), ((2, 4), (1, 4))]),
        ("np.column_stack", np.column_stack, [((2,),), ((2,), (2,)), ((2, 2),), ((2, 2), (2, 2))]),
    ]
    for name, fn, groups in stacks:
        probes = []
        for g in groups:
            if len(g) == 1:  # autograd hands one array over as the sequence itself
                probes.append(Probe(f"{_shape(np.empty(g[0]))} as the sequence", fn, (R(*g[0]),)))
            else:
                probes.append(
                    Probe(
                        "(" + ", ".join(_shape(np.empty(s)) for s in g) + ")",
                        lambda *xs, fn=fn: fn(xs),
                        tuple(R(*s) for s in g),
                    )
                )
        add(E(name, SYS, probes))
    add(
        E(
            "np.stack",
            SYS,
            [
                *(
                    Probe(f"((2),) axis={k}", lambda a, k=k: np.stack((a,), axis=k), (R(2),))
                    for k in (0, 1)
                ),
                *(
                    Probe(
                        f"((2), (2)) axis={k}",
                        lambda a, b, k=k: np.stack((a, b), axis=k),
                        (R(2), R(2)),
                    )
                    for k in (0, 1)
                ),
            ],
        )
    )
    conds = [R(3, 4, 5) > 0 for _ in range(3)]
    add(
        E(
            "np.select",
            SYS,
            [
                Probe(
                    f"3 × (3, 4, 5), default={d}",
                    lambda a, b, c, d=d: np.select(conds, [a, b, c], default=d),
                    (R(3, 4, 5), R(3, 4, 5), R(3, 4, 5)),
                )
                for d in (0.0, 1.1)
            ],
        )
    )
    widths = [0, 3, (3,), (3, 2), ((3, 2),), ((1, 2), (3, 4)), ((0, 0), (0, 0))]
    add(E("np.pad", SYS, combo(np.pad, [0], [R(2, 2)], widths, ["constant"])))

    # --- test_numpy.py only ---
    add(E("np.flipud", NUM, [P(np.flipud, R(10, 11))]))
    add(E("np.fliplr", NUM, [P(np.fliplr, R(10, 11))]))
    add(E("np.rot90", NUM, [P(np.rot90, R(10, 11))]))
    add(
        E(
            "np.cumsum",
            NUM,
            [
                P(np.cumsum, R(10, 11), axis=0),
                P(np.cumsum, R(10, 11), axis=1),
                P(np.cumsum, R(10)),
                P(np.cumsum, R(10, 11)),
            ],
        )
    )
    add(
        E(
            "np.reshape",
            NUM,
            [Probe("(5, 6, 4) to (20, 6)", lambda x: np.reshape(x, (20, 6)), (R(5, 6, 4),))],
        )
    )
    add(E("np.ravel", NUM, [P(np.ravel, R(5, 6, 4))]))
    add(
        E(
            "np.append",
            NUM,
            [
                P(np.append, np.array([1.0, 2.0, 3.0]), 4.0),
                P(
                    np.append,
                    np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
                    np.array([[7.0, 8.0, 9.0]]),
                    axis=0,
                ),
            ],
        )
    )
    add(
        E(
            "np.roll",
            NUM,
            [Probe("(4, 5) shift=2 axis=1", lambda x: np.roll(x, 2, axis=1), (R(4, 5),))],
        )
    )
    add(E("np.clip", NUM, [P(np.clip, R(5, 5), a_min=0.1, a_max=1.1)]))
    add(
        E(
            "np.array",
            NUM,
            [
                Probe("[x, 1.0x, x+2.5]", lambda x: tp.array([x, x * 1.0, x + 2.5]), (3.0,)),
                Probe(
                    "[[x, 1.0x, x+2.5], [x², x, x/2]]",
                    lambda x: tp.array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]]),
                    (3.0,),
                ),
                Probe(
                    "fan-out A + A",
                    lambda x: (lambda a: a + a)(tp.array([x, x * 1.0, x + 2.5])),
                    (3.0,),
                ),
                Probe(
                    "fan-out A + A, 2-d",
                    lambda x: (lambda a: a + a)(
                        tp.array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]])
                    ),
                    (3.0,),
                ),
                Probe("array(x) of a scalar", lambda x: tp.array(x), (3.0,)),
                Probe("[x, x] of (3, 2)", lambda x: tp.array([x, x]), (R(3, 2),)),
                Probe(
                    "[[2x, x+1], [x, x]] of (3, 2)",
                    lambda x: tp.array([[2 * x, x + 1], [x, x]]),
                    (R(3, 2),),
                ),
            ],
            "NumPy's protocols do not reach np.array: probed as tp.array",
        )
    )
    cmask = R(4, 5) > 0
    add(
        E(
            "np.where",
            NUM,
            [Probe("where(C, x, y)", lambda x, y: np.where(cmask, x, y), (R(4, 5), R(4, 5)))],
        )
    )
    add(E("np.squeeze", NUM, [P(np.squeeze, R(5, 1, 4))]))
    add(
        E(
            "np.expand_dims",
            NUM,
            [Probe("(5, 1, 4), 2", lambda x: np.expand_dims(x, 2), (R(5, 1, 4),))],
        )
    )
    add(
        E(
            "np.diagonal",
            NUM,
            [
                P(np.diagonal, R(4, 4), axis1=-1, axis2=-2),
                P(np.diagonal, R(3, 4, 4), axis1=-1, axis2=-2),
            ],
        )
    )
    bad = np.array([0.0, np.nan, np.inf, -np.inf])
    add(
        E(
            "np.nan_to_num",
            NUM,
            [
                Probe(
                    "sum(sin(nan_to_num(x + [0, nan, inf, -inf])))",
                    lambda x: np.sum(np.sin(np.nan_to_num(x + bad))),
                    (R(4),),
                )
            ],
        )
    )
    add(
        E(
            "np.linspace",
            NUM,
            [
                Probe(
                    f"linspace(x, y, {n}) at ({a}, {b})",
                    lambda x, y, n=n: np.linspace(x, y, n),
                    (a, b),
                )
                for n in (0, 1, 5)
                for a, b in ((1.2, 3.4), (1.2, -3.4), (1.2, 1.2))
            ],
        )
    )

    # --- test_linalg.py (real inputs) ---
    la = np.linalg
    d8 = R(8, 8)
    add(
        E(
            "np.linalg.inv",
            LIN,
            [
                P(la.inv, d8 @ d8 + np.eye(8)),
                P(la.inv, R(4, 4, 4) + 5 * np.eye(4)),
                P(la.inv, R(4, 4, 4, 4) + 5 * np.eye(4)),
            ],
        )
    )
    low_rank = lambda x: la.pinv(np.matmul(T(x), x))
    add(
        E(
            "np.linalg.pinv",
            LIN,
            [
                P(la.pinv, RC(5, 2)),
                P(la.pinv, RC(5, 5)),
                P(la.pinv, RC(5, 7)),
                P(la.pinv, RC(2, 5, 3)),
                Probe("pinv(xᵀx), x (5, 3)", low_rank, (RC(5, 3),)),
                Probe("pinv(xᵀx), x (5, 7): rank 5 of 7", low_rank, (RC(5, 7),)),
                Probe("pinv(xᵀx), x (2, 5, 6): rank 5 of 6", low_rank, (RC(2, 5, 6),)),
            ],
            "inputs drawn with singular values ≥ 0.5, for the finite differences",
        )
    )
    b87, b8, a66, b4 = R(8, 7), R(8), R(6, 6) + np.eye(6), R(5, 4)
    b546 = R(5, 4, 6)
    add(
        E(
            "np.linalg.solve",
            LIN,
            [
                Probe(
                    "solve(A, B (8, 7)) by A",
                    lambda a: la.solve(a, b87),
                    (R(8, 8) + 10 * np.eye(8),),
                ),
                Probe(
                    "solve(A, b (8)) by A", lambda a: la.solve(a, b8), (R(8, 8) + 10 * np.eye(8),)
                ),
                Probe("solve(A, B (6, 5)) by B", lambda b: la.solve(a66, b), (R(6, 5),)),
                Probe(
                    "solve(A (5,4,4), B[..., None])[..., 0] by A",
                    lambda a: la.solve(a, b4[..., None])[..., 0],
                    (R(5, 4, 4) + 5 * np.eye(4),),
                ),
                Probe(
                    "solve(A (5,4,4), B (5,4,6)) by A",
                    lambda a: la.solve(a, b546),
                    (R(5, 4, 4) + 5 * np.eye(4),),
                ),
            ],
        )
    )
    add(E("np.linalg.det", LIN, [P(la.det, R(6, 6)), P(la.det, R(3, 3, 3))]))
    m66 = R(6, 6)
    add(
        E(
            "np.linalg.slogdet",
            LIN,
            [
                Probe("logdet (6, 6)", lambda x: la.slogdet(x)[1], (m66,)),
                Probe("logdet of −(6, 6)", lambda x: la.slogdet(x)[1], (-m66,)),
                Probe(
                    "sum(logdet) of 3 × (5, 5) PD",
                    lambda x: np.sum(la.slogdet(x)[1]),
                    (np.stack([psd(5) + 5 * np.eye(5) for _ in range(3)]),),
                ),
            ],
        )
    )
    add(
        E(
            "np.linalg.norm",
            LIN,
            [
                P(la.norm, R(6)),
                P(la.norm, R(6, 5)),
                P(la.norm, R(6, 5, 4), axis=(0, 1)),
                *(P(la.norm, R(6), ord=o) for o in (2, 3, 4)),
                *(P(la.norm, R(6, 5, 4), axis=a) for a in (0, 1, 2)),
                P(la.norm, R(6, 5), ord="nuc"),
                P(la.norm, R(6, 5, 4), ord="nuc", axis=(0, 1)),
            ],
        )
    )
    hmat = np.einsum("...ij,...kj->...ik", *(2 * (R(2, 3, 6, 6) + 10 * np.eye(6),)))
    add(
        E(
            "np.linalg.eigh",
            LIN,
            [
                Probe("(w, v) of (6, 6), lower", lambda x: join(*la.eigh(x)), (R(6, 6),)),
                Probe("(w, v) of (6, 6), 'U'", lambda x: join(*la.eigh(x, "U")), (R(6, 6),)),
                Probe("(w, v) of (2, 3, 6, 6) symmetric", lambda x: join(*la.eigh(x)), (hmat,)),
                Probe(
                    "(w, v) of (2, 3, 6, 6) symmetric, 'U'",
                    lambda x: join(*la.eigh(x, "U")),
                    (hmat,),
                ),
            ],
            "autograd hands eigh non-symmetric matrices: only the named triangle is read",
        )
    )
    add(
        E(
            "np.linalg.eig",
            LIN,
            [
                Probe(
                    "(|w|, |v|) of a real (8, 8)",
                    lambda x: join(*(np.abs(o) for o in la.eig(x))),
                    (R(8, 8),),
                )
            ],
        )
    )

    def sym(a: Any) -> Any:
        lo = np.tril(a)
        return (lo + T(lo)) / 2.0

    z6 = np.random.RandomState(0).randn(6)
    add(
        E(
            "np.linalg.cholesky",
            LIN,
            [
                Probe("cholesky(sym(A)), A (6, 6) PD", lambda a: la.cholesky(sym(a)), (psd(6),)),
                Probe(
                    "cholesky(sym(A)), A (3, 6, 6) PD",
                    lambda a: la.cholesky(sym(a)),
                    (np.stack([psd(6) for _ in range(3)]),),
                ),
                Probe(
                    "norm(cholesky(sym(A)) · z) (reparameterization)",
                    lambda a: la.norm(np.dot(la.cholesky(sym(a)), z6)),
                    (psd(6),),
                ),
            ],
        )
    )
    svd_uv = lambda x: join(*la.svd(x, full_matrices=False))
    svd_s = lambda x: la.svd(x, full_matrices=False, compute_uv=False)
    add(
        E(
            "np.linalg.svd",
            LIN,
            [
                Probe("(u, s, vh) wide (3, 5)", svd_uv, (R(3, 5),)),
                Probe("(u, s, vh) wide (4, 3, 5)", svd_uv, (R(4, 3, 5),)),
                Probe("(u, s, vh) square (4, 4)", svd_uv, (R(4, 4),)),
                Probe("(u, s, vh) square (3, 4, 4)", svd_uv, (R(3, 4, 4),)),
                Probe("(u, s, vh) tall (5, 3)", svd_uv, (R(5, 3),)),
                Probe("(u, s, vh) tall (4, 5, 3)", svd_uv, (R(4, 5, 3),)),
                Probe("s only (5, 3)", svd_s, (R(5, 3),)),
                Probe("s only (4, 5, 3)", svd_s, (R(4, 5, 3),)),
            ],
        )
    )
    return entries


def beyond() -> list[Entry]:
    """What autograd's tests differentiate that is not a NumPy function (not counted)."""
    E = Entry
    tpa: Any = tp  # lists of Vars are outside tape's typed signatures
    A = R(5, 6, 4)
    c32, c10 = R(3, 2), R(10)
    inds = np.ones(5)[:, None]

    def cast_to_int(w: Any) -> Any:  # test_cast_to_int
        np.concatenate((w, inds), axis=1)
        new_w, new_inds = w[:, :-1], np.int64(w[:, -1])
        return new_w[new_inds].sum()

    return [
        E("`x.T`", NUM, [Probe("(8, 8)", lambda x: x.T, (R(8, 8),))]),
        E(
            "`x.reshape`",
            NUM,
            [
                Probe("x.reshape((20, 6))", lambda x: x.reshape((20, 6)), (A,)),
                Probe("x.reshape(20, 6)", lambda x: x.reshape(20, 6), (A,)),
            ],
        ),
        E("`x.ravel()`", NUM, [Probe("(5, 6, 4)", lambda x: x.ravel(), (A,))]),
        E("`x.flatten()`", NUM, [Probe("(5, 6, 4)", lambda x: x.flatten(), (A,))]),
        E("`x.squeeze()`", NUM, [Probe("(5, 1, 4)", lambda x: x.squeeze(), (R(5, 1, 4),))]),
        E(
            "`x.astype`",
            NUM,
            [
                Probe(
                    "sum(sin(x.astype('float64')))",
                    lambda x: np.sum(np.sin(x.astype("float64"))),
                    (R(3),),
                )
            ],
        ),
        E(
            "indexing `x[...]`",
            NUM,
            [
                Probe("x[3, 0, 1]", lambda x: x[3, 0, 1], (A,)),
                Probe("x[::-1, 2:4, :]", lambda x: x[::-1, 2:4, :], (A,)),
                Probe("x[[0, 1, 2], :, :]", lambda x: x[[0, 1, 2], :, :], (A,)),
                Probe("x[3, 2:, [1, 3]]", lambda x: x[3, 2:, [1, 3]], (A,)),
                Probe("x[2:4] of (5)", lambda x: x[2:4], (R(5),)),
                Probe(
                    "x[::-1, 2:4] + x[::-1, 3:5]", lambda x: x[::-1, 2:4, :] + x[::-1, 3:5, :], (A,)
                ),
                Probe("x[2:6][1:3]", lambda x: x[2:6][1:3], (R(7),)),
                Probe("sum(x[[0, 0]])", lambda x: np.sum(x[[0, 0]]), (R(3),)),
                Probe("sum(x[[0, 1, 0]])", lambda x: np.sum(x[[0, 1, 0]]), (R(3),)),
                Probe("dot(x[:2], x[2:])", lambda x: np.dot(x[:2], x[2:]), (R(4),)),
            ],
        ),
        E(
            "`np.r_`",
            NUM,
            [
                Probe("r_[x]", lambda x: np.r_[x], (R(3, 2),)),
                Probe("r_[x, x]", lambda x: np.r_[x, x], (R(3, 2),)),
                Probe("r_[x, c]", lambda x: np.r_[x, c32], (R(3, 2),)),
                Probe("r_[x, c, x]", lambda x: np.r_[x, c32, x], (R(3, 2),)),
                Probe("r_[x, c, 1:10]", lambda x: np.r_[x, c10, 1:10], (R(10),)),
            ],
        ),
        E("`np.c_`", NUM, [Probe("c_[x, c, x]", lambda x: np.c_[x, c32, x], (R(3, 2),))]),
        E(
            "`np.int64` of a Var, as an index",
            NUM,
            [Probe("W[:, :-1][np.int64(W[:, -1])].sum()", cast_to_int, (R(5, 10),))],
        ),
        E(
            "builtin `sum`",
            NUM,
            [Probe("sum([x, y])", lambda x, y: sum([x, y]), (R(10, 11), R(10, 11)))],
        ),
        E(
            "a list of Vars as the array",
            f"{NUM}, {LIN}",
            [
                Probe("tp.mean([x, x + 2])", lambda x: tpa.mean([x, x + 2]), (0.0,)),
                Probe("tp.mean((x, x + 2))", lambda x: tpa.mean((x, x + 2)), (0.0,)),
                Probe("tp.std([x, x + 2])", lambda x: tpa.std([x, x + 2]), (0.0,)),
                Probe("tp.var([x, x + 2])", lambda x: tpa.var([x, x + 2]), (0.0,)),
                Probe("tp.linalg.norm([x, x + 2])", lambda x: tpa.linalg.norm([x, x + 2]), (0.0,)),
            ],
            "np.mean([v1, v2]) cannot reach tape (NumPy converts the list first): tp.X",
        ),
    ]


# ----- running ---------------------------------------------------------------------------------

OK, FAIL, SKIP = "ok", "FAIL", "—"
STAGES = ("rev", "fwd", "order 2", "replay")


@dataclass
class Outcome:
    status: str = OK
    error: str = ""


@dataclass
class ProbeResult:
    probe: Probe
    stages: dict[str, Outcome] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(o.status == OK for o in self.stages.values())


class _Timeout(BaseException):  # not an Exception: _attempt must not swallow it
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Timeout(f"probe still running after {PROBE_SECONDS} s")


def _describe(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    first = lines[0] if lines else ""
    refusal = "is not supported on tape Vars"
    if refusal in first:  # the rest of the line lists everything that is supported
        first = first[: first.index(refusal) + len(refusal)]
    name = "TimeoutError" if isinstance(e, _Timeout) else type(e).__name__
    return f"{name}: {first}"


def _attempt(run: Callable[[], None]) -> Outcome:
    try:
        run()
    except Exception as e:
        return Outcome(FAIL, _describe(e))
    return Outcome()


def _is_float(a: Any) -> bool:
    return bool(np.ndim(a) == 0 and not isinstance(a, np.ndarray))


def _replay(f: Fn, args: Sequence[Any]) -> None:
    """Record sum(f(xs)·w), compile it, and compare value_and_grad at a nearby point with a
    fresh recording there."""
    rng = np.random.default_rng(1)
    was_float = [_is_float(a) for a in args]
    x0 = [np.array(a, dtype=np.float64) for a in args]

    def point(xs: Sequence[Any]) -> list[Any]:
        return [float(x) if fl else x for x, fl in zip(xs, was_float, strict=True)]

    out = f(*[tp.Var(v) for v in point(x0)])
    w = rng.standard_normal(np.shape(out.value if isinstance(out, tp.Var) else out))
    v0 = [tp.Var(v) for v in point(x0)]
    with tp.Tape(persistent=True) as t:
        y = tp.sum(f(*v0) * w)
    prog = t.compile(v0, [y])
    x1 = point([x + 1e-3 * rng.standard_normal(x.shape) for x in x0])
    got_value, got_grads = prog.value_and_grad(*x1)
    v1 = [tp.Var(v) for v in x1]
    with tp.Tape() as t1:
        y1 = tp.sum(f(*v1) * w)
    want_grads = t1.gradient(y1, v1)
    want_value = y1.value if isinstance(y1, tp.Var) else y1
    pairs_ = [("value", got_value, want_value)] + [
        (f"gradient of argument {k}", g, h)
        for k, (g, h) in enumerate(zip(got_grads, want_grads, strict=True))
    ]
    for what, g, h in pairs_:
        g_, h_ = np.asarray(g, dtype=np.float64), np.asarray(h, dtype=np.float64)
        if g_.shape != h_.shape or not np.allclose(
            g_, h_, rtol=REPLAY_TOL, atol=REPLAY_TOL, equal_nan=True
        ):
            diff = float(np.max(np.abs(g_ - h_))) if g_.shape == h_.shape else float("nan")
            raise AssertionError(
                f"replay: {what} at a nearby point differs from a fresh recording "
                f"(max difference {diff:.3g}, shapes {g_.shape} and {h_.shape})"
            )


_START = time.perf_counter()


def run_probe(p: Probe) -> ProbeResult:
    res = ProbeResult(p)
    t0 = time.perf_counter()
    if t0 - _START > BUDGET_SECONDS:
        skipped = Outcome(
            FAIL, f"TimeoutError: not run: the script's {BUDGET_SECONDS} s were spent"
        )
        res.stages = dict.fromkeys(STAGES, skipped)
        return res
    signal.setitimer(signal.ITIMER_REAL, PROBE_SECONDS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                full = _attempt(lambda: check_grads(p.f, p.args, order=2, modes=("fwd", "rev")))
                if full.status == OK:
                    res.stages["rev"] = res.stages["fwd"] = res.stages["order 2"] = Outcome()
                else:
                    for m in ("rev", "fwd"):
                        res.stages[m] = _attempt(partial(check_grads, p.f, p.args, modes=(m,)))
                    first_ok = res.stages["rev"].status == OK and res.stages["fwd"].status == OK
                    res.stages["order 2"] = full if first_ok else Outcome(SKIP)
                res.stages["replay"] = _attempt(lambda: _replay(p.f, p.args))
    except _Timeout as e:
        for s in STAGES:
            res.stages.setdefault(s, Outcome(FAIL, _describe(e)))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    res.seconds = time.perf_counter() - t0
    return res


@dataclass
class EntryResult:
    entry: Entry
    probes: list[ProbeResult]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.probes)

    def stage(self, s: str) -> str:
        statuses = [r.stages[s].status for r in self.probes]
        if FAIL in statuses:
            return FAIL
        return SKIP if SKIP in statuses else OK

    def first_failure(self) -> tuple[str, str, str] | None:
        """(stage, probe label, error) of the first failing probe's first failing stage."""
        for r in self.probes:
            for s in STAGES:
                if r.stages[s].status == FAIL:
                    return s, r.probe.label, r.stages[s].error
        return None


def run_entries(entries: Sequence[Entry]) -> list[EntryResult]:
    return [EntryResult(e, [run_probe(p) for p in e.probes]) for e in entries]


# ----- the report ------------------------------------------------------------------------------


def _git(*args: str, cwd: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def _cell(s: str, limit: int = 160) -> str:
    s = s if len(s) <= limit else s[: limit - 1] + "…"
    return s.replace("|", "\\|").replace("\n", " ")


MARK = {OK: "✓", FAIL: "✗", SKIP: "—"}


def _cause(error: str) -> str:
    """A failure's cause, for grouping."""
    if "is not supported on tape Vars" in error:
        return "NumPy function or ufunc not supported on tape Vars (no derivative rule)"
    if error.startswith("AttributeError") and "tape" in error:
        return "no such function in tape"
    if 'must be passed as a "sequence" type' in error:
        return "a Var refused as the sequence of arrays (NumPy takes an array as one)"
    if "was converted to a NumPy array" in error:
        return "a list of Vars or a Var reached NumPy as an array"
    if error.startswith("AssertionError: replay"):
        return "replay differs from a fresh recording"
    if error.startswith("AssertionError"):
        return "derivative disagrees with finite differences"
    if error.startswith("TimeoutError"):
        return "timed out"
    return "other errors: " + error.split(":", 1)[0]


def _table(results: Sequence[EntryResult]) -> list[str]:
    lines = [
        "| function | autograd test file | probes | rev | fwd | order 2 | replay | first failure |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        e = r.entry
        name = f"`{e.name}`" if not e.name.startswith("`") and " " not in e.name else e.name
        if e.note:
            name += f" ({e.note})"
        fail = r.first_failure()
        how = "" if fail is None else _cell(f"[{fail[0]}; {fail[1]}] {fail[2]}")
        marks = " | ".join(MARK[r.stage(s)] for s in STAGES)
        n_ok = sum(p.passed for p in r.probes)
        lines.append(
            f"| {_cell(name, 200)} | {e.files} | {n_ok}/{len(r.probes)} | {marks} | {how} |"
        )
    return lines


def report(results: Sequence[EntryResult], extra: Sequence[EntryResult], seconds: float) -> str:
    n = len(results)
    passed = sum(r.passed for r in results)
    pct = 100.0 * passed / n if n else 0.0
    per_stage = {s: sum(r.stage(s) == OK for r in results) for s in STAGES}
    n_probes = sum(len(r.probes) for r in results)
    probes_ok = sum(p.passed for r in results for p in r.probes)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    mirror = _git("log", "-1", "--format=%H", cwd=AUTOGRAD)
    ag = f"`{AUTOGRAD_COMMIT}`"
    if mirror not in ("unknown", AUTOGRAD_COMMIT):
        ag += f" (the local mirror is now at `{mirror}`: the probes may be behind its tests)"
    tape_commit = _git("rev-parse", "--short", "HEAD", cwd=ROOT)
    dirty = _git("status", "--porcelain", "--", "tape", cwd=ROOT)  # only tape/ is measured
    tape_desc = tape_commit + (
        " (with uncommitted changes in tape/)" if dirty not in ("", "unknown") else ""
    )
    out = [
        "# autograd's NumPy, differentiated by tape",
        "",
        "Generated by `scripts/autograd_coverage.py` (run it from the repository root with "
        "`.venv/bin/python scripts/autograd_coverage.py`); do not edit by hand.",
        "",
        f"- date: {now}",
        f"- autograd commit read: {ag} (`tests/test_numpy.py`, `tests/test_systematic.py`, "
        "`tests/test_linalg.py`)",
        f"- tape commit: `{tape_desc}`",
        f"- NumPy {np.__version__}; the run took {seconds:.0f} s",
        "",
        f"**{passed} of {n} functions pass every stage ({pct:.1f}%)**; "
        f"{probes_ok} of {n_probes} probes pass. By stage, functions passing: "
        + ", ".join(f"{s} {per_stage[s]}/{n}" for s in STAGES)
        + ".",
        "",
        "The universe: every NumPy function, ufunc and `np.linalg` function that those three "
        "files differentiate on real inputs (complex-only tests, `np.random`, input "
        "constructors, dtypes and test plumbing left out; `np.msort` is tested only on "
        "NumPy < 2; autograd's own `np.make_diagonal` is not NumPy). Each function has probes "
        "re-expressing autograd's tests on tape, at autograd's shapes, axes, keyword "
        "arguments and input domains (every combination where autograd's `combo_check` runs "
        "several), written with `np.X` on tape values (`tp.X` only where NumPy's protocols "
        "cannot reach). Each probe first runs "
        '`check_grads(f, args, order=2, modes=("fwd", "rev"))`; its stages:',
        "",
        "- **rev**, **fwd**: first order, reverse and forward mode (when the order-2 check "
        'fails, `check_grads(f, args, order=1, modes=("rev",))` and `("fwd",)` say which);',
        "- **order 2**: forward over reverse and reverse over reverse (— when a first-order "
        "stage already failed);",
        "- **replay**: `tp.sum(f(*xs) * w)` (w fixed, random) recorded on "
        "`tp.Tape(persistent=True)`, `t.compile(xs, [y])`, and `prog.value_and_grad` at a "
        f"nearby point against a fresh recording there, to {REPLAY_TOL:g}.",
        "",
        "A function passes (✓) when every stage of every one of its probes passes; ✗ marks a "
        "stage some probe failed. The last column is the first failure: [stage; probe] "
        "exception: the first line of its message.",
        "",
        *_table(results),
        "",
        "## Failures by cause",
        "",
    ]
    groups: dict[str, list[str]] = {}
    for r in results:
        fail = r.first_failure()
        if fail is not None:
            groups.setdefault(_cause(fail[2]), []).append(r.entry.name)
    if not groups:
        out.append("None.")
    for cause, names in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        out.append(f"- {cause} ({len(names)}): " + ", ".join(f"`{x}`" for x in names))
    out += [
        "",
        "## Beyond NumPy functions (not counted above)",
        "",
        "What the same tests differentiate that is not a NumPy function: methods, indexing, "
        "index tricks, Python's `sum`, and lists of Vars handed over as arrays.",
        "",
        *_table(extra),
        "",
    ]
    return "\n".join(out)


def main() -> int:
    t0 = time.perf_counter()
    signal.signal(signal.SIGALRM, _alarm)
    results = run_entries(universe())
    extra = run_entries(beyond())
    text = report(results, extra, time.perf_counter() - t0)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
