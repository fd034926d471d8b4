"""The tape: a Wengert list of records, the context-local stack of active tapes, and the sweep.

A *Wengert list* is the program a computation actually ran, written out as a straight line
of elementary assignments. For f(x₁, x₂) = ln(x₁) + x₁·x₂ − sin(x₂):

    v₋₁ = x₁          v₁ = ln v₋₁          v₃ = sin v₀          v₅ = v₄ − v₃
    v₀  = x₂          v₂ = v₋₁ × v₀        v₄ = v₁ + v₂

Inside ``with Tape() as t:`` every operation on a ``Var`` appends one such line (a *record*)
to ``t``. A record is a plain tuple

    (primitive, input slots, params, input values, output value)

and a record's *slot* is its position in the list: ``Var`` remembers only its value, its
tape and its slot. Inputs (leaves) are records too, of the primitive ``input``.

``t.gradient(y, x)`` runs the list backwards once. Each slot gets an *adjoint* v̄ = ∂y/∂v,
starting from ȳ = 1; a record ``v = f(a, b)`` turns into ``ā += v̄·∂f/∂a``, ``b̄ += v̄·∂f/∂b``
(the primitive's VJP rules). The list is already in evaluation order, so no graph is built,
nothing is sorted and nothing recurses: the sweep is one loop.

Nesting: while tape T₂ records inside tape T₁, every operation is recorded on both. T₂'s
saved values are then T₁'s Vars, so when ``T₂.gradient`` runs inside T₁ its rules (written
with tape's own operations) are recorded by T₁, and ``T₁.gradient(T₂.gradient(y, x), x)``
is a second derivative.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import shutil
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeAlias, overload

import numpy as np

from . import _show
from ._rows import ROWS, Array, Primitive, Value

if TYPE_CHECKING:
    from ._dual import Dual
    from ._program import Program
    from ._var import Var

Params: TypeAlias = "dict[str, Any] | None"
Record: TypeAlias = "tuple[int, tuple[int, ...], Params, tuple[Any, ...], Any]"
"""(primitive index in ``ROWS``, input slots (-1 for a constant), params, input values,
output value)."""

_STACK: ContextVar[tuple[Tape, ...]] = ContextVar("tape_stack", default=())
_PAUSED: ContextVar[bool] = ContextVar("tape_paused", default=False)  # in stop_recording()
_LEVELS = itertools.count(2, 2)  # nesting order of tapes (and, later, of dual numbers)


class Entry(NamedTuple):
    """One line of the Wengert list, as ``iter(tape)`` shows it.

    Attributes:
        slot: The record's position on the tape (the ``i`` of ``vᵢ`` before renumbering).
        primitive: The primitive's name (``"input"`` for a leaf).
        inputs: The slots of the inputs; ``-1`` marks a constant (a plain value).
        params: Static parameters (axis, shape, ...).
        value: The output value (a Python float or a NumPy array).
        input_values: The value of every input, in order: the slot's value for a recorded
            input and the constant itself for a ``-1`` (so ``c * 2 - d / 4`` can be
            recomputed, and its sweep redone by hand, from the entries alone).
    """

    slot: int
    primitive: str
    inputs: tuple[int, ...]
    params: dict[str, Any]
    value: Value
    input_values: tuple[Value, ...] = ()


class Step(NamedTuple):
    """One adjoint update of the reverse sweep, as ``tape.steps(target)`` lists them.

    The sweep visits the records from the target back to the first; for a record
    vᵢ = φ(…, vₛ, …) it adds v̄ᵢ · ∂φ/∂vₛ to v̄ₛ, one Step per input that has a derivative.

    Attributes:
        record: The slot whose VJP rule runs (vᵢ).
        input: The slot receiving the contribution (vₛ).
        argnum: Which input of the record it is (0 for the first).
        op: The record's primitive (``"multiply"``).
        contribution: The value added to v̄ₛ: v̄ᵢ · ∂vᵢ/∂vₛ (summed back to vₛ's shape).
        total: v̄ₛ after adding it.
        adjoint: v̄ᵢ, the record's own adjoint when its rule ran.
    """

    record: int
    input: int
    argnum: int
    op: str
    contribution: Value
    total: Value
    adjoint: Value


class TapeWarning(UserWarning):
    """A value was used on a tape in a way that probably loses a gradient.

    Raised (as a warning, once per Var) when a Var that an operation made *outside every
    tape* is first used on a tape: the tape sees it as a new input (a leaf), so gradients
    stop there instead of flowing back to the Vars it was computed from — the rule of
    ``tf.GradientTape``, but a trap for anyone used to micrograd or PyTorch.
    """


# ----- the leaf primitive ----------------------------------------------------------------------

INPUT = Primitive("input", impl=lambda x: x, vjp=(), jvp=(), notation="input")


class Tape:
    """Records operations on Vars, in order, and differentiates them with one reverse sweep.

    Args:
        persistent: Keep the records after ``gradient`` so that it can be called again
            (and the adjoints can be shown, and the tape compiled for replay). A
            non-persistent tape frees its records and saved values after its first gradient.
        check_finite: Stop at the first record whose value, or whose adjoint in a sweep,
            is not finite, with a ``FloatingPointError`` naming the record, its operation and
            its inputs' values (PyTorch's anomaly mode, pointing at the Wengert-list line).

    Example:
        >>> x = Var(3.0)
        >>> with Tape() as t:
        ...     y = x * x
        >>> t.gradient(y, x)
        6.0
    """

    def __init__(self, persistent: bool = False, check_finite: bool = False) -> None:
        self.persistent = persistent
        self.check_finite = check_finite
        self._records: list[Record] = []
        # id(a Var this tape first saw as an input) -> (that Var, its leaf's slot here). The
        # tape keeps no Var of its own: nothing it holds points back at it, so dropping the
        # last reference frees it at once.
        self._leaves: dict[int, tuple[Var, int]] = {}
        self._locked: list[Array] = []  # caller's arrays made read-only while saved here
        self._level = 0
        self._state = "new"  # new -> active -> done -> freed
        self._thread = 0
        self._adjoints: list[Any] | None = None
        self._swept_to = -1  # the earliest slot the last kept sweep reached
        self._tangents: list[Any] | None = None  # the last forward_trace
        self._names: dict[int, str] = {}  # slot -> the name of the Var recorded there

    # ----- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> Tape:
        if self._state != "new":
            raise RuntimeError(
                f"this tape is {self._state}: a Tape records once; make a new Tape() instead"
            )
        self._state = "active"
        self._thread = threading.get_ident()
        self._level = next(_LEVELS)
        _STACK.set((*_STACK.get(), self))
        return self

    def __exit__(self, *exc: object) -> None:
        self._check_thread("exit")
        stack = _STACK.get()
        self._state = "done"
        _STACK.set(tuple(t for t in stack if t is not self))
        if not stack or stack[-1] is not self:
            raise RuntimeError(
                "tapes exited out of order: exit nested tapes in reverse order of entering them"
            )

    def _check_thread(self, what: str) -> None:
        if self._state == "active" and threading.get_ident() != self._thread:
            raise RuntimeError(
                f"cannot {what} a tape from a thread other than the one that entered it "
                "(a context copied into another thread, as contextvars.copy_context().run "
                "or asyncio.to_thread do, still sees the tape): give each thread its own Tape"
            )

    def _escaped(self) -> str | None:
        """How a value left this tape for Python as a number (``float(v)``, ``int(v)``,
        ``v.item()``, ``math.*`` on a Var), or None when none did: a gradient through such
        a value is lost, so a plain target after one is a mistake, not a constant."""
        for i, (p, slots, params, _, _) in enumerate(self._records):
            if p != P.GUARD.index or params is None:
                continue
            kind = params["kind"]
            if kind.split("(")[0] in ("float", "int", "item", "tolist"):  # numbers for Python
                src = slots[0]
                what = ROWS[self._records[src][0]].name
                call = kind if kind.endswith(")") else kind + "()"
                return f"{call} of {self._label(src)} ({what}), at record {i}"
        return None

    @contextmanager
    def stop_recording(self) -> Iterator[None]:
        """Pause this tape: operations inside the block are not recorded on it."""
        if self._state != "active":
            raise RuntimeError("stop_recording() needs the tape to be active (inside `with`)")
        stack = _STACK.get()
        token = _STACK.set(tuple(t for t in stack if t is not self))
        paused = _PAUSED.set(True)  # values made here are constants on purpose: no warning
        try:
            yield
        finally:
            _PAUSED.reset(paused)
            _STACK.reset(token)

    def _free(self) -> None:
        self._records = []
        self._leaves = {}
        self._adjoints = None
        self._tangents = None
        self._names = {}
        _unlock(self._locked)
        self._locked = []
        self._state = "freed"

    def __del__(self) -> None:
        # A finaliser may run inside any allocation, also one made while this thread holds
        # _LOCKS_GUARD (a tape freed by the collector in the middle of _lock): it must never
        # wait for that lock. If the lock is free, unlock now; else leave the arrays for the
        # next lock or unlock to release (list.append is atomic).
        locked = getattr(self, "_locked", None)
        if not locked:
            return
        if _LOCKS_GUARD.acquire(blocking=False):
            try:
                _unlock_held(locked)
            finally:
                _LOCKS_GUARD.release()
        else:
            _DEFERRED_UNLOCKS.append(locked)

    # ----- recording --------------------------------------------------------------------------

    def _append(
        self,
        prim: Primitive,
        slots: tuple[int, ...],
        params: Params,
        inputs: tuple[Any, ...],
        ans: Any,
    ) -> Var:
        slot = len(self._records)
        if self.check_finite:
            _check_finite_value(self, slot, prim, inputs, ans)
        self._records.append((prim.index, slots, params, inputs, ans))
        return self._var_at(slot, ans)

    def _var_at(self, slot: int, ans: Any) -> Var:
        out = _new_var(Var)
        out._value = ans
        out._tape = self
        out._slot = slot
        return out

    def _watch(self, x: Var, inner: Any) -> Var:
        """This tape's leaf for the Var ``x`` (made on first use), holding ``inner``."""
        found = self._leaves.get(id(x))
        if found is not None and found[0] is x:
            return self._var_at(found[1], self._records[found[1]][4])
        if x._slot < -1:
            _warn_outside(x)
        leaf = self._append(INPUT, (), None, (), inner)
        self._leaves[id(x)] = (x, leaf._slot)
        return leaf

    def _slot_of(self, x: Var) -> int:
        """The slot of ``x`` on this tape, or -1 when this tape never saw it."""
        if x._tape is self:
            return x._slot
        found = self._leaves.get(id(x))
        return found[1] if found is not None and found[0] is x else -1

    def _guard(self, v: Var, kind: str, result: Any) -> None:
        """Keep the outcome of a value leaving the tape (``bool(v)``, ``float(v)``, ...)."""
        self._check_thread("record on")
        slot = self._slot_of(v)
        if slot < 0:
            slot = self._watch(v, _peel(v))._slot
        value = self._records[slot][4]
        self._records.append((P.GUARD.index, (slot,), {"kind": kind}, (value,), result))

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays this tape holds (saved inputs and outputs, each counted once)."""
        seen: set[int] = set()
        total = 0
        for _, _, _, inputs, ans in self._records:
            for v in (*inputs, ans):
                p = _plain(v)
                if isinstance(p, np.ndarray) and id(p) not in seen:
                    seen.add(id(p))
                    total += p.nbytes
        return total

    def compile(self, inputs: Sequence[Var], outputs: Sequence[Var]) -> Program:
        """Freeze the recorded list as a program that can run again at new input values.

        Args:
            inputs: The Vars whose values the program takes (in this order).
            outputs: The recorded Vars it returns.

        Returns:
            A ``Program``: ``prog(x)``, ``prog.value_and_grad(x)``, ``prog.jvp(x, v)``,
            ``prog.jacobian(x)``, ``prog.hvp(x, v)`` replay the records without running the
            Python code that made them.

        Raises:
            RuntimeError: On a freed tape (compile a persistent tape, or before gradient).
            ValueError: For an output not recorded here, or a tape of nested levels.
        """
        from ._program import Program

        if self._state == "freed":
            raise RuntimeError("this tape was freed by gradient(): use Tape(persistent=True)")
        in_slots: list[int] = []
        for x in inputs:
            slot = self._slot_of(x)
            if slot >= 0 and self._records[slot][0] != INPUT.index:
                raise ValueError(f"compile: input {len(in_slots)} is not an input of the tape")
            in_slots.append(slot)
        out_slots: list[int] = []
        for y in outputs:
            slot = self._slot_of(y) if isinstance(y, Var) else -1
            if slot < 0:
                raise ValueError(f"compile: output {len(out_slots)} was not recorded on this tape")
            out_slots.append(slot)
        return Program(self, self._records, in_slots, out_slots)

    def to_dot(self) -> str:
        """The recorded list as Graphviz DOT text (render it with ``dot -Tsvg``, or use
        ``draw``): one node per record with its name, operation, value and adjoint."""
        return _show.to_dot(self._records, self._adjoints, self._labels())

    @overload
    def draw(self, path: None = None, format: Literal["svg"] = "svg") -> Drawing: ...
    @overload
    def draw(
        self, path: str | os.PathLike[str], format: Literal["svg", "png", "pdf"] = "svg"
    ) -> None: ...
    def draw(
        self,
        path: str | os.PathLike[str] | None = None,
        format: Literal["svg", "png", "pdf"] = "svg",
    ) -> Drawing | None:
        """Draw the Wengert list as a graph with Graphviz's ``dot`` program.

        Each record is a node showing its name, its operation, its value and (after a
        persistent tape's sweep) its adjoint; edges run from each input to the records
        that use it. Inputs are ellipses, records without a derivative dashed.

        Args:
            path: Write the picture to this file. Without it the SVG text is returned.
            format: ``"svg"``, ``"png"`` or ``"pdf"`` (a file format; text needs svg).

        Returns:
            The SVG text (a ``str`` that Jupyter shows as the picture), or None when the
            picture was written to ``path``.

        Raises:
            RuntimeError: When Graphviz's ``dot`` is not installed (the message says how to
                install it); ``t.to_dot()`` gives the DOT text without it.
            ValueError: For another format, or png/pdf without a path.
        """
        if format not in ("svg", "png", "pdf"):
            raise ValueError(f'draw: format must be "svg", "png" or "pdf", not {format!r}')
        if path is None and format != "svg":
            raise ValueError(f"draw: a {format} picture needs a path to be written to")
        out = _run_dot(self.to_dot(), format)
        if path is None:
            return Drawing(out.decode())
        with open(path, "wb") as f:
            f.write(out)
        return None

    def _repr_html_(self) -> str:
        """The Wengert table as HTML (Jupyter shows a tape as this)."""
        head, rows = _show.table(self._records, self._adjoints, self._labels(), self._tangents)
        title = f"Wengert list: {len(self._records)} records, tape {self._state}"
        return _show.to_html(title, head, rows)

    def _repr_svg_(self) -> str | None:
        """The graph as SVG when Graphviz's ``dot`` is installed (else None: Jupyter then
        shows the HTML table)."""
        if shutil.which("dot") is None:
            return None
        return str(self.draw())

    # ----- names -------------------------------------------------------------------------

    def _name_slot(self, slot: int, name: str | None) -> None:
        if name is None:
            self._names.pop(slot, None)
        elif 0 <= slot < len(self._records):
            self._names[slot] = name

    def _labels(self) -> dict[int, str]:
        """The names to show, by slot: recorded Vars named here, and named leaves."""
        labels = dict(self._names)
        for var, slot in self._leaves.values():
            name = var.name
            if name is not None:
                labels.setdefault(slot, name)
        return labels

    def _label(self, slot: int) -> str:
        """How ``print(t)`` names a slot: the Var's name, or its textbook name (v₋₁, v₂)."""
        labels = self._labels()
        if slot in labels:
            return labels[slot]
        return _show.textbook_names(self._records)[slot]

    # ----- the reverse sweep ------------------------------------------------------------------

    @overload
    def gradient(
        self, target: Var | Value, sources: Var, output_gradient: Value | None = None
    ) -> Value: ...
    @overload
    def gradient(
        self,
        target: Var | Value,
        sources: Sequence[Var],
        output_gradient: Value | None = None,
    ) -> list[Value]: ...
    def gradient(
        self,
        target: Var | Value,
        sources: Var | Sequence[Var],
        output_gradient: Value | None = None,
    ) -> Value | list[Value]:
        """The gradient of ``target`` with respect to each source: one reverse sweep.

        Args:
            target: A Var recorded on this tape, or a Var with no history (a source handed
                back unchanged, as ``lambda x: x`` does: it is an input of the tape, whose
                gradient with respect to itself is the seed). A non-scalar target needs
                ``output_gradient``.
            sources: A Var, or a list or tuple of Vars.
            output_gradient: The seed ȳ, of the target's shape (default 1 for a scalar
                target). With it, the result is the vector-Jacobian product ȳᵀ·∂y/∂x.

        Returns:
            For one Var, its gradient, of its shape (a float for a float Var, an array of its
            dtype for an array Var); for a list or tuple, a list of them. A source the target
            does not depend on gets zeros. When an outer tape is active the gradients are
            always Vars (recorded on it, or constants with no history), so that they can be
            differentiated again.

        Raises:
            TypeError: For a target that is a plain number or array: its value left the tape
                (``float(v)``, ``math.*``, ``.item()``, NumPy on ``v.value``) and the
                gradient through it would be lost.
            RuntimeError: On a second call to a non-persistent tape.
            ValueError: For a target not recorded on this tape, a non-scalar target without
                ``output_gradient``, or a seed of the wrong shape.
        """
        single = isinstance(sources, Var)
        srcs: list[Var] = [sources] if isinstance(sources, Var) else list(sources)
        for s in srcs:
            if not isinstance(s, Var):
                raise TypeError(f"sources must be Vars; got {type(s).__name__}")
        adjoints = self._run(target, srcs, output_gradient)
        grads = [
            _shaped_like(adjoints[i] if 0 <= i < len(adjoints) else None, s)
            for i, s in zip(self._source_slots, srcs, strict=True)
        ]
        if not self.persistent:
            self._free()
        if any(t is not self and t._state == "active" for t in _STACK.get()):
            # under an outer tape a gradient is a value of that tape's function: keep even
            # a constant one a Var, so that the outer tape can differentiate it (to zero)
            grads = [g if isinstance(g, Var | Dual) else _constant_var(g) for g in grads]
        return grads[0] if single else grads

    _source_slots: list[int]

    def _run(self, target: Var | Value, srcs: list[Var], seed: Value | None) -> list[Any]:
        """Check the request, then sweep; returns the adjoint list (indexed by slot)."""
        tslot, seed = self._check_request(target, srcs, seed)
        adjoints = sweep(
            self._records, tslot, seed, self._source_slots, self.check_finite, label=self._label
        )
        if self.persistent:
            self._adjoints = adjoints
            reached = [s for s in self._source_slots if 0 <= s <= tslot]
            self._swept_to = min(reached) if reached else tslot + 1
        return adjoints

    def _check_request(
        self, target: Var | Value, srcs: list[Var], seed: Value | None
    ) -> tuple[int, Any]:
        """The target's slot and the seed, after checking both (and noting source slots)."""
        self._check_thread("differentiate")
        if self._state == "freed":
            raise RuntimeError(
                "this tape's records were freed by its first gradient() call; "
                "use Tape(persistent=True) to take several gradients"
            )
        if self._state == "new":
            raise RuntimeError("this tape has recorded nothing: use it as `with Tape() as t:`")
        if not isinstance(target, Var):
            raise TypeError(_left_the_tape(target, self._escaped()))
        tslot = self._slot_of(target)
        if tslot < 0:
            if target._tape is not None:
                raise ValueError(
                    "the target was not recorded on this tape but on another one: take its "
                    "gradient on the tape that recorded it (or that tape was already freed)"
                )
            # a Var with no history (a source handed back unchanged): an input of this tape
            tslot = self._watch(target, target._value)._slot
        ans = self._records[tslot][4]
        tshape = np.shape(_plain(ans))
        if seed is None:
            if tshape != ():
                raise ValueError(
                    f"the target has shape {tshape}, not a scalar: pass output_gradient "
                    "(a seed of the target's shape) to get a vector-Jacobian product, "
                    "or use t.jacobian(target, source)"
                )
            seed = _one_like(_plain(ans))
        else:
            if isinstance(seed, Var):
                seed_shape = seed.shape
            else:
                seed = _as_seed(seed, _plain(ans))
                seed_shape = np.shape(seed)
            if seed_shape != tshape:
                raise ValueError(
                    f"output_gradient has shape {seed_shape} but the target has shape {tshape}"
                )
        self._source_slots = [self._slot_of(s) for s in srcs]
        return tslot, seed

    def jacobian(self, target: Var | Value, source: Var) -> Array:
        """The Jacobian ∂target/∂source, of shape ``target.shape + source.shape``.

        One reverse sweep carrying all the target's m cotangent seeds at once (see
        ``batched_vjp``), over the same records.
        """
        if not isinstance(target, Var):
            raise TypeError(_left_the_tape(target, self._escaped()))
        seed0 = None if target.shape == () else np.zeros(target.shape)
        tslot, _ = self._check_request(target, [source], seed0)
        sslot = self._source_slots[0]
        sv = source.value
        dtype = np.result_type(target.dtype, source.dtype)
        if sslot < 0 or sslot > tslot:
            jac = np.zeros(target.shape + source.shape, dtype=dtype)
        else:
            jac = batched_vjp(self._records, tslot, sslot, target.shape, np.shape(sv))
            jac = jac.astype(sv.dtype if isinstance(sv, np.ndarray) else dtype, copy=False)
        if not self.persistent:
            self._free()
        return jac

    # ----- looking at the tape ----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Entry]:
        for i, (p, slots, params, inputs, ans) in enumerate(self._records):
            values = tuple(read_only(_plain(v)) for v in inputs)
            yield Entry(i, ROWS[p].name, slots, dict(params or {}), read_only(_plain(ans)), values)

    def adjoint(self, x: Var) -> Value:
        """v̄ = ∂target/∂x from the last reverse sweep of a persistent tape, for any Var it
        recorded: an input or an intermediate value (micrograd's ``.grad``).

        A value the target does not depend on (nothing reached it, or it came after the
        target) has adjoint zero, of its shape.

        Raises:
            RuntimeError: When no sweep was kept: the tape is not persistent (its adjoints
                are freed with its records: use ``Tape(persistent=True)``), or no gradient
                or steps were taken yet.
            ValueError: For a Var this tape did not record, or one before the earliest
                source of the last sweep (which stopped there: pass it as a source).
        """
        if self._adjoints is None:
            if not self.persistent:
                raise RuntimeError(
                    "t.adjoint needs the adjoints of a sweep, which a tape frees with its "
                    "records: use Tape(persistent=True), then t.gradient (or t.steps)"
                )
            raise RuntimeError("no sweep yet: call t.gradient(target, sources) first")
        slot = self._slot_of(x)
        if slot < 0:
            raise ValueError("t.adjoint: this Var was not recorded on this tape")
        stop = self._swept_to
        if slot < stop:
            raise ValueError(
                f"t.adjoint: the last sweep stopped at record {stop} (its earliest source) "
                f"and never reached {self._label(slot)}: pass it among the sources"
            )
        a = self._adjoints[slot] if slot < len(self._adjoints) else None
        out: Value = _shaped_like(None, x) if a is None else _plain(a)
        return out

    def steps(self, target: Var, output_gradient: Value | None = None) -> list[Step]:
        """The reverse sweep from ``target``, one ``Step`` per adjoint update, in the order
        the sweep makes them (from the target back to the first record).

        Summing the contributions that each input receives gives ``t.gradient``'s answer;
        afterwards ``t.adjoint(v)`` and ``print(t)`` show every record's adjoint. Use
        ``t.show_steps(target)`` to print them in the Wengert list's notation.

        Args:
            target: A Var recorded on this (persistent) tape.
            output_gradient: The seed, for a non-scalar target (as for ``gradient``).

        Raises:
            RuntimeError: On a tape that is not persistent (listing the steps is a sweep:
                the records must outlive it).
        """
        if not self.persistent:
            raise RuntimeError("t.steps needs a tape kept after its sweep: Tape(persistent=True)")
        tslot, seed = self._check_request(target, [], output_gradient)
        trace: list[Step] = []
        self._adjoints = sweep(
            self._records, tslot, seed, [0], self.check_finite, trace, label=self._label
        )
        self._swept_to = 0
        return trace

    def show_steps(self, target: Var, output_gradient: Value | None = None) -> str:
        """The reverse sweep as text, one update per line in the table's notation:
        ``v̄₀ += v̄₂ · ∂v₂/∂v₀ = 1 · 2`` (with the Vars' names where they have them)."""
        steps = self.steps(target, output_gradient)
        names = _show.textbook_names(self._records, self._labels())
        lines = []
        for st in steps:
            out, inp = names[st.record], names[st.input]
            lhs = f"{_show.bar(inp)} += {_show.bar(out)} · ∂{out}/∂{inp}"
            local = _local_partial(st)
            rhs = (
                f"{_show.fmt_value(st.adjoint)} · {_show.fmt_value(local)}"
                if local is not None
                else _show.fmt_value(st.contribution)
            )
            lines.append(
                f"{lhs} = {rhs}   ({st.op}; {_show.bar(inp)} = {_show.fmt_value(st.total)})"
            )
        return "\n".join(lines)

    def forward_trace(self, tangents: Mapping[Var, Value]) -> list[Value]:
        """Forward mode over the recorded list: push one direction through every record.

        The inputs' tangents ẋ are given (inputs left out get zero); each record
        vᵢ = φ(…) then gets v̇ᵢ = Σₛ ∂φ/∂vₛ · v̇ₛ from its primitive's JVP rules — the
        forward trace of Griewank and Walther, beside the reverse one. ``print(t)`` shows
        the tangents as a v̇ column.

        Args:
            tangents: ``{input Var: its tangent}`` (of the input's shape).

        Returns:
            The tangent of every record, by slot (zeros where none arrives).
        """
        if self._state == "freed":
            raise RuntimeError("this tape was freed by gradient(): use Tape(persistent=True)")
        given: dict[int, Any] = {}
        for x, d in tangents.items():
            slot = self._slot_of(x)
            if slot < 0 or self._records[slot][0] != INPUT.index:
                raise ValueError("forward_trace: the tangents must be given for inputs of the tape")
            dv = _as_seed(d, _plain(self._records[slot][4]))
            if np.shape(dv) != x.shape:
                raise ValueError(
                    f"forward_trace: a tangent of shape {np.shape(dv)} for an input of shape "
                    f"{x.shape}"
                )
            given[slot] = dv
        dots = forward_sweep(self._records, given)
        out = [
            _zeros_like(_plain(r[4])) if d is None else _plain(d)
            for d, r in zip(dots, self._records, strict=True)
        ]
        self._tangents = out
        return out

    def __str__(self) -> str:
        return _show.show_tape(
            self._records, self._adjoints, self._state, self._labels(), self._tangents
        )

    def __repr__(self) -> str:
        return f"<Tape {self._state}, {len(self._records)} records>"

    def show(self) -> None:
        """Print the Wengert list (and, after a persistent tape's sweep, the adjoints)."""
        print(self)


