"""Train a small neural network on two moons, micrograd's demo, with batched NumPy Vars.

Run it with ``make demo`` (or ``python examples/moons.py``). It makes 100 points in two
interleaved half circles (labels ±1), trains ``MLP(2, [16, 16, 1])`` with the SVM hinge loss
plus a small L2 penalty by full-batch SGD (learning rate 1.0 decaying to 0.1 over 100
steps), reaches 100 % training accuracy, and draws the decision boundary in the terminal
and, when matplotlib is installed, in ``moons.png`` (``docs/moons.png`` is that file): the
two classes, the region predicted for each, the boundary, and the accuracy in the title.

Each step records one forward pass of about twenty array operations on the tape, then one
reverse sweep gives the gradients of all 337 parameters.
"""

from __future__ import annotations

import argparse
import importlib
import math
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

import tape as tp
from tape import nn, optim

SEED = 0
"""Seeds the data and the initial weights; with it, training reaches 100 % accuracy."""

Floats = npt.NDArray[np.float64]


def make_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[Floats, Floats]:
    """Two interleaving half circles (scikit-learn's ``make_moons``, with labels ±1).

    Args:
        n: The number of points (the upper moon gets n // 2 of them).
        noise: The standard deviation of the Gaussian noise added to each coordinate.
        rng: The random generator (noise and shuffling).

    Returns:
        ``(X, y)``: points of shape (n, 2) and labels of shape (n,), −1 for the upper moon
        and +1 for the lower one, in shuffled order.
    """
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0.0, math.pi, n_upper)
    t_lower = np.linspace(0.0, math.pi, n_lower)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(scale=noise, size=(n, 2))
    y = np.concatenate([-np.ones(n_upper), np.ones(n_lower)])
    order = rng.permutation(n)
    return X[order], y[order]


def scores(model: nn.MLP, X: Floats) -> Floats:
    """The model's score for each point (outside any tape): shape (N,)."""
    return np.asarray(model(X).value, dtype=np.float64).reshape(-1)


def accuracy(model: nn.MLP, X: Floats, y: Floats) -> float:
    """The fraction of points whose score has the sign of their label."""
    return float(np.mean((scores(model, X) > 0) == (y > 0)))


def progress(step: int, steps: int, loss: float, acc: float, width: int = 30) -> str:
    """One line of the text progress bar: ``step  10/100 [###...] loss 0.41 accuracy 87 %``."""
    done = round(width * step / steps)
    bar = "#" * done + "." * (width - done)
    return f"step {step:>4}/{steps} [{bar}] loss {loss:.4f}  accuracy {100 * acc:5.1f} %"


def train(
    X: Floats,
    y: Floats,
    steps: int = 100,
    seed: int = SEED,
    alpha: float = 1e-4,
    log: Callable[[str], None] | None = print,
    every: int = 10,
) -> tuple[nn.MLP, float]:
    """Train ``MLP(2, [16, 16, 1])`` on the points by full-batch SGD, micrograd's recipe.

    The loss is mean(relu(1 − y·score)) + alpha·Σp², and the learning rate falls linearly
    from 1.0 to 0.1: lr = 1.0 − 0.9·step/steps.

    Args:
        X: Points of shape (N, 2).
        y: Labels ±1 of shape (N,).
        steps: The number of SGD steps.
        seed: Seeds the initial weights.
        alpha: The L2 penalty's factor.
        log: Where progress lines go (None for silence).
        every: Log every this many steps (and after the last).

    Returns:
        ``(model, accuracy)``: the trained model and its training accuracy in [0, 1].
    """
    model = nn.MLP(2, [16, 16, 1], rng=np.random.default_rng(seed))
    params = model.parameters()
    opt = optim.SGD(params, lr=1.0)
    for k in range(steps):
        with tp.Tape() as t:
            out = model(X).reshape(-1)
            loss = nn.hinge(out, y) + alpha * nn.l2(params)
        grads = t.gradient(loss, params)
        acc = float(np.mean((np.asarray(out.value) > 0) == (y > 0)))  # before this step
        opt.lr = 1.0 - 0.9 * k / steps
        opt.step(grads)
        if log is not None and (k % every == 0 or k == steps - 1):
            log(progress(k + 1, steps, loss.item(), acc))
    return model, accuracy(model, X, y)


