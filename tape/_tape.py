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

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, NamedTuple, overload

import numpy as np

from . import _show
from . import _table as P
from ._core import (
    _LEVELS,
    _PAUSED,
    _STACK,
    INPUT,
    Recorder,
    _new_var,
    _plain,
    owner_of,
    read_only,
)
from ._dual import Dual
from ._program import Program
from ._rows import OUT, PRIM, ROWS, Array, Value
from ._sweep import Step, batched_vjp, forward_sweep, sweep
from ._var import Var


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


class Tape(Recorder):
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
        super().__init__(check_finite)
        self.persistent = persistent
        self._adjoints: list[Any] | None = None
        self._swept_to = -1  # the earliest slot the last kept sweep reached
        self._tangents: list[Any] | None = None  # the last forward_trace
        self._released = 0  # how many records gradient() freed

    def _free(self) -> None:
        self._released = len(self._records)
        self._release()
        self._adjoints = None
        self._tangents = None
        self._state = "freed"
        self._owner = -1

    # ----- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> Tape:
        if self._state != "new":
            raise RuntimeError(
                f"this tape is {self._state}: a Tape records once; make a new Tape() instead"
            )
        self._state = "active"
        self._thread = self._owner = threading.get_ident()
        self._level = next(_LEVELS)
        _STACK.set((*_STACK.get(), self))
        self._start_spread()
        return self

    def __exit__(self, *exc: object) -> None:
        self._check_thread("exit")
        stack = _STACK.get()
        self._state = "done"
        self._owner = -1
        self._end_spread()
        if stack and stack[-1] is self:
            _STACK.set(stack[:-1])  # (the common case: the innermost tape exits)
            return
        _STACK.set(tuple(t for t in stack if t is not self))
        raise RuntimeError(
            "tapes exited out of order: exit nested tapes in reverse order of entering them"
        )

    def _escaped(self) -> str | None:
        """How a value left this tape for Python as a number (``float(v)``, ``int(v)``,
        ``v.item()``, ``math.*`` on a Var), or None when none did: a gradient through such
        a value is lost, so a plain target after one is a mistake, not a constant."""
        for i, (p, slots, params, _, _) in enumerate(self._records):
            if p != P.GUARD.index or params is None:
                continue
            kind = params["kind"]
            if P.gives_numbers(kind):
                src = slots[0]
                what = ROWS[self._records[src][PRIM]].name
                return f"{P.guard_call(kind)} of {self._label(src)} ({what}), at record {i}"
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

    # ----- recording --------------------------------------------------------------------------

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

    def compile(
        self,
        inputs: Sequence[Var],
        outputs: Sequence[Var],
        path: Literal["auto", "compiled", "interpreted", "generic"] = "auto",
    ) -> Program:
        """Freeze the recorded list as a program that can run again at new input values.

        Args:
            inputs: The Vars whose values the program takes (in this order).
            outputs: The recorded Vars it returns.
            path: How ``value_and_grad`` runs: ``"auto"`` (compiled Python up to
                ``COMPILE_LIMIT`` records, an interpreter past it), ``"compiled"``,
                ``"interpreted"``, or ``"generic"`` (the row-by-row replay); see
                ``Program.using``.

        Returns:
            A ``Program``: ``prog(x)``, ``prog.value_and_grad(x)``, ``prog.jvp(x, v)``,
            ``prog.jacobian(x)``, ``prog.hvp(x, v)`` replay the records without running the
            Python code that made them.

        Raises:
            RuntimeError: On a freed tape (compile a persistent tape, or before gradient).
            ValueError: For an output not recorded here, or a tape of nested levels.
        """
        if self._state == "freed":
            raise RuntimeError("this tape was freed by gradient(): use Tape(persistent=True)")
        in_slots: list[int] = []
        for x in inputs:
            slot = self._slot_of(x)
            if slot >= 0 and self._records[slot][PRIM] != INPUT.index:
                raise ValueError(f"compile: input {len(in_slots)} is not an input of the tape")
            in_slots.append(slot)
        out_slots: list[int] = []
        for y in outputs:
            slot = self._slot_of(y) if isinstance(y, Var) else -1
            if slot < 0:
                raise ValueError(f"compile: output {len(out_slots)} was not recorded on this tape")
            out_slots.append(slot)
        shapes = [np.shape(x.value) for x in inputs]  # (inputs never recorded keep theirs)
        return Program(self, self._records, in_slots, out_slots, path, shapes)

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
        n = len(adjoints)
        grads = [
            _shaped_like(adjoints[i] if 0 <= i < n else None, s)
            for i, s in zip(self._source_slots, srcs, strict=True)
        ]
        _hand_out(grads, output_gradient)
        if not self.persistent:
            self._free()
        stack = _STACK.get()
        if stack and any(t is not self and t._state == "active" for t in stack):
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
        ans = self._records[tslot][OUT]
        tshape = () if type(ans) is float else np.shape(_plain(ans))
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
            if slot < 0 or self._records[slot][PRIM] != INPUT.index:
                raise ValueError("forward_trace: the tangents must be given for inputs of the tape")
            dv = _as_seed(d, _plain(self._records[slot][OUT]))
            if np.shape(dv) != x.shape:
                raise ValueError(
                    f"forward_trace: a tangent of shape {np.shape(dv)} for an input of shape "
                    f"{x.shape}"
                )
            given[slot] = dv
        dots = forward_sweep(self._records, given)
        out = [
            _zeros_like(_plain(r[OUT])) if d is None else _plain(d)
            for d, r in zip(dots, self._records, strict=True)
        ]
        self._tangents = out
        return out

    def __str__(self) -> str:
        return _show.show_tape(
            self._records, self._adjoints, self._state, self._labels(), self._tangents
        )

    def __repr__(self) -> str:
        if self._state == "freed":  # len(t) is 0 now: say what it held
            return f"<Tape freed, {self._released} records released by gradient()>"
        return f"<Tape {self._state}, {len(self._records)} records>"

    def show(self) -> None:
        """Print the Wengert list (and, after a persistent tape's sweep, the adjoints)."""
        print(self)


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


def _hand_out(grads: list[Any], seed: object) -> None:
    """Make every array in ``grads`` one the caller may write to without changing another:
    copy one that shares memory with another gradient or the caller's seed (add's rule hands
    g to both inputs; reshape's gives a view of g) or that is read-only (a broadcast view, a
    recorded value)."""
    seen = {id(owner_of(seed))} if type(seed) is np.ndarray else set()
    for j, g in enumerate(grads):
        if type(g) is np.ndarray:
            base = g.base
            key = id(g) if base is None else id(owner_of(g))
            if key in seen or not g.flags.writeable:
                grads[j] = g = g.copy()
                key = id(g)
            seen.add(key)


def _constant_var(value: Any) -> Var:
    """A Var with no history holding ``value`` (for a gradient that came out constant)."""
    out = _new_var(Var)
    out._value = value
    out._tape = None
    out._slot = -1
    return out


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
    if type(g) is np.ndarray:
        sv = src._value
        if (
            type(sv) is np.ndarray
            and g.shape == sv.shape
            and (g.dtype is sv.dtype or g.dtype == sv.dtype)
        ):
            return g  # (the common case: nothing to convert)
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