_new_var = object.__new__
_get_ident = threading.get_ident


def sweep(
    records: list[Record],
    target: int,
    seed: Any,
    sources: list[int],
    check_finite: bool = False,
    trace: list[Step] | None = None,
    label: Callable[[int], str] = str,
) -> list[Any]:
    """The reverse sweep: one loop from ``target`` back to the earliest source.

    ``adjoint[i]`` holds v̄ᵢ = ∂target/∂vᵢ, or None while nothing has reached slot i.
    With ``trace``, every adjoint update is also appended to it as a ``Step``.
    """
    adjoint: list[Any] = [None] * (target + 1)
    adjoint[target] = seed
    reached = [s for s in sources if 0 <= s <= target]
    stop = min(reached) if reached else target + 1
    for i in range(target, stop - 1, -1):
        g = adjoint[i]
        if g is None:
            continue
        p, slots, params, inputs, ans = records[i]
        prim = ROWS[p]
        for k, s in enumerate(slots):
            if s < 0:
                continue  # a constant: no adjoint to accumulate
            # the rule for input k: v̄ₛ += (vᵢ's cotangent pulled back through prim)
            rule = prim.vjp[0] if prim.variadic else prim.vjp[k]
            if rule is None:
                continue
            if prim.variadic:
                ct = rule(g, ans, *inputs, argnum=k, **(params or {}))
            else:
                ct = rule(g, ans, *inputs, **params) if params else rule(g, ans, *inputs)
            if ct is None:
                continue
            if prim.broadcasts and type(ct) is not float:
                ct = unbroadcast(ct, inputs[k])
            if check_finite and not np.all(np.isfinite(_plain(ct))):
                raise FloatingPointError(
                    f"the reverse sweep got a non-finite adjoint at record {i} ({prim.name}; "
                    f"{label(i)} in print(t)), "
                    f"input {k + 1}: {_brief(_plain(ct))}; the record's inputs were "
                    + ", ".join(_brief(_plain(x)) for x in inputs)
                )
            prev = adjoint[s]
            adjoint[s] = ct if prev is None else prev + ct
            if trace is not None:
                step = Step(i, s, k, prim.name, _plain(ct), _plain(adjoint[s]), _plain(g))
                trace.append(step)
    return adjoint


