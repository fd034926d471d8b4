"""The moons network written as micrograd writes it: lists of scalar Vars, one per weight.

``python examples/micrograd_style.py`` trains the same ``MLP(2, [16, 16, 1])`` on the same
two moons as ``moons.py``, but every weight is its own ``tp.Var`` holding a Python float,
and a neuron is ``sum(wᵢ·xᵢ) + b`` written out in Python. Every scalar multiply and add is
one record on the tape (about 65,000 per step), which the output shows, next to the time per
step. The scalar network starts from ``moons.py``'s initial weights (``copy_weights``), so
its loss matches the array version's step by step: the two differ only in how the
arithmetic is grouped.

By default it runs the first 20 of moons.py's 100 steps (``--steps 100`` for all of them).
"""

from __future__ import annotations

import argparse
import functools
import operator
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import tape as tp
from tape import nn, optim

sys.path.insert(0, str(Path(__file__).resolve().parent))
from moons import SEED, Floats, accuracy, make_moons

# ----- micrograd's nn.py, on tape Vars ----------------------------------------------------------


class Module:
    """micrograd's base class: a module lists its parameters."""

    def parameters(self) -> list[tp.Var]:
        """Every scalar parameter, in order."""
        return []


class Neuron(Module):
    """One unit: relu(w · x + b), or w · x + b for the last layer."""

    def __init__(self, nin: int, nonlin: bool, rng: np.random.Generator) -> None:
        self.w = [tp.Var(float(rng.uniform(-1.0, 1.0))) for _ in range(nin)]
        self.b = tp.Var(0.0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[float | tp.Var]) -> tp.Var:
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[tp.Var]:
        return [*self.w, self.b]


class Layer(Module):
    """A list of neurons reading the same inputs."""

    def __init__(self, nin: int, nout: int, nonlin: bool, rng: np.random.Generator) -> None:
        self.neurons = [Neuron(nin, nonlin, rng) for _ in range(nout)]

    def __call__(self, x: Sequence[float | tp.Var]) -> list[tp.Var]:
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[tp.Var]:
        return [p for n in self.neurons for p in n.parameters()]


class MLP(Module):
    """Layers of neurons; the last layer is linear."""

    def __init__(self, nin: int, nouts: Sequence[int], rng: np.random.Generator) -> None:
        sz = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [Layer(sz[i], sz[i + 1], i != last, rng) for i in range(len(nouts))]

    def __call__(self, x: Sequence[float | tp.Var]) -> list[tp.Var]:
        out = self.layers[0](x)
        for layer in self.layers[1:]:
            out = layer(out)
        return out

    def parameters(self) -> list[tp.Var]:
        return [p for layer in self.layers for p in layer.parameters()]


# ----- the bridge to tape.nn ---------------------------------------------------------------------


def from_nn(src: nn.MLP) -> MLP:
    """A scalar MLP of ``src``'s sizes holding ``src``'s weights (see ``copy_weights``)."""
    sizes = [layer.nout for layer in src.layers]
    dst = MLP(src.layers[0].nin, sizes, np.random.default_rng(0))
    copy_weights(src, dst)
    return dst


def copy_weights(src: nn.MLP, dst: MLP) -> None:
    """Set the scalar network's weights from an ``nn.MLP`` of the same sizes.

    Neuron j of layer k gets column j of ``layers[k].weight`` and element j of its bias.

    Raises:
        ValueError: When the sizes differ.
    """
    if len(src.layers) != len(dst.layers):
        raise ValueError(f"{len(src.layers)} layers vs {len(dst.layers)}")
    for k, (lin, layer) in enumerate(zip(src.layers, dst.layers, strict=True)):
        W = np.asarray(lin.weight.value)
        b = np.zeros(lin.nout) if lin.bias is None else np.asarray(lin.bias.value)
        if W.shape != (len(layer.neurons[0].w), len(layer.neurons)):
            raise ValueError(f"layer {k}: weight {W.shape} vs {len(layer.neurons)} neurons")
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                w.value = float(W[i, j])
            neuron.b.value = float(b[j])


def as_arrays(model: MLP, values: Sequence[float]) -> list[Floats]:
    """Arrange one float per scalar parameter (in ``model.parameters()`` order) the way
    ``nn.MLP.parameters()`` lays them out: [weight (nin, nout), bias (nout,)] per layer."""
    out: list[Floats] = []
    k = 0
    for layer in model.layers:
        nin, nout = len(layer.neurons[0].w), len(layer.neurons)
        W, b = np.zeros((nin, nout)), np.zeros(nout)
        for j in range(nout):
            W[:, j] = values[k : k + nin]
            b[j] = values[k + nin]
            k += nin + 1
        out += [W, b]
    return out


