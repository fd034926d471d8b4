"""The shape of one row of the primitive table, and the registry that holds every row.

A primitive is an elementary operation the tape knows how to differentiate. Its row keeps
everything about it in one place: the forward computation on plain values (Python floats or
NumPy arrays), one VJP rule per input (reverse mode) and one JVP rule per input (forward mode).

Rules have one fixed signature, in the manner of autodidact:

    vjp_i(g, ans, *inputs, **params) -> cotangent of input i     (None means "zero")
    jvp_i(d, ans, *inputs, **params) -> tangent contribution of input i's tangent d

where ``g`` is the cotangent of the output, ``ans`` the output's value and ``inputs`` the
values the forward pass saw. One row shape per kind of primitive: ``elementwise`` rows give
one function per input, ``t ↦ t·∂f/∂xᵢ``, that serves as both rules (a diagonal Jacobian is
its own transpose); ``self_adjoint`` rows (symmetric Jacobians) give one map; linear rows
(``_table.linear``: sum, reshape, broadcast_to, getitem, concatenate, astype…) give their
transpose, their JVP being the row itself; structured rows give both lists. Rules are
written with ``tape``'s own operations, so they work on plain values (fast NumPy), on
recorded values (a sweep recorded by an outer tape: higher-order derivatives) and on dual
numbers (forward-over-reverse) alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt

Array: TypeAlias = npt.NDArray[np.floating[Any]]
"""A floating-point NumPy array (float64, or float32 kept as float32)."""

Value: TypeAlias = float | Array
"""A plain value: a Python float or a floating-point NumPy array."""

Axis: TypeAlias = int | tuple[int, ...] | None
"""An ``axis`` argument: one axis, several, or all (None)."""

Index: TypeAlias = Any
"""Whatever NumPy accepts in ``a[...]``: slices, ints, arrays, tuples of them."""

Rule: TypeAlias = Callable[..., Any]
"""A VJP or JVP rule. Its arguments may be plain values, Vars or Duals: see the module doc."""


class Code(NamedTuple):
    """How one record of a row reads as plain code (NumPy and ``math`` on plain values), for
    the replayed program (``_codegen``). Expressions are ``str.format`` templates: ``{0}``,
    ``{1}``... are the record's inputs, ``{ans}`` its output, ``{g}`` the output's cotangent,
    and any other name is an entry of ``consts`` (a literal such as an axis tuple is written
    into the code; anything else, an index array, becomes a name in the program).

    Attributes:
        out: The forward expression (``"{0} * {1}"``, ``"math.sin({0})"``).
        partials: For elementwise rows: ∂out/∂input k as an expression of the inputs and
            ``{ans}`` (``"math.cos({0})"``), ``"1"`` and ``"-1"`` for ±the cotangent itself,
            None for no derivative. The cotangent is ``g · partial``, summed back to the
            input's shape by the generator (which knows the shapes).
        vjp: Otherwise (or instead): the cotangent of input k as an expression with ``{g}``,
            already of input k's shape (elementwise rows: of the output's, summed back).
        consts: Values the templates name.
        jvp: Input k's contribution to the output's tangent, as an expression with ``{d}``
            for input k's tangent (of input k's shape), for rows whose forward mode does not
            follow from the rest: partials give ``d · partial``, a row whose one rule serves
            both modes (elementwise, self-adjoint) its VJP with ``d`` for ``g``, a linear
            row its own ``out`` applied to ``d``. None for no derivative.
    """

    out: str
    partials: tuple[str | None, ...] | None = None
    vjp: tuple[str | None, ...] | None = None
    consts: dict[str, Any] | None = None
    jvp: tuple[str | None, ...] | None = None


PlainCode: TypeAlias = Callable[[tuple[Any, ...], Any, dict[str, Any]], "Code | None"]
"""A row's plain code: given one record's input values, output value and parameters (all as
recorded: their shapes and types are the record's), its ``Code`` with every shape decision
made, or None where the row has no plain form for such values (then the program calls the
row's generic implementation and rules, which are always correct)."""


@dataclass(frozen=True, slots=True, eq=False)
class Primitive:
    """One row of the table: a primitive's forward computation and its derivative rules.

    Attributes:
        name: The name shown in the Wengert list and in error messages (``"sin"``).
        impl: The forward computation on plain values, ``impl(*inputs, **params)``.
        vjp: One reverse-mode rule per input position (``None`` for an input that has no
            derivative, such as a boolean mask). Variadic rows hold a single rule that is
            called with ``argnum=i``.
        jvp: One forward-mode rule per input position, in the same layout as ``vjp``.
        notation: How a record is printed, with ``{0}``, ``{1}``... for the inputs and
            ``{p}`` for the parameters (``"{0} + {1}"``, ``"sin {0}"``).
        broadcasts: Whether the inputs broadcast against each other NumPy-style. The sweep
            then sums each cotangent back to its input's shape (and forward mode broadcasts
            each tangent contribution to the output's shape).
        variadic: Whether the row takes any number of inputs (``concatenate``, ``einsum``).
        elementwise: Whether the row acts element by element on broadcast inputs (``add``,
            ``where``): forward mode then lines a batched tangent up with the output's axes.
        differentiable: False for rows whose output is not a real number (comparisons give
            booleans, guards check them): recorded so that replay recomputes them, but no
            derivative flows through them.
        code: The row's plain code for replayed programs (see ``Code``), or None: the
            program then calls ``impl`` and the rules, as the sweep does.
    """

    name: str
    impl: Callable[..., Any]
    vjp: tuple[Rule | None, ...]
    jvp: tuple[Rule | None, ...]
    notation: str = ""
    broadcasts: bool = False
    variadic: bool = False
    elementwise: bool = False
    differentiable: bool = True
    code: PlainCode | None = None
    index: int = field(init=False, default=-1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", len(ROWS))
        ROWS.append(self)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


PRIM: Final = 0
SLOTS: Final = 1
PARAMS: Final = 2
INPUTS: Final = 3
OUT: Final = 4
"""A record's fields by position (primitive index, input slots, params, input values,
output value), for reading records by name: they stay plain tuples, which the garbage
collector stops tracking."""

ROWS: list[Primitive] = []
"""Every row ever made, by ``Primitive.index``. A record names its primitive by this index:
a tuple of numbers and plain values is one the garbage collector stops tracking, so a long
tape costs the collector nothing (it was 40 % of recording a scalar chain)."""


PRIMITIVES: dict[str, Primitive] = {}
"""Every registered primitive by name: the built-in rows and the user's own."""


def same(t: Any, ans: Any, *inputs: Any) -> Any:
    """The partial rule ``t ↦ t`` (∂out/∂x = 1: add's inputs, subtract's first): the sweep
    passes the cotangent on without calling it."""
    return t


def register(row: Primitive) -> Primitive:
    """Add a row to the registry (so tests and tools can iterate it) and return it."""
    if row.name in PRIMITIVES:
        raise ValueError(f"a primitive named {row.name!r} is already registered")
    if not row.variadic and len(row.vjp) != len(row.jvp):
        raise ValueError(f"primitive {row.name!r}: vjp and jvp need one rule per input each")
    PRIMITIVES[row.name] = row
    return row


def elementwise(
    name: str,
    impl: Callable[..., Any],
    partials: tuple[Rule | None, ...],
    notation: str = "",
    code: PlainCode | None = None,
) -> Primitive:
    """An elementwise row, declared by its partial derivatives once.

    ``partials`` holds one function per input, ``t ↦ t · ∂f/∂xᵢ`` written as
    ``rule(t, ans, *inputs)`` (``None`` for an input without a derivative, as ``where``'s
    condition). An elementwise derivative is diagonal, so it is its own transpose: the same
    function is the row's VJP (``t`` the output's cotangent) and its JVP (``t`` input i's
    tangent). With several inputs the row broadcasts: cotangents are summed back to each
    input's shape, tangents lined up with the output's axes.
    """
    several = len(partials) > 1
    return Primitive(
        name,
        impl=impl,
        vjp=partials,
        jvp=partials,
        notation=notation,
        broadcasts=several,
        elementwise=several,
        code=code,
    )


def self_adjoint(
    name: str,
    impl: Callable[..., Any],
    rules: tuple[Rule | None, ...],
    notation: str = "",
    code: PlainCode | None = None,
) -> Primitive:
    """A row whose Jacobian is symmetric (softmax, flip, copy): one rule per input,
    ``t ↦ J·t``, serves as both its VJP and its JVP."""
    return Primitive(name, impl=impl, vjp=rules, jvp=rules, notation=notation, code=code)