def forward_sweep(
    records: list[Record], tangents: Mapping[int, Any], upto: int | None = None
) -> list[Any]:
    """Forward mode over recorded records: the tangent of every record up to ``upto``
    (default: the last), from tangents given at some slots (None where none arrives).

    Each record's tangent is ``push_tangents`` of its inputs' tangents — the JVP rules, as a
    Dual would apply them. Tangents may carry a leading batch axis (vector mode).
    """
    end = len(records) if upto is None else upto + 1
    tan: list[Any] = [None] * end
    for slot, d in tangents.items():
        if 0 <= slot < end:  # (an input first used after ``upto``: no effect)
            tan[slot] = d
    given = [s for s in tangents if 0 <= s < end]
    for i in range(min(given) + 1 if given else end, end):
        p, slots, params, inputs, ans = records[i]
        prim = ROWS[p]
        if not slots or not prim.differentiable:
            continue
        ts = [tan[s] if s >= 0 else None for s in slots]
        if any(d is not None for d in ts):
            tan[i] = push_tangents(prim, inputs, ts, ans, params or {})
    return tan


def batched_vjp(
    records: list[Record],
    target: int,
    source: int,
    tshape: tuple[int, ...],
    sshape: tuple[int, ...],
) -> Array:
    """∂target/∂source, shape ``tshape + sshape``, from ONE reverse sweep for all m seeds.

    The sweep is linear in its seed, so it is run on a dual number whose primal seed is 0 and
    whose tangent carries the m unit seeds along a leading batch axis: each VJP rule, applied
    by forward mode, pushes all m cotangents at once (vector mode) — one pass of Python over
    the records instead of m. (The zero primal costs one extra sweep's arithmetic.)
    """
    m = math.prod(tshape)
    if m == 1:  # one seed: a plain sweep
        g1 = sweep(records, target, 1.0 if tshape == () else np.ones(tshape), [source])[source]
        if g1 is None:
            return np.zeros(tshape + sshape)
        return np.broadcast_to(np.asarray(_plain(g1)), sshape).reshape(tshape + sshape)
    level = next(_LEVELS)
    basis = np.eye(m).reshape((m, *tshape))
    seed = make_dual(0.0 if tshape == () else np.zeros(tshape), basis, level)
    g = sweep(records, target, seed, [source])[source]
    if not (isinstance(g, Dual) and g._level == level):
        return np.zeros(tshape + sshape)
    t = np.broadcast_to(np.asarray(_plain_tangent(g._tangent)), (m, *sshape))
    return t.reshape(tshape + sshape)


