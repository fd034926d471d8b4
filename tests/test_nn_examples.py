"""The nn examples: moons trains to 100 % with its real settings and draws its boundary, the
micrograd-style scalar network equals nn.MLP (same loss, same gradients), digits reaches 95 %
test accuracy, and each script runs to completion as a program."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tape as tp
from tape import nn

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

import digits  # noqa: E402
import micrograd_style  # noqa: E402
import moons  # noqa: E402

HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None


# ----- moons -------------------------------------------------------------------------------------


def test_make_moons_shapes_labels_and_determinism() -> None:
    X, y = moons.make_moons(101, noise=0.1, rng=np.random.default_rng(3))
    assert X.shape == (101, 2) and y.shape == (101,)
    assert (y == -1).sum() == 50 and (y == 1).sum() == 51
    X2, y2 = moons.make_moons(101, noise=0.1, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    # without noise the points lie on the two unit half circles
    X0, y0 = moons.make_moons(40, noise=0.0, rng=np.random.default_rng(0))
    upper, lower = X0[y0 < 0], X0[y0 > 0]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert upper[:, 1].min() >= -1e-12 and lower[:, 1].max() <= 0.5 + 1e-12


def test_moons_reaches_100_percent_with_the_real_settings() -> None:
    X, y = moons.make_moons(100, noise=0.1, rng=np.random.default_rng(moons.SEED))
    lines: list[str] = []
    model, acc = moons.train(X, y, steps=100, seed=moons.SEED, log=lines.append)
    assert acc == 1.0
    assert moons.accuracy(model, X, y) == 1.0
    assert len(lines) == 11  # steps 1, 11, ..., 91 and the last
    assert lines[-1].startswith("step  100/100 [" + "#" * 30 + "]")
    first_loss = float(lines[0].split("loss ")[1].split()[0])
    last_loss = float(lines[-1].split("loss ")[1].split()[0])
    assert first_loss > 0.9 and last_loss < 0.05


def test_render_boundary_is_a_grid_of_both_classes_and_the_points() -> None:
    X, y = moons.make_moons(100, noise=0.1, rng=np.random.default_rng(moons.SEED))
    model, _ = moons.train(X, y, steps=100, log=None)
    text = moons.render_boundary(model, X, y, width=60, height=24)
    rows = text.split("\n")
    assert len(rows) == 24
    assert all(len(r) == 60 for r in rows)
    assert set(text) <= {"·", ":", "o", "x", "\n"}
    for ch in "·:ox":
        assert ch in text
    # the upper moon (−1) is on the top left, the lower one (+1) on the bottom right
    assert rows[0][0] in "·o"
    assert rows[-1][-1] in ":x"
    small = moons.render_boundary(model, X, y, width=10, height=5)
    assert [len(r) for r in small.split("\n")] == [10] * 5


def test_save_plot_writes_a_png(tmp_path: Path) -> None:
    X, y = moons.make_moons(20, noise=0.1, rng=np.random.default_rng(0))
    model, _ = moons.train(X, y, steps=3, log=None)
    path = tmp_path / "m.png"
    written = moons.save_plot(model, X, y, str(path))
    assert written == (importlib.util.find_spec("matplotlib") is not None)
    if written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ----- micrograd style ---------------------------------------------------------------------------


def test_scalar_network_equals_nn_mlp_loss_and_gradients() -> None:
    X, y = moons.make_moons(6, noise=0.1, rng=np.random.default_rng(5))
    reference = nn.MLP(2, [16, 16, 1], rng=np.random.default_rng(1))
    scalar = micrograd_style.from_nn(reference)
    params = scalar.parameters()
    assert len(params) == reference.num_parameters() == 337
    assert all(type(p.value) is float for p in params)

    with tp.Tape() as t:
        loss, _ = micrograd_style.loss_fn(scalar, X, y)
    grads = t.gradient(loss, params)
    with tp.Tape() as t_ref:
        ref_loss = micrograd_style.nn_loss(reference, X, y)
    ref_grads = t_ref.gradient(ref_loss, reference.parameters())

    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-12, abs=0)
    assert loss.item() > 0.1  # a real loss, not a trivial one
    arranged = micrograd_style.as_arrays(scalar, [float(g) for g in grads])
    for g, ref in zip(arranged, ref_grads, strict=True):
        assert g.shape == np.shape(ref)
        np.testing.assert_allclose(g, ref, rtol=0, atol=1e-12)
    assert max(float(np.abs(r).max()) for r in ref_grads) > 0.01


def test_copy_weights_places_columns_on_neurons() -> None:
    reference = nn.MLP(2, [3, 1], rng=np.random.default_rng(2))
    scalar = micrograd_style.from_nn(reference)
    W = np.asarray(reference.layers[0].weight.value)
    assert [w.value for w in scalar.layers[0].neurons[2].w] == [W[0, 2], W[1, 2]]
    values = [float(p.value) for p in scalar.parameters()]
    for a, p in zip(micrograd_style.as_arrays(scalar, values), reference.parameters(), strict=True):
        np.testing.assert_array_equal(a, p.value)  # as_arrays inverts copy_weights
    x = [0.3, -0.7]
    out = scalar(x)
    assert len(out) == 1
    assert out[0].item() == pytest.approx(float(np.asarray(reference(np.array(x)).value)[0]))
    with pytest.raises(ValueError, match="layers"):
        micrograd_style.copy_weights(nn.MLP(2, [3], rng=np.random.default_rng()), scalar)


def test_scalar_tape_records_every_multiply_and_add() -> None:
    X, y = moons.make_moons(2, noise=0.1, rng=np.random.default_rng(0))
    scalar = micrograd_style.from_nn(nn.MLP(2, [16, 16, 1], rng=np.random.default_rng(0)))
    with tp.Tape() as t:
        micrograd_style.loss_fn(scalar, X, y)
    # per sample: 16·(2 mul + 2 add + relu) + 16·(16 mul + 16 add + relu) + (16 mul + 16 add)
    per_sample = 16 * 5 + 16 * 33 + 32
    # loss: 2·(mul, sub, relu) + 1 add + 1 mul; L2: 337 squares, 336 adds, 1 mul; final add;
    # and 337 input records for the parameters
    assert len(t) == 2 * per_sample + (2 * 3 + 2) + (337 + 336 + 1) + 1 + 337


# ----- digits ------------------------------------------------------------------------------------


def test_digits_split_and_standardise() -> None:
    X = np.arange(40.0).reshape(10, 4)
    X[:, 3] = 7.0  # a constant feature
    y = np.arange(10)
    Xtr, ytr, Xte, yte = digits.split(X, y, 0.2, np.random.default_rng(0))
    assert len(Xtr) == 8 and len(Xte) == 2
    assert sorted([*ytr, *yte]) == list(range(10))
    Str, Ste = digits.standardise(Xtr, Xte)
    np.testing.assert_allclose(Str[:, :3].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Str[:, :3].std(axis=0), 1.0)
    np.testing.assert_array_equal(Str[:, 3], 0.0)  # centred, not divided by zero
    assert np.all(np.isfinite(Ste))


def test_digits_reaches_95_percent_test_accuracy() -> None:
    data = digits.load_digits()
    if data is None:
        pytest.importorskip("sklearn")  # the one allowed skip: the data set ships with it
        return
    X, y = data
    assert X.shape == (1797, 64)
    X_train, y_train, X_test, y_test = digits.split(X, y, 0.2, np.random.default_rng(digits.SEED))
    X_train, X_test = digits.standardise(X_train, X_test)
    model, losses = digits.train(X_train, y_train, epochs=10, log=None)
    assert len(losses) == 10 * 23  # ceil(1438 / 64) steps per epoch
    assert losses[0] > 2.0 and np.mean(losses[-23:]) < 0.3
    assert digits.accuracy(model, X_test, y_test) >= 0.95


# ----- the scripts as programs -------------------------------------------------------------------


def run(script: str, tmp_path: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_moons_script(tmp_path: Path) -> None:
    out = run("moons.py", tmp_path)
    assert "training accuracy 100.0 %" in out
    assert "MLP(2 → 16 → 16 → 1, relu, 337 parameters)" in out
    assert ("saved moons.png" in out) == (tmp_path / "moons.png").exists()


def test_micrograd_style_script(tmp_path: Path) -> None:
    out = run("micrograd_style.py", tmp_path, "--steps", "2", "--n", "20")
    assert "65,412" not in out  # 20 points, not 100
    assert "2 steps in" in out
    lines = [ln for ln in out.splitlines() if re.match(r"\s+\d+\s+\d+\.\d+\s+\d+\.\d %", ln)]
    assert [int(ln.split()[0]) for ln in lines] == [1, 2]
    for ln in lines:
        assert float(ln.split()[-1]) < 1e-12  # |loss − nn.MLP loss|


def test_micrograd_style_script_default_run_prints_tape_length(tmp_path: Path) -> None:
    out = run("micrograd_style.py", tmp_path, "--steps", "1")
    assert "65,412" in out  # the tape length of one step on 100 points


@pytest.mark.skipif(not HAS_SKLEARN, reason="scikit-learn is not installed")
def test_digits_script(tmp_path: Path) -> None:
    out = run("digits.py", tmp_path)
    acc = float(out.split("test accuracy: ")[1].split()[0])
    assert acc >= 95.0
    assert ("saved digits_loss.png" in out) == (tmp_path / "digits_loss.png").exists()


def test_digits_script_without_sklearn_explains_how_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'sklearn' or name.startswith('sklearn.'):\n"
        "            raise ImportError('blocked for the test')\n"
        "sys.meta_path.insert(0, _Block())\n"
    )
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "digits.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert "pip install -e '.[examples]'" in proc.stdout
