"""The typing contract, checked by ``mypy --strict`` (the Makefile runs it on tests/).

``assert_type`` is a no-op at runtime and an error under mypy when the inferred type differs;
each call sits in a test function, and the runtime asserts beside it check that the value
really is of the declared kind.

One gap, by NumPy's stubs: ``ndarray @ Var`` (and ``ndarray * Var`` etc.) is inferred as an
``ndarray``, because ``ndarray.__matmul__`` accepts anything array-like (a Var has
``__array__``) and mypy never consults ``Var.__rmatmul__``. At runtime the result is a Var.
So the contract is stated for ``Var @ ndarray``, ``tp.matmul(ndarray, Var)`` and
``float * Var``; ``ndarray @ Var`` is only checked at runtime.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, assert_type

import numpy as np
import numpy.typing as npt
import pytest

import tape as tp
from tape.testing import numerical_jacobian

if TYPE_CHECKING:
    from tape.transforms import Transformed

A = np.array([1.0, 2.0, 3.0])


def test_var_operators_give_var() -> None:
    x = tp.Var(1.5)
    w = tp.Var(A)
    assert_type(x + 1.0, tp.Var)
    assert_type(1.0 + x, tp.Var)
    assert_type(x - 1.0, tp.Var)
    assert_type(1.0 - x, tp.Var)
    assert_type(x * 2.0, tp.Var)
    assert_type(2.0 * x, tp.Var)
    assert_type(2 * x, tp.Var)
    assert_type(x / 2.0, tp.Var)
    assert_type(1.0 / x, tp.Var)
    assert_type(x**2.0, tp.Var)
    assert_type(2.0**x, tp.Var)
    assert_type(-x, tp.Var)
    assert_type(+x, tp.Var)
    assert_type(abs(x), tp.Var)
    assert_type(x + w, tp.Var)
    assert_type(w * A, tp.Var)
    assert_type(w @ A, tp.Var)
    assert_type(w @ w, tp.Var)
    assert_type(w[0], tp.Var)
    assert_type(w[1:], tp.Var)
    for v in (x + 1.0, 2.0 * x, w @ A, w[0], -x, 2.0**x):
        assert isinstance(v, tp.Var)


def test_ndarray_on_the_left_gives_a_var_at_runtime() -> None:
    w = tp.Var(A)
    r: object = A @ w  # mypy: an ndarray (not pinned: it follows NumPy's stubs)
    assert isinstance(r, tp.Var)  # at runtime NumPy defers to Var.__array_ufunc__
    assert r.item() == float(A @ A)
    assert_type(tp.matmul(A, w), tp.Var)  # the typed spelling
    assert isinstance(tp.matmul(A, w), tp.Var)


def test_var_methods_and_properties() -> None:
    w = tp.Var(np.arange(6.0).reshape(2, 3))
    assert_type(w.sum(), tp.Var)
    assert_type(w.sum(axis=0), tp.Var)
    assert_type(w.mean(), tp.Var)
    assert_type(w.max(), tp.Var)
    assert_type(w.reshape(3, 2), tp.Var)
    assert_type(w.T, tp.Var)
    assert_type(w.exp(), tp.Var)
    assert_type(w.detach(), tp.Var)
    assert_type(w.value, tp.Value)
    assert_type(w.shape, tuple[int, ...])
    assert_type(w.ndim, int)
    assert_type(w.size, int)
    assert_type(w.dtype, np.dtype[Any])
    assert_type(w[0, 0].item(), float)
    assert_type(float(w.sum()), float)
    assert isinstance(w.sum(), tp.Var)
    assert w.T.shape == (3, 2)
    assert isinstance(w.value, np.ndarray)


def test_functions_follow_their_argument_kind() -> None:
    x = tp.Var(0.5)
    w = tp.Var(A)
    assert_type(tp.sin(x), tp.Var)
    assert_type(tp.sin(0.5), float)
    assert_type(tp.sin(A), tp.Array)
    assert_type(tp.exp(w), tp.Var)
    assert_type(tp.tanh(1.0), float)
    assert_type(tp.sum(w), tp.Var)
    assert_type(tp.mean(w, axis=0), tp.Var)
    assert_type(tp.maximum(x, 0.0), tp.Var)
    assert_type(tp.maximum(0.0, x), tp.Var)
    assert_type(tp.maximum(1.0, 2.0), float)
    assert_type(tp.add(A, A), tp.Array)
    assert_type(tp.where(A > 1.0, w, 0.0), tp.Var)
    assert_type(tp.clip(x, 0.0, 1.0), tp.Var)
    assert_type(tp.clip(0.5, 0.0, 1.0), float)
    assert_type(tp.reshape(w, (3, 1)), tp.Var)
    assert_type(tp.transpose(w), tp.Var)
    assert_type(tp.dot(w, w), tp.Var)
    assert_type(tp.softmax(w), tp.Var)
    assert_type(tp.stop_gradient(x), tp.Var)
    assert type(tp.sin(0.5)) is float
    assert isinstance(tp.sin(A), np.ndarray)
    assert isinstance(tp.sin(x), tp.Var)
    assert isinstance(tp.maximum(x, 0.0), tp.Var)
    assert type(tp.maximum(1.0, 2.0)) is float


def test_gradient_result_types() -> None:
    x = tp.Var(1.5)
    w = tp.Var(A)
    with tp.Tape(persistent=True) as t:
        y = tp.sum(w * x)
        v = w * 2.0
    assert_type(t, tp.Tape)
    g = t.gradient(y, x)
    assert_type(g, tp.Value)
    assert_type(g, float | npt.NDArray[np.floating[Any]])
    gs = t.gradient(y, [x, w])
    assert_type(gs, list[tp.Value])
    gt = t.gradient(y, (x, w))
    assert_type(gt, list[tp.Value])
    vjp = t.gradient(v, w, output_gradient=np.ones(3))
    assert_type(vjp, tp.Value)
    jac = t.jacobian(v, w)
    assert_type(jac, tp.Array)
    assert_type(len(t), int)
    entries = list(t)
    assert_type(entries, list[tp.Entry])
    assert_type(entries[0].primitive, str)
    assert_type(entries[0].slot, int)
    assert_type(entries[0].value, tp.Value)
    assert g == float(np.sum(A))
    assert isinstance(gs, list) and isinstance(gs[1], np.ndarray)
    np.testing.assert_allclose(jac, 2.0 * np.eye(3))


def test_testing_helpers() -> None:
    jac = numerical_jacobian(lambda v: v * 2.0, [A])
    assert_type(jac, tp.Array)
    np.testing.assert_allclose(jac, 2.0 * np.eye(3), rtol=1e-8)


if TYPE_CHECKING:
    # Wrong uses that mypy must reject (the `type: ignore`s would be reported as unused by
    # --strict's warn_unused_ignores if mypy accepted these lines).
    def _rejected(x: tp.Var, t: tp.Tape) -> None:
        x + "a"  # type: ignore[operator]
        tp.sin("a")  # type: ignore[call-overload]
        t.gradient(x, 1.0)  # type: ignore[call-overload]
        t.jacobian(x, [x])  # type: ignore[arg-type]
        tp.Tape(persistent="yes")  # type: ignore[arg-type]


def test_duals_and_transforms_keep_their_types() -> None:
    d = tp.Dual(np.array([0.5, 1.0]), np.array([1.0, 0.0]))
    e = assert_type(tp.sin(d), tp.Dual)
    assert isinstance(e, tp.Dual)
    np.testing.assert_allclose(e.tangent, [np.cos(0.5), 0.0])
    s = assert_type(tp.sum(d * d), tp.Dual)
    assert isinstance(s, tp.Dual) and s.tangent == 1.0  # d/dx0 of Σ x² at x0 = 0.5
    m = assert_type(tp.matmul(np.eye(2), d), tp.Dual)
    assert isinstance(m, tp.Dual)
    assert_type(tp.maximum(d, 0.7), tp.Dual)
    assert_type(tp.where(A[:2] > 1.5, d, 0.0), tp.Dual)

    def f(x: tp.Array) -> tp.Value:  # NumPy-style code: at run time x is a Var or a Dual
        return tp.sum(x * x)

    g = assert_type(tp.grad(f)(A), tp.Value)
    gs = assert_type(tp.grad(f, argnums=(0,))(A), tuple[tp.Value, ...])
    j = assert_type(tp.jacfwd(f)(A), tp.Array)
    np.testing.assert_allclose(g, 2 * A)
    np.testing.assert_allclose(gs[0], 2 * A)
    np.testing.assert_allclose(j, 2 * A)


# ----- transforms of functions annotated with Var, called with floats and arrays --------------


def loss(x: tp.Var) -> tp.Var:
    return tp.sum(tp.sin(x) * x)


def pair(x: tp.Var, y: tp.Var) -> tp.Var:
    return tp.sum(x * y)


def test_transforms_take_floats_and_arrays_where_f_takes_vars() -> None:
    g = assert_type(tp.grad(tp.sin)(1.0), tp.Value)
    assert g == np.cos(1.0)
    transformed: Transformed[[tp.Var], tp.Value] = tp.grad(tp.sin)  # the type, by its name
    assert callable(transformed)
    ga = assert_type(tp.grad(loss)(A), tp.Value)
    np.testing.assert_allclose(ga, np.cos(A) * A + np.sin(A), rtol=1e-15)
    gxy = assert_type(tp.grad(pair, (0, 1))(A, 2.0), tuple[tp.Value, ...])
    assert gxy[1] == float(np.sum(A))
    v, _ = assert_type(tp.value_and_grad(loss)(A), tuple[tp.Value, tp.Value])
    assert v == float(np.sum(np.sin(A) * A))
    jf = assert_type(tp.jacfwd(loss)(A), tp.Array)
    jr = assert_type(tp.jacrev(loss)(A), tp.Array)
    jb = assert_type(tp.jacobian(loss)(A), tp.Array)
    h = assert_type(tp.hessian(loss)(A), tp.Array)
    np.testing.assert_allclose(jf, ga, rtol=1e-15)
    np.testing.assert_allclose(jr, ga, rtol=1e-15)
    np.testing.assert_allclose(jb, ga, rtol=1e-15)
    np.testing.assert_allclose(h, np.diag(2 * np.cos(A) - A * np.sin(A)), rtol=1e-14, atol=1e-15)
    assert_type(tp.jacfwd(tp.sin)(1.0), tp.Array)
    assert_type(tp.hessian(tp.sin)(1.0), tp.Array)
    assert_type(tp.grad(tp.grad(tp.sin))(1.0), tp.Value)  # nested: still precise
    assert_type(tp.jacfwd(tp.grad(loss))(A), tp.Array)


def test_hvp_single_and_tuple_forms_are_typed() -> None:
    hv = assert_type(tp.hvp(loss, A, np.ones(3)), tp.Value)
    np.testing.assert_allclose(hv, 2 * np.cos(A) - A * np.sin(A), rtol=1e-14)
    hs = assert_type(tp.hvp(pair, (A, A), (np.ones(3), np.zeros(3))), tuple[tp.Value, ...])
    np.testing.assert_allclose(hs[0], np.zeros(3))
    np.testing.assert_allclose(hs[1], np.ones(3))
    hl = assert_type(tp.hvp(pair, [A, A], [np.ones(3), np.zeros(3)]), tuple[tp.Value, ...])
    assert len(hl) == 2


if TYPE_CHECKING:

    def _rejected_transforms() -> None:
        tp.grad(loss)("a")  # type: ignore[call-overload]
        tp.jacfwd(tp.sin)(None)  # type: ignore[call-overload]
        tp.hvp(loss, (A,), A)  # type: ignore[call-overload]


# ----- a user's file, type-checked outside the repository -------------------------------------

USER_FILE = Path(__file__).parent / "typing_outside" / "user_code.py"


def _revealed(out: str) -> list[tuple[int, str]]:
    return [(int(m[1]), m[2]) for m in re.finditer(r":(\d+): note: Revealed type is \"(.*)\"", out)]


def test_mypy_outside_the_repository_sees_tape(tmp_path: Path) -> None:
    # As a user would: their own file in their own folder, this environment's mypy. mypy
    # runs no import hooks, so an editable install must put a plain path on sys.path (the
    # Makefile installs in setuptools' strict mode); with the default hook, `import tape`
    # was import-not-found and every type below was Any.
    pytest.importorskip("mypy")
    repo = Path(__file__).resolve().parent.parent
    assert repo not in tmp_path.resolve().parents
    user = tmp_path / "user_code.py"
    shutil.copy(USER_FILE, user)
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    cache = Path(sys.prefix) / ".mypy_cache_outside"  # kept between runs: numpy's stubs
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), user.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert "import-not-found" not in out, (
        "mypy outside the repository cannot see the installed tape (an editable install "
        "through an import hook?): reinstall with `make` (editable_mode=strict)\n" + out
    )
    assert proc.returncode == 0, out
    assert "Success: no issues found in 1 source file" in out, out
    lines = USER_FILE.read_text().splitlines()
    revealed = _revealed(out)
    expected = [(i + 1, line) for i, line in enumerate(lines) if line.startswith("reveal_type(")]
    assert [n for n, _ in revealed] == [n for n, _ in expected], out
    for (n, got), (_, line) in zip(revealed, expected, strict=True):
        want = line.split("# ", 1)[1]
        assert got != "Any" and got.startswith(want), f"line {n}: {line!r} revealed {got!r}"