def _plain_tangent(t: Any) -> Any:
    return t if isinstance(t, float | np.ndarray) else _plain(t)


def unbroadcast(ct: Any, like: Any) -> Any:
    """Sum a cotangent back to the shape of the input it belongs to (undo broadcasting)."""
    if type(ct) is float:
        return ct
    to = _shape(like)
    if _shape(ct) == to:
        return ct
    if type(ct) is np.ndarray:  # plain: NumPy directly
        return canonical(P.SUM_TO, P._sum_to_impl(ct, to))
    return P.sum_to(ct, to)


def read_only(v: Any) -> Any:
    """``v`` made read-only if it is an array: what users are handed of a tape's values
    (frozen as they leave, so no write can change what a record saved)."""
    if type(v) is np.ndarray and v.flags.writeable:
        v.flags.writeable = False
    return v


class Drawing(str):
    """SVG text of a drawn tape; Jupyter displays it as the picture (and ``repr`` stays one
    short line, so a notebook does not store the whole text a second time)."""

    __slots__ = ()

    def _repr_svg_(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"<tape drawing: {len(self)} characters of SVG>"


def _run_dot(dot_text: str, format: str) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(
            "drawing a tape needs Graphviz's `dot` program, which is not on this machine's "
            "PATH. Install Graphviz (Debian/Ubuntu: `apt-get install graphviz`; macOS: "
            "`brew install graphviz`; conda: `conda install graphviz`), or render "
            "t.to_dot() elsewhere."
        )
    done = subprocess.run(
        [exe, f"-T{format}"], input=dot_text.encode(), capture_output=True, timeout=60
    )
    if done.returncode != 0:
        raise RuntimeError(f"Graphviz's dot failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def _local_partial(st: Step) -> Value | None:
    """∂vᵢ/∂vₛ of a scalar step (contribution / v̄ᵢ), or None where it cannot be read off."""
    a, c = st.adjoint, st.contribution
    if type(a) is float and type(c) is float and a != 0.0:
        return c / a
    return None


def _zeros_like(v: Any) -> Any:
    return 0.0 if type(v) is float else np.zeros_like(v)


def _left_the_tape(target: object, escaped: str | None) -> str:
    if not isinstance(target, float | int | np.ndarray | np.number):
        return f"the target must be a Var recorded on this tape; got {type(target).__name__}"
    how = f" (this tape saw {escaped})" if escaped else ""
    return (
        f"the target is a plain {type(target).__name__}, not a Var: its value left the "
        f"tape{how} — through float(), int(), .item(), a math.* function, or NumPy on "
        "v.value — so the gradient through it would be lost. Keep the computation on Vars "
        "(tp.* functions, Var methods, np.* calls on Vars: tp.exp(x), not math.exp(x))."
    )


def _constant_var(value: Any) -> Var:
    """A Var with no history holding ``value`` (for a gradient that came out constant)."""
    out = _new_var(Var)
    out._value = value
    out._tape = None
    out._slot = -1
    return out


def _warn_outside(x: Var) -> None:
    """Warn, once for this Var, that it was made by an operation outside every tape."""
    op = ROWS[-2 - x._slot].name
    x._slot = -1
    depth = 2  # warn's stacklevel of our caller
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("tape."):
        frame = frame.f_back  # type: ignore[assignment]
        depth += 1
    warnings.warn(
        f"a Var computed by {op!r} outside every tape is used on a tape: the tape sees it as "
        f"a new input (a leaf), so gradients stop there and do not flow back through {op!r} "
        "to the Vars it was made from. Compute it inside `with Tape():` if they should; make "
        "it a leaf on purpose with v.detach() or tp.Var(v.value) to silence this.",
        TapeWarning,
        stacklevel=depth,
    )


def _shape(v: Any) -> tuple[int, ...]:
    if type(v) is float:
        return ()
    return tuple(v.shape)


def _plain(v: Any) -> Any:
    """Peel Vars (and Duals) down to the plain value inside."""
    while not (type(v) is float or type(v) is np.ndarray):
        if isinstance(v, Var):
            v = v._value
        elif hasattr(v, "primal_value"):
            v = v.primal_value
        else:
            return v
    return v


def _one_like(v: Value) -> Value:
    if type(v) is float:
        return 1.0
    return np.ones_like(v)


def _as_seed(seed: object, like: Value) -> Value:
    arr = np.asarray(seed)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"output_gradient must be real; got dtype {arr.dtype}")
    if not isinstance(like, np.ndarray):
        return float(arr) if arr.ndim == 0 else arr.astype(np.float64)
    return arr.astype(like.dtype) if arr.dtype != like.dtype else arr


def _shaped_like(g: Any, src: Var) -> Any:
    """The adjoint of a source in the source's own kind: float, or an array of its dtype."""
    if type(g) is Var or type(g) is Dual:
        return g  # recorded by an outer tape, or carrying tangents: keep it as it is
    sv = src.value
    if not isinstance(sv, np.ndarray):
        return 0.0 if g is None else float(g)
    if g is None:
        return np.zeros_like(sv)
    arr = np.asarray(g)
    if arr.dtype != sv.dtype:
        arr = arr.astype(sv.dtype)
    if arr.shape != sv.shape:
        arr = np.broadcast_to(arr, sv.shape).copy()
    return arr


# ----- bind: the one way into the primitive table ----------------------------------------------


def bind(prim: Primitive, *args: Any, **params: Any) -> Any:
    """Apply a primitive to its inputs: the one way into the primitive table.

    - Plain inputs (floats, arrays) give a plain result and record nothing.
    - When some input is a Var, the result is a Var, recorded on every active tape (or, with
      no tape active, a Var with no history).
    - When some input is a Dual, the result is a Dual whose tangent comes from the JVP rules.

    Vars and Duals nest (a tape recording dual numbers, a dual number of recorded values):
    the innermost level is handled first and computes with the values one level down.
    (Returns ``Any`` because the result's kind follows the inputs'; the public functions
    declare it precisely.)
    """
    stack = _STACK.get()
    if len(stack) == 1:
        out = _record_simple(stack[0], prim, args, params)
        if out is not None:
            return out
    has_var = False
    dual_level = -1
    for a in args:
        t = type(a)
        if t is Var:
            has_var = True
        elif t is Dual and a._level > dual_level:
            dual_level = a._level
    if not has_var and dual_level < 0:
        return call(prim, args, params)
    if has_var:
        if stack and stack[-1]._state != "active":
            # a context copied while a tape was active (an asyncio task started inside
            # `with Tape()`) outlives it: record only on tapes still active
            stack = tuple(t for t in stack if t._state == "active")
        if stack and stack[-1]._level > dual_level:
            return _record(stack, len(stack) - 1, prim, args, params)
        if dual_level < 0:  # no tape: compute, record nothing
            out = _new_var(Var)
            out._value = bind(prim, *(_peel(a) for a in args), **params)
            out._tape = None
            # remember the operation (as -2 - its index), to warn if a tape later takes
            # this Var for a leaf; values made in stop_recording() are constants on purpose
            out._slot = -1 if _PAUSED.get() or not prim.differentiable else -2 - prim.index
            return out
        if not stack:  # Vars on no tape beside dual numbers are constants to them
            args = tuple(_peel(a) if type(a) is Var else a for a in args)
    return _forward(prim, args, params, dual_level)


def bind1(prim: Primitive, x: Any) -> Any:
    """``bind(prim, x)`` with the most common case written out: a Var of the one active
    tape holding a plain value (no tuple packing, no loop). Everything else goes to bind."""
    tx = type(x)
    if tx is float:  # plain values (as in a sweep): compute, nothing to record
        try:
            ans = prim.impl(x)
        except Exception:
            return call(prim, (x,), {})  # which raises it with the shapes named
        return ans if type(ans) is float else canonical(prim, ans)
    if tx is np.ndarray:
        return call(prim, (x,), {})
    stack = _STACK.get()
    if len(stack) != 1 or tx is not Var:
        return bind(prim, x)
    tape = stack[0]
    xv = x._value
    txv = type(xv)
    if x._tape is not tape or (txv is not float and txv is not np.ndarray):
        return bind(prim, x)
    if tape._state != "active" or tape._thread != _get_ident():
        return bind(prim, x)
    try:
        ans = prim.impl(xv)
    except Exception:
        return bind(prim, x)  # which raises it with the shapes named
    if type(ans) is not float and (
        type(ans) is not np.ndarray or ans.ndim == 0 or ans.dtype.kind != "f"
    ):
        ans = canonical(prim, ans)
    records = tape._records
    slot = len(records)
    if tape.check_finite:
        _check_finite_value(tape, slot, prim, (xv,), ans)
    records.append((prim.index, (x._slot,), None, (xv,), ans))
    out = _new_var(Var)
    out._value = ans
    out._tape = tape
    out._slot = slot
    return out


def bind2(prim: Primitive, x: Any, y: Any) -> Any:
    """``bind(prim, x, y)`` with the most common case written out: inputs that are Vars of
    the one active tape, leaves (Vars on no tape, as parameters are), Python numbers or
    arrays. Everything else goes to bind."""
    tx = type(x)
    ty = type(y)
    if tx is float and ty is float:  # plain values (as in a sweep): nothing to record
        try:
            ans = prim.impl(x, y)
        except Exception:
            return call(prim, (x, y), {})  # which raises it with the shapes named
        return ans if type(ans) is float else canonical(prim, ans)
    if (tx is np.ndarray or tx is float) and (ty is np.ndarray or ty is float):
        return call(prim, (x, y), {})
    stack = _STACK.get()
    if len(stack) != 1:
        return bind(prim, x, y)
    tape = stack[0]
    # each input: its value, and its slot (-1 a constant, -2 a leaf new to this tape). The
    # two inputs' blocks are the same code written twice on purpose: a helper function
    # called per input would cost this, the hottest path of recording, a call each.
    if tx is Var:
        if x._tape is tape:
            xv, sx = x._value, x._slot
        elif x._tape is None:
            found = tape._leaves.get(id(x))
            if found is not None and found[0] is x:
                sx = found[1]
                xv = tape._records[sx][4]
            else:
                xv, sx = x._value, -2
        else:
            return bind(prim, x, y)
    elif tx is float or tx is int or tx is np.ndarray:
        xv, sx = (x if tx is np.ndarray else float(x)), -1
    else:
        return bind(prim, x, y)
    if ty is Var:
        if y._tape is tape:
            yv, sy = y._value, y._slot
        elif y._tape is None:
            found = tape._leaves.get(id(y))
            if found is not None and found[0] is y:
                sy = found[1]
                yv = tape._records[sy][4]
            else:
                yv, sy = y._value, -2
        else:
            return bind(prim, x, y)
    elif ty is float or ty is int or ty is np.ndarray:
        yv, sy = (y if ty is np.ndarray else float(y)), -1
    else:
        return bind(prim, x, y)
    txv = type(xv)
    tyv = type(yv)
    if (
        (sx == -1 and sy == -1)
        or (txv is not float and txv is not np.ndarray)
        or (tyv is not float and tyv is not np.ndarray)
        or tape._state != "active"
        or tape._thread != _get_ident()
    ):
        return bind(prim, x, y)
    try:
        ans = prim.impl(xv, yv)
    except Exception:
        return bind(prim, x, y)  # which raises it with the shapes named
    if type(ans) is not float and (
        type(ans) is not np.ndarray
        or ans.ndim == 0
        or ans.dtype.kind != "f"
        or not prim.differentiable
    ):
        ans = canonical(prim, ans)
    # computed without error: now register new leaves and lock array constants
    records = tape._records
    if sx == -2:
        if x._slot < -1:
            _warn_outside(x)
        sx = len(records)
        records.append((INPUT.index, (), None, (), xv))
        tape._leaves[id(x)] = (x, sx)
    if sy == -2:
        if y is x:
            sy = sx
        else:
            if y._slot < -1:
                _warn_outside(y)
            sy = len(records)
            records.append((INPUT.index, (), None, (), yv))
            tape._leaves[id(y)] = (y, sy)
    if sx == -1 and txv is np.ndarray and (xv.flags.writeable or id(xv) in _LOCKS):
        tape._locked.extend(_lock(xv))
    if sy == -1 and tyv is np.ndarray and (yv.flags.writeable or id(yv) in _LOCKS):
        tape._locked.extend(_lock(yv))
    slot = len(records)
    if tape.check_finite:
        _check_finite_value(tape, slot, prim, (xv, yv), ans)
    records.append((prim.index, (sx, sy), None, (xv, yv), ans))
    out = _new_var(Var)
    out._value = ans
    out._tape = tape
    out._slot = slot
    return out


def _record_simple(
    tape: Tape, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]
) -> Var | None:
    """The common case, kept short: one active tape, inputs that are its own Vars holding
    plain values, or Python numbers. Anything else (leaves, arrays as constants, nesting,
    dual numbers, errors) returns None and takes the general path."""
    if tape._state != "active" or tape._thread != _get_ident():
        return None
    slots = []
    inputs = []
    recorded = False
    for a in args:
        t = type(a)
        if t is Var:
            if a._tape is not tape:
                return None
            v = a._value
            tv = type(v)
            if tv is not float and tv is not np.ndarray:
                return None
            slots.append(a._slot)
            inputs.append(v)
            recorded = True
        elif t is float:
            slots.append(-1)
            inputs.append(a)
        elif t is int:
            slots.append(-1)
            inputs.append(float(a))
        else:
            return None
    if not recorded:
        return None
    try:
        ans = prim.impl(*inputs, **params) if params else prim.impl(*inputs)
    except Exception:
        return None  # the general path raises it, with the shapes named
    if type(ans) is not float and (
        type(ans) is not np.ndarray
        or ans.dtype.kind != "f"
        or ans.ndim == 0
        or not prim.differentiable
    ):
        ans = canonical(prim, ans)  # Python floats for scalars, booleans checked
    # (a recorded array is a fresh result no one else holds; Var.value freezes it when it
    # hands it out, so nothing can write into what the tape saved)
    slot = len(tape._records)
    if tape.check_finite:
        _check_finite_value(tape, slot, prim, tuple(inputs), ans)
    tape._records.append((prim.index, tuple(slots), params or None, tuple(inputs), ans))
    out = _new_var(Var)
    out._value = ans
    out._tape = tape
    out._slot = slot
    return out


