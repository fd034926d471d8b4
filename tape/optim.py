"""Optimizers: ``SGD`` (with momentum) and ``Adam``, updating parameters from a gradient list.

An optimizer holds the parameters (Vars) and its own state; ``step(grads)`` takes the list
that ``t.gradient(loss, params)`` returned, in the same order, and gives each parameter its
new value. The update formulas are PyTorch's.

Like PyTorch's, the update is in place when nothing else can see it: a parameter's array is
written in place when the Var is the only holder of it (no live tape's records, no array
you kept from ``p.value``, no view of it; CPython's reference count says so). Otherwise the
parameter gets a new array and whoever holds the old one keeps the old values, so a value
read before a step never changes under you.

    opt = optim.Adam(model.parameters(), lr=1e-3)
    with tp.Tape() as t:
        loss = nn.cross_entropy(model(x), labels)
    opt.step(t.gradient(loss, model.parameters()))
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence

import numpy as np

import tape as tp


def _sqrt(v: tp.Value) -> tp.Value:
    return math.sqrt(v) if isinstance(v, float) else np.sqrt(v)


def _copy(v: tp.Value) -> tp.Value:
    return v if isinstance(v, float) else v.copy()


def _zeros_like(v: tp.Value) -> tp.Value:
    return 0.0 if isinstance(v, float) else np.zeros_like(v)


class Optimizer:
    """Base class: the parameters, the learning rate and the checks ``step`` makes.

    Args:
        params: The Vars to optimize (floats or arrays), such as ``model.parameters()``.
        lr: The learning rate; ``opt.lr`` may be reassigned between steps (schedules).

    Raises:
        ValueError: For no parameters, a parameter listed twice, or a negative ``lr``.
        TypeError: For a parameter that is not a Var.
    """

    params: list[tp.Var]
    lr: float

    def __init__(self, params: Iterable[tp.Var], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got no parameters")
        for i, p in enumerate(self.params):
            if not isinstance(p, tp.Var):
                raise TypeError(f"parameter {i} is a {type(p).__name__}, not a tp.Var")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{type(self).__name__}: a parameter is listed more than once")
        _check_nonnegative("lr", lr)
        self.lr = lr
        self.steps = 0

    def step(self, grads: Sequence[tp.Value]) -> None:
        """Update every parameter from its gradient.

        Args:
            grads: One gradient per parameter, in the parameters' order, each of its
                parameter's shape: the list ``t.gradient(loss, params)`` returns.

        Raises:
            ValueError: When the number of gradients differs from the number of parameters,
                or a gradient's shape differs from its parameter's (naming the index and
                both shapes).
            TypeError: When a gradient is a Var (take gradients outside any outer tape).
        """
        if len(grads) != len(self.params):
            raise ValueError(f"step() got {len(grads)} gradients for {len(self.params)} parameters")
        plain: list[tp.Value] = []
        values: list[tp.Value] = []  # each parameter's value, read once
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            v = p.value
            if type(g) is np.ndarray and type(v) is np.ndarray:  # (common: no np.shape)
                if g.shape != v.shape:
                    raise _shape_error(i, g.shape, v.shape)
            elif isinstance(g, tp.Var | tp.Dual):
                raise TypeError(
                    f"gradient {i} is a {type(g).__name__}, not a plain value: take the "
                    "gradients outside any outer tape"
                )
            else:
                gshape, pshape = np.shape(g), np.shape(v)
                if gshape != pshape:
                    raise _shape_error(i, gshape, pshape)
                g = float(g) if pshape == () else np.asarray(g)
            plain.append(g)
            values.append(v)
        self.steps += 1
        for i, p in enumerate(self.params):
            v = values[i]
            values[i] = 0.0  # (now only the Var and ``v`` hold it, as _SOLE_HOLDER counts)
            d = self._decrement(i, v, plain[i])
            if (
                type(v) is np.ndarray
                and type(d) is np.ndarray
                and v.base is None
                and d.dtype == v.dtype
                and _holders(v) <= _SOLE_HOLDER
            ):
                # the Var is the only holder: write in place (as PyTorch's optimizers do)
                v.setflags(write=True)
                v -= d
                v.setflags(write=False)
            else:
                p.value = v - d

    def _decrement(self, i: int, p: tp.Value, g: tp.Value) -> tp.Value:
        """What parameter ``i`` (value ``p``, gradient ``g``) loses this step: its new value
        is ``p - decrement``."""
        raise NotImplementedError


def _shape_error(i: int, gshape: tuple[int, ...], pshape: tuple[int, ...]) -> ValueError:
    return ValueError(f"gradient {i} has shape {gshape} but parameter {i} has shape {pshape}")


def _holders(x: object) -> int:
    """``x``'s reference count as this call sees it (its argument included)."""
    return sys.getrefcount(x)