def render_boundary(model: nn.MLP, X: Floats, y: Floats, width: int = 60, height: int = 24) -> str:
    """The decision boundary as a character grid, with the data points on top.

    Each cell shows the class the model predicts at its centre, ``·`` for −1 and ``:`` for
    +1; a cell holding a data point shows ``o`` (label −1) or ``x`` (label +1) instead.

    Args:
        model: A trained model.
        X: Points of shape (N, 2), which also set the plotted region (with a margin).
        y: Their labels ±1, of shape (N,).
        width: Characters per row.
        height: Rows.

    Returns:
        ``height`` lines of ``width`` characters joined by newlines; the first row is the top
        (largest second coordinate).
    """
    (x0, y0), (x1, y1) = X.min(axis=0) - 0.25, X.max(axis=0) + 0.25
    xs = x0 + (np.arange(width) + 0.5) * (x1 - x0) / width
    ys = y1 - (np.arange(height) + 0.5) * (y1 - y0) / height
    gx, gy = np.meshgrid(xs, ys)
    cells = scores(model, np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(height, width)
    grid = [[":" if s > 0 else "·" for s in row] for row in cells]
    cols = np.clip(((X[:, 0] - x0) / (x1 - x0) * width).astype(int), 0, width - 1)
    rows = np.clip(((y1 - X[:, 1]) / (y1 - y0) * height).astype(int), 0, height - 1)
    for r, c, label in zip(rows, cols, y, strict=True):
        grid[r][c] = "x" if label > 0 else "o"
    return "\n".join("".join(row) for row in grid)


def save_plot(model: nn.MLP, X: Floats, y: Floats, path: str, *, steps: int | None = None) -> bool:
    """Draw the decision boundary with matplotlib into ``path``.

    The figure shows the two classes (the upper moon, label −1, as blue circles; the lower
    moon, label +1, as orange crosses), the region the model assigns to each class (shaded)
    and the decision boundary, where the score is 0 (black line). Its title gives the
    training accuracy, and the number of SGD steps when ``steps`` is given.

    Returns:
        True when the file was written, False when matplotlib is not installed.
    """
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError:
        return False
    matplotlib.use("Agg")
    plt = importlib.import_module("matplotlib.pyplot")
    Line2D = importlib.import_module("matplotlib.lines").Line2D
    Patch = importlib.import_module("matplotlib.patches").Patch
    (x0, y0), (x1, y1) = X.min(axis=0) - 0.25, X.max(axis=0) + 0.25
    gx, gy = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 200))
    s = scores(model, np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(8.6, 4.6))
    ax.contourf(gx, gy, s > 0, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"])
    ax.contour(gx, gy, s, levels=[0.0], colors="k", linewidths=1.5)
    ax.scatter(*X[y < 0].T, c="#2171b5", marker="o", s=22)
    ax.scatter(*X[y > 0].T, c="#d94801", marker="x", s=22)
    ax.set_xlabel("x₁ (first coordinate)")
    ax.set_ylabel("x₂ (second coordinate)")
    ax.set_aspect("equal")
    acc = accuracy(model, X, y)
    after = f" after {steps} SGD steps" if steps is not None else ""
    ax.set_title(
        f"MLP(2, [16, 16, 1]) on {len(y)} two-moons points:\n"
        f"{100 * acc:.1f} % training accuracy{after}"
    )
    handles = [
        Line2D([], [], ls="", marker="o", color="#2171b5", label="upper moon (label −1)"),
        Line2D([], [], ls="", marker="x", color="#d94801", label="lower moon (label +1)"),
        Line2D([], [], color="k", lw=1.5, label="decision boundary\n(score = 0)"),
        Patch(color="#c6dbef", label="predicted −1"),
        Patch(color="#fdd0a2", label="predicted +1"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> None:
    """Generate the data, train, check 100 % accuracy, draw the boundary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100, help="number of points (100)")
    parser.add_argument("--steps", type=int, default=100, help="SGD steps (100)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"data and weights ({SEED})")
    parser.add_argument("--png", default="moons.png", help="plot file (moons.png)")
    args = parser.parse_args(argv)

    X, y = make_moons(args.n, noise=0.1, rng=np.random.default_rng(args.seed))
    print(f"two moons: {args.n} points, noise 0.1, labels ±1 (seed {args.seed})")
    start = time.perf_counter()
    model, acc = train(X, y, steps=args.steps, seed=args.seed)
    elapsed = time.perf_counter() - start
    print(model)
    print(
        f"trained in {elapsed:.2f} s ({1000 * elapsed / args.steps:.1f} ms per step): "
        f"training accuracy {100 * acc:.1f} %\n"
    )
    print(render_boundary(model, X, y))
    print("\n· predicted −1   : predicted +1   o data −1   x data +1")
    if save_plot(model, X, y, args.png, steps=args.steps):
        print(f"saved {args.png}")
    else:
        print("matplotlib is not installed: pip install -e '.[examples]' to save moons.png")
    if args.n == 100 and args.steps == 100 and args.seed == SEED and acc != 1.0:
        raise SystemExit(f"expected 100 % training accuracy, got {100 * acc:.1f} %")


if __name__ == "__main__":
    main()