def _check_finite_value(
    tape: Tape, slot: int, prim: Primitive, inputs: tuple[Any, ...], ans: Any
) -> None:
    if not prim.differentiable or prim is INPUT:
        return
    v = _plain(ans)
    if isinstance(v, float | np.ndarray) and not np.all(np.isfinite(v)):
        n_ops = 1 + sum(1 for r in tape._records if r[0] != INPUT.index)
        raise FloatingPointError(
            f"record {slot} ({prim.name}; v{_show.subscript(n_ops)} in print(t)) produced a "
            f"non-finite value {_brief(v)} from inputs "
            + ", ".join(_brief(_plain(x)) for x in inputs)
            + " (Tape(check_finite=True))"
        )


def _brief(v: Any) -> str:
    if isinstance(v, np.ndarray) and v.size > 4:
        bad = int(np.size(v) - np.count_nonzero(np.isfinite(v)))
        return f"{_show.fmt_value(v)} ({bad} non-finite)"
    return _show.fmt_value(v)


def _peel(a: Any) -> Any:
    while type(a) is Var:
        a = a._value
    return a


def _transparent(a: Var) -> Any:
    """What the tape one level down sees of a Var that is not on the current tape.

    A Var on no active tape whose value is itself a Var is a wrapper (``grad`` wraps its
    argument so that its own tape has a leaf to differentiate by): the tape below sees the
    Var inside it, one layer per level, so that ``grad(grad(grad(f)))`` lines each wrapper
    up with its own tape.
    """
    inner = a._value
    if (type(inner) is Var or type(inner) is Dual) and (
        a._tape is None or a._tape._state != "active"
    ):
        return inner
    return a


