"""Custom primitives: turn a NumPy function into a row of the table, with its own rules.

    @tp.primitive(
        vjp=lambda g, ans, x: g * tp.sigmoid(x),
        jvp=lambda dx, ans, x: dx * tp.sigmoid(x),
    )
    def log1pexp(x):
        return np.logaddexp(0.0, x)

The decorated function is registered like the built-in rows (``tp.PRIMITIVES``), so it is
recorded and printed on tapes, runs in forward and reverse mode, nests, and can be checked
with ``tp.testing.check_grads``. Write the rules with ``tp.*`` operations so that they,
too, can be differentiated (higher order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, overload

from ._dual import Dual
from ._primitive import Primitive, Rule, Value, register
from ._tape import bind
from ._var import Var


class CustomPrimitive:
    """A user-defined primitive: call it like the function it wraps.

    Positional arguments are the differentiable inputs; keyword arguments are static
    parameters, passed to the function and to both rules unchanged.

    Attributes:
        row: The registered ``Primitive`` row.
    """

    def __init__(self, row: Primitive, doc: str | None) -> None:
        self.row = row
        self.__doc__ = doc
        self.__name__ = row.name

    @overload
    def __call__(self, x: Var, /, *args: Var | Value, **params: Any) -> Var: ...
    @overload
    def __call__(self, x: Dual, /, *args: Dual | Value, **params: Any) -> Dual: ...
    @overload
    def __call__(self, x: Value, /, *args: Value, **params: Any) -> Value: ...
    @overload
    def __call__(self, x: Value, /, *args: Var | Dual | Value, **params: Any) -> Var | Dual: ...
    def __call__(self, x: Any, /, *rest: Any, **params: Any) -> Any:
        args = (x, *rest)
        n = len(self.row.vjp)
        if len(args) != n:
            raise TypeError(f"{self.row.name} takes {n} positional input(s), got {len(args)}")
        return bind(self.row, *args, **params)

    def __repr__(self) -> str:
        return f"<custom primitive {self.row.name}>"


def primitive(
    *,
    vjp: Rule | Sequence[Rule | None],
    jvp: Rule | Sequence[Rule | None],
    name: str | None = None,
    notation: str = "",
    elementwise: bool = False,
) -> Callable[[Callable[..., Any]], CustomPrimitive]:
    """Make a NumPy function a differentiable primitive, given its derivative rules.

    Args:
        vjp: The reverse-mode rule ``vjp(g, ans, *inputs, **params)`` returning the cotangent
            of the input (one rule, or a sequence with one rule per input; ``None`` for an
            input with no derivative).
        jvp: The forward-mode rule ``jvp(d, ans, *inputs, **params)`` returning the output
            tangent contributed by input tangent ``d`` (same layout as ``vjp``).
        name: The name in the registry and the Wengert list (default: the function's name;
            it must be new).
        notation: How a record prints, e.g. ``"log1pexp {0}"`` (default ``name({0}, ...)``).
        elementwise: The inputs broadcast against each other, NumPy-style: cotangents are
            then summed back to each input's shape for you.

    Returns:
        A decorator turning ``fn(*inputs, **params)`` (plain floats/arrays in, out) into a
        ``CustomPrimitive``.
    """
    vjps = (vjp,) if callable(vjp) else tuple(vjp)
    jvps = (jvp,) if callable(jvp) else tuple(jvp)
    if len(vjps) != len(jvps):
        raise ValueError(f"primitive: {len(vjps)} vjp rules but {len(jvps)} jvp rules")

    def make(fn: Callable[..., Any]) -> CustomPrimitive:
        row = Primitive(
            name or fn.__name__,
            impl=fn,
            vjp=vjps,
            jvp=jvps,
            notation=notation,
            broadcasts=elementwise,
            elementwise=elementwise,
        )
        return CustomPrimitive(register(row), fn.__doc__)

    return make


__all__ = ["CustomPrimitive", "primitive"]
