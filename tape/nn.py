"""Neural networks on the tape: ``Module``, ``Linear``, ``MLP`` and the usual losses.

A model is a plain Python object whose parameters are ``Var`` attributes; the forward pass
is ordinary tape code, so training is three lines around the tape::

    model = nn.MLP(2, [16, 16, 1])
    opt = optim.SGD(model.parameters(), lr=0.1)
    with tp.Tape() as t:
        loss = nn.mse(model(x), y)
    opt.step(t.gradient(loss, model.parameters()))

Nothing here touches the tape's internals: every layer and loss is written with the public
``tp.*`` functions and operators, so it records, differentiates (both modes) and nests like
any other tape code.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

import tape as tp

Input: TypeAlias = tp.Var | npt.ArrayLike
"""What a layer accepts: a Var, or data (an array, a list of numbers) that becomes a constant."""

Activation: TypeAlias = Callable[[tp.Var], tp.Var]
"""An elementwise function between layers, such as ``tp.relu`` or ``tp.tanh``."""


# ----- modules -----------------------------------------------------------------------------------


class Module:
    """Base class of layers and models: parameters, calling, state dicts and files.

    A module's parameters are the ``Var`` values of its public attributes, found in
    attribute-assignment order: a ``Var`` attribute is a parameter, a ``Module`` attribute
    contributes its own parameters (recursively), and a list or tuple of Vars and Modules
    contributes its items in order. Attributes whose names start with ``_`` are ignored, and
    a Var reached twice (shared weights) is listed once, at its first place. A parameter's
    name is its dotted path: ``weight``, ``layers.0.bias``.

    Subclasses assign their parameters in ``__init__`` and implement ``forward``.
    """

    def forward(self, x: Input) -> tp.Var:
        """The module's computation; subclasses implement it.

        Args:
            x: The input: a Var, or data (an array), which is treated as a constant.

        Returns:
            The output Var.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def __call__(self, x: Input) -> tp.Var:
        """Apply the module: ``model(x)`` is ``model.forward(x)``."""
        return self.forward(x)

    # ----- parameters ---------------------------------------------------------------------------

    def named_parameters(self) -> list[tuple[str, tp.Var]]:
        """The parameters with their dotted names, in the order of ``parameters()``.

        Returns:
            A list of ``(name, Var)`` pairs, such as ``("layers.0.weight", w)``.
        """
        seen: set[int] = set()
        out: list[tuple[str, tp.Var]] = []
        for name, p in _walk_parameters(self, ""):
            if id(p) not in seen:
                seen.add(id(p))
                out.append((name, p))
        return out

    def parameters(self) -> list[tp.Var]:
        """The parameters, in a stable order: attribute order, layers in order, weight
        before bias. This is the order of the gradients ``t.gradient(loss, params)`` returns
        and the order optimizers expect.

        Returns:
            A list of Vars (the module's own objects: assigning ``p.value`` updates the model).
        """
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """The number of scalar parameters (the sum of the parameters' sizes)."""
        return sum(p.size for p in self.parameters())

    # ----- state dicts and files ----------------------------------------------------------------

    def state_dict(self) -> dict[str, tp.Array]:
        """A copy of every parameter's value, by dotted name.

        Returns:
            A dict from names (as in ``named_parameters``) to new arrays; a float parameter
            becomes a 0-d float64 array. Later training does not change the copies.
        """
        return {name: np.array(p.value, copy=True) for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, npt.ArrayLike]) -> None:
        """Set every parameter from ``state`` (as made by ``state_dict``).

        Nothing is changed unless every name and shape matches. Values are converted to the
        parameter's dtype (float64 values load bit-exactly into float64 parameters).

        Args:
            state: A mapping from every parameter name to an array of that parameter's shape.

        Raises:
            ValueError: When names are missing or unexpected (all are listed), when a shape
                differs, or when a value is not a real number array.
        """
        named = self.named_parameters()
        names = [n for n, _ in named]
        missing = [n for n in names if n not in state]
        unexpected = [n for n in state if n not in set(names)]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing: {', '.join(missing)}")
            if unexpected:
                parts.append(f"unexpected: {', '.join(unexpected)}")
            raise ValueError(
                f"state dict does not match {type(self).__name__}'s parameters ({'; '.join(parts)})"
            )
        values: list[Any] = []
        for name, p in named:
            arr = np.asarray(state[name])
            if arr.shape != p.shape:
                raise ValueError(
                    f"state dict entry {name!r} has shape {arr.shape}, "
                    f"but the parameter has shape {p.shape}"
                )
            if arr.dtype.kind not in "fiu":
                raise ValueError(
                    f"state dict entry {name!r} has dtype {arr.dtype}; parameters are real floats"
                )
            values.append(float(arr) if isinstance(p.value, float) else arr.astype(p.dtype))
        for (_, p), v in zip(named, values, strict=True):
            p.value = v

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state dict to a ``.npz`` file (``np.savez``); ``load`` reads it back.

        Args:
            path: The file; ``.npz`` is appended when missing, as ``np.savez`` does.
        """
        state: dict[str, Any] = self.state_dict()
        np.savez(_npz(path), **state)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Set the parameters from a ``.npz`` file written by ``save`` (bit-exact).

        Args:
            path: The file; ``.npz`` is appended when missing, as in ``save``.

        Raises:
            ValueError: When the file's names or shapes do not match (see
                ``load_state_dict``).
        """
        with np.load(_npz(path), allow_pickle=False) as f:
            state = {k: f[k] for k in f.files}
        self.load_state_dict(state)

    # ----- printing -----------------------------------------------------------------------------

    def describe(self) -> str:
        """A short description of the module's configuration for ``repr`` (sizes, options);
        subclasses override it."""
        return ""

    def __repr__(self) -> str:
        n = self.num_parameters()
        desc = self.describe()
        count = f"{n:,} parameter{'' if n == 1 else 's'}"
        lines = [f"{type(self).__name__}({desc + ', ' if desc else ''}{count})"]
        for name, child in _walk_children(self, ""):
            lines.append(f"  {name}: {child!r}".replace("\n", "\n  "))
        return "\n".join(lines)