def _record(
    stack: tuple[Tape, ...], k: int, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]
) -> Var:
    """Record ``prim(*args)`` on tape ``stack[k]`` (and, first, on the tapes below it)."""
    tape = stack[k]
    tape._check_thread("record on")
    # What the tape below sees: our own Vars are replaced by their values one level down;
    # any other Var is passed down, to be watched there (or peeled at the bottom).
    down = tuple(
        (a._value if a._tape is tape else _transparent(a)) if type(a) is Var else a for a in args
    )
    if k > 0 and any(type(a) is Var for a in down):
        ans: Any = _record(stack, k - 1, prim, down, params)
    else:
        bottom = tuple(_peel(a) for a in down)
        if any(type(b) is Dual for b in bottom):
            # dual numbers one level down may hold Vars of the tapes below this one: record
            # those there, not here
            token = _STACK.set(stack[:k])
            try:
                ans = bind(prim, *bottom, **params)
            finally:
                _STACK.reset(token)
        else:
            ans = call(prim, bottom, params)
    # Computed without error: now append (a failed op leaves the tape unchanged).
    slots = []
    inputs = []
    below = stack[k - 1] if k > 0 else None
    for a, d in zip(args, down, strict=True):
        if type(a) is Var:
            if a._tape is not tape:
                a = tape._watch(a, _seen_by(below, d))
            slots.append(a._slot)
            inputs.append(a._value)
        else:
            slots.append(-1)
            if type(d) is np.ndarray and (d.flags.writeable or id(d) in _LOCKS):
                tape._locked.extend(_lock(d))  # saved: a later in-place write would be silent
            inputs.append(d)
    return tape._append(prim, tuple(slots), params or None, tuple(inputs), ans)


