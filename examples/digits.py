"""Classify scikit-learn's 8×8 handwritten digits with an MLP, softmax cross-entropy and Adam.

``python examples/digits.py`` loads the 1,797 digits bundled with scikit-learn (read from
the installed package, never downloaded; ``pip install -e '.[examples]'``), holds out a
seeded 20 % for testing, standardises the 64 pixel features with the training set's
statistics, and trains ``MLP(64, [64, 10])`` on minibatches of 64 with Adam. It reports the
test accuracy (at least 95 %) and, when matplotlib is installed, saves the loss curve to
``digits_loss.png``.
"""

from __future__ import annotations

import argparse
import importlib
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

import tape as tp
from tape import nn, optim

SEED = 0
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def load_digits() -> tuple[Floats, Ints] | None:
    """The digits from the installed scikit-learn, or None when it is not installed.

    Returns:
        ``(X, y)``: pixel intensities 0..16 of shape (1797, 64) and labels 0..9 of shape
        (1797,).
    """
    try:
        datasets = importlib.import_module("sklearn.datasets")
    except ImportError:
        return None
    bunch = datasets.load_digits()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


def split(
    X: Floats, y: Ints, test_fraction: float, rng: np.random.Generator
) -> tuple[Floats, Ints, Floats, Ints]:
    """A random train/test split.

    Returns:
        ``(X_train, y_train, X_test, y_test)``; the test part has round(test_fraction·N) rows.
    """
    order = rng.permutation(len(X))
    n_test = round(test_fraction * len(X))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


def standardise(X_train: Floats, X_test: Floats) -> tuple[Floats, Floats]:
    """Scale each feature to mean 0 and standard deviation 1 with the training set's
    statistics (a constant feature, such as an always-blank corner pixel, is only centred)."""
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (X_train - mean) / std, (X_test - mean) / std


def accuracy(model: nn.MLP, X: Floats, y: Ints) -> float:
    """The fraction of samples whose largest logit is at their label."""
    logits = np.asarray(model(X).value)
    return float(np.mean(np.argmax(logits, axis=1) == y))


def train(
    X: Floats,
    y: Ints,
    epochs: int = 20,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = SEED,
    log: Callable[[str], None] | None = print,
) -> tuple[nn.MLP, list[float]]:
    """Train ``MLP(64, [64, 10])`` with softmax cross-entropy and Adam on shuffled minibatches.

    Args:
        X: Standardised features of shape (N, 64).
        y: Labels 0..9 of shape (N,).
        epochs: Passes over the data.
        batch_size: Samples per step (the last batch of an epoch may be smaller).
        lr: Adam's learning rate.
        seed: Seeds the initial weights and the shuffling.
        log: Where one line per epoch goes (None for silence).

    Returns:
        ``(model, losses)``: the trained model and the loss of every step, in order.
    """
    rng = np.random.default_rng(seed)
    model = nn.MLP(X.shape[1], [64, 10], rng=rng)
    params = model.parameters()
    opt = optim.Adam(params, lr=lr)
    losses: list[float] = []
    for epoch in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            with tp.Tape() as t:
                loss = nn.cross_entropy(model(X[batch]), y[batch])
            opt.step(t.gradient(loss, params))
            losses.append(loss.item())
        if log is not None:
            steps = -(-len(X) // batch_size)
            mean_loss = float(np.mean(losses[-steps:]))
            log(
                f"epoch {epoch + 1:>3}/{epochs}  mean loss {mean_loss:.4f}  "
                f"training accuracy {100 * accuracy(model, X, y):5.1f} %"
            )
    return model, losses


def save_plot(losses: list[float], steps_per_epoch: int, path: str) -> bool:
    """Plot the per-step loss and its per-epoch mean into ``path``.

    Returns:
        True when the file was written, False when matplotlib is not installed.
    """
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError:
        return False
    matplotlib.use("Agg")
    plt = importlib.import_module("matplotlib.pyplot")
    steps = np.arange(1, len(losses) + 1)
    n_epochs = len(losses) // steps_per_epoch
    epoch_mean = np.asarray(losses[: n_epochs * steps_per_epoch]).reshape(n_epochs, -1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(steps, losses, lw=0.8, alpha=0.5, label="minibatch loss")
    ax.plot(
        steps_per_epoch * np.arange(1, n_epochs + 1),
        epoch_mean.mean(axis=1),
        "o-",
        ms=3,
        label="epoch mean",
    )
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("softmax cross-entropy")
    ax.set_title("MLP(64, [64, 10]) on 8×8 digits, Adam")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> None:
    """Load, split, standardise, train, report the test accuracy, plot the loss."""
    parser = argparse.ArgumentParser(description="8×8 digits with MLP(64, [64, 10]) and Adam")
    parser.add_argument("--epochs", type=int, default=20, help="passes over the data (20)")
    parser.add_argument("--png", default="digits_loss.png", help="plot file (digits_loss.png)")
    args = parser.parse_args(argv)

    data = load_digits()
    if data is None:
        print("scikit-learn is not installed; it provides the digits data set:")
        print("    pip install -e '.[examples]'")
        return
    X, y = data
    X_train, y_train, X_test, y_test = split(X, y, 0.2, np.random.default_rng(SEED))
    X_train, X_test = standardise(X_train, X_test)
    print(
        f"8×8 digits: {len(X_train)} training and {len(X_test)} test samples, 64 features, "
        "10 classes"
    )
    start = time.perf_counter()
    model, losses = train(X_train, y_train, epochs=args.epochs)
    elapsed = time.perf_counter() - start
    acc = accuracy(model, X_test, y_test)
    print(model)
    print(
        f"{len(losses)} Adam steps in {elapsed:.1f} s "
        f"({1000 * elapsed / len(losses):.1f} ms per step)"
    )
    print(f"test accuracy: {100 * acc:.1f} % ({round(acc * len(y_test))}/{len(y_test)})")
    steps_per_epoch = -(-len(X_train) // 64)
    if save_plot(losses, steps_per_epoch, args.png):
        print(f"saved {args.png}")
    else:
        print("matplotlib is not installed: pip install -e '.[examples]' to plot the loss")
    if acc < 0.95:
        raise SystemExit(f"expected a test accuracy of at least 95 %, got {100 * acc:.1f} %")


if __name__ == "__main__":
    main()