def _walk_parameters(m: Module, prefix: str) -> Iterator[tuple[str, tp.Var]]:
    for attr, value in vars(m).items():
        if not attr.startswith("_"):
            yield from _named_in(prefix + attr, value)


def _named_in(name: str, value: object) -> Iterator[tuple[str, tp.Var]]:
    if isinstance(value, tp.Var):
        yield name, value
    elif isinstance(value, Module):
        yield from _walk_parameters(value, name + ".")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _named_in(f"{name}.{i}", item)


def _walk_children(m: Module, prefix: str) -> Iterator[tuple[str, Module]]:
    for attr, value in vars(m).items():
        if attr.startswith("_"):
            continue
        if isinstance(value, Module):
            yield prefix + attr, value
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, Module):
                    yield f"{prefix}{attr}.{i}", item


def _npz(path: str | os.PathLike[str]) -> str:
    p = os.fspath(path)
    return p if p.endswith(".npz") else p + ".npz"


def _as_input(x: Input) -> Any:
    """A Var (or Dual) as it is; data as a float array (integers become float64)."""
    if isinstance(x, tp.Var | tp.Dual):
        return x
    arr = np.asarray(x)
    if arr.dtype.kind in "iub":
        return arr.astype(np.float64)
    if arr.dtype.kind != "f":
        raise TypeError(f"layer inputs must be real numbers; got dtype {arr.dtype}")
    return arr


def _shape(v: object) -> tuple[int, ...]:
    """The shape of a Var, a Dual or data."""
    if isinstance(v, tp.Var | tp.Dual):
        return v.shape
    return tuple(np.shape(np.asarray(v)))


# ----- layers ------------------------------------------------------------------------------------