def _forward(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any], level: int) -> Any:
    """Forward mode: the primal by the row's forward rule, the tangent by its JVP rules."""
    stack = _STACK.get()
    if stack and stack[-1]._level > level:
        # tapes entered after these dual numbers were made (a jvp inside a grad's function
        # that a later grad wraps) must not record their insides: compute below them
        token = _STACK.set(tuple(t for t in stack if t._level < level))
        try:
            return _forward_at(prim, args, params, level)
        finally:
            _STACK.reset(token)
    return _forward_at(prim, args, params, level)


def _forward_at(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any], level: int) -> Any:
    primals = []
    tangents = []
    for a in args:
        if type(a) is Dual and a._level == level:
            primals.append(a._primal)
            tangents.append(a._tangent)
        else:
            primals.append(a)
            tangents.append(None)
    ans = bind(prim, *primals, **params)
    if not prim.differentiable:
        return ans  # booleans carry no tangent
    return make_dual(ans, push_tangents(prim, primals, tangents, ans, params), level)


def push_tangents(
    prim: Primitive,
    primals: Sequence[Any],
    tangents: Sequence[Any],
    ans: Any,
    params: dict[str, Any],
) -> Any:
    """The output tangent of one record: the sum of its JVP rules over the inputs that
    carry a tangent (None for none). Tangents may carry leading batch axes (vector mode)."""
    ashape = _shape(ans)
    batch: tuple[int, ...] = ()
    out: Any = None
    for k, d in enumerate(tangents):
        if d is None:
            continue
        xshape, dshape = _shape(primals[k]), _shape(d)
        nb = len(dshape) - len(xshape)
        if nb:
            batch = dshape[:nb]
        rule = prim.jvp[0] if prim.variadic else prim.jvp[k]
        if rule is None:
            continue
        if nb and prim.elementwise and len(xshape) < len(ashape):
            # line the k directions up with the output's axes before broadcasting
            d = P.reshape(d, batch + (1,) * (len(ashape) - len(xshape)) + xshape)
        if prim.variadic:
            c = rule(d, ans, *primals, argnum=k, **params)
        else:
            c = rule(d, ans, *primals, **params)
        if c is not None:
            out = c if out is None else out + c
    full = batch + ashape
    if out is None:
        return 0.0 if full == () else np.zeros(full, dtype=_dtype(ans))
    if _shape(out) != full:
        out = P.broadcast_to(out, full)
    return out