# ----- training ----------------------------------------------------------------------------------


def total(vs: Sequence[tp.Var]) -> tp.Var:
    """v₀ + v₁ + ... (builtin ``sum`` would start from the integer 0)."""
    return functools.reduce(operator.add, vs)


def loss_fn(model: MLP, X: Floats, y: Floats, alpha: float = 1e-4) -> tuple[tp.Var, float]:
    """micrograd's loss, one scalar at a time: mean hinge loss + alpha·Σp².

    Call it inside a tape. Returns:
        ``(loss, accuracy)``, the accuracy of the scores it computed.
    """
    inputs = [[float(a) for a in row] for row in X]
    scores = [model(x)[0] for x in inputs]
    losses = [(1.0 - float(yi) * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = total(losses) * (1.0 / len(losses))
    reg_loss = alpha * total([p * p for p in model.parameters()])
    acc = float(np.mean([(s.value > 0) == (yi > 0) for yi, s in zip(y, scores, strict=True)]))
    return data_loss + reg_loss, acc


def nn_loss(model: nn.MLP, X: Floats, y: Floats, alpha: float = 1e-4) -> tp.Var:
    """The same loss written with arrays, as ``moons.py`` does."""
    return nn.hinge(model(X).reshape(-1), y) + alpha * nn.l2(model.parameters())


def main(argv: list[str] | None = None) -> None:
    """Train the scalar network beside the array one and print both losses per step."""
    parser = argparse.ArgumentParser(description="moons with one scalar Var per weight")
    parser.add_argument("--steps", type=int, default=20, help="SGD steps (20 of moons.py's 100)")
    parser.add_argument("--n", type=int, default=100, help="number of points (100)")
    args = parser.parse_args(argv)

    X, y = make_moons(args.n, noise=0.1, rng=np.random.default_rng(SEED))
    reference = nn.MLP(2, [16, 16, 1], rng=np.random.default_rng(SEED))  # moons.py's start
    model = from_nn(reference)
    params = model.parameters()
    ref_opt = optim.SGD(reference.parameters(), lr=1.0)
    print(
        f"two moons, {args.n} points; micrograd-style MLP(2, [16, 16, 1]): {len(params)} "
        f"scalar Vars. Running {args.steps} of moons.py's 100 SGD steps"
        + (" (--steps 100 for all)" if args.steps < 100 else "")
        + ".\n"
    )
    print(" step      loss   accuracy   tape records   time/step   |loss − nn.MLP loss|")
    times, ref_times = [], []
    ref_records = 0
    for k in range(args.steps):
        start = time.perf_counter()
        with tp.Tape() as t:
            loss, acc = loss_fn(model, X, y)
        records = len(t)
        grads = t.gradient(loss, params)
        lr = 1.0 - 0.9 * k / 100
        for p, g in zip(params, grads, strict=True):
            p.value = p.value - lr * g  # micrograd: p.data -= lr * p.grad
        times.append(time.perf_counter() - start)

        start = time.perf_counter()
        with tp.Tape() as t_ref:  # the array version: same start, same steps
            ref_loss = nn_loss(reference, X, y)
        ref_records = len(t_ref)
        ref_opt.lr = lr
        ref_opt.step(t_ref.gradient(ref_loss, reference.parameters()))
        ref_times.append(time.perf_counter() - start)
        print(
            f"{k + 1:>5} {loss.item():>9.6f} {100 * acc:>8.1f} % {records:>14,} "
            f"{1000 * times[-1]:>8.0f} ms   {abs(loss.item() - ref_loss.item()):.1e}"
        )
    _, final = loss_fn(model, X, y)  # outside any tape: nothing is recorded
    print(
        f"\n{args.steps} steps in {sum(times):.1f} s, {1000 * np.mean(times):.0f} ms per step; "
        f"training accuracy after the last step {100 * final:.1f} % "
        f"(nn.MLP: {100 * accuracy(reference, X, y):.1f} %)."
    )
    print(
        f"Every scalar multiply and add was a record. The array version (moons.py) has "
        f"{ref_records} records per step and takes {1000 * np.mean(ref_times):.1f} ms."
    )


if __name__ == "__main__":
    main()