class Linear(Module):
    """An affine layer: ``x @ weight + bias``.

    Args:
        nin: The number of input features.
        nout: The number of output features.
        bias: Whether to add a bias.
        rng: The random generator for the initial values (default: a fresh
            ``np.random.default_rng()``).

    Attributes:
        weight: A Var of shape (nin, nout), initialised uniformly in ±1/√nin (PyTorch's
            default).
        bias: A Var of shape (nout,), initialised like the weight, or None.

    The input is one sample of shape (nin,), giving (nout,), or a batch of shape (N, nin),
    giving (N, nout) (any leading axes broadcast, as in ``matmul``).
    """

    weight: tp.Var
    bias: tp.Var | None

    def __init__(
        self, nin: int, nout: int, bias: bool = True, rng: np.random.Generator | None = None
    ) -> None:
        if nin < 1 or nout < 1:
            raise ValueError(f"Linear needs positive sizes; got nin={nin}, nout={nout}")
        rng = np.random.default_rng() if rng is None else rng
        bound = 1.0 / math.sqrt(nin)
        self.nin = nin
        self.nout = nout
        self.weight = tp.Var(rng.uniform(-bound, bound, size=(nin, nout)))
        self.bias = tp.Var(rng.uniform(-bound, bound, size=(nout,))) if bias else None

    def forward(self, x: Input) -> tp.Var:
        """Apply the layer.

        Args:
            x: One sample of shape (nin,) or a batch of shape (N, nin).

        Returns:
            A Var of shape (nout,) for one sample, (N, nout) for a batch.

        Raises:
            ValueError: When the last axis of ``x`` is not ``nin`` long.
        """
        xin = _as_input(x)
        shape = _shape(xin)
        if len(shape) == 0 or shape[-1] != self.nin:
            raise ValueError(
                f"Linear({self.nin} → {self.nout}) needs inputs of shape ({self.nin},) or "
                f"(N, {self.nin}); got shape {shape}"
            )
        out: tp.Var = tp.matmul(xin, self.weight)
        return out if self.bias is None else out + self.bias

    def describe(self) -> str:
        """``"nin → nout"``, and ``"bias=False"`` without a bias."""
        return f"{self.nin} → {self.nout}" + ("" if self.bias is not None else ", bias=False")


class MLP(Module):
    """A multilayer perceptron: Linear layers with an activation between them.

    Args:
        nin: The number of input features.
        nouts: The output size of each layer, in order; the last is the network's output.
        activation: The elementwise function applied after every layer but the last.
        rng: The random generator for the initial values, shared by the layers in order
            (default: a fresh ``np.random.default_rng()``).

    Attributes:
        layers: The Linear layers, in order.
        activation: The function between layers.

    Example:
        ``MLP(2, [16, 16, 1])`` maps (N, 2) to (N, 1) through two hidden layers of 16.
    """

    layers: list[Linear]
    activation: Activation

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: Activation = tp.relu,
        rng: np.random.Generator | None = None,
    ) -> None:
        if len(nouts) == 0:
            raise ValueError("MLP needs at least one layer: nouts is empty")
        rng = np.random.default_rng() if rng is None else rng
        sizes = [nin, *nouts]
        self.layers = [Linear(sizes[i], sizes[i + 1], rng=rng) for i in range(len(nouts))]
        self.activation = activation

    def forward(self, x: Input) -> tp.Var:
        """Apply the layers, with the activation between them (never after the last).

        Args:
            x: One sample of shape (nin,) or a batch of shape (N, nin).

        Returns:
            A Var of shape (nouts[-1],) for one sample, (N, nouts[-1]) for a batch.
        """
        h = self.layers[0](x)
        for layer in self.layers[1:]:
            h = layer(self.activation(h))
        return h

    def describe(self) -> str:
        """The layer sizes and the activation: ``"2 → 16 → 1, relu"``."""
        sizes = [self.layers[0].nin] + [layer.nout for layer in self.layers]
        act = getattr(self.activation, "__name__", repr(self.activation))
        return " → ".join(str(s) for s in sizes) + f", {act}"


# ----- losses ------------------------------------------------------------------------------------


def _same_shape(what: str, a: object, b: object, hint: str = "") -> None:
    sa, sb = _shape(a), _shape(b)
    if sa != sb:
        raise ValueError(
            f"{what}: shapes {sa} and {sb} differ (broadcasting them would be silently wrong){hint}"
        )


def _labels(y: npt.ArrayLike) -> npt.NDArray[np.float64]:
    if isinstance(y, tp.Var | tp.Dual):
        raise TypeError("labels must be data (an array), not a Var")
    return np.asarray(y, dtype=np.float64)