# What _holders reports for an array that only its Var holds, measured the way step() asks:
# the Var (here a list) and a name (rather than assumed: CPython versions differ in the
# references a call holds)
_probe = [np.empty(1)]
_named = _probe[0]
_SOLE_HOLDER = _holders(_named)
del _probe, _named


def _check_nonnegative(name: str, value: float) -> None:
    if not value >= 0.0:
        raise ValueError(f"{name} must be >= 0; got {value}")


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay (PyTorch's).

    Per parameter p with gradient g::

        g ← g + weight_decay · p
        buf ← momentum · buf + g          (buf = g on the first step)
        p ← p − lr · buf                  (p − lr · g without momentum)

    Args:
        params: The Vars to optimize.
        lr: The learning rate (assignable as ``opt.lr``).
        momentum: The momentum factor (0 for plain SGD).
        weight_decay: The L2 penalty factor added to the gradient.
    """

    def __init__(
        self,
        params: Iterable[tp.Var],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        _check_nonnegative("momentum", momentum)
        _check_nonnegative("weight_decay", weight_decay)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self._buf: list[tp.Value | None] = [None] * len(self.params)

    def _decrement(self, i: int, p: tp.Value, g: tp.Value) -> tp.Value:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            buf = self._buf[i]
            g = _copy(g) if buf is None else self.momentum * buf + g
            self._buf[i] = g
        return self.lr * g


class Adam(Optimizer):
    """Adam with bias correction (PyTorch's formulas; weight decay as in ``torch.optim.Adam``,
    added to the gradient, not decoupled).

    Per parameter p with gradient g, at step t = 1, 2, ...::

        g ← g + weight_decay · p
        m ← β₁ · m + (1 − β₁) · g
        v ← β₂ · v + (1 − β₂) · g²
        p ← p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + eps)

    Args:
        params: The Vars to optimize.
        lr: The learning rate (assignable as ``opt.lr``).
        betas: (β₁, β₂), the decay rates of the moment estimates, each in [0, 1).
        eps: Added to the denominator for numerical stability.
        weight_decay: The L2 penalty factor added to the gradient.
    """

    def __init__(
        self,
        params: Iterable[tp.Var],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        for k, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"betas[{k}] must lie in [0, 1); got {b}")
        _check_nonnegative("eps", eps)
        _check_nonnegative("weight_decay", weight_decay)
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self._m: list[tp.Value] = [_zeros_like(p.value) for p in self.params]
        self._v: list[tp.Value] = [_zeros_like(p.value) for p in self.params]

    def _decrement(self, i: int, p: tp.Value, g: tp.Value) -> tp.Value:
        b1, b2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * p
        m = self._m[i] = b1 * self._m[i] + (1.0 - b1) * g
        v = self._v[i] = b2 * self._v[i] + (1.0 - b2) * (g * g)
        correction1 = 1.0 - b1**self.steps
        correction2 = 1.0 - b2**self.steps
        # PyTorch's arrangement of lr · m̂ / (√v̂ + eps)
        denom = _sqrt(v) / math.sqrt(correction2) + self.eps
        return (self.lr / correction1) * m / denom


__all__ = ["SGD", "Adam", "Optimizer"]