def _dtype(v: Any) -> Any:
    p = _plain(v)
    return p.dtype if isinstance(p, np.ndarray) else np.float64


# The caller's arrays saved by some tape, made read-only until the last tape holding them
# is freed: id -> (array, number of tapes holding it).
_LOCKS: dict[int, tuple[Array, int]] = {}
_LOCKS_GUARD = threading.Lock()
# Arrays a finaliser could not unlock because the lock was held (see Tape.__del__); the
# next _lock or _unlock releases them.
_DEFERRED_UNLOCKS: list[list[Array]] = []


def _lock(arr: Array) -> list[Array]:
    """Make ``arr`` and the arrays it is a view of read-only; returns what was locked."""
    chain: list[Array] = []
    a: object = arr
    while isinstance(a, np.ndarray):
        chain.append(a)
        a = a.base
    locked = []
    with _LOCKS_GUARD:
        _unlock_deferred()
        for a in chain:
            held = _LOCKS.get(id(a))
            if held is not None and held[0] is a:
                _LOCKS[id(a)] = (a, held[1] + 1)
            elif a.flags.writeable:
                a.flags.writeable = False
                _LOCKS[id(a)] = (a, 1)
            else:
                continue
            locked.append(a)
    return locked


def _unlock(arrays: list[Array]) -> None:
    with _LOCKS_GUARD:
        _unlock_deferred()
        _unlock_held(arrays)


def _unlock_deferred() -> None:
    """Release what finalisers left (the caller holds _LOCKS_GUARD)."""
    while _DEFERRED_UNLOCKS:
        _unlock_held(_DEFERRED_UNLOCKS.pop())


def _unlock_held(arrays: list[Array]) -> None:
    """Give back one tape's hold on ``arrays`` (the caller holds _LOCKS_GUARD)."""
    for arr in reversed(arrays):  # bases before their views
        held = _LOCKS.get(id(arr))
        if held is None or held[0] is not arr:
            continue
        if held[1] > 1:
            _LOCKS[id(arr)] = (arr, held[1] - 1)
        else:
            del _LOCKS[id(arr)]
            with contextlib.suppress(ValueError):  # a view of a base locked elsewhere
                arr.flags.writeable = True


def _seen_by(tape: Tape | None, a: Any) -> Any:
    """How the tape below (or, at the bottom, plain NumPy) sees ``a``."""
    if type(a) is not Var:
        return a  # a dual number one level down
    if tape is None:
        return _peel(a)
    if a._tape is tape:
        return a
    found = tape._leaves.get(id(a))
    if found is not None and found[0] is a:
        return tape._var_at(found[1], tape._records[found[1]][4])
    return _peel(a)


def call(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
    """Run a primitive's forward computation on plain values (or lower-level boxes)."""
    try:
        out = prim.impl(*args, **params)
    except (ValueError, IndexError) as e:
        shapes = ", ".join(str(_shape_or_type(a)) for a in args)
        raise type(e)(f"{prim.name}: {e} (input shapes: {shapes})") from None
    return canonical(prim, out)


def canonical(prim: Primitive, out: Any) -> Any:
    """A row's raw output in tape's form: Python floats for float64 scalars, read-only
    float arrays, booleans only from rows without derivatives."""
    t = type(out)
    if t is float:
        return out
    if not prim.differentiable:  # booleans of a comparison, a guard's outcome
        return out
    if t is np.ndarray:
        if out.dtype.kind != "f":
            raise TypeError(
                f"{prim.name} gave dtype {out.dtype}: tape differentiates real floating-point "
                "values only (complex and object inputs are not supported)"
            )
        if out.ndim == 0 and out.dtype == np.float64:
            return float(out)  # scalars stay Python floats
        return out
    if isinstance(out, np.floating):
        return float(out) if out.dtype == np.float64 else np.asarray(out)
    if isinstance(out, int | np.integer | np.bool_):
        return float(out)
    return out  # a box one level down (Var or Dual): already canonical


def _shape_or_type(a: Any) -> object:
    if type(a) is float:
        return "()"
    shape = getattr(a, "shape", None)
    return shape if shape is not None else type(a).__name__


# Imported last: Var's operators and the table's rules call bind, defined above.
from . import _table as P  # noqa: E402
from ._dual import Dual, make_dual  # noqa: E402
from ._var import Var  # noqa: E402