def mse(pred: tp.Var, target: tp.Var | npt.ArrayLike) -> tp.Var:
    """Mean squared error: the mean over all elements of (pred − target)².

    Args:
        pred: Predictions of any shape.
        target: Targets of the same shape (data or a Var).

    Returns:
        A scalar Var.

    Raises:
        ValueError: When the shapes differ.
    """
    if not isinstance(target, tp.Var | tp.Dual):
        target = np.asarray(target, dtype=np.float64)
    _same_shape("mse", pred, target)
    return tp.mean(tp.square(pred - target))


def hinge(scores: tp.Var, y: npt.ArrayLike) -> tp.Var:
    """The SVM max-margin loss: the mean over samples of relu(1 − y·score).

    Args:
        scores: Real scores, one per sample: shape (N,).
        y: Labels in {−1, +1}, of the same shape.

    Returns:
        A scalar Var.

    Raises:
        ValueError: When the shapes differ (reshape an (N, 1) output with
            ``scores.reshape(-1)``) or a label is not ±1.
    """
    labels = _labels(y)
    _same_shape("hinge", scores, labels, "; use scores.reshape(-1) for an (N, 1) output")
    if not np.all(np.abs(labels) == 1.0):
        raise ValueError("hinge: labels must be −1 or +1 (for 0/1 labels use 2·y − 1)")
    return tp.mean(tp.relu(1.0 - scores * labels))


def binary_cross_entropy(logits: tp.Var, y: npt.ArrayLike) -> tp.Var:
    """Logistic loss from logits: the mean of −[y·log σ(z) + (1 − y)·log(1 − σ(z))].

    Computed as softplus(z) − y·z, which is exact and finite for logits of any size.

    Args:
        logits: Real scores z, one per sample: shape (N,) (or any shape).
        y: Targets in [0, 1] (usually 0 or 1), of the same shape.

    Returns:
        A scalar Var.

    Raises:
        ValueError: When the shapes differ or a target lies outside [0, 1].
    """
    targets = _labels(y)
    _same_shape("binary_cross_entropy", logits, targets)
    if not np.all((targets >= 0.0) & (targets <= 1.0)):
        raise ValueError("binary_cross_entropy: targets must lie in [0, 1] (labels 0 or 1)")
    return tp.mean(tp.softplus(logits) - logits * targets)


def cross_entropy(logits: tp.Var, labels: npt.ArrayLike) -> tp.Var:
    """Softmax cross-entropy from logits: the mean over samples of −log softmax(z)[label].

    Stable for logits of any size (it uses ``tp.log_softmax``).

    Args:
        logits: Scores of shape (N, C): N samples, C classes.
        labels: Integer class indices in [0, C), of shape (N,).

    Returns:
        A scalar Var.

    Raises:
        ValueError: When the shapes do not fit or a label is out of range.
        TypeError: When the labels are not integers.
    """
    idx = np.asarray(labels)
    shape = _shape(logits)
    if len(shape) != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C); got {shape}")
    n, c = shape
    if idx.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: labels must be integers; got dtype {idx.dtype}")
    if idx.shape != (n,):
        raise ValueError(f"cross_entropy: labels must have shape ({n},); got {idx.shape}")
    if n and (idx.min() < 0 or idx.max() >= c):
        raise ValueError(
            f"cross_entropy: labels must lie in [0, {c}); got {idx.min()}..{idx.max()}"
        )
    logp = tp.log_softmax(logits, axis=-1)
    return -tp.mean(logp[np.arange(n), idx])


def l2(params: Iterable[tp.Var]) -> tp.Var:
    """The sum of squares of every element of every parameter (an L2 penalty).

    Args:
        params: Vars of any shapes, such as ``model.parameters()``.

    Returns:
        A scalar Var (``Var(0.0)`` for no parameters).
    """
    total: tp.Var = tp.Var(0.0)
    for i, p in enumerate(params):
        sq = tp.sum(tp.square(p))
        total = sq if i == 0 else total + sq
    return total


__all__ = [
    "MLP",
    "Activation",
    "Input",
    "Linear",
    "Module",
    "binary_cross_entropy",
    "cross_entropy",
    "hinge",
    "l2",
    "mse",
]
